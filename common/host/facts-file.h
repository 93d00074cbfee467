/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* run_dir/facts (root 0644): this host's facts, written by jit-agent. */

#include "error.h"
#include "jit-conf.h"
#include "selector.h"

/* This host's facts: run_dir/facts when the agent wrote it, otherwise
 * host=<host_id or hostname> and the config's labels; only those a grant
 * may select on (host_facts_restrict). */
int host_facts_load(const struct jit_config *c, struct host_facts *ret, struct jit_error *err);

/* The same, every fact (jitctl facts shows which are selectable). */
int host_facts_read(const struct jit_config *c, struct host_facts *ret, struct jit_error *err);

/* May a grant's selector name this fact ("key" or "key=value")? Always
 * for host; else the config's selector_facts, or by default every fact but the tags and
 * attributes of a cloud (aws.tag., gcp.attr., azure.tag.): whoever may
 * edit those could steer a selector (docs/security.md). */
bool host_fact_selectable(const struct jit_config *c, const char *key);

/* Drop the facts no selector may name: a selector naming one then never
 * matches on this host. */
void host_facts_restrict(const struct jit_config *c, struct host_facts *f);

/* host=<host_id or hostname> and the labels: what the agent starts from
 * (cloud metadata facts are added to these) and writes to run_dir/facts. */
int host_facts_from_config(const struct jit_config *c, struct host_facts *ret,
                           struct jit_error *err);
