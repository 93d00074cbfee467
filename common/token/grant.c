/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "grant.h"
#include "jit-limits.h"
#include "json.h"
#include "jws.h"
#include "parse.h"

#define SCOPE_NAME_MAX 16

void grant_free(struct grant *g) {
        if (!g)
                return;
        free(g->iss);
        free(g->jti);
        free(g->sub);
        strv_free(g->aud);
        strv_free(g->runas);
        strv_free(g->keys);
        free(g->reason);
        free(g->ticket);
        free(g->approver);
        free(g);
}

bool grant_id_is_valid(const char *s, size_t len) {
        if (len == 0 || len > JIT_JTI_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == ':' || c == '-'))
                        return false;
        }
        return true;
}

/* An optional or required string claim, copied. */
static int claim_string(struct json_object *claims, const char *name, bool required, size_t max_len,
                        char **ret, struct jit_error *err) {
        const char *s;
        int r;

        r = json_get_string(claims, name, required, max_len, &s, err);
        if (r < 0)
                return r;
        if (!s) /* absent; json_get_string() has failed already if required */
                return required ? jit_error_set(err, EINVAL, JIT_REASON_CLAIM_MISSING,
                                                "claim '%s' is missing", name)
                                : 0;
        *ret = strdup(s);
        if (!*ret)
                return jit_error_oom(err);
        return 0;
}

static int claim_string_array(struct json_object *claims, const char *name, bool required,
                              size_t max_count, size_t max_len, char ***ret,
                              struct jit_error *err) {
        int r;

        r = json_get_string_array(claims, name, required, max_count, max_len, ret, err);
        if (r < 0)
                return r;
        if (*ret && !(*ret)[0] && required)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_RANGE,
                                     "claim '%s' must not be empty", name);
        return 0;
}

static int grant_parse_identity(struct json_object *claims, struct grant *g,
                                struct jit_error *err) {
        int r;

        r = claim_string(claims, "iss", true, JIT_CLAIM_STRING_MAX, &g->iss, err);
        if (r < 0)
                return r;

        r = claim_string(claims, "jti", true, JIT_CLAIM_STRING_MAX, &g->jti, err);
        if (r < 0)
                return r;
        if (!grant_id_is_valid(g->jti, strlen(g->jti)))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                     "claim 'jti' must be 1..%u characters of [A-Za-z0-9._:-]",
                                     JIT_JTI_MAX);

        r = claim_string(claims, "sub", true, JIT_CLAIM_STRING_MAX, &g->sub, err);
        if (r < 0)
                return r;
        if (!user_name_is_valid(g->sub, strlen(g->sub)))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                     "claim 'sub' is not a valid Unix user name");

        r = claim_string_array(claims, "aud", true, JIT_AUD_MAX, JIT_CLAIM_STRING_MAX, &g->aud,
                               err);
        if (r < 0)
                return r;
        for (size_t i = 0; g->aud[i]; i++) {
                r = selector_validate(g->aud[i], strlen(g->aud[i]), err);
                if (r < 0) {
                        jit_error_prefix(err, "claim 'aud[%zu]'", i);
                        return r;
                }
        }
        return 0;
}

static int grant_parse_times(struct json_object *claims, struct grant *g, struct jit_error *err) {
        bool has_nbf;
        int r;

        r = json_get_int64(claims, "iat", true, 0, JIT_TIME_MAX, &g->iat, err);
        if (r < 0)
                return r;
        has_nbf = json_object_object_get_ex(claims, "nbf", NULL);
        r = json_get_int64(claims, "nbf", false, 0, JIT_TIME_MAX, &g->nbf, err);
        if (r < 0)
                return r;
        if (!has_nbf)
                g->nbf = g->iat;
        r = json_get_int64(claims, "exp", true, 0, JIT_TIME_MAX, &g->exp, err);
        if (r < 0)
                return r;
        if (g->exp <= g->nbf)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                     "claim 'exp' is not after 'nbf'");
        return 0;
}

static int grant_parse_access(struct json_object *claims, struct grant *g, struct jit_error *err) {
        _cleanup_strv_free_ char **scope = NULL;
        const char *bind;
        int r;

        r = claim_string_array(claims, "scope", true, JIT_SCOPE_MAX, SCOPE_NAME_MAX, &scope, err);
        if (r < 0)
                return r;
        for (size_t i = 0; scope[i]; i++) {
                if (streq(scope[i], "ssh"))
                        g->scope |= GRANT_SCOPE_SSH;
                else if (streq(scope[i], "sudo"))
                        g->scope |= GRANT_SCOPE_SUDO;
                else
                        return jit_error_set(
                                err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                "claim 'scope[%zu]' is \"%s\", not \"ssh\" or \"sudo\"", i,
                                scope[i]);
        }

        r = json_get_string_array(claims, "runas", false, JIT_RUNAS_MAX, JIT_CLAIM_STRING_MAX,
                                  &g->runas, err);
        if (r < 0)
                return r;
        if (!g->runas) {
                r = strv_extend(&g->runas, "root");
                if (r < 0)
                        return jit_error_oom(err);
        } else if (!g->runas[0])
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_RANGE,
                                     "claim 'runas' must not be empty (omit it for root)");
        for (size_t i = 0; g->runas[i]; i++)
                if (!user_name_is_valid(g->runas[i], strlen(g->runas[i])))
                        return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                             "claim 'runas[%zu]' is not a valid user name", i);

        r = json_get_string_array(claims, "keys", false, JIT_KEYS_MAX, JIT_SSH_KEY_MAX, &g->keys,
                                  err);
        if (r < 0)
                return r;
        if (!g->keys) {
                g->keys = calloc(1, sizeof(char *));
                if (!g->keys)
                        return jit_error_oom(err);
        }
        for (size_t i = 0; g->keys[i]; i++)
                if (!ssh_public_key_is_valid(g->keys[i], strlen(g->keys[i])))
                        return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                             "claim 'keys[%zu]' is not a plain OpenSSH public key "
                                             "line (type, key, comment; no options)",
                                             i);

        r = json_get_string(claims, "bind", false, SCOPE_NAME_MAX, &bind, err);
        if (r < 0)
                return r;
        if (bind && !streq(bind, "session"))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                     "claim 'bind' must be \"session\" when present");
        g->bind_session = !!bind;
        return 0;
}

int grant_from_claims(struct json_object *claims, struct grant **ret, struct jit_error *err) {
        _cleanup_(grant_freep) struct grant *g = NULL;
        int r;

        if (!json_object_is_type(claims, json_type_object))
                return jit_error_set(err, EINVAL, JIT_REASON_JSON, "claims are not a JSON object");

        g = calloc(1, sizeof(*g));
        if (!g)
                return jit_error_oom(err);

        r = grant_parse_identity(claims, g, err);
        if (r >= 0)
                r = grant_parse_times(claims, g, err);
        if (r >= 0)
                r = grant_parse_access(claims, g, err);
        if (r >= 0)
                r = claim_string(claims, "reason", false, JIT_REASON_TEXT_MAX, &g->reason, err);
        if (r >= 0)
                r = claim_string(claims, "ticket", false, JIT_CLAIM_STRING_MAX, &g->ticket, err);
        if (r >= 0)
                r = claim_string(claims, "approver", false, JIT_CLAIM_STRING_MAX, &g->approver,
                                 err);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(g);
        return 0;
}

static int grant_check_policy(const struct grant *g, const struct grant_policy *policy,
                              struct jit_error *err) {
        if (!strv_contains(policy->issuers, g->iss))
                return jit_error_set(err, EINVAL, JIT_REASON_ISSUER, "issuer \"%s\" is not trusted",
                                     g->iss);
        if (g->exp - g->nbf > policy->max_ttl)
                return jit_error_set(err, EINVAL, JIT_REASON_TTL,
                                     "valid for %lld s, longer than max_grant_ttl (%lld s)",
                                     (long long) (g->exp - g->nbf), (long long) policy->max_ttl);
        return 0;
}

static int grant_decode(const char *token, size_t len, const struct trust_store *ts,
                        const struct grant_policy *policy, bool signature_known, struct grant **ret,
                        struct jit_error *err) {
        _cleanup_(jws_done) struct jws jws = {};
        _cleanup_(grant_freep) struct grant *g = NULL;
        int r;

        r = signature_known ? jws_decode_verified(token, len, JIT_GRANT_TOKEN_MAX, ts,
                                                  JWS_TYP_GRANT, &jws, err)
                            : jws_decode_verify(token, len, JIT_GRANT_TOKEN_MAX, ts, JWS_TYP_GRANT,
                                                &jws, err);
        if (r < 0)
                return r;
        r = grant_from_claims(jws.payload, &g, err);
        if (r < 0)
                return r;
        r = grant_check_policy(g, policy, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(g);
        return 0;
}

int grant_from_token(const char *token, size_t len, const struct trust_store *ts,
                     const struct grant_policy *policy, struct grant **ret, struct jit_error *err) {
        return grant_decode(token, len, ts, policy, false, ret, err);
}

int grant_from_verified_token(const char *token, size_t len, const struct trust_store *ts,
                              const struct grant_policy *policy, struct grant **ret,
                              struct jit_error *err) {
        return grant_decode(token, len, ts, policy, true, ret, err);
}

int grant_check_time(const struct grant *g, const struct grant_policy *policy, int64_t now,
                     struct jit_error *err) {
        int64_t skew;

        if (!g || !policy)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "no grant to check");
        skew = policy->clock_skew;
        if (g->iat > now + skew)
                return jit_error_set(err, EINVAL, JIT_REASON_ISSUED_IN_FUTURE,
                                     "grant %s was issued %lld s in the future (clock skew?)",
                                     g->jti, (long long) (g->iat - now));
        if (now + skew < g->nbf)
                return jit_error_set(err, EINVAL, JIT_REASON_NOT_YET_VALID,
                                     "grant %s is not valid for another %lld s", g->jti,
                                     (long long) (g->nbf - now));
        /* The leeway covers clocks that differ at the start only: an
         * issuer whose clock runs ahead must not make a fresh grant "not yet
         * valid". A grant ends at its exp, to the second, everywhere
         * (docs/decisions.md, "A grant ends at its exp"). */
        if (now >= g->exp)
                return jit_error_set(err, EINVAL, JIT_REASON_EXPIRED, "grant %s expired %lld s ago",
                                     g->jti, (long long) (now - g->exp));
        return 0;
}

int grant_verify(const char *token, size_t len, const struct trust_store *ts,
                 const struct grant_policy *policy, int64_t now, struct grant **ret,
                 struct jit_error *err) {
        _cleanup_(grant_freep) struct grant *g = NULL;
        int r;

        r = grant_from_token(token, len, ts, policy, &g, err);
        if (r < 0)
                return r;
        r = grant_check_time(g, policy, now, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(g);
        return 0;
}

bool grant_applies_to_host(const struct grant *g, const struct host_facts *facts) {
        for (size_t i = 0; g->aud && g->aud[i]; i++)
                if (selector_matches(g->aud[i], facts))
                        return true;
        return false;
}

bool grant_allows_runas(const struct grant *g, const char *target) {
        return target && strv_contains(g->runas, target);
}

bool grant_token_is_wellformed(const char *s, size_t len) {
        if (len == 0 || len > JIT_GRANT_TOKEN_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.'))
                        return false;
        }
        return true;
}
