/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The requests to `jit-fetch --serve` (jit-fetch/wire/fetch-request.h):
 * what the agent encodes splits back into the same options, and a request
 * that is too long, has too many options, an option that is not
 * --name[=value], or no end is refused (or, without its end yet, read
 * further), never answered. tests/bucket/test-serve-request.sh sends the
 * same to the built helper. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fetch-request.h"

static char buf[2 * FETCH_REQUEST_MAX];

/* The options as the agent has them: heap strings, not literals. */
#define S(x) ((char *) (x))

static int parse(size_t len, char **args, size_t *n, size_t *used) {
        char msg[128] = "";
        int r = fetch_request_parse(buf, len, args, FETCH_REQUEST_ARGS_MAX, n, used, msg,
                                    sizeof(msg));
        if (r < 0 && r != -EAGAIN)
                assert_true(msg[0] != '\0'); /* a refusal says what */
        return r;
}

static void test_round_trip(void **state) {
        char *in[] = {S("--url=s3://bucket/head.jwt"), S("--timeout-usec=30000000"),
                      S("--allow-http"), S("--store-endpoint=http://127.0.0.1:9000")};
        char *args[FETCH_REQUEST_ARGS_MAX + 1];
        size_t len = 0, n = 0, used = 0;

        assert_int_equal(fetch_request_encode(in, 4, buf, sizeof(buf), &len), 0);
        assert_int_equal(buf[len - 1], '\0');
        assert_int_equal(buf[len - 2], '\0');
        /* Every prefix is a request not ended yet. */
        for (size_t k = 0; k < len; k++)
                assert_int_equal(parse(k, args, &n, &used), -EAGAIN);
        assert_int_equal(parse(len, args, &n, &used), 0);
        assert_int_equal(used, len);
        assert_int_equal(n, 4);
        for (size_t i = 0; i < 4; i++)
                assert_string_equal(args[i], in[i]);
        assert_null(args[4]);
}

/* Two requests back to back: the first ends at its own terminator. */
static void test_two(void **state) {
        char *a[] = {S("--url=s3://b/one")}, *b[] = {S("--url=s3://b/two")};
        char *args[FETCH_REQUEST_ARGS_MAX + 1];
        size_t l1 = 0, l2 = 0, n = 0, used = 0;

        assert_int_equal(fetch_request_encode(a, 1, buf, sizeof(buf), &l1), 0);
        assert_int_equal(fetch_request_encode(b, 1, buf + l1, sizeof(buf) - l1, &l2), 0);
        assert_int_equal(parse(l1 + l2, args, &n, &used), 0);
        assert_int_equal(used, l1);
        assert_string_equal(args[0], "--url=s3://b/one");
}

static void test_hostile(void **state) {
        static const struct {
                const char *name;
                const char *bytes;
                size_t len;
                int expect;
        } t[] = {
                {"empty request", "\0", 1, -EBADMSG},
                {"not an option", "url=x\0\0", 7, -EBADMSG},
                {"one dash", "-u\0\0", 4, -EBADMSG},
                {"dashes only", "--\0\0", 4, -EBADMSG},
                {"newline inside", "--url=a\nb\0\0", 11, -EBADMSG},
                {"escape inside", "--etag=\x1b[2J\0\0", 13, -EBADMSG},
                {"DEL inside", "--etag=\x7f\0\0", 10, -EBADMSG},
                {"second option bad", "--url=x\0bad\0\0", 13, -EBADMSG},
                {"no terminator yet", "--url=x\0", 8, -EAGAIN},
                {"no NUL yet", "--url=x", 7, -EAGAIN},
        };
        char *args[FETCH_REQUEST_ARGS_MAX + 1];
        size_t n, used;

        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                printf("hostile request: %s\n", t[i].name);
                memcpy(buf, t[i].bytes, t[i].len);
                assert_int_equal(parse(t[i].len, args, &n, &used), t[i].expect);
        }
}

static void test_limits(void **state) {
        char *args[FETCH_REQUEST_ARGS_MAX + 1];
        char *many[FETCH_REQUEST_ARGS_MAX + 1];
        size_t n, used, len, at = 0;

        /* Too long: a request of FETCH_REQUEST_MAX bytes without its end,
         * and one option longer than that. */
        memset(buf, 'x', FETCH_REQUEST_MAX);
        memcpy(buf, "--url=", 6);
        assert_int_equal(parse(FETCH_REQUEST_MAX, args, &n, &used), -E2BIG);
        assert_int_equal(parse(FETCH_REQUEST_MAX - 1, args, &n, &used), -EAGAIN);
        buf[FETCH_REQUEST_MAX + 10] = '\0';
        buf[FETCH_REQUEST_MAX + 11] = '\0';
        assert_int_equal(parse(FETCH_REQUEST_MAX + 12, args, &n, &used), -E2BIG);
        /* Options that fit, but end past the limit. */
        while (at + 100 < FETCH_REQUEST_MAX + 50) {
                memset(buf + at, 'y', 99);
                memcpy(buf + at, "--e=", 4);
                buf[at + 99] = '\0';
                at += 100;
        }
        buf[at++] = '\0';
        assert_int_equal(parse(at, args, &n, &used), -E2BIG);

        /* Too many: FETCH_REQUEST_ARGS_MAX + 1 options. */
        at = 0;
        for (size_t i = 0; i <= FETCH_REQUEST_ARGS_MAX; i++) {
                memcpy(buf + at, "--a\0", 4);
                at += 4;
        }
        buf[at++] = '\0';
        assert_int_equal(parse(at, args, &n, &used), -E2BIG);
        /* … and exactly the limit is fine. */
        at = 0;
        for (size_t i = 0; i < FETCH_REQUEST_ARGS_MAX; i++) {
                memcpy(buf + at, "--a\0", 4);
                at += 4;
        }
        buf[at++] = '\0';
        assert_int_equal(parse(at, args, &n, &used), 0);
        assert_int_equal(n, FETCH_REQUEST_ARGS_MAX);

        /* The encoder refuses the same. */
        for (size_t i = 0; i <= FETCH_REQUEST_ARGS_MAX; i++)
                many[i] = S("--a");
        assert_int_equal(
                fetch_request_encode(many, FETCH_REQUEST_ARGS_MAX + 1, buf, sizeof(buf), &len),
                -E2BIG);
        char *bad[] = {S("--url=a\nb")}, *plain[] = {S("url")};
        assert_int_equal(fetch_request_encode(bad, 1, buf, sizeof(buf), &len), -EINVAL);
        assert_int_equal(fetch_request_encode(plain, 1, buf, sizeof(buf), &len), -EINVAL);
        char *huge = malloc(FETCH_REQUEST_MAX + 1);
        assert_non_null(huge);
        memset(huge, 'z', FETCH_REQUEST_MAX);
        memcpy(huge, "--url=", 6);
        huge[FETCH_REQUEST_MAX] = '\0';
        char *h[] = {huge};
        assert_int_equal(fetch_request_encode(h, 1, buf, sizeof(buf), &len), -E2BIG);
        free(huge);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_two),
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
