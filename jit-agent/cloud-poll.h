/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* This host's cloud facts, kept fresh (cloud-poll.c): which cloud (the
 * config's cloud, or DMI), its metadata service asked through jit-fetch's
 * metadata job at startup, every cloud_refresh (jit.conf) and after a
 * reload; the last good facts kept while it fails. */

#include "agent.h"

/* The first retry after a failure, doubling up to cloud_refresh. */
#define AGENT_CLOUD_RETRY_SEC 10
#define AGENT_CLOUD_TIMEOUT_SEC 10

int agent_cloud_setup(struct agent *a);

/* After a (re)load of the config: detect again, drop facts of another
 * cloud, ask now. */
void agent_cloud_reload(struct agent *a);
