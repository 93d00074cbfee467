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

/* The STATUS= line and run_dir/agent-status, from one struct host_status
 * (host-status.h): jitctl status reads the file, systemctl shows the line.
 * The store's state is logged once when entered (store-state.h). */
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
        char line[256], config[128] = "";

        if (host_state_load(a->ctx.config, &st, NULL) < 0)
                st = (struct host_state){};
        hs.store = agent_store_state(a, &st, on_store_change);
        hs.serial = st.serial;
        hs.bundle_exp = st.bundle_exp;
        hs.last_fetch = st.last_fetch;
        /* After a failed poll, what failed: "store unreachable (no instance
         * role)". */
        if (a->failures > 0) {
                (void) snprintf(hs.problem, sizeof(hs.problem), "%s", a->fetch_problem);
                (void) snprintf(hs.error, sizeof(hs.error), "%s", a->fetch_error);
        }
        host_status_line(&hs, line, sizeof(line));
        /* A reload that failed: the agent runs on its older configuration. */
        if (a->reload_failed_at > 0) {
                char failed[32], loaded[32];

                format_utc(a->reload_failed_at, true, failed, sizeof(failed));
                format_utc(a->config_loaded_at, true, loaded, sizeof(loaded));
                (void) snprintf(config, sizeof(config),
                                "; reload failed at %s: running on the configuration of %s", failed,
                                loaded);
        }
        (void) sd_notifyf(false, "STATUS=%s%s", line, config);
        if (host_status_save(a->ctx.config->run_dir, &hs, &err) < 0)
                agent_log(LOG_WARNING, AGENT_MID_STATUS_WRITE_FAILED,
                          "cannot write %s/" AGENT_STATUS_FILE ": %s", a->ctx.config->run_dir,
                          err.message);
}
