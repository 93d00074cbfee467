/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "facts-file.h"
#include "host-context.h"

int context_load(const char *config_path, struct jit_context *ret, struct jit_error *err) {
        int r;

        *ret = (struct jit_context){};
        /* Every file the decision rests on must be root's alone. */
        r = config_load(config_path, 0, &ret->config, err);
        if (r < 0)
                goto fail;
        r = trust_store_load(ret->config->trust_store, 0, &ret->trust, err);
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
