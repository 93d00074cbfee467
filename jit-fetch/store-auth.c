/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws-sigv4.h"
#include "macro.h"
#include "store-auth.h"

void store_auth_done(struct store_auth *a) {
        if (!a)
                return;
        free(a->url);
        free(a->region);
        *a = (struct store_auth){};
}

void store_headers_free(struct curl_slist *l) {
        for (struct curl_slist *i = l; i; i = i->next)
                if (i->data)
                        explicit_bzero(i->data, strlen(i->data));
        curl_slist_free_all(l);
}

int store_auth_prepare(const struct fetch_options *o, int64_t now, struct store_auth *a, char *msg,
                       size_t msg_size) {
        enum cloud cloud;
        int r;

        *a = (struct store_auth){};
        r = store_url_cloud_setting(o->url, o->store_auth, &cloud, msg, msg_size);
        if (r < 0)
                return r;
        a->cloud = cloud;

        if (cloud == CLOUD_AWS) {
                if (o->store_region)
                        a->region = strdup(o->store_region);
                else {
                        r = credentials_aws_region(o->metadata_endpoint, o->total_timeout_usec,
                                                   &a->region, msg, msg_size);
                        if (r < 0)
                                goto fail;
                }
                if (!a->region) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        r = store_url_resolve(o->url, cloud, o->store_endpoint, a->region, o->allow_http, &a->url,
                              msg, msg_size);
        if (r < 0)
                goto fail;
        if (cloud != CLOUD_NONE && strncmp(a->url, "https://", 8) != 0 && !o->allow_http) {
                /* Credentials never travel in clear unless http was asked for. */
                (void) snprintf(msg, msg_size, "credentials are sent over https only (allow_http)");
                r = -EPROTONOSUPPORT;
                goto fail;
        }
        if (cloud == CLOUD_NONE)
                return 0;
        r = credentials_get(cloud, o->store_client_id, o->metadata_endpoint, o->total_timeout_usec,
                            now, &a->creds, msg, msg_size);
        if (r < 0)
                goto fail;
        return 0;
fail:
        if (r == -ENOMEM)
                (void) snprintf(msg, msg_size, "out of memory");
        store_auth_done(a);
        return r;
}

static int append(struct curl_slist **headers, const char *line) {
        struct curl_slist *l = curl_slist_append(*headers, line);
        if (!l)
                return -ENOMEM;
        *headers = l;
        return 0;
}

int store_auth_apply(const struct store_auth *a, CURL *e, struct curl_slist **headers) {
        _cleanup_strfreezero_ char *h = NULL;
        int r;

        switch (a->cloud) {
        case CLOUD_NONE:
                return 0;
        case CLOUD_AWS:
                return aws_sigv4_apply(e, a->region, a->creds, headers);
        case CLOUD_GCP:
        case CLOUD_AZURE:
                if (!a->creds || !a->creds->bearer)
                        return -EINVAL;
                if (asprintf(&h, "Authorization: Bearer %s", a->creds->bearer) < 0)
                        return -ENOMEM;
                r = append(headers, h);
                if (r >= 0 && a->cloud == CLOUD_AZURE)
                        r = append(headers, "x-ms-version: " AZURE_STORAGE_VERSION);
                return r;
        default:
                return -EINVAL;
        }
}
