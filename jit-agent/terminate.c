/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ending a session: through systemd-logind where it runs (TerminateSession,
 * then KillSession of the whole scope after kill_grace), and in every case by
 * signalling each process of the session (proc.h's session_match: its audit
 * session id, which pam_loginuid gives the sshd monitor, the shell and all
 * they start; the logind scope; their descendants). SIGTERM first, SIGKILL
 * after kill_grace in passes that no fork race outruns. The pending SIGKILL
 * is on disk (ending.h) from the first SIGTERM until nothing is left; only
 * then the session's record goes. */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent-log.h"
#include "agent.h"
#include "audit.h"
#include "bus.h"
#include "ending.h"
#include "proc.h"
#include "session-record.h"
#include "session-store.h"
#include "terminate.h"

struct signal_job {
        int sig; /* 0: count only */
        uid_t only_uid;
        pid_t spare;
        unsigned found; /* matched, signal delivered or not (it may be exiting) */
        unsigned sent;
};

static int signal_one(pid_t pid, void *userdata) {
        struct signal_job *job = userdata;

        if (pid == job->spare)
                return 0;
        /* Real, effective, saved or file-system uid: a process keeping the
         * target's uid in any of them can be the target again at will. */
        if (job->only_uid != (uid_t) -1 && proc_has_uid(pid, job->only_uid) <= 0)
                return 0;
        job->found++;
        if (job->sig != 0 && kill(pid, job->sig) < 0)
                return 0;
        job->sent++;
        return 0;
}

/* Freeze before the kill: SIGSTOP each process of the session as the pass
 * reads it, SIGKILL them all once the walk is done. */
static int stop_one(pid_t pid, void *userdata) {
        struct signal_job *job = userdata;

        if (pid == job->spare)
                return 0;
        if (job->only_uid != (uid_t) -1 && proc_has_uid(pid, job->only_uid) <= 0)
                return 0;
        (void) kill(pid, SIGSTOP);
        return 0;
}

/* A process group of the session's own (a job the shell made): one kill
 * reaches all of it, a child being forked included. Not for an elevation's
 * end, which spares the user's own processes. */
static int kill_group(pid_t pgrp, void *userdata) {
        struct signal_job *job = userdata;

        if (job->only_uid == (uid_t) -1 && job->spare == 0)
                (void) kill(-pgrp, SIGKILL);
        return 0;
}

static uint64_t now_boottime(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_BOOTTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* While a grace runs, look this often whether the session is empty already
 * (then its record goes at once); after a SIGKILL sweep that could not
 * settle, try again this much later. */
#define EARLY_CHECK_USEC (200 * 1000ULL)
#define RETRY_USEC (1000 * 1000ULL)
/* A SIGKILL sweep: passes until SESSION_SCAN_SETTLED in a row find nothing,
 * at most this many, for at most this long. */
#define KILL_MAX_PASSES 2000u
#define KILL_MAX_USEC (2 * 1000 * 1000ULL)

static int grace_timer_arm(struct agent *a) {
        uint64_t next = UINT64_MAX, now = now_boottime();

        for (size_t i = 0; i < a->n_kills; i++) {
                uint64_t t = a->kills[i].deadline;

                if (t > now + EARLY_CHECK_USEC)
                        t = now + EARLY_CHECK_USEC;
                if (t < next)
                        next = t;
        }
        if (next == UINT64_MAX)
                return sd_event_source_set_enabled(a->grace_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_time(a->grace_timer, next);
        return sd_event_source_set_enabled(a->grace_timer, SD_EVENT_ONESHOT);
}

static struct session_match kill_match(const struct pending_kill *k) {
        return (struct session_match){.audit_session = k->audit_session,
                                      .logind_session =
                                              k->logind_session[0] ? k->logind_session : NULL,
                                      .exclude = getpid()};
}

/* Passes of sig (0: only look) over the session's processes until
 * SESSION_SCAN_SETTLED passes in a row find none and none dying: a process
 * that forks and exits every millisecond cannot outrun that, each pass sees
 * it alive or dying. 1: settled, nothing left; 0: something is left (or did
 * not settle in time); negative: /proc unreadable. With sig 0 the first pass
 * that finds a process ends it. */
static int sweep(const struct pending_kill *k, int sig, unsigned max_passes, unsigned *ret_sent) {
        _cleanup_(session_scan_done) struct session_scan s = {};
        struct session_match m = kill_match(k);
        uint64_t until = now_boottime() + KILL_MAX_USEC;
        unsigned clean = 0, sent = 0;
        int r = 0;

        if (m.audit_session == AUDIT_SESSION_UNSET && !m.logind_session)
                return 1; /* nothing names its processes */
        for (unsigned i = 0; i < max_passes && now_boottime() < until; i++) {
                struct signal_job job = {.sig = sig, .only_uid = k->only_uid, .spare = k->spare};

                r = session_scan_pass(&s, &m,
                                      sig == SIGKILL
                                              ? &(struct session_scan_ops){.on_read = stop_one,
                                                                           .on_group = kill_group,
                                                                           .fn = signal_one}
                                              : &(struct session_scan_ops){.fn = signal_one},
                                      &job);
                if (r < 0)
                        break;
                sent += job.sent;
                if (job.found == 0 && s.unsure == 0) {
                        if (++clean >= SESSION_SCAN_SETTLED) {
                                r = 1;
                                break;
                        }
                } else
                        clean = 0;
                if (sig == 0 && job.found > 0)
                        break;
        }
        if (ret_sent)
                *ret_sent = sent;
        return r;
}

static struct pending_kill *pending_kill_find(struct agent *a, const char *session, uid_t uid) {
        for (size_t i = 0; i < a->n_kills; i++)
                if (streq(a->kills[i].session, session) && a->kills[i].only_uid == uid)
                        return &a->kills[i];
        return NULL;
}

bool session_is_ending(struct agent *a, const char *session) {
        return pending_kill_find(a, session, (uid_t) -1) != NULL;
}

static int pending_kill_add(struct agent *a, const struct pending_kill *k) {
        struct pending_kill *n;

        n = reallocarray(a->kills, a->n_kills + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        a->kills = n;
        a->kills[a->n_kills++] = *k;
        return 0;
}

static int signal_session(struct agent *a, const char *id, uint32_t audit_session,
                          const char *logind_session, uid_t only_uid, pid_t spare,
                          const char *why) {
        struct pending_kill k = {.audit_session = audit_session,
                                 .only_uid = only_uid,
                                 .spare = spare,
                                 .deadline = now_boottime() +
                                             (uint64_t) a->ctx.config->kill_grace * USEC_PER_SEC};
        _cleanup_(session_scan_done) struct session_scan s = {};
        struct signal_job job = {.sig = SIGTERM, .only_uid = only_uid, .spare = spare};
        struct session_match m;
        struct jit_error err = {};
        int r;

        if (pending_kill_find(a, id, only_uid))
                return 0; /* ending already: its SIGKILL is due at its own deadline */
        (void) snprintf(k.session, sizeof(k.session), "%s", id);
        if (logind_session)
                (void) snprintf(k.logind_session, sizeof(k.logind_session), "%s", logind_session);
        /* On disk before the first signal: an agent that dies inside the
         * grace leaves the SIGKILL to the next one (ending.h). */
        if (ending_save(a->ctx.config->run_dir, &k, &err) < 0)
                agent_log_fields(LOG_ERR, AGENT_MID_SESSION_RECORD_ERROR,
                                 (&(struct agent_log_fields){.session = id, .error = EIO}),
                                 "session %s: cannot persist its pending SIGKILL: %s", id,
                                 err.message);
        r = pending_kill_add(a, &k);
        if (r < 0)
                return r;
        m = kill_match(&k);
        if (m.audit_session != AUDIT_SESSION_UNSET || m.logind_session)
                (void) session_scan_pass(&s, &m, &(struct session_scan_ops){.fn = signal_one},
                                         &job);
        agent_log_fields(LOG_INFO, AGENT_MID_SIGTERM_SENT,
                         (&(struct agent_log_fields){.session = id}),
                         "session %s: SIGTERM to %u process%s (%s)", id, job.sent,
                         job.sent == 1 ? "" : "es", why);
        return grace_timer_arm(a);
}

/* Nothing of k is left: its file goes and, for a whole session, its record
 * (only the agent removes the record of a session it ended, once empty). */
static void pending_kill_finish(struct agent *a, const struct pending_kill *k) {
        struct jit_error err = {};

        (void) ending_remove(a->ctx.config->run_dir, k);
        if (k->only_uid != (uid_t) -1)
                return;
        if (session_record_remove(a->ctx.config->run_dir, k->session, &err) < 0)
                agent_log_fields(LOG_ERR, AGENT_MID_SESSION_RECORD_ERROR,
                                 (&(struct agent_log_fields){.session = k->session}),
                                 "session %s: cannot remove record: %s", k->session, err.message);
        else
                agent_log_fields(LOG_INFO, AGENT_MID_SESSION_OVER,
                                 (&(struct agent_log_fields){.session = k->session}),
                                 "session %s: ended, nothing of it left, record removed",
                                 k->session);
}

static int logind_call(struct agent *a, const char *method, const char *logind_session,
                       const char *types, ...);

/* SIGKILL what is still there after the grace; while the grace runs, finish
 * early what is empty already. */
int pending_kills_run(struct agent *a) {
        uint64_t now = now_boottime();
        size_t kept = 0;

        for (size_t i = 0; i < a->n_kills; i++) {
                struct pending_kill *k = &a->kills[i];
                unsigned sent = 0;
                int r;

                if (k->deadline > now) {
                        if (sweep(k, 0, SESSION_SCAN_MAX_PASSES, NULL) == 1)
                                pending_kill_finish(a, k);
                        else
                                a->kills[kept++] = *k;
                        continue;
                }
                /* Where logind runs, its scope holds every process of the
                 * session, also one that left the audit session (a root
                 * process that wrote /proc/self/loginuid): KillSession
                 * signals the whole cgroup, where TerminateSession would
                 * leave SIGKILL to the scope's stop timeout (90 s). */
                if (k->only_uid == (uid_t) -1 && k->logind_session[0] && a->bus &&
                    logind_call(a, "KillSession", k->logind_session, "ssi", k->logind_session,
                                "all", (int32_t) SIGKILL) >= 0)
                        agent_log_fields(LOG_NOTICE, AGENT_MID_SIGKILL_SENT,
                                         (&(struct agent_log_fields){.session = k->session}),
                                         "session %s: SIGKILL to logind session %s, all of its "
                                         "scope",
                                         k->session, k->logind_session);
                r = sweep(k, SIGKILL, KILL_MAX_PASSES, &sent);
                if (sent > 0)
                        agent_log_fields(LOG_NOTICE, AGENT_MID_SIGKILL_SENT,
                                         (&(struct agent_log_fields){.session = k->session}),
                                         "session %s: SIGKILL to %u process%s that outlived the "
                                         "grace",
                                         k->session, sent, sent == 1 ? "" : "es");
                if (r == 1) {
                        pending_kill_finish(a, k);
                        continue;
                }
                k->deadline = now + RETRY_USEC;
                a->kills[kept++] = *k;
        }
        a->n_kills = kept;
        return grace_timer_arm(a);
}

int pending_kills_now(struct agent *a) {
        for (size_t i = 0; i < a->n_kills; i++)
                a->kills[i].deadline = 0;
        return pending_kills_run(a);
}

int pending_kills_load(struct agent *a) {
        _cleanup_strv_free_ char **bad = NULL;
        struct pending_kill *v = NULL;
        struct jit_error err = {};
        size_t n = 0;
        int r;

        r = ending_load_all(a->ctx.config->run_dir, now_boottime(),
                            (uint64_t) a->ctx.config->kill_grace * USEC_PER_SEC, &v, &n, &bad,
                            &err);
        if (r < 0) {
                agent_log_fields(LOG_ERR, AGENT_MID_SESSION_RECORD_ERROR,
                                 (&(struct agent_log_fields){.error = r}),
                                 "cannot read the pending SIGKILLs: %s", err.message);
                return r;
        }
        for (size_t i = 0; bad && bad[i]; i++)
                agent_log_fields(LOG_ALERT, AGENT_MID_SESSION_RECORD_UNSAFE,
                                 (&(struct agent_log_fields){.session = bad[i]}),
                                 "%s/ending/%s: unsafe or unreadable: its session is killed now",
                                 a->ctx.config->run_dir, bad[i]);
        for (size_t i = 0; i < n; i++)
                if (!pending_kill_find(a, v[i].session, v[i].only_uid) &&
                    pending_kill_add(a, &v[i]) < 0) {
                        free(v);
                        return -ENOMEM;
                }
        if (n > 0)
                agent_log(LOG_NOTICE, AGENT_MID_ENDING_RESUMED,
                          "%zu session%s being ended by the previous agent: finishing", n,
                          n == 1 ? "" : "s");
        free(v);
        return grace_timer_arm(a);
}

static int logind_call(struct agent *a, const char *method, const char *logind_session,
                       const char *types, ...) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!a->bus || !logind_session)
                return -EOPNOTSUPP;
        for (int attempt = 0;; attempt++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
                va_list ap;

                r = sd_bus_message_new_method_call(a->bus, &m, "org.freedesktop.login1",
                                                   "/org/freedesktop/login1",
                                                   "org.freedesktop.login1.Manager", method);
                if (r >= 0) {
                        va_start(ap, types);
                        r = sd_bus_message_appendv(m, types, ap);
                        va_end(ap);
                }
                if (r >= 0)
                        r = sd_bus_call(a->bus, m, 0, &error, &reply);
                /* dbus-daemon restarted under us: connect again, once. */
                if (attempt == 0 && (r == -ENOTCONN || r == -ECONNRESET) &&
                    agent_bus_open(a) >= 0) {
                        sd_bus_error_free(&error);
                        continue;
                }
                break;
        }
        if (r < 0)
                agent_log_fields(LOG_WARNING, AGENT_MID_LOGIND_FAILED,
                                 (&(struct agent_log_fields){.error = r}), "logind %s %s: %s",
                                 method, logind_session,
                                 error.message ? error.message
                                               : strerror_r(-r, (char[128]){}, 128));
        sd_bus_error_free(&error);
        return r;
}

int session_terminate(struct agent *a, const char *id, uint32_t audit_session,
                      const char *logind_session, const char *why) {
        int r = -ENOENT;

        /* logind first where it runs: it stops the scope and its cgroup. The
         * sweep follows in any case (the audit session, the scope's cgroup,
         * their descendants), and SIGKILLs what is left after the grace. */
        if (logind_session && a->bus &&
            logind_call(a, "TerminateSession", logind_session, "s", logind_session) >= 0) {
                agent_log_fields(LOG_INFO, AGENT_MID_LOGIND_TERMINATED,
                                 (&(struct agent_log_fields){.session = id}),
                                 "session %s: ended through logind (%s)", id, why);
                r = 0;
        }
        if (audit_session != AUDIT_SESSION_UNSET || logind_session) {
                int q = signal_session(a, id, audit_session, logind_session, (uid_t) -1, 0, why);
                if (q >= 0)
                        r = 0;
        }
        return r;
}

int session_kill_uid(struct agent *a, const char *id, uint32_t audit_session,
                     const char *logind_session, uid_t uid, pid_t spare, const char *why) {
        if (audit_session == AUDIT_SESSION_UNSET && !logind_session)
                return -EINVAL;
        return signal_session(a, id, audit_session, logind_session, uid, spare, why);
}

void sudo_timestamps_remove(const char *user) {
        /* Debian's sudo keeps one file per user here (timestampdir). */
        static const char *const dirs[] = {"/run/sudo/ts", "/var/run/sudo/ts", "/var/lib/sudo/ts"};

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_close_ int dfd = -1;

                dfd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (dfd < 0)
                        continue;
                if (unlinkat(dfd, user, 0) == 0)
                        agent_log_fields(LOG_INFO, AGENT_MID_SUDO_TIMESTAMPS_REMOVED,
                                         (&(struct agent_log_fields){.user = user}),
                                         "removed sudo timestamps of %s in %s", user, dirs[i]);
        }
}
