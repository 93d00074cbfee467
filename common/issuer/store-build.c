/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Grants into shards, and the head's claims (store-build.h). */

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "jit-limits.h"
#include "macro.h"
#include "shard.h"
#include "store-build.h"
#include "store-layout.h"

#define CHUNKS_MAX 65536u

void store_build_done(struct store_build *b) {
        if (!b)
                return;
        for (size_t i = 0; i < b->n_shards; i++)
                free(b->shards[i].bytes);
        free(b->shards);
        *b = (struct store_build){};
}

struct placed {
        uint32_t bin, chunk;
        size_t grant;
};

/* Set only for the qsort below, which has no context argument. */
static const struct store_grant *sort_grants;

static int placed_cmp(const void *a, const void *b) {
        const struct placed *x = a, *y = b;
        int r;

        if (x->bin != y->bin)
                return x->bin < y->bin ? -1 : 1;
        if (x->chunk != y->chunk)
                return x->chunk < y->chunk ? -1 : 1;
        r = strcmp(sort_grants[x->grant].jti, sort_grants[y->grant].jti);
        if (r != 0)
                return r;
        return x->grant < y->grant ? -1 : x->grant > y->grant;
}

static int shard_cmp(const void *a, const void *b) {
        const struct store_shard *x = a, *y = b;

        if (x->bin != y->bin)
                return x->bin < y->bin ? -1 : 1;
        return strcmp(x->digest, y->digest);
}

static int add_shard(struct store_build *b, uint32_t bin, const struct store_grant *grants,
                     const struct placed *v, size_t n, struct jit_error *err) {
        struct store_shard *s;
        size_t len = 0;
        char *p;

        if (n > JIT_SHARD_GRANTS_MAX)
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                     "bin %u: a shard would hold %zu grants, more than %u", bin, n,
                                     JIT_SHARD_GRANTS_MAX);
        for (size_t i = 0; i < n; i++)
                len += strlen(grants[v[i].grant].token) + 1;
        if (len > JIT_SHARD_MAX)
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                     "bin %u: a shard would be %zu bytes, more than %u", bin, len,
                                     JIT_SHARD_MAX);
        s = &b->shards[b->n_shards];
        *s = (struct store_shard){.bin = bin, .len = len};
        s->bytes = malloc(len + 1);
        if (!s->bytes)
                return jit_error_oom(err);
        p = s->bytes;
        for (size_t i = 0; i < n; i++) {
                size_t k = strlen(grants[v[i].grant].token);

                memcpy(p, grants[v[i].grant].token, k);
                p[k] = '\n';
                p += k + 1;
        }
        *p = '\0';
        if (sha256_hex(s->bytes, len, s->digest) < 0) {
                free(s->bytes);
                return jit_error_set(err, EIO, JIT_REASON_SYSTEM, "SHA-256 failed");
        }
        b->n_shards++;
        return 0;
}

int store_build(const struct store_grant *grants, size_t n, uint32_t bins, size_t chunk_target,
                struct store_build *ret, struct jit_error *err) {
        _cleanup_free_ struct placed *v = NULL;
        struct store_build b = {.bins = bins};
        size_t n_v = 0, cap = 0;
        char fact[JIT_FACT_KEY_MAX + JIT_FACT_VALUE_MAX + 2];
        int r;

        if (!ret || (n > 0 && !grants) || bins < 1 || bins > JIT_STORE_BINS_MAX || chunk_target < 1)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "invalid argument");
        for (size_t i = 0; i < n; i++)
                cap += strv_length(grants[i].aud);
        v = calloc(cap ? cap : 1, sizeof(*v));
        if (!v)
                return jit_error_oom(err);
        for (size_t i = 0; i < n; i++)
                for (char *const *a = grants[i].aud; a && *a; a++) {
                        if (store_selector_fact(*a, fact, sizeof(fact)) < 0)
                                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                                     "grant %s: selector \"%s\" is not valid",
                                                     grants[i].jti, *a);
                        v[n_v++] = (struct placed){
                                .bin = store_fact_bin(fact, strlen(fact), bins),
                                .grant = i,
                        };
                }

        /* Each bin: its chunk count from its size, then each chunk's tokens
         * sorted by jti; a grant twice in a bin (two selectors keyed alike)
         * is listed once. */
        b.shards = calloc(n_v ? n_v : 1, sizeof(struct store_shard));
        if (!b.shards)
                return jit_error_oom(err);
        sort_grants = grants;
        qsort(v, n_v, sizeof(*v), placed_cmp);
        for (size_t i = 0; i < n_v;) {
                size_t j = i, w = i, bytes = 0;
                uint32_t chunks = 1;

                while (j < n_v && v[j].bin == v[i].bin)
                        j++;
                for (size_t k = i; k < j; k++)
                        if (k == i || v[k].grant != v[w - 1].grant)
                                v[w++] = v[k];
                for (size_t k = i; k < w; k++)
                        bytes += strlen(grants[v[k].grant].token) + 1;
                while (chunks < CHUNKS_MAX && bytes / chunks > chunk_target)
                        chunks *= 2;
                for (size_t k = i; k < w; k++)
                        v[k].chunk = store_grant_chunk(grants[v[k].grant].jti, chunks);
                qsort(v + i, w - i, sizeof(*v), placed_cmp);
                for (size_t k = i; k < w;) {
                        size_t m = k;

                        while (m < w && v[m].chunk == v[k].chunk)
                                m++;
                        r = add_shard(&b, v[i].bin, grants, v + k, m - k, err);
                        if (r < 0) {
                                store_build_done(&b);
                                return r;
                        }
                        k = m;
                }
                i = j;
        }
        sort_grants = NULL;
        qsort(b.shards, b.n_shards, sizeof(struct store_shard), shard_cmp);
        if (b.n_shards > JIT_HEAD_SHARDS_MAX) {
                size_t k = b.n_shards;

                store_build_done(&b);
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                     "%zu shards, more than a head may list (%u)", k,
                                     JIT_HEAD_SHARDS_MAX);
        }
        *ret = b;
        return 0;
}

static int add(struct json_object *o, const char *name, struct json_object *v) {
        if (!v || json_object_object_add(o, name, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int push(struct json_object *a, struct json_object *v) {
        if (!v || json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int store_head_claims(const char *iss, int64_t iat, int64_t exp, uint64_t serial,
                      const struct store_build *b, const struct store_revoked *revoked,
                      size_t n_revoked, struct json_object **ret) {
        struct json_object *o = json_object_new_object(), *rv = json_object_new_array(),
                           *sh = json_object_new_array();
        int r = 0;

        if (!o || !rv || !sh) {
                json_object_put(o);
                json_object_put(rv);
                json_object_put(sh);
                return -ENOMEM;
        }
        for (size_t i = 0; r == 0 && i < n_revoked; i++) {
                struct json_object *e = json_object_new_array();

                r = push(rv, e);
                if (r == 0)
                        r = push(e, json_object_new_string(revoked[i].jti));
                if (r == 0)
                        r = push(e, json_object_new_int64(revoked[i].until));
        }
        for (size_t i = 0; r == 0 && b && i < b->n_shards; i++) {
                struct json_object *e = json_object_new_array();

                r = push(sh, e);
                if (r == 0)
                        r = push(e, json_object_new_int64(b->shards[i].bin));
                if (r == 0)
                        r = push(e, json_object_new_int64((int64_t) b->shards[i].len));
                if (r == 0)
                        r = push(e, json_object_new_string(b->shards[i].digest));
        }
        if (r < 0) {
                json_object_put(o);
                json_object_put(rv);
                json_object_put(sh);
                return r;
        }
        if (add(o, "iss", json_object_new_string(iss)) < 0 ||
            add(o, "iat", json_object_new_int64(iat)) < 0 ||
            add(o, "exp", json_object_new_int64(exp)) < 0 ||
            add(o, "serial", json_object_new_int64((int64_t) serial)) < 0 ||
            add(o, "bins", json_object_new_int64(b ? b->bins : 1)) < 0 ||
            add(o, "revoked", rv) < 0) {
                json_object_put(o);
                json_object_put(sh);
                return -ENOMEM;
        }
        if (add(o, "shards", sh) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}
