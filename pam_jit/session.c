/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <security/pam_ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "break-glass.h"
#include "hooks.h"
#include "identity.h"
#include "jit-limits.h"
#include "messages.h"
#include "parse.h"
#include "proc.h"
#include "session-store.h"

/* JIT_GRANT_ID, JIT_GRANT_EXPIRES (UTC, ISO 8601), JIT_GRANT_EXPIRES_EPOCH,
 * JIT_GRANT_REASON for the session's processes (sshd and sudo pass the PAM
 * environment on). */
static int export_grant(pam_handle_t *pamh, const struct grant *g) {
        char buf[64 + JIT_REASON_TEXT_MAX], iso[ISO8601_UTC_LEN + 1];

        (void) snprintf(buf, sizeof(buf), "JIT_GRANT_ID=%s", g->jti);
        if (pam_putenv(pamh, buf) != PAM_SUCCESS)
                return -ENOMEM;
        /* ISO 8601 for people and date(1); the seconds for scripts. */
        if (!format_iso8601_utc(g->exp, iso))
                return -ERANGE;
        (void) snprintf(buf, sizeof(buf), "JIT_GRANT_EXPIRES=%s", iso);
        if (pam_putenv(pamh, buf) != PAM_SUCCESS)
                return -ENOMEM;
        (void) snprintf(buf, sizeof(buf), "JIT_GRANT_EXPIRES_EPOCH=%" PRId64, g->exp);
        if (pam_putenv(pamh, buf) != PAM_SUCCESS)
                return -ENOMEM;
        (void) snprintf(buf, sizeof(buf), "JIT_GRANT_REASON=%s", strempty(g->reason));
        if (pam_putenv(pamh, buf) != PAM_SUCCESS)
                return -ENOMEM;
        return 0;
}

static int strdup_item(pam_handle_t *pamh, int item, char **ret) {
        const void *v = NULL;

        *ret = NULL;
        if (pam_get_item(pamh, item, &v) != PAM_SUCCESS)
                return -EINVAL; /* unreadable is not unset */
        if (!v)
                return 0;
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static int record_build(pam_handle_t *pamh, const char *sid, const char *user,
                        const struct grant *g, struct session_record **ret) {
        _cleanup_(session_record_freep) struct session_record *rec = NULL;
        char logind[JIT_SESSION_ID_MAX + 1];
        unsigned long audit;
        char *end;
        int r;

        rec = calloc(1, sizeof(*rec));
        if (!rec)
                return -ENOMEM;
        (void) snprintf(rec->id, sizeof(rec->id), "%s", sid);
        rec->grant = strdup(g->jti);
        rec->user = strdup(user);
        if (!rec->grant || !rec->user)
                return -ENOMEM;
        r = strdup_item(pamh, PAM_SERVICE, &rec->service);
        if (r >= 0)
                r = strdup_item(pamh, PAM_TTY, &rec->tty);
        if (r >= 0)
                r = strdup_item(pamh, PAM_RHOST, &rec->rhost);
        if (r < 0)
                return r;
        if (!rec->service)
                return -EINVAL;
        rec->leader = getpid();
        r = user_uid_get(user, &rec->uid);
        if (r < 0)
                return r;
        errno = 0;
        audit = strtoul(sid, &end, 10);
        rec->audit_session = errno == 0 && *end == '\0' ? (uint32_t) audit : AUDIT_SESSION_UNSET;
        /* Where logind runs it knows the session too; its id is the one
         * TerminateSession takes. */
        if (logind_session_of_pid(0, logind, sizeof(logind)) >= 0) {
                /* Through a local: gcc 12 -fanalyzer loses a strdup() stored
                 * straight into rec and reports it leaked. */
                char *copy = strdup(logind);

                if (!copy)
                        return -ENOMEM;
                rec->logind_session = copy;
        }
        rec->exp = g->exp;
        rec->bound = g->bind_session;
        *ret = TAKE_PTR(rec);
        return 0;
}

static enum outcome ssh_session_open(pam_handle_t *pamh, const struct pam_jit_args *args,
                                     const struct jit_context *ctx,
                                     const struct host_snapshot *snap, const char *user,
                                     const char *sid, int64_t now) {
        _cleanup_(session_record_freep) struct session_record *rec = NULL;
        struct decision d = {};
        struct jit_error err = {};
        enum outcome o;
        int r;

        /* Without a session id the agent could never end this session at
         * expiry: refuse it rather than admit what cannot be taken back. */
        if (!sid) {
                pam_syslog(pamh, LOG_ERR,
                           "no audit or logind session for this login; "
                           "pam_loginuid.so must run before pam_jit.so");
                (void) pam_error(pamh, "jit: cannot track this session (pam_loginuid.so must run "
                                       "before pam_jit.so)");
                return OUTCOME_ERROR;
        }

        if (!decide_or_deny(pamh, args, ctx, snap,
                            &(struct decide_request){
                                    .user = user,
                                    .scope = GRANT_SCOPE_SSH,
                                    .own_session = sid,
                                    .now = now,
                            },
                            AUDIT_LOGIN_DENIED, "session of", &d, &o))
                return o;

        r = record_build(pamh, sid, user, d.grant, &rec);
        if (r >= 0)
                r = session_record_save(ctx->config->run_dir, rec, &err) < 0 ? -EIO : 0;
        if (r >= 0)
                r = export_grant(pamh, d.grant);
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot record session %s of %s: %s", sid, user,
                           err.message[0] ? err.message : strerror_r(-r, (char[128]){}, 128));
                (void) session_record_remove(ctx->config->run_dir, sid, NULL);
                message_internal_error(pamh);
                return OUTCOME_ERROR;
        }
        message_access_until(pamh, d.grant, now);
        decision_log(pamh, ctx, AUDIT_SESSION_RECORDED, LOG_INFO, "session of", user, &d,
                     "recorded");
        return OUTCOME_ALLOW;
}

static enum outcome sudo_session_open(pam_handle_t *pamh, const struct pam_jit_args *args,
                                      const struct jit_context *ctx,
                                      const struct host_snapshot *snap, const char *invoker,
                                      const char *sid, int64_t now) {
        struct decision d = {};
        struct jit_error err = {};
        const char *target;
        enum outcome o;
        int r;

        if (pam_user_get(pamh, &target) < 0)
                return OUTCOME_DENY;
        if (!sid) {
                (void) pam_error(pamh, "jit: sudo is allowed only from a login session admitted "
                                       "by jit-access");
                return OUTCOME_DENY;
        }
        if (!decide_or_deny(pamh, args, ctx, snap,
                            &(struct decide_request){
                                    .user = invoker,
                                    .scope = GRANT_SCOPE_SUDO,
                                    .runas = target,
                                    .own_session = sid,
                                    .now = now,
                            },
                            AUDIT_SUDO_DENIED, "sudo for", &d, &o))
                return o;
        /* The elevation goes on the login session's record: the agent ends
         * what runs as the target when the grant ends. No record means the
         * account check's session vanished: refuse. */
        r = session_record_add_elevation(ctx->config->run_dir, sid, target, d.grant->jti, &err);
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot record elevation to %s on session %s: %s", target,
                           sid, err.message);
                (void) pam_error(pamh, "jit: sudo is allowed only from a login session admitted "
                                       "by jit-access");
                return r == -ENOENT ? OUTCOME_DENY : OUTCOME_ERROR;
        }
        if (export_grant(pamh, d.grant) < 0) {
                message_internal_error(pamh);
                return OUTCOME_ERROR;
        }
        decision_log(pamh, ctx, AUDIT_SUDO_ALLOWED, LOG_INFO, "sudo for", invoker, &d,
                     "elevation recorded");
        return OUTCOME_ALLOW;
}

enum outcome session_open_hook(pam_handle_t *pamh, const struct pam_jit_args *args, int64_t now) {
        _cleanup_(context_done) struct jit_context ctx = {};
        _cleanup_(snapshot_done) struct host_snapshot snap = {};
        char sid[JIT_SESSION_ID_MAX + 1];
        bool have_sid = session_id_of_pid(0, sid, sizeof(sid)) >= 0;
        bool sudo = args->mode == PAM_JIT_MODE_SUDO;
        struct hook_subject s = {};
        enum outcome o;

        /* First: whatever the outcome, a typed token leaves the PAM
         * environment here, before the session's environment is built. */
        if (typed_token_import(pamh, args, true) < 0) {
                message_internal_error(pamh);
                return OUTCOME_ERROR;
        }
        /* The session id is looked up first so that the snapshot's session
         * view leaves this session out; a missing one is refused below,
         * after exemptions, as before. sudo's session stack considers the
         * stored grants only. */
        if (!hook_begin(pamh, args, false, sudo ? NULL : typed_token_get(pamh),
                        have_sid ? sid : NULL, &s, &ctx, &snap, &o))
                return o;
        return s.sudo ? sudo_session_open(pamh, args, &ctx, &snap, s.user, have_sid ? sid : NULL,
                                          now)
                      : ssh_session_open(pamh, args, &ctx, &snap, s.user, have_sid ? sid : NULL,
                                         now);
}

/* At close the session is still dying: sshd's unprivileged child and the
 * shell may not have exited yet. Give them a moment before counting what
 * really outlives the login. */
#define LEFTOVER_WAIT_USEC (2 * 1000 * 1000)
#define LEFTOVER_POLL_USEC (50 * 1000)

/* Members of the session still alive: threads count (a leader that called
 * pthread_exit() is a zombie whose threads run on), descendants count (a
 * root process that wrote its loginuid), and passes must agree (a process
 * forking every millisecond is seen in each). -EAGAIN: cannot tell, which
 * keeps the record like a leftover does. */
static int session_leftovers(const struct session_record *rec, size_t *ret) {
        const struct session_match m = {.audit_session = rec->audit_session,
                                        .logind_session = rec->logind_session,
                                        .exclude = getpid()};
        int r;

        for (unsigned waited = 0;; waited += LEFTOVER_POLL_USEC) {
                r = session_count_settled(&m, SESSION_SCAN_MAX_PASSES, ret);
                if ((r >= 0 && *ret == 0) || waited >= LEFTOVER_WAIT_USEC ||
                    (r < 0 && r != -EAGAIN))
                        return r;
                (void) usleep(LEFTOVER_POLL_USEC);
        }
}

enum outcome session_close_hook(pam_handle_t *pamh, const struct pam_jit_args *args) {
        _cleanup_(session_record_freep) struct session_record *rec = NULL;
        _cleanup_(config_freep) struct jit_config *config = NULL;
        char sid[JIT_SESSION_ID_MAX + 1];
        struct jit_error err = {};
        const void *user = NULL;
        size_t left = 0;

        if (args->mode == PAM_JIT_MODE_SUDO)
                return OUTCOME_ALLOW; /* the elevation ends with the login session */
        if (pam_get_item(pamh, PAM_USER, &user) == PAM_SUCCESS && break_glass_listed(args, user))
                return OUTCOME_ALLOW; /* nothing was recorded */
        if (session_id_of_pid(0, sid, sizeof(sid)) < 0)
                return OUTCOME_ALLOW;
        if (config_load(args->config, 0, &config, &err) < 0) {
                pam_syslog(pamh, LOG_ERR, "%s", err.message);
                return OUTCOME_ERROR;
        }
        if (session_record_load(config->run_dir, sid, &rec, &err) < 0)
                return OUTCOME_ALLOW; /* nothing recorded (exempt user), or already gone */
        /* Only the process that opened the session closes its record. */
        if (rec->leader != getpid())
                return OUTCOME_ALLOW;
        /* Processes left behind (nohup, a detached screen) still run on the
         * grant: the record stays, so the agent ends them when it ends. */
        if (rec->audit_session != AUDIT_SESSION_UNSET || rec->logind_session) {
                int r = session_leftovers(rec, &left);

                if (r == -EAGAIN) {
                        pam_syslog(pamh, LOG_NOTICE,
                                   "session %s of %s closed; processes of it are still forking "
                                   "and exiting: the record stays, they end when grant %s ends",
                                   sid, rec->user, rec->grant);
                        return OUTCOME_ALLOW;
                }
                if (r >= 0 && left > 0) {
                        pam_syslog(pamh, LOG_NOTICE,
                                   "session %s of %s closed; %zu process%s outlive the login and "
                                   "end when grant %s ends",
                                   sid, rec->user, left, left == 1 ? "" : "es", rec->grant);
                        return OUTCOME_ALLOW;
                }
        }
        if (session_record_remove(config->run_dir, sid, &err) < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot remove session record %s: %s", sid, err.message);
                return OUTCOME_ERROR;
        }
        pam_syslog(pamh, LOG_INFO, "session %s of %s closed (grant %s)", sid, rec->user,
                   rec->grant);
        (void) audit_emit(AUDIT_SESSION_CLOSED, LOG_INFO, "pam_jit",
                          &(struct audit_fields){.grant_id = rec->grant,
                                                 .user = rec->user,
                                                 .service = rec->service,
                                                 .result = "closed",
                                                 .run_dir = config->run_dir},
                          "session %s of %s closed", sid, rec->user);
        return OUTCOME_ALLOW;
}
