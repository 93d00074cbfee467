/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "grant.h"
#include "jit-limits.h"
#include "shard.h"

int shard_next_token(const char **p, const char *end, const char **ret_token, size_t *ret_len,
                     struct jit_error *err) {
        const char *nl;
        size_t n;

        if (*p >= end)
                return 0;
        nl = memchr(*p, '\n', (size_t) (end - *p));
        if (!nl)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "shard: the last line does not end in a newline");
        n = (size_t) (nl - *p);
        if (!grant_token_is_wellformed(*p, n))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "shard: a line of %zu bytes is not a grant token", n);
        *ret_token = *p;
        *ret_len = n;
        *p = nl + 1;
        return 1;
}

int sha256_hex(const void *data, size_t len, char ret[65]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;

        if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32)
                return -EIO;
        for (unsigned i = 0; i < 32; i++)
                (void) snprintf(ret + 2 * i, 3, "%02x", md[i]);
        ret[64] = '\0';
        return 0;
}

bool shard_digest_matches(const void *data, size_t len, const char *digest) {
        char hex[65];

        if (!digest || sha256_hex(data, len, hex) < 0)
                return false;
        return CRYPTO_memcmp(hex, digest, 65) == 0;
}
