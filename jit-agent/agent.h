/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* jit-agent: one sd-event loop that fetches the bundle, and ends sessions and
 * removes keys at the second their grant ends. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "fetch-job.h"
#include "host-context.h"
#include "snapshot.h"

/* Processes sent SIGTERM, to be sent SIGKILL when the grace runs out. */
struct pending_kill {
        uint32_t audit_session;
        uid_t only_uid;    /* (uid_t) -1: every process of the session */
        pid_t spare;       /* never signalled (the session leader, for elevated ends) */
        uint64_t deadline; /* CLOCK_MONOTONIC usec */
};

/* Warnings already given: one bit per warn_before entry, per session and grant. */
struct warned {
        char session[65];
        char jti[129];
        uint32_t mask;
};

struct agent {
        sd_event *event;
        sd_bus *bus; /* the system bus where logind runs, else NULL */
        const char *config_path;
        struct jit_context ctx;
        /* The verified grants of the applied bundle, by user (enforce.c);
         * NULL until read, dropped with ctx. */
        struct host_grants *grants;

        struct fetch_job *fetch; /* the helper's fetch in flight, or NULL */
        char *etag;
        unsigned failures; /* consecutive failed polls, for the backoff */
        /* SHA-256 of the bundle this process last verified and applied (or
         * found unchanged) under the trust store it holds now; forgotten on
         * reload. The same bytes again are not parsed and verified again. */
        char applied_sha256[65]; /* hex, as in the state file; "" for none */
        int64_t store_skew;      /* store clock minus ours at the last fetch, seconds */

        sd_event_source *poll_timer;
        sd_event_source *deadline_timer; /* CLOCK_REALTIME: the next expiry or warning */
        sd_event_source *grace_timer;    /* CLOCK_MONOTONIC: the next SIGKILL */
        sd_event_source *sessions_watch; /* inotify on run_dir/sessions */

        struct pending_kill *kills;
        size_t n_kills;
        struct warned *warned;
        size_t n_warned;

        sd_event_source *reconcile_soon; /* defer: one reconcile per burst of events */
        sd_event_source *trim_soon;      /* defer: return freed heap after a fetch */

        bool keys_dirty;   /* the grants may have changed: recompute the key files */
        int64_t keys_next; /* when a key file changes next (a grant starts or ends); 0 none */

        /* For STATUS=. */
        size_t n_grants, n_sessions;
        int64_t next_expiry;
};

int agent_load_context(struct agent *a);
int agent_poll_setup(struct agent *a);
int agent_bus_open(struct agent *a);
/* Facts from the config (and providers), written to run_dir/facts. */
int agent_facts_write(const struct jit_config *c, struct host_facts *ret);
int agent_reconcile(struct agent *a);
int agent_poll_now(struct agent *a);
void agent_status(struct agent *a);

/* Ending sessions (terminate.c). */
int session_terminate(struct agent *a, const char *id, uint32_t audit_session,
                      const char *logind_session, const char *why);
int session_kill_uid(struct agent *a, uint32_t audit_session, uid_t uid, pid_t spare,
                     const char *why);
int pending_kills_run(struct agent *a);

/* Terminal warnings (warn.c). */
void session_warn(uint32_t audit_session, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Key files (keys.c): run_dir/keys/<user> holds exactly the keys of the
 * user's usable ssh grants. *next gets the earliest time a file changes. */
int keys_sync(struct agent *a, const struct host_snapshot *snap, int64_t now, int64_t *next,
              size_t *ret_grants);

/* sudo's timestamp records of a user, so no cached sudo outlives a grant. */
void sudo_timestamps_remove(const char *user);

/* Logging: to stderr with a "<N>" priority prefix, which journald reads as
 * the priority when stderr is the journal (SyslogLevelPrefix=). */
void log_at(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_at(3, __VA_ARGS__)
#define log_warning(...) log_at(4, __VA_ARGS__)
#define log_notice(...) log_at(5, __VA_ARGS__)
#define log_info(...) log_at(6, __VA_ARGS__)
#define log_debug(...) log_at(7, __VA_ARGS__)

#define USEC_PER_SEC 1000000ULL
