/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The ROCA fingerprint (CVE-2017-15361; Nemec et al., "The Return of
 * Coppersmith's Attack", CCS 2017): RSA keys made by Infineon's RSALib
 * (smart cards, TPMs, YubiKey 4 before 4.3.5) have primes of the form
 * k·M + (65537^a mod M), and their private key can be computed from the
 * modulus. Such a modulus, taken mod each small prime p of the test, lies in
 * the subgroup that 65537 generates mod p; a random modulus fails this for
 * some p except with negligible probability. */

#include <openssl/bn.h>

/* 1 if n has the fingerprint, 0 if not, -ENOMEM. */
int rsa_modulus_has_roca_fingerprint(const BIGNUM *n);
