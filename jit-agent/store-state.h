/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the host knows of its store, true at every moment: the state is
 * computed from the bundle held, the failed polls and the clock, a timer
 * fires at the next second it changes by itself (the bundle's exp, the
 * start of refusals), and each state is logged once when entered, with a
 * MESSAGE_ID of its own (jit-agent(8), "Store states"). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "jit-conf.h"

enum store_state {
        STORE_NONE,            /* no bundle accepted yet */
        STORE_FRESH,           /* the bundle held is within its exp, the last poll worked */
        STORE_UNREACHABLE,     /* within its exp, but the last poll failed */
        STORE_STALE_ADMITTING, /* past its exp: pam_jit still admits (stale_after, or keep) */
        STORE_STALE_REFUSING,  /* pam_jit refuses every non-exempt login and sudo */
        _STORE_STATE_MAX,
};

/* The state at now, from the held bundle's exp (have_bundle false: none)
 * and the failed polls in a row, by the same rule as pam_jit
 * (host_store_is_stale()). *ret_change: the next second the state changes
 * by time alone, 0 when it will not. Pure: the tests call it directly. */
enum store_state store_state_at(const struct jit_config *c, bool have_bundle, int64_t bundle_exp,
                                unsigned failures, int64_t now, int64_t *ret_change);

/* The STATUS= words for a state: "store fresh", "store unreachable, fresh
 * until 14:05:00 UTC", "store stale, admitting until …", "store stale,
 * refusing logins since …", "no bundle yet". */
void store_state_describe(const struct jit_config *c, enum store_state s, int64_t bundle_exp,
                          unsigned failures, char *buf, size_t size);

/* Look at the state file and the clock now: log the state if it is new,
 * arm a->store_timer (calling on_change) for its next change, and write
 * its words into buf. */
void agent_store_state(struct agent *a, sd_event_time_handler_t on_change, char *buf, size_t size);
