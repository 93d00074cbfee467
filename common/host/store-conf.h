/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The object-store keys of jit.conf (store_auth, store_endpoint,
 * store_region, store_client_id): what a valid value looks like. The fetch
 * helper checks them again (jit-fetch/store-url.c); this is so that a typo
 * is an error naming its line, not a failed poll. */

/* NULL when value is valid for key, else what is wrong with it. */
const char *store_conf_check(const char *key, const char *value);
