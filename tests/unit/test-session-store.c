/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Session records on disk (common/host/session-store.c): save, load,
 * remove, elevations added under the lock, listing, unsafe folders. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-util.h"

#include "jit-limits.h"
#include "macro.h"
#include "session-store.h"

struct fixture {
        char dir[64];
        char sessions[96];
};

static int setup(void **state) {
        struct fixture *fx = calloc(1, sizeof(*fx));

        assert_non_null(fx);
        /* Ownership and mode refusals need root, as CI has. */
        assert_int_equal(geteuid(), 0);
        strcpy(fx->dir, "/tmp/jit-test-session-XXXXXX");
        test_mkdtemp(fx->dir);
        (void) snprintf(fx->sessions, sizeof(fx->sessions), "%s/sessions", fx->dir);
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture *fx = *state;

        test_rm_rf(fx->dir);
        free(fx);
        return 0;
}

static void test_save_load_remove(void **state) {
        struct fixture *fx = *state;
        _cleanup_(session_record_freep) struct session_record *r = test_session_record_full("17");
        _cleanup_(session_record_freep) struct session_record *p = NULL;
        _cleanup_free_ char *path = test_strdupf("%s/17", fx->sessions);
        struct jit_error err = {};

        /* Nothing there yet: removing is fine, loading is -ENOENT. */
        assert_ok(session_record_remove(fx->dir, "17", &err), &err);
        assert_int_equal(session_record_load(fx->dir, "17", &p, &err), -ENOENT);

        assert_ok(session_record_save(fx->dir, r, &err), &err);
        test_assert_mode(fx->sessions, 0700);
        test_assert_mode(path, 0600);
        assert_ok(session_record_load(fx->dir, "17", &p, &err), &err);
        test_assert_session_records_equal(r, p);

        /* Saving again replaces it. */
        r->bound = false;
        assert_ok(session_record_save(fx->dir, r, &err), &err);
        session_record_free(TAKE_PTR(p));
        assert_ok(session_record_load(fx->dir, "17", &p, &err), &err);
        assert_false(p->bound);

        assert_ok(session_record_remove(fx->dir, "17", &err), &err);
        assert_false(test_exists(path));
        assert_ok(session_record_remove(fx->dir, "17", &err), &err);

        /* Ids are path components: only valid ones. */
        assert_reason(session_record_load(fx->dir, "../17", &p, &err), &err, JIT_REASON_MALFORMED);
        assert_reason(session_record_remove(fx->dir, "../x", &err), &err, JIT_REASON_MALFORMED);

        /* A record someone else could have written is refused. */
        assert_ok(session_record_save(fx->dir, r, &err), &err);
        assert_int_equal(chmod(path, 0644 | 0020), 0);
        session_record_free(TAKE_PTR(p));
        assert_reason(session_record_load(fx->dir, "17", &p, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_int_equal(chmod(path, 0600), 0);
        assert_int_equal(chown(path, 65534, 0), 0);
        assert_reason(session_record_load(fx->dir, "17", &p, &err), &err, JIT_REASON_FILE_UNSAFE);
        /* A corrupt record is an error naming the file. */
        assert_int_equal(chown(path, 0, 0), 0);
        test_write_file(path, TEST_SESSION_BASE "bogus=1\n", 0600);
        assert_reason(session_record_load(fx->dir, "17", &p, &err), &err, JIT_REASON_MALFORMED);
        assert_non_null(strstr(err.message, path));
}

static void test_sessions_dir_unsafe(void **state) {
        struct fixture *fx = *state;
        _cleanup_(session_record_freep) struct session_record *r = test_session_record_full("17");
        _cleanup_(session_record_freep) struct session_record *p = NULL;
        _cleanup_free_ char *elsewhere = test_strdupf("%s/elsewhere", fx->dir);
        _cleanup_free_ char *path = test_strdupf("%s/17", fx->sessions);
        _cleanup_strv_free_ char **l = NULL;
        struct jit_error err = {};
        static const mode_t bad_modes[] = {0777, 0770, 0720, 0702, 01777};

        assert_int_equal(mkdir(fx->sessions, 0700), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad_modes); i++) {
                assert_int_equal(chmod(fx->sessions, bad_modes[i]), 0);
                assert_reason(session_record_save(fx->dir, r, &err), &err, JIT_REASON_FILE_UNSAFE);
                assert_false(test_exists(path));
                assert_reason(session_records_list(fx->dir, &l, &err), &err,
                              JIT_REASON_FILE_UNSAFE);
                assert_reason(session_record_remove(fx->dir, "17", &err), &err,
                              JIT_REASON_FILE_UNSAFE);
        }
        assert_int_equal(chmod(fx->sessions, 0700), 0);
        assert_int_equal(chown(fx->sessions, 65534, 0), 0);
        assert_reason(session_record_save(fx->dir, r, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_reason(session_record_add_elevation(fx->dir, "17", "root", "g-1", &err), &err,
                      JIT_REASON_FILE_UNSAFE);
        assert_int_equal(chown(fx->sessions, 0, 0), 0);

        /* A symlink to a root folder elsewhere: refused, not followed. */
        assert_int_equal(rename(fx->sessions, elsewhere), 0);
        assert_int_equal(symlink(elsewhere, fx->sessions), 0);
        assert_reason(session_record_save(fx->dir, r, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_reason(session_records_list(fx->dir, &l, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_reason(session_record_load(fx->dir, "17", &p, &err), &err, JIT_REASON_FILE_UNSAFE);

        /* Put right: it works. */
        assert_int_equal(unlink(fx->sessions), 0);
        assert_int_equal(rename(elsewhere, fx->sessions), 0);
        assert_ok(session_record_save(fx->dir, r, &err), &err);
}

static void test_add_elevation(void **state) {
        struct fixture *fx = *state;
        _cleanup_(session_record_freep) struct session_record *r = test_session_record_full("17");
        _cleanup_(session_record_freep) struct session_record *p = NULL;
        _cleanup_free_ char *lock = test_strdupf("%s/.lock", fx->sessions);
        struct jit_error err = {};

        /* No record (and no folder): nothing to add to. */
        assert_int_equal(session_record_add_elevation(fx->dir, "17", "root", "g-1", &err), -ENOENT);
        strv_free(r->elevated);
        r->elevated = NULL;
        assert_ok(session_record_save(fx->dir, r, &err), &err);
        assert_int_equal(session_record_add_elevation(fx->dir, "18", "root", "g-1", &err), -ENOENT);

        assert_ok(session_record_add_elevation(fx->dir, "17", "root", "g-1", &err), &err);
        test_assert_mode(lock, 0600);
        assert_ok(session_record_add_elevation(fx->dir, "17", "root", "g-1", &err), &err);
        assert_ok(session_record_add_elevation(fx->dir, "17", "postgres", "g-1", &err), &err);
        assert_ok(session_record_add_elevation(fx->dir, "17", "root", "g-2", &err), &err);
        assert_ok(session_record_load(fx->dir, "17", &p, &err), &err);
        assert_int_equal(strv_length(p->elevated), 3);
        assert_string_equal(p->elevated[0], "root g-1");
        assert_string_equal(p->elevated[1], "postgres g-1");
        assert_string_equal(p->elevated[2], "root g-2");
        /* The rest of the record is untouched. */
        assert_string_equal(p->grant, "g-1");
        assert_int_equal(p->audit_session, 17);

        /* Values are checked before anything is written. */
        assert_reason(session_record_add_elevation(fx->dir, "17", "ro\not", "g-1", &err), &err,
                      JIT_REASON_MALFORMED);
        assert_reason(session_record_add_elevation(fx->dir, "17", "root", "g 1", &err), &err,
                      JIT_REASON_MALFORMED);

        /* Up to the cap, then refused; a repeat at the cap is still fine. */
        for (unsigned i = 3; i < JIT_SESSION_ELEVATED_MAX; i++) {
                char jti[16];

                (void) snprintf(jti, sizeof(jti), "x-%u", i);
                assert_ok(session_record_add_elevation(fx->dir, "17", "root", jti, &err), &err);
        }
        assert_reason(session_record_add_elevation(fx->dir, "17", "root", "one-more", &err), &err,
                      JIT_REASON_TOO_LARGE);
        assert_ok(session_record_add_elevation(fx->dir, "17", "root", "g-1", &err), &err);
        session_record_free(TAKE_PTR(p));
        assert_ok(session_record_load(fx->dir, "17", &p, &err), &err);
        assert_int_equal(strv_length(p->elevated), JIT_SESSION_ELEVATED_MAX);
}

/* Two processes adding elevations at once: the lock keeps every entry. */
static void test_add_elevation_concurrent(void **state) {
        struct fixture *fx = *state;
        _cleanup_(session_record_freep) struct session_record *r = test_session_record_full("17");
        _cleanup_(session_record_freep) struct session_record *p = NULL;
        struct jit_error err = {};
        pid_t kids[2];
        const unsigned per_child = 12;

        strv_free(r->elevated);
        r->elevated = NULL;
        assert_ok(session_record_save(fx->dir, r, &err), &err);
        for (unsigned k = 0; k < ELEMENTSOF(kids); k++) {
                kids[k] = fork();
                assert_true(kids[k] >= 0);
                if (kids[k] == 0) {
                        for (unsigned i = 0; i < per_child; i++) {
                                char jti[16];

                                (void) snprintf(jti, sizeof(jti), "k%u-%u", k, i);
                                if (session_record_add_elevation(fx->dir, "17", "root", jti, NULL) <
                                    0)
                                        _exit(1);
                        }
                        _exit(0);
                }
        }
        for (unsigned k = 0; k < ELEMENTSOF(kids); k++) {
                int status = -1;

                assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        assert_ok(session_record_load(fx->dir, "17", &p, &err), &err);
        assert_int_equal(strv_length(p->elevated), 2 * per_child);
}

static void test_list(void **state) {
        struct fixture *fx = *state;
        _cleanup_strv_free_ char **l = NULL;
        struct jit_error err = {};
        static const char *const junk[] = {"foo",        ".#17.a1b2c3d4e5f6", "017", "logind-",
                                           "logind-a-b", "4294967295",        "x 1"};

        /* No folder yet: an empty list. */
        assert_ok(session_records_list(fx->dir, &l, &err), &err);
        assert_non_null(l);
        assert_null(l[0]);
        strv_free(TAKE_PTR(l));

        assert_int_equal(mkdir(fx->sessions, 0700), 0);
        for (size_t i = 0; i < ELEMENTSOF(junk); i++) {
                _cleanup_free_ char *p = test_strdupf("%s/%s", fx->sessions, junk[i]);

                test_write_file(p, "x", 0600);
        }
        {
                static const char *const good[] = {"9", "logind-c1", "10"};

                for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                        _cleanup_free_ char *p = test_strdupf("%s/%s", fx->sessions, good[i]);

                        test_write_file(p, TEST_SESSION_BASE, 0600);
                }
        }
        {
                _cleanup_free_ char *lock = test_strdupf("%s/.lock", fx->sessions);
                _cleanup_free_ char *dir = test_strdupf("%s/77", fx->sessions);
                _cleanup_free_ char *link = test_strdupf("%s/78", fx->sessions);

                test_write_file(lock, "", 0600);
                assert_int_equal(mkdir(dir, 0700), 0);
                assert_int_equal(symlink("/etc/passwd", link), 0);
        }
        assert_ok(session_records_list(fx->dir, &l, &err), &err);
        assert_int_equal(strv_length(l), 3);
        assert_string_equal(l[0], "10");
        assert_string_equal(l[1], "9");
        assert_string_equal(l[2], "logind-c1");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_save_load_remove, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sessions_dir_unsafe, setup, teardown),
                cmocka_unit_test_setup_teardown(test_add_elevation, setup, teardown),
                cmocka_unit_test_setup_teardown(test_add_elevation_concurrent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
