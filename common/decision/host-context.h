/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Everything an access decision needs from the host: config, trust store,
 * facts. pam_jit loads it once per hook call (nothing is cached between calls
 * or PAM handles); jit-agent at start and on SIGHUP. */

#include <sys/types.h>

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

/* The one loader of config and trust store: config_path (NULL: the built-in
 * defaults), then trust_path or, when NULL, the config's trust_store; each
 * file owned by root or owner (config_load, trust_store_load). On failure
 * *ret_config is kept when the config loaded (the caller frees it), so the
 * caller can tell which file failed: no config, or the trust store. */
int config_trust_load(const char *config_path, const char *trust_path, uid_t owner,
                      struct jit_config **ret_config, struct trust_store **ret_trust,
                      struct jit_error *err);
void context_done(struct jit_context *ctx);
