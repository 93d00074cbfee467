/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "notify.h"
#include "output.h"

#define NOTIFY_TIMEOUT_SEC 10L
#define NOTIFY_URL_MAX 2048

int notify_url_check(const char *url) {
        if (strlen(url) > NOTIFY_URL_MAX ||
            (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)) {
                ctl_error("--notify: expected an http:// or https:// URL");
                return -1;
        }
        for (const char *p = url; *p; p++)
                if (*p <= 0x20 || *p >= 0x7f) {
                        ctl_error("--notify: the URL holds a space or control character");
                        return -1;
                }
        return 0;
}

/* The answer's body is not ours to print. */
static size_t discard(char *data, size_t size, size_t nmemb, void *userdata) {
        return size * nmemb;
}

int notify_post(const char *url, const char *ca_file, uint64_t serial) {
        char body[64], errbuf[CURL_ERROR_SIZE] = "";
        struct curl_slist *headers = NULL;
        long code = 0;
        CURLcode c;
        CURL *e;
        int r = 0;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(e = curl_easy_init())) {
                ctl_error("--notify: cannot initialise libcurl");
                return -ENOMEM;
        }
        (void) snprintf(body, sizeof(body), "serial %" PRIu64 "\n", serial);
        headers = curl_slist_append(NULL, "Content-Type: text/plain");
        if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http") != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_TIMEOUT, NOTIFY_TIMEOUT_SEC) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK ||
            (ca_file && curl_easy_setopt(e, CURLOPT_CAINFO, ca_file) != CURLE_OK)) {
                ctl_error("--notify: cannot set up the request");
                r = -EIO;
                goto finish;
        }
        c = curl_easy_perform(e);
        (void) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        if (c != CURLE_OK) {
                ctl_error("--notify %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(c));
                r = -EIO;
        } else if (code < 200 || code > 299) {
                /* nchan answers 201 or 202 to a publisher. */
                ctl_error("--notify %s: HTTP %ld", url, code);
                r = -EIO;
        }
finish:
        curl_slist_free_all(headers);
        curl_easy_cleanup(e);
        return r;
}
