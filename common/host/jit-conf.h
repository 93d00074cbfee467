/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* /etc/jit/jit.conf: "key = value" lines, '#' comments, in the manner of
 * /etc/security/faillock.conf. An unknown key, a repeated key or a bad value
 * is an error naming its line: a typo must never silently weaken a host. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cloud.h"
#include "error.h"
#include "grant.h"

#define JIT_CONFIG_PATH "/etc/jit/jit.conf"

enum stale_policy {
        STALE_POLICY_DENY,
        STALE_POLICY_KEEP,
};

enum on_sudo_expiry {
        ON_SUDO_EXPIRY_SESSION,  /* end the whole login session */
        ON_SUDO_EXPIRY_ELEVATED, /* end only the processes running as the target */
};

/* Inclusive. */
struct jit_uid_range {
        uid_t min, max;
};

struct jit_config {
        /* trust */
        char **issuers; /* NULL-terminated */
        char *trust_store;
        int64_t max_grant_ttl;
        int64_t clock_skew;
        /* host identity */
        char *host_id;         /* NULL: the hostname */
        char **labels;         /* "key=value", NULL-terminated */
        enum cloud cloud;      /* whose metadata service to ask (CLOUD_AUTO: DMI says) */
        int64_t cloud_refresh; /* seconds between two rounds of metadata queries */
        /* The fact keys ("aws.account") and families ("env.", ending in '.')
         * a grant's selector may name; NULL: every fact but the tags and
         * attributes of a cloud (facts-file.h, host_fact_selectable). */
        char **selector_facts;
        /* paths */
        char *state_dir;
        char *run_dir;
        /* store and freshness */
        char *bundle_url;
        int64_t poll_interval;
        int64_t fetch_timeout;
        uint64_t max_bundle_size;
        char *ca_file, *client_cert, *client_key, *pinned_pubkey;
        bool allow_http;
        /* object stores (NULL: not set; store_auth NULL is auto) */
        char *store_auth, *store_endpoint, *store_region, *store_client_id;
        int64_t stale_after;
        enum stale_policy stale_policy;
        /* exemptions (break-glass, automation) */
        char **exempt_users;
        char *exempt_group;
        /* enforcement */
        enum on_sudo_expiry on_sudo_expiry;
        int64_t *warn_before; /* seconds, descending */
        size_t n_warn_before;
        int64_t kill_grace;
        /* accounts from grants (jit.conf(5), "create_users") */
        bool create_users;
        struct jit_uid_range user_uid_range; /* gid = uid */
        char *user_home_base;                /* home = user_home_base/<name> */
        char *user_shell;
};

void config_free(struct jit_config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct jit_config *, config_free);

/* A config with every default set. */
int config_new(struct jit_config **ret);

/* Parse text over the defaults. */
int config_parse(const char *text, size_t len, struct jit_config **ret, struct jit_error *err);

/* read_file_secure() then config_parse(). */
int config_load(const char *path, uid_t owner, struct jit_config **ret, struct jit_error *err);

/* The grant policy view of a config (borrows its strings). */
void config_grant_policy(const struct jit_config *c, struct grant_policy *ret);
