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
#include "host-status.h"
#include "jit-conf.h"

/* The state at now, from the held bundle's exp (have_bundle false: none)
 * and the failed polls in a row: store_freshness_of() (host-status.h, the
 * one classification jitctl status shares, by pam_jit's rule). *ret_change: the next second the
 * state changes by time alone, 0 when it will not. Pure: the tests call it directly. */
enum store_freshness store_state_at(const struct jit_config *c, bool have_bundle,
                                    int64_t bundle_exp, unsigned failures, int64_t now,
                                    int64_t *ret_change);

/* The state now, from st (the state file as loaded; serial 0: none): log
 * it if it is new, and arm a->store_timer (calling on_change) for its next
 * change. */
enum store_freshness agent_store_state(struct agent *a, const struct host_state *st,
                                       sd_event_time_handler_t on_change);
