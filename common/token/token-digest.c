/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "token-digest.h"

int token_digest(const char *token, size_t len, struct token_digest *ret) {
        unsigned md_len = 0;

        if (EVP_Digest(token, len, ret->b, &md_len, EVP_sha256(), NULL) != 1 ||
            md_len != TOKEN_DIGEST_LEN)
                return -EIO;
        return 0;
}

static int digest_cmp(const void *a, const void *b) {
        return memcmp(a, b, TOKEN_DIGEST_LEN);
}

bool token_digest_set_contains(const struct token_digest_set *s, const struct token_digest *d) {
        return s && s->n > 0 && bsearch(d, s->v, s->n, sizeof(*d), digest_cmp);
}

void token_digest_set_adopt(struct token_digest_set *s, struct token_digest *v, size_t n) {
        size_t w = 0;

        token_digest_set_done(s);
        if (!v || n == 0) {
                free(v);
                return;
        }
        qsort(v, n, sizeof(*v), digest_cmp);
        for (size_t i = 0; i < n; i++)
                if (w == 0 || memcmp(&v[w - 1], &v[i], TOKEN_DIGEST_LEN) != 0)
                        v[w++] = v[i];
        s->v = v;
        s->n = w;
}

void token_digest_set_done(struct token_digest_set *s) {
        if (!s)
                return;
        free(s->v);
        *s = (struct token_digest_set){};
}
