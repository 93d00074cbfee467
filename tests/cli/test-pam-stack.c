/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jitctl's PAM stack parser (jitctl/pam/stack.c) and unified diff
 * (jitctl/pam/diff.c), on files in memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diff.h"
#include "macro.h"
#include "pam-stacks.h"
#include "stack.h"

static int memfs_read(void *userdata, const char *host_path, struct lines *ret, char **ret_error) {
        for (const struct file *f = userdata; f->name; f++)
                if (streq(f->name, host_path))
                        return lines_split(f->text, strlen(f->text), ret);
        *ret_error = strdup("not here");
        return -ENOENT;
}

static int load(const char *name, const char *text, const struct file *env, struct pam_stack *ret,
                char **ret_error) {
        _cleanup_(lines_done) struct lines l = {};

        assert_int_equal(lines_split(text, strlen(text), &l), 0);
        return pam_stack_load(name, &l, memfs_read, (void *) env, ret, ret_error);
}

static void test_rules(void **state) {
        _cleanup_(pam_stack_done) struct pam_stack s = {};
        _cleanup_free_ char *error = NULL;
        const struct pam_rule *r;

        assert_int_equal(load("/etc/pam.d/x",
                              "#%PAM-1.0\n"
                              "ACCOUNT  Required pam_unix.so # a comment\n"
                              "session [success=2 \\\n"
                              "   default=ignore] pam_succeed_if.so quiet\n"
                              "-session optional pam_systemd.so\n"
                              "auth sufficient pam_unix.so\n"
                              "password [success=ok new_authtok_reqd=done default=bad] pam_x.so\n"
                              "session [success=ok default=die] pam_jit.so\n"
                              "session [success=ok ignore=ignore default=bad] pam_jit.so\n",
                              debian12, &s, &error),
                         0);
        assert_int_equal(s.n_files, 1);
        assert_int_equal(s.files[0].n_rules, 7);
        r = s.files[0].rules;
        assert_int_equal(r[0].type, PAM_TYPE_ACCOUNT);
        assert_string_equal(r[0].module, "pam_unix.so");
        assert_true(r[0].ctl.failure_counts);
        assert_false(r[0].ctl.done);
        /* a rule continued with '\': its first and last lines */
        assert_int_equal(r[1].first, 2);
        assert_int_equal(r[1].last, 3);
        assert_int_equal(r[1].ctl.jump, 2);
        assert_false(r[1].ctl.failure_counts);
        assert_string_equal(r[1].module, "pam_succeed_if.so");
        assert_int_equal(r[2].type, PAM_TYPE_SESSION);
        assert_string_equal(r[2].module, "pam_systemd.so");
        assert_true(r[3].ctl.done);
        assert_true(r[4].ctl.done);
        /* new_authtok_reqd=done lets an outcome other than success through */
        assert_false(r[4].ctl.failure_counts);
        assert_true(r[5].ctl.failure_counts);
        assert_true(r[6].ctl.failure_counts);
}

static void test_includes(void **state) {
        _cleanup_(pam_stack_done) struct pam_stack s = {};
        _cleanup_free_ char *error = NULL;
        const struct pam_file *f;

        assert_int_equal(load("/etc/pam.d/sshd", RHEL_SSHD, rhel9_sssd, &s, &error), 0);
        /* password-auth is included four times and loaded once */
        assert_int_equal(s.n_files, 3);
        f = s.files;
        assert_int_equal(f->rules[0].include, PAM_INCLUDE_SUBSTACK);
        assert_int_equal(f->rules[0].type, PAM_TYPE_AUTH);
        assert_int_equal(f->rules[1].include, PAM_INCLUDE_INCLUDE);
        assert_string_equal(s.files[f->rules[0].target].name, "/etc/pam.d/password-auth");
        assert_string_equal(s.files[f->rules[1].target].name, "/etc/pam.d/postlogin");
        assert_int_equal(f->rules[4].target, f->rules[0].target);

        pam_stack_done(&s);
        assert_int_equal(load("/etc/pam.d/sudo", DEB_SUDO, debian12, &s, &error), 0);
        assert_int_equal(s.n_files, 4);
        assert_int_equal(s.files[0].rules[3].include, PAM_INCLUDE_AT);
        assert_int_equal(s.files[0].rules[3].type, PAM_TYPE_ALL);
        assert_string_equal(s.files[s.files[0].rules[4].target].name, "/etc/pam.d/common-account");
}

static void test_refusals(void **state) {
        static const struct {
                const char *text, *error;
                int r;
        } t[] = {
                {"account requird pam_unix.so\n", "/x:1: bad control 'requird'", -EBADMSG},
                {"\n\naccount [success=1 default=ignore pam_unix.so\n", "/x:3: bad control",
                 -EBADMSG},
                {"account [success] pam_unix.so\n", "not value=action", -EBADMSG},
                {"account [=ok] pam_unix.so\n", "not value=action", -EBADMSG},
                {"account [success=] pam_unix.so\n", "not value=action", -EBADMSG},
                {"account [] pam_unix.so\n", "empty", -EBADMSG},
                {"account [su-ccess=ok] pam_unix.so\n", "not a word", -EBADMSG},
                {"account [success=99999] pam_unix.so\n", "out of range", -EBADMSG},
                {"account [success=yes] pam_unix.so\n", "an unknown action", -EBADMSG},
                {"acount required pam_unix.so\n", "/x:1: 'acount' is not a PAM type", -EBADMSG},
                {"account\n", "/x:1: a rule without a control", -EBADMSG},
                {"account include\n", "a rule without a module (the file to include)", -EBADMSG},
                {"@include\n", "/x:1: an include without a file name", -EBADMSG},
                {"# only\n@include nothing-here\n", "not here (included from /x:2)", -ENOENT},
                {"account substack /x\n", "/x:1: an include loop: /x -> /x", -ELOOP},
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_(pam_stack_done) struct pam_stack s = {};
                _cleanup_free_ char *error = NULL;
                int r = load("/x", t[i].text, debian12, &s, &error);

                if (r != t[i].r || !error || !strstr(error, t[i].error))
                        fail_msg("%s: got %d '%s', want %d '%s'", t[i].text, r, error ?: "(null)",
                                 t[i].r, t[i].error);
        }
}

static void test_too_many_rules(void **state) {
        _cleanup_(pam_stack_done) struct pam_stack s = {};
        _cleanup_free_ char *error = NULL, *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        for (unsigned i = 0; i <= PAM_FILE_RULES_MAX; i++)
                fputs("account required pam_permit.so\n", f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(load("/x", text, debian12, &s, &error), -E2BIG);
        assert_non_null(strstr(error, "more than 1024 rules"));
}

static void test_include_path(void **state) {
        _cleanup_free_ char *a = pam_include_path("common-auth"), *b = pam_include_path("/opt/p");

        assert_string_equal(a, "/etc/pam.d/common-auth");
        assert_string_equal(b, "/opt/p");
        assert_true(pam_module_is("/lib/security/pam_jit.so", "pam_jit.so"));
        assert_false(pam_module_is("pam_jit.so.bak", "pam_jit.so"));
}

/* ---- diff ---- */

static char *diff(const char *a, const char *b, const char *la, const char *lb) {
        _cleanup_(lines_done) struct lines x = {}, y = {};
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        assert_non_null(f);
        assert_int_equal(lines_split(a, strlen(a), &x), 0);
        assert_int_equal(lines_split(b, strlen(b), &y), 0);
        assert_int_equal(diff_print(f, la, lb, &x, &y), 0);
        assert_int_equal(fclose(f), 0);
        return out;
}

static void test_diff(void **state) {
        static const struct {
                const char *a, *b, *want;
        } t[] = {
                {"1\n2\n", "1\n2\n", ""},
                {"1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nnew\n5\n6\n7\n8\n",
                 "--- a/f\n+++ b/f\n@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+new\n 5\n 6\n 7\n"},
                {"a\nb\n", "b\n", "--- a/f\n+++ b/f\n@@ -1,2 +1,1 @@\n-a\n b\n"},
                {"", "x\n", "--- a/f\n+++ b/f\n@@ -0,0 +1,1 @@\n+x\n"},
                {"x\ny", "x\ny\nz",
                 "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n x\n-y\n\\ No newline at end of file\n+y\n+z\n"
                 "\\ No newline at end of file\n"},
                /* two changes more than twice the context apart: two hunks */
                {"a\n1\n2\n3\n4\n5\n6\n7\nb\n", "A\n1\n2\n3\n4\n5\n6\n7\nB\n",
                 "--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n"
                 "@@ -6,4 +6,4 @@\n 5\n 6\n 7\n-b\n+B\n"},
                /* closer: one hunk */
                {"a\n1\n2\nb\n", "A\n1\n2\nB\n",
                 "--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n-b\n+B\n"},
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *got = diff(t[i].a, t[i].b, "a/f", "b/f");

                if (!streq(got, t[i].want))
                        fail_msg("row %zu: got\n%s\nwant\n%s", i, got, t[i].want);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rules),        cmocka_unit_test(test_includes),
                cmocka_unit_test(test_refusals),     cmocka_unit_test(test_too_many_rules),
                cmocka_unit_test(test_include_path), cmocka_unit_test(test_diff),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
