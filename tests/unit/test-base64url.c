/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base64url.h"

/* RFC 4648 §10, with the padding dropped as RFC 7515 §2 requires. */
static const struct {
        const char *plain, *encoded;
} rfc4648[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
};

static void test_rfc4648_vectors(void **state) {
        for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
                size_t n = strlen(rfc4648[i].plain), out_len = 99;
                char *enc = NULL;
                uint8_t *dec = NULL;
                struct jit_error err = {};

                assert_int_equal(
                        base64url_encode((const uint8_t *) rfc4648[i].plain, n, &enc, &out_len), 0);
                assert_string_equal(enc, rfc4648[i].encoded);
                assert_int_equal(out_len, strlen(rfc4648[i].encoded));
                assert_int_equal(base64url_encoded_length(n), out_len);

                assert_int_equal(base64url_decode(rfc4648[i].encoded, strlen(rfc4648[i].encoded),
                                                  &dec, &out_len, &err),
                                 0);
                assert_int_equal(out_len, n);
                assert_memory_equal(dec, rfc4648[i].plain, n);
                assert_int_equal(dec[n], 0); /* NUL-terminated, not counted */
                free(enc);
                free(dec);
        }
}

/* The url-safe characters '-' and '_' (62, 63) appear here, where standard
 * base64 would have '+' and '/'. */
static const char all_bytes_encoded[] =
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4"
        "OTo7PD0-P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx"
        "cnN0dXZ3eHl6e3x9fn-AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmq"
        "q6ytrq-wsbKztLW2t7i5uru8vb6_wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t_g4eLj"
        "5OXm5-jp6uvs7e7v8PHy8_T19vf4-fr7_P3-_w";

static void test_all_byte_values(void **state) {
        uint8_t in[256], *dec = NULL;
        char *enc = NULL;
        size_t len = 0;

        for (size_t i = 0; i < 256; i++)
                in[i] = (uint8_t) i;
        assert_int_equal(base64url_encode(in, sizeof(in), &enc, &len), 0);
        assert_string_equal(enc, all_bytes_encoded);
        assert_int_equal(base64url_decode(enc, len, &dec, &len, NULL), 0);
        assert_int_equal(len, 256);
        assert_memory_equal(dec, in, 256);
        free(enc);
        free(dec);
}

/* Every possible byte as an input character: exactly the 64 of the url-safe
 * alphabet are accepted, each decoding to its own value. */
static void test_every_input_byte(void **state) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789-_";
        unsigned accepted = 0;

        for (unsigned c = 0; c < 256; c++) {
                char in[4] = {'A', 'A', 'A', (char) c};
                const char *where = c ? memchr(alphabet, (int) c, 64) : NULL;
                struct jit_error err = {};
                uint8_t *dec = NULL;
                size_t len = 0;
                int r;

                r = base64url_decode(in, sizeof(in), &dec, &len, &err);
                if (where) {
                        assert_int_equal(r, 0);
                        assert_int_equal(len, 3);
                        assert_int_equal(dec[2], (uint8_t) (where - alphabet));
                        accepted++;
                } else {
                        assert_int_equal(r, -EBADMSG);
                        assert_int_equal(err.reason, JIT_REASON_BASE64);
                        assert_null(dec);
                }
                free(dec);
        }
        assert_int_equal(accepted, 64);
}

/* xorshift64: deterministic, so a failure reproduces. */
static uint64_t rng_next(uint64_t *s) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

static void test_round_trip(void **state) {
        uint64_t seed = 0x9e3779b97f4a7c15ULL;

        for (size_t n = 0; n <= 300; n++) {
                uint8_t in[300], *dec = NULL;
                char *enc = NULL;
                size_t enc_len = 0, dec_len = 0;

                for (size_t i = 0; i < n; i++)
                        in[i] = (uint8_t) rng_next(&seed);
                assert_int_equal(base64url_encode(in, n, &enc, &enc_len), 0);
                assert_int_equal(enc_len, base64url_encoded_length(n));
                assert_int_equal(strlen(enc), enc_len);
                assert_int_not_equal(enc_len % 4, 1);
                assert_int_equal(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789-_"),
                                 enc_len);
                assert_int_equal(base64url_decode(enc, enc_len, &dec, &dec_len, NULL), 0);
                assert_int_equal(dec_len, n);
                if (n > 0)
                        assert_memory_equal(dec, in, n);
                assert_int_equal(dec[n], 0);
                free(enc);
                free(dec);
        }
}

static void test_encoded_length(void **state) {
        assert_int_equal(base64url_encoded_length(0), 0);
        assert_int_equal(base64url_encoded_length(1), 2);
        assert_int_equal(base64url_encoded_length(2), 3);
        assert_int_equal(base64url_encoded_length(3), 4);
        assert_int_equal(base64url_encoded_length(32), 43);
        assert_int_equal(base64url_encoded_length(64), 86);
        /* Would wrap around: saturates, and the encoder refuses. */
        assert_int_equal(base64url_encoded_length(SIZE_MAX), SIZE_MAX);
        assert_int_equal(base64url_encoded_length(SIZE_MAX / 3 * 3), SIZE_MAX);
}

static void test_encode_overflow(void **state) {
        static const uint8_t b = 0;
        char *enc = NULL;

        assert_int_equal(base64url_encode(&b, SIZE_MAX, &enc, NULL), -EOVERFLOW);
        assert_null(enc);
}

/* Hostile inputs: each must fail with EBADMSG and reason BASE64. The length
 * is explicit so embedded NULs count. */
#define ROW(name, s)                                                                               \
        { name, s, sizeof(s) - 1 }
static const struct {
        const char *name;
        const char *in;
        size_t len;
} hostile[] = {
        ROW("padding '=='", "Zg=="),
        ROW("padding '='", "Zm8="),
        ROW("lone '='", "===="),
        ROW("standard '+'", "+/8A"),
        ROW("standard '/'", "AB/A"),
        ROW("trailing newline", "Zm9v\n"),
        ROW("trailing CRLF", "Zm9vYg\r\n"),
        ROW("leading space", " Zm9v"),
        ROW("inner space", "Zm 9v"),
        ROW("tab", "Zm9\tv"),
        ROW("embedded NUL", "Zm\0v"),
        ROW("trailing NUL", "Zm9v\0\0\0\0"),
        ROW("length 1 mod 4: one char", "Z"),
        ROW("length 1 mod 4: five chars", "Zm9vY"),
        ROW("non-canonical 1-byte tail QR", "QR"),
        ROW("non-canonical 1-byte tail Zh", "Zh"),
        ROW("non-canonical 2-byte tail Zm9", "Zm9"),
        ROW("non-canonical tail after block", "Zm9vYh"),
        ROW("dot", "Zm.v"),
        ROW("tilde", "Zm~v"),
        ROW("byte 0x80", "Zm\x80v"),
        ROW("byte 0xff", "\xffZm9"),
        ROW("UTF-8 letter", "Zm\xc3\xa9"),
        ROW("asterisk", "Zm9*"),
};

static void test_hostile(void **state) {
        for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
                struct jit_error err = {};
                uint8_t *dec = NULL;
                size_t len = 12345;
                int r;

                r = base64url_decode(hostile[i].in, hostile[i].len, &dec, &len, &err);
                if (r != -EBADMSG || err.reason != JIT_REASON_BASE64)
                        fail_msg("%s: r=%d reason=%d", hostile[i].name, r, err.reason);
                assert_null(dec);
                assert_int_equal(len, 12345);
                assert_true(err.message[0] != 0);
        }
}

/* The canonical forms of the non-canonical rows above are accepted, so those
 * rows fail for their tail bits and nothing else. */
static void test_canonical_tails(void **state) {
        static const struct {
                const char *in;
                const char *out;
        } ok[] = {{"QQ", "A"}, {"Zg", "f"}, {"Zm8", "fo"}, {"Zm9vYg", "foob"}};

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                uint8_t *dec = NULL;
                size_t len = 0;

                assert_int_equal(base64url_decode(ok[i].in, strlen(ok[i].in), &dec, &len, NULL), 0);
                assert_int_equal(len, strlen(ok[i].out));
                assert_memory_equal(dec, ok[i].out, len);
                free(dec);
        }
}

static void test_empty(void **state) {
        uint8_t *dec = NULL;
        char *enc = NULL;
        size_t len = 7;

        assert_int_equal(base64url_decode(NULL, 0, &dec, &len, NULL), 0);
        assert_non_null(dec);
        assert_int_equal(len, 0);
        assert_int_equal(dec[0], 0);
        assert_int_equal(base64url_encode(NULL, 0, &enc, NULL), 0);
        assert_string_equal(enc, "");
        free(dec);
        free(enc);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc4648_vectors),
                cmocka_unit_test(test_all_byte_values),
                cmocka_unit_test(test_every_input_byte),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_encoded_length),
                cmocka_unit_test(test_encode_overflow),
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_canonical_tails),
                cmocka_unit_test(test_empty),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
