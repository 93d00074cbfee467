/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The agent's shared state: what the rooms above (enforce.c, poll.c,
 * terminate.c, key-files.c and main.c's loop) read and change, and its
 * lifecycle. Nothing here calls up into them. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cloud-facts-file.h"
#include "error.h"
#include "fetch-job.h"
#include "head.h"
#include "host-context.h"
#include "jit-limits.h"
#include "snapshot.h"
#include "store-mirrors.h"
#include "token-digest.h"

/* Processes sent SIGTERM, to be sent SIGKILL when the grace runs out; kept
 * in run_dir/ending too (ending.h). */
struct pending_kill {
        char session[JIT_SESSION_ID_MAX + 1];               /* the record's id */
        uint32_t audit_session;                             /* AUDIT_SESSION_UNSET: none */
        char logind_session[JIT_LOGIND_SESSION_ID_MAX + 1]; /* "": none */
        uid_t only_uid;    /* (uid_t) -1: every process of the session */
        pid_t spare;       /* never signalled (the session leader, for elevated ends) */
        uint64_t deadline; /* CLOCK_BOOTTIME usec */
};

/* When each user's key file changes next (key-files.c): one entry per user
 * with a grant that starts or ends later, sorted by time. 8 bytes an entry,
 * since at 10 000 grants every user has one: the time, and the user as a
 * hash of the name (the names are those of state_dir/users, listed again
 * when an entry is due; a collision only rewrites one more file). */
struct key_due {
        uint32_t when; /* seconds after the schedule's epoch */
        uint32_t who;  /* KEY_DUE_HASH bits of the name's hash, then KEY_DUE_USABLE bits */
};

/* The low bits of who: the user's usable ssh grants (at most 1 023). */
#define KEY_DUE_USABLE_BITS 10

struct key_schedule {
        struct key_due *v;
        size_t n;
        int64_t epoch;
};

/* Warnings already given: one bit per warn_before entry, per session and grant. */
struct warned {
        char session[65];
        char jti[129];
        uint32_t mask;
};

/* This host's cloud facts (cloud-poll.c): which cloud, the last good facts
 * its metadata service gave (also in run_dir/cloud-facts), the job asking. */
struct agent_cloud {
        enum cloud cloud;               /* CLOUD_NONE: nothing is asked */
        struct cloud_facts_record last; /* last.cloud CLOUD_AUTO: none yet */
        struct fetch_job *job;
        sd_event_source *timer;
        unsigned failures;
};

/* Last good cloud facts older than this are dropped (grants selecting on
 * them stop matching) when the metadata service keeps failing. */
#define AGENT_CLOUD_FACTS_KEEP_SEC (24 * 3600)

struct agent {
        sd_event *event;
        sd_bus *bus; /* the system bus where logind runs, else NULL */
        const char *config_path;
        struct jit_context ctx;
        /* SHA-256 of the grant tokens seen to verify under ctx's trust store
         * (the tokens of the users with sessions at the last reconcile) in
         * the bundle named by verified_sha256: their signatures are not
         * checked again (enforce.c). Dropped with ctx and on a new bundle. */
        struct token_digest_set verified;
        char verified_sha256[65];
        struct key_schedule keys;

        struct fetch_job *fetch; /* the helper's fetch in flight, or NULL */
        struct agent_cloud cloud;
        char *etag;
        struct store_mirrors mirrors; /* which mirror next (store-mirrors.h) */
        struct hint *hint;            /* the notify_url subscriber, or NULL (hint.c) */
        uint64_t hint_not_before;     /* CLOCK_MONOTONIC usec: no hinted fetch before */
        unsigned etag_mirror;         /* the bundle_url mirror etag came from */
        bool hint_pending;            /* a hint came while a fetch ran */
        unsigned failures;            /* consecutive failed polls, for the backoff */
        /* What the last failed poll's message names first ("no instance
         * role", "clock skew"), for STATUS=; valid while failures > 0. */
        char fetch_problem[96];
        char fetch_error[512]; /* and the whole message, for jitctl status */
        /* SHA-256 of the bundle this process last verified and applied (or
         * found unchanged) under the trust store it holds now; forgotten on
         * reload. The same bytes again are not parsed and verified again. */
        char applied_sha256[65]; /* hex, as in the state file; "" for none */
        int64_t store_skew;      /* store clock minus ours at the last fetch, seconds */

        /* A checked head whose shards are being fetched (poll.c): applied
         * once all are saved, dropped whole if one fails. */
        struct head *pending_head;
        char *pending_token;
        size_t pending_len;
        char *pending_etag;
        size_t *pending_need; /* indexes into pending_head->shards */
        size_t n_pending_need, pending_next;
        /* The shards one jit-fetch run is fetching (indexes into
         * pending_need), and how many of them are saved. */
        size_t pending_run[JIT_FETCH_OBJECTS_MAX], n_pending_run, pending_run_saved;
        char *pending_base; /* the head's URL up to its last '/' */
        /* The facts differ from those the held head was applied with (a
         * start, a reload): apply it again, fetching the shards now needed. */
        bool facts_changed;

        sd_event_source *poll_timer;
        sd_event_source *deadline_timer; /* CLOCK_REALTIME: the next expiry or warning */
        sd_event_source *grace_timer;    /* CLOCK_BOOTTIME: the next SIGKILL or check */
        sd_event_source *sessions_watch; /* inotify on run_dir/sessions */

        struct pending_kill *kills;
        size_t n_kills;
        struct warned *warned;
        size_t n_warned;
        char **unsafe_ended; /* unsafe records whose sessions were ended, not to alarm twice */

        sd_event_source *reconcile_soon; /* defer: one reconcile per burst of events */
        sd_event_source *trim_soon;      /* defer: return freed heap after a fetch */

        bool keys_dirty;         /* the grants may have changed: recompute every key file */
        char **accounts_refused; /* create_users: names refused, said once (accounts.c) */

        /* For STATUS=. */
        size_t n_grants, n_sessions;
        int64_t next_expiry;          /* the next end of a grant a session runs on; 0 none */
        int64_t next_end_scan;        /* the same, while a reconcile looks */
        int store_state;              /* enum store_state (store-state.h); -1 not known yet */
        sd_event_source *store_timer; /* CLOCK_REALTIME: the store state's next change */
        /* A reload that failed: the agent runs on the configuration it had. */
        int64_t config_loaded_at, reload_failed_at;
};

#define AGENT_INIT(path) ((struct agent){.config_path = (path), .store_state = -1})

/* Load config, trust store and facts into a fresh context and make it a's;
 * on failure a keeps the context it had (a bad edit must not stop
 * enforcement) and err says what is wrong. */
int agent_load_context(struct agent *a, struct jit_error *err);

/* Forget the head being applied, and its shard list. */
void agent_pending_drop(struct agent *a);

/* Free everything a holds (the event loop last); a fetch in flight is
 * cancelled. */
void agent_done(struct agent *a);

#define USEC_PER_SEC 1000000ULL
