/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whose credentials a store URL takes, under store_auth (jit.conf(5)):
 * s3:// is AWS's, gs:// GCP's, an https:// Azure Blob host
 * (*.blob.core.windows.net) Azure's, any other URL none unless store_auth
 * names a cloud. The one rule jit-fetch (which attaches the credentials,
 * jit-fetch/store-auth.c) and jit-agent (which sends such fetches to the
 * long-lived jit-fetch --serve, jit-agent/fetch-job.c) both follow. Pure:
 * no I/O. */

#include <stddef.h>

#include "cloud.h"

/* The cloud a URL belongs to under the setting auth (store_auth): auto picks it from the
 * scheme or host (none for any other URL); an explicit one must not
 * contradict the URL (-EINVAL, message in msg). */
int store_url_cloud(const char *url, enum cloud auth, enum cloud *ret, char *msg, size_t msg_size);

/* The same from store_auth as written (NULL: auto); -EINVAL for a value
 * that is not auto, aws, gcp, azure or none. */
int store_url_cloud_setting(const char *url, const char *store_auth, enum cloud *ret, char *msg,
                            size_t msg_size);
