/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "bundle.h"
#include "fuzz.h"
#include "jit-limits.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_json_ struct json_object *claims = NULL;
        _cleanup_(bundle_freep) struct bundle *b = NULL;

        if (json_parse_object_strict((const char *) data, size, JIT_JSON_DEPTH_MAX, &claims, NULL) <
            0)
                return 0;
        if (bundle_from_claims(claims, &b, NULL) < 0)
                return 0;
        assert(b->serial >= 1 && b->exp > b->iat);
        for (size_t i = 0; i < b->n_revoked; i++)
                assert(bundle_is_revoked(b, b->revoked[i]));
        return 0;
}
