/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The users file of one user (common/host/user-grants.c): its text form,
 * hostile texts, limits, and loading it as pam_jit does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"

#include "jit-limits.h"
#include "macro.h"
#include "user-grants.h"

static void test_user_grants_round_trip(void **state) {
        static const char text[] = "serial 42\n"
                                   "bundle-exp 1800000900\n"
                                   "grant aaa.bbb.ccc\n"
                                   "revoked zz-9\n"
                                   "grant eyJ0eXAi-_.x.y\n"
                                   "revoked a:1\n";
        static const char canonical[] = "serial 42\n"
                                        "bundle-exp 1800000900\n"
                                        "grant aaa.bbb.ccc\n"
                                        "grant eyJ0eXAi-_.x.y\n"
                                        "revoked a:1\n"
                                        "revoked zz-9\n";
        _cleanup_(user_grants_freep) struct user_grants *u = NULL, *v = NULL, *e = NULL;
        _cleanup_free_ char *out = NULL, *out2 = NULL, *empty = NULL;
        struct jit_error err = {};

        assert_ok(user_grants_parse(text, strlen(text), &u, &err), &err);
        assert_int_equal(u->serial, 42);
        assert_int_equal(u->bundle_exp, 1800000900);
        assert_int_equal(u->n_grants, 2);
        assert_string_equal(u->grants[0], "aaa.bbb.ccc");
        assert_string_equal(u->grants[1], "eyJ0eXAi-_.x.y");
        assert_null(u->grants[2]);
        /* Stored sorted, whatever the file order. */
        assert_int_equal(u->n_revoked, 2);
        assert_string_equal(u->revoked[0], "a:1");
        assert_string_equal(u->revoked[1], "zz-9");
        assert_null(u->revoked[2]);
        assert_true(user_grants_is_revoked(u, "a:1"));
        assert_true(user_grants_is_revoked(u, "zz-9"));
        assert_false(user_grants_is_revoked(u, "a"));
        assert_false(user_grants_is_revoked(u, "zz-91"));

        assert_int_equal(user_grants_format(u, &out), 0);
        assert_string_equal(out, canonical);
        assert_ok(user_grants_parse(out, strlen(out), &v, &err), &err);
        assert_int_equal(user_grants_format(v, &out2), 0);
        assert_string_equal(out2, out);

        /* No grants at all is a valid file (lists empty, not NULL). */
        assert_ok(user_grants_parse("serial 0\nbundle-exp 0\n", 22, &e, &err), &err);
        assert_int_equal(e->n_grants, 0);
        assert_non_null(e->grants);
        assert_null(e->grants[0]);
        assert_false(user_grants_is_revoked(e, "a:1"));
        assert_int_equal(user_grants_format(e, &empty), 0);
        assert_string_equal(empty, "serial 0\nbundle-exp 0\n");
}

#define HDR "serial 1\nbundle-exp 5\n"

static const struct test_text_row user_grants_hostile[] = {
        TEST_ROW("empty file", "", JIT_REASON_MALFORMED),
        TEST_ROW("serial missing", "bundle-exp 5\ngrant a.b.c\n", JIT_REASON_MALFORMED),
        TEST_ROW("bundle-exp missing", "serial 1\n", JIT_REASON_MALFORMED),
        TEST_ROW("bundle-exp missing before grant", "serial 1\ngrant a.b.c\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("header lines swapped", "bundle-exp 5\nserial 1\n", JIT_REASON_MALFORMED),
        TEST_ROW("serial given twice", HDR "serial 2\n", JIT_REASON_MALFORMED),
        TEST_ROW("bundle-exp given twice", HDR "bundle-exp 6\n", JIT_REASON_MALFORMED),
        TEST_ROW("no newline at the end", HDR "grant a.b.c", JIT_REASON_MALFORMED),
        TEST_ROW("no newline after header", "serial 1\nbundle-exp 5", JIT_REASON_MALFORMED),
        TEST_ROW("blank line", HDR "\ngrant a.b.c\n", JIT_REASON_MALFORMED),
        TEST_ROW("CR line ending", "serial 1\r\nbundle-exp 5\n", JIT_REASON_MALFORMED),
        TEST_ROW("CR after a token", HDR "grant a.b.c\r\n", JIT_REASON_MALFORMED),
        TEST_ROW("NUL inside a token", HDR "grant a.b\0.c\n", JIT_REASON_MALFORMED),
        TEST_ROW("NUL line", HDR "\0\n", JIT_REASON_MALFORMED),
        TEST_ROW("unknown keyword", HDR "grants a.b.c\n", JIT_REASON_MALFORMED),
        TEST_ROW("keyword in upper case", HDR "GRANT a.b.c\n", JIT_REASON_MALFORMED),
        TEST_ROW("keyword without value", HDR "grant\n", JIT_REASON_MALFORMED),
        TEST_ROW("empty token", HDR "grant \n", JIT_REASON_MALFORMED),
        TEST_ROW("two spaces before token", HDR "grant  a.b.c\n", JIT_REASON_MALFORMED),
        TEST_ROW("trailing space", HDR "grant a.b.c \n", JIT_REASON_MALFORMED),
        TEST_ROW("leading space", HDR " grant a.b.c\n", JIT_REASON_MALFORMED),
        TEST_ROW("tab as separator", HDR "grant\ta.b.c\n", JIT_REASON_MALFORMED),
        TEST_ROW("token with '/'", HDR "grant a/b.c\n", JIT_REASON_MALFORMED),
        TEST_ROW("token with '=' padding", HDR "grant a.b.c=\n", JIT_REASON_MALFORMED),
        TEST_ROW("token with '+'", HDR "grant a+b.c\n", JIT_REASON_MALFORMED),
        TEST_ROW("token with a space inside", HDR "grant a.b c\n", JIT_REASON_MALFORMED),
        TEST_ROW("revoked id with '/'", HDR "revoked a/b\n", JIT_REASON_MALFORMED),
        TEST_ROW("revoked id with a space", HDR "revoked a b\n", JIT_REASON_MALFORMED),
        TEST_ROW("revoked id empty", HDR "revoked \n", JIT_REASON_MALFORMED),
        TEST_ROW("revoked id listed twice", HDR "revoked g-1\nrevoked g-1\n", JIT_REASON_MALFORMED),
        TEST_ROW("serial negative", "serial -1\nbundle-exp 5\n", JIT_REASON_MALFORMED),
        TEST_ROW("serial with '+'", "serial +1\nbundle-exp 5\n", JIT_REASON_MALFORMED),
        TEST_ROW("serial with a leading zero", "serial 01\nbundle-exp 5\n", JIT_REASON_MALFORMED),
        TEST_ROW("serial in hex", "serial 0x1\nbundle-exp 5\n", JIT_REASON_MALFORMED),
        TEST_ROW("serial above 2^53-1", "serial 9007199254740992\nbundle-exp 5\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("serial overflowing 64 bits", "serial 18446744073709551616\nbundle-exp 5\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("bundle-exp negative", "serial 1\nbundle-exp -5\n", JIT_REASON_MALFORMED),
        TEST_ROW("bundle-exp after year 9999", "serial 1\nbundle-exp 253402300800\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("bundle-exp empty", "serial 1\nbundle-exp \n", JIT_REASON_MALFORMED),
};

static void test_user_grants_hostile(void **state) {
        bool ok = true;

        for (size_t i = 0; i < ELEMENTSOF(user_grants_hostile); i++) {
                const struct test_text_row *t = &user_grants_hostile[i];
                struct user_grants *u = (struct user_grants *) 0x1;
                struct jit_error err = {};
                int r = user_grants_parse(t->text, t->len, &u, &err);

                if (!test_check_reason(t->name, r, &err, t->reason, JIT_REASON_NONE))
                        ok = false;
                else if (r != -EINVAL || u != (struct user_grants *) 0x1) {
                        print_error("%s: r=%d or result set\n", t->name, r);
                        ok = false;
                }
        }
        assert_true(ok);
}

/* Lines numbered in the message, so an admin can find the bad one. */
static void test_user_grants_message(void **state) {
        static const char text[] = HDR "grant a.b.c\nbogus x\n";
        struct user_grants *u = NULL;
        struct jit_error err = {};

        assert_reason(user_grants_parse(text, strlen(text), &u, &err), &err, JIT_REASON_MALFORMED);
        assert_string_equal(err.message, "line 4: unknown keyword 'bogus'");
}

static char *grants_text(size_t n_grants, size_t n_revoked, size_t token_len) {
        _cleanup_free_ char *tok = test_strrep('a', token_len);
        size_t cap = 64 + n_grants * (token_len + 8) + n_revoked * 32;
        char *s = malloc(cap), *p = s;

        assert_non_null(s);
        p += sprintf(p, HDR);
        for (size_t i = 0; i < n_grants; i++)
                p += sprintf(p, "grant %s\n", tok);
        for (size_t i = 0; i < n_revoked; i++)
                p += sprintf(p, "revoked g-%zu\n", i);
        return s;
}

static void test_user_grants_limits(void **state) {
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        struct jit_error err = {};
        char *t;

        /* At the limits: accepted. */
        t = grants_text(1, 0, JIT_GRANT_TOKEN_MAX);
        assert_ok(user_grants_parse(t, strlen(t), &u, &err), &err);
        free(t);
        user_grants_free(TAKE_PTR(u));
        t = grants_text(JIT_USER_GRANTS_MAX, JIT_USER_GRANTS_MAX, 5);
        assert_ok(user_grants_parse(t, strlen(t), &u, &err), &err);
        assert_int_equal(u->n_grants, JIT_USER_GRANTS_MAX);
        assert_int_equal(u->n_revoked, JIT_USER_GRANTS_MAX);
        assert_true(user_grants_is_revoked(u, "g-1023"));
        free(t);

        /* One past each: refused with the specific reason. */
        t = grants_text(1, 0, JIT_GRANT_TOKEN_MAX + 1);
        assert_reason(user_grants_parse(t, strlen(t), &u, &err), &err, JIT_REASON_MALFORMED);
        free(t);
        t = grants_text(JIT_USER_GRANTS_MAX + 1, 0, 5);
        assert_reason(user_grants_parse(t, strlen(t), &u, &err), &err, JIT_REASON_TOO_LARGE);
        free(t);
        t = grants_text(0, JIT_USER_GRANTS_MAX + 1, 5);
        assert_reason(user_grants_parse(t, strlen(t), &u, &err), &err, JIT_REASON_TOO_LARGE);
        free(t);
        t = test_strdupf("%s", HDR "revoked ");
        {
                _cleanup_free_ char *id = test_strrep('x', JIT_JTI_MAX + 1);
                _cleanup_free_ char *s = test_strdupf("%s%s\n", t, id);

                assert_reason(user_grants_parse(s, strlen(s), &u, &err), &err,
                              JIT_REASON_MALFORMED);
        }
        free(t);
        /* A file over the cap is refused before it is read line by line. */
        t = test_strrep('a', JIT_USER_FILE_MAX + 1);
        assert_reason(user_grants_parse(t, JIT_USER_FILE_MAX + 1, &u, &err), &err,
                      JIT_REASON_TOO_LARGE);
        free(t);
}

static void test_user_grants_format_refuses(void **state) {
        char *bad_tok[] = {(char *) "a.b c", NULL};
        char *unsorted[] = {(char *) "b", (char *) "a", NULL};
        struct user_grants u = {.serial = 1, .bundle_exp = 5};
        char *out = NULL;

        u.grants = bad_tok;
        u.n_grants = 1;
        assert_int_equal(user_grants_format(&u, &out), -EINVAL);
        u.grants = NULL;
        u.n_grants = 0;
        u.revoked = unsorted;
        u.n_revoked = 2;
        assert_int_equal(user_grants_format(&u, &out), -EINVAL);
        u.revoked = NULL;
        u.n_revoked = 0;
        u.serial = JIT_SERIAL_MAX + 1;
        assert_int_equal(user_grants_format(&u, &out), -EINVAL);
        assert_null(out);
}

static void test_user_grants_load(void **state) {
        struct test_host *fx = *state;
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        _cleanup_free_ char *alice = test_strdupf("%s/alice", fx->users);
        struct jit_error err = {};

        assert_int_equal(mkdir(fx->users, 0700), 0);
        /* No file: the user has no grant (pam_jit says so). */
        assert_int_equal(user_grants_load(fx->c, "alice", &u, &err), -ENOENT);
        assert_int_equal(err.reason, JIT_REASON_SYSTEM);

        test_write_file(alice, HDR "grant a.b.c\n", 0600);
        assert_ok(user_grants_load(fx->c, "alice", &u, &err), &err);
        assert_int_equal(u->n_grants, 1);

        /* The name is a path component: nothing but a login name. */
        assert_int_equal(user_grants_load(fx->c, "../alice", &u, &err), -EINVAL);
        assert_int_equal(user_grants_load(fx->c, "", &u, &err), -EINVAL);
        assert_int_equal(user_grants_load(fx->c, "al/ice", &u, &err), -EINVAL);

        /* Only root may have written it. */
        assert_int_equal(chmod(alice, 0620), 0);
        assert_reason(user_grants_load(fx->c, "alice", &u, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_int_equal(chmod(alice, 0600), 0);
        assert_int_equal(chown(alice, 65534, 0), 0);
        assert_reason(user_grants_load(fx->c, "alice", &u, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_int_equal(chown(alice, 0, 0), 0);
        /* A corrupt file names itself. */
        test_write_file(alice, HDR "grant a.b.c\nx y\n", 0600);
        assert_reason(user_grants_load(fx->c, "alice", &u, &err), &err, JIT_REASON_MALFORMED);
        assert_non_null(strstr(err.message, alice));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_user_grants_round_trip),
                cmocka_unit_test(test_user_grants_hostile),
                cmocka_unit_test(test_user_grants_message),
                cmocka_unit_test(test_user_grants_limits),
                cmocka_unit_test(test_user_grants_format_refuses),
                cmocka_unit_test_setup_teardown(test_user_grants_load, test_host_setup,
                                                test_host_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
