/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reconciliation: every recorded session against the grants the host holds
 * now. It runs at start (sessions whose grant ended while the agent was down
 * end at once), on every accepted bundle (revocations act at once), on every
 * change in run_dir/sessions, and at the exact second of the next expiry or
 * warning. A session whose grant ended is re-bound to another usable grant
 * of the same user, host and scope if one exists (an extension), and ended
 * otherwise. */

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "agent-log.h"
#include "agent.h"
#include "audit.h"
#include "enforce.h"
#include "key-files.h"
#include "parse.h"
#include "proc.h"
#include "session-record.h"
#include "session-store.h"
#include "snapshot.h"
#include "status.h"
#include "terminate.h"
#include "userdb.h"
#include "warn.h"

static void format_hms_utc(int64_t t, char *buf, size_t size) {
        time_t tt = (time_t) t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%H:%M:%S", &tm) == 0)
                (void) snprintf(buf, size, "?");
}

static const char *grant_end_reason(enum verdict v) {
        switch (v) {
        case VERDICT_REVOKED:
                return "the access grant was revoked";
        case VERDICT_EXPIRED:
                return "the access grant expired";
        case VERDICT_NONE:
                return "the access grant is no longer in the bundle";
        default:
                return "the access grant is no longer valid";
        }
}

/* "in 4 min", or "in 40 s" under a minute. */
static void format_left(int64_t left, char *buf, size_t size) {
        if (left < 60)
                (void) snprintf(buf, size, "in %lld s", (long long) (left > 0 ? left : 0));
        else
                (void) snprintf(buf, size, "in %lld min", (long long) ((left + 59) / 60));
}

static void next_at(int64_t *next, int64_t t, int64_t now) {
        if (t > now && t < *next)
                *next = t;
}

/* A grant a session runs on ends at end: the timer's next event, and the
 * "next expiry" of STATUS= (which counts ends only, not warnings or key
 * file changes). */
static void end_at(struct agent *a, int64_t *next, int64_t end, int64_t now) {
        next_at(next, end, now);
        next_at(&a->next_end_scan, end, now);
}

/* Is the grant jti of user still usable for scope (and target)? On success
 * *ret_end is its end: its exp. */
static int grant_usable(struct agent *a, const struct host_snapshot *snap, const char *user,
                        const char *jti, unsigned scope, const char *runas, const char *session,
                        int64_t now, bool *ret, int64_t *ret_end, enum verdict *ret_verdict) {
        struct decision d = {};
        int r;

        if (!snap) {
                agent_log(LOG_ERR, AGENT_MID_GRANT_CHECK_FAILED,
                          "session %s: cannot check grant %s: no snapshot of the host", session,
                          jti);
                return -EIO;
        }
        r = decide(snap,
                   &(struct decide_request){.user = user,
                                            .scope = scope,
                                            .runas = runas,
                                            .only_jti = jti,
                                            .own_session = session,
                                            .ignore_stale = true,
                                            .now = now},
                   &d);
        if (r < 0) {
                agent_log_fields(
                        LOG_ERR, AGENT_MID_GRANT_CHECK_FAILED,
                        (&(struct agent_log_fields){
                                .user = user, .session = session, .grant_id = jti, .error = r}),
                        "session %s: cannot check grant %s: %s%s", session, jti,
                        r == -EIO ? "cannot tell whether this session runs: " : "",
                        r == -EIO && d.session ? d.session : strerror_r(-r, (char[128]){}, 128));
                return r;
        }
        *ret = d.verdict == VERDICT_ALLOW;
        if (ret_verdict)
                *ret_verdict = d.verdict;
        if (*ret)
                *ret_end = d.grant->exp;
        return 0;
}

/* Another usable grant for the same user, host and scope (an extension or
 * a new approval), or NULL. */
static int grant_successor(const struct host_snapshot *snap, const char *user, unsigned scope,
                           const char *runas, const char *session, int64_t now,
                           struct decision *ret) {
        int r;

        if (!snap)
                return -EIO;
        r = decide(snap,
                   &(struct decide_request){.user = user,
                                            .scope = scope,
                                            .runas = runas,
                                            .own_session = session,
                                            .ignore_stale = true,
                                            .now = now},
                   ret);
        if (r < 0)
                agent_log_fields(
                        LOG_ERR, AGENT_MID_GRANT_CHECK_FAILED,
                        (&(struct agent_log_fields){.user = user, .session = session, .error = r}),
                        "session %s: cannot look for another grant: %s", session,
                        strerror_r(-r, (char[128]){}, 128));
        return r;
}

static struct warned *warned_find(struct agent *a, const char *session, const char *jti) {
        for (size_t i = 0; i < a->n_warned; i++)
                if (streq(a->warned[i].session, session) && streq(a->warned[i].jti, jti))
                        return &a->warned[i];
        return NULL;
}

static struct warned *warned_get(struct agent *a, const char *session, const char *jti) {
        struct warned *w = warned_find(a, session, jti), *n;

        if (w)
                return w;
        n = realloc(a->warned, (a->n_warned + 1) * sizeof(*n));
        if (!n)
                return NULL;
        a->warned = n;
        w = &a->warned[a->n_warned++];
        *w = (struct warned){};
        (void) snprintf(w->session, sizeof(w->session), "%s", session);
        (void) snprintf(w->jti, sizeof(w->jti), "%s", jti);
        return w;
}

/* Forget sessions that are gone. */
static void warned_prune(struct agent *a, char *const *live_ids) {
        size_t kept = 0;

        for (size_t i = 0; i < a->n_warned; i++)
                if (strv_contains(live_ids, a->warned[i].session))
                        a->warned[kept++] = a->warned[i];
        a->n_warned = kept;
}

/* warn_before is sorted longest first, so the thresholds already reached
 * are a prefix of it. The user is told once for the last one reached; it and
 * every longer one then count as told: one line, not a burst after a restart
 * or a late reconcile. */
static void warn_before_end(struct agent *a, const struct session_record *rec, const char *jti,
                            const char *target, int64_t end, int64_t now, int64_t *next) {
        const struct jit_config *c = a->ctx.config;
        size_t n = c->n_warn_before < 32 ? c->n_warn_before : 32, reached = 0;
        struct warned *w;
        char when[16], left[32];

        if (now >= end)
                return;
        while (reached < n && now >= end - c->warn_before[reached])
                reached++;
        if (reached < n)
                next_at(next, end - c->warn_before[reached], now);
        if (reached == 0)
                return;
        w = warned_get(a, rec->id, jti);
        if (!w || (w->mask & (1u << (reached - 1))))
                return;
        for (size_t k = 0; k < reached; k++)
                w->mask |= 1u << k;
        format_hms_utc(end, when, sizeof(when));
        format_left(end - now, left, sizeof(left));
        if (target)
                session_warn(rec->audit_session,
                             "your sudo access to %s ends at %s UTC, %s (grant %s)", target, when,
                             left, jti);
        else
                session_warn(rec->audit_session, "your access ends at %s UTC, %s (grant %s)", when,
                             left, jti);
}

struct rebind {
        const char *old_jti, *new_jti;
        int64_t exp;
        bool bound;
        const char *target; /* NULL: the login grant; else the elevation's target */
};

static int rebind_edit(struct session_record *r, void *userdata, struct jit_error *err) {
        const struct rebind *b = userdata;
        _cleanup_free_ char *old_entry = NULL, *new_entry = NULL;

        if (!b->target) {
                if (!streq(r->grant, b->old_jti))
                        return 0; /* someone else re-bound it meanwhile */
                free(r->grant);
                r->grant = strdup(b->new_jti);
                if (!r->grant)
                        return jit_error_oom(err);
                r->exp = b->exp;
                r->bound = b->bound;
                return 1;
        }
        if (asprintf(&old_entry, "%s %s", b->target, b->old_jti) < 0 ||
            (b->new_jti && asprintf(&new_entry, "%s %s", b->target, b->new_jti) < 0))
                return jit_error_oom(err);
        for (size_t i = 0; r->elevated && r->elevated[i]; i++) {
                if (!streq(r->elevated[i], old_entry))
                        continue;
                free(r->elevated[i]);
                if (new_entry && !strv_contains(r->elevated, new_entry)) {
                        r->elevated[i] = TAKE_PTR(new_entry);
                        return 1;
                }
                /* drop the entry */
                for (size_t k = i; r->elevated[k]; k++)
                        r->elevated[k] = r->elevated[k + 1];
                return 1;
        }
        return 0;
}

static void session_end(struct agent *a, const struct session_record *rec, const char *why) {
        agent_audit(AUDIT_SESSION_ENDED, LOG_NOTICE,
                    &(struct audit_fields){.grant_id = rec->grant,
                                           .user = rec->user,
                                           .host = a->ctx.host,
                                           .service = rec->service,
                                           .reason = why,
                                           .result = "ended"},
                    "session %s of %s: %s: ending it", rec->id, rec->user, why);
        session_warn(rec->audit_session, "%s: this session ends now", why);
        (void) session_terminate(a, rec->id, rec->audit_session, rec->logind_session, why);
        sudo_timestamps_remove(rec->user);
        /* The record stays until nothing of the session is left: the grace
         * timer removes it then (terminate.c). */
}

/* A record that cannot be read safely (not root's, writable by others, not
 * a record at all) cannot be enforced: its session ends, named by the file
 * name, with an alarm, and the other sessions go on being enforced. Only an
 * I/O error (the next reconcile may read it) leaves it for now. */
static void session_end_unreadable(struct agent *a, const char *id, int error, const char *why) {
        uint32_t audit = AUDIT_SESSION_UNSET;
        const char *logind = NULL;
        uint64_t v;

        if (error == -ENOMEM || error == -EIO || error == -EMFILE || error == -ENFILE) {
                agent_log_fields(LOG_ERR, AGENT_MID_SESSION_RECORD_ERROR,
                                 (&(struct agent_log_fields){.session = id, .error = -error}),
                                 "session %s: unreadable record: %s", id, why);
                return;
        }
        if (strv_contains(a->unsafe_ended, id))
                return;
        agent_log_fields(LOG_ALERT, AGENT_MID_SESSION_RECORD_UNSAFE,
                         (&(struct agent_log_fields){.session = id, .error = -error}),
                         "session %s: unsafe record, ending the session: %s", id, why);
        /* The name is all that is trusted: an audit session id, which is the
         * logind session id where logind runs, or "logind-<id>". */
        if (parse_uint_strict(id, strlen(id), AUDIT_SESSION_UNSET - 1, &v)) {
                audit = (uint32_t) v;
                logind = id;
        } else if (strncmp(id, "logind-", 7) == 0)
                logind = id + 7;
        session_warn(audit, "the session record is unsafe: this session ends now");
        (void) session_terminate(a, id, audit, logind, "unsafe session record");
        (void) strv_extend(&a->unsafe_ended, id);
}

/* run_dir/sessions itself is unsafe: no record in it can be trusted, so
 * every session it names ends. */
static void sessions_end_unsafe_folder(struct agent *a, const char *why) {
        _cleanup_strv_free_ char **ids = NULL;

        if (session_records_list_unchecked(a->ctx.config->run_dir, &ids) < 0)
                return;
        for (size_t i = 0; ids[i]; i++)
                if (!session_is_ending(a, ids[i]))
                        session_end_unreadable(a, ids[i], -EPERM, why);
}

/* The login grant: still usable, re-bound, or the session ends. Returns
 * false when the session was ended. */
static bool enforce_login(struct agent *a, const struct host_snapshot *snap,
                          struct session_record *rec, int64_t now, int64_t *next) {
        struct decision succ = {};
        struct jit_error err = {};
        enum verdict why = VERDICT_NONE;
        bool ok = false;
        int64_t end = 0;
        char when[16];

        if (grant_usable(a, snap, rec->user, rec->grant, GRANT_SCOPE_SSH, NULL, rec->id, now, &ok,
                         &end, &why) < 0)
                return true; /* cannot tell: leave it, retry at the next event */
        if (ok) {
                warn_before_end(a, rec, rec->grant, NULL, end, now, next);
                end_at(a, next, end, now);
                return true;
        }

        if (grant_successor(snap, rec->user, GRANT_SCOPE_SSH, NULL, rec->id, now, &succ) >= 0 &&
            succ.verdict == VERDICT_ALLOW) {
                struct rebind b = {.old_jti = rec->grant,
                                   .new_jti = succ.grant->jti,
                                   .exp = succ.grant->exp,
                                   .bound = succ.grant->bind_session};

                if (session_record_update(a->ctx.config->run_dir, rec->id, rebind_edit, &b, &err) >=
                    0) {
                        end = succ.grant->exp;
                        format_hms_utc(end, when, sizeof(when));
                        agent_audit(AUDIT_SESSION_EXTENDED, LOG_INFO,
                                    &(struct audit_fields){.grant_id = succ.grant->jti,
                                                           .user = rec->user,
                                                           .host = a->ctx.host,
                                                           .service = rec->service,
                                                           .reason = succ.grant->reason,
                                                           .ticket = succ.grant->ticket,
                                                           .approver = succ.grant->approver,
                                                           .result = "extended"},
                                    "session %s of %s: grant %s ended, re-bound to grant %s until "
                                    "%s UTC",
                                    rec->id, rec->user, rec->grant, succ.grant->jti, when);
                        session_warn(rec->audit_session, "access extended until %s UTC by grant %s",
                                     when, succ.grant->jti);
                        end_at(a, next, end, now);
                        return true;
                }
                agent_log_fields(
                        LOG_ERR, AGENT_MID_SESSION_RECORD_ERROR,
                        (&(struct agent_log_fields){.user = rec->user, .session = rec->id}),
                        "session %s: cannot re-bind: %s", rec->id, err.message);
        }
        session_end(a, rec, grant_end_reason(why));
        return false;
}

/* Each sudo elevation: its grant still usable, re-bound, or ended: the whole
 * session (on_sudo_expiry = session) or what runs as the target. */
static bool enforce_elevations(struct agent *a, const struct host_snapshot *snap,
                               struct session_record *rec, int64_t now, int64_t *next) {
        struct jit_error err = {};

        for (size_t i = 0; rec->elevated && rec->elevated[i]; i++) {
                struct decision succ = {};
                _cleanup_free_ char *target = NULL;
                const char *sp = strchr(rec->elevated[i], ' ');
                const char *jti;
                bool ok = false;
                int64_t end = 0;
                char when[16];
                uid_t uid;

                if (!sp)
                        continue;
                target = strndup(rec->elevated[i], (size_t) (sp - rec->elevated[i]));
                if (!target)
                        return true;
                jti = sp + 1;
                if (grant_usable(a, snap, rec->user, jti, GRANT_SCOPE_SUDO, target, rec->id, now,
                                 &ok, &end, NULL) < 0)
                        continue;
                if (ok) {
                        /* Warned as before a login's end: the elevation ends then. */
                        warn_before_end(a, rec, jti, target, end, now, next);
                        end_at(a, next, end, now);
                        continue;
                }
                if (grant_successor(snap, rec->user, GRANT_SCOPE_SUDO, target, rec->id, now,
                                    &succ) >= 0 &&
                    succ.verdict == VERDICT_ALLOW &&
                    session_record_update(a->ctx.config->run_dir, rec->id, rebind_edit,
                                          &(struct rebind){.old_jti = jti,
                                                           .new_jti = succ.grant->jti,
                                                           .target = target},
                                          &err) >= 0) {
                        agent_log_fields(LOG_INFO, AGENT_MID_SUDO_REBOUND,
                                         (&(struct agent_log_fields){.user = rec->user,
                                                                     .session = rec->id,
                                                                     .grant_id = succ.grant->jti}),
                                         "session %s: sudo to %s re-bound to grant %s", rec->id,
                                         target, succ.grant->jti);
                        /* Never moved without the user knowing when it ends now. */
                        format_hms_utc(succ.grant->exp, when, sizeof(when));
                        session_warn(rec->audit_session,
                                     "your sudo access to %s now rests on grant %s, until %s UTC",
                                     target, succ.grant->jti, when);
                        end_at(a, next, succ.grant->exp, now);
                        continue;
                }

                sudo_timestamps_remove(rec->user);
                if (a->ctx.config->on_sudo_expiry == ON_SUDO_EXPIRY_SESSION) {
                        session_end(a, rec, "the sudo grant ended");
                        return false;
                }
                /* elevated: only what runs as the target ends; the login goes on. */
                if (user_uid_get(target, &uid) >= 0) {
                        session_warn(rec->audit_session, "your sudo access to %s ended", target);
                        (void) session_kill_uid(a, rec->id, rec->audit_session, rec->logind_session,
                                                uid, rec->leader, "the sudo grant ended");
                        agent_audit(AUDIT_ELEVATION_ENDED, LOG_NOTICE,
                                    &(struct audit_fields){.grant_id = jti,
                                                           .user = rec->user,
                                                           .host = a->ctx.host,
                                                           .service = rec->service,
                                                           .reason = "the sudo grant ended",
                                                           .result = "elevation ended"},
                                    "session %s of %s: processes running as %s ended", rec->id,
                                    rec->user, target);
                }
                (void) session_record_update(a->ctx.config->run_dir, rec->id, rebind_edit,
                                             &(struct rebind){.old_jti = jti, .target = target},
                                             &err);
        }
        return true;
}

/* The digest of the bundle the host holds now, or NULL when the state
 * cannot be read (then nothing verified is remembered). The set of verified
 * tokens is dropped when it names another bundle. */
static const char *verified_for_bundle(struct agent *a, char sha[65]) {
        struct jit_error err = {};

        if (host_grants_current_sha256(&a->ctx, sha, &err) < 0) {
                agent_log(LOG_ERR, AGENT_MID_GRANT_CHECK_FAILED, "cannot read the state: %s",
                          err.message);
                token_digest_set_done(&a->verified);
                a->verified_sha256[0] = '\0';
                return NULL;
        }
        if (!streq(sha, a->verified_sha256)) {
                token_digest_set_done(&a->verified);
                memcpy(a->verified_sha256, sha, 65);
        }
        return sha;
}

/* Remember the digests of the tokens of the users with sessions (those the
 * next reconcile decides again), if the snapshot came from the bundle the
 * set is for. Everything else is forgotten: at 10 000 grants the set of
 * every token would be 320 kB the agent needs only after a new bundle,
 * when it is dropped anyway. */
static void verified_keep(struct agent *a, const struct host_snapshot *snap, const char *sha,
                          char *const *session_users) {
        const struct host_grants *g = snap->grants;
        struct token_digest *v;
        size_t n = 0;

        if (!sha || !g || !g->have_state || !streq(g->bundle_sha256, sha) ||
            snap->n_unreadable > 0) {
                token_digest_set_done(&a->verified);
                return;
        }
        for (size_t i = 0; session_users && session_users[i]; i++) {
                const struct user_view *uv = host_grants_user(g, session_users[i]);

                n += uv && uv->digests ? uv->n_grants : 0;
        }
        v = malloc((n ? n : 1) * sizeof(*v));
        if (!v) {
                token_digest_set_done(&a->verified);
                return;
        }
        n = 0;
        for (size_t i = 0; session_users && session_users[i]; i++) {
                const struct user_view *uv = host_grants_user(g, session_users[i]);

                for (size_t k = 0; uv && uv->digests && k < uv->n_grants; k++)
                        v[n++] = uv->digests[k];
        }
        token_digest_set_adopt(&a->verified, v, n);
}

/* The live session records, and their users. A login that is over and left
 * nothing running has its record removed here. */
static int sessions_load(struct agent *a, struct session_record ***ret, char ***ret_users) {
        _cleanup_strv_free_ char **ids = NULL;
        struct session_record **recs;
        struct jit_error err = {};
        size_t n = 0;
        int r;

        *ret_users = NULL;
        r = session_records_list(a->ctx.config->run_dir, &ids, &err);
        if (r < 0) {
                agent_log_fields(LOG_ERR, AGENT_MID_SESSION_RECORD_ERROR,
                                 (&(struct agent_log_fields){.error = r}),
                                 "cannot list sessions: %s", err.message);
                ids = NULL;
                if (err.reason == JIT_REASON_FILE_UNSAFE)
                        sessions_end_unsafe_folder(a, err.message);
        }
        recs = calloc(strv_length(ids) + 1, sizeof(struct session_record *));
        if (!recs)
                return -ENOMEM;
        for (size_t i = 0; ids && ids[i]; i++) {
                _cleanup_(session_record_freep) struct session_record *rec = NULL;

                /* Being ended: the grace timer finishes it and removes the
                 * record once nothing of it is left. */
                if (session_is_ending(a, ids[i]))
                        continue;
                r = session_record_load(a->ctx.config->run_dir, ids[i], &rec, &err);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        session_end_unreadable(a, ids[i], r, err.message);
                        continue;
                }
                /* Unknown (an unreadable /proc) is not gone: keep enforcing. */
                if (session_record_liveness(rec) == 0) {
                        size_t left = 0;

                        /* The login is over. What it left running (nohup, a
                         * detached screen) still runs on the grant and is
                         * enforced like the session; with nothing left (in
                         * passes that agree), the record goes. */
                        if ((rec->audit_session == AUDIT_SESSION_UNSET && !rec->logind_session) ||
                            (session_count_settled(
                                     &(struct session_match){.audit_session = rec->audit_session,
                                                             .logind_session = rec->logind_session,
                                                             .exclude = getpid()},
                                     SESSION_SCAN_MAX_PASSES, &left) >= 0 &&
                             left == 0)) {
                                agent_log_fields(LOG_INFO, AGENT_MID_SESSION_OVER,
                                                 (&(struct agent_log_fields){.user = rec->user,
                                                                             .session = rec->id}),
                                                 "session %s of %s: over, record removed", rec->id,
                                                 rec->user);
                                (void) session_record_remove(a->ctx.config->run_dir, rec->id, NULL);
                                continue;
                        }
                }
                if (!strv_contains(*ret_users, rec->user) && strv_extend(ret_users, rec->user) < 0)
                        r = -ENOMEM;
                recs[n++] = TAKE_PTR(rec);
                if (r == -ENOMEM)
                        break;
        }
        if (ids)
                warned_prune(a, ids);
        *ret = recs;
        return r == -ENOMEM ? -ENOMEM : 0;
}

static void sessions_free(struct session_record **recs) {
        for (size_t i = 0; recs && recs[i]; i++)
                session_record_free(recs[i]);
        free(recs);
}

int agent_reconcile(struct agent *a) {
        _cleanup_strv_free_ char **users = NULL, **due = NULL, **concerned = NULL;
        _cleanup_(snapshot_done) struct host_snapshot snap = {};
        struct session_record **recs = NULL;
        const struct host_snapshot *sp = NULL;
        struct jit_error err = {};
        int64_t now = (int64_t) time(NULL), next = INT64_MAX, keys_next;
        bool full = a->keys_dirty;
        size_t sessions = 0;
        const char *sha;
        char sha_buf[65] = "";
        int r;

        r = sessions_load(a, &recs, &users);
        if (r < 0)
                agent_log(LOG_ERR, AGENT_MID_SESSION_RECORD_ERROR, "cannot load sessions: %s",
                          strerror_r(-r, (char[128]){}, 128));
        if (!full && key_schedule_due(&a->keys, a->ctx.config->state_dir, now, &due) < 0)
                full = true; /* out of memory: every file, as after a new bundle */

        /* One snapshot for the whole reconcile, of the users it concerns:
         * every session and key file is decided on the same view of the
         * host. Key files verify every grant of every user only when the
         * grants can have changed (a new bundle, a reload, the start), else
         * only those whose grant starts or ends now. */
        sha = verified_for_bundle(a, sha_buf);
        concerned = calloc(1, sizeof(char *));
        r = concerned ? 0 : -ENOMEM;
        for (size_t i = 0; r >= 0 && users && users[i]; i++)
                r = strv_extend(&concerned, users[i]);
        for (size_t i = 0; r >= 0 && due && due[i]; i++)
                r = strv_extend(&concerned, due[i]);
        if (r < 0) {
                /* A partial list would decide the missing users on no
                 * grants: no snapshot at all, and the sessions wait for
                 * the next event (a failed check never ends one). */
                agent_log(LOG_ERR, AGENT_MID_GRANT_CHECK_FAILED,
                          "cannot list the users to check: out of memory");
                strv_free(concerned);
                concerned = NULL;
        }
        if (concerned && (full || due || concerned[0])) {
                r = snapshot_load(&a->ctx,
                                  &(struct snapshot_load){.users = concerned,
                                                          .all_users = full,
                                                          .verified = &a->verified},
                                  &snap, &err);
                if (r < 0)
                        agent_log(LOG_ERR, AGENT_MID_GRANT_CHECK_FAILED,
                                  "cannot read the grants and sessions: %s", err.message);
                else {
                        sp = &snap;
                        if (snap.n_unreadable > 0)
                                agent_log(LOG_ERR, AGENT_MID_GRANT_CHECK_FAILED,
                                          "%zu user file%s unreadable, the first: %s",
                                          snap.n_unreadable, snap.n_unreadable == 1 ? "" : "s",
                                          err.message);
                }
        }

        a->next_end_scan = INT64_MAX;
        for (size_t i = 0; recs && recs[i]; i++) {
                if (!enforce_login(a, sp, recs[i], now, &next))
                        continue;
                if (!enforce_elevations(a, sp, recs[i], now, &next))
                        continue;
                sessions++;
        }
        sessions_free(recs);
        if (sp)
                verified_keep(a, sp, sha, users);
        else
                token_digest_set_done(&a->verified);

        if (full || due) {
                r = sp ? keys_sync(a, sp, full ? NULL : due, now) : -EIO;
                if (r < 0) {
                        agent_log_fields(LOG_ERR, AGENT_MID_KEY_FILES_FAILED,
                                         (&(struct agent_log_fields){.error = r}),
                                         "cannot sync key files: %s",
                                         strerror_r(-r, (char[128]){}, 128));
                        /* every file again at the next event */
                        a->keys_dirty = true;
                        key_schedule_done(&a->keys);
                } else
                        a->keys_dirty = false;
        }
        keys_next = key_schedule_next(&a->keys);
        if (keys_next > 0 && keys_next < next)
                next = keys_next;
        if (full) {
                /* Reading 5 000 files and parsing 10 000 tokens leaves freed
                 * heap between what is kept: give it back (as after a
                 * fetch). */
                snapshot_done(&snap);
                (void) malloc_trim(0);
        }

        a->n_sessions = sessions;
        a->next_expiry = a->next_end_scan == INT64_MAX ? 0 : a->next_end_scan;
        if (next == INT64_MAX)
                r = sd_event_source_set_enabled(a->deadline_timer, SD_EVENT_OFF);
        else {
                (void) sd_event_source_set_time(a->deadline_timer, (uint64_t) next * USEC_PER_SEC);
                r = sd_event_source_set_enabled(a->deadline_timer, SD_EVENT_ONESHOT);
        }
        agent_status(a);
        return r < 0 ? r : 0;
}
