/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "agent.h"
#include "head.h"

/* A checked head newer than the accepted one: its revocations take effect
 * now, before its shards are fetched (common/host/revoke-early.h), and the
 * sessions and keys of the grants it revokes end at once, as a full apply
 * would end them. Nothing is admitted; the accepted serial stays. */
void agent_revoke_ahead(struct agent *a, const struct head *h);
