/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host state file (common/host/host-state.c): its text form, hostile
 * texts, load and save, and when a store counts as stale. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "test-util.h"

#include "host-state.h"
#include "jit-limits.h"
#include "macro.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_host_state_round_trip(void **state) {
        static const char text[] = "last-fetch 1800000100\n"
                                   "serial 12\n"
                                   "bundle-sha256 " SHA "\n"
                                   "bundle-iat 1799999990\n"
                                   "bundle-exp 1800000900\n"
                                   "accepted 1800000000\n";
        struct host_state s = {}, t = {}, z = {};
        _cleanup_free_ char *out = NULL, *out2 = NULL, *zero = NULL;
        struct jit_error err = {};

        assert_ok(host_state_parse(text, strlen(text), &s, &err), &err);
        assert_int_equal(s.serial, 12);
        assert_string_equal(s.bundle_sha256, SHA);
        assert_int_equal(s.bundle_iat, 1799999990);
        assert_int_equal(s.bundle_exp, 1800000900);
        assert_int_equal(s.accepted, 1800000000);
        assert_int_equal(s.last_fetch, 1800000100);
        assert_int_equal(host_state_format(&s, &out), 0);
        assert_ok(host_state_parse(out, strlen(out), &t, &err), &err);
        assert_memory_equal(&s, &t, sizeof(s));
        assert_int_equal(host_state_format(&t, &out2), 0);
        assert_string_equal(out, out2);
        /* Each time also in UTC, for a person reading the file. */
        assert_non_null(strstr(out, "bundle-exp 1800000900 2027-01-15T08:15:00Z\n"));
        assert_non_null(strstr(out, "last-fetch 1800000100 2027-01-15T08:01:40Z\n"));

        /* Missing keys default to zero / empty; an empty file is no state. */
        memset(&z, 0xff, sizeof(z));
        assert_ok(host_state_parse("serial 3\n", 9, &z, &err), &err);
        assert_int_equal(z.serial, 3);
        assert_string_equal(z.bundle_sha256, "");
        assert_int_equal(z.bundle_exp, 0);
        assert_int_equal(z.last_fetch, 0);
        assert_ok(host_state_parse("", 0, &z, &err), &err);
        assert_int_equal(z.serial, 0);
        assert_int_equal(host_state_format(&z, &zero), 0);
        assert_null(strstr(zero, "bundle-sha256"));
        assert_ok(host_state_parse(zero, strlen(zero), &t, &err), &err);
        assert_memory_equal(&z, &t, sizeof(z));
}

static const struct test_text_row host_state_hostile[] = {
        TEST_ROW("unknown key", "serial 1\nfoo 2\n", JIT_REASON_MALFORMED),
        TEST_ROW("a UTC time that is not the seconds'",
                 "bundle-exp 1800000900 2027-01-15T08:15:01Z\n", JIT_REASON_MALFORMED),
        TEST_ROW("a UTC time without the seconds", "bundle-exp 2027-01-15T08:15:00Z\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("a UTC time with a zone", "bundle-exp 1800000900 2027-01-15T08:15:00+00:00\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("two spaces before the UTC time", "bundle-exp 1800000900  2027-01-15T08:15:00Z\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("something after the UTC time", "bundle-exp 1800000900 2027-01-15T08:15:00Z x\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("serial given twice", "serial 1\nserial 2\n", JIT_REASON_MALFORMED),
        TEST_ROW("accepted given twice", "accepted 1\naccepted 1\n", JIT_REASON_MALFORMED),
        TEST_ROW("no newline at the end", "serial 1", JIT_REASON_MALFORMED),
        TEST_ROW("blank line", "serial 1\n\n", JIT_REASON_MALFORMED),
        TEST_ROW("CR line ending", "serial 1\r\n", JIT_REASON_MALFORMED),
        TEST_ROW("NUL byte", "serial 1\0\n", JIT_REASON_MALFORMED),
        TEST_ROW("key=value instead of key value", "serial=1\n", JIT_REASON_MALFORMED),
        TEST_ROW("two spaces", "serial  1\n", JIT_REASON_MALFORMED),
        TEST_ROW("serial negative", "serial -1\n", JIT_REASON_MALFORMED),
        TEST_ROW("serial above 2^53-1", "serial 9007199254740992\n", JIT_REASON_MALFORMED),
        TEST_ROW("serial leading zero", "serial 007\n", JIT_REASON_MALFORMED),
        TEST_ROW("digest too short", "bundle-sha256 0123\n", JIT_REASON_MALFORMED),
        TEST_ROW("digest upper case",
                 "bundle-sha256 "
                 "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("digest not hex",
                 "bundle-sha256 "
                 "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("digest too long", "bundle-sha256 " SHA "0\n", JIT_REASON_MALFORMED),
        TEST_ROW("bundle-iat after year 9999", "bundle-iat 253402300800\n", JIT_REASON_MALFORMED),
        TEST_ROW("bundle-exp negative", "bundle-exp -1\n", JIT_REASON_MALFORMED),
        TEST_ROW("last-fetch empty", "last-fetch \n", JIT_REASON_MALFORMED),
        TEST_ROW("accepted with a unit", "accepted 10s\n", JIT_REASON_MALFORMED),
};

static void test_host_state_hostile(void **state) {
        bool ok = true;

        for (size_t i = 0; i < ELEMENTSOF(host_state_hostile); i++) {
                const struct test_text_row *t = &host_state_hostile[i];
                struct host_state s = {.serial = 99};
                struct jit_error err = {};
                int r = host_state_parse(t->text, t->len, &s, &err);

                if (!test_check_reason(t->name, r, &err, t->reason, JIT_REASON_NONE))
                        ok = false;
                else if (s.serial != 99) {
                        print_error("%s: result changed on failure\n", t->name);
                        ok = false;
                }
        }
        assert_true(ok);
        {
                _cleanup_free_ char *big = test_strrep('a', JIT_STATE_FILE_MAX + 1);
                struct host_state s;
                struct jit_error err = {};

                assert_reason(host_state_parse(big, strlen(big), &s, &err), &err,
                              JIT_REASON_TOO_LARGE);
        }
}

static void test_host_state_load_save(void **state) {
        struct test_host *fx = *state;
        _cleanup_free_ char *path = test_strdupf("%s/state", fx->state);
        struct host_state s = {.serial = 5, .bundle_sha256 = SHA, .bundle_exp = 10}, t;
        struct jit_error err = {};

        memset(&t, 0xff, sizeof(t));
        assert_int_equal(host_state_load(fx->c, &t, &err), -ENOENT);
        assert_int_equal(t.serial, 0);
        assert_int_equal(t.bundle_exp, 0);
        assert_string_equal(t.bundle_sha256, "");

        assert_ok(host_state_save(fx->c, &s, &err), &err);
        test_assert_mode(path, 0600);
        assert_ok(host_state_load(fx->c, &t, &err), &err);
        assert_memory_equal(&s, &t, sizeof(s));

        /* A corrupt state file fails, it does not read as "no state". */
        test_write_file(path, "serial 5\nserial 6\n", 0600);
        assert_reason(host_state_load(fx->c, &t, &err), &err, JIT_REASON_MALFORMED);
        test_write_file(path, "serial 5\n", 0644 | 0020);
        assert_reason(host_state_load(fx->c, &t, &err), &err, JIT_REASON_FILE_UNSAFE);
}

/* ---- staleness ---- */

static void test_host_store_is_stale(void **state) {
        struct test_host *fx = *state;
        _cleanup_(config_freep) struct jit_config *c =
                test_host_config(fx, "stale_after = 1h\nclock_skew = 60s\n");
        _cleanup_(config_freep) struct jit_config *z =
                test_host_config(fx, "stale_after = 0\nclock_skew = 0\n");
        const int64_t exp = TEST_NOW;

        /* Stale from exactly exp + stale_after + skew on. */
        assert_false(host_store_is_stale(c, exp, exp));
        assert_false(host_store_is_stale(c, exp, exp + 3600));
        assert_false(host_store_is_stale(c, exp, exp + 3600 + 59));
        assert_true(host_store_is_stale(c, exp, exp + 3600 + 60));
        assert_true(host_store_is_stale(c, exp, exp + 86400));
        assert_false(host_store_is_stale(z, exp, exp - 1));
        assert_true(host_store_is_stale(z, exp, exp));
        /* Extremes saturate instead of wrapping. */
        assert_false(host_store_is_stale(c, INT64_MAX, TEST_NOW));
        assert_true(host_store_is_stale(c, INT64_MIN, TEST_NOW));
        assert_false(host_store_is_stale(c, TEST_NOW, INT64_MIN));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_host_state_round_trip),
                cmocka_unit_test(test_host_state_hostile),
                cmocka_unit_test_setup_teardown(test_host_state_load_save, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_host_store_is_stale, test_host_setup,
                                                test_host_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
