/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reconciliation (enforce.c): every recorded session against the grants the
 * host holds now; the key files when the grants may have changed; the
 * deadline timer set to the next expiry or warning. */

#include "agent.h"

int agent_reconcile(struct agent *a);
