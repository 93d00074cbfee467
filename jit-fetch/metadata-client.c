/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The metadata service answers in milliseconds from the hypervisor; a
 * blocking easy transfer in the one-shot helper is enough (the agent's loop
 * never waits on it: it runs in jit-fetch's own process). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "macro.h"
#include "metadata-client.h"

const char *metadata_base_url(void) {
        const char *u = getenv("JIT_METADATA_URL");
        return u && *u ? u : "http://169.254.169.254";
}

struct body {
        char *data;
        size_t len;
        bool too_big;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata) {
        struct body *b = userdata;
        size_t n = size * nmemb;

        if (n > METADATA_BODY_MAX || b->len + n > METADATA_BODY_MAX) {
                b->too_big = true;
                return 0;
        }
        char *p = realloc(b->data, b->len + n + 1);
        if (!p)
                return 0;
        b->data = p;
        memcpy(b->data + b->len, data, n);
        b->len += n;
        b->data[b->len] = '\0';
        return n;
}

static void body_wipe(struct body *b) {
        if (b->data)
                explicit_bzero(b->data, b->len);
        free(b->data);
        b->data = NULL;
}

#define SETOPT(e, opt, val)                                                                        \
        do {                                                                                       \
                if (curl_easy_setopt((e), (opt), (val)) != CURLE_OK) {                             \
                        r = -EIO;                                                                  \
                        goto out;                                                                  \
                }                                                                                  \
        } while (0)

int metadata_request(const char *method, const char *path, const char *const *headers,
                     uint64_t timeout_usec, long *ret_status, char **ret_body, char *msg,
                     size_t msg_size) {
        _cleanup_free_ char *url = NULL;
        struct curl_slist *list = NULL;
        struct body b = {};
        char errbuf[CURL_ERROR_SIZE] = "";
        CURL *e = NULL;
        long ms = (long) (timeout_usec / 1000);
        int r = 0;

        if (msg_size > 0)
                msg[0] = '\0';
        if (asprintf(&url, "%s%s", metadata_base_url(), path) < 0)
                return -ENOMEM;
        for (size_t i = 0; headers && headers[i]; i++) {
                struct curl_slist *l = curl_slist_append(list, headers[i]);
                if (!l) {
                        r = -ENOMEM;
                        goto out;
                }
                list = l;
        }
        e = curl_easy_init();
        if (!e) {
                r = -ENOMEM;
                goto out;
        }
        SETOPT(e, CURLOPT_URL, url);
        SETOPT(e, CURLOPT_PROTOCOLS_STR, "http");
        /* A proxy would see the role's credentials; the service is local. */
        SETOPT(e, CURLOPT_NOPROXY, "*");
        SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
        SETOPT(e, CURLOPT_NOSIGNAL, 1L);
        SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, ms > 2000 ? 2000L : (ms > 0 ? ms : 1L));
        SETOPT(e, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
        SETOPT(e, CURLOPT_ERRORBUFFER, errbuf);
        SETOPT(e, CURLOPT_WRITEFUNCTION, on_write);
        SETOPT(e, CURLOPT_WRITEDATA, &b);
        SETOPT(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) METADATA_BODY_MAX);
        SETOPT(e, CURLOPT_USERAGENT, "jit-agent/" PACKAGE_VERSION);
        if (list)
                SETOPT(e, CURLOPT_HTTPHEADER, list);
        if (strcmp(method, "PUT") == 0) {
                SETOPT(e, CURLOPT_CUSTOMREQUEST, "PUT");
                SETOPT(e, CURLOPT_POSTFIELDS, "");
        }

        CURLcode c = curl_easy_perform(e);
        if (c != CURLE_OK) {
                (void) snprintf(msg, msg_size, "instance metadata service at %s: %s%s",
                                metadata_base_url(), b.too_big ? "answer too large; " : "",
                                errbuf[0] ? errbuf : curl_easy_strerror(c));
                r = c == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EHOSTUNREACH;
                goto out;
        }
        (void) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, ret_status);
        if (!b.data) {
                b.data = strdup("");
                if (!b.data) {
                        r = -ENOMEM;
                        goto out;
                }
        }
        *ret_body = TAKE_PTR(b.data);
out:
        if (r == -ENOMEM || (r == -EIO && msg[0] == '\0'))
                (void) snprintf(msg, msg_size, "cannot ask the instance metadata service: %s",
                                strerror_r(-r, (char[128]){}, 128));
        body_wipe(&b);
        curl_slist_free_all(list);
        if (e)
                curl_easy_cleanup(e);
        return r;
}
