/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Polling the store (poll.c): the timer, the fetch through jit-fetch, the
 * bundle's verification and application. */

#include "agent.h"

/* Add the poll timer (first poll at once) to a's loop. */
int agent_poll_setup(struct agent *a);
/* Cancel a fetch in flight and poll now, with the configuration a holds. */
int agent_poll_now(struct agent *a);
