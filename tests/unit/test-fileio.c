/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "fileio.h"
#include "macro.h"

#define NOBODY 65534

struct fixture {
        char dir[64];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int setup(void **state) {
        static struct fixture fx;

        /* The suite checks ownership refusals; it needs root (as CI is). */
        assert_int_equal(geteuid(), 0);
        strcpy(fx.dir, "/tmp/jit-test-fileio-XXXXXX");
        assert_non_null(mkdtemp(fx.dir));
        assert_int_equal(chmod(fx.dir, 0700), 0);
        *state = &fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture *fx = *state;

        (void) nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

static char *path_in(void **state, const char *name) {
        struct fixture *fx = *state;
        char *p;

        assert_true(asprintf(&p, "%s/%s", fx->dir, name) > 0);
        return p;
}

static char *make_file(void **state, const char *name, const char *content, mode_t mode) {
        char *p = path_in(state, name);
        int fd;

        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t) strlen(content));
        assert_int_equal(close(fd), 0);
        assert_int_equal(chmod(p, mode), 0);
        return p;
}

static char *make_dir(void **state, const char *name, mode_t mode) {
        char *p = path_in(state, name);

        assert_int_equal(mkdir(p, 0700), 0);
        assert_int_equal(chmod(p, mode), 0);
        return p;
}

/* Expect a refusal: r, reason, and (when given) the exact message, which
 * names what (the path when NULL). */
static void expect_what(const char *path, uid_t owner, size_t max, int want, enum jit_reason reason,
                        const char *what, const char *message) {
        struct jit_error err = {};
        char *data = (char *) 0x1, *m = NULL;
        size_t len = 12345;
        int r;

        r = read_file_secure(path, owner, max, &data, &len, &err);
        printf("%s -> %d %s: %s\n", path, r, jit_reason_to_string(err.reason), err.message);
        assert_int_equal(r, want);
        assert_int_equal(err.reason, reason);
        assert_true(data == (char *) 0x1); /* untouched */
        if (message) {
                assert_true(asprintf(&m, "%s: %s", what ? what : path, message) > 0);
                assert_string_equal(err.message, m);
                free(m);
        }
}

static void expect(const char *path, uid_t owner, size_t max, int want, enum jit_reason reason,
                   const char *message) {
        expect_what(path, owner, max, want, reason, NULL, message);
}

static void test_read_good(void **state) {
        _cleanup_free_ char *p = make_file(state, "good", "hello\nworld\n", 0644);
        _cleanup_free_ char *data = NULL, *twice = NULL;
        struct jit_error err = {};
        size_t len = 0;

        assert_int_equal(read_file_secure(p, getuid(), 1024, &data, &len, &err), 0);
        assert_int_equal(len, 12);
        assert_string_equal(data, "hello\nworld\n");
        free(data);
        data = NULL;

        /* Exactly max_size is allowed; repeated '/' is tolerated. */
        assert_int_equal(read_file_secure(p, 0, 12, &data, NULL, &err), 0);
        assert_true(asprintf(&twice, "/%s", p) > 0);
        twice[strlen(twice) - 5] = '/';
        free(data);
        data = NULL;
        assert_int_equal(read_file_secure(twice, 0, 12, &data, &len, &err), 0);
}

static void test_read_empty(void **state) {
        _cleanup_free_ char *p = make_file(state, "empty", "", 0600);
        _cleanup_free_ char *data = NULL;
        struct jit_error err = {};
        size_t len = 99;

        assert_int_equal(read_file_secure(p, 0, 0, &data, &len, &err), 0);
        assert_int_equal(len, 0);
        assert_string_equal(data, "");
}

static void test_read_owner(void **state) {
        _cleanup_free_ char *p = make_file(state, "nobody", "x", 0644);
        _cleanup_free_ char *data = NULL;
        struct jit_error err = {};

        assert_int_equal(chown(p, NOBODY, NOBODY), 0);
        expect(p, getuid(), 100, -EPERM, JIT_REASON_FILE_UNSAFE, "owned by uid 65534, not by root");
        expect(p, 1000, 100, -EPERM, JIT_REASON_FILE_UNSAFE,
               "owned by uid 65534, not by root or uid 1000");
        /* The same file is fine for the owner it names. */
        assert_int_equal(read_file_secure(p, NOBODY, 100, &data, NULL, &err), 0);
        assert_string_equal(data, "x");
}

static void test_read_refused(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *good = make_file(state, "good", "x", 0644);
        _cleanup_free_ char *gw = make_file(state, "group-writable", "x", 0664);
        _cleanup_free_ char *ww = make_file(state, "world-writable", "x", 0646);
        _cleanup_free_ char *big = make_file(state, "big", "0123456789", 0644);
        _cleanup_free_ char *link = path_in(state, "link");
        _cleanup_free_ char *fifo = path_in(state, "fifo");
        _cleanup_free_ char *sub = make_dir(state, "sub", 0755);
        _cleanup_free_ char *gwdir = make_dir(state, "gwdir", 0775);
        _cleanup_free_ char *wwdir = make_dir(state, "wwdir", 0757);
        _cleanup_free_ char *sticky = make_dir(state, "sticky", 01777);
        _cleanup_free_ char *nsticky = make_dir(state, "nsticky", 01777);
        _cleanup_free_ char *ndir = make_dir(state, "ndir", 0755);
        _cleanup_free_ char *dirlink = path_in(state, "dirlink");
        _cleanup_free_ char *in_sub = make_file(state, "sub/f", "x", 0644);
        _cleanup_free_ char *in_gwdir = make_file(state, "gwdir/f", "x", 0644);
        _cleanup_free_ char *in_wwdir = make_file(state, "wwdir/f", "x", 0644);
        _cleanup_free_ char *in_sticky = make_file(state, "sticky/f", "x", 0644);
        _cleanup_free_ char *in_nsticky = make_file(state, "nsticky/f", "x", 0644);
        _cleanup_free_ char *in_ndir = make_file(state, "ndir/f", "x", 0644);
        _cleanup_free_ char *via_link = NULL, *dotdot = NULL, *dot = NULL, *missing_dir = NULL;
        _cleanup_free_ char *relative = NULL, *slash = NULL, *missing = NULL, *file_as_dir = NULL;
        _cleanup_free_ char *data = NULL;
        struct jit_error err = {};

        assert_int_equal(symlink(good, link), 0);
        assert_int_equal(mkfifo(fifo, 0644), 0);
        assert_int_equal(symlink(sub, dirlink), 0);
        assert_int_equal(chown(nsticky, NOBODY, NOBODY), 0);
        assert_int_equal(chown(ndir, NOBODY, NOBODY), 0);
        assert_true(asprintf(&via_link, "%s/f", dirlink) > 0);
        assert_true(asprintf(&dotdot, "%s/sub/../good", fx->dir) > 0);
        assert_true(asprintf(&dot, "%s/./good", fx->dir) > 0);
        assert_true(asprintf(&missing_dir, "%s/nope/f", fx->dir) > 0);
        assert_true(asprintf(&slash, "%s/sub/", fx->dir) > 0);
        assert_true(asprintf(&file_as_dir, "%s/good/f", fx->dir) > 0);
        relative = strdup(good + 1);
        missing = path_in(state, "missing");

        /* A FIFO must be refused, not block the reader. */
        alarm(10);
        expect(fifo, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, "not a regular file");
        alarm(0);

        (void) sticky; /* only its file in_sticky is read */
        expect(link, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, "is a symlink");
        expect_what(via_link, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, dirlink, "is a symlink");
        expect(gw, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, "writable by group or others");
        expect(ww, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, "writable by group or others");
        expect_what(in_gwdir, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, gwdir,
                    "writable by group or others");
        expect_what(in_wwdir, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, wwdir,
                    "writable by group or others");
        /* Sticky and world-writable is fine only when root owns it. */
        assert_int_equal(read_file_secure(in_sticky, 0, 100, &data, NULL, &err), 0);
        free(data);
        data = NULL;
        expect_what(in_nsticky, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, nsticky,
                    "owned by uid 65534, not by root");
        /* A folder owned by someone else, though not writable by others. */
        expect_what(in_ndir, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, ndir,
                    "owned by uid 65534, not by root");
        assert_int_equal(read_file_secure(in_ndir, NOBODY, 100, &data, NULL, &err), 0);
        free(data);
        data = NULL;

        expect(sub, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, "not a regular file");
        expect(slash, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, NULL);
        expect(big, 0, 9, -EFBIG, JIT_REASON_TOO_LARGE, "larger than 9 bytes");
        expect(relative, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, "not an absolute path");
        expect("", 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, NULL);
        expect(dotdot, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, "'.' or '..' in path");
        expect(dot, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, "'.' or '..' in path");
        expect(missing, 0, 100, -ENOENT, JIT_REASON_SYSTEM, NULL);
        expect(missing_dir, 0, 100, -ENOENT, JIT_REASON_SYSTEM, NULL);
        expect_what(file_as_dir, 0, 100, -EPERM, JIT_REASON_FILE_UNSAFE, good, "not a folder");
        /* The same file through its real folder is fine. */
        assert_int_equal(read_file_secure(in_sub, 0, 100, &data, NULL, &err), 0);
}

static void test_read_growing(void **state) {
        /* procfs files claim st_size 0 but have content: the size check at
         * fstat() passes, and only the bounded read catches the excess. */
        _cleanup_free_ char *data = NULL;
        struct jit_error err = {};
        struct stat st;

        assert_int_equal(stat("/proc/1/status", &st), 0);
        assert_int_equal(st.st_size, 0);
        expect("/proc/1/status", 0, 16, -EFBIG, JIT_REASON_TOO_LARGE, NULL);
        assert_int_equal(read_file_secure("/proc/1/status", 0, 65536, &data, NULL, &err), 0);
        assert_non_null(strstr(data, "Pid:"));
}

static void assert_only_entry(const char *dir, const char *name) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;

        assert_non_null(d);
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                printf("entry %s\n", de->d_name);
                if (name)
                        assert_string_equal(de->d_name, name);
                n++;
        }
        closedir(d);
        assert_int_equal(n, name ? 1 : 0);
}

static void check_content(const char *p, const char *want, mode_t mode) {
        _cleanup_free_ char *data = NULL;
        struct jit_error err = {};
        struct stat st;

        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, mode);
        assert_int_equal(read_file_secure(p, 0, 1024, &data, NULL, &err), 0);
        assert_string_equal(data, want);
}

static void test_write_atomic(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *p = path_in(state, "state");
        struct jit_error err = {};
        struct stat st1, st2;
        mode_t old = umask(077);

        /* The mode is what was asked, whatever the umask. */
        assert_int_equal(write_file_atomic(p, "one", 3, 0644, &err), 0);
        check_content(p, "one", 0644);
        assert_only_entry(fx->dir, "state");
        assert_int_equal(stat(p, &st1), 0);

        (void) umask(0);
        assert_int_equal(write_file_atomic(p, "two\n", 4, 0600, &err), 0);
        check_content(p, "two\n", 0600);
        assert_only_entry(fx->dir, "state");
        /* Replaced by rename, not rewritten in place. */
        assert_int_equal(stat(p, &st2), 0);
        assert_true(st1.st_ino != st2.st_ino);

        assert_int_equal(write_file_atomic(p, "", 0, 0600, &err), 0);
        check_content(p, "", 0600);
        (void) umask(old);
}

static void test_write_missing_folder(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *p = path_in(state, "missing/state");
        struct jit_error err = {};

        assert_int_equal(write_file_atomic(p, "x", 1, 0600, &err), -ENOENT);
        assert_int_equal(err.reason, JIT_REASON_SYSTEM);
        assert_only_entry(fx->dir, NULL);
}

static void test_write_failure_keeps_old(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *p = path_in(state, "state");
        struct jit_error err = {};
        struct rlimit rl, small = {.rlim_cur = 16, .rlim_max = RLIM_INFINITY};
        char big[4096];

        assert_int_equal(write_file_atomic(p, "old content", 11, 0644, &err), 0);

        /* Make the write fail half way (EFBIG) with a file size limit. */
        memset(big, 'n', sizeof(big));
        assert_true(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
        small.rlim_max = rl.rlim_max;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
        assert_int_equal(write_file_atomic(p, big, sizeof(big), 0644, &err), -EFBIG);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
        assert_int_equal(err.reason, JIT_REASON_SYSTEM);

        check_content(p, "old content", 0644);
        assert_only_entry(fx->dir, "state");
}

static void test_write_bad_name(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *slash = path_in(state, "");
        _cleanup_free_ char *dotdot = path_in(state, "..");
        char *longname = NULL;
        struct jit_error err = {};

        assert_int_equal(write_file_atomic(slash, "x", 1, 0600, &err), -EINVAL);
        assert_int_equal(write_file_atomic(dotdot, "x", 1, 0600, &err), -EINVAL);
        /* 250 bytes is a valid name, but leaves no room for the temporary. */
        assert_true(asprintf(&longname, "%s/%0250d", fx->dir, 0) > 0);
        assert_int_equal(write_file_atomic(longname, "x", 1, 0600, &err), -ENAMETOOLONG);
        free(longname);
        assert_only_entry(fx->dir, NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_read_good, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_empty, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_owner, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_growing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_missing_folder, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_failure_keeps_old, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_bad_name, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
