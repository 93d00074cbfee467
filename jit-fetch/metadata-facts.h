/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The facts job of jit-fetch (--metadata=CLOUD): ask the cloud's metadata
 * service what docs/admin-guide.md ("Cloud facts") lists, turn the answers
 * into facts (common/host/cloud-facts.h) and answer the agent over the wire
 * protocol: status=200 and the facts as "key=value" lines, after a
 * "# left-out N" line counting the tags refused by the rules; or error=. */

#include "metadata-client.h"

/* Run the job and write its answer to fd. 0 once an answer is written
 * (also a failed job's); negative only when fd cannot be written. */
int metadata_facts_job(const struct imds_options *o, int fd);
