/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Is a 32-byte Ed25519 public key (RFC 8032 §5.1.2 encoding) safe to trust?
 * OpenSSL takes any 32 bytes as a public key and verifies against it: with
 * a point of small order (the identity, for one) a signature R = identity,
 * S = 0 verifies for every message, so anyone could forge. The checks are
 * those libsodium's crypto_sign_verify_detached() makes of a public key: no
 * small-order encoding, a canonical y, and a point on the curve. A key with
 * a small-order component is not refused (nor by libsodium's verifier):
 * signing under it still needs the secret of its prime-order part, so it
 * lets nobody else forge, and the check ([L]P = identity) would cost about
 * 140 us on every PAM call, which loads the trust store each time
 * (docs/decisions.md). Run once per key load, not per signature. */

#include <stdint.h>

enum ed25519_point_flaw {
        ED25519_POINT_OK = 0,
        ED25519_POINT_SMALL_ORDER,   /* order 1, 2, 4 or 8, in any of its encodings */
        ED25519_POINT_NON_CANONICAL, /* y >= p = 2^255 - 19 */
        ED25519_POINT_NOT_ON_CURVE,  /* no x for this y, or x = 0 with the sign bit set */
};

#define ED25519_POINT_BYTES 32

/* The flaw found (ED25519_POINT_OK: none), or -ENOMEM. */
int ed25519_point_check(const uint8_t enc[ED25519_POINT_BYTES]);

/* "is a point of small order", … (for "Ed25519 public key %s") */
const char *ed25519_point_flaw_to_string(enum ed25519_point_flaw flaw);
