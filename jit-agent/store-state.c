/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <time.h>

#include "agent-log.h"
#include "host-state.h"
#include "store-state.h"

static void when_utc(int64_t t, char *buf, size_t size) {
        time_t tt = (time_t) t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                (void) snprintf(buf, size, "?");
}

/* The first second pam_jit refuses: host_store_is_stale() turns true at
 * exp + stale_after + clock_skew (the leeway covers a host clock that runs
 * ahead of the store's, which signed exp). */
static int64_t refusing_from(const struct jit_config *c, int64_t bundle_exp) {
        int64_t t;

        if (__builtin_add_overflow(bundle_exp, c->stale_after, &t) ||
            __builtin_add_overflow(t, c->clock_skew, &t))
                return INT64_MAX;
        return t;
}

enum store_freshness store_state_at(const struct jit_config *c, bool have_bundle,
                                    int64_t bundle_exp, unsigned failures, int64_t now,
                                    int64_t *ret_change) {
        struct host_state st = {.serial = have_bundle ? 1 : 0, .bundle_exp = bundle_exp};
        enum store_freshness f = store_freshness_of(c, &st, failures, now);
        int64_t t;

        *ret_change = 0;
        if (f == STORE_FRESH || f == STORE_UNREACHABLE)
                /* fresh while now - clock_skew < exp (store_freshness_of()) */
                *ret_change = __builtin_add_overflow(bundle_exp, c->clock_skew, &t) ? 0 : t;
        else if (f == STORE_STALE_ADMITTING && c->stale_policy == STALE_POLICY_DENY)
                *ret_change = refusing_from(c, bundle_exp);
        return f;
}

static void store_state_entered(const struct agent *a, enum store_freshness s, int64_t bundle_exp) {
        const struct jit_config *c = a->ctx.config;
        char exp[40], refuse[40];

        when_utc(bundle_exp, exp, sizeof(exp));
        when_utc(refusing_from(c, bundle_exp), refuse, sizeof(refuse));
        switch (s) {
        case STORE_FRESH:
                agent_log(LOG_NOTICE, AGENT_MID_STORE_FRESH,
                          "store fresh: the bundle held is valid until %s", exp);
                break;
        case STORE_UNREACHABLE:
                agent_log(LOG_WARNING, AGENT_MID_STORE_UNREACHABLE,
                          "store unreachable: the last fetch failed; the bundle held is fresh "
                          "until %s, expiry is still enforced",
                          exp);
                break;
        case STORE_STALE_ADMITTING:
                if (c->stale_policy == STALE_POLICY_KEEP)
                        agent_log(LOG_WARNING, AGENT_MID_STORE_STALE,
                                  "store stale: the bundle held expired at %s and no newer one "
                                  "came; logins are still admitted (stale_policy = keep), "
                                  "expiry is still enforced",
                                  exp);
                else
                        agent_log(LOG_WARNING, AGENT_MID_STORE_STALE,
                                  "store stale: the bundle held expired at %s and no newer one "
                                  "came; pam_jit admits until %s, then refuses every "
                                  "non-exempt login and sudo",
                                  exp, refuse);
                break;
        case STORE_STALE_REFUSING:
                agent_log(LOG_ERR, AGENT_MID_STORE_REFUSING,
                          "store stale: pam_jit refuses every non-exempt login and sudo since "
                          "%s (bundle expired at %s, stale_after %lld s)",
                          refuse, exp, (long long) c->stale_after);
                break;
        default:
                break; /* no bundle yet: the started and fetch events say so */
        }
}

enum store_freshness agent_store_state(struct agent *a, const struct host_state *st,
                                       sd_event_time_handler_t on_change) {
        bool have = st && st->serial != 0;
        int64_t change = 0, now = (int64_t) time(NULL);
        enum store_freshness s;

        s = store_state_at(a->ctx.config, have, have ? st->bundle_exp : 0, a->failures, now,
                           &change);
        if ((int) s != a->store_state) {
                /* A start on a fresh store is no news; every other entry is. */
                if (!(a->store_state < 0 && s == STORE_FRESH))
                        store_state_entered(a, s, have ? st->bundle_exp : 0);
                a->store_state = (int) s;
        }
        if (!a->event)
                return s;
        if (!a->store_timer && sd_event_add_time(a->event, &a->store_timer, CLOCK_REALTIME,
                                                 UINT64_MAX, 1, on_change, a) < 0)
                return s;
        if (change > 0 && change < INT64_MAX / 1000000) {
                (void) sd_event_source_set_time(a->store_timer, (uint64_t) change * USEC_PER_SEC);
                (void) sd_event_source_set_enabled(a->store_timer, SD_EVENT_ONESHOT);
        } else
                (void) sd_event_source_set_enabled(a->store_timer, SD_EVENT_OFF);
        return s;
}
