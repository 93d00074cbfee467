/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "agent-log.h"
#include "status.h"
#include "store-state.h"

/* "14:05:00 UTC", or with the date: "2026-12-04 14:05:00 UTC". */
static void format_utc(int64_t t, bool date, char *buf, size_t size) {
        time_t tt = (time_t) t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm) ||
            strftime(buf, size, date ? "%Y-%m-%d %H:%M:%S UTC" : "%H:%M:%S UTC", &tm) == 0)
                (void) snprintf(buf, size, "?");
}

/* The store's state changes by the clock alone (exp passes): STATUS= and
 * the journal follow at that second, not at the next poll or reconcile. */
static int on_store_change(sd_event_source *s, uint64_t usec, void *userdata) {
        agent_status(userdata);
        return 0;
}

void agent_status(struct agent *a) {
        char next[32] = "none", store[128], config[128] = "";
        bool problem = a->failures > 0 && a->fetch_problem[0];

        if (a->next_expiry > 0)
                format_utc(a->next_expiry, false, next, sizeof(next));
        agent_store_state(a, on_store_change, store, sizeof(store));
        if (a->reload_failed_at > 0) {
                char failed[32], loaded[32];

                format_utc(a->reload_failed_at, true, failed, sizeof(failed));
                format_utc(a->config_loaded_at, true, loaded, sizeof(loaded));
                (void) snprintf(config, sizeof(config),
                                "; reload failed at %s: running on the configuration of %s", failed,
                                loaded);
        }
        /* After a failed poll, what failed: "store unreachable, bundle fresh
         * until … (no instance role)". */
        (void) sd_notifyf(false, "STATUS=%zu grant%s, %zu session%s, next expiry %s, %s%s%s%s%s",
                          a->n_grants, a->n_grants == 1 ? "" : "s", a->n_sessions,
                          a->n_sessions == 1 ? "" : "s", next, store, problem ? " (" : "",
                          problem ? a->fetch_problem : "", problem ? ")" : "", config);
}
