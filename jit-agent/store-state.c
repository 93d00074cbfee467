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

enum store_state store_state_at(const struct jit_config *c, bool have_bundle, int64_t bundle_exp,
                                unsigned failures, int64_t now, int64_t *ret_change) {
        *ret_change = 0;
        if (!have_bundle)
                return STORE_NONE;
        if (now < bundle_exp) {
                *ret_change = bundle_exp;
                return failures > 0 ? STORE_UNREACHABLE : STORE_FRESH;
        }
        if (c->stale_policy == STALE_POLICY_DENY && host_store_is_stale(c, bundle_exp, now))
                return STORE_STALE_REFUSING;
        if (c->stale_policy == STALE_POLICY_DENY)
                *ret_change = refusing_from(c, bundle_exp);
        return STORE_STALE_ADMITTING;
}

void store_state_describe(const struct jit_config *c, enum store_state s, int64_t bundle_exp,
                          unsigned failures, char *buf, size_t size) {
        char when[40];

        switch (s) {
        case STORE_NONE:
                (void) snprintf(buf, size, "%s",
                                failures > 0 ? "no bundle yet, store unreachable"
                                             : "no bundle yet");
                break;
        case STORE_FRESH:
                (void) snprintf(buf, size, "store fresh");
                break;
        case STORE_UNREACHABLE:
                when_utc(bundle_exp, when, sizeof(when));
                (void) snprintf(buf, size, "store unreachable, bundle fresh until %s", when);
                break;
        case STORE_STALE_ADMITTING:
                if (c->stale_policy == STALE_POLICY_KEEP)
                        (void) snprintf(buf, size, "store stale, admitting (stale_policy = keep)");
                else {
                        when_utc(refusing_from(c, bundle_exp), when, sizeof(when));
                        (void) snprintf(buf, size, "store stale, admitting until %s", when);
                }
                break;
        default:
                when_utc(refusing_from(c, bundle_exp), when, sizeof(when));
                (void) snprintf(buf, size, "store stale, refusing logins since %s", when);
                break;
        }
}

static void store_state_entered(const struct agent *a, enum store_state s, int64_t bundle_exp) {
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

void agent_store_state(struct agent *a, sd_event_time_handler_t on_change, char *buf, size_t size) {
        struct host_state st;
        bool have;
        int64_t change = 0, now = (int64_t) time(NULL);
        enum store_state s;

        have = host_state_load(a->ctx.config, &st, NULL) >= 0 && st.serial != 0;
        s = store_state_at(a->ctx.config, have, have ? st.bundle_exp : 0, a->failures, now,
                           &change);
        if ((int) s != a->store_state) {
                /* A start on a fresh store is no news; every other entry is. */
                if (!(a->store_state < 0 && s == STORE_FRESH))
                        store_state_entered(a, s, have ? st.bundle_exp : 0);
                a->store_state = (int) s;
        }
        store_state_describe(a->ctx.config, s, have ? st.bundle_exp : 0, a->failures, buf, size);

        if (!a->event)
                return;
        if (!a->store_timer && sd_event_add_time(a->event, &a->store_timer, CLOCK_REALTIME,
                                                 UINT64_MAX, 1, on_change, a) < 0)
                return;
        if (change > 0 && change < INT64_MAX / 1000000) {
                (void) sd_event_source_set_time(a->store_timer, (uint64_t) change * USEC_PER_SEC);
                (void) sd_event_source_set_enabled(a->store_timer, SD_EVENT_ONESHOT);
        } else
                (void) sd_event_source_set_enabled(a->store_timer, SD_EVENT_OFF);
}
