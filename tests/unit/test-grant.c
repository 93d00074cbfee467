/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Grants: a table of hostile tokens, one line each, named by what is wrong
 * and asserting the exact reason; then valid grants of every algorithm with
 * every field checked; then host selectors and runas. Rows that pass are in
 * a second table, some of them the bad rows with the one defect fixed, so
 * the bad table cannot pass by rejecting everything. Over 600 lines because
 * the bad table is the point: one row per defect a grant can have. */

#include <inttypes.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#include "jit-limits.h"
#include "json.h"
#include "jws.h"
#include "macro.h"
#include "test-store.h"

static struct test_key ed, es, rs, ps, rogue;
static struct trust_store *ts;

#define HDR(alg, typ, kid) "{\"alg\":\"" alg "\",\"typ\":\"" typ "\",\"kid\":\"" kid "\"}"
#define GRANT_HDR(alg) HDR(alg, "jit-grant+jwt", "ed-1")

struct row;
typedef char *(*build_fn)(const struct row *r);

struct row {
        const char *name;
        build_fn build;            /* NULL: b_signed */
        const char *header;        /* header text; NULL: the default EdDSA grant header */
        const char *payload;       /* payload text; NULL: default claims with .set applied */
        struct test_member set[4]; /* claim overrides (see test_member) */
        int op;                    /* builder argument */
        int64_t at;                /* verified at TEST_NOW + at */
        enum jit_reason reason;    /* NONE: must verify */
        enum jit_reason alt;       /* where two reasons are both right */
};

static char *row_header(const struct row *r) {
        return r->header ? strdup(r->header) : test_header("EdDSA", JWS_TYP_GRANT, "ed-1");
}

static char *row_payload(const struct row *r) {
        return r->payload ? strdup(r->payload) : test_grant_claims(TEST_NOW, r->set);
}

/* Header and payload text signed with the trusted Ed25519 key. */
static char *b_signed(const struct row *r) {
        _cleanup_free_ char *h = row_header(r), *p = row_payload(r);

        return test_sign(&ed, h, p);
}

/* The same, signed by the key op names (1 ES256, 2 rogue Ed25519 with a
 * trusted kid, 3 RS256, 4 PS256), with OpenSSL rather than libjit. */
static char *b_signed_by(const struct row *r) {
        static const struct test_key *const keys[] = {&ed, &es, &rogue, &rs, &ps};
        _cleanup_free_ char *h = row_header(r), *p = row_payload(r);

        return test_sign_openssl(keys[r->op], h, p);
}

/* header.payload. — no signature at all. */
static char *b_unsigned(const struct row *r) {
        _cleanup_free_ char *h = row_header(r), *p = row_payload(r);
        _cleanup_free_ char *h64 = test_b64(h, strlen(h)), *p64 = test_b64(p, strlen(p));

        return test_strdupf("%s.%s.", h64, p64);
}

/* HMAC over the signing input with public material as the secret (the
 * classic RS/HS confusion): op & 0xff selects 1 raw Ed25519 public key,
 * 2 the JWKS text, 3 the JWK text; op >> 8 the hash size (256 or 512). */
static char *b_hmac(const struct row *r) {
        _cleanup_free_ char *h = row_header(r), *p = row_payload(r), *jwks = NULL, *input = NULL,
                            *sig = NULL;
        _cleanup_free_ char *h64 = test_b64(h, strlen(h)), *p64 = test_b64(p, strlen(p));
        const struct test_key *const keys[] = {&ed};
        uint8_t pub[32], mac[EVP_MAX_MD_SIZE];
        size_t pub_len = sizeof(pub);
        unsigned mac_len = 0;
        const void *secret;
        size_t secret_len;

        switch (r->op & 0xff) {
        case 1:
                assert_int_equal(EVP_PKEY_get_raw_public_key(ed.pkey, pub, &pub_len), 1);
                secret = pub;
                secret_len = pub_len;
                break;
        case 2:
                jwks = test_jwks_text(keys, 1);
                secret = jwks;
                secret_len = strlen(jwks);
                break;
        default:
                secret = ed.jwk;
                secret_len = strlen(ed.jwk);
                break;
        }
        input = test_strdupf("%s.%s", h64, p64);
        assert_non_null(HMAC((r->op >> 8) == 512 ? EVP_sha512() : EVP_sha256(), secret,
                             (int) secret_len, (const uint8_t *) input, strlen(input), mac,
                             &mac_len));
        sig = test_b64(mac, mac_len);
        return test_strdupf("%s.%s", input, sig);
}

/* A valid token with one bit of its signature flipped: op is the byte
 * index, -1 the last byte. */
static char *b_flip(const struct row *r) {
        _cleanup_free_ char *token = b_signed(r), *sig64 = NULL;
        _cleanup_free_ uint8_t *sig = NULL;
        char *dot = strrchr(token, '.');
        size_t n = 0;

        sig = test_unb64(dot + 1, strlen(dot + 1), &n);
        assert_int_equal(n, 64);
        sig[r->op < 0 ? n - 1 : (size_t) r->op] ^= 0x01;
        sig64 = test_b64(sig, n);
        *dot = 0;
        return test_strdupf("%s.%s", token, sig64);
}

/* header.payload of this row with the signature of another payload
 * (the default claims for sub "bob"). */
static char *b_other_sig(const struct row *r) {
        static const struct test_member bob[] = {{"sub", "\"bob\""}, {}};
        _cleanup_free_ char *token = b_signed(r), *h = row_header(r),
                            *p = test_grant_claims(TEST_NOW, bob);
        _cleanup_free_ char *other = test_sign(&ed, h, p);

        *strrchr(token, '.') = 0;
        return test_strdupf("%s%s", token, strrchr(other, '.'));
}

/* A signature of op bytes: a valid one cut or extended with zeros. */
static char *b_sig_len(const struct row *r) {
        _cleanup_free_ char *token = b_signed(r), *sig64 = NULL;
        _cleanup_free_ uint8_t *sig = NULL;
        uint8_t buf[128] = {};
        char *dot = strrchr(token, '.');
        size_t n = 0;

        sig = test_unb64(dot + 1, strlen(dot + 1), &n);
        memcpy(buf, sig, n);
        sig64 = test_b64(buf, (size_t) r->op);
        *dot = 0;
        return test_strdupf("%s.%s", token, sig64);
}

enum {
        OP_EMPTY,
        OP_DROP_LAST_CHAR,
        OP_DROP_SIG,         /* "h.p." */
        OP_AFTER_FIRST_DOT,  /* "h." */
        OP_TWO_SEGMENTS,     /* "h.p" */
        OP_FOUR_SEGMENTS,    /* "h.p.s.s" */
        OP_FIVE_SEGMENTS,    /* "h.p.s.s.s", shaped like a JWE */
        OP_TRAILING_DOT_X,   /* "h.p.s.x" */
        OP_TRAILING_SPACE,   /* "h.p.s " */
        OP_TRAILING_NEWLINE, /* "h.p.s\n" */
        OP_LEADING_SPACE,    /* " h.p.s" */
        OP_SPACE_AFTER_DOT,  /* "h. p.s" */
        OP_EMPTY_HEADER,     /* ".p.s" */
        OP_EMPTY_PAYLOAD,    /* "h..s" */
        OP_HEADER_PAD,       /* "h=.p.s" */
        OP_SIG_PAD,          /* "h.p.s==" */
        OP_SIG_PLUS,         /* first signature character '+' */
        OP_HEADER_SLASH,     /* second header character '/' */
        OP_NUL_INSIDE,       /* a NUL byte replaces the first dot (len covers it) */
        OP_OVER_CAP,         /* padded with 'A' to JIT_GRANT_TOKEN_MAX + 1 bytes */
};

static size_t edited_len; /* for OP_NUL_INSIDE, whose token has a NUL inside */

/* Text surgery on a valid token. */
static char *b_edit(const struct row *r) {
        _cleanup_free_ char *t = b_signed(r);
        char *d1 = strchr(t, '.'), *d2 = strrchr(t, '.');
        char *s;

        edited_len = 0;
        switch (r->op) {
        case OP_EMPTY:
                return strdup("");
        case OP_DROP_LAST_CHAR:
                t[strlen(t) - 1] = 0;
                return strdup(t);
        case OP_DROP_SIG:
                d2[1] = 0;
                return strdup(t);
        case OP_AFTER_FIRST_DOT:
                d1[1] = 0;
                return strdup(t);
        case OP_TWO_SEGMENTS:
                *d2 = 0;
                return strdup(t);
        case OP_FOUR_SEGMENTS:
                return test_strdupf("%s%s", t, d2);
        case OP_FIVE_SEGMENTS:
                return test_strdupf("%s%s%s", t, d2, d2);
        case OP_TRAILING_DOT_X:
                return test_strdupf("%s.x", t);
        case OP_TRAILING_SPACE:
                return test_strdupf("%s ", t);
        case OP_TRAILING_NEWLINE:
                return test_strdupf("%s\n", t);
        case OP_LEADING_SPACE:
                return test_strdupf(" %s", t);
        case OP_SPACE_AFTER_DOT:
                *d1 = 0;
                return test_strdupf("%s. %s", t, d1 + 1);
        case OP_EMPTY_HEADER:
                return strdup(d1);
        case OP_EMPTY_PAYLOAD:
                *d1 = 0;
                return test_strdupf("%s.%s", t, d2);
        case OP_HEADER_PAD:
                *d1 = 0;
                return test_strdupf("%s=.%s", t, d1 + 1);
        case OP_SIG_PAD:
                return test_strdupf("%s==", t);
        case OP_SIG_PLUS:
                d2[1] = '+';
                return strdup(t);
        case OP_HEADER_SLASH:
                t[1] = '/';
                return strdup(t);
        case OP_NUL_INSIDE:
                edited_len = strlen(t);
                s = strdup(t);
                assert_non_null(s);
                s[d1 - t] = 0;
                return s;
        case OP_OVER_CAP: {
                size_t n = strlen(t);
                _cleanup_free_ char *pad = test_strrep('A', JIT_GRANT_TOKEN_MAX + 1 - n);

                return test_strdupf("%s%s", t, pad);
        }
        }
        fail();
        return NULL;
}

/* A payload segment that is not base64url (op 0: with '=' padding, op 1:
 * with '+'), validly signed, so only the payload decoding can refuse it. */
static char *b_raw_payload_segment(const struct row *r) {
        _cleanup_free_ char *h = row_header(r), *p = row_payload(r);
        _cleanup_free_ char *h64 = test_b64(h, strlen(h)), *p64 = test_b64(p, strlen(p));
        _cleanup_free_ char *input = NULL, *sig = NULL;

        if (r->op == 0)
                input = test_strdupf("%s.%s=", h64, p64);
        else
                input = test_strdupf("%s.+%s", h64, p64 + 1);
        sig = test_sign_input(&ed, input, strlen(input));
        return test_strdupf("%s.%s", input, sig);
}

/* A real, validly signed store head offered as a grant. */
static char *b_head(const struct row *r) {
        return test_head_token(&ed, TEST_NOW, NULL);
}

/* Nesting op levels deep: in the payload (an extra claim) or, with a
 * header set on the row, in an extra header member. Top level is depth 1,
 * so op - 1 brackets go inside. */
static char *nested(int depth) {
        _cleanup_free_ char *open = test_strrep('[', (size_t) depth - 1);
        _cleanup_free_ char *close = test_strrep(']', (size_t) depth - 1);

        return test_strdupf("%s%s", open, close);
}

static char *b_deep_payload(const struct row *r) {
        _cleanup_free_ char *deep = nested(r->op);
        const struct test_member set[] = {{"x", deep}, {}};
        _cleanup_free_ char *h = row_header(r), *p = test_grant_claims(TEST_NOW, set);

        return test_sign(&ed, h, p);
}

static char *b_deep_header(const struct row *r) {
        _cleanup_free_ char *deep = nested(r->op);
        _cleanup_free_ char *h = test_strdupf(
                "{\"alg\":\"EdDSA\",\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\",\"x\":%s}", deep);
        _cleanup_free_ char *p = row_payload(r);

        return test_sign(&ed, h, p);
}

/* A header whose decoded JSON is op bytes long (an extra string member). */
static char *b_big_header(const struct row *r) {
        static const char fmt[] =
                "{\"alg\":\"EdDSA\",\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\",\"x\":\"\"}";
        _cleanup_free_ char *pad = test_strrep('a', (size_t) r->op - (sizeof(fmt) - 1));
        _cleanup_free_ char *h = test_strdupf(
                "{\"alg\":\"EdDSA\",\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\",\"x\":\"%s\"}", pad);
        _cleanup_free_ char *p = row_payload(r);

        assert_int_equal(strlen(h), (size_t) r->op);
        return test_sign(&ed, h, p);
}

/* A validly signed grant with an extra claim of op bytes: op 0 makes the
 * token exactly JIT_GRANT_TOKEN_MAX bytes long. */
static char *b_big(const struct row *r) {
        _cleanup_free_ char *h = row_header(r);

        if (r->op > 0) {
                _cleanup_free_ char *pad = test_strrep('a', (size_t) r->op);
                _cleanup_free_ char *v = test_strdupf("\"%s\"", pad);
                const struct test_member set[] = {{"pad", v}, {}};
                _cleanup_free_ char *p = test_grant_claims(TEST_NOW, set);

                return test_sign(&ed, h, p);
        }
        /* base64url lengths skip the values 1 mod 4, so also vary the
         * header by one byte until the total is exact. */
        for (size_t extra = 0; extra < 4; extra++) {
                _cleanup_free_ char *hx = NULL, *probe = NULL;
                size_t base;

                hx = test_strdupf(
                        "{\"alg\":\"EdDSA\",\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\"%s}",
                        extra == 0   ? ""
                        : extra == 1 ? ",\"x\":\"\""
                        : extra == 2 ? ",\"x\":\"a\""
                                     : ",\"x\":\"aa\"");
                {
                        const struct test_member set[] = {{"pad", "\"\""}, {}};
                        _cleanup_free_ char *p = test_grant_claims(TEST_NOW, set);

                        probe = test_sign(&ed, hx, p);
                }
                base = strlen(probe);
                for (size_t n = (JIT_GRANT_TOKEN_MAX - base) * 3 / 4 - 4;
                     n < (JIT_GRANT_TOKEN_MAX - base) * 3 / 4 + 4; n++) {
                        _cleanup_free_ char *pad = test_strrep('a', n);
                        _cleanup_free_ char *v = test_strdupf("\"%s\"", pad);
                        const struct test_member set[] = {{"pad", v}, {}};
                        _cleanup_free_ char *p = test_grant_claims(TEST_NOW, set);
                        char *t = test_sign(&ed, hx, p);

                        if (strlen(t) == JIT_GRANT_TOKEN_MAX)
                                return t;
                        free(t);
                }
        }
        fail_msg("could not build a token of exactly JIT_GRANT_TOKEN_MAX bytes");
        return NULL;
}

#define S(s) "\"" s "\""
#define A300 /* 300 a */                                                                           \
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"              \
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"              \
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"              \
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define J128                                                                                       \
        "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj"                         \
        "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj"
#define U32 "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu"
_Static_assert(sizeof(A300) == 301, "A300");
_Static_assert(sizeof(J128) == 129, "J128");
_Static_assert(sizeof(U32) == 33, "U32");

/* clang-format off */
static const struct row bad[] = {
        /* alg */
        {"alg none, unsigned (empty signature segment)", b_unsigned, .header = GRANT_HDR("none"), .reason = JIT_REASON_ALG_NONE},
        {"alg none, with a valid Ed25519 signature", .header = GRANT_HDR("none"), .reason = JIT_REASON_ALG_NONE},
        {"alg NONE", .header = GRANT_HDR("NONE"), .reason = JIT_REASON_ALG_NONE},
        {"alg nOnE", .header = GRANT_HDR("nOnE"), .reason = JIT_REASON_ALG_NONE},
        {"alg none without kid", .header = "{\"alg\":\"none\",\"typ\":\"jit-grant+jwt\"}", .reason = JIT_REASON_ALG_NONE},
        {"HS256, secret = raw Ed25519 public key", b_hmac, .header = GRANT_HDR("HS256"), .op = 256 << 8 | 1, .reason = JIT_REASON_ALG_HMAC},
        {"HS256, secret = JWKS text", b_hmac, .header = GRANT_HDR("HS256"), .op = 256 << 8 | 2, .reason = JIT_REASON_ALG_HMAC},
        {"HS256, secret = JWK text", b_hmac, .header = GRANT_HDR("HS256"), .op = 256 << 8 | 3, .reason = JIT_REASON_ALG_HMAC},
        {"HS512, secret = raw Ed25519 public key", b_hmac, .header = GRANT_HDR("HS512"), .op = 512 << 8 | 1, .reason = JIT_REASON_ALG_HMAC},
        {"HS384 signed with Ed25519", .header = GRANT_HDR("HS384"), .reason = JIT_REASON_ALG_HMAC},
        {"alg hs256 (lower case)", b_hmac, .header = GRANT_HDR("hs256"), .op = 256 << 8 | 1, .reason = JIT_REASON_ALG_HMAC},
        {"alg ES256 on an EdDSA kid", .header = GRANT_HDR("ES256"), .reason = JIT_REASON_ALG_MISMATCH},
        {"alg ES256 on an EdDSA kid, signed by the ES256 key", b_signed_by, .header = GRANT_HDR("ES256"), .op = 1, .reason = JIT_REASON_ALG_MISMATCH},
        {"alg EdDSA on an ES256 kid", .header = HDR("EdDSA", "jit-grant+jwt", "es-1"), .reason = JIT_REASON_ALG_MISMATCH},
        {"alg Ed25519 on an ES256 kid", .header = HDR("Ed25519", "jit-grant+jwt", "es-1"), .reason = JIT_REASON_ALG_MISMATCH},
        {"alg RS256 on an EdDSA kid", .header = GRANT_HDR("RS256"), .reason = JIT_REASON_ALG_MISMATCH},
        {"alg PS256 on an RS256 kid, PSS-signed", b_signed_by, .header = HDR("PS256", "jit-grant+jwt", "rs-1"), .op = 4, .reason = JIT_REASON_ALG_MISMATCH},
        {"alg ES256K", .header = GRANT_HDR("ES256K"), .reason = JIT_REASON_ALG_UNKNOWN},
        {"alg eddsa (wrong case)", .header = GRANT_HDR("eddsa"), .reason = JIT_REASON_ALG_UNKNOWN},
        {"alg empty string", .header = GRANT_HDR(""), .reason = JIT_REASON_ALG_UNKNOWN},
        {"alg missing", .header = "{\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\"}", .reason = JIT_REASON_ALG_UNKNOWN},
        {"alg a number", .header = "{\"alg\":1,\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\"}", .reason = JIT_REASON_ALG_UNKNOWN},
        {"alg null", .header = "{\"alg\":null,\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\"}", .reason = JIT_REASON_ALG_UNKNOWN},
        {"alg an array", .header = "{\"alg\":[\"EdDSA\"],\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\"}", .reason = JIT_REASON_ALG_UNKNOWN},
        /* kid */
        {"kid unknown", .header = HDR("EdDSA", "jit-grant+jwt", "nobody"), .reason = JIT_REASON_KID_UNKNOWN},
        {"kid missing", .header = "{\"alg\":\"EdDSA\",\"typ\":\"jit-grant+jwt\"}", .reason = JIT_REASON_KID_UNKNOWN},
        {"kid a number", .header = "{\"alg\":\"EdDSA\",\"typ\":\"jit-grant+jwt\",\"kid\":1}", .reason = JIT_REASON_KID_UNKNOWN},
        {"kid with different case", .header = HDR("EdDSA", "jit-grant+jwt", "ED-1"), .reason = JIT_REASON_KID_UNKNOWN},
        /* signature */
        {"signature: first byte flipped", b_flip, .op = 0, .reason = JIT_REASON_SIGNATURE},
        {"signature: middle byte flipped", b_flip, .op = 32, .reason = JIT_REASON_SIGNATURE},
        {"signature: last byte flipped", b_flip, .op = -1, .reason = JIT_REASON_SIGNATURE},
        {"signature of a different payload", b_other_sig, .reason = JIT_REASON_SIGNATURE},
        {"signed by an untrusted key reusing a trusted kid", b_signed_by, .op = 2, .reason = JIT_REASON_SIGNATURE},
        {"signature 63 bytes", b_sig_len, .op = 63, .reason = JIT_REASON_SIGNATURE},
        {"signature 65 bytes", b_sig_len, .op = 65, .reason = JIT_REASON_SIGNATURE},
        {"signature 1 byte", b_sig_len, .op = 1, .reason = JIT_REASON_SIGNATURE},
        {"signature 128 bytes (a valid one, then zeros)", b_sig_len, .op = 128, .reason = JIT_REASON_SIGNATURE},
        /* compact form */
        {"empty token", b_edit, .op = OP_EMPTY, .reason = JIT_REASON_MALFORMED},
        {"truncated: last character dropped (85 chars, 1 mod 4)", b_edit, .op = OP_DROP_LAST_CHAR, .reason = JIT_REASON_BASE64},
        {"truncated: signature dropped, dot kept", b_edit, .op = OP_DROP_SIG, .reason = JIT_REASON_SIGNATURE},
        {"truncated: everything after the first dot dropped", b_edit, .op = OP_AFTER_FIRST_DOT, .reason = JIT_REASON_MALFORMED},
        {"two segments", b_edit, .op = OP_TWO_SEGMENTS, .reason = JIT_REASON_MALFORMED},
        {"four segments", b_edit, .op = OP_FOUR_SEGMENTS, .reason = JIT_REASON_MALFORMED},
        {"five segments (JWE-like)", b_edit, .op = OP_FIVE_SEGMENTS, .reason = JIT_REASON_MALFORMED},
        {"trailing garbage after the token: sig.x", b_edit, .op = OP_TRAILING_DOT_X, .reason = JIT_REASON_MALFORMED},
        {"trailing space after the signature", b_edit, .op = OP_TRAILING_SPACE, .reason = JIT_REASON_BASE64},
        {"trailing newline after the signature", b_edit, .op = OP_TRAILING_NEWLINE, .reason = JIT_REASON_BASE64},
        {"leading space before the header", b_edit, .op = OP_LEADING_SPACE, .reason = JIT_REASON_BASE64},
        {"space after the first dot (payload segment)", b_edit, .op = OP_SPACE_AFTER_DOT, .reason = JIT_REASON_SIGNATURE},
        {"empty header segment", b_edit, .op = OP_EMPTY_HEADER, .reason = JIT_REASON_MALFORMED},
        {"empty payload segment (signature of another input)", b_edit, .op = OP_EMPTY_PAYLOAD, .reason = JIT_REASON_SIGNATURE, .alt = JIT_REASON_MALFORMED},
        {"'=' padding on the header", b_edit, .op = OP_HEADER_PAD, .reason = JIT_REASON_BASE64},
        {"'=' padding on the signature", b_edit, .op = OP_SIG_PAD, .reason = JIT_REASON_BASE64},
        {"'+' in the signature", b_edit, .op = OP_SIG_PLUS, .reason = JIT_REASON_BASE64},
        {"'/' in the header", b_edit, .op = OP_HEADER_SLASH, .reason = JIT_REASON_BASE64},
        {"NUL byte instead of the first dot", b_edit, .op = OP_NUL_INSIDE, .reason = JIT_REASON_MALFORMED},
        {"'=' padding on the payload, validly signed", b_raw_payload_segment, .op = 0, .reason = JIT_REASON_BASE64},
        {"'+' in the payload, validly signed", b_raw_payload_segment, .op = 1, .reason = JIT_REASON_BASE64},
        {"token of JIT_GRANT_TOKEN_MAX + 1 bytes", b_edit, .op = OP_OVER_CAP, .reason = JIT_REASON_TOO_LARGE},
        {"1 MiB token, validly signed", b_big, .op = 1024 * 1024, .reason = JIT_REASON_TOO_LARGE},
        /* header */
        {"header not JSON", .header = "{alg:EdDSA}", .reason = JIT_REASON_JSON},
        {"header single-quoted JSON", .header = "{'alg':'EdDSA','typ':'jit-grant+jwt','kid':'ed-1'}", .reason = JIT_REASON_JSON},
        {"header an array", .header = "[\"EdDSA\"]", .reason = JIT_REASON_JSON},
        {"header trailing garbage", .header = GRANT_HDR("EdDSA") "x", .reason = JIT_REASON_JSON},
        {"header duplicate alg (EdDSA then none)", .header = "{\"alg\":\"EdDSA\",\"alg\":\"none\",\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\"}", .reason = JIT_REASON_JSON_DUPLICATE},
        {"header duplicate kid", .header = "{\"alg\":\"EdDSA\",\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\",\"kid\":" "\"nobody\"}", .reason = JIT_REASON_JSON_DUPLICATE},
        {"header nested 17 deep", b_deep_header, .op = 17, .reason = JIT_REASON_JSON_DEPTH},
        {"header nested 1000 deep", b_deep_header, .op = 1000, .reason = JIT_REASON_JSON_DEPTH},
        {"header of JIT_HEADER_JSON_MAX + 1 bytes", b_big_header, .op = JIT_HEADER_JSON_MAX + 1, .reason = JIT_REASON_TOO_LARGE},
        {"typ missing", .header = "{\"alg\":\"EdDSA\",\"kid\":\"ed-1\"}", .reason = JIT_REASON_TYP},
        {"typ JWT", .header = HDR("EdDSA", "JWT", "ed-1"), .reason = JIT_REASON_TYP},
        {"typ jit-head+jwt: a real signed store head", b_head, .reason = JIT_REASON_TYP},
        {"typ JIT-GRANT+JWT (case)", .header = HDR("EdDSA", "JIT-GRANT+JWT", "ed-1"), .reason = JIT_REASON_TYP},
        {"typ application/jit-grant+jwt", .header = HDR("EdDSA", "application/jit-grant+jwt", "ed-1"), .reason = JIT_REASON_TYP},
        {"typ with a trailing space", .header = HDR("EdDSA", "jit-grant+jwt ", "ed-1"), .reason = JIT_REASON_TYP},
        {"typ a number", .header = "{\"alg\":\"EdDSA\",\"typ\":1,\"kid\":\"ed-1\"}", .reason = JIT_REASON_TYP},
        {"crit [\"exp\"]", .header = "{\"alg\":\"EdDSA\",\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\",\"crit\":[" "\"exp\"]}", .reason = JIT_REASON_CRIT},
        {"crit []", .header = "{\"alg\":\"EdDSA\",\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\",\"crit\":[]}", .reason = JIT_REASON_CRIT},
        {"crit null", .header = "{\"alg\":\"EdDSA\",\"typ\":\"jit-grant+jwt\",\"kid\":\"ed-1\",\"crit\":null}", .reason = JIT_REASON_CRIT},
        /* payload JSON */
        {"payload duplicate sub (alice, then root)", .set = {{"+sub", S("root")}}, .reason = JIT_REASON_JSON_DUPLICATE},
        {"payload duplicate exp", .set = {{"+exp", "@999999"}}, .reason = JIT_REASON_JSON_DUPLICATE},
        {"payload duplicate sub, escaped (\\u0073ub)", .set = {{"+\\u0073ub", S("root")}}, .reason = JIT_REASON_JSON_DUPLICATE},
        {"payload an array", .payload = "[{\"sub\":\"alice\"}]", .reason = JIT_REASON_JSON},
        {"payload a string", .payload = "\"alice\"", .reason = JIT_REASON_JSON},
        {"payload empty", .payload = "", .reason = JIT_REASON_JSON, .alt = JIT_REASON_MALFORMED},
        {"payload trailing garbage after the object", .payload = "{\"sub\":\"alice\"}x", .reason = JIT_REASON_JSON},
        {"payload two objects", .payload = "{}{}", .reason = JIT_REASON_JSON},
        {"payload nested 17 deep", b_deep_payload, .op = 17, .reason = JIT_REASON_JSON_DEPTH},
        {"payload nested 1000 deep", b_deep_payload, .op = 1000, .reason = JIT_REASON_JSON_DEPTH},
        {"invalid UTF-8 in reason (\\xff)", .set = {{"reason", "\"a\xff\""}}, .reason = JIT_REASON_JSON},
        {"overlong UTF-8 '/' in reason (\\xc0\\xaf)", .set = {{"reason", "\"a\xc0\xaf\""}}, .reason = JIT_REASON_JSON},
        {"lone surrogate \\ud800 in ticket", .set = {{"ticket", S("\\ud800")}}, .reason = JIT_REASON_JSON},
        {"lone low surrogate \\udc00 in reason", .set = {{"reason", S("\\udc00")}}, .reason = JIT_REASON_JSON},
        {"sub containing \\u0000", .set = {{"sub", S("alice\\u0000root")}}, .reason = JIT_REASON_JSON},
        {"raw control byte in a JSON string", .set = {{"reason", "\"a\tb\""}}, .reason = JIT_REASON_JSON},
        /* times */
        {"exp a string", .set = {{"exp", S("1800001800")}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"exp 1.0-style float", .set = {{"exp", "1800001800.0"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"exp in exponent form", .set = {{"exp", "1.8000018e9"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"exp null", .set = {{"exp", "null"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"nbf a float", .set = {{"nbf", "1799999990.5"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"iat a boolean", .set = {{"iat", "true"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"exp negative", .set = {{"exp", "-1"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"exp 2^53", .set = {{"exp", "9007199254740992"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"exp JIT_TIME_MAX + 1", .set = {{"exp", "253402300800"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"exp 99999999999999999999 (overflows int64)", .set = {{"exp", "99999999999999999999"}}, .reason = JIT_REASON_CLAIM_RANGE, .alt = JIT_REASON_CLAIM_TYPE},
        {"iat negative", .set = {{"iat", "-5"}, {"nbf", "@-10"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"iat missing", .set = {{"iat", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        {"exp missing", .set = {{"exp", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        {"exp before nbf", .set = {{"exp", "@-20"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"exp equal to nbf", .set = {{"exp", "@-10"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"expired long ago", .at = 100000, .reason = JIT_REASON_EXPIRED},
        {"expired: now exactly exp (no leeway on exp)", .at = 1800, .reason = JIT_REASON_EXPIRED},
        {"not yet valid: nbf = now + skew + 1", .set = {{"nbf", "@61"}}, .reason = JIT_REASON_NOT_YET_VALID},
        {"issued in the future: iat = now + skew + 1 (nbf defaults to iat)", .set = {{"iat", "@61"}, {"nbf", NULL}}, .reason = JIT_REASON_ISSUED_IN_FUTURE},
        {"TTL 12 h + 1 s", .set = {{"exp", "@43191"}}, .reason = JIT_REASON_TTL},
        {"TTL a year", .set = {{"exp", "@31536000"}}, .reason = JIT_REASON_TTL},
        /* iss, jti */
        {"iss untrusted", .set = {{"iss", S("https://evil.example.com")}}, .reason = JIT_REASON_ISSUER},
        {"iss trusted one with a trailing slash", .set = {{"iss", S(TEST_ISSUER "/")}}, .reason = JIT_REASON_ISSUER},
        {"iss missing", .set = {{"iss", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        {"iss a number", .set = {{"iss", "1"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"jti with '/'", .set = {{"jti", S("g/1")}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"jti ../../etc/passwd", .set = {{"jti", S("../../etc/passwd")}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"jti 129 characters", .set = {{"jti", S(J128 "j")}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"jti missing", .set = {{"jti", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        /* sub */
        {"sub with '/'", .set = {{"sub", S("al/ice")}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"sub ..", .set = {{"sub", S("..")}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"sub 123 (all digits)", .set = {{"sub", S("123")}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"sub -alice (leading dash)", .set = {{"sub", S("-alice")}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"sub 33 characters", .set = {{"sub", S(U32 "u")}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"sub 300 characters", .set = {{"sub", S(A300)}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"sub missing", .set = {{"sub", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        {"sub an array", .set = {{"sub", "[\"alice\"]"}}, .reason = JIT_REASON_CLAIM_TYPE},
        /* aud */
        {"aud a string", .set = {{"aud", S("env=prod")}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"aud empty", .set = {{"aud", "[]"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"aud [\"*\"]", .set = {{"aud", "[\"*\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"aud env=*", .set = {{"aud", "[\"env=*\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"aud env=prod, (trailing comma)", .set = {{"aud", "[\"env=prod,\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"aud without '='", .set = {{"aud", "[\"prod\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"aud with a number entry", .set = {{"aud", "[\"env=prod\",1]"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"aud missing", .set = {{"aud", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        /* scope */
        {"scope [\"root\"]", .set = {{"scope", "[\"root\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"scope [\"ssh\",\"admin\"]", .set = {{"scope", "[\"ssh\",\"admin\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"scope [\"SSH\"]", .set = {{"scope", "[\"SSH\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"scope empty", .set = {{"scope", "[]"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"scope a string", .set = {{"scope", S("ssh")}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"scope missing", .set = {{"scope", NULL}}, .reason = JIT_REASON_CLAIM_MISSING},
        /* runas, keys, bind, free text */
        {"runas [\"../root\"]", .set = {{"runas", "[\"../root\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"runas empty", .set = {{"runas", "[]"}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"runas with an empty entry", .set = {{"runas", "[\"root\",\"\"]"}}, .reason = JIT_REASON_CLAIM_RANGE, .alt = JIT_REASON_CLAIM_VALUE},
        {"runas a string", .set = {{"runas", S("root")}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"keys with an options prefix", .set = {{"keys", "[\"command=\\\"sh\\\" " TEST_SSH_KEY "\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"keys with an embedded newline (second line)", .set = {{"keys", "[\"" TEST_SSH_KEY "\\nssh-ed25519 " "AAAAC3NzaC1lZDI1NTE5AAAAIOYutIWbJAOOXc/0ewM3+knrMQdCW440J9t2JT1vOkDq evil\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"keys not a key", .set = {{"keys", "[\"hello\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"keys blob type mismatch (ssh-rsa label)", .set = {{"keys", "[\"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOYutIWbJAOOXc/0ewM3+knrMQdCW440J9t2JT1vOkDq " "t\"]"}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"keys a string", .set = {{"keys", S(TEST_SSH_KEY)}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"bind forever", .set = {{"bind", S("forever")}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"bind true", .set = {{"bind", "true"}}, .reason = JIT_REASON_CLAIM_TYPE},
        {"ticket with \\n", .set = {{"ticket", S("INC-1\\nJIT_RESULT=allow")}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"approver with \\u007f", .set = {{"approver", S("bob\\u007f")}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"reason with \\u001b (terminal escape)", .set = {{"reason", S("\\u001b[2J")}}, .reason = JIT_REASON_CLAIM_VALUE},
        {"reason over 1024 bytes", .set = {{"reason", S(A300 A300 A300 A300)}}, .reason = JIT_REASON_CLAIM_RANGE},
        {"approver over 256 bytes", .set = {{"approver", S(A300)}}, .reason = JIT_REASON_CLAIM_RANGE},
};
/* clang-format on */

/* clang-format off */
static const struct row good[] = {
        {"default grant"},
        {"alg Ed25519 (RFC 9864) for an EdDSA key", .header = GRANT_HDR("Ed25519")},
        {"fixed \"alg ES256 on an EdDSA kid\": alg EdDSA", .header = GRANT_HDR("EdDSA")},
        {"fixed \"alg EdDSA on an ES256 kid\": signed by the ES256 key as ES256", b_signed_by, .header = HDR("ES256", "jit-grant+jwt", "es-1"), .op = 1},
        {"EdDSA signed by OpenSSL directly", b_signed_by, .op = 0},
        {"fixed \"expired\": now = exp - 1", .at = 1800 - 1},
        {"fixed \"not yet valid\": nbf = now + skew", .set = {{"nbf", "@60"}}},
        {"fixed \"issued in the future\": iat = now + skew", .set = {{"iat", "@60"}, {"nbf", NULL}}},
        {"fixed \"TTL\": exactly 12 h", .set = {{"exp", "@43190"}}},
        {"fixed \"iss untrusted\": trusted iss", .set = {{"iss", S(TEST_ISSUER)}}},
        {"fixed \"jti 129\": 128 characters", .set = {{"jti", S(J128)}}},
        {"jti of every allowed character class", .set = {{"jti", S("A-z_0.9:x")}}},
        {"fixed \"sub 33\": 32 characters", .set = {{"sub", S(U32)}}},
        {"fixed \"exp equal to nbf\": exp = nbf + 1", .set = {{"exp", "@-9"}}, .at = -10},
        {"unknown claims with nested objects are ignored", .set = {{"x-ext", "{\"a\":{\"b\":[1,{\"c\":null}]}}"}, {"amr", "[\"mfa\"]"}}},
        {"payload nested exactly 16 deep", b_deep_payload, .op = 16},
        {"header nested exactly 16 deep", b_deep_header, .op = 16},
        {"header of exactly JIT_HEADER_JSON_MAX bytes", b_big_header, .op = JIT_HEADER_JSON_MAX},
        {"token of exactly JIT_GRANT_TOKEN_MAX bytes", b_big, .op = 0},
        {"a valid UTF-8 and escaped reason", .set = {{"reason", S("d\xc3\xa9ploiement \\u00e9 \\ud83d\\ude00 \\\"q\\\"")}}},
        {"keys with a valid key", .set = {{"keys", "[\"" TEST_SSH_KEY "\"]"}}},
        {"RS256", b_signed_by, .header = HDR("RS256", "jit-grant+jwt", "rs-1"), .op = 3},
        {"PS256", b_signed_by, .header = HDR("PS256", "jit-grant+jwt", "ps-1"), .op = 4},
};
/* clang-format on */

static char *build_row(const struct row *r) {
        edited_len = 0;
        return (r->build ? r->build : b_signed)(r);
}

static void test_bad_rows(void **state) {
        unsigned failed = 0;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const struct row *r = &bad[i];
                _cleanup_free_ char *token = build_row(r);
                size_t len = edited_len > 0 ? edited_len : strlen(token);
                struct grant *g = NULL;
                struct jit_error err = {};
                int k;

                k = grant_verify(token, len, ts, test_policy(), TEST_NOW + r->at, &g, &err);
                if (!test_check_reason(r->name, k, &err, r->reason, r->alt))
                        failed++;
                else if (g) {
                        print_error("%s: *ret set on failure\n", r->name);
                        failed++;
                }
                grant_free(g);
        }
        print_message("%zu rejected-token rows, %u failed\n", ELEMENTSOF(bad), failed);
        assert_int_equal(failed, 0);
}

static void test_good_rows(void **state) {
        unsigned failed = 0;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                const struct row *r = &good[i];
                _cleanup_free_ char *token = build_row(r);
                _cleanup_(grant_freep) struct grant *g = NULL;
                struct jit_error err = {};
                int k;

                k = grant_verify(token, strlen(token), ts, test_policy(), TEST_NOW + r->at, &g,
                                 &err);
                if (k < 0 || !g) {
                        print_error("%s: expected success, got %d (%s: %s)\n", r->name, k,
                                    jit_reason_to_string(err.reason), err.message);
                        failed++;
                }
        }
        print_message("%zu accepted-token rows, %u failed\n", ELEMENTSOF(good), failed);
        assert_int_equal(failed, 0);
}

/* The time checks belong to grant_check_time(): grant_from_token() accepts
 * an expired grant; the start moves with the policy's skew, the end never. */
static void test_check_time(void **state) {
        _cleanup_free_ char *token = test_grant_token(&ed, TEST_NOW, NULL);
        _cleanup_(grant_freep) struct grant *g = NULL;
        struct grant_policy p = *test_policy();
        struct jit_error err = {};
        int64_t exp = TEST_NOW + 1800, nbf = TEST_NOW - 10;

        assert_ok(grant_from_token(token, strlen(token), ts, &p, &g, &err), &err);
        /* clock_skew widens the start only: the grant ends at exp. */
        assert_ok(grant_check_time(g, &p, exp - 1, &err), &err);
        assert_reason(grant_check_time(g, &p, exp, &err), &err, JIT_REASON_EXPIRED);
        assert_reason(grant_check_time(g, &p, INT64_C(253402300799), &err), &err,
                      JIT_REASON_EXPIRED);
        assert_ok(grant_check_time(g, &p, nbf - 60, &err), &err);
        /* iat == nbf here: before both, the iat check speaks first */
        assert_reason(grant_check_time(g, &p, nbf - 61, &err), &err, JIT_REASON_ISSUED_IN_FUTURE);

        p.clock_skew = 0;
        assert_ok(grant_check_time(g, &p, exp - 1, &err), &err);
        assert_reason(grant_check_time(g, &p, exp, &err), &err, JIT_REASON_EXPIRED);
        assert_ok(grant_check_time(g, &p, nbf, &err), &err);
        assert_reason(grant_check_time(g, &p, nbf - 1, &err), &err, JIT_REASON_ISSUED_IN_FUTURE);
}

/* nbf later than iat: before nbf is NOT_YET_VALID, not ISSUED_IN_FUTURE. */
static void test_check_time_nbf(void **state) {
        static const struct test_member set[] = {{"iat", "@-10"}, {"nbf", "@600"}, {}};
        _cleanup_free_ char *token = test_grant_token(&ed, TEST_NOW, set);
        _cleanup_(grant_freep) struct grant *g = NULL;
        struct jit_error err = {};

        assert_ok(grant_from_token(token, strlen(token), ts, test_policy(), &g, &err), &err);
        assert_reason(grant_check_time(g, test_policy(), TEST_NOW, &err), &err,
                      JIT_REASON_NOT_YET_VALID);
        assert_reason(grant_check_time(g, test_policy(), TEST_NOW + 539, &err), &err,
                      JIT_REASON_NOT_YET_VALID);
        assert_ok(grant_check_time(g, test_policy(), TEST_NOW + 540, &err), &err);
}

static void assert_strv(char *const *l, const char *const *want) {
        size_t n = 0;

        assert_non_null(l);
        for (; want[n]; n++) {
                assert_non_null(l[n]);
                assert_string_equal(l[n], want[n]);
        }
        assert_null(l[n]);
}

/* Every field of a full grant, for each algorithm. */
static void check_full_grant(const struct test_key *k, bool libjit_signer) {
        static const struct test_member set[] = {{"aud", "[\"env=prod,role=db\",\"host=web-1\"]"},
                                                 {"keys", "[\"" TEST_SSH_KEY "\"]"},
                                                 {"bind", S("session")},
                                                 {"runas", "[\"root\",\"postgres\"]"},
                                                 {}};
        _cleanup_free_ char *header = test_header(jws_alg_to_string(k->alg), JWS_TYP_GRANT, k->kid);
        _cleanup_free_ char *claims = test_grant_claims(TEST_NOW, set);
        _cleanup_free_ char *token =
                libjit_signer ? test_sign(k, header, claims) : test_sign_openssl(k, header, claims);
        _cleanup_(grant_freep) struct grant *g = NULL;
        struct jit_error err = {};

        assert_ok(grant_verify(token, strlen(token), ts, test_policy(), TEST_NOW, &g, &err), &err);
        assert_non_null(g);
        assert_string_equal(g->iss, TEST_ISSUER);
        assert_string_equal(g->jti, "g-1");
        assert_string_equal(g->sub, "alice");
        assert_strv(g->aud, (const char *[]){"env=prod,role=db", "host=web-1", NULL});
        assert_int_equal(g->iat, TEST_NOW - 10);
        assert_int_equal(g->nbf, TEST_NOW - 10);
        assert_int_equal(g->exp, TEST_NOW + 1800);
        assert_int_equal(g->scope, GRANT_SCOPE_SSH | GRANT_SCOPE_SUDO);
        assert_strv(g->runas, (const char *[]){"root", "postgres", NULL});
        assert_strv(g->keys, (const char *[]){TEST_SSH_KEY, NULL});
        assert_true(g->bind_session);
        assert_string_equal(g->reason, "test");
        assert_string_equal(g->ticket, "INC-1");
        assert_string_equal(g->approver, "bob");
}

static void test_full_eddsa(void **state) {
        check_full_grant(&ed, true);
}

static void test_full_es256(void **state) {
        check_full_grant(&es, true);
        check_full_grant(&es, false);
}

static void test_full_rs256(void **state) {
        check_full_grant(&rs, true);
        check_full_grant(&rs, false);
}

static void test_full_ps256(void **state) {
        check_full_grant(&ps, true);
        check_full_grant(&ps, false);
}

/* The defaults: runas ["root"], nbf = iat, no keys, no bind, no free text. */
static void test_minimal_grant(void **state) {
        static const struct test_member set[] = {
                {"nbf", NULL},    {"runas", NULL},  {"ticket", NULL},        {"approver", NULL},
                {"reason", NULL}, {"iat", "@-100"}, {"scope", "[\"sudo\"]"}, {}};
        _cleanup_free_ char *token = test_grant_token(&ed, TEST_NOW, set);
        _cleanup_(grant_freep) struct grant *g = NULL;
        struct jit_error err = {};

        assert_ok(grant_verify(token, strlen(token), ts, test_policy(), TEST_NOW, &g, &err), &err);
        assert_int_equal(g->iat, TEST_NOW - 100);
        assert_int_equal(g->nbf, TEST_NOW - 100);
        assert_int_equal(g->scope, GRANT_SCOPE_SUDO);
        assert_strv(g->runas, (const char *[]){"root", NULL});
        assert_non_null(g->keys);
        assert_null(g->keys[0]);
        assert_false(g->bind_session);
        assert_null(g->reason);
        assert_null(g->ticket);
        assert_null(g->approver);
}

static void test_scope_ssh_only(void **state) {
        static const struct test_member set[] = {{"scope", "[\"ssh\"]"}, {}};
        _cleanup_free_ char *token = test_grant_token(&ed, TEST_NOW, set);
        _cleanup_(grant_freep) struct grant *g = NULL;
        struct jit_error err = {};

        assert_ok(grant_verify(token, strlen(token), ts, test_policy(), TEST_NOW, &g, &err), &err);
        assert_int_equal(g->scope, GRANT_SCOPE_SSH);
}

/* A second issuer in the policy is trusted as well; an empty list trusts none. */
static void test_issuer_list(void **state) {
        static char *const two[] = {(char *) "https://other.example", (char *) TEST_ISSUER, NULL};
        static char *const none[] = {NULL};
        _cleanup_free_ char *token = test_grant_token(&ed, TEST_NOW, NULL);
        struct grant_policy p = *test_policy();
        struct grant *g = NULL;
        struct jit_error err = {};

        p.issuers = two;
        assert_ok(grant_verify(token, strlen(token), ts, &p, TEST_NOW, &g, &err), &err);
        grant_free(g);
        g = NULL;
        p.issuers = none;
        assert_reason(grant_verify(token, strlen(token), ts, &p, TEST_NOW, &g, &err), &err,
                      JIT_REASON_ISSUER);
        assert_null(g);
}

/* A trust store without the signer's kid (one with no keys at all is
 * refused by trust_store_parse()). */
static void test_other_trust_store(void **state) {
        const struct test_key *const only_es[] = {&es};
        _cleanup_(trust_store_freep) struct trust_store *other = test_trust_store(only_es, 1);
        _cleanup_free_ char *token = test_grant_token(&ed, TEST_NOW, NULL);
        struct grant *g = NULL;
        struct jit_error err = {};

        assert_reason(grant_verify(token, strlen(token), other, test_policy(), TEST_NOW, &g, &err),
                      &err, JIT_REASON_KID_UNKNOWN);
        assert_null(g);
}

/* grant_from_claims directly: the same rules without a signature. */
static void test_from_claims(void **state) {
        static const struct test_member bad_sub[] = {{"sub", S("..")}, {}};
        _cleanup_free_ char *ok = test_grant_claims(TEST_NOW, NULL);
        _cleanup_free_ char *bad_text = test_grant_claims(TEST_NOW, bad_sub);
        _cleanup_json_ struct json_object *o1 = json_tokener_parse(ok);
        _cleanup_json_ struct json_object *o2 = json_tokener_parse(bad_text);
        _cleanup_(grant_freep) struct grant *g = NULL;
        struct grant *g2 = NULL;
        struct jit_error err = {};

        assert_non_null(o1);
        assert_non_null(o2);
        assert_ok(grant_from_claims(o1, &g, &err), &err);
        assert_string_equal(g->sub, "alice");
        assert_reason(grant_from_claims(o2, &g2, &err), &err, JIT_REASON_CLAIM_VALUE);
        assert_null(g2);
}

struct applies_row {
        const char *aud;
        bool want;
};

static void test_applies_to_host(void **state) {
        static const struct applies_row rows[] = {
                {"[\"env=prod\"]", true},
                {"[\"host=pay-db-1\"]", true},
                {"[\"role=db\"]", true},
                {"[\"env=prod,role=db\"]", true},
                {"[\"role=db,env=prod\"]", true},
                {"[\"env=prod,role=db,host=pay-db-1\"]", true},
                {"[\"env=staging\",\"role=db\"]", true},
                {"[\"host=web-1\",\"host=web-2\",\"host=pay-db-1\"]", true},
                {"[\"env=staging\"]", false},
                {"[\"env=prod,role=web\"]", false},
                {"[\"env=prod,region=eu\"]", false},
                {"[\"region=eu\"]", false},
                {"[\"host=pay-db-2\",\"env=dev\"]", false},
                {"[\"env=Prod\"]", false},
                {"[\"env=pro\"]", false},
                {"[\"env=prod1\"]", false},
                {"[\"host=pay-db\"]", false},
                {"[\"Env=prod\"]", false},
        };
        struct host_facts f;

        test_host_facts(&f);
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const struct test_member set[] = {{"aud", rows[i].aud}, {}};
                _cleanup_free_ char *token = test_grant_token(&ed, TEST_NOW, set);
                _cleanup_(grant_freep) struct grant *g = NULL;
                struct jit_error err = {};

                assert_ok(grant_verify(token, strlen(token), ts, test_policy(), TEST_NOW, &g, &err),
                          &err);
                if (grant_applies_to_host(g, &f) != rows[i].want)
                        fail_msg("aud %s: expected %s", rows[i].aud,
                                 rows[i].want ? "match" : "no match");
        }
        /* A host without facts matches nothing. */
        {
                _cleanup_free_ char *token = test_grant_token(&ed, TEST_NOW, NULL);
                _cleanup_(grant_freep) struct grant *g = NULL;
                struct host_facts empty = {};
                struct jit_error err = {};

                assert_ok(grant_verify(token, strlen(token), ts, test_policy(), TEST_NOW, &g, &err),
                          &err);
                assert_false(grant_applies_to_host(g, &empty));
                host_facts_done(&empty);
        }
        host_facts_done(&f);
}

static void test_allows_runas(void **state) {
        static const struct test_member two[] = {{"runas", "[\"root\",\"postgres\"]"}, {}};
        static const struct test_member dflt[] = {{"runas", NULL}, {}};
        _cleanup_free_ char *t1 = test_grant_token(&ed, TEST_NOW, two);
        _cleanup_free_ char *t2 = test_grant_token(&ed, TEST_NOW, dflt);
        _cleanup_(grant_freep) struct grant *g1 = NULL, *g2 = NULL;
        struct jit_error err = {};

        assert_ok(grant_verify(t1, strlen(t1), ts, test_policy(), TEST_NOW, &g1, &err), &err);
        assert_ok(grant_verify(t2, strlen(t2), ts, test_policy(), TEST_NOW, &g2, &err), &err);

        assert_true(grant_allows_runas(g1, "root"));
        assert_true(grant_allows_runas(g1, "postgres"));
        assert_false(grant_allows_runas(g1, "alice"));
        assert_false(grant_allows_runas(g1, ""));
        assert_false(grant_allows_runas(g1, "Root"));
        assert_false(grant_allows_runas(g1, "roo"));
        assert_false(grant_allows_runas(g1, "root "));
        assert_false(grant_allows_runas(g1, "postgresql"));

        assert_true(grant_allows_runas(g2, "root"));
        assert_false(grant_allows_runas(g2, "postgres"));
        assert_false(grant_allows_runas(g2, "ALL"));
}

static int setup(void **state) {
        const struct test_key *const trusted[] = {&ed, &es, &rs, &ps};

        test_key_init(&ed, JWS_ALG_EDDSA, "ed-1");
        test_key_init(&es, JWS_ALG_ES256, "es-1");
        test_key_init(&rs, JWS_ALG_RS256, "rs-1");
        test_key_init(&ps, JWS_ALG_PS256, "ps-1");
        test_key_init(&rogue, JWS_ALG_EDDSA, "ed-1");
        ts = test_trust_store(trusted, ELEMENTSOF(trusted));
        return 0;
}

static int teardown(void **state) {
        trust_store_free(ts);
        ts = NULL;
        test_key_done(&ed);
        test_key_done(&es);
        test_key_done(&rs);
        test_key_done(&ps);
        test_key_done(&rogue);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_rows),      cmocka_unit_test(test_good_rows),
                cmocka_unit_test(test_check_time),    cmocka_unit_test(test_check_time_nbf),
                cmocka_unit_test(test_full_eddsa),    cmocka_unit_test(test_full_es256),
                cmocka_unit_test(test_full_rs256),    cmocka_unit_test(test_full_ps256),
                cmocka_unit_test(test_minimal_grant), cmocka_unit_test(test_scope_ssh_only),
                cmocka_unit_test(test_issuer_list),   cmocka_unit_test(test_other_trust_store),
                cmocka_unit_test(test_from_claims),   cmocka_unit_test(test_applies_to_host),
                cmocka_unit_test(test_allows_runas),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
