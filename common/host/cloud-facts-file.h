/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* run_dir/cloud-facts (root 0644): the last good facts of this host's cloud,
 * which cloud, and when its metadata service gave them. jit-agent keeps
 * them across its restarts and when the service fails for a while;
 * `jitctl facts` shows their source and age. pam_jit never reads it (it
 * reads run_dir/facts alone). Lines: "cloud aws", "fetched <epoch>", then
 * "fact key=value" for each fact. */

#include <stdint.h>

#include "cloud.h"
#include "error.h"
#include "jit-conf.h"
#include "selector.h"

struct cloud_facts_record {
        enum cloud cloud;
        int64_t fetched; /* seconds since the epoch */
        struct host_facts facts;
};

void cloud_facts_record_done(struct cloud_facts_record *r);

int cloud_facts_record_parse(const char *text, size_t len, struct cloud_facts_record *ret,
                             struct jit_error *err);
int cloud_facts_record_format(const struct cloud_facts_record *r, char **ret);

/* -ENOENT when there is none. */
int cloud_facts_record_load(const struct jit_config *c, struct cloud_facts_record *ret,
                            struct jit_error *err);
int cloud_facts_record_save(const struct jit_config *c, const struct cloud_facts_record *r,
                            struct jit_error *err);
int cloud_facts_record_remove(const struct jit_config *c);
