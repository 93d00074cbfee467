/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The credentials a fetch from the store carries, chosen by the store URL
 * and store_auth (jit.conf(5)): SigV4 for S3, a bearer token for GCS and
 * Azure Blob (with x-ms-version), nothing otherwise. */

#include <curl/curl.h>
#include <stdint.h>

#include "credentials.h"
#include "fetch-wire.h" /* struct fetch_options */
#include "store-url.h"

/* Azure Blob's REST version: bearer tokens need 2017-11-09 or later. */
#define AZURE_STORAGE_VERSION "2021-08-06"

struct store_auth {
        enum cloud cloud;
        char *url;                       /* what is fetched (https://…) */
        char *region;                    /* AWS */
        const struct credentials *creds; /* borrowed from credentials.c's cache */
};

void store_auth_done(struct store_auth *a);

/* Resolve o->url under o->store_* into what is fetched, and get the
 * instance's credentials for it. On failure msg says what to fix. With no
 * cloud (a plain https:// or file:// store) a->cloud is CLOUD_NONE
 * and a->url a copy of o->url. */
int store_auth_prepare(const struct fetch_options *o, int64_t now, struct store_auth *a, char *msg,
                       size_t msg_size);

/* Attach the credentials to e: signing options, and headers appended to
 * *headers. Nothing for CLOUD_NONE. */
int store_auth_apply(const struct store_auth *a, CURL *e, struct curl_slist **headers);

/* Wipe the header lines (they may hold a token), then free the list. */
void store_headers_free(struct curl_slist *l);
