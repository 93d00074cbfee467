/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "check-config.h"
#include "host-context.h"
#include "macro.h"

int agent_check_config(const char *config_path) {
        _cleanup_(config_freep) struct jit_config *c = NULL;
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
        struct jit_error err = {};
        int r;

        r = config_trust_load(config_path, NULL, 0, &c, &ts, &err);
        if (r < 0) {
                fprintf(stderr, "jit-agent: %s\n", err.message);
                fprintf(stderr, "jit-agent: the configuration is NOT valid; pam_jit refuses every "
                                "non-exempt login and sudo with it\n");
                return EXIT_FAILURE;
        }
        printf("%s: valid\n%s: valid, %zu key%s\n", config_path, c->trust_store, ts->n_keys,
               ts->n_keys == 1 ? "" : "s");
        if (strv_length(c->issuers) == 0)
                fprintf(stderr, "jit-agent: warning: no issuers: every grant is refused\n");
        if (!c->bundle_url)
                fprintf(stderr, "jit-agent: warning: no bundle_url: no grants reach this host\n");
        return EXIT_SUCCESS;
}

int agent_is_configured(const char *config_path) {
        _cleanup_(config_freep) struct jit_config *c = NULL;
        struct jit_error err = {};

        if (config_load(config_path, 0, &c, &err) < 0)
                return EXIT_SUCCESS;
        if (strv_length(c->issuers) > 0 || c->bundle_url)
                return EXIT_SUCCESS;
        fprintf(stderr,
                "jit-agent: %s is not configured yet (no issuers, no bundle_url): not "
                "starting; write it, then systemctl start jit-agent\n",
                config_path);
        return EXIT_FAILURE;
}
