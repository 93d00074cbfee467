/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a hint may do: bring the next poll forward, at most once per
 * notify_min_interval. Nothing else: the fetched head is verified as at
 * any poll, so a forged, replayed or flooded hint costs at most one extra
 * fetch per interval and never changes what the host enforces. */

#include "agent.h"

/* A hint came: poll now, or at the end of the current interval. A hint
 * during a fetch is kept for when it ends (the fetch may have started
 * before the store changed). */
void agent_hint_fetch(struct agent *a);

/* A poll round ended: act on a hint kept meanwhile. */
void agent_hint_fetch_done(struct agent *a);
