/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* run_dir/cloud-facts: the last good cloud facts, their cloud and age. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud-facts-file.h"
#include "fileio.h"
#include "jit-limits.h"
#include "kv-lines.h"
#include "parse.h"

void cloud_facts_record_done(struct cloud_facts_record *r) {
        if (!r)
                return;
        host_facts_done(&r->facts);
        *r = (struct cloud_facts_record){};
}

int cloud_facts_record_parse(const char *text, size_t len, struct cloud_facts_record *ret,
                             struct jit_error *err) {
        struct cloud_facts_record rec = {};
        const char *p, *end, *prefix;
        struct kv_line l = {};
        bool seen_cloud = false, seen_fetched = false;
        int r;

        if (!ret || (!text && len > 0))
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        p = text ? text : "";
        end = p + len;
        while (p < end) {
                r = kv_line_next(&p, end, &l, err);
                if (r < 0)
                        goto fail;
                if (kv_is(&l, "cloud") && !seen_cloud) {
                        char name[8] = "";

                        if (l.value_len >= sizeof(name)) {
                                r = kv_bad_value(&l, err);
                                goto fail;
                        }
                        memcpy(name, l.value, l.value_len);
                        if (cloud_from_string(name, &rec.cloud) < 0 ||
                            !cloud_fact_prefix(rec.cloud)) {
                                r = kv_bad_value(&l, err);
                                goto fail;
                        }
                        seen_cloud = true;
                } else if (kv_is(&l, "fetched") && !seen_fetched) {
                        if (!parse_time_strict(l.value, l.value_len, &rec.fetched)) {
                                r = kv_bad_value(&l, err);
                                goto fail;
                        }
                        seen_fetched = true;
                } else if (kv_is(&l, "fact") && seen_cloud) {
                        /* One line of the facts syntax, under the cloud's prefix. */
                        prefix = cloud_fact_prefix(rec.cloud);
                        if (l.value_len <= strlen(prefix) ||
                            strncmp(l.value, prefix, strlen(prefix)) != 0 ||
                            rec.facts.n_facts >= JIT_CLOUD_FACTS_MAX) {
                                r = kv_bad_value(&l, err);
                                goto fail;
                        }
                        r = host_facts_parse(&rec.facts, l.value, l.value_len, err);
                        if (r < 0)
                                goto fail;
                } else {
                        r = kv_unknown(&l, err);
                        goto fail;
                }
        }
        if (!seen_cloud || !seen_fetched) {
                r = jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                  "cloud facts without cloud or fetched");
                goto fail;
        }
        *ret = rec;
        return 0;
fail:
        cloud_facts_record_done(&rec);
        return r;
}

int cloud_facts_record_format(const struct cloud_facts_record *r, char **ret) {
        size_t size = 64;
        char *s;
        int pos;

        for (size_t i = 0; i < r->facts.n_facts; i++)
                size += strlen(r->facts.facts[i]) + 6;
        s = malloc(size);
        if (!s)
                return -ENOMEM;
        pos = snprintf(s, size, "cloud %s\nfetched %" PRId64 "\n", cloud_to_string(r->cloud),
                       r->fetched);
        for (size_t i = 0; i < r->facts.n_facts; i++)
                pos += snprintf(s + pos, size - (size_t) pos, "fact %s\n", r->facts.facts[i]);
        *ret = s;
        return 0;
}

static char *record_path(const struct jit_config *c) {
        return path_join3(c->run_dir, "cloud-facts", NULL);
}

int cloud_facts_record_load(const struct jit_config *c, struct cloud_facts_record *ret,
                            struct jit_error *err) {
        _cleanup_free_ char *path = record_path(c), *text = NULL;
        size_t len = 0;
        int r;

        if (!path)
                return jit_error_oom(err);
        r = read_file_secure(path, 0, JIT_CLOUD_FACTS_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        r = cloud_facts_record_parse(text, len, ret, err);
        if (r < 0)
                jit_error_prefix(err, "%s", path);
        return r;
}

int cloud_facts_record_save(const struct jit_config *c, const struct cloud_facts_record *rec,
                            struct jit_error *err) {
        _cleanup_free_ char *path = record_path(c), *text = NULL;

        if (!path || cloud_facts_record_format(rec, &text) < 0)
                return jit_error_oom(err);
        return write_file_atomic(path, text, strlen(text), 0644, err);
}

int cloud_facts_record_remove(const struct jit_config *c) {
        _cleanup_free_ char *path = record_path(c);

        if (!path)
                return -ENOMEM;
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}
