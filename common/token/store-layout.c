/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store's key, bin and chunk rules (store-layout.h says why they are so). */

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "jit-limits.h"
#include "store-layout.h"

static bool has_suffix(const char *s, size_t n, const char *suffix) {
        size_t m = strlen(suffix);

        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static bool has_infix(const char *s, size_t n, const char *infix) {
        size_t m = strlen(infix);

        for (size_t i = 0; i + m <= n; i++)
                if (memcmp(s + i, infix, m) == 0)
                        return true;
        return false;
}

enum store_rank store_fact_rank(const char *key, size_t n) {
        if (n == 4 && memcmp(key, "host", 4) == 0)
                return STORE_RANK_HOST;
        if (!memchr(key, '.', n))
                return STORE_RANK_LABEL; /* a label of jit.conf */
        if (has_suffix(key, n, ".instance-id") || has_suffix(key, n, ".vm-id"))
                return STORE_RANK_INSTANCE;
        if (has_infix(key, n, ".tag.") || has_infix(key, n, ".label.") ||
            has_infix(key, n, ".attr."))
                return STORE_RANK_LABEL;
        if (has_suffix(key, n, ".az") || has_suffix(key, n, ".zone") ||
            has_suffix(key, n, ".resource-group"))
                return STORE_RANK_ZONE;
        return STORE_RANK_BROAD;
}

int store_selector_fact(const char *selector, char *buf, size_t size) {
        const char *best = NULL, *p = selector;
        size_t best_len = 0;
        enum store_rank best_rank = STORE_RANK_BROAD;

        if (!selector || !buf || selector_validate(selector, strlen(selector), NULL) < 0)
                return -EINVAL;
        for (;;) {
                const char *end = strchr(p, ','), *eq;
                size_t n = end ? (size_t) (end - p) : strlen(p);
                enum store_rank rank;

                eq = memchr(p, '=', n);
                if (!eq)
                        return -EINVAL;
                rank = store_fact_rank(p, (size_t) (eq - p));
                if (!best || rank < best_rank ||
                    (rank == best_rank &&
                     (memcmp(p, best, n < best_len ? n : best_len) < 0 ||
                      (memcmp(p, best, n < best_len ? n : best_len) == 0 && n < best_len)))) {
                        best = p;
                        best_len = n;
                        best_rank = rank;
                }
                if (!end)
                        break;
                p = end + 1;
        }
        if (best_len + 1 > size)
                return -ENOBUFS;
        memcpy(buf, best, best_len);
        buf[best_len] = '\0';
        return 0;
}

static uint32_t sha256_be32(const void *data, size_t len) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;

        /* SHA-256 cannot fail on these inputs short of a broken libcrypto;
         * then every value lands in bin 0, which loses nothing (a host
         * computes the same). */
        if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len < 4)
                return 0;
        return (uint32_t) md[0] << 24 | (uint32_t) md[1] << 16 | (uint32_t) md[2] << 8 | md[3];
}

uint32_t store_fact_bin(const char *fact, size_t len, uint32_t bins) {
        return bins <= 1 ? 0 : sha256_be32(fact, len) % bins;
}

uint32_t store_grant_chunk(const char *jti, uint32_t n_chunks) {
        return n_chunks <= 1 ? 0 : sha256_be32(jti, strlen(jti)) % n_chunks;
}

static int cmp_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        return x < y ? -1 : x > y;
}

size_t store_host_bins(const struct host_facts *f, uint32_t bins, uint32_t *ret) {
        size_t n = 0, w = 0;

        for (size_t i = 0; f && i < f->n_facts; i++)
                ret[n++] = store_fact_bin(f->facts[i], strlen(f->facts[i]), bins);
        if (n == 0)
                return 0;
        qsort(ret, n, sizeof(uint32_t), cmp_u32);
        for (size_t i = 0; i < n; i++)
                if (w == 0 || ret[w - 1] != ret[i])
                        ret[w++] = ret[i];
        return w;
}

bool store_bins_contain(const uint32_t *bins, size_t n, uint32_t bin) {
        return n > 0 && bsearch(&bin, bins, n, sizeof(uint32_t), cmp_u32) != NULL;
}
