/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A request to jit-fetch --serve (jit-fetch/wire/fetch-request.h) and the
 * option parser it goes through (jit-fetch/fetch-args.c, included here: it
 * is linked into the helper only). The input is the stream on the server's
 * stdin. Properties: fetch_request_parse() gives only 0, -EAGAIN, -E2BIG and
 * -EBADMSG; a complete request is within FETCH_REQUEST_MAX bytes and
 * FETCH_REQUEST_ARGS_MAX options, each "--" and no control byte, and
 * encodes back to the same bytes; fetch_args_parse() of it gives 0 or
 * -EINVAL with a message, and a 0 is a job the server can tell apart (a
 * URL, or a metadata job, a subscription, a server, help), with at most
 * JIT_FETCH_OBJECTS_MAX objects, and a run's objects come without
 * --sha256 or --etag. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fetch-args.c"
#include "fetch-request.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static char buf[FETCH_REQUEST_MAX + 64], again[FETCH_REQUEST_MAX];
        static struct fetch_args a;
        char *args[FETCH_REQUEST_ARGS_MAX + 2];
        size_t n = 0, len = 0, elen = 0;
        char msg[256];
        int r;

        if (size > sizeof(buf))
                size = sizeof(buf);
        memcpy(buf, data, size);
        r = fetch_request_parse(buf, size, args + 1, FETCH_REQUEST_ARGS_MAX, &n, &len, msg,
                                sizeof(msg));
        assert(r == 0 || r == -EAGAIN || r == -E2BIG || r == -EBADMSG);
        if (r < 0)
                return 0;
        assert(len <= FETCH_REQUEST_MAX && len <= size && n >= 1 && n <= FETCH_REQUEST_ARGS_MAX);
        assert(args[n + 1] == NULL);
        for (size_t i = 1; i <= n; i++) {
                assert(args[i][0] == '-' && args[i][1] == '-' && args[i][2]);
                for (const char *p = args[i]; *p; p++)
                        assert((unsigned char) *p >= 0x20 && (unsigned char) *p != 0x7f);
        }
        assert(fetch_request_encode(args + 1, n, again, sizeof(again), &elen) == 0);
        assert(elen == len && memcmp(again, data, len) == 0);

        args[0] = (char *) "jit-fetch --serve";
        r = fetch_args_parse((int) n + 1, args, &a, msg, sizeof(msg));
        assert(r == 0 || r == -EINVAL);
        if (r < 0) {
                assert(msg[0] != '\0');
                return 0;
        }
        assert(a.n_objects <= JIT_FETCH_OBJECTS_MAX);
        assert(a.help || a.serve || a.m.cloud != CLOUD_NONE || a.o.url);
        /* --help ends the parse where it stands (the server refuses it). */
        if (a.n_objects > 0 && !a.help)
                assert(!a.o.sha256 && !a.o.etag);
        return 0;
}
