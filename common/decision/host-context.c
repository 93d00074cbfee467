/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "facts-file.h"
#include "host-context.h"

int config_trust_load(const char *config_path, const char *trust_path, uid_t owner,
                      struct jit_config **ret_config, struct trust_store **ret_trust,
                      struct jit_error *err) {
        int r;

        *ret_config = NULL;
        *ret_trust = NULL;
        if (config_path)
                r = config_load(config_path, owner, ret_config, err);
        else {
                r = config_new(ret_config);
                if (r < 0)
                        return jit_error_set(err, -r, JIT_REASON_SYSTEM,
                                             "cannot set up the default configuration");
        }
        if (r < 0)
                return r;
        if (!trust_path)
                trust_path = (*ret_config)->trust_store;
        if (!trust_path)
                return jit_error_set(err, EINVAL, JIT_REASON_CONFIG, "no trust store");
        return trust_store_load(trust_path, owner, ret_trust, err);
}

int context_load(const char *config_path, struct jit_context *ret, struct jit_error *err) {
        int r;

        *ret = (struct jit_context){};
        if (!config_path)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "no configuration file");
        /* Every file the decision rests on must be root's alone. */
        r = config_trust_load(config_path, NULL, 0, &ret->config, &ret->trust, err);
        if (r < 0)
                goto fail;
        r = host_facts_load(ret->config, &ret->facts, err);
        if (r < 0)
                goto fail;
        ret->host = host_facts_get(&ret->facts, "host");
        config_grant_policy(ret->config, &ret->policy);
        return 0;
fail:
        context_done(ret);
        return r;
}

void context_done(struct jit_context *ctx) {
        if (!ctx)
                return;
        host_facts_done(&ctx->facts);
        trust_store_free(ctx->trust);
        config_free(ctx->config);
        *ctx = (struct jit_context){};
}
