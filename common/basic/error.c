/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Parenthesised: error.h defines a macro of the same name. */
int(jit_error_set)(struct jit_error *e, int errnum, enum jit_reason reason, const char *fmt, ...) {
        va_list ap;

        if (e) {
                e->reason = reason;
                va_start(ap, fmt);
                (void) vsnprintf(e->message, sizeof(e->message), fmt, ap);
                va_end(ap);
        }
        return JIT_NEGATIVE_ERRNO(errnum);
}

void jit_error_prefix(struct jit_error *e, const char *fmt, ...) {
        char buf[JIT_ERROR_MESSAGE_MAX];
        size_t n, old_len;
        va_list ap;
        int k;

        if (!e)
                return;
        va_start(ap, fmt);
        k = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (k < 0)
                return;
        /* "prefix: message", cut to the buffer; the message keeps its tail
         * cut rather than the prefix, which names where the error is. */
        n = strnlen(buf, sizeof(buf) - 1);
        if (n + 2 < sizeof(buf)) {
                buf[n++] = ':';
                buf[n++] = ' ';
        }
        old_len = strnlen(e->message, sizeof(e->message) - 1);
        if (old_len > sizeof(buf) - 1 - n)
                old_len = sizeof(buf) - 1 - n;
        memcpy(buf + n, e->message, old_len);
        buf[n + old_len] = '\0';
        memcpy(e->message, buf, sizeof(buf));
}

static const char *const reason_names[_JIT_REASON_MAX] = {
        [JIT_REASON_NONE] = "ok",
        [JIT_REASON_SYSTEM] = "system",
        [JIT_REASON_TOO_LARGE] = "too-large",
        [JIT_REASON_MALFORMED] = "malformed",
        [JIT_REASON_BASE64] = "base64",
        [JIT_REASON_JSON] = "json",
        [JIT_REASON_JSON_DUPLICATE] = "json-duplicate",
        [JIT_REASON_JSON_DEPTH] = "json-depth",
        [JIT_REASON_ALG_NONE] = "alg-none",
        [JIT_REASON_ALG_HMAC] = "alg-hmac",
        [JIT_REASON_ALG_UNKNOWN] = "alg-unknown",
        [JIT_REASON_ALG_MISMATCH] = "alg-mismatch",
        [JIT_REASON_TYP] = "typ",
        [JIT_REASON_CRIT] = "crit",
        [JIT_REASON_KID_UNKNOWN] = "kid-unknown",
        [JIT_REASON_SIGNATURE] = "signature",
        [JIT_REASON_KEY] = "key",
        [JIT_REASON_CLAIM_MISSING] = "claim-missing",
        [JIT_REASON_CLAIM_TYPE] = "claim-type",
        [JIT_REASON_CLAIM_RANGE] = "claim-range",
        [JIT_REASON_CLAIM_VALUE] = "claim-value",
        [JIT_REASON_ISSUER] = "issuer",
        [JIT_REASON_EXPIRED] = "expired",
        [JIT_REASON_NOT_YET_VALID] = "not-yet-valid",
        [JIT_REASON_ISSUED_IN_FUTURE] = "issued-in-future",
        [JIT_REASON_TTL] = "ttl",
        [JIT_REASON_AUDIENCE] = "audience",
        [JIT_REASON_SCOPE] = "scope",
        [JIT_REASON_RUNAS] = "runas",
        [JIT_REASON_REVOKED] = "revoked",
        [JIT_REASON_STALE] = "stale",
        [JIT_REASON_ROLLBACK] = "rollback",
        [JIT_REASON_DIGEST] = "digest",
        [JIT_REASON_FILE_UNSAFE] = "file-unsafe",
        [JIT_REASON_CONFIG] = "config",
};

const char *jit_reason_to_string(enum jit_reason reason) {
        if ((unsigned) reason >= _JIT_REASON_MAX || !reason_names[reason])
                return "unknown";
        return reason_names[reason];
}
