/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <unistd.h>

#include "host-context.h"
#include "jitctl.h"

void ctl_policy_done(struct ctl_policy *p) {
        config_free(p->config);
        trust_store_free(p->trust);
        strv_free(p->issuers);
        *p = (struct ctl_policy){};
}

static int issuers_add(char ***l, char *const *add) {
        for (char *const *i = add; i && *i; i++)
                if (!strv_contains(*l, *i) && strv_extend(l, *i) < 0)
                        return -ENOMEM;
        return 0;
}

int ctl_policy_load(const struct ctl_policy_args *a, struct ctl_policy *ret) {
        struct ctl_policy p = {};
        _cleanup_free_ char *config_abs = NULL, *trust_abs = NULL;
        struct jit_error err = {};
        const char *config_path = a->config_path;
        int r;

        if (!config_path && a->config_default && !a->trust_path)
                config_path = JIT_CONFIG_PATH; /* answer "would this host accept it?" */

        if (config_path) {
                config_abs = path_absolute(config_path);
                if (!config_abs) {
                        r = -ENOMEM;
                        ctl_error("out of memory");
                        goto fail;
                }
        }
        if (a->trust_path) {
                trust_abs = path_absolute(a->trust_path);
                if (!trust_abs) {
                        r = -ENOMEM;
                        ctl_error("out of memory");
                        goto fail;
                }
        }
        /* Our own files may be owned by the invoking user, as for sshd. */
        r = config_trust_load(config_abs, trust_abs, geteuid(), &p.config, &p.trust, &err);
        if (r < 0) {
                if (!p.config && config_abs)
                        ctl_file_error(config_abs, &err);
                else if (!p.config)
                        ctl_error("%s: %s", err.message, strerror(-r));
                else if (!trust_abs && !p.config->trust_store)
                        ctl_error("no trust store: give --trust JWKS or a config with trust_store");
                else
                        ctl_file_error(trust_abs ? trust_abs : p.config->trust_store, &err);
                goto fail;
        }

        if (issuers_add(&p.issuers, strv_length(a->issuers) > 0 ? a->issuers : p.config->issuers) <
                    0 ||
            issuers_add(&p.issuers, a->add_issuers) < 0) {
                r = -ENOMEM;
                ctl_error("out of memory");
                goto fail;
        }
        if (strv_length(p.issuers) == 0) {
                ctl_error("no trusted issuer: give --iss ISS or a config with issuers");
                r = -EINVAL;
                goto fail;
        }

        p.grant.issuers = p.issuers;
        p.grant.max_ttl = a->max_ttl >= 0 ? a->max_ttl : p.config->max_grant_ttl;
        p.grant.clock_skew = a->clock_skew >= 0 ? a->clock_skew : p.config->clock_skew;
        *ret = p;
        return 0;
fail:
        ctl_policy_done(&p);
        return r;
}
