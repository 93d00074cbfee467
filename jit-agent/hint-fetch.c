/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hint-fetch.h"
#include "agent-log.h"

void agent_hint_fetch(struct agent *a) {
        const struct jit_config *c = a->ctx.config;
        uint64_t now = 0, due, t = 0;
        int enabled = SD_EVENT_OFF;

        if (!c || !c->bundle_url)
                return;
        if (a->fetch || a->mirrors.tried > 0) {
                a->hint_pending = true;
                return;
        }
        (void) sd_event_now(a->event, CLOCK_MONOTONIC, &now);
        due = now > a->hint_not_before ? now : a->hint_not_before;
        if (sd_event_source_get_enabled(a->poll_timer, &enabled) >= 0 && enabled != SD_EVENT_OFF &&
            sd_event_source_get_time(a->poll_timer, &t) >= 0 && t <= due)
                return; /* the poll comes as soon anyway */
        if (sd_event_source_set_time(a->poll_timer, due) < 0 ||
            sd_event_source_set_enabled(a->poll_timer, SD_EVENT_ONESHOT) < 0)
                return;
        a->hint_not_before = due + (uint64_t) c->notify_min_interval * USEC_PER_SEC;
        agent_log(LOG_INFO, AGENT_MID_HINT_FETCH, "hint from notify_url: fetching the store %s",
                  due > now ? "at the end of notify_min_interval" : "now");
}

void agent_hint_fetch_done(struct agent *a) {
        if (!a->hint_pending || a->mirrors.tried > 0)
                return;
        a->hint_pending = false;
        agent_hint_fetch(a);
}
