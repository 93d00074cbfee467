/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <string.h>

#include "fuzz.h"
#include "head.h"
#include "jit-limits.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_json_ struct json_object *claims = NULL;
        _cleanup_(head_freep) struct head *h = NULL;

        if (json_parse_object_strict((const char *) data, size, JIT_JSON_DEPTH_MAX, &claims, NULL) <
            0)
                return 0;
        if (head_from_claims(claims, &h, NULL) < 0)
                return 0;
        assert(h->serial >= 1 && h->exp > h->iat && h->bins >= 1);
        for (size_t i = 0; i < h->n_revoked; i++)
                assert(head_is_revoked(h, h->revoked[i]));
        for (size_t i = 0; i < h->n_shards; i++) {
                assert(h->shards[i].bin < h->bins);
                assert(h->shards[i].size >= 1 && h->shards[i].size <= JIT_SHARD_MAX);
                assert(digest_hex_is_valid(h->shards[i].digest, strlen(h->shards[i].digest)));
                assert(i == 0 || h->shards[i - 1].bin <= h->shards[i].bin);
        }
        return 0;
}
