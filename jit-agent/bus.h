/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The agent's connection to the system bus, where logind runs (bus.c). */

#include "agent.h"

/* Open the system bus, attached to a's loop, in place of the one a holds
 * (dbus-daemon restarted, or none yet). 0 or a negative errno; a keeps its
 * old connection on failure. */
int agent_bus_open(struct agent *a);
