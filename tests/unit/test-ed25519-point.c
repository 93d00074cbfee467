/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ed25519_point_check(): every encoding a trust store must refuse, one row
 * each, named by what is wrong, against keys that must load. The
 * small-order rows are the 8 points of order 1, 2, 4 and 8 in their canonical
 * encodings, then the other encodings libsodium's has_small_order() also
 * blocks (a set sign bit on x = 0; y + p). */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ed25519-point.h"
#include "macro.h"

/* Little-endian y with the sign of x in the top bit (RFC 8032 §5.1.2). */
#define Z30 "000000000000000000000000000000000000000000000000000000000000"
#define F30 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define Y8 "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc"
#define Y8N "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03"

struct point_case {
        const char *name;
        const char *hex;
        enum ed25519_point_flaw flaw;
};

static const struct point_case point_cases[] = {
        /* Positive controls */
        {"test key (tests/unit/test-jwk.c ED_X)",
         "0aa20fea9d0071c523c282470bec429990a984b7f64b8fce351646a673b550ce", ED25519_POINT_OK},
        {"RFC 8032 7.1 test 1 public key",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", ED25519_POINT_OK},
        {"base point B (y = 4/5)",
         "5866666666666666666666666666666666666666666666666666666666666666", ED25519_POINT_OK},

        /* The 8 small-order points, canonical */
        {"identity (order 1)", "01" Z30 "00", ED25519_POINT_SMALL_ORDER},
        {"(0, -1) (order 2)", "ec" F30 "7f", ED25519_POINT_SMALL_ORDER},
        {"(sqrt(-1), 0) sign clear (order 4)", "00" Z30 "00", ED25519_POINT_SMALL_ORDER},
        {"(sqrt(-1), 0) sign set (order 4)", "00" Z30 "80", ED25519_POINT_SMALL_ORDER},
        {"order 8, y8, sign clear", Y8 "05", ED25519_POINT_SMALL_ORDER},
        {"order 8, y8, sign set", Y8 "85", ED25519_POINT_SMALL_ORDER},
        {"order 8, -y8, sign clear", Y8N "7a", ED25519_POINT_SMALL_ORDER},
        {"order 8, -y8, sign set", Y8N "fa", ED25519_POINT_SMALL_ORDER},

        /* Their other encodings */
        {"identity with sign set (x = -0)", "01" Z30 "80", ED25519_POINT_SMALL_ORDER},
        {"(0, -1) with sign set (x = -0)", "ec" F30 "ff", ED25519_POINT_SMALL_ORDER},
        {"y = p (0, non-canonical)", "ed" F30 "7f", ED25519_POINT_SMALL_ORDER},
        {"y = p (0, non-canonical), sign set", "ed" F30 "ff", ED25519_POINT_SMALL_ORDER},
        {"y = p + 1 (identity, non-canonical)", "ee" F30 "7f", ED25519_POINT_SMALL_ORDER},
        {"y = p + 1 (identity, non-canonical), sign set", "ee" F30 "ff", ED25519_POINT_SMALL_ORDER},

        /* Non-canonical y of other points */
        {"y = p + 2", "ef" F30 "7f", ED25519_POINT_NON_CANONICAL},
        {"y = 2^255 - 1 (p + 18), sign set", "ff" F30 "ff", ED25519_POINT_NON_CANONICAL},
        {"y = 2^255 - 1 (p + 18)", "ff" F30 "7f", ED25519_POINT_NON_CANONICAL},

        /* No point has this y */
        {"y = 2 (x^2 not a square)", "02" Z30 "00", ED25519_POINT_NOT_ON_CURVE},
        {"y = 2, sign set", "02" Z30 "80", ED25519_POINT_NOT_ON_CURVE},

        /* On the curve, with a small-order component: accepted, as libsodium's
         * verifier does; only the holder of the prime-order part's secret
         * can sign under it (ed25519-point.h says why it is not checked). */
        {"test key + (0, -1)", "e35df01562ff8e3adc3d7db8f413bd666f567b4809b47031cae9b9598c4aaf31",
         ED25519_POINT_OK},
        {"test key + (sqrt(-1), 0)",
         "b58f4f538291ca7661b348950d6056b3c51870d727df1a67e56a4f19a8262775", ED25519_POINT_OK},
};

static void unhex32(const char *s, uint8_t out[ED25519_POINT_BYTES]) {
        assert_int_equal(strlen(s), 2 * ED25519_POINT_BYTES);
        for (size_t i = 0; i < ED25519_POINT_BYTES; i++)
                assert_int_equal(sscanf(s + 2 * i, "%2hhx", &out[i]), 1);
}

static void test_point_table(void **state) {
        unsigned failures = 0;

        for (size_t i = 0; i < ELEMENTSOF(point_cases); i++) {
                const struct point_case *c = &point_cases[i];
                uint8_t enc[ED25519_POINT_BYTES];
                int r;

                unhex32(c->hex, enc);
                r = ed25519_point_check(enc);
                if (r != (int) c->flaw) {
                        print_error("FAIL %s: %d (%s), expected %d (%s)\n", c->name, r,
                                    r >= 0 ? ed25519_point_flaw_to_string(r) : "error",
                                    (int) c->flaw, ed25519_point_flaw_to_string(c->flaw));
                        failures++;
                }
        }
        print_message("%zu point rows, %u failures\n", ELEMENTSOF(point_cases), failures);
        assert_int_equal(failures, 0);
}

/* Each flaw has its own message (they are what an administrator reads). */
static void test_point_messages(void **state) {
        for (int a = ED25519_POINT_OK; a <= ED25519_POINT_NOT_ON_CURVE; a++)
                for (int b = a + 1; b <= ED25519_POINT_NOT_ON_CURVE; b++)
                        assert_string_not_equal(ed25519_point_flaw_to_string(a),
                                                ed25519_point_flaw_to_string(b));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_point_table),
                cmocka_unit_test(test_point_messages),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
