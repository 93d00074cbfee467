/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fault injection walk (docs/security.md). pam_jit-faults.so is pam_jit.so
 * built again with every allocation, file, NSS, PAM, json-c, OpenSSL and
 * journald call of the module's code wrapped (wrap.c). For each scenario,
 * whose undisturbed transaction ALLOWS (or, for the deny scenarios, DENIES),
 * the walk runs the same real PAM transaction (pam_start_confdir() on a
 * fixture) again and again, failing the N-th wrapped call for N = 1, 2, …
 * until a run ends without reaching the N-th call. For every N:
 *
 *  - the hook in which the failure was injected denies: account
 *    PAM_PERM_DENIED/PAM_SERVICE_ERR/PAM_AUTH_ERR, session
 *    PAM_SESSION_ERR/PAM_PERM_DENIED (or PAM_SERVICE_ERR when the module
 *    arguments cannot be resolved, as pam_jit(8) has every hook do), auth
 *    PAM_AUTH_ERR/PAM_SERVICE_ERR;
 *    never PAM_SUCCESS or PAM_IGNORE, unless the failed call is one of the
 *    call sites in harmless[] below (wrapped function + calling function),
 *    whose failure cannot change a decision. Every harmless[] entry must be
 *    hit by the walk, so the list cannot outgrow what it excuses;
 *  - in a deny scenario no N turns the denial into PAM_SUCCESS;
 *  - after pam_end() no block the module allocated through a wrapped
 *    allocator is left (the wrap layer tracks them), and under
 *    `meson test --setup valgrind --suite faults` memcheck sees no leak
 *    and no error in any of the runs either.
 *
 * Each scenario runs in a forked child (own audit session; sudo's real
 * uid) that reports through shared memory. */

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fault.h"
#include "pam-harness.h"

/* Call sites whose failure is harmless to the decision. Each line says why. */
static const struct harmless {
        const char *fn;     /* the wrapped function */
        const char *caller; /* the function of the module that called it */
        const char *why;
} harmless[] = {
        {"socket", "journal_send",
         "the journald copy of a decision, whose pam_syslog line is already written; a full "
         "or absent journal must not change who gets in"},
        {"sendmsg", "journal_send", "as above"},
        {"pam_get_item", "decision_log",
         "PAM_SERVICE read only to name the service in the log line and audit event"},
        {"pam_prompt", "message_access_until",
         "the PAM_TEXT_INFO \"access by grant … until\" shown after the session is recorded"},
        {"pam_get_data", "typed_token_get",
         "losing the token typed at this handle's prompt only removes a candidate: the "
         "decision then rests on the stored grants alone, which never admits more"},
        /* logind_session_of_pid() failing means "no logind session": from
         * session_id_of_pid() that refuses (no session to track); from
         * record_build() it only leaves out the optional logind-session field
         * of a record keyed by the audit session. */
        {"open", "logind_session_of_pid", "see the comment above"},
        {"read", "logind_session_of_pid", "see the comment above"},
        /* Numbering an audit entry (run_dir/audit-seq) never decides
         * access: the entry goes out unnumbered (docs/decisions.md,
         * "Numbering never decides access"). */
        {"open", "audit_seq_next", "see the comment above"},
        {"openat", "audit_seq_next", "see the comment above"},
        {"fstat", "audit_seq_next", "see the comment above"},
        {"flock", "lock_briefly", "see the comment above"},
        {"getrandom", "new_id", "see the comment above"},
};

enum step {
        STEP_NONE = 0,
        STEP_AUTH,
        STEP_ACCOUNT,
        STEP_OPEN,
};

struct scenario {
        const char *name;
        const char *service;
        const char *args;    /* module arguments besides config= */
        const char *conf;    /* extra jit.conf lines */
        enum jws_alg signer; /* of the user's grant */
        const char *grant_over_name, *grant_over_value;
        bool typed;       /* the grant is typed at the prompt, not staged */
        bool sudo;        /* real uid daemon, own session record, PAM_USER root for open */
        bool other_live;  /* another live session holds the (bound) grant */
        bool dead_record; /* a record of a dead session holds the grant */
        enum step steps[3];
        bool want_allow; /* what the undisturbed transaction does */
};

static const struct scenario scenarios[] = {
        {"ssh account (ES256 grant, bind=session, exempt_group lookups)", "sshd", NULL,
         "exempt_group = root", JWS_ALG_ES256, "bind", "\"session\"", .dead_record = true,
         .steps = {STEP_ACCOUNT}, .want_allow = true},
        {"ssh account + session open (EdDSA grant)", "sshd", NULL, "exempt_group = root",
         JWS_ALG_EDDSA, .steps = {STEP_ACCOUNT, STEP_OPEN}, .want_allow = true},
        {"sudo account + session open (RS256 grant)", "sudo", NULL, "exempt_group = root",
         JWS_ALG_RS256, .sudo = true, .steps = {STEP_ACCOUNT, STEP_OPEN}, .want_allow = true},
        {"auth prompt + account (PS256 grant typed)", "sshd", "prompt", "exempt_group = root",
         JWS_ALG_PS256, .typed = true, .steps = {STEP_AUTH, STEP_ACCOUNT}, .want_allow = true},
        /* Failures must not turn a denial into an admission either. */
        {"deny: bound grant held by another live session", "sshd", NULL, NULL, JWS_ALG_EDDSA,
         "bind", "\"session\"", .other_live = true, .steps = {STEP_ACCOUNT}, .want_allow = false},
        {"deny: stale store under stale_policy=deny", "sshd", NULL, "stale_policy = deny",
         JWS_ALG_EDDSA, .steps = {STEP_ACCOUNT}, .want_allow = false},
};

#define FAILURES_MAX 12
#define WALK_MAX 200000ul

/* Shared with the child. */
struct walk {
        unsigned long walked;      /* N of the last run that hit its failure */
        unsigned long undisturbed; /* wrapped calls of the undisturbed run */
        unsigned long allowed;     /* runs that allowed through a harmless[] site */
        unsigned hits[ELEMENTSOF(harmless)];
        unsigned n_failures;
        char failures[FAILURES_MAX][640];
};

/* Per harmless[] entry, the runs it excused, over all scenarios. */
static unsigned total_hits[ELEMENTSOF(harmless)];

static struct harness_keys keys;
static struct test_key es256, rs256, ps256;

/* ---- the module's symbol table: caller offset -> function name ---- */

struct sym {
        uintptr_t addr;
        char name[256];
};

static struct sym *syms;
static size_t n_syms;

static void symtab_load(const char *path) {
        char *cmd = test_strdupf("nm --defined-only -n '%s'", path), line[512];
        FILE *p = popen(cmd, "re");

        free(cmd);
        if (!p)
                return;
        while (fgets(line, sizeof(line), p)) {
                unsigned long long a;
                char type, name[256];

                if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3 ||
                    (type != 't' && type != 'T' && type != 'W'))
                        continue;
                syms = reallocarray(syms, n_syms + 1, sizeof(*syms));
                if (!syms)
                        abort();
                syms[n_syms].addr = (uintptr_t) a;
                (void) snprintf(syms[n_syms].name, sizeof(syms[n_syms].name), "%s", name);
                n_syms++;
        }
        (void) pclose(p);
}

/* The function holding the return address (-1: a call may end a function). */
static const char *symtab_function(uintptr_t offset) {
        const char *best = "?";

        for (size_t i = 0; i < n_syms && syms[i].addr <= offset - 1; i++)
                best = syms[i].name;
        return best;
}

/* ---- child side ---- */

static void walk_fail(struct walk *w, const char *fmt, ...) _printf_(2, 3);
static void walk_fail(struct walk *w, const char *fmt, ...) {
        va_list ap;

        if (w->n_failures < FAILURES_MAX) {
                va_start(ap, fmt);
                (void) vsnprintf(w->failures[w->n_failures], sizeof(w->failures[0]), fmt, ap);
                va_end(ap);
        }
        w->n_failures++;
}

static bool denies(enum step s, int rc) {
        switch (s) {
        case STEP_AUTH:
                return rc == PAM_AUTH_ERR || rc == PAM_SERVICE_ERR;
        case STEP_ACCOUNT:
                return rc == PAM_PERM_DENIED || rc == PAM_SERVICE_ERR || rc == PAM_AUTH_ERR;
        case STEP_OPEN:
                /* PAM_SERVICE_ERR: what every hook returns when its
                 * arguments cannot be made sense of (pam_jit(8), RETURN VALUES). */
                return rc == PAM_SESSION_ERR || rc == PAM_PERM_DENIED || rc == PAM_SERVICE_ERR;
        default:
                return false;
        }
}

static const char *step_name(enum step s) {
        return s == STEP_AUTH ? "auth" : s == STEP_ACCOUNT ? "account" : "open_session";
}

struct walk_data {
        const struct scenario *sc;
        struct walk *w;
        const char *token; /* typed */
};

/* The state an iteration starts from: sudo's login record, no record of
 * ours left by the previous run. */
static void iteration_reset(const struct fixture *f, const struct scenario *sc, const char *sid) {
        struct jit_error err = {};

        (void) session_record_remove(f->run, sid, &err);
        /* Every run numbers its audit entries from a new sequence, so each
         * makes the same calls (the first number makes the file's id). */
        {
                char seq[512];

                (void) snprintf(seq, sizeof(seq), "%s/audit-seq", f->run);
                (void) unlink(seq);
        }
        if (sc->sudo) {
                char *elevated[] = {NULL};
                struct session_record r = {
                        .grant = (char *) "g-1",
                        .user = (char *) "daemon",
                        .service = (char *) "sshd",
                        .tty = (char *) "ssh",
                        .leader = getpid(),
                        .uid = 1,
                        .audit_session = (uint32_t) strtoul(sid, NULL, 10),
                        .exp = f->now + 1800,
                        .elevated = elevated,
                };

                (void) snprintf(r.id, sizeof(r.id), "%s", sid);
                (void) session_record_save(f->run, &r, &err);
        }
}

/* One transaction with the n-th wrapped call failing (0: none). Returns
 * the PAM code of each step run (until the first that is not a success),
 * and in ret_bounds the call count after each step. */
static size_t transaction(const struct fixture *f, const struct walk_data *wd, const char *sid,
                          unsigned long n, int rc[3], unsigned long bounds[3]) {
        const struct scenario *sc = wd->sc;
        struct conv_log log = {.mode = CONV_ANSWER, .answers = {wd->token}};
        pam_handle_t *pamh = NULL;
        size_t k = 0;
        int r;

        iteration_reset(f, sc, sid);
        r = harness_pam_start(f, sc->service, "daemon", &log, &pamh);
        if (r != PAM_SUCCESS) {
                walk_fail(wd->w, "pam_start_confdir: %s", pam_code_name(r));
                return 0;
        }
        if (sc->sudo)
                (void) pam_set_item(pamh, PAM_RUSER, "daemon");
        (void) pam_set_item(pamh, PAM_RHOST, "192.0.2.7");
        (void) pam_set_item(pamh, PAM_TTY, "ssh");

        fault_arm(n);
        for (k = 0; k < ELEMENTSOF(sc->steps) && sc->steps[k] != STEP_NONE; k++) {
                switch (sc->steps[k]) {
                case STEP_AUTH:
                        rc[k] = pam_authenticate(pamh, 0);
                        break;
                case STEP_ACCOUNT:
                        rc[k] = pam_acct_mgmt(pamh, 0);
                        break;
                default:
                        /* sudo: PAM_USER is the target in the session stack */
                        if (sc->sudo) /* the test's own calls are not counted */
                                (void) pam_set_item(pamh, PAM_USER, "root");
                        rc[k] = pam_open_session(pamh, 0);
                        break;
                }
                bounds[k] = fault_calls();
                if (rc[k] != PAM_SUCCESS) {
                        k++;
                        break;
                }
        }
        fault_disarm();
        (void) pam_end(pamh, k > 0 ? rc[k - 1] : PAM_SUCCESS);
        iteration_reset(f, sc, sid);
        return k;
}

static bool harmless_site(const struct fault_site *site, const char *caller, struct walk *w) {
        for (size_t i = 0; i < ELEMENTSOF(harmless); i++)
                if (streq(site->fn, harmless[i].fn) && streq(caller, harmless[i].caller)) {
                        w->hits[i]++;
                        return true;
                }
        return false;
}

static void walk_child(const struct fixture *f, struct child_report *rep, void *data) {
        const struct walk_data *wd = data;
        const struct scenario *sc = wd->sc;
        struct walk *w = wd->w;
        const char *sid = rep->session_id;
        int rc[3] = {};
        unsigned long bounds[3] = {};
        size_t n_steps, k;

        /* Undisturbed: what the walk disturbs. */
        n_steps = transaction(f, wd, sid, 0, rc, bounds);
        w->undisturbed = bounds[n_steps > 0 ? n_steps - 1 : 0];
        for (k = 0; k < n_steps; k++)
                if ((rc[k] == PAM_SUCCESS) != (sc->want_allow || k + 1 < n_steps)) {
                        walk_fail(w, "undisturbed: %s returned %s", step_name(sc->steps[k]),
                                  pam_code_name(rc[k]));
                        return;
                }
        if (fault_live_blocks(NULL) != 0) {
                walk_fail(w, "undisturbed: %zu blocks left after pam_end", fault_live_blocks(NULL));
                return;
        }

        for (unsigned long n = 1; n < WALK_MAX && w->n_failures < FAILURES_MAX; n++) {
                struct fault_site site, leak;
                const char *caller;
                bool allowed;

                memset(rc, 0, sizeof(rc));
                memset(bounds, 0, sizeof(bounds));
                n_steps = transaction(f, wd, sid, n, rc, bounds);
                if (fault_live_blocks(&leak) != 0) {
                        walk_fail(w, "N=%lu: %zu block(s) left after pam_end, first by %s in %s", n,
                                  fault_live_blocks(NULL), leak.fn, symtab_function(leak.offset));
                        fault_forget_blocks();
                }
                if (!fault_injected(&site))
                        break; /* no N-th call: the walk is complete */
                w->walked = n;
                caller = symtab_function(site.offset);
                /* The step the N-th call fell in. */
                for (k = 0; k + 1 < n_steps && n > bounds[k]; k++)
                        ;
                allowed = n_steps == 0 ? false : rc[k] == PAM_SUCCESS || rc[k] == PAM_IGNORE;
                if (!sc->want_allow) {
                        /* A deny scenario: the last step run must still deny. */
                        if (n_steps > 0 && !denies(sc->steps[n_steps - 1], rc[n_steps - 1]))
                                walk_fail(w,
                                          "N=%lu: failing %s in %s turned the denial into %s "
                                          "(%s)",
                                          n, site.fn, caller, pam_code_name(rc[n_steps - 1]),
                                          step_name(sc->steps[n_steps - 1]));
                        continue;
                }
                if (allowed) {
                        if (harmless_site(&site, caller, w))
                                w->allowed++;
                        else
                                walk_fail(w,
                                          "N=%lu: failing %s in %s (+0x%" PRIxPTR ") gave %s in %s",
                                          n, site.fn, caller, site.offset, pam_code_name(rc[k]),
                                          step_name(sc->steps[k]));
                } else if (!denies(sc->steps[k], rc[k]))
                        walk_fail(w, "N=%lu: failing %s in %s gave %s in %s, not a denial", n,
                                  site.fn, caller, pam_code_name(rc[k]), step_name(sc->steps[k]));
        }
        if (w->walked + 1 >= WALK_MAX)
                walk_fail(w, "the walk did not end after %lu runs", WALK_MAX);
}

/* ---- parent side ---- */

static const struct test_key *signer(enum jws_alg alg) {
        switch (alg) {
        case JWS_ALG_ES256:
                return &es256;
        case JWS_ALG_RS256:
                return &rs256;
        case JWS_ALG_PS256:
                return &ps256;
        default:
                return &keys.trusted;
        }
}

static void run_scenario(void **state) {
        const struct scenario *sc = *state;
        const struct test_key *trusted[] = {&keys.trusted, &es256, &rs256, &ps256};
        struct fixture f;
        struct walk *w;
        struct walk_data wd = {.sc = sc};
        const struct child_opts opts = {
                .audit_session = true,
                .ruid = sc->sudo ? harness_uid_of("daemon") : 0,
        };
        struct test_member over[3] = {{"sub", "\"daemon\""}};
        struct child_report *rep;
        char *token, *jwks;

        fixture_init(&f, &keys, sc->conf);
        jwks = fixture_own(&f, test_jwks_text(trusted, ELEMENTSOF(trusted)));
        fixture_write_file(&f, "trust.jwks", jwks, 0644);
        fixture_write_service(&f, sc->service, sc->args, false);
        if (sc->grant_over_name)
                over[1] = (struct test_member){sc->grant_over_name, sc->grant_over_value};
        token = fixture_own(&f, fixture_grant(&f, signer(sc->signer), over));
        if (sc->typed) {
                /* The host knows the store (a bundle for bob); daemon types. */
                char *bob = fixture_own(
                        &f, fixture_grant(&f, &keys.trusted,
                                          (const struct test_member[]){
                                                  {"sub", "\"bob\""}, {"jti", "\"g-bob\""}, {}}));
                fixture_apply(&f, &bob, 1, NULL, NULL);
                wd.token = token;
        } else if (!sc->want_allow && sc->conf && strstr(sc->conf, "stale_policy")) {
                fixture_write_user_file(&f, "daemon", &token, 1, NULL, -7200);
        } else
                fixture_apply(&f, &token, 1, NULL, NULL);
        if (sc->dead_record)
                fixture_save_record(&f, "4243", "g-1", "daemon", harness_dead_pid(), 4243, true);
        if (sc->other_live) {
                live_session_start(&f);
                fixture_save_record(&f, f.live.id, "g-1", "daemon", f.live.pid,
                                    (uint32_t) strtoul(f.live.id, NULL, 10), true);
        }

        w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        assert_true(w != MAP_FAILED);
        memset(w, 0, sizeof(*w));
        wd.w = w;
        rep = run_in_child(&f, &opts, walk_child, &wd);
        for (size_t i = 0; i < ELEMENTSOF(harmless); i++)
                total_hits[i] += w->hits[i];

        print_message("%s: %lu wrapped calls undisturbed, walked N = 1 … %lu, %lu allowed "
                      "through a harmless site\n",
                      sc->name, w->undisturbed, w->walked, w->allowed);
        for (size_t i = 0; i < ELEMENTSOF(harmless); i++)
                if (w->hits[i])
                        print_message("  harmless: %s in %s, %u time(s)\n", harmless[i].fn,
                                      harmless[i].caller, w->hits[i]);
        for (unsigned i = 0; i < w->n_failures && i < FAILURES_MAX; i++)
                print_error("  %s\n", w->failures[i]);
        if (rep->failure[0])
                print_error("  child: %s\n", rep->failure);
        {
                bool ok = w->n_failures == 0 && rep->failure[0] == '\0' && rep->ran &&
                          w->walked > 0 && w->walked == w->undisturbed;

                if (w->walked != w->undisturbed)
                        print_error("  walked %lu, but the undisturbed run made %lu calls\n",
                                    w->walked, w->undisturbed);
                child_report_free(rep);
                (void) munmap(w, sizeof(*w));
                fixture_done(&f);
                assert_true(ok);
        }
}

/* Run last: every harmless[] entry excused at least one run, so the list
 * holds nothing the walk does not need. */
static void test_harmless_sites_all_needed(void **state) {
        bool ok = true;

        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(harmless); i++)
                if (total_hits[i] == 0) {
                        print_error("harmless[] entry %s in %s was never needed\n", harmless[i].fn,
                                    harmless[i].caller);
                        ok = false;
                }
        assert_true(ok);
}

static int group_setup(void **state) {
        (void) state;
        harness_keys_init(&keys);
        test_key_init(&es256, JWS_ALG_ES256, "k2");
        test_key_init(&rs256, JWS_ALG_RS256, "k3");
        test_key_init(&ps256, JWS_ALG_PS256, "k4");
        return 0;
}

static int group_teardown(void **state) {
        (void) state;
        harness_keys_done(&keys);
        test_key_done(&es256);
        test_key_done(&rs256);
        test_key_done(&ps256);
        free(syms);
        return 0;
}

int main(void) {
        struct CMUnitTest tests[ELEMENTSOF(scenarios) + 1];
        const char *module;
        void *keep;
        int r = harness_require_root();

        if (r != 0)
                return r;
        module = getenv("JIT_PAM_MODULE");
        if (!module || !strstr(module, "pam_jit-faults.so")) {
                fprintf(stderr, "JIT_PAM_MODULE must name pam_jit-faults.so\n");
                return 1;
        }
        /* Keep the module mapped across PAM's dlclose(): the addresses of
         * leaked blocks' allocation sites stay meaningful. */
        keep = dlopen(module, RTLD_NOW | RTLD_LOCAL);
        if (!keep) {
                fprintf(stderr, "dlopen %s: %s\n", module, dlerror());
                return 1;
        }
        symtab_load(module);
        if (n_syms == 0) {
                fprintf(stderr, "no symbols from nm for %s\n", module);
                return 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
                tests[i] = (struct CMUnitTest){
                        .name = scenarios[i].name,
                        .test_func = run_scenario,
                        .initial_state = (void *) &scenarios[i],
                };
        tests[ELEMENTSOF(scenarios)] = (struct CMUnitTest){
                .name = "every harmless call site is needed",
                .test_func = test_harmless_sites_all_needed,
        };
        r = _cmocka_run_group_tests("faults-walk", tests, ELEMENTSOF(tests), group_setup,
                                    group_teardown);
        (void) dlclose(keep);
        return r;
}
