/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The object-store side of jit-fetch on hostile input: store URLs
 * (store_url_cloud, store_url_resolve: jit.conf's bundle_url and
 * store_endpoint) and an object store's error response (store_error_explain:
 * bytes from the network). Properties: a resolved URL holds only what a
 * signed request can carry as written (no '%', '?', '#', '@', white space or
 * control byte, no "/../", "/./" or "//" after the host); an explanation is
 * always an error with a printable, bounded message that echoes no markup
 * from the body. Input: 1 byte (bits 0-2 the cloud setting, bit 3 allow_http,
 * bits 4-7 the status index), then URL NUL ENDPOINT NUL BODY (missing parts
 * are absent). */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "macro.h"
#include "store-error.h"
#include "store-url.h"

static const long statuses[16] = {200, 301, 302, 304, 307, 400, 401, 403,
                                  404, 409, 410, 429, 500, 503, 0,   999};

static void check_printable(const char *s) {
        for (; *s; s++)
                assert((unsigned char) *s >= 0x20 && (unsigned char) *s < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *buf = NULL, *out = NULL;
        char msg[512];
        enum cloud setting, cloud = CLOUD_NONE;
        const char *url, *endpoint = NULL, *body = NULL, *p;
        int r;

        if (size < 1)
                return 0;
        setting = (enum cloud)(data[0] & 7);
        if (setting > CLOUD_AZURE)
                setting = CLOUD_AUTO;
        bool allow_http = data[0] & 8;
        long status = statuses[data[0] >> 4];

        buf = malloc(size);
        if (!buf)
                return 0;
        memcpy(buf, data + 1, size - 1);
        buf[size - 1] = '\0';
        url = buf;
        p = memchr(buf, '\0', size - 1);
        if (p && (size_t) (p + 1 - buf) < size - 1) {
                endpoint = p + 1;
                p = memchr(endpoint, '\0', size - 1 - (size_t) (endpoint - buf));
                if (p && (size_t) (p + 1 - buf) < size - 1)
                        body = p + 1;
                if (!*endpoint)
                        endpoint = NULL;
        }

        msg[0] = '\0';
        r = store_url_cloud(url, setting, &cloud, msg, sizeof(msg));
        if (r >= 0)
                r = store_url_resolve(url, cloud, endpoint, "eu-west-1", allow_http, &out, msg,
                                      sizeof(msg));
        if (r < 0) {
                assert(!out);
                assert(strlen(msg) < sizeof(msg));
        } else if (cloud != CLOUD_NONE) {
                /* What is sent with credentials: https (or allowed http),
                 * a host, then a path of plain characters only. */
                const char *path;

                assert(strncmp(out, "https://", 8) == 0 ||
                       (allow_http && strncmp(out, "http://", 7) == 0));
                path = strchr(out + (out[4] == 's' ? 8 : 7), '/');
                assert(path);
                for (const char *c = path; *c; c++)
                        assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789-._~/",
                                      *c));
                assert(!strstr(path, "//"));
                assert(!strstr(path, "/../"));
                assert(!strstr(path, "/./"));
        }

        msg[0] = '\0';
        r = store_error_explain(&(struct store_refusal){.cloud = cloud,
                                                        .status = status,
                                                        .body = body,
                                                        .error_code = endpoint,
                                                        .bucket_region = endpoint,
                                                        .region = "eu-west-1",
                                                        .role = "jit-host",
                                                        .url = "s3://b/k"},
                                msg, sizeof(msg));
        assert(r < 0);
        assert(msg[0] != '\0' && strlen(msg) < sizeof(msg));
        /* Nothing of the body or the headers but plain error codes is
         * passed on: no markup, no control byte. */
        assert(!strchr(msg, '<'));
        check_printable(msg);
        return 0;
}
