/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The notify_url subscription: `jit-fetch --subscribe`, a helper process held
 * for as long as the agent runs (docs/decisions.md says why), read line by
 * line (jit-fetch/wire/hint-wire.h) as untrusted input, restarted with
 * backoff and jitter when it ends. Each hint goes to agent_hint_fetch(). */

#include "agent.h"

/* Start the subscriber the config asks for, ending the one running (a
 * reload may have changed notify_url or the TLS options); none without
 * notify_url. */
int agent_hint_start(struct agent *a);

/* End the subscriber, if any. */
void agent_hint_stop(struct agent *a);
