/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The claim rules, reached directly: a fuzzer cannot forge a signature, so
 * the claims parser is fed the JSON a signed token would carry. */
#include <assert.h>

#include "fuzz.h"
#include "grant.h"
#include "jit-limits.h"
#include "json.h"
#include "selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_json_ struct json_object *claims = NULL;
        _cleanup_(grant_freep) struct grant *g = NULL;
        struct host_facts facts = {};
        struct jit_error err = {};

        if (json_parse_object_strict((const char *) data, size, JIT_JSON_DEPTH_MAX, &claims, &err) <
            0)
                return 0;
        if (grant_from_claims(claims, &g, &err) < 0) {
                assert(err.reason != JIT_REASON_NONE);
                return 0;
        }
        assert(g->sub && g->jti && g->iss && g->aud && g->aud[0] && g->runas && g->keys);
        assert(g->exp > g->nbf && g->scope != 0);
        assert(host_facts_add(&facts, "env", "prod", NULL) == 0);
        (void) grant_applies_to_host(g, &facts);
        (void) grant_allows_runas(g, "root");
        host_facts_done(&facts);
        return 0;
}
