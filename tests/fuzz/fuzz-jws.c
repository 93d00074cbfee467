/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The compact-JWS front end (splitting, header rules, key lookup, signature
 * length checks) against a fixed trust store of one key per algorithm. */
#include <assert.h>

#include "fuzz.h"
#include "grant.h"
#include "jit-limits.h"
#include "json.h"
#include "jws.h"

static const char trust_jwks[] =
        "{\"keys\":["
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_"
        "7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
        "\"kid\":\"ed\",\"alg\":\"EdDSA\"},"
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"kid\":\"ec\",\"alg\":\"ES256\"}"
        "]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct trust_store *ts;
        _cleanup_(jws_done) struct jws jws = {};
        _cleanup_json_ struct json_object *header = NULL;
        _cleanup_(grant_freep) struct grant *g = NULL;
        char *issuers[] = {(char *) "https://jit.example.com", NULL};
        struct grant_policy policy = {issuers, 12 * 3600, 60};
        struct jit_error err = {};

        if (!ts)
                assert(trust_store_parse(trust_jwks, sizeof(trust_jwks) - 1, &ts, NULL) == 0);

        (void) jws_peek_header((const char *) data, size, &header, NULL);
        if (jws_decode_verify((const char *) data, size, JIT_GRANT_TOKEN_MAX, ts, JWS_TYP_GRANT,
                              &jws, &err) == 0)
                assert(jws.payload && jws.key);
        else
                assert(err.reason != JIT_REASON_NONE);
        (void) grant_verify((const char *) data, size, ts, &policy, 1800000000, &g, NULL);
        return 0;
}
