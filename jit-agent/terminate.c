/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ending a session: through systemd-logind where it runs (TerminateSession),
 * and in every case by signalling each process whose audit session id is the
 * session's: pam_loginuid gives the sshd monitor, the shell and everything
 * they start (sudo'd root processes included) the same id, and no process can
 * leave it. SIGTERM first, SIGKILL after kill_grace. */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent-log.h"
#include "agent.h"
#include "audit.h"
#include "bus.h"
#include "proc.h"
#include "session-record.h"
#include "terminate.h"

struct signal_job {
        int sig;
        uid_t only_uid;
        pid_t spare;
        unsigned sent;
};

static int signal_one(pid_t pid, void *userdata) {
        struct signal_job *job = userdata;
        uid_t ruid, euid;

        if (pid == job->spare)
                return 0;
        if (job->only_uid != (uid_t) -1) {
                if (proc_uids(pid, &ruid, &euid) < 0)
                        return 0;
                if (ruid != job->only_uid && euid != job->only_uid)
                        return 0;
        }
        if (kill(pid, job->sig) == 0)
                job->sent++;
        return 0;
}

static uint64_t now_monotonic(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static int grace_timer_arm(struct agent *a) {
        uint64_t next = UINT64_MAX;

        for (size_t i = 0; i < a->n_kills; i++)
                if (a->kills[i].deadline < next)
                        next = a->kills[i].deadline;
        if (next == UINT64_MAX)
                return sd_event_source_set_enabled(a->grace_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_time(a->grace_timer, next);
        return sd_event_source_set_enabled(a->grace_timer, SD_EVENT_ONESHOT);
}

static int signal_session(struct agent *a, uint32_t audit_session, uid_t only_uid, pid_t spare,
                          const char *why) {
        struct signal_job job = {.sig = SIGTERM, .only_uid = only_uid, .spare = spare};
        struct pending_kill *k;
        int r;

        r = session_foreach_process(audit_session, getpid(), signal_one, &job);
        if (r < 0)
                return r;
        agent_log(LOG_INFO, AGENT_MID_SIGTERM_SENT,
                  "audit session %u: SIGTERM to %u process%s (%s)", audit_session, job.sent,
                  job.sent == 1 ? "" : "es", why);
        if (job.sent == 0)
                return 0;
        k = realloc(a->kills, (a->n_kills + 1) * sizeof(*k));
        if (!k)
                return -ENOMEM;
        a->kills = k;
        a->kills[a->n_kills++] = (struct pending_kill){
                .audit_session = audit_session,
                .only_uid = only_uid,
                .spare = spare,
                .deadline = now_monotonic() + (uint64_t) a->ctx.config->kill_grace * USEC_PER_SEC,
        };
        return grace_timer_arm(a);
}

/* SIGKILL what is still there after the grace. */
int pending_kills_run(struct agent *a) {
        uint64_t now = now_monotonic();
        size_t kept = 0;

        for (size_t i = 0; i < a->n_kills; i++) {
                struct pending_kill *k = &a->kills[i];
                struct signal_job job = {
                        .sig = SIGKILL, .only_uid = k->only_uid, .spare = k->spare};

                if (k->deadline > now) {
                        a->kills[kept++] = *k;
                        continue;
                }
                (void) session_foreach_process(k->audit_session, getpid(), signal_one, &job);
                if (job.sent > 0)
                        agent_log(LOG_NOTICE, AGENT_MID_SIGKILL_SENT,
                                  "audit session %u: SIGKILL to %u process%s that outlived the "
                                  "grace",
                                  k->audit_session, job.sent, job.sent == 1 ? "" : "es");
        }
        a->n_kills = kept;
        return grace_timer_arm(a);
}

static int logind_terminate(struct agent *a, const char *logind_session) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!a->bus || !logind_session)
                return -EOPNOTSUPP;
        for (int attempt = 0;; attempt++) {
                r = sd_bus_call_method(a->bus, "org.freedesktop.login1", "/org/freedesktop/login1",
                                       "org.freedesktop.login1.Manager", "TerminateSession", &error,
                                       NULL, "s", logind_session);
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
                                 (&(struct agent_log_fields){.error = r}),
                                 "logind TerminateSession %s: %s", logind_session,
                                 error.message ? error.message
                                               : strerror_r(-r, (char[128]){}, 128));
        sd_bus_error_free(&error);
        return r;
}

int session_terminate(struct agent *a, const char *id, uint32_t audit_session,
                      const char *logind_session, const char *why) {
        int r = -ENOENT;

        /* logind first where it runs: it ends the scope and its cgroup, which
         * no process escapes. The audit-session sweep follows in any case,
         * and SIGKILLs what is left after the grace. */
        if (logind_terminate(a, logind_session) >= 0) {
                agent_log_fields(LOG_INFO, AGENT_MID_LOGIND_TERMINATED,
                                 (&(struct agent_log_fields){.session = id}),
                                 "session %s: ended through logind (%s)", id, why);
                r = 0;
        }
        if (audit_session != AUDIT_SESSION_UNSET) {
                int q = signal_session(a, audit_session, (uid_t) -1, 0, why);
                if (q >= 0)
                        r = 0;
        }
        return r;
}

int session_kill_uid(struct agent *a, uint32_t audit_session, uid_t uid, pid_t spare,
                     const char *why) {
        if (audit_session == AUDIT_SESSION_UNSET)
                return -EINVAL;
        return signal_session(a, audit_session, uid, spare, why);
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
