/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* decide() as table rows over host snapshots built by hand: grant states ×
 * scopes × revocation × staleness × bind × exemptions × a typed token ×
 * several grants failing differently (which verdict, which grant is named).
 * The loader that fills real snapshots: tests/unit/test-snapshot.c. */

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
#include "host-state.h"
#include "jit-conf.h"
#include "macro.h"
#include "session-record.h"
#include "session-store.h"
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
                        _cleanup_(grant_freep) struct grant *g = grant_of(&r->grants[n]);

                        /* as the loader keeps them: packed */
                        uv->grants[n] = grant_pack(g);
                        assert_non_null(uv->grants[n]);
                        assert_string_equal(uv->grants[n]->jti, g->jti);
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rows),
                cmocka_unit_test(test_candidates),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
