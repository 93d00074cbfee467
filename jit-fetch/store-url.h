/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Store URLs of the object stores, and whose credentials go with them:
 *
 *   s3://BUCKET/KEY    https://BUCKET.s3.REGION.amazonaws.com/KEY (AWS)
 *   gs://BUCKET/KEY    https://storage.googleapis.com/BUCKET/KEY (GCP)
 *   https://ACCOUNT.blob.core.windows.net/CONTAINER/KEY (Azure)
 *
 * With an endpoint (store_endpoint: tests, S3-compatible stores, Azurite),
 * the object is ENDPOINT/BUCKET/KEY (path style). Pure functions: no I/O. */

#include <stdbool.h>
#include <stddef.h>

#include "store-cloud.h" /* enum cloud, and whose credentials a URL takes */

/* The https (or, with allow_http, http) URL fetched for url. region is
 * needed for s3:// without an endpoint. Bucket names, object keys and
 * endpoints are checked: keys hold only A-Z a-z 0-9 - . _ ~ and '/', no
 * empty, "." or ".." segment (what libcurl 7.88 signs as it sends it for
 * SigV4, and what no layer rewrites). *ret is the caller's to free. */
int store_url_resolve(const char *url, enum cloud cloud, const char *endpoint, const char *region,
                      bool allow_http, char **ret, char *msg, size_t msg_size);
