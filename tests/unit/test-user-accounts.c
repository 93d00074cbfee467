/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Accounts from grants, the host side: the JSON records (user-record.c),
 * state_dir/uids (uid-map.c) and the /run/userdb folder (userdb-records.c),
 * on a temporary folder in place of /run/userdb. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"
#include "macro.h"
#include "test-util.h"
#include "uid-map.h"
#include "user-record.h"
#include "userdb-records.h"

static void test_user_record(void **state) {
        _cleanup_free_ char *u = NULL, *g = NULL, *q = NULL, *slash = NULL;

        (void) state;
        assert_int_equal(user_record_format("nina", 59000, "/home", "/bin/bash", &u), 0);
        assert_string_equal(u, "{\"userName\":\"nina\",\"uid\":59000,\"gid\":59000,"
                               "\"realName\":\"nina\",\"homeDirectory\":\"/home/nina\","
                               "\"shell\":\"/bin/bash\",\"disposition\":\"regular\","
                               "\"service\":\"" USER_RECORD_SERVICE "\"}\n");
        assert_true(user_record_is_ours(u, strlen(u)));
        /* Nothing that grants more than the account: no groups, no password. */
        assert_null(strstr(u, "memberOf"));
        assert_null(strstr(u, "privileged"));
        assert_int_equal(group_record_format("nina", 59000, &g), 0);
        assert_string_equal(g, "{\"groupName\":\"nina\",\"gid\":59000,\"disposition\":\"regular\","
                               "\"service\":\"" USER_RECORD_SERVICE "\"}\n");
        assert_true(user_record_is_ours(g, strlen(g)));
        /* A trailing slash, and characters JSON must escape, in the config. */
        assert_int_equal(user_record_format("nina", 1, "/", "/bin/sh", &slash), 0);
        assert_non_null(strstr(slash, "\"homeDirectory\":\"/nina\""));
        assert_int_equal(user_record_format("nina", 1, "/h\"o\\me/", "/bin/s\"h", &q), 0);
        assert_non_null(strstr(q, "\"homeDirectory\":\"/h\\\"o\\\\me/nina\""));
        assert_non_null(strstr(q, "\"shell\":\"/bin/s\\\"h\""));
        /* Hostile names and paths: never a record. */
        static const char *const names[] = {"",  "root\"", "a b",    "../x", "x/y",
                                            "0", "-rf",    "n\nuid", "a\"b"};
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char *t = NULL;

                assert_int_equal(user_record_format(names[i], 1, "/home", "/bin/sh", &t), -EINVAL);
                assert_int_equal(group_record_format(names[i], 1, &t), -EINVAL);
                assert_null(t);
        }
        char *t = NULL;
        assert_int_equal(user_record_format("nina", 1, "home", "/bin/sh", &t), -EINVAL);
        assert_int_equal(user_record_format("nina", 1, "/home", "sh", &t), -EINVAL);
        assert_int_equal(user_record_format("nina", 1, "/ho\x01me", "/bin/sh", &t), -EINVAL);
        assert_null(t);
        assert_false(user_record_is_ours("{\"userName\":\"x\"}", 16));
        assert_false(user_record_is_ours(NULL, 0));
}

/* taken(): the uids of a table. */
static int taken_table(uid_t uid, void *userdata) {
        const uid_t *t = userdata;

        for (; *t; t++)
                if (*t == uid)
                        return 1;
        return 0;
}

static int taken_error(uid_t uid, void *userdata) {
        (void) uid;
        (void) userdata;
        return -EIO;
}

static void test_uid_map(void **state) {
        struct test_host *h = *state;
        struct uid_map m = {}, back = {};
        struct jit_error err = {};
        uid_t taken[] = {60001, 0};
        uid_t uid = 0;

        assert_int_equal(uid_map_load(h->state, &m, &err), 0); /* no file: empty */
        assert_int_equal(m.n, 0);
        assert_int_equal(uid_map_allocate(&m, "nina", 60000, 60002, taken_table, taken, &uid), 0);
        assert_int_equal(uid, 60000);
        /* 60001 is someone else's: skipped. */
        assert_int_equal(uid_map_allocate(&m, "omar", 60000, 60002, taken_table, taken, &uid), 0);
        assert_int_equal(uid, 60002);
        /* Full: -ENOSPC, the map unchanged. */
        assert_int_equal(uid_map_allocate(&m, "zoe", 60000, 60002, taken_table, taken, &uid),
                         -ENOSPC);
        assert_int_equal(m.n, 2);
        assert_int_equal(uid_map_get(&m, "zoe", &uid), -ENOENT);
        /* A lookup error allocates nothing. */
        assert_int_equal(uid_map_allocate(&m, "zoe", 60003, 60009, taken_error, NULL, &uid), -EIO);
        assert_int_equal(m.n, 2);
        /* Twice the same name, or a bad one: refused. */
        assert_int_equal(uid_map_allocate(&m, "nina", 60003, 60009, NULL, NULL, &uid), -EINVAL);
        assert_int_equal(uid_map_allocate(&m, "../x", 60003, 60009, NULL, NULL, &uid), -EINVAL);

        assert_int_equal(uid_map_save(h->state, &m, &err), 0);
        assert_int_equal(uid_map_load(h->state, &back, &err), 0);
        assert_int_equal(back.n, 2);
        assert_int_equal(uid_map_get(&back, "nina", &uid), 0);
        assert_int_equal(uid, 60000);
        assert_string_equal(uid_map_owner(&back, 60002), "omar");
        assert_null(uid_map_owner(&back, 60001));
        /* The same name on a later load: the same uid. */
        uid_map_done(&back);
        uid_map_done(&m);
}

static void test_uid_map_hostile(void **state) {
        struct test_host *h = *state;
        static const struct {
                const char *name, *text;
        } rows[] = {
                {"same name twice", "nina 60000\nnina 60001\n"},
                {"same uid twice", "nina 60000\nomar 60000\n"},
                {"bad name", "../etc 60000\n"},
                {"numeric name", "0 60000\n"},
                {"uid -1", "nina 4294967295\n"},
                {"uid not a number", "nina 6e4\n"},
                {"negative uid", "nina -1\n"},
                {"no newline", "nina 60000"},
                {"blank line", "nina 60000\n\n"},
                {"no value", "nina\n"},
        };
        _cleanup_free_ char *path = path_join3(h->state, "uids", NULL);

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                struct uid_map m = {};
                struct jit_error err = {};

                assert_int_equal(
                        write_file_atomic(path, rows[i].text, strlen(rows[i].text), 0600, NULL), 0);
                if (uid_map_load(h->state, &m, &err) >= 0)
                        fail_msg("%s: accepted", rows[i].name);
                assert_int_equal(m.n, 0);
                assert_non_null(strstr(err.message, "uids"));
        }
        /* Writable by others: refused as unsafe. */
        assert_int_equal(chmod(path, 0666), 0);
        struct uid_map m = {};
        assert_true(uid_map_load(h->state, &m, NULL) < 0);
}

static void test_userdb_folder(void **state) {
        struct test_host *h = *state;
        _cleanup_free_ char *dir = path_join3(h->run, "userdb", NULL);
        _cleanup_free_ char *u = NULL, *g = NULL, *p = NULL, *link = NULL;
        _cleanup_strv_free_ char **names = NULL;
        struct jit_error err = {};
        char target[64] = "";
        struct stat st;

        assert_int_equal(user_record_format("nina", 60000, "/home", "/bin/sh", &u), 0);
        assert_int_equal(group_record_format("nina", 60000, &g), 0);
        /* A missing folder lists nothing, removes nothing. */
        assert_int_equal(userdb_records_list(dir, &names, &err), 0);
        assert_null(names[0]);
        strv_free(names);
        names = NULL;
        assert_int_equal(userdb_records_remove(dir, "nina", 60000, &err), 0);

        assert_int_equal(userdb_records_write(dir, "nina", 60000, u, g, &err), 0);
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        p = path_join3(dir, "nina.user", NULL);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        link = path_join3(dir, "60000.user", NULL);
        assert_true(readlink(link, target, sizeof(target) - 1) > 0);
        assert_string_equal(target, "nina.user");
        assert_true(userdb_record_is_ours(dir, "nina"));
        /* Rewriting is fine (links replaced atomically). */
        assert_int_equal(userdb_records_write(dir, "nina", 60000, u, g, &err), 0);
        assert_int_equal(userdb_records_list(dir, &names, &err), 0);
        assert_string_equal(names[0], "nina");
        assert_null(names[1]);

        /* Someone else's record of a name, or link of a uid: never replaced. */
        {
                _cleanup_free_ char *op = path_join3(dir, "omar.user", NULL), *ou = NULL,
                                    *og = NULL;
                static const char theirs[] = "{\"userName\":\"omar\",\"uid\":60001}\n";

                assert_int_equal(write_file_atomic(op, theirs, strlen(theirs), 0644, NULL), 0);
                assert_int_equal(user_record_format("omar", 60001, "/home", "/bin/sh", &ou), 0);
                assert_int_equal(group_record_format("omar", 60001, &og), 0);
                assert_int_equal(userdb_records_write(dir, "omar", 60001, ou, og, &err), -EEXIST);
                assert_non_null(strstr(err.message, "not jit-agent's"));
                assert_false(userdb_record_is_ours(dir, "omar"));
                /* and not removed either */
                assert_int_equal(userdb_records_remove(dir, "omar", 60001, &err), 0);
                assert_int_equal(access(op, F_OK), 0);
                /* a uid link of someone else's */
                _cleanup_free_ char *zl = path_join3(dir, "60002.user", NULL);
                assert_int_equal(symlink("other.user", zl), 0);
                _cleanup_free_ char *zu = NULL, *zg = NULL;
                assert_int_equal(user_record_format("zoe", 60002, "/home", "/bin/sh", &zu), 0);
                assert_int_equal(group_record_format("zoe", 60002, &zg), 0);
                assert_int_equal(userdb_records_write(dir, "zoe", 60002, zu, zg, &err), -EEXIST);
                _cleanup_free_ char *zp = path_join3(dir, "zoe.user", NULL);
                assert_int_equal(access(zp, F_OK), -1); /* nothing half-done */
        }

        /* Removal takes all four of ours, leaves the others. */
        assert_int_equal(userdb_records_remove(dir, "nina", 60000, &err), 1);
        assert_int_equal(lstat(p, &st), -1);
        assert_int_equal(lstat(link, &st), -1);
        {
                _cleanup_free_ char *gp = path_join3(dir, "nina.group", NULL),
                                    *gl = path_join3(dir, "60000.group", NULL);
                assert_int_equal(lstat(gp, &st), -1);
                assert_int_equal(lstat(gl, &st), -1);
        }
        assert_int_equal(userdb_records_remove(dir, "nina", 60000, &err), 0);

        /* A folder writable by others is refused. */
        assert_int_equal(chmod(dir, 0777), 0);
        assert_true(userdb_records_write(dir, "nina", 60000, u, g, &err) < 0);
        assert_int_equal(err.reason, JIT_REASON_FILE_UNSAFE);
        assert_int_equal(chmod(dir, 0755), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_user_record),
                cmocka_unit_test_setup_teardown(test_uid_map, test_host_setup, test_host_teardown),
                cmocka_unit_test_setup_teardown(test_uid_map_hostile, test_host_setup,
                                                test_host_teardown),
                cmocka_unit_test_setup_teardown(test_userdb_folder, test_host_setup,
                                                test_host_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
