/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Everything an access decision needs from the host: config, trust store,
 * facts. pam_jit loads it once per hook call (nothing is cached between calls
 * or PAM handles); jit-agent at start and on SIGHUP. */

#include "error.h"
#include "grant.h"
#include "jit-conf.h"
#include "jwk.h"
#include "selector.h"

struct jit_context {
        struct jit_config *config;
        struct trust_store *trust;
        struct host_facts facts;
        struct grant_policy policy;
        const char *host; /* the "host" fact */
};

int context_load(const char *config_path, struct jit_context *ret, struct jit_error *err);
void context_done(struct jit_context *ctx);
