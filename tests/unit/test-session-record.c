/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test-util.h"

#include "jit-limits.h"
#include "macro.h"
#include "proc.h"
#include "session-store.h"

struct fixture {
        char dir[64];
        char sessions[96];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int setup(void **state) {
        struct fixture *fx = calloc(1, sizeof(*fx));

        assert_non_null(fx);
        /* Ownership and mode refusals need root, as CI has. */
        assert_int_equal(geteuid(), 0);
        strcpy(fx->dir, "/tmp/jit-test-session-XXXXXX");
        assert_non_null(mkdtemp(fx->dir));
        assert_int_equal(chmod(fx->dir, 0755), 0);
        (void) snprintf(fx->sessions, sizeof(fx->sessions), "%s/sessions", fx->dir);
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture *fx = *state;

        (void) nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(fx);
        return 0;
}

static void write_text(const char *path, const char *text, mode_t mode) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        assert_int_equal(close(fd), 0);
        assert_int_equal(chmod(path, mode), 0);
}

static void assert_mode(const char *path, mode_t want) {
        struct stat st;

        assert_int_equal(lstat(path, &st), 0);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_mode & 07777, want);
}

static bool exists(const char *path) {
        struct stat st;

        return lstat(path, &st) == 0;
}

/* A record with every field, built in memory. */
static struct session_record *full_record(const char *id) {
        struct session_record *r = calloc(1, sizeof(*r));

        assert_non_null(r);
        (void) snprintf(r->id, sizeof(r->id), "%s", id);
        r->grant = strdup("g-1");
        r->user = strdup("alice");
        r->service = strdup("sshd");
        r->tty = strdup("ssh");
        r->rhost = strdup("192.0.2.7 [x]");
        r->leader = 4242;
        r->uid = 1000;
        r->audit_session = 17;
        r->logind_session = strdup("c17");
        r->exp = TEST_NOW + 1800;
        r->bound = true;
        assert_int_equal(strv_extend(&r->elevated, "root g-1"), 0);
        assert_int_equal(strv_extend(&r->elevated, "postgres g-2"), 0);
        return r;
}

#define FULL_TEXT                                                                                  \
        "grant=g-1\nuser=alice\nservice=sshd\ntty=ssh\nrhost=192.0.2.7 [x]\nleader=4242\n"         \
        "uid=1000\naudit-session=17\nlogind-session=c17\nexp=1800001800\nbound=yes\n"              \
        "elevated=root g-1\nelevated=postgres g-2\n"

#define BASE "grant=g-1\nuser=alice\nservice=sshd\nleader=4242\nuid=1000\nexp=1800001800\n"

static void assert_records_equal(const struct session_record *a, const struct session_record *b) {
        assert_string_equal(a->id, b->id);
        assert_string_equal(a->grant, b->grant);
        assert_string_equal(a->user, b->user);
        assert_string_equal(a->service, b->service);
        assert_true(streq_ptr(a->tty, b->tty));
        assert_true(streq_ptr(a->rhost, b->rhost));
        assert_int_equal(a->leader, b->leader);
        assert_int_equal(a->uid, b->uid);
        assert_int_equal(a->audit_session, b->audit_session);
        assert_true(streq_ptr(a->logind_session, b->logind_session));
        assert_int_equal(a->exp, b->exp);
        assert_int_equal(a->bound, b->bound);
        assert_int_equal(strv_length(a->elevated), strv_length(b->elevated));
        for (size_t i = 0; i < strv_length(a->elevated); i++)
                assert_string_equal(a->elevated[i], b->elevated[i]);
}

static void test_round_trip(void **state) {
        _cleanup_(session_record_freep) struct session_record *r = full_record("17");
        _cleanup_(session_record_freep) struct session_record *p = NULL, *m = NULL;
        _cleanup_free_ char *text = NULL, *again = NULL, *mtext = NULL;
        struct jit_error err = {};

        assert_int_equal(session_record_format(r, &text), 0);
        assert_string_equal(text, FULL_TEXT);
        /* The id is the file name, never a line. */
        assert_null(strstr(text, "\nid="));
        assert_true(strncmp(text, "id=", 3) != 0);
        assert_ok(session_record_parse("17", text, strlen(text), &p, &err), &err);
        assert_records_equal(r, p);
        assert_int_equal(session_record_format(p, &again), 0);
        assert_string_equal(text, again);

        /* Optional fields absent: no line, and unset when read back. */
        assert_ok(session_record_parse("logind-c3", BASE, strlen(BASE), &m, &err), &err);
        assert_string_equal(m->id, "logind-c3");
        assert_null(m->tty);
        assert_null(m->rhost);
        assert_null(m->logind_session);
        assert_int_equal(m->audit_session, AUDIT_SESSION_UNSET);
        assert_false(m->bound);
        assert_non_null(m->elevated);
        assert_null(m->elevated[0]);
        assert_int_equal(session_record_format(m, &mtext), 0);
        assert_string_equal(mtext, BASE "bound=no\n");
}

struct text_row {
        const char *name;
        const char *text;
        size_t len;
        enum jit_reason reason;
};
#define ROW(n, t, r)                                                                               \
        { n, t, sizeof(t) - 1, r }

static const struct text_row hostile[] = {
        ROW("empty file", "", JIT_REASON_MALFORMED),
        ROW("grant missing", "user=alice\nservice=sshd\nleader=1\nuid=0\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("user missing", "grant=g\nservice=sshd\nleader=1\nuid=0\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("service missing", "grant=g\nuser=alice\nleader=1\nuid=0\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("leader missing", "grant=g\nuser=alice\nservice=sshd\nuid=0\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("uid missing", "grant=g\nuser=alice\nservice=sshd\nleader=1\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("exp missing", "grant=g\nuser=alice\nservice=sshd\nleader=1\nuid=0\n",
            JIT_REASON_MALFORMED),
        ROW("unknown key", BASE "pid=1\n", JIT_REASON_MALFORMED),
        ROW("id stored in the file", BASE "id=17\n", JIT_REASON_MALFORMED),
        ROW("key in upper case", BASE "TTY=ssh\n", JIT_REASON_MALFORMED),
        ROW("space before '='", BASE "tty =ssh\n", JIT_REASON_MALFORMED),
        ROW("no '='", BASE "tty\n", JIT_REASON_MALFORMED),
        ROW("grant repeated", BASE "grant=g-2\n", JIT_REASON_MALFORMED),
        ROW("user repeated", BASE "user=bob\n", JIT_REASON_MALFORMED),
        ROW("bound repeated", BASE "bound=no\nbound=no\n", JIT_REASON_MALFORMED),
        ROW("no newline at the end", BASE "bound=no", JIT_REASON_MALFORMED),
        ROW("blank line", BASE "\n", JIT_REASON_MALFORMED),
        ROW("CR line ending", BASE "tty=ssh\r\n", JIT_REASON_MALFORMED),
        ROW("NUL in a value", BASE "tty=s\0sh\n", JIT_REASON_MALFORMED),
        ROW("escape in rhost", BASE "rhost=\x1b[2Jevil\n", JIT_REASON_MALFORMED),
        ROW("DEL in tty", BASE "tty=pts\x7f\n", JIT_REASON_MALFORMED),
        ROW("byte above ASCII in rhost", BASE "rhost=h\xc3\xa9\n", JIT_REASON_MALFORMED),
        ROW("empty tty", BASE "tty=\n", JIT_REASON_MALFORMED),
        ROW("grant id with '/'", "grant=../x\nuser=alice\nservice=sshd\nleader=1\nuid=0\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("user name invalid", "grant=g\nuser=-alice\nservice=sshd\nleader=1\nuid=0\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("service with a space", "grant=g\nuser=a\nservice=ss hd\nleader=1\nuid=0\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("service with '/'", "grant=g\nuser=a\nservice=a/b\nleader=1\nuid=0\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("leader zero", "grant=g\nuser=a\nservice=s\nleader=0\nuid=0\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("leader negative", "grant=g\nuser=a\nservice=s\nleader=-1\nuid=0\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("leader above INT32_MAX",
            "grant=g\nuser=a\nservice=s\nleader=2147483648\nuid=0\nexp=1\n", JIT_REASON_MALFORMED),
        ROW("leader with a sign", "grant=g\nuser=a\nservice=s\nleader=+5\nuid=0\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("uid (uid_t) -1", "grant=g\nuser=a\nservice=s\nleader=1\nuid=4294967295\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("uid with a leading zero", "grant=g\nuser=a\nservice=s\nleader=1\nuid=01000\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("uid in hex", "grant=g\nuser=a\nservice=s\nleader=1\nuid=0x10\nexp=1\n",
            JIT_REASON_MALFORMED),
        ROW("audit-session unset value", BASE "audit-session=4294967295\n", JIT_REASON_MALFORMED),
        ROW("audit-session overflow", BASE "audit-session=4294967296\n", JIT_REASON_MALFORMED),
        ROW("logind-session with '-'", BASE "logind-session=c-1\n", JIT_REASON_MALFORMED),
        ROW("exp after year 9999",
            "grant=g\nuser=a\nservice=s\nleader=1\nuid=0\nexp=253402300800\n",
            JIT_REASON_MALFORMED),
        ROW("exp empty", "grant=g\nuser=a\nservice=s\nleader=1\nuid=0\nexp=\n",
            JIT_REASON_MALFORMED),
        ROW("bound not yes/no", BASE "bound=true\n", JIT_REASON_MALFORMED),
        ROW("elevated without jti", BASE "elevated=root\n", JIT_REASON_MALFORMED),
        ROW("elevated with two spaces", BASE "elevated=root  g-1\n", JIT_REASON_MALFORMED),
        ROW("elevated target invalid", BASE "elevated=ro/ot g-1\n", JIT_REASON_MALFORMED),
        ROW("elevated jti invalid", BASE "elevated=root g 1\n", JIT_REASON_MALFORMED),
        ROW("elevated listed twice", BASE "elevated=root g-1\nelevated=root g-1\n",
            JIT_REASON_MALFORMED),
};

static void test_hostile(void **state) {
        bool ok = true;

        for (size_t i = 0; i < ELEMENTSOF(hostile); i++) {
                const struct text_row *t = &hostile[i];
                struct session_record *r = (struct session_record *) 0x1;
                struct jit_error err = {};
                int q = session_record_parse("17", t->text, t->len, &r, &err);

                if (!test_check_reason(t->name, q, &err, t->reason, JIT_REASON_NONE))
                        ok = false;
                else if (r != (struct session_record *) 0x1) {
                        print_error("%s: result set on failure\n", t->name);
                        ok = false;
                }
        }
        assert_true(ok);
}

static void test_parse_messages_and_limits(void **state) {
        struct session_record *r = NULL;
        struct jit_error err = {};
        _cleanup_free_ char *many = NULL, *big = NULL, *max = NULL;

        assert_reason(session_record_parse("17", BASE "pid=1\n", strlen(BASE) + 6, &r, &err), &err,
                      JIT_REASON_MALFORMED);
        assert_string_equal(err.message, "line 7: unknown key");
        assert_reason(session_record_parse("17", "user=a\n", 7, &r, &err), &err,
                      JIT_REASON_MALFORMED);
        assert_string_equal(err.message, "missing key 'grant'");
        /* The id must be a valid one too: it came from a file name. */
        assert_reason(session_record_parse("../17", BASE, strlen(BASE), &r, &err), &err,
                      JIT_REASON_MALFORMED);

        /* JIT_SESSION_ELEVATED_MAX elevations load; one more does not. */
        many = test_strdupf("%s", BASE);
        for (unsigned i = 0; i <= JIT_SESSION_ELEVATED_MAX; i++) {
                char *t = test_strdupf("%selevated=root g-%u\n", many, i);

                free(many);
                many = t;
                if (i + 1 == JIT_SESSION_ELEVATED_MAX)
                        max = strdup(many);
        }
        assert_ok(session_record_parse("17", max, strlen(max), &r, &err), &err);
        assert_int_equal(strv_length(r->elevated), JIT_SESSION_ELEVATED_MAX);
        session_record_free(TAKE_PTR(r));
        assert_reason(session_record_parse("17", many, strlen(many), &r, &err), &err,
                      JIT_REASON_TOO_LARGE);

        big = test_strrep('a', JIT_SESSION_FILE_MAX + 1);
        assert_reason(session_record_parse("17", big, strlen(big), &r, &err), &err,
                      JIT_REASON_TOO_LARGE);
}

static void test_format_refuses(void **state) {
        _cleanup_(session_record_freep) struct session_record *r = full_record("17");
        char *text = NULL, *saved;

        /* What parse would refuse is never written. */
        saved = r->tty;
        r->tty = (char *) "pts/0\nuser=root";
        assert_int_equal(session_record_format(r, &text), -EINVAL);
        r->tty = saved;
        r->leader = 0;
        assert_int_equal(session_record_format(r, &text), -EINVAL);
        r->leader = 1;
        memcpy(r->id, "x/y", 4);
        assert_int_equal(session_record_format(r, &text), -EINVAL);
        memcpy(r->id, "17", 3);
        assert_int_equal(strv_extend(&r->elevated, "root g-1"), 0);
        assert_int_equal(session_record_format(r, &text), -EINVAL);
        assert_null(text);
}

static const struct {
        const char *id;
        bool valid;
} ids[] = {
        {"0", true},
        {"1", true},
        {"17", true},
        {"4294967294", true},
        {"logind-c1", true},
        {"logind-1", true},
        {"logind-Ab0xxxxxxxxxxxxxxxxxxxxxxxxxxxxx", true},   /* 32 characters */
        {"logind-Ab0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxy", false}, /* 33 */
        {"", false},
        {"4294967295", false}, /* (uint32_t) -1: no audit session */
        {"4294967296", false},
        {"99999999999", false},
        {"017", false},
        {"00", false},
        {"-1", false},
        {"+1", false},
        {"1 ", false},
        {"1a", false},
        {".lock", false},
        {".", false},
        {"..", false},
        {"../17", false},
        {"17/x", false},
        {"logind-", false},
        {"logind-c-1", false},
        {"logind-c/1", false},
        {"logind", false},
        {"Logind-c1", false},
        {".#17.a1b2c3d4e5f6", false},
};

static void test_id_is_valid(void **state) {
        bool ok = true;

        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                if (session_id_is_valid(ids[i].id) != ids[i].valid) {
                        print_error("'%s': expected %s\n", ids[i].id,
                                    ids[i].valid ? "valid" : "invalid");
                        ok = false;
                }
        assert_false(session_id_is_valid(NULL));
        assert_true(ok);
}

static void test_id_of_pid(void **state) {
        char buf[JIT_SESSION_ID_MAX + 1] = "", small[2];
        unsigned long audit = 0;
        FILE *f = fopen("/proc/self/sessionid", "re");
        pid_t child;
        int r;

        r = session_id_of_pid(0, buf, sizeof(buf));
        if (f) {
                assert_int_equal(fscanf(f, "%lu", &audit), 1);
                fclose(f);
        }
        printf("/proc/self/sessionid %lu -> %d '%s'\n", audit, r, buf);
        if (f && audit != AUDIT_SESSION_UNSET) {
                char want[16];

                (void) snprintf(want, sizeof(want), "%lu", audit);
                assert_int_equal(r, 0);
                assert_string_equal(buf, want);
                assert_int_equal(session_id_of_pid(getpid(), buf, sizeof(buf)), 0);
                assert_string_equal(buf, want);
                assert_int_equal(session_id_of_pid(0, small, sizeof(small)), -ENOBUFS);
        } else {
                /* No audit session: logind's, or none at all. */
                assert_true(r == -ENXIO || r == 0);
                if (r == 0) {
                        assert_true(strncmp(buf, "logind-", 7) == 0);
                        assert_true(session_id_is_valid(buf));
                }
        }

        /* A pid that is gone has no session. */
        child = fork();
        assert_true(child >= 0);
        if (child == 0)
                _exit(0);
        assert_int_equal(waitpid(child, NULL, 0), child);
        assert_int_equal(session_id_of_pid(child, buf, sizeof(buf)), -ENXIO);
        assert_int_equal(session_id_of_pid(-1, buf, sizeof(buf)), -EINVAL);
}

static void test_save_load_remove(void **state) {
        struct fixture *fx = *state;
        _cleanup_(session_record_freep) struct session_record *r = full_record("17");
        _cleanup_(session_record_freep) struct session_record *p = NULL;
        _cleanup_free_ char *path = test_strdupf("%s/17", fx->sessions);
        struct jit_error err = {};

        /* Nothing there yet: removing is fine, loading is -ENOENT. */
        assert_ok(session_record_remove(fx->dir, "17", &err), &err);
        assert_int_equal(session_record_load(fx->dir, "17", &p, &err), -ENOENT);

        assert_ok(session_record_save(fx->dir, r, &err), &err);
        assert_mode(fx->sessions, 0700);
        assert_mode(path, 0600);
        assert_ok(session_record_load(fx->dir, "17", &p, &err), &err);
        assert_records_equal(r, p);

        /* Saving again replaces it. */
        r->bound = false;
        assert_ok(session_record_save(fx->dir, r, &err), &err);
        session_record_free(TAKE_PTR(p));
        assert_ok(session_record_load(fx->dir, "17", &p, &err), &err);
        assert_false(p->bound);

        assert_ok(session_record_remove(fx->dir, "17", &err), &err);
        assert_false(exists(path));
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
        write_text(path, BASE "bogus=1\n", 0600);
        assert_reason(session_record_load(fx->dir, "17", &p, &err), &err, JIT_REASON_MALFORMED);
        assert_non_null(strstr(err.message, path));
}

static void test_sessions_dir_unsafe(void **state) {
        struct fixture *fx = *state;
        _cleanup_(session_record_freep) struct session_record *r = full_record("17");
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
                assert_false(exists(path));
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
        _cleanup_(session_record_freep) struct session_record *r = full_record("17");
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
        assert_mode(lock, 0600);
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
        _cleanup_(session_record_freep) struct session_record *r = full_record("17");
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

                write_text(p, "x", 0600);
        }
        {
                static const char *const good[] = {"9", "logind-c1", "10"};

                for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                        _cleanup_free_ char *p = test_strdupf("%s/%s", fx->sessions, good[i]);

                        write_text(p, BASE, 0600);
                }
        }
        {
                _cleanup_free_ char *lock = test_strdupf("%s/.lock", fx->sessions);
                _cleanup_free_ char *dir = test_strdupf("%s/77", fx->sessions);
                _cleanup_free_ char *link = test_strdupf("%s/78", fx->sessions);

                write_text(lock, "", 0600);
                assert_int_equal(mkdir(dir, 0700), 0);
                assert_int_equal(symlink("/etc/passwd", link), 0);
        }
        assert_ok(session_records_list(fx->dir, &l, &err), &err);
        assert_int_equal(strv_length(l), 3);
        assert_string_equal(l[0], "10");
        assert_string_equal(l[1], "9");
        assert_string_equal(l[2], "logind-c1");
}

static pid_t spawn_exiting_child(void) {
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0)
                _exit(0);
        return pid;
}

/* Wait until pid is a zombie (its /proc state 'Z'), at most ~5 s. */
static void wait_zombie(pid_t pid) {
        for (int i = 0; i < 500; i++) {
                char path[64], buf[512] = "";
                FILE *f;

                (void) snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
                f = fopen(path, "re");
                assert_non_null(f);
                if (fgets(buf, sizeof(buf), f)) {
                        const char *paren = strrchr(buf, ')');

                        if (paren && paren[2] == 'Z') {
                                fclose(f);
                                return;
                        }
                }
                fclose(f);
                (void) nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
        fail_msg("pid %d never became a zombie", (int) pid);
}

static void test_is_live(void **state) {
        _cleanup_(session_record_freep) struct session_record *r = full_record("17");
        pid_t child;
        int status;

        r->audit_session = AUDIT_SESSION_UNSET;
        r->leader = getpid();
        assert_true(session_record_is_live(r));

        /* The leader's pid now names another audit session (or none): a
         * reused pid is not the session. */
        r->audit_session = 12345;
        {
                FILE *f = fopen("/proc/self/sessionid", "re");
                unsigned long mine = AUDIT_SESSION_UNSET;

                if (f) {
                        assert_int_equal(fscanf(f, "%lu", &mine), 1);
                        fclose(f);
                }
                if (mine == 12345)
                        r->audit_session = 12346;
                assert_false(session_record_is_live(r));
                if (mine != AUDIT_SESSION_UNSET) {
                        r->audit_session = (uint32_t) mine;
                        assert_true(session_record_is_live(r));
                }
        }
        r->audit_session = AUDIT_SESSION_UNSET;

        /* A zombie keeps its /proc entry but is not a live session. */
        child = spawn_exiting_child();
        wait_zombie(child);
        r->leader = child;
        assert_false(session_record_is_live(r));
        assert_int_equal(waitpid(child, &status, 0), child);
        /* Reaped: gone. */
        assert_false(session_record_is_live(r));

        r->leader = 0;
        assert_false(session_record_is_live(r));
        r->leader = -1;
        assert_false(session_record_is_live(r));
        assert_false(session_record_is_live(NULL));
}

/* A child that runs child_setup, then waits on a pipe until the parent
 * closes it. */
static pid_t spawn_waiting_child(int *ret_wfd, void (*child_setup)(void)) {
        int p[2];
        pid_t pid;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;

                (void) close(p[1]);
                if (child_setup)
                        child_setup();
                if (read(p[0], &c, 1) < 0)
                        _exit(1);
                _exit(0);
        }
        (void) close(p[0]);
        *ret_wfd = p[1];
        return pid;
}

static void child_setresuid(void) {
        if (setresuid(65534, 0, 0) < 0)
                _exit(1);
}

static void child_setsid(void) {
        if (setsid() < 0)
                _exit(1);
}

/* Wait until pid's real uid is what the child's setup made it, at most
 * ~5 s. */
static void wait_uid(pid_t pid, uid_t want) {
        for (int i = 0; i < 500; i++) {
                uid_t ruid, euid;

                if (proc_uids(pid, &ruid, &euid) == 0 && ruid == want)
                        return;
                (void) nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
        fail_msg("pid %d never got uid %u", (int) pid, (unsigned) want);
}

static void test_proc_uids(void **state) {
        uid_t ruid = 1, euid = 1;
        pid_t child;
        int wfd, status;

        assert_int_equal(proc_uids(getpid(), &ruid, &euid), 0);
        assert_int_equal(ruid, getuid());
        assert_int_equal(euid, geteuid());
        assert_int_equal(proc_uids(0, &ruid, &euid), -EINVAL);
        assert_int_equal(proc_uids(-1, &ruid, &euid), -EINVAL);

        /* Real and effective told apart (the agent signals a process whose
         * real or effective uid is the user's): needs root to set them. */
        if (geteuid() == 0) {
                child = spawn_waiting_child(&wfd, child_setresuid);
                wait_uid(child, 65534);
                assert_int_equal(proc_uids(child, &ruid, &euid), 0);
                assert_int_equal(ruid, 65534);
                assert_int_equal(euid, 0);
                (void) close(wfd);
                assert_int_equal(waitpid(child, &status, 0), child);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                /* Reaped: gone. */
                assert_int_equal(proc_uids(child, &ruid, &euid), -ESRCH);
        }
}

static void test_proc_tty_nr(void **state) {
        unsigned long tty = 1;
        struct stat st;
        pid_t child;
        int wfd, status;

        assert_int_equal(proc_tty_nr(0, &tty), -EINVAL);
        /* When stdin is a terminal, it is (usually) ours: the same device. */
        assert_int_equal(proc_tty_nr(getpid(), &tty), 0);
        if (isatty(STDIN_FILENO) && fstat(STDIN_FILENO, &st) == 0 && tty != 0)
                assert_int_equal(
                        makedev((tty >> 8) & 0xfff, (tty & 0xff) | ((tty >> 12) & 0xfff00)),
                        st.st_rdev);

        /* A new session has no controlling terminal: 0, not the session id
         * or the process group in the fields beside it. */
        child = spawn_waiting_child(&wfd, child_setsid);
        for (int i = 0; i < 500; i++) {
                if (getsid(child) == child)
                        break;
                (void) nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
        assert_int_equal(getsid(child), child);
        tty = 1;
        assert_int_equal(proc_tty_nr(child, &tty), 0);
        assert_int_equal(tty, 0);
        (void) close(wfd);
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(proc_tty_nr(child, &tty) < 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_parse_messages_and_limits),
                cmocka_unit_test(test_format_refuses),
                cmocka_unit_test(test_id_is_valid),
                cmocka_unit_test(test_id_of_pid),
                cmocka_unit_test_setup_teardown(test_save_load_remove, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sessions_dir_unsafe, setup, teardown),
                cmocka_unit_test_setup_teardown(test_add_elevation, setup, teardown),
                cmocka_unit_test_setup_teardown(test_add_elevation_concurrent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list, setup, teardown),
                cmocka_unit_test(test_is_live),
                cmocka_unit_test(test_proc_uids),
                cmocka_unit_test(test_proc_tty_nr),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
