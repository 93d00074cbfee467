/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store-cloud.h"

#define AZURE_BLOB_SUFFIX ".blob.core.windows.net"

static bool has_prefix(const char *s, const char *p) {
        return strncmp(s, p, strlen(p)) == 0;
}

/* The host of an https:// URL, into buf; false if none fits. */
static bool https_host(const char *url, char *buf, size_t size) {
        if (strncasecmp(url, "https://", 8) != 0)
                return false;
        const char *h = url + 8;
        size_t n = strcspn(h, "/:?#");
        if (n == 0 || n >= size)
                return false;
        memcpy(buf, h, n);
        buf[n] = '\0';
        return true;
}

static bool is_azure_blob_host(const char *host) {
        size_t n = strlen(host), k = strlen(AZURE_BLOB_SUFFIX);
        return n > k && strcasecmp(host + n - k, AZURE_BLOB_SUFFIX) == 0;
}

int store_url_cloud(const char *url, enum cloud auth, enum cloud *ret, char *msg, size_t msg_size) {
        enum cloud of_url = CLOUD_NONE;
        char host[256];

        if (has_prefix(url, "s3://"))
                of_url = CLOUD_AWS;
        else if (has_prefix(url, "gs://"))
                of_url = CLOUD_GCP;
        else if (https_host(url, host, sizeof(host)) && is_azure_blob_host(host))
                of_url = CLOUD_AZURE;

        if (auth == CLOUD_AUTO) {
                *ret = of_url;
                return 0;
        }
        /* s3:// and gs:// are those stores' URLs: another cloud's identity
         * cannot read them. "none" reads a public bucket. */
        if (auth != CLOUD_NONE && (of_url == CLOUD_AWS || of_url == CLOUD_GCP) && auth != of_url) {
                (void) snprintf(
                        msg, msg_size,
                        "store_auth = %s does not fit a %s URL: use store_auth = %s or auto",
                        cloud_to_string(auth), of_url == CLOUD_AWS ? "s3://" : "gs://",
                        cloud_to_string(of_url));
                return -EINVAL;
        }
        *ret = auth;
        return 0;
}

int store_url_cloud_setting(const char *url, const char *store_auth, enum cloud *ret, char *msg,
                            size_t msg_size) {
        enum cloud setting = CLOUD_AUTO;

        if (store_auth && cloud_from_string(store_auth, &setting) < 0) {
                (void) snprintf(msg, msg_size,
                                "store_auth '%.32s' is not auto, aws, gcp, azure or none",
                                store_auth);
                return -EINVAL;
        }
        return store_url_cloud(url, setting, ret, msg, msg_size);
}
