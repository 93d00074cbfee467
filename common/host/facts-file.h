/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* run_dir/facts (root 0644): this host's facts, written by jit-agent. */

#include "error.h"
#include "jit-conf.h"
#include "selector.h"

/* This host's facts: run_dir/facts when the agent wrote it, otherwise
 * host=<host_id or hostname> and the config's labels. */
int host_facts_load(const struct jit_config *c, struct host_facts *ret, struct jit_error *err);

/* host=<host_id or hostname> and the labels: what the agent starts from
 * (cloud metadata facts are added to these) and writes to run_dir/facts. */
int host_facts_from_config(const struct jit_config *c, struct host_facts *ret,
                           struct jit_error *err);
