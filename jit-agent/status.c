/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "agent-log.h"
#include "host-state.h"
#include "status.h"

/* "14:05:00 UTC", or with the date: "2026-12-04 14:05:00 UTC". */
static void format_utc(int64_t t, bool date, char *buf, size_t size) {
        time_t tt = (time_t) t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm) ||
            strftime(buf, size, date ? "%Y-%m-%d %H:%M:%S UTC" : "%H:%M:%S UTC", &tm) == 0)
                (void) snprintf(buf, size, "?");
}

/* Past bundle_exp the grants the host holds still end at their second, but
 * no new bundle (no revocation) has come: admins want to know when that
 * starts, once, and when it is over. */
static void store_freshness_changed(struct agent *a, bool fresh, int64_t bundle_exp) {
        char when[32];

        if (a->store_stale == !fresh)
                return;
        if (!fresh) {
                format_utc(bundle_exp, true, when, sizeof(when));
                agent_log(LOG_WARNING, AGENT_MID_STORE_STALE,
                          "store stale: the bundle held expired at %s and no newer one came; "
                          "expiry is still enforced",
                          when);
        } else if (a->store_stale == 1)
                agent_log(LOG_NOTICE, AGENT_MID_STORE_FRESH, "store fresh again");
        a->store_stale = !fresh;
}

/* "store fresh", "store stale", "no bundle yet", with ", unreachable" after
 * failed polls. */
static const char *store_state(struct agent *a) {
        struct host_state st;
        bool fresh;

        if (host_state_load(a->ctx.config, &st, NULL) < 0 || st.serial == 0)
                return a->failures > 0 ? "no bundle yet, store unreachable" : "no bundle yet";
        fresh = (int64_t) time(NULL) - a->ctx.config->clock_skew < st.bundle_exp;
        store_freshness_changed(a, fresh, st.bundle_exp);
        if (a->failures > 0)
                return fresh ? "store fresh, unreachable" : "store stale, unreachable";
        return fresh ? "store fresh" : "store stale";
}

void agent_status(struct agent *a) {
        char next[32] = "none";
        bool problem = a->failures > 0 && a->fetch_problem[0];

        if (a->next_expiry > 0)
                format_utc(a->next_expiry, false, next, sizeof(next));
        /* After a failed poll, what failed: "store fresh, unreachable (no
         * instance role)". */
        (void) sd_notifyf(false, "STATUS=%zu grant%s, %zu session%s, next expiry %s, %s%s%s%s",
                          a->n_grants, a->n_grants == 1 ? "" : "s", a->n_sessions,
                          a->n_sessions == 1 ? "" : "s", next, store_state(a), problem ? " (" : "",
                          problem ? a->fetch_problem : "", problem ? ")" : "");
}
