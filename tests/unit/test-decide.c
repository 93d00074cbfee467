/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* decide() as table rows over host snapshots built by hand: grant states ×
 * scopes × revocation × staleness × bind × exemptions × a typed token ×
 * several grants failing differently (which verdict, which grant is named).
 * Then the loader (snapshot_load) against files staged in a temporary
 * folder: it reads what a decision needs, and no more. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"

#include "access.h"
#include "config.h"
#include "hoststate.h"
#include "macro.h"
#include "session-record.h"
#include "snapshot.h"

#define NOW TEST_NOW

/* ---- the table ---- */

enum gstate {
        VALID,   /* iat, nbf now-10; exp now+1800 */
        EXPIRED, /* exp now-100 (past the 60 s skew) */
        NOT_YET, /* nbf now+600 */
        FUTURE,  /* iat now+600: a clock problem, not a grant */
};

struct gspec {
        const char *jti; /* NULL ends the list */
        enum gstate state;
        int64_t exp_shift; /* added to exp (and nbf for NOT_YET): orders grants of one state */
        unsigned scope;    /* 0: ssh and sudo */
        const char *sub;   /* NULL: alice */
        const char *aud;   /* NULL: env=prod (this host) */
        const char *runas; /* NULL: root */
        bool bind;
        bool revoked; /* named in the user's file's revocations */
};

struct hspec {
        const char *session; /* NULL ends the list */
        const char *jti;     /* NULL: unreadable record */
        int live;
};

struct row {
        const char *name;
        struct gspec grants[4];
        bool no_user_file;
        bool unreadable; /* the user's file could not be read */
        struct gspec typed;
        bool typed_invalid; /* a token was typed that did not verify */
        bool typed_revoked; /* in the global revoked list */
        struct hspec holds[3];
        bool exempt;
        enum stale_policy stale_policy;
        int64_t bundle_exp; /* relative to NOW; 0: now+900 (fresh) */
        bool bundle_exp_unknown;

        /* the request (user alice) */
        unsigned scope; /* 0: ssh */
        const char *runas;
        const char *own_session;
        const char *only_jti;
        bool ignore_stale, typed_only;

        enum verdict want;
        const char *want_jti; /* NULL: no grant named */
        int want_r;
};

#define SSH GRANT_SCOPE_SSH
#define SUDO GRANT_SCOPE_SUDO
#define STALE_EXP (-2 * 3600) /* past exp + stale_after (1 h) */

static const struct row rows[] = {
        /* grant states */
        {"no grants", .want = VERDICT_NONE},
        {"valid", {{"g-1"}}, .want = VERDICT_ALLOW, .want_jti = "g-1"},
        {"expired", {{"g-1", EXPIRED}}, .want = VERDICT_EXPIRED, .want_jti = "g-1"},
        {"not yet valid", {{"g-1", NOT_YET}}, .want = VERDICT_NOT_YET, .want_jti = "g-1"},
        {"issued in the future is no grant", {{"g-1", FUTURE}}, .want = VERDICT_NONE},
        {"another user's grant", {{"g-1", .sub = "bob"}}, .want = VERDICT_NONE},
        {"not for this host", {{"g-1", .aud = "env=dev"}}, .want = VERDICT_NONE},
        /* scopes */
        {"sudo-only grant, ssh asked", {{"g-1", .scope = SUDO}}, .want = VERDICT_NONE},
        {"ssh-only grant, sudo asked",
         {{"g-1", .scope = SSH}},
         .scope = SUDO,
         .runas = "root",
         .want = VERDICT_NONE},
        {"sudo, runas matches",
         {{"g-1"}},
         .scope = SUDO,
         .runas = "root",
         .want = VERDICT_ALLOW,
         .want_jti = "g-1"},
        {"sudo, runas does not match",
         {{"g-1"}},
         .scope = SUDO,
         .runas = "postgres",
         .want = VERDICT_RUNAS,
         .want_jti = "g-1"},
        {"sudo, runas in a second grant",
         {{"g-1"}, {"g-2", .runas = "postgres"}},
         .scope = SUDO,
         .runas = "postgres",
         .want = VERDICT_ALLOW,
         .want_jti = "g-2"},
        {"runas not required for ssh",
         {{"g-1", .runas = "postgres"}},
         .want = VERDICT_ALLOW,
         .want_jti = "g-1"},
        /* revocation */
        {"revoked", {{"g-1", .revoked = true}}, .want = VERDICT_REVOKED, .want_jti = "g-1"},
        {"revoked beats expired",
         {{"g-1", EXPIRED, .revoked = true}},
         .want = VERDICT_REVOKED,
         .want_jti = "g-1"},
        {"revoked and another valid",
         {{"g-1", .revoked = true}, {"g-2"}},
         .want = VERDICT_ALLOW,
         .want_jti = "g-2"},
        {"revoked sudo grant, runas mismatch",
         {{"g-1", .revoked = true}},
         .scope = SUDO,
         .runas = "postgres",
         .want = VERDICT_REVOKED,
         .want_jti = "g-1"},
        /* staleness */
        {"stale, deny",
         {{"g-1"}},
         .stale_policy = STALE_POLICY_DENY,
         .bundle_exp = STALE_EXP,
         .want = VERDICT_STALE},
        {"fresh, deny",
         {{"g-1"}},
         .stale_policy = STALE_POLICY_DENY,
         .bundle_exp = 300,
         .want = VERDICT_ALLOW,
         .want_jti = "g-1"},
        {"stale within stale_after",
         {{"g-1"}},
         .stale_policy = STALE_POLICY_DENY,
         .bundle_exp = -1800,
         .want = VERDICT_ALLOW,
         .want_jti = "g-1"},
        {"stale, keep",
         {{"g-1"}},
         .stale_policy = STALE_POLICY_KEEP,
         .bundle_exp = STALE_EXP,
         .want = VERDICT_ALLOW,
         .want_jti = "g-1"},
        {"stale, deny, ignore_stale",
         {{"g-1"}},
         .stale_policy = STALE_POLICY_DENY,
         .bundle_exp = STALE_EXP,
         .ignore_stale = true,
         .want = VERDICT_ALLOW,
         .want_jti = "g-1"},
        {"stale beats revoked",
         {{"g-1", .revoked = true}},
         .stale_policy = STALE_POLICY_DENY,
         .bundle_exp = STALE_EXP,
         .want = VERDICT_STALE},
        {"stale, nothing to judge: nothing revealed", .no_user_file = true,
         .stale_policy = STALE_POLICY_DENY, .bundle_exp = STALE_EXP, .want = VERDICT_NONE},
        /* bind=session */
        {"bound, held by another live session",
         {{"g-1", .bind = true}},
         .holds = {{"7", "g-1", 1}},
         .own_session = "9",
         .want = VERDICT_BOUND,
         .want_jti = "g-1"},
        {"bound, held by our own session",
         {{"g-1", .bind = true}},
         .holds = {{"9", "g-1", 1}},
         .own_session = "9",
         .want = VERDICT_ALLOW,
         .want_jti = "g-1"},
        {"bound, nobody holds it",
         {{"g-1", .bind = true}},
         .holds = {{"7", "g-2", 1}},
         .own_session = "9",
         .want = VERDICT_ALLOW,
         .want_jti = "g-1"},
        {"bound, held, no own session (keys)",
         {{"g-1", .bind = true}},
         .holds = {{"7", "g-1", 1}},
         .want = VERDICT_BOUND,
         .want_jti = "g-1"},
        {"bound, holder cannot be told",
         {{"g-1", .bind = true}},
         .holds = {{"7", "g-1", -EIO}},
         .own_session = "9",
         .want_r = -EIO,
         .want_jti = "g-1"},
        {"bound, a record unreadable",
         {{"g-1", .bind = true}},
         .holds = {{"7", NULL, -EACCES}},
         .own_session = "9",
         .want_r = -EIO,
         .want_jti = "g-1"},
        {"bound held, unbound other grant",
         {{"g-1", .bind = true}, {"g-2"}},
         .holds = {{"7", "g-1", 1}},
         .own_session = "9",
         .want = VERDICT_ALLOW,
         .want_jti = "g-2"},
        {"not bound: holders do not matter",
         {{"g-1"}},
         .holds = {{"7", "g-1", 1}},
         .own_session = "9",
         .want = VERDICT_ALLOW,
         .want_jti = "g-1"},
        {"bound and expired: expired",
         {{"g-1", EXPIRED, .bind = true}},
         .holds = {{"7", "g-1", 1}},
         .want = VERDICT_EXPIRED,
         .want_jti = "g-1"},
        /* exemptions */
        {"exempt, no grant", .no_user_file = true, .exempt = true, .want = VERDICT_EXEMPT},
        {"exempt, expired grant", {{"g-1", EXPIRED}}, .exempt = true, .want = VERDICT_EXEMPT},
        {"exempt beats stale",
         {{"g-1"}},
         .exempt = true,
         .stale_policy = STALE_POLICY_DENY,
         .bundle_exp = STALE_EXP,
         .want = VERDICT_EXEMPT},
        /* a typed token */
        {"typed, no user file", .no_user_file = true, .typed = {"t-1"}, .want = VERDICT_ALLOW,
         .want_jti = "t-1"},
        {"typed, globally revoked", .no_user_file = true, .typed = {"t-1"}, .typed_revoked = true,
         .want = VERDICT_REVOKED, .want_jti = "t-1"},
        {"typed, revoked in the user's file",
         {{"g-2", EXPIRED}, {"t-1", .revoked = true}},
         .typed = {"t-1"},
         .typed_only = true,
         .want = VERDICT_REVOKED,
         .want_jti = "t-1"},
        {"typed, does not verify", .no_user_file = true, .typed_invalid = true,
         .want = VERDICT_NONE},
        {"typed only: stored grants ignored",
         {{"g-1"}},
         .typed = {"t-1", EXPIRED},
         .typed_only = true,
         .want = VERDICT_EXPIRED,
         .want_jti = "t-1"},
        {"typed and stored: the usable one",
         {{"g-1"}},
         .typed = {"t-1", EXPIRED},
         .want = VERDICT_ALLOW,
         .want_jti = "g-1"},
        {"typed, stale from the state", .no_user_file = true, .typed = {"t-1"},
         .stale_policy = STALE_POLICY_DENY, .bundle_exp = STALE_EXP, .want = VERDICT_STALE},
        {"typed, freshness unknown", .no_user_file = true, .typed = {"t-1"},
         .stale_policy = STALE_POLICY_DENY, .bundle_exp_unknown = true, .want_r = -ENODATA},
        {"typed, another user's", .no_user_file = true, .typed = {"t-1", .sub = "bob"},
         .want = VERDICT_NONE},
        /* several grants failing differently: the verdict order, the grant named */
        {"expired and not yet: expired",
         {{"g-1", NOT_YET}, {"g-2", EXPIRED}},
         .want = VERDICT_EXPIRED,
         .want_jti = "g-2"},
        {"revoked and expired: revoked",
         {{"g-1", EXPIRED}, {"g-2", .revoked = true}},
         .want = VERDICT_REVOKED,
         .want_jti = "g-2"},
        {"not yet and bound: not yet",
         {{"g-1", .bind = true}, {"g-2", NOT_YET}},
         .holds = {{"7", "g-1", 1}},
         .own_session = "9",
         .want = VERDICT_NOT_YET,
         .want_jti = "g-2"},
        {"bound and runas: bound",
         {{"g-1"}, {"g-2", .bind = true}},
         .holds = {{"7", "g-2", 1}},
         .own_session = "9",
         .scope = SUDO,
         .runas = "postgres",
         .want = VERDICT_BOUND,
         .want_jti = "g-2"},
        {"runas and nothing: runas",
         {{"g-1", .scope = SSH}, {"g-2"}},
         .scope = SUDO,
         .runas = "postgres",
         .want = VERDICT_RUNAS,
         .want_jti = "g-2"},
        {"two expired: the latest named",
         {{"g-1", EXPIRED, -1000}, {"g-2", EXPIRED}},
         .want = VERDICT_EXPIRED,
         .want_jti = "g-2"},
        {"two upcoming: the earliest named",
         {{"g-1", NOT_YET, 600}, {"g-2", NOT_YET}},
         .want = VERDICT_NOT_YET,
         .want_jti = "g-2"},
        {"two valid: the longest named",
         {{"g-1", VALID, 600}, {"g-2"}},
         .want = VERDICT_ALLOW,
         .want_jti = "g-1"},
        {"only_jti: that grant judged",
         {{"g-1", EXPIRED}, {"g-2"}},
         .only_jti = "g-1",
         .want = VERDICT_EXPIRED,
         .want_jti = "g-1"},
        {"only_jti: absent", {{"g-2"}}, .only_jti = "g-1", .want = VERDICT_NONE},
        {"user file unreadable", .no_user_file = true, .unreadable = true, .want_r = -EBADF},
};

static struct grant *grant_of(const struct gspec *s) {
        struct grant *g = calloc(1, sizeof(*g));
        char *runas[] = {(char *) (s->runas ? s->runas : "root"), NULL};
        char *aud[] = {(char *) (s->aud ? s->aud : "env=prod"), NULL};
        struct jit_error err = {};

        assert_non_null(g);
        g->iss = strdup(TEST_ISSUER);
        g->jti = strdup(s->jti);
        g->sub = strdup(s->sub ? s->sub : "alice");
        assert_int_equal(strv_extend(&g->aud, aud[0]), 0);
        assert_int_equal(strv_extend(&g->runas, runas[0]), 0);
        g->keys = calloc(1, sizeof(char *));
        g->iat = NOW - 10;
        g->nbf = NOW - 10;
        g->exp = NOW + 1800 + s->exp_shift;
        switch (s->state) {
        case VALID:
                break;
        case EXPIRED:
                g->exp = NOW - 100 + s->exp_shift;
                g->nbf = g->iat = g->exp - 1800;
                break;
        case NOT_YET:
                g->nbf = NOW + 600 + s->exp_shift;
                break;
        case FUTURE:
                g->iat = g->nbf = NOW + 600;
                g->exp = NOW + 1800;
                break;
        }
        g->scope = s->scope ? s->scope : (GRANT_SCOPE_SSH | GRANT_SCOPE_SUDO);
        g->bind_session = s->bind;
        (void) err;
        return g;
}

struct built {
        struct jit_config config;
        struct host_facts facts;
        struct host_grants *grants;
        struct host_snapshot snap;
};

static void build(const struct row *r, struct built *b) {
        struct user_view *uv;
        size_t n = 0;

        *b = (struct built){};
        b->config.stale_policy = r->stale_policy;
        b->config.stale_after = 3600;
        b->config.clock_skew = TEST_CLOCK_SKEW;
        test_host_facts(&b->facts);
        b->grants = calloc(1, sizeof(*b->grants));
        assert_non_null(b->grants);
        b->grants->have_state = !r->bundle_exp_unknown;
        b->grants->bundle_exp = NOW + (r->bundle_exp ? r->bundle_exp : 900);
        if (r->unreadable)
                assert_int_equal(strv_extend(&b->grants->unreadable, "alice"), 0);
        if (!r->no_user_file) {
                b->grants->users = calloc(1, sizeof(*uv));
                uv = &b->grants->users[0];
                b->grants->n_users = 1;
                uv->user = strdup("alice");
                uv->bundle_exp = b->grants->bundle_exp;
                uv->grants = calloc(4, sizeof(struct grant *));
                uv->revoked = calloc(1, sizeof(char *));
                for (; n < 4 && r->grants[n].jti; n++) {
                        uv->grants[n] = grant_of(&r->grants[n]);
                        if (r->grants[n].revoked)
                                assert_int_equal(strv_extend(&uv->revoked, r->grants[n].jti), 0);
                }
                uv->n_grants = n;
                uv->n_revoked = strv_length(uv->revoked);
                /* sorted, as the loader keeps it */
                if (uv->n_revoked == 2 && strcmp(uv->revoked[0], uv->revoked[1]) > 0) {
                        char *t = uv->revoked[0];
                        uv->revoked[0] = uv->revoked[1];
                        uv->revoked[1] = t;
                }
        }

        b->snap = (struct host_snapshot){
                .config = &b->config,
                .policy = test_policy(),
                .facts = &b->facts,
                .grants = b->grants,
                .bundle_exp_known = !r->bundle_exp_unknown,
                .bundle_exp = b->grants->bundle_exp,
        };
        if (r->exempt)
                assert_int_equal(strv_extend(&b->snap.exempt, "alice"), 0);
        if (r->typed.jti || r->typed_invalid) {
                b->snap.typed_given = true;
                if (r->typed.jti)
                        b->snap.typed = grant_of(&r->typed);
                b->snap.typed_revoked = r->typed_revoked;
        }
        for (size_t i = 0; i < 3 && r->holds[i].session; i++) {
                b->snap.holds = realloc(b->snap.holds, (i + 1) * sizeof(struct session_hold));
                b->snap.holds[i] = (struct session_hold){
                        .session = strdup(r->holds[i].session),
                        .jti = r->holds[i].jti ? strdup(r->holds[i].jti) : NULL,
                        .live = r->holds[i].live};
                b->snap.n_holds = i + 1;
        }
}

static void built_done(struct built *b) {
        /* The snapshot borrows the grants here: free them apart. */
        host_grants_free(b->grants);
        b->snap.grants = NULL;
        snapshot_done(&b->snap);
        host_facts_done(&b->facts);
}

static const char *verdict_str(enum verdict v) {
        static const char *const n[] = {
                [VERDICT_ALLOW] = "ALLOW",     [VERDICT_EXEMPT] = "EXEMPT",
                [VERDICT_STALE] = "STALE",     [VERDICT_REVOKED] = "REVOKED",
                [VERDICT_EXPIRED] = "EXPIRED", [VERDICT_NOT_YET] = "NOT_YET",
                [VERDICT_BOUND] = "BOUND",     [VERDICT_RUNAS] = "RUNAS",
                [VERDICT_NONE] = "NONE",
        };
        return (unsigned) v < ELEMENTSOF(n) && n[v] ? n[v] : "?";
}

static void test_rows(void **state) {
        unsigned failed = 0;

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const struct row *r = &rows[i];
                struct decision d = {};
                struct built b;
                int ret;
                bool ok;

                build(r, &b);
                ret = decide(&b.snap,
                             &(struct decide_request){.user = "alice",
                                                      .scope = r->scope ? r->scope : SSH,
                                                      .runas = r->runas,
                                                      .own_session = r->own_session,
                                                      .only_jti = r->only_jti,
                                                      .ignore_stale = r->ignore_stale,
                                                      .typed_only = r->typed_only,
                                                      .now = NOW},
                             &d);
                ok = ret == r->want_r && (ret < 0 || d.verdict == r->want) &&
                     streq_ptr(d.grant ? d.grant->jti : NULL, r->want_jti);
                if (!ok) {
                        print_error("row \"%s\": got r=%d %s grant %s; want r=%d %s grant %s\n",
                                    r->name, ret, verdict_str(d.verdict),
                                    d.grant ? d.grant->jti : "-", r->want_r, verdict_str(r->want),
                                    r->want_jti ? r->want_jti : "-");
                        failed++;
                }
                built_done(&b);
        }
        assert_int_equal(failed, 0);
}

/* Every grant that matches user, host and scope is told, with its verdict
 * (the agent's key files rest on it). */
static void on_cand(enum verdict v, const struct grant *g, void *userdata) {
        char *seen = userdata;

        (void) snprintf(seen + strlen(seen), 256 - strlen(seen), "%s:%s ", g->jti, verdict_str(v));
}

static void test_candidates(void **state) {
        const struct row r = {
                "candidates",
                {{"g-1", EXPIRED}, {"g-2"}, {"g-3", NOT_YET}, {"g-4", .scope = SUDO}}};
        char seen[256] = "";
        struct decision d = {};
        struct built b;

        build(&r, &b);
        assert_int_equal(decide(&b.snap,
                                &(struct decide_request){.user = "alice",
                                                         .scope = SSH,
                                                         .on_candidate = on_cand,
                                                         .userdata = seen,
                                                         .now = NOW},
                                &d),
                         0);
        assert_string_equal(seen, "g-1:EXPIRED g-2:ALLOW g-3:NOT_YET ");
        assert_int_equal(d.verdict, VERDICT_ALLOW);
        built_done(&b);
}

/* ---- the loader, against staged files ---- */

struct fixture {
        char dir[64];
        char state[128], run[128];
        struct test_key key, stranger;
        struct jit_context ctx;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void write_text(const char *path, const char *text, mode_t mode) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        assert_int_equal(close(fd), 0);
        assert_int_equal(chmod(path, mode), 0);
}

static void stage_config(struct fixture *fx, const char *extra) {
        _cleanup_free_ char *text = NULL, *path = NULL, *jwks = NULL;
        const struct test_key *keys[1] = {&fx->key};
        struct jit_error err = {};

        jwks = test_jwks_text(keys, 1);
        path = test_strdupf("%s/trust.jwks", fx->dir);
        write_text(path, jwks, 0644);
        free(path);
        text = test_strdupf("state_dir = %s\nrun_dir = %s\ntrust_store = %s/trust.jwks\n"
                            "issuers = " TEST_ISSUER "\nhost_id = pay-db-1\nlabels = env=prod\n%s",
                            fx->state, fx->run, fx->dir, strempty(extra));
        path = test_strdupf("%s/jit.conf", fx->dir);
        write_text(path, text, 0644);
        context_done(&fx->ctx);
        assert_ok(context_load(path, &fx->ctx, &err), &err);
}

static int setup(void **state) {
        struct fixture *fx = calloc(1, sizeof(*fx));

        assert_non_null(fx);
        /* The loader refuses files that are not root's: run as root, as CI does. */
        assert_int_equal(geteuid(), 0);
        strcpy(fx->dir, "/tmp/jit-test-decide-XXXXXX");
        assert_non_null(mkdtemp(fx->dir));
        assert_int_equal(chmod(fx->dir, 0755), 0);
        (void) snprintf(fx->state, sizeof(fx->state), "%s/state", fx->dir);
        (void) snprintf(fx->run, sizeof(fx->run), "%s/run", fx->dir);
        assert_int_equal(mkdir(fx->state, 0700), 0);
        assert_int_equal(mkdir(fx->run, 0755), 0);
        test_key_init(&fx->key, JWS_ALG_EDDSA, "k1");
        test_key_init(&fx->stranger, JWS_ALG_EDDSA, "k-unknown");
        stage_config(fx, NULL);
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        struct fixture *fx = *state;

        (void) nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        context_done(&fx->ctx);
        test_key_done(&fx->key);
        test_key_done(&fx->stranger);
        free(fx);
        return 0;
}

/* users/alice: g-1 valid and bound, g-2 revoked, one token signed by a key
 * nobody trusts. */
static void stage_alice(struct fixture *fx) {
        _cleanup_free_ char *g1 = test_grant_token(
                &fx->key, NOW, (const struct test_member[]){{"+bind", "\"session\""}, {}});
        _cleanup_free_ char *g2 = test_grant_token(
                &fx->key, NOW, (const struct test_member[]){{"jti", "\"g-2\""}, {}});
        _cleanup_free_ char *bad = test_grant_token(
                &fx->stranger, NOW, (const struct test_member[]){{"jti", "\"g-3\""}, {}});
        _cleanup_free_ char *users = test_strdupf("%s/users", fx->state);
        _cleanup_free_ char *path = test_strdupf("%s/alice", users);
        _cleanup_free_ char *text = test_strdupf("serial 7\nbundle-exp %lld\ngrant %s\ngrant %s\n"
                                                 "grant %s\nrevoked g-2\n",
                                                 (long long) (NOW + 900), g1, bad, g2);

        (void) mkdir(users, 0700);
        write_text(path, text, 0600);
}

static void stage_session(struct fixture *fx, const char *id, const char *jti, pid_t leader) {
        struct session_record rec = {
                .grant = (char *) jti,
                .user = (char *) "alice",
                .service = (char *) "sshd",
                .leader = leader,
                .audit_session = AUDIT_SESSION_UNSET,
                .exp = NOW + 1800,
                .bound = true,
        };
        struct jit_error err = {};

        (void) snprintf(rec.id, sizeof(rec.id), "%s", id);
        assert_ok(session_record_save(fx->run, &rec, &err), &err);
}

static void test_load_user(void **state) {
        struct fixture *fx = *state;
        _cleanup_(snapshot_done) struct host_snapshot s = {};
        const struct user_view *uv;
        struct jit_error err = {};
        struct decision d = {};

        stage_alice(fx);
        stage_session(fx, "7", "g-1", getpid());  /* live: this test */
        stage_session(fx, "8", "g-1", 999999999); /* over */
        stage_session(fx, "9", "g-1", getpid());  /* our own: left out */
        assert_ok(snapshot_load(&fx->ctx,
                                &(struct snapshot_load){.user = "alice", .own_session = "9"}, &s,
                                &err),
                  &err);
        uv = host_grants_user(s.grants, "alice");
        assert_non_null(uv);
        assert_int_equal(uv->n_grants, 2);
        assert_string_equal(uv->grants[0]->jti, "g-1");
        assert_true(uv->grants[0]->bind_session);
        assert_int_equal(uv->n_invalid, 1);
        assert_non_null(strstr(uv->invalid.message, "k-unknown"));
        assert_int_equal(uv->n_revoked, 1);
        assert_int_equal(uv->bundle_exp, NOW + 900);
        assert_false(s.typed_given);
        /* the session view: only the live holder that is not us */
        assert_int_equal(s.n_holds, 1);
        assert_string_equal(s.holds[0].session, "7");
        assert_string_equal(s.holds[0].jti, "g-1");
        assert_int_equal(s.holds[0].live, 1);
        assert_null(host_grants_user(s.grants, "bob"));

        assert_int_equal(decide(&s,
                                &(struct decide_request){.user = "alice",
                                                         .scope = SSH,
                                                         .own_session = "9",
                                                         .only_jti = "g-1",
                                                         .now = NOW},
                                &d),
                         0);
        assert_int_equal(d.verdict, VERDICT_BOUND); /* g-2 alone would say REVOKED */
}

static void test_load_no_bind_no_proc(void **state) {
        struct fixture *fx = *state;
        _cleanup_(snapshot_done) struct host_snapshot s = {};
        _cleanup_free_ char *g = test_grant_token(
                &fx->key, NOW, (const struct test_member[]){{"sub", "\"bob\""}, {}});
        _cleanup_free_ char *users = test_strdupf("%s/users", fx->state);
        _cleanup_free_ char *path = test_strdupf("%s/bob", users);
        _cleanup_free_ char *sessions = test_strdupf("%s/sessions", fx->run);
        _cleanup_free_ char *text =
                test_strdupf("serial 7\nbundle-exp %lld\ngrant %s\n", (long long) (NOW + 900), g);
        struct jit_error err = {};

        (void) mkdir(users, 0700);
        write_text(path, text, 0600);
        /* An unreadable sessions folder: with nothing bound, never looked at. */
        stage_session(fx, "7", "g-1", getpid());
        assert_int_equal(chmod(sessions, 0777), 0);
        assert_ok(snapshot_load(&fx->ctx, &(struct snapshot_load){.user = "bob"}, &s, &err), &err);
        assert_int_equal(s.n_holds, 0);
        assert_int_equal(host_grants_user(s.grants, "bob")->n_grants, 1);
        assert_int_equal(chmod(sessions, 0700), 0);
}

static void test_load_typed(void **state) {
        struct fixture *fx = *state;
        _cleanup_(snapshot_done) struct host_snapshot s = {}, s2 = {}, s3 = {};
        _cleanup_free_ char *t = test_grant_token(
                &fx->key, NOW, (const struct test_member[]){{"jti", "\"t-1\""}, {}});
        _cleanup_free_ char *bad = test_grant_token(&fx->stranger, NOW, NULL);
        _cleanup_free_ char *revoked = test_strdupf("%s/revoked", fx->state);
        struct host_state st = {.serial = 7, .bundle_exp = NOW - 7200, .accepted = NOW};
        struct jit_error err = {};
        struct decision d = {};

        /* No user file, no state, no revoked list: t-1 is not revoked;
         * under stale_policy = keep the state is not even looked for. */
        stage_config(fx, "stale_policy = keep\n");
        assert_ok(snapshot_load(&fx->ctx,
                                &(struct snapshot_load){.user = "alice", .typed_token = t}, &s,
                                &err),
                  &err);
        assert_true(s.typed_given);
        assert_non_null(s.typed);
        assert_false(s.typed_revoked);
        assert_false(s.bundle_exp_known);
        assert_int_equal(
                decide(&s, &(struct decide_request){.user = "alice", .scope = SSH, .now = NOW}, &d),
                0);
        assert_int_equal(d.verdict, VERDICT_ALLOW);

        /* The global revoked list names it; stale_policy = deny reads the state. */
        write_text(revoked, "a-0\nt-1\n", 0600);
        memset(st.bundle_sha256, 'a', 64);
        assert_ok(host_state_save(fx->ctx.config, &st, &err), &err);
        stage_config(fx, "stale_policy = deny\nstale_after = 1h\n");
        assert_ok(snapshot_load(&fx->ctx,
                                &(struct snapshot_load){.user = "alice", .typed_token = t}, &s2,
                                &err),
                  &err);
        assert_true(s2.typed_revoked);
        assert_true(s2.bundle_exp_known);
        assert_int_equal(s2.bundle_exp, NOW - 7200);
        assert_int_equal(decide(&s2,
                                &(struct decide_request){.user = "alice", .scope = SSH, .now = NOW},
                                &d),
                         0);
        assert_int_equal(d.verdict, VERDICT_STALE);

        /* A token that does not verify: kept as given, with why. */
        assert_ok(snapshot_load(&fx->ctx,
                                &(struct snapshot_load){.user = "alice", .typed_token = bad}, &s3,
                                &err),
                  &err);
        assert_true(s3.typed_given);
        assert_null(s3.typed);
        assert_non_null(strstr(s3.typed_error.message, "k-unknown"));
}

static void test_load_exempt(void **state) {
        struct fixture *fx = *state;
        _cleanup_(snapshot_done) struct host_snapshot s = {};
        _cleanup_free_ char *users = test_strdupf("%s/users", fx->state);
        _cleanup_free_ char *path = test_strdupf("%s/alice", users);
        struct jit_error err = {};
        struct decision d = {};

        /* A corrupt file for alice: an exempt alice never gets it read. */
        (void) mkdir(users, 0700);
        write_text(path, "garbage\n", 0600);
        stage_config(fx, "exempt_users = alice\n");
        assert_ok(snapshot_load(&fx->ctx,
                                &(struct snapshot_load){.user = "alice", .check_exempt = true}, &s,
                                &err),
                  &err);
        assert_null(s.grants);
        assert_int_equal(
                decide(&s, &(struct decide_request){.user = "alice", .scope = SSH, .now = NOW}, &d),
                0);
        assert_int_equal(d.verdict, VERDICT_EXEMPT);
        snapshot_done(&s);
        /* Without the exemption check the corrupt file is an error. */
        assert_true(snapshot_load(&fx->ctx, &(struct snapshot_load){.user = "alice"}, &s, &err) <
                    0);
}

static void test_load_all(void **state) {
        struct fixture *fx = *state;
        _cleanup_(host_grants_freep) struct host_grants *g = NULL;
        _cleanup_free_ char *bob = test_strdupf("%s/users/bob", fx->state);
        struct host_state st = {.serial = 7, .bundle_exp = NOW + 900, .accepted = NOW};
        struct jit_error err = {};
        char sha[65];
        size_t unreadable = 0;

        stage_alice(fx);
        write_text(bob, "serial 7\n", 0666); /* writable by others: refused */
        memset(st.bundle_sha256, 'b', 64);
        assert_ok(host_state_save(fx->ctx.config, &st, &err), &err);
        assert_ok(host_grants_load_all(&fx->ctx, &g, &unreadable, &err), &err);
        assert_int_equal(unreadable, 1);
        assert_true(strv_contains(g->unreadable, "bob"));
        assert_int_equal(g->n_users, 1);
        assert_int_equal(g->n_bind_jtis, 1);
        assert_string_equal(g->bind_jtis[0], "g-1");
        assert_true(g->have_state);
        assert_int_equal(g->bundle_exp, NOW + 900);
        assert_ok(host_grants_current_sha256(&fx->ctx, sha, &err), &err);
        assert_string_equal(sha, g->bundle_sha256);
        assert_int_equal(host_grants_user(g, "alice")->n_grants, 2);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rows),
                cmocka_unit_test(test_candidates),
                cmocka_unit_test_setup_teardown(test_load_user, setup, teardown),
                cmocka_unit_test_setup_teardown(test_load_no_bind_no_proc, setup, teardown),
                cmocka_unit_test_setup_teardown(test_load_typed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_load_exempt, setup, teardown),
                cmocka_unit_test_setup_teardown(test_load_all, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
