/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "agent-log.h"
#include "host-state.h"
#include "host-status.h"
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

/* The STATUS= line and run_dir/agent-status, from one struct host_status
 * (host-status.h): jitctl status reads the file, systemctl shows the line. */
void agent_status(struct agent *a) {
        struct host_status hs = {.pid = getpid(),
                                 .updated = (int64_t) time(NULL),
                                 .failures = a->failures,
                                 .store_skew = a->store_skew,
                                 .n_grants = a->n_grants,
                                 .n_sessions = a->n_sessions,
                                 .next_expiry = a->next_expiry};
        struct host_state st = {};
        struct jit_error err = {};
        char line[256];

        if (host_state_load(a->ctx.config, &st, NULL) < 0)
                st = (struct host_state){};
        hs.store = store_freshness_of(a->ctx.config, &st, a->failures, hs.updated);
        hs.serial = st.serial;
        hs.bundle_exp = st.bundle_exp;
        hs.last_fetch = st.last_fetch;
        /* After a failed poll, what failed: "store unreachable (no instance
         * role)". */
        if (a->failures > 0)
                (void) snprintf(hs.problem, sizeof(hs.problem), "%s", a->fetch_problem);
        if (st.serial > 0)
                store_freshness_changed(
                        a, hs.store != STORE_STALE_ADMITTING && hs.store != STORE_STALE_REFUSING,
                        st.bundle_exp);
        host_status_line(&hs, line, sizeof(line));
        (void) sd_notifyf(false, "STATUS=%s", line);
        if (host_status_save(a->ctx.config->run_dir, &hs, &err) < 0)
                agent_log(LOG_WARNING, AGENT_MID_STATUS_WRITE_FAILED,
                          "cannot write %s/" AGENT_STATUS_FILE ": %s", a->ctx.config->run_dir,
                          err.message);
}
