/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bundle_url template of jit.conf. The agent expands it (it knows the
 * host id) and hands jit-fetch the finished URL; the helper checks only the
 * URL's scheme, through libcurl's protocol list (jit-fetch/fetch.c). */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle-url.h"

static bool char_is_unreserved(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~';
}

int bundle_url_expand(const char *template, const char *host_id, char **ret) {
        static const char hex[] = "0123456789ABCDEF";
        size_t n = 0, hlen;

        if (!template || !ret)
                return -EINVAL;
        hlen = host_id ? strlen(host_id) : 0;

        /* First pass: validate and size. */
        for (const char *p = template; *p; p++) {
                if (*p != '%') {
                        n++;
                        continue;
                }
                p++;
                if (*p == '%')
                        n++;
                else if (*p == 'h') {
                        if (hlen == 0)
                                return -EINVAL; /* an empty id would name another file */
                        if (hlen > (SIZE_MAX - n) / 3 - 1)
                                return -EINVAL;
                        n += 3 * hlen;
                } else
                        return -EINVAL; /* includes a '%' at the very end */
        }

        char *s = malloc(n + 1), *q = s;
        if (!s)
                return -ENOMEM;
        for (const char *p = template; *p; p++) {
                if (*p != '%') {
                        *q++ = *p;
                        continue;
                }
                p++;
                if (*p == '%') {
                        *q++ = '%';
                        continue;
                }
                for (const char *h = host_id; *h; h++) {
                        if (char_is_unreserved(*h))
                                *q++ = *h;
                        else {
                                *q++ = '%';
                                *q++ = hex[(unsigned char) *h >> 4];
                                *q++ = hex[(unsigned char) *h & 0xf];
                        }
                }
        }
        *q = '\0';
        *ret = s;
        return 0;
}
