/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How library code reports failure. Functions return a negative errno; when
 * the caller passes a struct jit_error, it also receives a stable reason code
 * (what tests assert and what pam_jit maps to a user message) and a one-line
 * message for the log. Library code never logs by itself. */

#include <errno.h>

#include "macro.h"

enum jit_reason {
        JIT_REASON_NONE = 0,
        JIT_REASON_SYSTEM,           /* out of memory, I/O, OpenSSL internal */
        JIT_REASON_TOO_LARGE,        /* input over a size or count limit */
        JIT_REASON_MALFORMED,        /* not JWS compact form, bad structure */
        JIT_REASON_BASE64,           /* not strict base64url */
        JIT_REASON_JSON,             /* not strict JSON (RFC 8259) */
        JIT_REASON_JSON_DUPLICATE,   /* an object repeats a member name */
        JIT_REASON_JSON_DEPTH,       /* nesting deeper than allowed */
        JIT_REASON_ALG_NONE,         /* "alg":"none" */
        JIT_REASON_ALG_HMAC,         /* HS256/HS384/HS512 */
        JIT_REASON_ALG_UNKNOWN,      /* an algorithm we do not implement */
        JIT_REASON_ALG_MISMATCH,     /* header alg differs from the key's */
        JIT_REASON_TYP,              /* typ missing or not the expected one */
        JIT_REASON_CRIT,             /* a crit header is present */
        JIT_REASON_KID_UNKNOWN,      /* kid missing or not in the trust store */
        JIT_REASON_SIGNATURE,        /* signature does not verify */
        JIT_REASON_KEY,              /* unusable or unsafe key material */
        JIT_REASON_CLAIM_MISSING,    /* a required claim is absent */
        JIT_REASON_CLAIM_TYPE,       /* a claim has the wrong JSON type */
        JIT_REASON_CLAIM_RANGE,      /* a number or length outside its range */
        JIT_REASON_CLAIM_VALUE,      /* a claim's value is not allowed */
        JIT_REASON_ISSUER,           /* iss is not a trusted issuer */
        JIT_REASON_EXPIRED,          /* now > exp + leeway */
        JIT_REASON_NOT_YET_VALID,    /* now < nbf - leeway */
        JIT_REASON_ISSUED_IN_FUTURE, /* iat > now + leeway */
        JIT_REASON_TTL,              /* exp - nbf > max_grant_ttl */
        JIT_REASON_AUDIENCE,         /* no aud selector matches this host */
        JIT_REASON_SCOPE,            /* grant lacks the needed scope */
        JIT_REASON_RUNAS,            /* sudo target not in runas */
        JIT_REASON_REVOKED,          /* jti is in the head's revoked list */
        JIT_REASON_STALE,            /* head past exp */
        JIT_REASON_ROLLBACK,         /* head serial lower, or same with other bytes */
        JIT_REASON_DIGEST,           /* a shard whose bytes are not its digest or size */
        JIT_REASON_FILE_UNSAFE,      /* bad owner, mode, type or a symlink */
        JIT_REASON_CONFIG,           /* configuration error */
        _JIT_REASON_MAX,
};

#define JIT_ERROR_MESSAGE_MAX 256

struct jit_error {
        enum jit_reason reason;
        char message[JIT_ERROR_MESSAGE_MAX];
};

/* errnum as a negative errno, whatever sign it is given with (without
 * abs(), which is undefined for INT_MIN). 0, from a failing call that left
 * errno unset, becomes -EIO: an error is never returned as success. A macro
 * (n is evaluated more than once) so that it stays visible to a static
 * analyser however deep the call it ends. */
#define JIT_NEGATIVE_ERRNO(n) ((n) == 0 ? -EIO : (n) < 0 ? (n) : -(n))

/* Record reason and message in e (which may be NULL) and return
 * JIT_NEGATIVE_ERRNO(errnum), which is < 0. */
int jit_error_set(struct jit_error *e, int errnum, enum jit_reason reason, const char *fmt, ...)
        _printf_(4, 5);
/* The same call, whose result the caller (and a static analyser, which
 * looks at one file at a time) can see to be negative: it is computed here
 * from errnum, evaluated once. (jit_error_set)(...) names the function. */
#define jit_error_set(e, errnum, reason, ...)                                                      \
        ({                                                                                         \
                int _errnum_ = (errnum);                                                           \
                (void) (jit_error_set) ((e), _errnum_, (reason), __VA_ARGS__);                     \
                JIT_NEGATIVE_ERRNO(_errnum_);                                                      \
        })

/* Prefix the message already in e with more context ("trust store: …"). */
void jit_error_prefix(struct jit_error *e, const char *fmt, ...) _printf_(2, 3);

/* A short stable name for a reason ("alg-none"), for --json and logs. */
const char *jit_reason_to_string(enum jit_reason reason);

/* Shorthand for the common case of an allocation failure. */
#define jit_error_oom(e) jit_error_set((e), ENOMEM, JIT_REASON_SYSTEM, "out of memory")
