/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Host facts ("env=prod", "aws.region=eu-west-1") and the selectors of a
 * grant's aud claim. A selector is a comma-separated conjunction of facts;
 * it matches a host that has every one of them. There is no wildcard. */

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct host_facts {
        char **facts; /* "key=value", NULL-terminated, sorted, unique keys */
        size_t n_facts;
};

void host_facts_done(struct host_facts *f);

/* Add key=value; a key that is already present is an error (-EEXIST). */
int host_facts_add(struct host_facts *f, const char *key, const char *value, struct jit_error *err);

/* Parse the facts file: "key=value" lines, '#' comments, blank lines. */
int host_facts_parse(struct host_facts *f, const char *text, size_t len, struct jit_error *err);

/* Serialise for /run/jit/facts. */
int host_facts_format(const struct host_facts *f, char **ret);

const char *host_facts_get(const struct host_facts *f, const char *key);

/* Is "key=value[,key=value…]" well formed? */
int selector_validate(const char *selector, size_t len, struct jit_error *err);

/* Does the (valid) selector match all its facts on this host? */
bool selector_matches(const char *selector, const struct host_facts *f);

/* Validate a fact key ([A-Za-z0-9._:/-]{1,128}) and value (printable ASCII
 * but ',' , 1..256 bytes). */
bool fact_key_is_valid(const char *s, size_t len);
bool fact_value_is_valid(const char *s, size_t len);
