/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The agent's STATUS= line for systemctl status (status.c): the counts of
 * the last reconcile, the store's state (store-state.h), and a reload that
 * failed (the agent then runs on its older configuration). */

#include "agent.h"

/* "STATUS=3 grants, 1 session, next expiry 14:05:00 UTC, store fresh", from
 * what the last reconcile counted. */
void agent_status(struct agent *a);
