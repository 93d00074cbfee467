/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The grant: a signed JWT naming the user, the hosts, the scope, the sudo
 * targets, the validity window, the ticket and the approver. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "jwk.h"
#include "selector.h"

enum {
        GRANT_SCOPE_SSH = 1 << 0,
        GRANT_SCOPE_SUDO = 1 << 1,
};

struct grant {
        char *iss;
        char *jti;
        char *sub;
        char **aud; /* selectors, NULL-terminated */
        int64_t iat, nbf, exp;
        unsigned scope; /* GRANT_SCOPE_* */
        char **runas;   /* NULL-terminated; ["root"] when absent */
        char **keys;    /* NULL-terminated, possibly empty */
        bool bind_session;
        char *reason, *ticket, *approver; /* NULL when absent */
};

/* What a host checks a grant against (from jit.conf). */
struct grant_policy {
        char *const *issuers; /* NULL-terminated trusted issuers */
        int64_t max_ttl;      /* seconds: exp - nbf may not exceed it */
        int64_t clock_skew;   /* seconds of leeway on nbf and exp */
};

void grant_free(struct grant *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct grant *, grant_free);

/* Structure and types of the claims object (no time, no issuer policy). */
int grant_from_claims(struct json_object *claims, struct grant **ret, struct jit_error *err);

/* Signature (typ jit-grant+jwt), claims, trusted issuer and TTL: everything
 * that does not depend on the time. */
int grant_from_token(const char *token, size_t len, const struct trust_store *ts,
                     const struct grant_policy *policy, struct grant **ret, struct jit_error *err);

/* grant_from_token() without the signature check, for these exact bytes
 * seen to verify under ts before (jws_decode_verified()): claims, issuer
 * and TTL are checked again. */
int grant_from_verified_token(const char *token, size_t len, const struct trust_store *ts,
                              const struct grant_policy *policy, struct grant **ret,
                              struct jit_error *err);

/* iat not in the future, nbf reached, exp not passed, each with leeway. */
int grant_check_time(const struct grant *g, const struct grant_policy *policy, int64_t now,
                     struct jit_error *err);

/* grant_from_token() then grant_check_time(). */
int grant_verify(const char *token, size_t len, const struct trust_store *ts,
                 const struct grant_policy *policy, int64_t now, struct grant **ret,
                 struct jit_error *err);

/* Does any aud selector match this host? */
bool grant_applies_to_host(const struct grant *g, const struct host_facts *facts);

/* Is target allowed by runas? */
bool grant_allows_runas(const struct grant *g, const char *target);

/* A grant id (jti): 1..JIT_JTI_MAX bytes of [A-Za-z0-9._:-]. It names files
 * and audit records, so nothing else is allowed. */
bool grant_id_is_valid(const char *s, size_t len);

/* A grant token as the bundle carries it: compact JWS, so base64url and
 * dots, at most JIT_GRANT_TOKEN_MAX bytes. Anything else in a state file
 * would be a line injection or a corrupt file. */
bool grant_token_is_wellformed(const char *s, size_t len);
