/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Cloud metadata answers to facts: what each cloud's metadata service says
 * (untrusted text), validated and normalised to the fact grammar of
 * selector.h. No I/O: jit-fetch's metadata job feeds it the answers, the
 * unit tests feed it hostile ones. The rules are written in
 * docs/admin-guide.md, "Cloud facts":
 *
 * - an identity fact (account, project, subscription, region, zone, id) whose
 *   value breaks the value rule refuses the whole answer: the cloud's facts
 *   stay what they were;
 * - a tag or attribute whose name or value breaks its rule is left out (and
 *   counted), never escaped or cut: leaving a fact out can only make a
 *   selector not match, since a selector has no negation;
 * - at most JIT_CLOUD_FACTS_MAX facts per cloud; tags past it, in name order,
 *   are left out. */

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "selector.h"

/* A value from a cloud: 1..256 bytes of printable ASCII, no ',' and no '='
 * (both mean something in a selector), no space at either end. */
bool cloud_value_is_valid(const char *s, size_t len);

/* A tag or attribute name: 1.. bytes of [A-Za-z0-9._:-], not "." or "..",
 * short enough for the fact key with its prefix. No '/': it would be a path
 * in the metadata URL (AWS forbids it in metadata tags for that reason). */
bool cloud_name_is_valid(const char *prefix, const char *s, size_t len);

/* An identity fact: refused (-EINVAL) when the value breaks the rule. */
int cloud_fact_add(struct host_facts *f, const char *key, const char *value, size_t value_len,
                   struct jit_error *err);

/* A tag or attribute: left out (*left_out + 1, returns 0) when its name or
 * value breaks the rules or the cap is reached; Azure's names are
 * case-insensitive and are folded to lower case (fold). Only out of memory
 * fails. */
int cloud_fact_add_tag(struct host_facts *f, const char *prefix, const char *name,
                       const char *value, size_t value_len, bool fold, unsigned *left_out,
                       struct jit_error *err);

/* AWS: the instance identity document (dynamic/instance-identity/document):
 * aws.account, aws.region, aws.az, aws.instance-id. */
int cloud_facts_aws_identity(const char *text, size_t len, struct host_facts *f,
                             struct jit_error *err);

/* AWS: the listing of meta-data/tags/instance/ (one name a line) as the
 * sorted names that pass the name rule, at most JIT_CLOUD_FACTS_MAX; the
 * rest counted in *left_out. */
int cloud_aws_tag_names(const char *text, size_t len, char ***ret, unsigned *left_out,
                        struct jit_error *err);

/* GCP: project/project-id, instance/id, instance/name, instance/zone
 * ("projects/<number>/zones/<zone>") as text answers, and
 * instance/attributes/?recursive=true (a JSON object of strings; NULL: none).
 * gcp.project, gcp.instance-id, gcp.instance-name, gcp.zone, gcp.region
 * (the zone without its last "-x"), gcp.attr.<key>. */
int cloud_facts_gcp(const char *project, const char *id, const char *name, const char *zone,
                    const char *attrs, size_t attrs_len, struct host_facts *f, unsigned *left_out,
                    struct jit_error *err);

/* Azure: metadata/instance/compute (JSON): azure.subscription,
 * azure.resource-group, azure.location, azure.vm-id, and azure.tag.<name>
 * from tagsList (the "tags" string is never split). */
int cloud_facts_azure_compute(const char *text, size_t len, struct host_facts *f,
                              unsigned *left_out, struct jit_error *err);
