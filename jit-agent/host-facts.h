/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* This host's facts (host-facts.c): from the config and each provider,
 * written to run_dir/facts for pam_jit's selector matching. */

#include "error.h"
#include "jit-conf.h"
#include "selector.h"

/* The config's facts and the cloud's (NULL: none), written to run_dir/facts
 * when they differ from what it holds (atomically), and handed over in
 * *ret, every fact (the caller restricts them for decisions). *ret_changed
 * (optional) says whether the file changed. A cloud fact that clashes with
 * a label is left out and logged. */
int agent_host_facts_write(const struct jit_config *c, const struct host_facts *cloud,
                           struct host_facts *ret, bool *ret_changed, struct jit_error *err);
