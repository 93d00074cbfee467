/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* This host's facts (host-facts.c): from the config and each provider,
 * written to run_dir/facts for pam_jit's selector matching. */

#include "error.h"
#include "jit-conf.h"
#include "selector.h"

/* Collect the facts, write run_dir/facts, and hand them over in *ret. A
 * provider that fails is logged and left out; the rest is an error in err. */
int agent_host_facts_write(const struct jit_config *c, struct host_facts *ret,
                           struct jit_error *err);
