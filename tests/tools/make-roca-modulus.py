#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Make a 2048-bit RSA modulus with the structure of CVE-2017-15361 (ROCA).

Infineon's RSALib made primes p = k*M + (65537^a mod M), M the product of
the primes up to a bound (167 for the smallest keys). Such a modulus, taken
mod each prime of the published detector (3..167), lies in the subgroup 65537
generates: the fingerprint common/token/rsa-roca.c tests. The output is the
modulus as base64url (the "n" of a JWK, e = 65537), for tests/unit/test-jwk.c;
the seed makes it reproducible:

    python3 tests/tools/make-roca-modulus.py [SEED]
"""
import base64
import random
import sys

GENERATOR = 65537
PRIMES = [p for p in range(2, 168) if all(p % d for d in range(2, p))]
DETECTOR_PRIMES = PRIMES[1:]  # 3..167: every modulus is odd, 2 tells nothing


def is_probable_prime(n, rng, rounds=40):
    if n < 2:
        return False
    for p in PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def roca_prime(rng, m, bits):
    # p in [1.5 * 2^(bits-1), 2^bits) so that p*q has exactly 2*bits bits
    low, high = 3 << (bits - 2), 1 << bits
    while True:
        a = rng.randrange(1, m)
        r = pow(GENERATOR, a, m)
        k = rng.randrange((low - r) // m + 1, (high - r) // m)
        p = k * m + r
        if low <= p < high and is_probable_prime(p, rng):
            return p


def fingerprinted(n):
    for p in DETECTOR_PRIMES:
        subgroup, x = set(), 1
        while True:
            subgroup.add(x)
            x = x * GENERATOR % p
            if x == 1:
                break
        if n % p not in subgroup:
            return False
    return True


def main():
    rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 15361)
    m = 1
    for p in PRIMES:
        m *= p
    p = roca_prime(rng, m, 1024)
    q = roca_prime(rng, m, 1024)
    n = p * q
    assert n.bit_length() == 2048 and p != q
    assert fingerprinted(n)
    b = n.to_bytes(256, "big")
    print(base64.urlsafe_b64encode(b).rstrip(b"=").decode())


if __name__ == "__main__":
    main()
