/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cloud metadata answers to facts (cloud-facts.h says the rules; they are
 * written for administrators in docs/admin-guide.md, "Cloud facts"). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud-facts.h"
#include "jit-limits.h"
#include "json.h"
#include "macro.h"

bool cloud_value_is_valid(const char *s, size_t len) {
        return fact_value_is_valid(s, len) && !memchr(s, '=', len);
}

bool cloud_name_is_valid(const char *prefix, const char *s, size_t len) {
        size_t pl = prefix ? strlen(prefix) : 0;

        if (!s || len < 1 || pl + len > JIT_FACT_KEY_MAX)
                return false;
        if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == ':' || c == '-'))
                        return false;
        }
        return true;
}

int cloud_fact_add(struct host_facts *f, const char *key, const char *value, size_t value_len,
                   struct jit_error *err) {
        _cleanup_free_ char *v = NULL;

        if (!value || !cloud_value_is_valid(value, value_len))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "the metadata service's value for %s breaks the fact rules",
                                     key);
        if (f->n_facts >= JIT_CLOUD_FACTS_MAX)
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE, "more than %u cloud facts",
                                     JIT_CLOUD_FACTS_MAX);
        v = strndup(value, value_len);
        if (!v)
                return jit_error_oom(err);
        return host_facts_add(f, key, v, err);
}

int cloud_fact_add_tag(struct host_facts *f, const char *prefix, const char *name,
                       const char *value, size_t value_len, bool fold, unsigned *left_out,
                       struct jit_error *err) {
        _cleanup_free_ char *key = NULL, *v = NULL;
        size_t nl = name ? strlen(name) : 0;
        int r;

        if (!cloud_name_is_valid(prefix, name, nl) || !value ||
            !cloud_value_is_valid(value, value_len) || f->n_facts >= JIT_CLOUD_FACTS_MAX) {
                (*left_out)++;
                return 0;
        }
        if (asprintf(&key, "%s%s", prefix, name) < 0)
                return jit_error_oom(err);
        if (fold)
                for (char *p = key; *p; p++)
                        if (*p >= 'A' && *p <= 'Z')
                                *p = (char) (*p - 'A' + 'a');
        v = strndup(value, value_len);
        if (!v)
                return jit_error_oom(err);
        r = host_facts_add(f, key, v, NULL);
        if (r == -ENOMEM)
                return jit_error_oom(err);
        if (r < 0) /* the same name twice once folded: the later one is left out */
                (*left_out)++;
        return 0;
}

/* A required string member, as a fact: a wrong type refuses the answer. */
static int member_fact(struct json_object *obj, const char *member, struct host_facts *f,
                       const char *key, struct jit_error *err) {
        const char *v = NULL;
        int r;

        r = json_get_string(obj, member, true, JIT_FACT_VALUE_MAX, &v, err);
        if (r < 0) {
                jit_error_prefix(err, "%s", key);
                return r;
        }
        return cloud_fact_add(f, key, v, strlen(v), err);
}

int cloud_facts_aws_identity(const char *text, size_t len, struct host_facts *f,
                             struct jit_error *err) {
        _cleanup_json_ struct json_object *doc = NULL;
        int r;

        r = json_parse_object_strict(text, len, JIT_JSON_DEPTH_MAX, &doc, err);
        if (r < 0) {
                jit_error_prefix(err, "the instance identity document");
                return r;
        }
        if ((r = member_fact(doc, "accountId", f, "aws.account", err)) < 0 ||
            (r = member_fact(doc, "region", f, "aws.region", err)) < 0 ||
            (r = member_fact(doc, "availabilityZone", f, "aws.az", err)) < 0 ||
            (r = member_fact(doc, "instanceId", f, "aws.instance-id", err)) < 0)
                return r;
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int cloud_aws_tag_names(const char *text, size_t len, char ***ret, unsigned *left_out,
                        struct jit_error *err) {
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0, pos = 0;

        while (pos < len) {
                const char *l = text + pos, *e = memchr(l, '\n', len - pos);
                size_t ll = e ? (size_t) (e - l) : len - pos;

                pos += ll + (e ? 1 : 0);
                if (ll == 0)
                        continue;
                if (!cloud_name_is_valid("aws.tag.", l, ll) || n >= JIT_CLOUD_FACTS_MAX) {
                        (*left_out)++;
                        continue;
                }
                if (strv_append_n(&names, &n, l, ll) < 0)
                        return jit_error_oom(err);
        }
        if (n > 0)
                qsort(names, n, sizeof(char *), cmp_str);
        *ret = TAKE_PTR(names);
        return 0;
}

/* The names of a JSON object's members, sorted: tags past the cap are left
 * out in name order, whatever order the service sends. */
static int sorted_member_names(struct json_object *obj, const char ***ret, size_t *ret_n) {
        size_t n = 0, cap = (size_t) json_object_object_length(obj);
        const char **names = calloc(cap + 1, sizeof(char *));

        if (!names)
                return -ENOMEM;
        json_object_object_foreach(obj, k, v) {
                (void) v;
                if (n < cap)
                        names[n++] = k;
        }
        if (n > 0)
                qsort(names, n, sizeof(char *), cmp_str);
        *ret = names;
        *ret_n = n;
        return 0;
}

int cloud_facts_gcp(const char *project, const char *id, const char *name, const char *zone,
                    const char *attrs, size_t attrs_len, struct host_facts *f, unsigned *left_out,
                    struct jit_error *err) {
        _cleanup_json_ struct json_object *obj = NULL;
        _cleanup_free_ const char **names = NULL;
        const char *z, *dash;
        size_t n = 0;
        int r;

        if (!project || !id || !name || !zone)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "missing GCP answer");
        /* The zone comes as "projects/<number>/zones/<zone>". */
        z = strrchr(zone, '/');
        z = z ? z + 1 : zone;
        if ((r = cloud_fact_add(f, "gcp.project", project, strlen(project), err)) < 0 ||
            (r = cloud_fact_add(f, "gcp.instance-id", id, strlen(id), err)) < 0 ||
            (r = cloud_fact_add(f, "gcp.instance-name", name, strlen(name), err)) < 0 ||
            (r = cloud_fact_add(f, "gcp.zone", z, strlen(z), err)) < 0)
                return r;
        /* The region is the zone without its last part: us-central1-a. */
        dash = strrchr(z, '-');
        if (!dash || dash == z)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "the GCP zone '%.64s' names no region", z);
        r = cloud_fact_add(f, "gcp.region", z, (size_t) (dash - z), err);
        if (r < 0)
                return r;

        if (!attrs)
                return 0;
        r = json_parse_object_strict(attrs, attrs_len, JIT_JSON_DEPTH_MAX, &obj, err);
        if (r < 0) {
                jit_error_prefix(err, "the instance attributes");
                return r;
        }
        if (sorted_member_names(obj, &names, &n) < 0)
                return jit_error_oom(err);
        for (size_t i = 0; i < n; i++) {
                struct json_object *v = json_object_object_get(obj, names[i]);

                if (!json_object_is_type(v, json_type_string)) {
                        (*left_out)++;
                        continue;
                }
                r = cloud_fact_add_tag(f, "gcp.attr.", names[i], json_object_get_string(v),
                                       (size_t) json_object_get_string_len(v), false, left_out,
                                       err);
                if (r < 0)
                        return r;
        }
        return 0;
}

struct azure_tag {
        const char *name, *value;
        size_t value_len;
};

static int cmp_tag(const void *a, const void *b) {
        return strcmp(((const struct azure_tag *) a)->name, ((const struct azure_tag *) b)->name);
}

int cloud_facts_azure_compute(const char *text, size_t len, struct host_facts *f,
                              unsigned *left_out, struct jit_error *err) {
        _cleanup_json_ struct json_object *doc = NULL;
        _cleanup_free_ struct azure_tag *tags = NULL;
        struct json_object *list = NULL;
        size_t n = 0, count;
        int r;

        r = json_parse_object_strict(text, len, JIT_JSON_DEPTH_MAX, &doc, err);
        if (r < 0) {
                jit_error_prefix(err, "the compute metadata");
                return r;
        }
        if ((r = member_fact(doc, "subscriptionId", f, "azure.subscription", err)) < 0 ||
            (r = member_fact(doc, "resourceGroupName", f, "azure.resource-group", err)) < 0 ||
            (r = member_fact(doc, "location", f, "azure.location", err)) < 0 ||
            (r = member_fact(doc, "vmId", f, "azure.vm-id", err)) < 0)
                return r;

        /* tagsList, never the "tags" string: that one is "a:b;c:d", and a
         * tag value may hold ':' and ';'. */
        if (!json_object_object_get_ex(doc, "tagsList", &list))
                return 0;
        if (!json_object_is_type(list, json_type_array))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "the compute metadata's tagsList is not an array");
        count = json_object_array_length(list);
        tags = calloc(count + 1, sizeof(*tags));
        if (!tags)
                return jit_error_oom(err);
        for (size_t i = 0; i < count; i++) {
                struct json_object *t = json_object_array_get_idx(list, i), *nm, *val;

                if (!json_object_is_type(t, json_type_object) ||
                    !json_object_object_get_ex(t, "name", &nm) ||
                    !json_object_object_get_ex(t, "value", &val) ||
                    !json_object_is_type(nm, json_type_string) ||
                    !json_object_is_type(val, json_type_string)) {
                        (*left_out)++;
                        continue;
                }
                tags[n++] =
                        (struct azure_tag){json_object_get_string(nm), json_object_get_string(val),
                                           (size_t) json_object_get_string_len(val)};
        }
        if (n > 0)
                qsort(tags, n, sizeof(*tags), cmp_tag);
        for (size_t i = 0; i < n; i++) {
                r = cloud_fact_add_tag(f, "azure.tag.", tags[i].name, tags[i].value,
                                       tags[i].value_len, true, left_out, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
