/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <security/pam_ext.h>
#include <stdio.h>
#include <time.h>

#include "messages.h"

void format_hms_utc(int64_t t, char *buf, size_t size) {
        time_t tt = (time_t) t;
        struct tm tm;

        /* gmtime_r, not gmtime: sshd and sudo may run PAM from threads. */
        if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%H:%M:%S", &tm) == 0)
                (void) snprintf(buf, size, "?");
}

void message_denied(pam_handle_t *pamh, enum pam_jit_mode mode, const char *user, const char *runas,
                    const struct decision *d) {
        const char *jti = d->grant ? d->grant->jti : "";
        enum verdict verdict = d->verdict;
        char when[16];

        /* decide() names a grant with these verdicts; were one ever missing,
         * the generic message is shown rather than a NULL dereferenced. */
        if (!d->grant && (verdict == VERDICT_EXPIRED || verdict == VERDICT_NOT_YET))
                verdict = VERDICT_NONE;

        /* sudo is refused for want of a sudo grant: say so first, so that
         * a revoked or expired sudo grant is not read as the end of the
         * login grant the user is still working under. */
        if (mode == PAM_JIT_MODE_SUDO && verdict != VERDICT_STALE && verdict != VERDICT_NONE &&
            verdict != VERDICT_RUNAS) {
                char why[64] = "";

                if (verdict == VERDICT_REVOKED)
                        (void) snprintf(why, sizeof(why), "was revoked");
                else if (verdict == VERDICT_EXPIRED) {
                        format_hms_utc(d->grant->exp, when, sizeof(when));
                        (void) snprintf(why, sizeof(why), "expired at %s UTC", when);
                } else if (verdict == VERDICT_NOT_YET) {
                        format_hms_utc(d->grant->nbf, when, sizeof(when));
                        (void) snprintf(why, sizeof(why), "starts at %s UTC", when);
                } else
                        (void) snprintf(why, sizeof(why), "is in use by another session");
                (void) pam_error(pamh, "jit: no sudo grant for %s on this host (sudo grant %s %s)",
                                 user, jti, why);
                return;
        }
        switch (verdict) {
        case VERDICT_STALE:
                (void) pam_error(pamh, "jit: access grants on this host are out of date; new "
                                       "logins are refused");
                break;
        case VERDICT_REVOKED:
                (void) pam_error(pamh, "jit: your access grant %s was revoked", jti);
                break;
        case VERDICT_EXPIRED:
                format_hms_utc(d->grant->exp, when, sizeof(when));
                (void) pam_error(pamh, "jit: your access grant %s expired at %s UTC", jti, when);
                break;
        case VERDICT_NOT_YET:
                format_hms_utc(d->grant->nbf, when, sizeof(when));
                (void) pam_error(pamh, "jit: your access grant %s starts at %s UTC", jti, when);
                break;
        case VERDICT_BOUND:
                (void) pam_error(pamh, "jit: your access grant %s is in use by another session",
                                 jti);
                break;
        case VERDICT_RUNAS:
                (void) pam_error(pamh, "jit: your access grant does not allow sudo to %s",
                                 runas ? runas : "that user");
                break;
        case VERDICT_NONE:
        default:
                (void) pam_error(pamh, "jit: no %s grant for %s on this host",
                                 mode == PAM_JIT_MODE_SUDO ? "sudo" : "access", user);
                break;
        }
}

void message_internal_error(pam_handle_t *pamh) {
        (void) pam_error(pamh, "jit: access check failed; see the system log");
}

void message_access_until(pam_handle_t *pamh, const struct grant *g, int64_t now) {
        char when[16], detail[600] = "";
        int64_t left = (g->exp - now + 59) / 60;

        format_hms_utc(g->exp, when, sizeof(when));
        if (g->ticket && g->approver)
                (void) snprintf(detail, sizeof(detail), " (ticket %s, approved by %s)", g->ticket,
                                g->approver);
        else if (g->ticket)
                (void) snprintf(detail, sizeof(detail), " (ticket %s)", g->ticket);
        else if (g->approver)
                (void) snprintf(detail, sizeof(detail), " (approved by %s)", g->approver);
        (void) pam_info(pamh, "jit: access by grant %s%s until %s UTC, in %lld min", g->jti, detail,
                        when, (long long) (left > 0 ? left : 0));
}
