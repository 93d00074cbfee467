/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The agent's STATUS= line for systemctl status (status.c), and the store's
 * freshness: becoming stale, and fresh again, is an event of its own. */

#include "agent.h"

/* "STATUS=3 grants, 1 session, next expiry 14:05:00 UTC, store fresh", from
 * what the last reconcile counted. */
void agent_status(struct agent *a);
