/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Expand the bundle_url template of jit.conf: "%h" becomes the host id
 * (percent-encoded where a URL needs it), "%%" a '%'. Any other '%' is
 * -EINVAL, as is an empty host id where "%h" is used. */
int bundle_url_expand(const char *template, const char *host_id, char **ret);
