/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <stdbool.h>
#include <string.h>

#include "ed25519-point.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(BN_CTX *, BN_CTX_free);

/* The y coordinates (little endian, sign bit clear) of the 8 points of order
 * 1, 2, 4 and 8, and the two of them that also fit in 255 bits as y + p:
 * the list of libsodium's ge25519_has_small_order(), which compares all but
 * the sign bit. So each y is refused with either sign: y = 0 and each order-8
 * y stand for two points (x and -x); y = 1 and y = p - 1 have x = 0, whose
 * set sign bit is a second encoding of the same point. */
static const uint8_t small_order_y[][ED25519_POINT_BYTES] = {
        /* 0: (±sqrt(-1), 0), order 4 */
        {0x00},
        /* 1: the identity (0, 1), order 1 */
        {0x01},
        /* the two y of the four points of order 8 */
        {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
         0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
         0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
        {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
         0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
         0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
        /* p - 1: (0, -1), order 2 */
        {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
        /* p and p + 1: 0 and 1 again, non-canonical */
        {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
        {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

/* d = -121665/121666 mod p (RFC 8032 §5.1) */
#define ED25519_D_HEX "52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3"

static bool has_small_order(const uint8_t enc[ED25519_POINT_BYTES]) {
        for (size_t i = 0; i < ELEMENTSOF(small_order_y); i++)
                if (memcmp(enc, small_order_y[i], ED25519_POINT_BYTES - 1) == 0 &&
                    (enc[ED25519_POINT_BYTES - 1] & 0x7f) ==
                            small_order_y[i][ED25519_POINT_BYTES - 1])
                        return true;
        return false;
}

struct curve {
        BN_CTX *bn;
        const BIGNUM *p, *d;
};

/* x from y and the sign bit (RFC 8032 §5.1.3); -EDOM if there is none. */
static int recover_x(const struct curve *c, const BIGNUM *y, int sign, BIGNUM *x) {
        BIGNUM *u, *v, *x2;
        int r = -ENOMEM;

        BN_CTX_start(c->bn);
        u = BN_CTX_get(c->bn);
        v = BN_CTX_get(c->bn);
        x2 = BN_CTX_get(c->bn);
        /* x^2 = (y^2 - 1) / (d y^2 + 1); d is not a square, so d y^2 + 1 != 0 */
        if (!x2 || !BN_mod_sqr(u, y, c->p, c->bn) || !BN_mod_mul(v, u, c->d, c->p, c->bn) ||
            !BN_mod_add(v, v, BN_value_one(), c->p, c->bn) ||
            !BN_mod_sub(u, u, BN_value_one(), c->p, c->bn) || !BN_mod_inverse(v, v, c->p, c->bn) ||
            !BN_mod_mul(x2, u, v, c->p, c->bn))
                goto out;
        if (!BN_mod_sqrt(x, x2, c->p, c->bn)) {
                /* not a square: no point has this y (else out of memory) */
                if (ERR_GET_REASON(ERR_peek_last_error()) == BN_R_NOT_A_SQUARE)
                        r = -EDOM;
                ERR_clear_error();
                goto out;
        }
        /* BN_mod_sqrt() checks its result; this keeps the proof local. */
        if (!BN_mod_sqr(u, x, c->p, c->bn))
                goto out;
        if (BN_cmp(u, x2) != 0 || (BN_is_zero(x) && sign)) {
                r = -EDOM;
                goto out;
        }
        if (BN_is_odd(x) != sign && !BN_sub(x, c->p, x))
                goto out;
        r = 0;
out:
        BN_CTX_end(c->bn);
        return r;
}

int ed25519_point_check(const uint8_t enc[ED25519_POINT_BYTES]) {
        _cleanup_(BN_CTX_freep) BN_CTX *bn = NULL;
        uint8_t y_bytes[ED25519_POINT_BYTES];
        BIGNUM *p, *d, *x, *y;
        struct curve c;
        int sign, r;

        if (has_small_order(enc))
                return ED25519_POINT_SMALL_ORDER;

        memcpy(y_bytes, enc, sizeof(y_bytes));
        sign = y_bytes[ED25519_POINT_BYTES - 1] >> 7;
        y_bytes[ED25519_POINT_BYTES - 1] &= 0x7f;

        bn = BN_CTX_new();
        if (!bn)
                return -ENOMEM;
        BN_CTX_start(bn);
        p = BN_CTX_get(bn);
        d = BN_CTX_get(bn);
        x = BN_CTX_get(bn);
        y = BN_CTX_get(bn);
        r = -ENOMEM;
        if (!y || !BN_lebin2bn(y_bytes, sizeof(y_bytes), y) || !BN_hex2bn(&d, ED25519_D_HEX))
                goto out;
        BN_zero(p);
        if (!BN_set_bit(p, 255) || !BN_sub_word(p, 19))
                goto out;

        /* libsodium's ge25519_is_canonical(): y < p */
        if (BN_cmp(y, p) >= 0) {
                r = ED25519_POINT_NON_CANONICAL;
                goto out;
        }

        c = (struct curve){.bn = bn, .p = p, .d = d};
        r = recover_x(&c, y, sign, x);
        if (r == -EDOM) {
                r = ED25519_POINT_NOT_ON_CURVE;
                goto out;
        }
        if (r < 0)
                goto out;
        r = ED25519_POINT_OK;
out:
        BN_CTX_end(bn);
        return r;
}

const char *ed25519_point_flaw_to_string(enum ed25519_point_flaw flaw) {
        switch (flaw) {
        case ED25519_POINT_OK:
                return "is valid";
        case ED25519_POINT_SMALL_ORDER:
                return "is a point of small order: a signature with it proves nothing (anyone "
                       "could forge one)";
        case ED25519_POINT_NON_CANONICAL:
                return "is not canonical (y is 2^255-19 or more)";
        case ED25519_POINT_NOT_ON_CURVE:
                return "is not a point on the curve";
        default:
                return "has an unknown flaw";
        }
}
