/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jitctl status: is this host enforcing, on which grants, until when. The
 * store's freshness and the agent's counts come from the same source as the
 * agent's STATUS= line (common/host/host-status.h); the grants, sessions and
 * facts are read here from the files pam_jit reads. Exit codes for
 * monitoring: docs/jitctl.1.scd, STATUS. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host-context.h"
#include "host-state.h"
#include "host-status.h"
#include "jitctl.h"
#include "json.h"
#include "proc.h"
#include "session-store.h"
#include "snapshot.h"
#include "uid-map.h"
#include "user-grants.h"
#include "userdb-records.h"

enum {
        EXIT_STATUS_WARNING = 4,  /* store unreachable or stale but admitting, clock skew */
        EXIT_STATUS_CRITICAL = 5, /* agent not running, no bundle, or stale and refusing */
};

static void help(void) {
        printf("Usage: jitctl status [--config FILE] [--ending-within DURATION] [--json]\n\n"
               "This host's enforcement at a glance: the agent, the store's freshness\n"
               "(serial, age, stale policy), clock skew, the grants that apply here with\n"
               "their end, the live sessions and the grant each runs on, the next expiry,\n"
               "and the host's facts. Run as root.\n\n"
               "Options:\n"
               "  -c, --config FILE          jit.conf (default " JIT_CONFIG_PATH ")\n"
               "  -w, --ending-within DUR    only grants and sessions that end within DUR (1h)\n"
               "      --now EPOCH            act as if at this time (for tests)\n"
               "      --json                 one JSON object\n"
               "  -h, --help                 show this help\n\n"
               "Exit status:\n"
               "  0  enforcing: the agent runs and the store is fresh\n"
               "  3  system error: unreadable config, trust store or state\n"
               "  4  warning: the store is unreachable or stale but still admitting, or the\n"
               "     clock differs from the store's by more than clock_skew\n"
               "  5  critical: the agent is not running (expiry is not enforced), no bundle\n"
               "     was accepted yet, or the store is stale and logins are refused\n");
}

static bool agent_alive(pid_t pid) {
        char path[64], comm[32] = "";
        FILE *f;

        if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
                return false;
        (void) snprintf(path, sizeof(path), "/proc/%d/comm", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        if (!fgets(comm, sizeof(comm), f))
                comm[0] = '\0';
        (void) fclose(f);
        comm[strcspn(comm, "\n")] = '\0';
        return streq(comm, "jit-agent");
}

static void when_text(int64_t t, int64_t now, char *buf, size_t size) {
        char at[40], span[32];

        if (t <= 0) {
                (void) snprintf(buf, size, "-");
                return;
        }
        format_utc(t, false, at, sizeof(at));
        format_span(t - now, span, sizeof(span));
        if (t >= now)
                (void) snprintf(buf, size, "%s (in %s)", at, span);
        else
                (void) snprintf(buf, size, "%s (%s ago)", at, span);
}

static const char *scope_text(unsigned scope) {
        if ((scope & GRANT_SCOPE_SSH) && (scope & GRANT_SCOPE_SUDO))
                return "ssh+sudo";
        return scope & GRANT_SCOPE_SUDO ? "sudo" : "ssh";
}

static struct json_object *jstr(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

/* The accounts jit-agent made from grants (create_users): its records in
 * /run/userdb, each with the uid kept for it in state_dir/uids. Records
 * that are there with create_users off are listed too: the agent removes
 * them at its next reconcile. */
static struct json_object *accounts_list(const struct jit_config *c) {
        _cleanup_strv_free_ char **names = NULL;
        struct uid_map m = {};
        struct json_object *ja = json_object_new_array();

        if (!ja || userdb_records_list(USERDB_DIR, &names, NULL) < 0)
                return ja;
        (void) uid_map_load(c->state_dir, &m, NULL);
        for (char **n = names; n && *n; n++) {
                struct json_object *o = json_object_new_object();
                uid_t uid;

                json_object_object_add(o, "user", jstr(*n));
                if (uid_map_get(&m, *n, &uid) >= 0)
                        json_object_object_add(o, "uid", json_object_new_int64(uid));
                json_object_array_add(ja, o);
        }
        uid_map_done(&m);
        return ja;
}

int verb_status(int argc, char *argv[]) {
        enum { OPT_JSON = 0x100, OPT_NOW };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"config", required_argument, NULL, 'c'},
                {"ending-within", required_argument, NULL, 'w'},
                {"now", required_argument, NULL, OPT_NOW},
                {"json", no_argument, NULL, OPT_JSON},
                {},
        };
        const char *config_path = JIT_CONFIG_PATH;
        _cleanup_(host_grants_freep) struct host_grants *grants = NULL;
        _cleanup_strv_free_ char **ids = NULL;
        _cleanup_json_ struct json_object *jo = NULL, *jg = NULL, *js = NULL, *jf = NULL,
                                          *ju = NULL;
        struct jit_context ctx = {};
        struct host_status hs = {};
        struct host_state st = {};
        struct jit_error err = {};
        int64_t now = (int64_t) time(NULL), within = -1, next = 0, skew = 0;
        bool json = false, agent_up, have_agent, skew_bad, fetch_failing;
        enum store_freshness fresh;
        size_t unreadable = 0, n_live = 0;
        char buf[128], line[256], agent_line[256] = "";
        int c, r, rc;

        while ((c = getopt_long(argc, argv, "hc:w:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 'c':
                        config_path = optarg;
                        break;
                case 'w':
                        if (parse_duration_arg("--ending-within", optarg, INT32_MAX, &within) < 0)
                                return EXIT_USAGE;
                        break;
                case OPT_NOW:
                        if (parse_epoch_arg("--now", optarg, &now) < 0)
                                return EXIT_USAGE;
                        break;
                case OPT_JSON:
                        json = true;
                        break;
                default:
                        ctl_error("run 'jitctl status --help' for usage");
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                ctl_error("unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }

        r = context_load(config_path, &ctx, &err);
        if (r < 0) {
                ctl_file_error(config_path, &err);
                return EXIT_SYSTEM;
        }
        r = host_state_load(ctx.config, &st, &err);
        if (r < 0 && r != -ENOENT) {
                ctl_error("state: %s", err.message);
                context_done(&ctx);
                return EXIT_SYSTEM;
        }
        have_agent = host_status_load(ctx.config->run_dir, &hs, NULL) >= 0;
        agent_up = have_agent && agent_alive(hs.pid);
        /* The agent's count of failed polls only means something while it
         * runs; the state file is the truth about the bundle either way. */
        fresh = store_freshness_of(ctx.config, &st, agent_up ? hs.failures : 0, now);
        skew = agent_up ? hs.store_skew : 0;
        fetch_failing = agent_up && hs.failures > 0 && hs.error[0];
        skew_bad = skew > ctx.config->clock_skew || -skew > ctx.config->clock_skew;
        /* The agent's own line (what systemctl status shows) while it runs;
         * otherwise the same line from what is read here. */
        if (agent_up)
                host_status_line(&hs, agent_line, sizeof(agent_line));
        hs.store = fresh;
        hs.serial = st.serial;
        hs.bundle_exp = st.bundle_exp;
        hs.last_fetch = st.last_fetch;

        r = host_grants_load_all(&ctx, &grants, &unreadable, &err);
        if (r < 0 && r != -ENOENT) {
                ctl_error("grants: %s", err.message);
                context_done(&ctx);
                return EXIT_SYSTEM;
        }
        (void) session_records_list(ctx.config->run_dir, &ids, NULL);

        jo = json_object_new_object();
        jg = json_object_new_array();
        js = json_object_new_array();
        jf = json_object_new_array();
        if (!jo || !jg || !js || !jf) {
                context_done(&ctx);
                return EXIT_SYSTEM;
        }

        /* Grants that apply here and have not ended. */
        hs.n_grants = 0;
        for (size_t u = 0; grants && u < grants->n_users; u++) {
                const struct user_view *uv = &grants->users[u];

                for (size_t k = 0; k < uv->n_grants; k++) {
                        const struct grant *g = uv->grants[k];
                        struct json_object *o;
                        bool revoked = user_grants_is_revoked(
                                &(struct user_grants){.revoked = uv->revoked,
                                                      .n_revoked = uv->n_revoked},
                                g->jti);

                        if (!grant_applies_to_host(g, &ctx.facts) || g->exp <= now || revoked)
                                continue;
                        hs.n_grants++;
                        if (next == 0 || g->exp < next)
                                next = g->exp;
                        if (within >= 0 && g->exp > now + within)
                                continue;
                        o = json_object_new_object();
                        json_object_object_add(o, "user", jstr(uv->user));
                        json_object_object_add(o, "grant", jstr(g->jti));
                        json_object_object_add(o, "scope", jstr(scope_text(g->scope)));
                        json_object_object_add(o, "nbf", json_object_new_int64(g->nbf));
                        json_object_object_add(o, "exp", json_object_new_int64(g->exp));
                        json_object_object_add(o, "ticket", jstr(g->ticket));
                        json_object_object_add(o, "approver", jstr(g->approver));
                        json_object_object_add(o, "active", json_object_new_boolean(g->nbf <= now));
                        json_object_array_add(jg, o);
                }
        }
        for (char **id = ids; id && *id; id++) {
                _cleanup_(session_record_freep) struct session_record *rec = NULL;
                struct json_object *o;

                if (session_record_load(ctx.config->run_dir, *id, &rec, NULL) < 0 ||
                    !session_record_is_live(rec))
                        continue;
                n_live++;
                if (within >= 0 && rec->exp > now + within)
                        continue;
                o = json_object_new_object();
                json_object_object_add(o, "session", jstr(rec->id));
                json_object_object_add(o, "user", jstr(rec->user));
                json_object_object_add(o, "grant", jstr(rec->grant));
                json_object_object_add(o, "service", jstr(rec->service));
                json_object_object_add(o, "rhost", jstr(rec->rhost));
                json_object_object_add(o, "exp", json_object_new_int64(rec->exp));
                json_object_array_add(js, o);
        }
        hs.n_sessions = n_live;
        ju = accounts_list(ctx.config);
        hs.next_expiry = next;
        for (size_t i = 0; i < ctx.facts.n_facts; i++)
                json_object_array_add(jf, json_object_new_string(ctx.facts.facts[i]));

        if (!agent_up || fresh == STORE_NO_BUNDLE || fresh == STORE_STALE_REFUSING)
                rc = EXIT_STATUS_CRITICAL;
        else if (fresh != STORE_FRESH || skew_bad)
                rc = EXIT_STATUS_WARNING;
        else
                rc = EXIT_OK;
        host_status_line(&hs, line, sizeof(line));
        if (agent_up)
                memcpy(line, agent_line, sizeof(line));

        if (json) {
                struct json_object *a = json_object_new_object(), *s = json_object_new_object();

                json_object_object_add(jo, "host", jstr(ctx.host));
                json_object_object_add(jo, "now", json_object_new_int64(now));
                json_object_object_add(jo, "summary", jstr(line));
                json_object_object_add(a, "running", json_object_new_boolean(agent_up));
                if (have_agent) {
                        json_object_object_add(a, "pid", json_object_new_int(hs.pid));
                        json_object_object_add(a, "updated", json_object_new_int64(hs.updated));
                        json_object_object_add(a, "failed_polls",
                                               json_object_new_int64(hs.failures));
                }
                json_object_object_add(jo, "agent", a);
                json_object_object_add(s, "state", jstr(store_freshness_name(fresh)));
                json_object_object_add(s, "serial", json_object_new_int64((int64_t) st.serial));
                json_object_object_add(s, "bundle_exp", json_object_new_int64(st.bundle_exp));
                json_object_object_add(s, "last_fetch", json_object_new_int64(st.last_fetch));
                json_object_object_add(
                        s, "age", json_object_new_int64(st.last_fetch ? now - st.last_fetch : -1));
                json_object_object_add(
                        s, "stale_policy",
                        jstr(ctx.config->stale_policy == STALE_POLICY_DENY ? "deny" : "keep"));
                json_object_object_add(s, "stale_after",
                                       json_object_new_int64(ctx.config->stale_after));
                /* The failed polls' cause and what to fix, as the agent logged it. */
                if (fetch_failing) {
                        json_object_object_add(s, "problem", jstr(hs.problem));
                        json_object_object_add(s, "error", jstr(hs.error));
                }
                json_object_object_add(jo, "store", s);
                json_object_object_add(jo, "clock_skew", json_object_new_int64(skew));
                json_object_object_add(jo, "clock_skew_allowed",
                                       json_object_new_int64(ctx.config->clock_skew));
                json_object_object_add(jo, "next_expiry", json_object_new_int64(next));
                json_object_object_add(jo, "grants", json_object_get(jg));
                json_object_object_add(jo, "sessions", json_object_get(js));
                json_object_object_add(jo, "facts", json_object_get(jf));
                json_object_object_add(jo, "create_users",
                                       json_object_new_boolean(ctx.config->create_users));
                json_object_object_add(jo, "accounts", json_object_get(ju));
                json_object_object_add(jo, "exit", json_object_new_int(rc));
                printf("%s\n", json_object_to_json_string_ext(jo, JSON_C_TO_STRING_PRETTY |
                                                                          JSON_C_TO_STRING_SPACED));
                context_done(&ctx);
                return rc;
        }

        printf("host:        %s\n", strempty(ctx.host));
        printf("enforcing:   %s\n",
               rc == EXIT_OK ? "yes"
               : !agent_up   ? "NO: jit-agent is not running, expiry is not enforced"
               : fresh == STORE_NO_BUNDLE
                       ? "no bundle accepted yet: every login without a grant is refused"
                       : "yes, with warnings (below)");
        if (agent_up) {
                format_span(now - hs.updated, buf, sizeof(buf));
                printf("agent:       running, pid %d, last report %s ago\n", (int) hs.pid, buf);
        } else
                printf("agent:       NOT RUNNING%s\n",
                       have_agent ? " (its last report names a process that is gone)" : "");
        printf("summary:     %s\n", line);
        if (st.serial > 0) {
                char exp_s[64], age[32];

                when_text(st.bundle_exp, now, exp_s, sizeof(exp_s));
                if (st.last_fetch > 0)
                        format_span(now - st.last_fetch, age, sizeof(age));
                else
                        (void) snprintf(age, sizeof(age), "never");
                printf("store:       %s, serial %" PRIu64 ", last fetched %s%s, fresh until %s\n",
                       store_freshness_name(fresh), st.serial, age, st.last_fetch > 0 ? " ago" : "",
                       exp_s);
        } else
                printf("store:       %s\n", store_freshness_name(fresh));
        if (fetch_failing)
                printf("fetch error: %s\n", hs.error);
        format_span(ctx.config->stale_after, buf, sizeof(buf));
        printf("stale:       stale_policy = %s, stale_after = %s\n",
               ctx.config->stale_policy == STALE_POLICY_DENY ? "deny" : "keep", buf);
        printf("clock skew:  %" PRId64 " s against the store (allowed %" PRId64 " s)%s\n", skew,
               ctx.config->clock_skew, skew_bad ? ": TOO LARGE" : "");
        when_text(next, now, buf, sizeof(buf));
        printf("next expiry: %s\n", next ? buf : "none");
        printf("facts:       ");
        for (size_t i = 0; i < ctx.facts.n_facts; i++)
                printf("%s%s", i ? " " : "", ctx.facts.facts[i]);
        printf("\n\ngrants%s:\n", within >= 0 ? " ending within the window" : " in force here");
        if (json_object_array_length(jg) == 0)
                printf("  (none)\n");
        for (size_t i = 0; i < json_object_array_length(jg); i++) {
                struct json_object *o = json_object_array_get_idx(jg, i), *v;
                int64_t exp = 0;

                if (json_object_object_get_ex(o, "exp", &v))
                        exp = json_object_get_int64(v);
                when_text(exp, now, buf, sizeof(buf));
#define S(k) (json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : "-")
                printf("  %-12s %-20s %-8s ends %s  ticket %s, approved by %s%s\n", S("user"),
                       S("grant"), S("scope"), buf, S("ticket"), S("approver"),
                       json_object_object_get_ex(o, "active", &v) && !json_object_get_boolean(v)
                               ? " (not yet valid)"
                               : "");
        }
        printf("\nsessions:\n");
        if (json_object_array_length(js) == 0)
                printf("  (none)\n");
        for (size_t i = 0; i < json_object_array_length(js); i++) {
                struct json_object *o = json_object_array_get_idx(js, i), *v;
                int64_t exp = 0;

                if (json_object_object_get_ex(o, "exp", &v))
                        exp = json_object_get_int64(v);
                when_text(exp, now, buf, sizeof(buf));
                printf("  session %-8s %-12s on grant %-20s via %s from %s, ends %s\n",
                       S("session"), S("user"), S("grant"), S("service"), S("rhost"), buf);
#undef S
        }
        if (ctx.config->create_users || json_object_array_length(ju) > 0) {
                printf("\naccounts from grants%s:\n",
                       ctx.config->create_users ? "" : " (create_users is off: being removed)");
                if (json_object_array_length(ju) == 0)
                        printf("  (none)\n");
                for (size_t i = 0; i < json_object_array_length(ju); i++) {
                        struct json_object *o = json_object_array_get_idx(ju, i), *v;

                        printf("  %-12s uid ",
                               json_object_get_string(
                                       json_object_object_get_ex(o, "user", &v) ? v : NULL));
                        if (json_object_object_get_ex(o, "uid", &v))
                                printf("%" PRId64 "\n", json_object_get_int64(v));
                        else
                                printf("unknown (not in state_dir/uids)\n");
                }
        }
        if (unreadable > 0)
                printf("\nwarning: %zu user file%s could not be read\n", unreadable,
                       unreadable == 1 ? "" : "s");
        context_done(&ctx);
        return rc;
}
