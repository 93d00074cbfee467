/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bundle_url_expand(): the store URL template of jit.conf and the host id.
 * There is no inverse to round-trip through, so the harness checks the
 * output against the template piece by piece: literal bytes are copied,
 * "%%" is one '%', "%h" is the host id with every byte but the URL
 * unreserved ones percent-encoded (so a host id can never add a '/', '?',
 * '#', '@' or '%' of its own to the URL), and any other '%' is refused.
 * Input: TEMPLATE NUL HOST_ID (no NUL: the host id is "pay-db-1"). */
#include <assert.h>
#include <string.h>

#include "bundle-url.h"
#include "fuzz.h"
#include "macro.h"

static bool unreserved(unsigned char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~';
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1; /* the encoder writes upper case only */
}

/* Does s start with host id h, encoded? Returns the encoded length or 0. */
static size_t match_host(const char *s, const char *h) {
        const char *p = s;

        for (; *h; h++) {
                unsigned char c = (unsigned char) *h;

                if (unreserved(c)) {
                        if (*p != *h)
                                return 0;
                        p++;
                } else {
                        if (p[0] != '%' || hexval(p[1]) < 0 || hexval(p[2]) < 0 ||
                            hexval(p[1]) * 16 + hexval(p[2]) != c)
                                return 0;
                        p += 3;
                }
        }
        return (size_t) (p - s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *buf = NULL, *out = NULL;
        const char *template, *host = "pay-db-1", *nul;
        bool valid = true;
        const char *o;
        int r;

        buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        template = buf;
        nul = memchr(buf, '\0', size);
        if (nul)
                host = nul + 1;

        /* Which templates are valid, independently of the code under test. */
        for (const char *p = template; *p; p++)
                if (*p == '%') {
                        if (p[1] == '%')
                                p++;
                        else if (p[1] == 'h' && *host)
                                p++;
                        else {
                                valid = false;
                                break;
                        }
                }

        r = bundle_url_expand(template, host, &out);
        assert((r == 0) == valid);
        if (r < 0) {
                assert(!out);
                return 0;
        }

        o = out;
        for (const char *p = template; *p; p++) {
                if (*p != '%') {
                        assert(*o == *p);
                        o++;
                } else if (p[1] == '%') {
                        assert(*o == '%');
                        o++;
                        p++;
                } else {
                        size_t n = match_host(o, host);

                        assert(n > 0);
                        for (size_t i = 0; i < n; i++)
                                assert(o[i] == '%' || unreserved((unsigned char) o[i]) ||
                                       hexval(o[i]) >= 0);
                        o += n;
                        p++;
                }
        }
        assert(*o == '\0');
        return 0;
}
