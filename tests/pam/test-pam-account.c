/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The account hook's allow/deny matrix (pam_jit(8), "account, mode=ssh"): one
 * row per situation, each a real PAM transaction (pam_start_confdir() +
 * pam_acct_mgmt()) on the built module against a freshly staged host. Every
 * row asserts the PAM code and the one message the user sees. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "facts-file.h"
#include "pam-harness.h"
#include "test-store.h"

enum signer {
        SIGNER_NONE = 0, /* unused slot */
        SIGNER_TRUSTED,
        SIGNER_UNKNOWN,  /* kid not in the trust store */
        SIGNER_IMPOSTOR, /* the trusted kid, another key */
};

struct grant_spec {
        enum signer signer;
        struct test_member over[8]; /* test_grant_claims() overrides */
};

enum {
        F_NO_STAGE = 1 << 0,         /* no bundle was ever applied */
        F_RAW = 1 << 1,              /* write users/<file_user> directly (no agent checks) */
        F_CONFIG_MISSING = 1 << 2,   /* jit.conf removed */
        F_CONFIG_GROUP_W = 1 << 3,   /* jit.conf 0664 */
        F_CONFIG_SYMLINK = 1 << 4,   /* jit.conf is a symlink to the real file */
        F_TRUST_CORRUPT = 1 << 5,    /* trust.jwks is not JSON */
        F_TRUST_MISSING = 1 << 6,    /* trust.jwks removed */
        F_USERFILE_CORRUPT = 1 << 7, /* users/alice is garbage */
        F_USERFILE_SYMLINK = 1 << 8, /* users/alice -> a valid file elsewhere */
        F_USERFILE_GROUP_W = 1 << 9, /* users/alice 0660 */
        F_FACTS_OTHER = 1 << 10,     /* run/facts: another host */
        F_FACTS_UNSAFE = 1 << 11,    /* run/facts 0666 */
        F_BOUND_LIVE = 1 << 12,      /* record: g-1 held (bound) by a live session */
        F_BOUND_DEAD = 1 << 13,      /* record: g-1 held by a session whose leader is gone */
        F_SHARED_LIVE = 1 << 14,     /* record: g-1 used, not bound, by a live session */
        F_STAGE_TOOL = 1 << 15,      /* stage with tests/tools/jit-host-apply */
};

struct account_case {
        const char *name;
        const char *service;   /* default sshd */
        const char *args;      /* module arguments besides config= */
        const char *conf;      /* extra jit.conf lines */
        const char *user;      /* PAM_USER, default alice */
        size_t user_len;       /* > 0: PAM_USER is that many 'a' */
        const char *file_user; /* F_RAW: whose file, default the PAM user */
        struct grant_spec grants[4];
        const char *revoked; /* the bundle's revoked claim (JSON), or F_RAW: one id */
        int64_t bundle_exp;  /* F_RAW: bundle-exp = now + this (0: 900) */
        unsigned flags;
        int want_rc;
        const char *want_msg; /* substring of the one PAM_ERROR_MSG; "{T}" = HH:MM of now+want_t */
        int64_t want_t;
        const char *must_not[4]; /* never in any message */
};

#define OK PAM_SUCCESS
#define DENIED PAM_PERM_DENIED
#define NO_GRANT(u) "jit: no access grant for " u " on this host"
#define CHECK_FAILED "jit: access check failed; see the system log"
#define OUT_OF_DATE "jit: access grants on this host are out of date; new logins are refused"
#define G(...)                                                                                     \
        {                                                                                          \
                SIGNER_TRUSTED, {                                                                  \
                        __VA_ARGS__                                                                \
                }                                                                                  \
        }
#define G_BY(s, ...)                                                                               \
        {                                                                                          \
                s, {                                                                               \
                        __VA_ARGS__                                                                \
                }                                                                                  \
        }
#define M(n, v)                                                                                    \
        { n, v }

static const struct account_case cases[] = {
        /* Allowed. */
        {"valid ssh grant", .grants = {G()}, .want_rc = OK},
        {"valid grant whose aud names the host id", .grants = {G(M("aud", "[\"host=pay-db-1\"]"))},
         .want_rc = OK},
        {"valid grant whose aud is a conjunction of labels",
         .grants = {G(M("aud", "[\"env=prod,role=db\"]"))}, .want_rc = OK},
        {"valid grant whose second aud selector matches",
         .grants = {G(M("aud", "[\"host=web-1\",\"role=db\"]"))}, .want_rc = OK},
        {"valid grant with ssh scope only", .grants = {G(M("scope", "[\"ssh\"]"))}, .want_rc = OK},
        {"an expired grant and a valid one",
         .grants = {G(M("jti", "\"g-old\""), M("iat", "@-7200"), M("nbf", "@-7200"),
                      M("exp", "@-3600")),
                    G(M("jti", "\"g-new\""))},
         .want_rc = OK},
        {"a sudo-only grant and a valid ssh grant",
         .grants = {G(M("jti", "\"g-sudo\""), M("scope", "[\"sudo\"]")), G(M("jti", "\"g-ssh\""))},
         .want_rc = OK},
        {"starts in 30 s, inside clock_skew 60 s",
         .grants = {G(M("iat", "@-10"), M("nbf", "@30"), M("exp", "@1800"))}, .want_rc = OK},
        {"staged with jit-host-apply", .grants = {G()}, .flags = F_STAGE_TOOL, .want_rc = OK},

        /* Denied: nothing usable. */
        {"no bundle ever applied", .flags = F_NO_STAGE, .want_rc = DENIED,
         .want_msg = NO_GRANT("alice")},
        {"no user file: only bob has a grant",
         .grants = {G(M("sub", "\"bob\""), M("jti", "\"g-bob\""))}, .want_rc = DENIED,
         .want_msg = NO_GRANT("alice"), .must_not = {"g-bob"}},
        {"grant for another host",
         .grants = {G(M("jti", "\"g-web\""), M("aud", "[\"host=web-1\"]"))}, .want_rc = DENIED,
         .want_msg = NO_GRANT("alice"), .must_not = {"g-web", "another host", "web-1"}},
        {"grant for another env", .grants = {G(M("aud", "[\"env=dev\"]"))}, .want_rc = DENIED,
         .want_msg = NO_GRANT("alice"), .must_not = {"g-1"}},
        {"grant whose selector matches only half",
         .grants = {G(M("aud", "[\"env=prod,role=web\"]"))}, .want_rc = DENIED,
         .want_msg = NO_GRANT("alice"), .must_not = {"g-1"}},
        {"sudo-only grant in ssh mode", .grants = {G(M("scope", "[\"sudo\"]"))}, .want_rc = DENIED,
         .want_msg = NO_GRANT("alice"), .must_not = {"g-1"}},
        {"expired grant for another host is not named",
         .grants = {G(M("aud", "[\"host=web-1\"]"), M("iat", "@-7200"), M("nbf", "@-7200"),
                      M("exp", "@-3600"))},
         .want_rc = DENIED, .want_msg = NO_GRANT("alice"), .must_not = {"g-1", "expired"}},
        {"revoked grant for another host is not named", .grants = {G(M("aud", "[\"host=web-1\"]"))},
         .revoked = "[\"g-1\"]", .want_rc = DENIED, .want_msg = NO_GRANT("alice"),
         .must_not = {"g-1", "revoked"}},
        {"root in ssh mode needs a grant too", .user = "root", .flags = F_NO_STAGE,
         .want_rc = DENIED, .want_msg = NO_GRANT("root")},

        /* Denied: time and revocation, with the right message. */
        {"expired 30 s ago: clock_skew 60 s does not lengthen a grant",
         .grants = {G(M("iat", "@-1000"), M("nbf", "@-1000"), M("exp", "@-30"))}, .want_rc = DENIED,
         .want_msg = "jit: your access grant g-1 expired at {T} UTC", .want_t = -30},
        {"expired grant", .grants = {G(M("iat", "@-7200"), M("nbf", "@-7200"), M("exp", "@-3600"))},
         .want_rc = DENIED, .want_msg = "jit: your access grant g-1 expired at {T} UTC",
         .want_t = -3600},
        {"expired 120 s ago, beyond clock_skew 60 s",
         .grants = {G(M("iat", "@-1000"), M("nbf", "@-1000"), M("exp", "@-120"))},
         .want_rc = DENIED, .want_msg = "jit: your access grant g-1 expired at {T} UTC",
         .want_t = -120},
        {"expired 30 s ago with clock_skew 0", .conf = "clock_skew = 0",
         .grants = {G(M("iat", "@-1000"), M("nbf", "@-1000"), M("exp", "@-30"))}, .want_rc = DENIED,
         .want_msg = "jit: your access grant g-1 expired at {T} UTC", .want_t = -30},
        {"not yet valid grant",
         .grants = {G(M("iat", "@-10"), M("nbf", "@3600"), M("exp", "@5400"))}, .want_rc = DENIED,
         .want_msg = "jit: your access grant g-1 starts at {T} UTC", .want_t = 3600},
        {"starts in 200 s, beyond clock_skew 60 s",
         .grants = {G(M("iat", "@-10"), M("nbf", "@200"), M("exp", "@1800"))}, .want_rc = DENIED,
         .want_msg = "jit: your access grant g-1 starts at {T} UTC", .want_t = 200},
        {"revoked grant", .grants = {G()}, .revoked = "[\"g-1\"]", .want_rc = DENIED,
         .want_msg = "jit: your access grant g-1 was revoked"},
        {"two expired grants: the latest expiry is named",
         .grants = {G(M("jti", "\"g-late\""), M("iat", "@-3000"), M("nbf", "@-3000"),
                      M("exp", "@-600")),
                    G(M("jti", "\"g-early\""), M("iat", "@-9000"), M("nbf", "@-9000"),
                      M("exp", "@-7200"))},
         .want_rc = DENIED, .want_msg = "jit: your access grant g-late expired at {T} UTC",
         .want_t = -600, .must_not = {"g-early"}},
        {"revoked outranks expired",
         .grants = {G(M("jti", "\"g-old\""), M("iat", "@-7200"), M("nbf", "@-7200"),
                      M("exp", "@-3600")),
                    G(M("jti", "\"g-rev\""))},
         .revoked = "[\"g-rev\"]", .want_rc = DENIED,
         .want_msg = "jit: your access grant g-rev was revoked", .must_not = {"g-old"}},
        {"expired outranks not yet valid",
         .grants = {G(M("jti", "\"g-soon\""), M("nbf", "@3600"), M("exp", "@5400")),
                    G(M("jti", "\"g-old\""), M("iat", "@-7200"), M("nbf", "@-7200"),
                      M("exp", "@-3600"))},
         .want_rc = DENIED, .want_msg = "jit: your access grant g-old expired at {T} UTC",
         .want_t = -3600, .must_not = {"g-soon"}},
        {"not yet valid outranks a grant for another host",
         .grants = {G(M("jti", "\"g-web\""), M("aud", "[\"host=web-1\"]")),
                    G(M("jti", "\"g-soon\""), M("nbf", "@3600"), M("exp", "@5400"))},
         .want_rc = DENIED, .want_msg = "jit: your access grant g-soon starts at {T} UTC",
         .want_t = 3600, .must_not = {"g-web"}},

        /* Denied: the module verifies each stored token again (written
         * straight into the user file, past the agent's checks). */
        {"grant signed by a key not in the trust store", .grants = {G_BY(SIGNER_UNKNOWN, )},
         .flags = F_RAW, .want_rc = DENIED, .want_msg = NO_GRANT("alice")},
        {"grant signed by an impostor key with the trusted kid",
         .grants = {G_BY(SIGNER_IMPOSTOR, )}, .flags = F_RAW, .want_rc = DENIED,
         .want_msg = NO_GRANT("alice")},
        {"grant from an untrusted issuer", .grants = {G(M("iss", "\"https://evil.example.com\""))},
         .flags = F_RAW, .want_rc = DENIED, .want_msg = NO_GRANT("alice")},
        {"grant TTL over 12 h", .grants = {G(M("nbf", "@-10"), M("exp", "@50000"))}, .flags = F_RAW,
         .want_rc = DENIED, .want_msg = NO_GRANT("alice")},
        {"grant TTL over a lowered max_grant_ttl", .conf = "max_grant_ttl = 10m", .grants = {G()},
         .flags = F_RAW, .want_rc = DENIED, .want_msg = NO_GRANT("alice")},
        {"bob's token in alice's user file",
         .grants = {G(M("sub", "\"bob\""), M("jti", "\"g-bob\""))}, .file_user = "alice",
         .flags = F_RAW, .want_rc = DENIED, .want_msg = NO_GRANT("alice"), .must_not = {"g-bob"}},
        {"revoked id in the user file", .grants = {G()}, .revoked = "g-1", .flags = F_RAW,
         .want_rc = DENIED, .want_msg = "jit: your access grant g-1 was revoked"},

        /* Stale store. */
        {"stale store with stale_policy=deny", .conf = "stale_policy = deny", .grants = {G()},
         .bundle_exp = -7200, .flags = F_RAW, .want_rc = DENIED, .want_msg = OUT_OF_DATE},
        {"stale store with stale_policy=keep", .conf = "stale_policy = keep", .grants = {G()},
         .bundle_exp = -7200, .flags = F_RAW, .want_rc = OK},
        {"stale by 30 s past stale_after + clock_skew", .conf = "stale_policy = deny",
         .grants = {G()}, .bundle_exp = -3600 - 60 - 30, .flags = F_RAW, .want_rc = DENIED,
         .want_msg = OUT_OF_DATE},
        {"bundle past exp, 60 s inside stale_after + clock_skew", .conf = "stale_policy = deny",
         .grants = {G()}, .bundle_exp = -3600, .flags = F_RAW, .want_rc = OK},

        /* Exemptions. */
        {"exempt user without any grant", .conf = "exempt_users = alice", .flags = F_NO_STAGE,
         .want_rc = OK},
        {"exempt user with a revoked grant", .conf = "exempt_users = bob, alice", .grants = {G()},
         .revoked = "[\"g-1\"]", .want_rc = OK},
        {"exempt user on a stale store", .conf = "exempt_users = alice\nstale_policy = deny",
         .grants = {G()}, .bundle_exp = -7200, .flags = F_RAW, .want_rc = OK},
        {"exempt_users lists someone else", .conf = "exempt_users = bob", .flags = F_NO_STAGE,
         .want_rc = DENIED, .want_msg = NO_GRANT("alice")},
        {"exempt_group root admits root", .conf = "exempt_group = root", .user = "root",
         .flags = F_NO_STAGE, .want_rc = OK},
        {"exempt_group root does not admit daemon", .conf = "exempt_group = root", .user = "daemon",
         .flags = F_NO_STAGE, .want_rc = DENIED, .want_msg = NO_GRANT("daemon")},
        {"exempt_group with a user unknown to passwd", .conf = "exempt_group = root",
         .user = "ghost-user", .flags = F_NO_STAGE, .want_rc = DENIED,
         .want_msg = NO_GRANT("ghost-user")},

        /* Break-glass from the PAM line: what it exists to survive cannot
         * lock it out, and nobody else gets in through it. */
        {"exempt= on the PAM line, config with an unknown key", .args = "exempt=bob,alice",
         .conf = "labls = x", .flags = F_NO_STAGE, .want_rc = OK},
        {"exempt= on the PAM line, config missing", .args = "exempt=alice",
         .flags = F_CONFIG_MISSING | F_NO_STAGE, .want_rc = OK},
        {"exempt= on the PAM line, config group-writable", .args = "exempt=alice",
         .flags = F_CONFIG_GROUP_W | F_NO_STAGE, .want_rc = OK},
        {"exempt= on the PAM line, trust store corrupt", .args = "exempt=alice",
         .flags = F_TRUST_CORRUPT | F_NO_STAGE, .want_rc = OK},
        {"exempt= on the PAM line, trust store missing", .args = "exempt=alice",
         .flags = F_TRUST_MISSING | F_NO_STAGE, .want_rc = OK},
        {"exempt_group= on the PAM line admits root, trust store corrupt",
         .args = "exempt_group=root", .user = "root", .flags = F_TRUST_CORRUPT | F_NO_STAGE,
         .want_rc = OK},
        {"exempt= names someone else: trust store corrupt still fails closed", .args = "exempt=bob",
         .grants = {G()}, .flags = F_TRUST_CORRUPT, .want_rc = PAM_SERVICE_ERR,
         .want_msg = CHECK_FAILED},
        {"exempt_group= without the user: config broken still fails closed",
         .args = "exempt_group=root", .user = "daemon", .conf = "labls = x", .flags = F_NO_STAGE,
         .want_rc = PAM_SERVICE_ERR, .want_msg = CHECK_FAILED},
        {"exempt= names a prefix of the user", .args = "exempt=alic", .flags = F_NO_STAGE,
         .want_rc = DENIED, .want_msg = NO_GRANT("alice")},
        {"exempt= empty", .args = "exempt=", .grants = {G()}, .want_rc = PAM_SERVICE_ERR},
        {"exempt= lists a name twice", .args = "exempt=alice,alice", .grants = {G()},
         .want_rc = PAM_SERVICE_ERR},
        {"exempt= with an invalid name", .args = "exempt=alice,../x", .grants = {G()},
         .want_rc = PAM_SERVICE_ERR},
        {"exempt= with an empty item", .args = "exempt=alice,", .grants = {G()},
         .want_rc = PAM_SERVICE_ERR},

        /* Invalid PAM_USER. */
        {"PAM_USER ../x", .user = "../x", .flags = F_NO_STAGE, .want_rc = DENIED},
        {"PAM_USER empty", .user = "", .flags = F_NO_STAGE, .want_rc = DENIED},
        {"PAM_USER of 300 characters", .user_len = 300, .flags = F_NO_STAGE, .want_rc = DENIED},
        {"PAM_USER root with a newline", .user = "root\n", .conf = "exempt_users = root",
         .flags = F_NO_STAGE, .want_rc = DENIED},
        {"PAM_USER alice/../bob", .user = "alice/../bob", .grants = {G()}, .want_rc = DENIED},

        /* Misconfiguration and unsafe files: PAM_SERVICE_ERR. */
        {"unknown module argument", .args = "frobnicate", .grants = {G()},
         .want_rc = PAM_SERVICE_ERR},
        {"mode=bogus", .args = "mode=bogus", .grants = {G()}, .want_rc = PAM_SERVICE_ERR},
        {"config missing", .flags = F_CONFIG_MISSING | F_NO_STAGE, .want_rc = PAM_SERVICE_ERR,
         .want_msg = CHECK_FAILED},
        {"config group-writable", .grants = {G()}, .flags = F_CONFIG_GROUP_W,
         .want_rc = PAM_SERVICE_ERR, .want_msg = CHECK_FAILED},
        {"config through a symlink", .grants = {G()}, .flags = F_CONFIG_SYMLINK,
         .want_rc = PAM_SERVICE_ERR, .want_msg = CHECK_FAILED},
        {"config with an unknown key", .conf = "frobnicate = 1", .flags = F_NO_STAGE,
         .want_rc = PAM_SERVICE_ERR, .want_msg = CHECK_FAILED},
        {"trust store corrupt", .grants = {G()}, .flags = F_TRUST_CORRUPT,
         .want_rc = PAM_SERVICE_ERR, .want_msg = CHECK_FAILED},
        {"trust store missing", .grants = {G()}, .flags = F_TRUST_MISSING,
         .want_rc = PAM_SERVICE_ERR, .want_msg = CHECK_FAILED},
        {"user file corrupt", .flags = F_USERFILE_CORRUPT, .want_rc = PAM_SERVICE_ERR,
         .want_msg = CHECK_FAILED},
        {"user file is a symlink to a valid file", .grants = {G()}, .flags = F_USERFILE_SYMLINK,
         .want_rc = PAM_SERVICE_ERR, .want_msg = CHECK_FAILED},
        {"user file group-writable", .grants = {G()}, .flags = F_USERFILE_GROUP_W,
         .want_rc = PAM_SERVICE_ERR, .want_msg = CHECK_FAILED},
        {"facts file world-writable", .grants = {G()}, .flags = F_FACTS_UNSAFE,
         .want_rc = PAM_SERVICE_ERR, .want_msg = CHECK_FAILED},

        /* Facts and sessions. */
        {"facts file names another host", .grants = {G()}, .flags = F_FACTS_OTHER,
         .want_rc = DENIED, .want_msg = NO_GRANT("alice")},
        {"bind=session grant held by another live session", .grants = {G(M("bind", "\"session\""))},
         .flags = F_BOUND_LIVE, .want_rc = DENIED,
         .want_msg = "jit: your access grant g-1 is in use by another session"},
        {"bind=session grant whose session leader is gone", .grants = {G(M("bind", "\"session\""))},
         .flags = F_BOUND_DEAD, .want_rc = OK},
        {"grant without bind used by a live session", .grants = {G()}, .flags = F_SHARED_LIVE,
         .want_rc = OK},

        /* Mode. */
        {"sudo service: root invoker needs no grant", .service = "sudo", .user = "root",
         .flags = F_NO_STAGE, .want_rc = OK},
        {"mode=sudo on sshd: root invoker needs no grant", .args = "mode=sudo", .user = "root",
         .flags = F_NO_STAGE, .want_rc = OK},
        {"mode=ssh on service sudo: root needs a grant", .service = "sudo", .args = "mode=ssh",
         .user = "root", .flags = F_NO_STAGE, .want_rc = DENIED, .want_msg = NO_GRANT("root")},
};

static struct harness_keys keys;

static int group_setup(void **state) {
        (void) state;
        harness_keys_init(&keys);
        return 0;
}

static int group_teardown(void **state) {
        (void) state;
        harness_keys_done(&keys);
        return 0;
}

static int case_setup(void **state) {
        const struct account_case *row = *state;
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        fixture_init(f, &keys, row->conf);
        f->row = row;
        *state = f;
        return 0;
}

static int case_teardown(void **state) {
        struct fixture *f = *state;

        fixture_done(f);
        free(f);
        return 0;
}

static const struct test_key *signer_key(enum signer s) {
        switch (s) {
        case SIGNER_UNKNOWN:
                return &keys.unknown;
        case SIGNER_IMPOSTOR:
                return &keys.impostor;
        default:
                return &keys.trusted;
        }
}

static void stage_with_tool(struct fixture *f, char *const *tokens, size_t n) {
        const char *tool = getenv("JIT_HOST_APPLY");
        _cleanup_free_ char *store = fixture_path(f, "store");
        _cleanup_(config_freep) struct jit_config *c = NULL;
        struct host_facts facts = {};
        struct jit_error err = {};
        int status;
        pid_t pid;

        if (!tool)
                fail_msg("JIT_HOST_APPLY is not set: tests/tools/jit-host-apply was not built");
        assert_true(mkdir(store, 0755) == 0 || errno == EEXIST);
        assert_ok(config_load(f->conf, 0, &c, &err), &err);
        assert_ok(host_facts_load(c, &facts, &err), &err);
        test_store_write(store, &keys.trusted, &facts, tokens, n, NULL, f->now);
        host_facts_done(&facts);

        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                execl(tool, tool, "--config", f->conf, store, (char *) NULL);
                _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void stage(struct fixture *f, const struct account_case *row) {
        char *tokens[ELEMENTSOF(row->grants) + 1] = {};
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(row->grants); i++)
                if (row->grants[i].signer != SIGNER_NONE)
                        tokens[n++] =
                                fixture_own(f, fixture_grant(f, signer_key(row->grants[i].signer),
                                                             row->grants[i].over));

        if (row->flags & F_NO_STAGE)
                assert_int_equal(n, 0);
        else if (row->flags & F_RAW) {
                const char *user = row->file_user ? row->file_user
                                   : row->user    ? row->user
                                                  : "alice";
                char *revoked[] = {(char *) row->revoked, NULL};

                fixture_write_user_file(f, user, tokens, n, revoked,
                                        row->bundle_exp != 0 ? row->bundle_exp : 900);
        } else if (row->flags & F_STAGE_TOOL)
                stage_with_tool(f, tokens, n);
        else
                fixture_apply(f, tokens, n, row->revoked, NULL);
}

static void break_things(struct fixture *f, const struct account_case *row) {
        _cleanup_free_ char *users = fixture_path(f, "state/users");
        _cleanup_free_ char *alice = fixture_path(f, "state/users/alice");

        if (row->flags & F_CONFIG_MISSING)
                assert_int_equal(unlink(f->conf), 0);
        if (row->flags & F_CONFIG_GROUP_W)
                assert_int_equal(chmod(f->conf, 0664), 0);
        if (row->flags & F_CONFIG_SYMLINK) {
                _cleanup_free_ char *real = fixture_path(f, "jit.conf.real");

                assert_int_equal(rename(f->conf, real), 0);
                assert_int_equal(symlink(real, f->conf), 0);
        }
        if (row->flags & F_TRUST_CORRUPT)
                fixture_write_file(f, "trust.jwks", "{\"keys\":[{\"kty\":", 0644);
        if (row->flags & F_TRUST_MISSING)
                assert_int_equal(unlink(f->trust), 0);
        if (row->flags & F_USERFILE_CORRUPT) {
                assert_true(mkdir(users, 0700) == 0 || errno == EEXIST);
                fixture_write_file(f, "state/users/alice", "serial seven\n\x01garbage\n", 0600);
        }
        if (row->flags & F_USERFILE_SYMLINK) {
                _cleanup_free_ char *elsewhere = fixture_path(f, "alice.grants");

                assert_int_equal(rename(alice, elsewhere), 0);
                assert_int_equal(symlink(elsewhere, alice), 0);
        }
        if (row->flags & F_USERFILE_GROUP_W)
                assert_int_equal(chmod(alice, 0660), 0);
        if (row->flags & F_FACTS_OTHER)
                fixture_write_file(f, "run/facts", "host=web-1\nenv=dev\nrole=web\n", 0644);
        if (row->flags & F_FACTS_UNSAFE)
                fixture_write_file(f, "run/facts", "host=pay-db-1\nenv=prod\nrole=db\n", 0666);
        if (row->flags & (F_BOUND_LIVE | F_SHARED_LIVE)) {
                live_session_start(f);
                fixture_save_record(f, f->live.id, "g-1", "alice", f->live.pid,
                                    (uint32_t) strtoul(f->live.id, NULL, 10),
                                    row->flags & F_BOUND_LIVE);
        }
        if (row->flags & F_BOUND_DEAD)
                fixture_save_record(f, "4243", "g-1", "alice", harness_dead_pid(), 4243, true);
}

/* want_msg with "{T}" replaced by HH:MM of now + want_t. */
static char *expected_message(const struct fixture *f, const struct account_case *row) {
        const char *p;
        char t[16];

        if (!row->want_msg)
                return NULL;
        p = strstr(row->want_msg, "{T}");
        if (!p)
                return strdup(row->want_msg);
        return test_strdupf("%.*s%s%s", (int) (p - row->want_msg), row->want_msg,
                            hms(f->now + row->want_t, t, sizeof(t)), p + 3);
}

static void run_account_case(void **state) {
        struct fixture *f = *state;
        const struct account_case *row = f->row;
        char *want = NULL, *long_user = NULL;
        const char *service = row->service ? row->service : "sshd";
        const char *user = row->user ? row->user : "alice";
        struct conv_log log = {.mode = CONV_ANSWER};
        pam_handle_t *pamh = NULL;
        bool ok = true;
        size_t n_err;
        int rc;

        if (row->user_len > 0)
                user = long_user = fixture_own(f, test_strrep('a', row->user_len));
        stage(f, row);
        break_things(f, row);
        fixture_write_service(f, service, row->args, false);
        want = fixture_own(f, expected_message(f, row));

        assert_int_equal(harness_pam_start(f, service, NULL, &log, &pamh), PAM_SUCCESS);
        assert_int_equal(pam_set_item(pamh, PAM_USER, user), PAM_SUCCESS);
        rc = pam_acct_mgmt(pamh, 0);
        assert_int_equal(pam_end(pamh, rc), PAM_SUCCESS);

        n_err = conv_count(&log, PAM_ERROR_MSG);
        if (rc != row->want_rc) {
                print_error("%s: got %s, want %s\n", row->name, pam_code_name(rc),
                            pam_code_name(row->want_rc));
                ok = false;
        }
        if (row->want_rc == PAM_SUCCESS && n_err != 0) {
                print_error("%s: an error message on success\n", row->name);
                ok = false;
        }
        if (want && (n_err != 1 || !conv_find(&log, PAM_ERROR_MSG, want))) {
                print_error("%s: want exactly one PAM_ERROR_MSG containing \"%s\"\n", row->name,
                            want);
                ok = false;
        }
        if (!want && n_err > 1) {
                print_error("%s: more than one error message\n", row->name);
                ok = false;
        }
        for (size_t i = 0; i < ELEMENTSOF(row->must_not) && row->must_not[i]; i++)
                if (conv_find(&log, 0, row->must_not[i])) {
                        print_error("%s: a message names \"%s\"\n", row->name, row->must_not[i]);
                        ok = false;
                }
        if (!ok) {
                conv_dump(row->name, &log);
                fail();
        }
}

int main(void) {
        struct CMUnitTest tests[ELEMENTSOF(cases)];
        int r = harness_require_root();

        if (r != 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                tests[i] = (struct CMUnitTest){
                        .name = cases[i].name,
                        .test_func = run_account_case,
                        .setup_func = case_setup,
                        .teardown_func = case_teardown,
                        .initial_state = (void *) &cases[i],
                };
        return _cmocka_run_group_tests("pam-account", tests, ELEMENTSOF(tests), group_setup,
                                       group_teardown);
}
