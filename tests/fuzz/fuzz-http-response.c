/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What jit-agent keeps from an HTTP response: the header callback (ETag,
 * Location, Date; a new status line resets them) and the body callback
 * (the max_bundle_size cap, growth of the buffer). libcurl itself is not
 * ours to fuzz; its callbacks are, so the harness includes fetch.c to reach
 * them and calls them as curl would, one header line or one body chunk at
 * a time.
 *
 * Input: 2 bytes body cap (1 … 65536), 1 byte body chunk size (1 … 256),
 * then the header block (lines ending in "\n", up to an empty line), then
 * the body. */
#include <assert.h>

#include "fetch.c"
#include "fuzz.h"

static bool is_trimmed(const char *s) {
        size_t n = strlen(s);

        if (n == 0)
                return false;
        if (strchr(" \t", s[0]) || strchr(" \t\r\n", s[n - 1]))
                return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static CURL *easy;
        struct fetcher f = {};
        const char *p, *end;
        size_t chunk, fed = 0;
        bool refused = false;

        if (size < 3)
                return 0;
        /* A real handle that has made no transfer: its response code is 0,
         * as for file://, so the body is kept. */
        if (!easy)
                assert((easy = curl_easy_init()));
        f.max_size = 1 + ((size_t) data[0] << 8 | data[1]);
        chunk = 1 + (size_t) data[2];
        p = (const char *) data + 3;
        end = (const char *) data + size;

        /* Headers: one call per line, the line's end included, as curl does. */
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) + 1 : (size_t) (end - p);
                bool last = n == 1 || (n == 2 && p[0] == '\r');

                /* curl refuses a header with a NUL byte before any callback. */
                if (!memchr(p, '\0', n))
                        assert(on_curl_header((char *) p, 1, n, &f) == n);
                p += n;
                if (f.etag) {
                        assert(strlen(f.etag) <= FETCH_ETAG_MAX && is_trimmed(f.etag));
                        assert(!strchr(f.etag, '\n'));
                }
                if (f.location)
                        assert(strlen(f.location) <= FETCH_LOCATION_MAX && is_trimmed(f.location));
                assert(f.server_date >= 0);
                if (last)
                        break;
        }

        /* Body: chunks until the cap refuses one (curl then ends the
         * transfer, so nothing more is fed). */
        f.easy = easy;
        while (p < end) {
                size_t n = chunk < (size_t) (end - p) ? chunk : (size_t) (end - p);
                size_t r = on_curl_write((char *) p, 1, n, &f);

                if (r == 0) {
                        assert(f.too_big && fed + n > f.max_size);
                        refused = true;
                        break;
                }
                assert(r == n);
                fed += n;
                p += n;
                assert(f.body_len == fed && f.body_len <= f.max_size);
                assert(f.body_alloc <= f.max_size + 1 && f.body[f.body_len] == '\0');
        }
        if (!refused && fed > 0)
                assert(memcmp(f.body, end - fed, fed) == 0);
        assert(!f.too_big || refused);

        f.easy = NULL; /* ours is reused; transfer_reset() would clean it up */
        transfer_reset(&f);
        return 0;
}
