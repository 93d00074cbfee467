/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"

#include "bundle-apply.h"
#include "facts-file.h"
#include "fileio.h"
#include "host-state.h"
#include "jit-conf.h"
#include "jit-limits.h"
#include "macro.h"
#include "revoked-list.h"
#include "user-grants.h"

/* ---- fixture: a fresh host (state_dir, run_dir) per test ---- */

struct fixture {
        char dir[64];
        char state[128], run[128], users[160];
        struct jit_config *c;
        struct test_key key, stranger;
        struct trust_store *ts;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static struct jit_config *make_config(const struct fixture *fx, const char *extra) {
        _cleanup_free_ char *text = test_strdupf("state_dir = %s\nrun_dir = %s\n"
                                                 "trust_store = %s/trust.jwks\n"
                                                 "issuers = " TEST_ISSUER "\n%s",
                                                 fx->state, fx->run, fx->dir, strempty(extra));
        struct jit_config *c = NULL;
        struct jit_error err = {};

        assert_ok(config_parse(text, strlen(text), &c, &err), &err);
        return c;
}

static int setup(void **state) {
        struct fixture *fx = calloc(1, sizeof(*fx));
        const struct test_key *keys[1];

        assert_non_null(fx);
        /* Ownership and mode refusals are part of the contract: run as root,
         * as CI does. */
        assert_int_equal(geteuid(), 0);
        strcpy(fx->dir, "/tmp/jit-test-hoststate-XXXXXX");
        assert_non_null(mkdtemp(fx->dir));
        assert_int_equal(chmod(fx->dir, 0755), 0);
        (void) snprintf(fx->state, sizeof(fx->state), "%s/state", fx->dir);
        (void) snprintf(fx->run, sizeof(fx->run), "%s/run", fx->dir);
        (void) snprintf(fx->users, sizeof(fx->users), "%s/users", fx->state);
        assert_int_equal(mkdir(fx->state, 0755), 0);
        assert_int_equal(mkdir(fx->run, 0755), 0);
        assert_int_equal(chmod(fx->state, 0755), 0);
        assert_int_equal(chmod(fx->run, 0755), 0);
        fx->c = make_config(fx, NULL);
        test_key_init(&fx->key, JWS_ALG_EDDSA, "k1");
        test_key_init(&fx->stranger, JWS_ALG_EDDSA, "k-unknown");
        keys[0] = &fx->key;
        fx->ts = test_trust_store(keys, 1);
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture *fx = *state;

        (void) nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        config_free(fx->c);
        trust_store_free(fx->ts);
        test_key_done(&fx->key);
        test_key_done(&fx->stranger);
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

static char *slurp(const char *path) {
        struct jit_error err = {};
        char *text = NULL;

        assert_ok(read_file_secure(path, 0, 64u * 1024u * 1024u, &text, NULL, &err), &err);
        return text;
}

static void assert_mode(const char *path, mode_t want) {
        struct stat st;

        assert_int_equal(lstat(path, &st), 0);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_mode & 07777, want);
}

static ino_t inode_of(const char *path) {
        struct stat st;

        assert_int_equal(lstat(path, &st), 0);
        return st.st_ino;
}

static bool exists(const char *path) {
        struct stat st;

        return lstat(path, &st) == 0;
}

/* ---- user_grants ---- */

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

struct text_row {
        const char *name;
        const char *text;
        size_t len;
        enum jit_reason reason;
};
#define ROW(n, t, r)                                                                               \
        { n, t, sizeof(t) - 1, r }
#define HDR "serial 1\nbundle-exp 5\n"

static const struct text_row user_grants_hostile[] = {
        ROW("empty file", "", JIT_REASON_MALFORMED),
        ROW("serial missing", "bundle-exp 5\ngrant a.b.c\n", JIT_REASON_MALFORMED),
        ROW("bundle-exp missing", "serial 1\n", JIT_REASON_MALFORMED),
        ROW("bundle-exp missing before grant", "serial 1\ngrant a.b.c\n", JIT_REASON_MALFORMED),
        ROW("header lines swapped", "bundle-exp 5\nserial 1\n", JIT_REASON_MALFORMED),
        ROW("serial given twice", HDR "serial 2\n", JIT_REASON_MALFORMED),
        ROW("bundle-exp given twice", HDR "bundle-exp 6\n", JIT_REASON_MALFORMED),
        ROW("no newline at the end", HDR "grant a.b.c", JIT_REASON_MALFORMED),
        ROW("no newline after header", "serial 1\nbundle-exp 5", JIT_REASON_MALFORMED),
        ROW("blank line", HDR "\ngrant a.b.c\n", JIT_REASON_MALFORMED),
        ROW("CR line ending", "serial 1\r\nbundle-exp 5\n", JIT_REASON_MALFORMED),
        ROW("CR after a token", HDR "grant a.b.c\r\n", JIT_REASON_MALFORMED),
        ROW("NUL inside a token", HDR "grant a.b\0.c\n", JIT_REASON_MALFORMED),
        ROW("NUL line", HDR "\0\n", JIT_REASON_MALFORMED),
        ROW("unknown keyword", HDR "grants a.b.c\n", JIT_REASON_MALFORMED),
        ROW("keyword in upper case", HDR "GRANT a.b.c\n", JIT_REASON_MALFORMED),
        ROW("keyword without value", HDR "grant\n", JIT_REASON_MALFORMED),
        ROW("empty token", HDR "grant \n", JIT_REASON_MALFORMED),
        ROW("two spaces before token", HDR "grant  a.b.c\n", JIT_REASON_MALFORMED),
        ROW("trailing space", HDR "grant a.b.c \n", JIT_REASON_MALFORMED),
        ROW("leading space", HDR " grant a.b.c\n", JIT_REASON_MALFORMED),
        ROW("tab as separator", HDR "grant\ta.b.c\n", JIT_REASON_MALFORMED),
        ROW("token with '/'", HDR "grant a/b.c\n", JIT_REASON_MALFORMED),
        ROW("token with '=' padding", HDR "grant a.b.c=\n", JIT_REASON_MALFORMED),
        ROW("token with '+'", HDR "grant a+b.c\n", JIT_REASON_MALFORMED),
        ROW("token with a space inside", HDR "grant a.b c\n", JIT_REASON_MALFORMED),
        ROW("revoked id with '/'", HDR "revoked a/b\n", JIT_REASON_MALFORMED),
        ROW("revoked id with a space", HDR "revoked a b\n", JIT_REASON_MALFORMED),
        ROW("revoked id empty", HDR "revoked \n", JIT_REASON_MALFORMED),
        ROW("revoked id listed twice", HDR "revoked g-1\nrevoked g-1\n", JIT_REASON_MALFORMED),
        ROW("serial negative", "serial -1\nbundle-exp 5\n", JIT_REASON_MALFORMED),
        ROW("serial with '+'", "serial +1\nbundle-exp 5\n", JIT_REASON_MALFORMED),
        ROW("serial with a leading zero", "serial 01\nbundle-exp 5\n", JIT_REASON_MALFORMED),
        ROW("serial in hex", "serial 0x1\nbundle-exp 5\n", JIT_REASON_MALFORMED),
        ROW("serial above 2^53-1", "serial 9007199254740992\nbundle-exp 5\n", JIT_REASON_MALFORMED),
        ROW("serial overflowing 64 bits", "serial 18446744073709551616\nbundle-exp 5\n",
            JIT_REASON_MALFORMED),
        ROW("bundle-exp negative", "serial 1\nbundle-exp -5\n", JIT_REASON_MALFORMED),
        ROW("bundle-exp after year 9999", "serial 1\nbundle-exp 253402300800\n",
            JIT_REASON_MALFORMED),
        ROW("bundle-exp empty", "serial 1\nbundle-exp \n", JIT_REASON_MALFORMED),
};

static void test_user_grants_hostile(void **state) {
        bool ok = true;

        for (size_t i = 0; i < ELEMENTSOF(user_grants_hostile); i++) {
                const struct text_row *t = &user_grants_hostile[i];
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
        struct fixture *fx = *state;
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        _cleanup_free_ char *alice = test_strdupf("%s/alice", fx->users);
        struct jit_error err = {};

        assert_int_equal(mkdir(fx->users, 0700), 0);
        /* No file: the user has no grant (pam_jit says so). */
        assert_int_equal(user_grants_load(fx->c, "alice", &u, &err), -ENOENT);
        assert_int_equal(err.reason, JIT_REASON_SYSTEM);

        write_text(alice, HDR "grant a.b.c\n", 0600);
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
        write_text(alice, HDR "grant a.b.c\nx y\n", 0600);
        assert_reason(user_grants_load(fx->c, "alice", &u, &err), &err, JIT_REASON_MALFORMED);
        assert_non_null(strstr(err.message, alice));
}

/* ---- host_state ---- */

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

static const struct text_row host_state_hostile[] = {
        ROW("unknown key", "serial 1\nfoo 2\n", JIT_REASON_MALFORMED),
        ROW("serial given twice", "serial 1\nserial 2\n", JIT_REASON_MALFORMED),
        ROW("accepted given twice", "accepted 1\naccepted 1\n", JIT_REASON_MALFORMED),
        ROW("no newline at the end", "serial 1", JIT_REASON_MALFORMED),
        ROW("blank line", "serial 1\n\n", JIT_REASON_MALFORMED),
        ROW("CR line ending", "serial 1\r\n", JIT_REASON_MALFORMED),
        ROW("NUL byte", "serial 1\0\n", JIT_REASON_MALFORMED),
        ROW("key=value instead of key value", "serial=1\n", JIT_REASON_MALFORMED),
        ROW("two spaces", "serial  1\n", JIT_REASON_MALFORMED),
        ROW("serial negative", "serial -1\n", JIT_REASON_MALFORMED),
        ROW("serial above 2^53-1", "serial 9007199254740992\n", JIT_REASON_MALFORMED),
        ROW("serial leading zero", "serial 007\n", JIT_REASON_MALFORMED),
        ROW("digest too short", "bundle-sha256 0123\n", JIT_REASON_MALFORMED),
        ROW("digest upper case",
            "bundle-sha256 "
            "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n",
            JIT_REASON_MALFORMED),
        ROW("digest not hex",
            "bundle-sha256 "
            "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
            JIT_REASON_MALFORMED),
        ROW("digest too long", "bundle-sha256 " SHA "0\n", JIT_REASON_MALFORMED),
        ROW("bundle-iat after year 9999", "bundle-iat 253402300800\n", JIT_REASON_MALFORMED),
        ROW("bundle-exp negative", "bundle-exp -1\n", JIT_REASON_MALFORMED),
        ROW("last-fetch empty", "last-fetch \n", JIT_REASON_MALFORMED),
        ROW("accepted with a unit", "accepted 10s\n", JIT_REASON_MALFORMED),
};

static void test_host_state_hostile(void **state) {
        bool ok = true;

        for (size_t i = 0; i < ELEMENTSOF(host_state_hostile); i++) {
                const struct text_row *t = &host_state_hostile[i];
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
        struct fixture *fx = *state;
        _cleanup_free_ char *path = test_strdupf("%s/state", fx->state);
        struct host_state s = {.serial = 5, .bundle_sha256 = SHA, .bundle_exp = 10}, t;
        struct jit_error err = {};

        memset(&t, 0xff, sizeof(t));
        assert_int_equal(host_state_load(fx->c, &t, &err), -ENOENT);
        assert_int_equal(t.serial, 0);
        assert_int_equal(t.bundle_exp, 0);
        assert_string_equal(t.bundle_sha256, "");

        assert_ok(host_state_save(fx->c, &s, &err), &err);
        assert_mode(path, 0600);
        assert_ok(host_state_load(fx->c, &t, &err), &err);
        assert_memory_equal(&s, &t, sizeof(s));

        /* A corrupt state file fails, it does not read as "no state". */
        write_text(path, "serial 5\nserial 6\n", 0600);
        assert_reason(host_state_load(fx->c, &t, &err), &err, JIT_REASON_MALFORMED);
        write_text(path, "serial 5\n", 0644 | 0020);
        assert_reason(host_state_load(fx->c, &t, &err), &err, JIT_REASON_FILE_UNSAFE);
}

/* ---- revoked ---- */

static void test_host_revoked_contains(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *path = test_strdupf("%s/revoked", fx->state);
        struct jit_error err = {};
        bool found = true;

        /* No bundle yet: nothing revoked, no error. */
        assert_ok(host_revoked_contains(fx->c, "g-1", &found, &err), &err);
        assert_false(found);

        write_text(path, "a-1\ng-1\nz:9\n", 0600);
        assert_ok(host_revoked_contains(fx->c, "g-1", &found, &err), &err);
        assert_true(found);
        assert_ok(host_revoked_contains(fx->c, "z:9", &found, &err), &err);
        assert_true(found);
        assert_ok(host_revoked_contains(fx->c, "a-1", &found, &err), &err);
        assert_true(found);
        assert_ok(host_revoked_contains(fx->c, "g-", &found, &err), &err);
        assert_false(found);
        assert_ok(host_revoked_contains(fx->c, "g-10", &found, &err), &err);
        assert_false(found);
        assert_int_equal(host_revoked_contains(fx->c, "g 1", &found, &err), -EINVAL);

        write_text(path, "", 0600);
        assert_ok(host_revoked_contains(fx->c, "g-1", &found, &err), &err);
        assert_false(found);

        /* Corrupt or unsafe: an error, never "not revoked". */
        write_text(path, "a-1\ng-1", 0600);
        assert_reason(host_revoked_contains(fx->c, "a-1", &found, &err), &err,
                      JIT_REASON_MALFORMED);
        write_text(path, "a-1\n\ng-1\n", 0600);
        assert_reason(host_revoked_contains(fx->c, "g-1", &found, &err), &err,
                      JIT_REASON_MALFORMED);
        write_text(path, "a-1\ng-1\n", 0666);
        assert_reason(host_revoked_contains(fx->c, "g-1", &found, &err), &err,
                      JIT_REASON_FILE_UNSAFE);
}

/* ---- facts ---- */

static void test_host_facts_load(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *path = test_strdupf("%s/facts", fx->run);
        _cleanup_(config_freep) struct jit_config *c =
                make_config(fx, "host_id = pay-db-1\nlabels = env=prod, role=db\n");
        _cleanup_(config_freep) struct jit_config *plain = make_config(fx, NULL);
        struct host_facts f = {};
        struct jit_error err = {};
        char name[HOST_NAME_MAX + 1] = "";

        /* Absent: host_id and the labels. */
        assert_ok(host_facts_load(c, &f, &err), &err);
        assert_int_equal(f.n_facts, 3);
        assert_string_equal(host_facts_get(&f, "host"), "pay-db-1");
        assert_string_equal(host_facts_get(&f, "env"), "prod");
        assert_string_equal(host_facts_get(&f, "role"), "db");
        host_facts_done(&f);

        /* Absent, no host_id: the hostname. */
        assert_int_equal(gethostname(name, sizeof(name) - 1), 0);
        assert_ok(host_facts_load(plain, &f, &err), &err);
        assert_int_equal(f.n_facts, 1);
        assert_string_equal(host_facts_get(&f, "host"), name);
        host_facts_done(&f);

        /* Present: the agent's file wins, config labels are not added. */
        write_text(path, "host=web-1\n# cloud\naws.region=eu-west-1\n", 0644);
        assert_ok(host_facts_load(c, &f, &err), &err);
        assert_int_equal(f.n_facts, 2);
        assert_string_equal(host_facts_get(&f, "host"), "web-1");
        assert_string_equal(host_facts_get(&f, "aws.region"), "eu-west-1");
        assert_null(host_facts_get(&f, "env"));
        host_facts_done(&f);

        /* Present without host=: refused, not patched up. */
        write_text(path, "env=prod\n", 0644);
        assert_reason(host_facts_load(c, &f, &err), &err, JIT_REASON_MALFORMED);
        assert_int_equal(f.n_facts, 0);
        assert_null(f.facts);

        /* Writable by the group: refused, no fallback to the config. */
        write_text(path, "host=web-1\n", 0664);
        assert_reason(host_facts_load(c, &f, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_null(f.facts);

        /* Owned by someone else: refused. */
        write_text(path, "host=web-1\n", 0644);
        assert_int_equal(chown(path, 65534, 0), 0);
        assert_reason(host_facts_load(c, &f, &err), &err, JIT_REASON_FILE_UNSAFE);

        /* Garbage: an error (whatever reason facts.c gives), not a fallback. */
        write_text(path, "host=web-1\nnot a fact\n", 0644);
        assert_int_equal(chown(path, 0, 0), 0);
        assert_true(host_facts_load(c, &f, &err) < 0);
        assert_null(f.facts);
}

/* ---- staleness ---- */

static void test_host_store_is_stale(void **state) {
        struct fixture *fx = *state;
        _cleanup_(config_freep) struct jit_config *c =
                make_config(fx, "stale_after = 1h\nclock_skew = 60s\n");
        _cleanup_(config_freep) struct jit_config *z =
                make_config(fx, "stale_after = 0\nclock_skew = 0\n");
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

/* ---- applying bundles ---- */

static char *sha256_hex(const char *s, size_t len) {
        unsigned char md[32];
        unsigned n = 0;
        char *hex = malloc(65);

        assert_non_null(hex);
        assert_int_equal(EVP_Digest(s, len, md, &n, EVP_sha256(), NULL), 1);
        for (unsigned i = 0; i < 32; i++)
                sprintf(hex + 2 * i, "%02x", md[i]);
        return hex;
}

static char *grant_for(const struct test_key *k, const char *sub, const char *jti,
                       const struct test_member *more) {
        _cleanup_free_ char *s = test_strdupf("\"%s\"", sub), *j = test_strdupf("\"%s\"", jti);
        struct test_member o[8] = {{"sub", s}, {"jti", j}};
        size_t n = 2;

        for (; more && more->name && n < ELEMENTSOF(o) - 1; more++)
                o[n++] = *more;
        return test_grant_token(k, TEST_NOW, o);
}

/* A bundle over the tokens (NULL-terminated) and revoked list (JSON). */
static char *bundle_of(const struct test_key *k, const char *serial, char *const *grants,
                       const char *revoked, const char *iat) {
        char *list = test_strdupf("[");
        char *tok;

        for (size_t i = 0; grants && grants[i]; i++) {
                char *t = test_strdupf("%s%s\"%s\"", list, i ? "," : "", grants[i]);

                free(list);
                list = t;
        }
        {
                char *t = test_strdupf("%s]", list);

                free(list);
                list = t;
        }
        {
                const struct test_member o[] = {
                        {"serial", serial},
                        {"grants", list},
                        {"revoked", revoked ? revoked : "[]"},
                        {"iat", iat ? iat : "@-10"},
                        {},
                };

                tok = test_bundle_token(k, TEST_NOW, o);
        }
        free(list);
        return tok;
}

static int apply(struct fixture *fx, const char *token, int64_t now, struct apply_result *res,
                 struct jit_error *err) {
        return hoststate_apply_bundle(fx->c, fx->ts, token, strlen(token), now, res, err);
}

struct staged {
        char *ga1, *ga2, *gb1, *gx;
        char *bundle;
};

static void staged_done(struct staged *s) {
        free(s->ga1);
        free(s->ga2);
        free(s->gb1);
        free(s->gx);
        free(s->bundle);
}

/* alice: a-1 and a-2 (revoked); bob: b-1; carol's grant by an unknown key. */
static void stage_first(struct fixture *fx, struct staged *s) {
        struct apply_result res;
        struct jit_error err = {};

        s->ga1 = grant_for(&fx->key, "alice", "a-1", NULL);
        s->ga2 = grant_for(&fx->key, "alice", "a-2", NULL);
        s->gb1 = grant_for(&fx->key, "bob", "b-1", NULL);
        s->gx = grant_for(&fx->stranger, "carol", "c-1", NULL);
        {
                char *const grants[] = {s->ga1, s->gx, s->gb1, s->ga2, NULL};

                s->bundle = bundle_of(&fx->key, "7", grants, "[\"z-9\",\"a-2\",\"c-0\"]", NULL);
        }
        assert_ok(apply(fx, s->bundle, TEST_NOW, &res, &err), &err);
        assert_false(res.unchanged);
        assert_int_equal(res.serial, 7);
        assert_int_equal(res.n_grants, 3);
        assert_int_equal(res.n_users, 2);
        assert_int_equal(res.n_invalid, 1);
        assert_int_equal(res.n_revoked, 3);
}

static void test_apply_first(void **state) {
        struct fixture *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *alice = test_strdupf("%s/alice", fx->users);
        _cleanup_free_ char *bob = test_strdupf("%s/bob", fx->users);
        _cleanup_free_ char *carol = test_strdupf("%s/carol", fx->users);
        _cleanup_free_ char *revoked = test_strdupf("%s/revoked", fx->state);
        _cleanup_free_ char *jwt = test_strdupf("%s/bundle.jwt", fx->state);
        _cleanup_free_ char *statef = test_strdupf("%s/state", fx->state);
        _cleanup_free_ char *text = NULL, *want = NULL, *sha = NULL;
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        struct host_state st;
        struct jit_error err = {};
        bool found;

        stage_first(fx, &s);

        assert_mode(fx->users, 0700);
        assert_mode(alice, 0600);
        assert_mode(bob, 0600);
        assert_mode(revoked, 0600);
        assert_mode(jwt, 0600);
        assert_mode(statef, 0600);
        assert_false(exists(carol));

        /* Bundle order kept per user; only the user's own revocations. */
        text = slurp(alice);
        want = test_strdupf("serial 7\nbundle-exp %" PRId64 "\ngrant %s\ngrant %s\nrevoked a-2\n",
                            TEST_NOW + 900, s.ga1, s.ga2);
        assert_string_equal(text, want);
        free(text);
        free(want);
        text = slurp(bob);
        want = test_strdupf("serial 7\nbundle-exp %" PRId64 "\ngrant %s\n", TEST_NOW + 900, s.gb1);
        assert_string_equal(text, want);
        free(text);

        text = slurp(revoked);
        assert_string_equal(text, "a-2\nc-0\nz-9\n");
        free(text);
        text = slurp(jwt);
        assert_string_equal(text, s.bundle);

        sha = sha256_hex(s.bundle, strlen(s.bundle));
        assert_ok(host_state_load(fx->c, &st, &err), &err);
        assert_int_equal(st.serial, 7);
        assert_string_equal(st.bundle_sha256, sha);
        assert_int_equal(st.bundle_iat, TEST_NOW - 10);
        assert_int_equal(st.bundle_exp, TEST_NOW + 900);
        assert_int_equal(st.accepted, TEST_NOW);
        assert_int_equal(st.last_fetch, TEST_NOW);

        /* What pam_jit will read. */
        assert_ok(user_grants_load(fx->c, "alice", &u, &err), &err);
        assert_int_equal(u->n_grants, 2);
        assert_true(user_grants_is_revoked(u, "a-2"));
        assert_false(user_grants_is_revoked(u, "a-1"));
        user_grants_free(TAKE_PTR(u));
        assert_int_equal(user_grants_load(fx->c, "carol", &u, &err), -ENOENT);
        assert_ok(host_revoked_contains(fx->c, "c-0", &found, &err), &err);
        assert_true(found);
        assert_ok(host_revoked_contains(fx->c, "a-1", &found, &err), &err);
        assert_false(found);
}

static void test_apply_unchanged(void **state) {
        struct fixture *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *statef = test_strdupf("%s/state", fx->state);
        _cleanup_free_ char *alice = test_strdupf("%s/alice", fx->users);
        struct apply_result res;
        struct jit_error err = {};
        ino_t state_ino, alice_ino;
        struct host_state st;

        stage_first(fx, &s);
        state_ino = inode_of(statef);
        alice_ino = inode_of(alice);

        /* The same bytes later: nothing rewritten (not even accepted). */
        assert_ok(apply(fx, s.bundle, TEST_NOW + 60, &res, &err), &err);
        assert_true(res.unchanged);
        assert_int_equal(res.serial, 7);
        assert_int_equal(inode_of(statef), state_ino);
        assert_int_equal(inode_of(alice), alice_ino);
        assert_ok(host_state_load(fx->c, &st, &err), &err);
        assert_int_equal(st.accepted, TEST_NOW);
}

static void test_apply_rollback(void **state) {
        struct fixture *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *statef = test_strdupf("%s/state", fx->state);
        _cleanup_free_ char *alice = test_strdupf("%s/alice", fx->users);
        _cleanup_free_ char *bob = test_strdupf("%s/bob", fx->users);
        _cleanup_free_ char *jwt = test_strdupf("%s/bundle.jwt", fx->state);
        _cleanup_free_ char *older = NULL, *other = NULL, *text = NULL;
        struct apply_result res;
        struct jit_error err = {};
        ino_t state_ino, alice_ino, jwt_ino;

        stage_first(fx, &s);
        state_ino = inode_of(statef);
        alice_ino = inode_of(alice);
        jwt_ino = inode_of(jwt);

        /* A lower serial, even with fewer grants (bob's dropped): refused,
         * and nothing on disk moves. */
        {
                char *const grants[] = {s.ga1, NULL};

                older = bundle_of(&fx->key, "6", grants, NULL, NULL);
        }
        assert_int_equal(apply(fx, older, TEST_NOW, &res, &err), -ESTALE);
        assert_int_equal(err.reason, JIT_REASON_ROLLBACK);
        assert_string_equal(err.message, "bundle serial 6 is older than the accepted 7");
        assert_true(exists(bob));

        /* The same serial with other bytes (another iat): refused. */
        {
                char *const grants[] = {s.ga1, NULL};

                other = bundle_of(&fx->key, "7", grants, NULL, "@-5");
        }
        assert_int_equal(apply(fx, other, TEST_NOW, &res, &err), -ESTALE);
        assert_int_equal(err.reason, JIT_REASON_ROLLBACK);
        assert_true(exists(bob));

        assert_int_equal(inode_of(statef), state_ino);
        assert_int_equal(inode_of(alice), alice_ino);
        assert_int_equal(inode_of(jwt), jwt_ino);
        text = slurp(jwt);
        assert_string_equal(text, s.bundle);
}

static void test_apply_later(void **state) {
        struct fixture *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *alice = test_strdupf("%s/alice", fx->users);
        _cleanup_free_ char *bob = test_strdupf("%s/bob", fx->users);
        _cleanup_free_ char *eve = test_strdupf("%s/eve", fx->users);
        _cleanup_free_ char *dave = test_strdupf("%s/dave", fx->users);
        _cleanup_free_ char *tmp = test_strdupf("%s/.#alice.123456", fx->users);
        _cleanup_free_ char *sub = test_strdupf("%s/frank", fx->users);
        _cleanup_free_ char *revoked = test_strdupf("%s/revoked", fx->state);
        _cleanup_free_ char *target = test_strdupf("%s/target", fx->dir);
        _cleanup_free_ char *expired = NULL, *later = NULL, *text = NULL, *want = NULL;
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        const struct test_member old[] = {
                {"iat", "@-7200"}, {"nbf", "@-7200"}, {"exp", "@-3600"}, {}};
        struct apply_result res;
        struct jit_error err = {};
        struct host_state st;

        stage_first(fx, &s);

        /* Things that are not ours to remove: a symlink, a temporary, a
         * folder. A stray regular file of a user without grants goes. */
        write_text(target, "keep\n", 0600);
        assert_int_equal(symlink(target, dave), 0);
        write_text(tmp, "x", 0600);
        assert_int_equal(mkdir(sub, 0700), 0);
        write_text(eve, "serial 1\nbundle-exp 1\n", 0600);

        expired = grant_for(&fx->key, "alice", "a-old", old);
        {
                char *const grants[] = {expired, s.ga1, NULL};

                later = bundle_of(&fx->key, "8", grants, NULL, NULL);
        }
        assert_ok(apply(fx, later, TEST_NOW + 30, &res, &err), &err);
        assert_false(res.unchanged);
        assert_int_equal(res.serial, 8);
        assert_int_equal(res.n_grants, 2);
        assert_int_equal(res.n_users, 1);
        assert_int_equal(res.n_invalid, 0);
        assert_int_equal(res.n_revoked, 0);

        assert_false(exists(bob));
        assert_false(exists(eve));
        assert_true(exists(dave));
        assert_true(exists(target));
        assert_true(exists(tmp));
        assert_true(exists(sub));

        /* The expired grant is kept, so pam_jit can say when it ended. */
        text = slurp(alice);
        want = test_strdupf("serial 8\nbundle-exp %" PRId64 "\ngrant %s\ngrant %s\n",
                            TEST_NOW + 900, expired, s.ga1);
        assert_string_equal(text, want);
        free(text);
        text = slurp(revoked);
        assert_string_equal(text, "");

        assert_ok(host_state_load(fx->c, &st, &err), &err);
        assert_int_equal(st.serial, 8);
        assert_int_equal(st.accepted, TEST_NOW + 30);
        assert_ok(user_grants_load(fx->c, "alice", &u, &err), &err);
        assert_int_equal(u->n_revoked, 0);
}

static void test_apply_rejected_bundle(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *ga = grant_for(&fx->key, "alice", "a-1", NULL);
        _cleanup_free_ char *forged = NULL, *statef = test_strdupf("%s/state", fx->state);
        char *const grants[] = {ga, NULL};
        struct apply_result res = {.serial = 99};
        struct jit_error err = {};

        /* The bundle's own verdict is returned as is; nothing is written. */
        forged = bundle_of(&fx->stranger, "7", grants, NULL, NULL);
        assert_reason(apply(fx, forged, TEST_NOW, &res, &err), &err, JIT_REASON_KID_UNKNOWN);
        assert_int_equal(res.serial, 0);
        assert_false(exists(statef));
        assert_false(exists(fx->users));
        assert_reason(hoststate_apply_bundle(fx->c, fx->ts, "a.b.c", 5, TEST_NOW, &res, &err), &err,
                      JIT_REASON_BASE64);
}

static void test_apply_unsafe_users_dir(void **state) {
        struct fixture *fx = *state;
        _cleanup_(staged_done) struct staged s = {};
        _cleanup_free_ char *later = NULL;
        _cleanup_free_ char *elsewhere = test_strdupf("%s/elsewhere", fx->dir);
        struct apply_result res;
        struct jit_error err = {};
        struct host_state st;

        stage_first(fx, &s);
        {
                char *const grants[] = {s.ga1, NULL};

                later = bundle_of(&fx->key, "8", grants, NULL, NULL);
        }

        assert_int_equal(chmod(fx->users, 0777), 0);
        assert_reason(apply(fx, later, TEST_NOW, &res, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_int_equal(chmod(fx->users, 0770), 0);
        assert_reason(apply(fx, later, TEST_NOW, &res, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_int_equal(chmod(fx->users, 0700), 0);
        assert_int_equal(chown(fx->users, 65534, 0), 0);
        assert_reason(apply(fx, later, TEST_NOW, &res, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_int_equal(chown(fx->users, 0, 0), 0);

        /* users/ a symlink to a folder elsewhere: refused, not followed. */
        assert_int_equal(rename(fx->users, elsewhere), 0);
        assert_int_equal(symlink(elsewhere, fx->users), 0);
        assert_reason(apply(fx, later, TEST_NOW, &res, &err), &err, JIT_REASON_FILE_UNSAFE);

        assert_ok(host_state_load(fx->c, &st, &err), &err);
        assert_int_equal(st.serial, 7);

        /* Put right, the same bundle applies. */
        assert_int_equal(unlink(fx->users), 0);
        assert_int_equal(rename(elsewhere, fx->users), 0);
        assert_ok(apply(fx, later, TEST_NOW, &res, &err), &err);
        assert_int_equal(res.serial, 8);
}

static void test_apply_state_dir_unsafe(void **state) {
        struct fixture *fx = *state;
        _cleanup_free_ char *ga = grant_for(&fx->key, "alice", "a-1", NULL), *b = NULL;
        char *const grants[] = {ga, NULL};
        struct apply_result res;
        struct jit_error err = {};

        b = bundle_of(&fx->key, "1", grants, NULL, NULL);
        assert_int_equal(chmod(fx->state, 0777), 0);
        assert_reason(apply(fx, b, TEST_NOW, &res, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_false(exists(fx->users));
        assert_int_equal(chmod(fx->state, 0755), 0);
        /* A corrupt state file fails closed: rollback cannot be checked. */
        {
                _cleanup_free_ char *statef = test_strdupf("%s/state", fx->state);

                write_text(statef, "serial x\n", 0600);
                assert_reason(apply(fx, b, TEST_NOW, &res, &err), &err, JIT_REASON_MALFORMED);
        }
}

/* More than JIT_USER_GRANTS_MAX grants for one user: the rest are counted
 * invalid, and the file stays loadable. */
static void test_apply_user_cap(void **state) {
        struct fixture *fx = *state;
        const size_t n = JIT_USER_GRANTS_MAX + 2;
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        char **grants = calloc(n + 2, sizeof(char *));
        _cleanup_free_ char *b = NULL;
        struct apply_result res;
        struct jit_error err = {};

        assert_non_null(grants);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *jti = test_strdupf("a-%zu", i);

                grants[i] = grant_for(&fx->key, "alice", jti, NULL);
        }
        grants[n] = grant_for(&fx->key, "bob", "b-1", NULL);
        b = bundle_of(&fx->key, "3", grants, NULL, NULL);
        assert_ok(apply(fx, b, TEST_NOW, &res, &err), &err);
        assert_int_equal(res.n_grants, JIT_USER_GRANTS_MAX + 1);
        assert_int_equal(res.n_invalid, 2);
        assert_int_equal(res.n_users, 2);
        assert_ok(user_grants_load(fx->c, "alice", &u, &err), &err);
        assert_int_equal(u->n_grants, JIT_USER_GRANTS_MAX);
        /* The first ones, in bundle order. */
        assert_string_equal(u->grants[0], grants[0]);
        assert_string_equal(u->grants[JIT_USER_GRANTS_MAX - 1], grants[JIT_USER_GRANTS_MAX - 1]);
        strv_free(grants);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_user_grants_round_trip),
                cmocka_unit_test(test_user_grants_hostile),
                cmocka_unit_test(test_user_grants_message),
                cmocka_unit_test(test_user_grants_limits),
                cmocka_unit_test(test_user_grants_format_refuses),
                cmocka_unit_test_setup_teardown(test_user_grants_load, setup, teardown),
                cmocka_unit_test(test_host_state_round_trip),
                cmocka_unit_test(test_host_state_hostile),
                cmocka_unit_test_setup_teardown(test_host_state_load_save, setup, teardown),
                cmocka_unit_test_setup_teardown(test_host_revoked_contains, setup, teardown),
                cmocka_unit_test_setup_teardown(test_host_facts_load, setup, teardown),
                cmocka_unit_test_setup_teardown(test_host_store_is_stale, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_first, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_unchanged, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_rollback, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_later, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_rejected_bundle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_unsafe_users_dir, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_state_dir_unsafe, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_user_cap, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
