#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Interoperability of jitctl with independent JOSE implementations.

(a) grants minted by PyJWT with Ed25519, P-256 and RSA keys verify in jitctl;
(b) keys and grants made by jitctl verify in PyJWT and in jwcrypto;
(c) the classic key-confusion attack (HS256 keyed with the public key) and
    alg "none" are refused by jitctl with the right reason.
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

ISS = "https://idp.example.com"
JITCTL = sys.argv[1] if len(sys.argv) > 1 else sys.exit("usage: test-interop.py PATH-TO-JITCTL")
failures = 0
passes = 0


def check(ok, what, detail=""):
    global failures, passes
    if ok:
        passes += 1
        print(f"ok   - {what}")
    else:
        failures += 1
        print(f"FAIL - {what}")
        if detail:
            for line in str(detail).splitlines()[:30]:
                print(f"       {line}")


def jitctl(*args, stdin=None):
    return subprocess.run([JITCTL, *args], capture_output=True, text=True, input=stdin)


def claims(now, sub="alice"):
    return {
        "iss": ISS,
        "jti": f"interop-{sub}-{now}",
        "sub": sub,
        "aud": ["env=prod"],
        "iat": now,
        "nbf": now,
        "exp": now + 1800,
        "scope": ["ssh", "sudo"],
        "runas": ["root"],
        "ticket": "INC-1",
        "approver": "bob",
        "reason": "interop",
    }


def verify_json(trust, token):
    r = jitctl("verify", "--trust", trust, "--iss", ISS, "--json", token)
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = None
    return r, out


def b64url_json(obj):
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def main():
    tmp = tempfile.mkdtemp(prefix="jit-interop-")
    now = int(time.time())

    # (a) PyJWT mints, jitctl verifies.
    print("# PyJWT-minted grants verified by jitctl")
    keys = {
        "EdDSA": ed25519.Ed25519PrivateKey.generate(),
        "ES256": ec.generate_private_key(ec.SECP256R1()),
        "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }
    jwks = {"keys": []}
    for alg, priv in keys.items():
        pub = jc_jwk.JWK.from_pyca(priv.public_key()).export_public(as_dict=True)
        pub.update({"kid": f"pyjwt-{alg}", "alg": alg, "use": "sig"})
        jwks["keys"].append(pub)
    trust = os.path.join(tmp, "pyjwt.jwks")
    with open(trust, "w") as f:
        json.dump(jwks, f)
    os.chmod(trust, 0o644)

    for alg, priv in keys.items():
        token = jwt.encode(claims(now, sub=f"u{alg.lower()}"), priv, algorithm=alg,
                           headers={"typ": "jit-grant+jwt", "kid": f"pyjwt-{alg}"})
        r, out = verify_json(trust, token)
        check(r.returncode == 0 and out and out["valid"] and out["claims"]["sub"] == f"u{alg.lower()}",
              f"jitctl verify accepts a PyJWT {alg} grant (exit {r.returncode})", r.stdout + r.stderr)
        # The same token with one signature byte changed must fail: proves
        # the check above really verified the signature.
        head, body, sig = token.split(".")
        bad = f"{head}.{body}.{('A' if sig[0] != 'A' else 'B') + sig[1:]}"
        r, out = verify_json(trust, bad)
        check(r.returncode == 1 and out and out["reason"] == "signature",
              f"jitctl verify refuses the {alg} grant with a changed signature", r.stdout + r.stderr)

    # A PyJWT token signed with the ES256 key but claiming the RS256 kid.
    token = jwt.encode(claims(now), keys["ES256"], algorithm="ES256",
                       headers={"typ": "jit-grant+jwt", "kid": "pyjwt-RS256"})
    r, out = verify_json(trust, token)
    check(r.returncode == 1 and out and out["reason"] == "alg-mismatch",
          "jitctl refuses a header alg that differs from the key's (alg-mismatch)", r.stdout + r.stderr)

    # (b) jitctl keygen + issue, verified by PyJWT and jwcrypto.
    print("# jitctl-made grants verified by PyJWT and jwcrypto")
    for alg in ("EdDSA", "ES256"):
        prefix = os.path.join(tmp, f"ctl-{alg}")
        r = jitctl("keygen", "--alg", alg, "--out", prefix)
        check(r.returncode == 0, f"jitctl keygen --alg {alg}", r.stderr)
        if r.returncode != 0:
            continue
        with open(prefix + ".jwks") as f:
            ctl_jwk = json.load(f)["keys"][0]
        r = jitctl("issue", "--key", prefix + ".key", "--iss", ISS, "--sub", "alice",
                   "--aud", "env=prod", "--scope", "ssh", "--ttl", "30m",
                   "--ticket", "INC-2", "--approver", "bob")
        check(r.returncode == 0, f"jitctl issue with the {alg} key", r.stderr)
        if r.returncode != 0:
            continue
        token = r.stdout.strip()

        try:
            key = jwt.PyJWK(ctl_jwk)
            decoded = jwt.decode(token, key=key.key, algorithms=[alg],
                                 options={"verify_aud": False})
            header = jwt.get_unverified_header(token)
            check(decoded["sub"] == "alice" and decoded["iss"] == ISS
                  and header["typ"] == "jit-grant+jwt" and header["kid"] == ctl_jwk["kid"],
                  f"PyJWT verifies the jitctl {alg} grant with the jitctl JWKS")
        except Exception as e:  # noqa: BLE001 - any failure is the finding
            check(False, f"PyJWT verifies the jitctl {alg} grant", repr(e))

        try:
            k = jc_jwk.JWK(**ctl_jwk)
            s = jc_jws.JWS()
            s.deserialize(token)
            s.verify(k, alg=alg)
            payload = json.loads(s.payload)
            check(payload["sub"] == "alice" and s.jose_header["alg"] == alg,
                  f"jwcrypto verifies the jitctl {alg} grant with the jitctl JWKS")
        except Exception as e:  # noqa: BLE001
            check(False, f"jwcrypto verifies the jitctl {alg} grant", repr(e))

        # And a wrong key must not verify in PyJWT: the JWKS really is the key.
        other = jwt.PyJWK(jwks["keys"][0 if alg == "EdDSA" else 1])
        try:
            jwt.decode(token, key=other.key, algorithms=[alg], options={"verify_aud": False})
            check(False, f"PyJWT refuses the jitctl {alg} grant under another key")
        except jwt.InvalidSignatureError:
            check(True, f"PyJWT refuses the jitctl {alg} grant under another key")

    # (c) Key confusion: HS256 keyed with the public key, and alg none.
    print("# algorithm confusion refused by jitctl")
    with open(trust, "rb") as f:
        secret = f.read()
    token = jwt.encode(claims(now), secret, algorithm="HS256",
                       headers={"typ": "jit-grant+jwt", "kid": "pyjwt-EdDSA"})
    r, out = verify_json(trust, token)
    check(r.returncode == 1 and out and out["valid"] is False and out["reason"] == "alg-hmac",
          f"jitctl refuses HS256 keyed with the public JWKS (exit {r.returncode}, reason alg-hmac)",
          r.stdout + r.stderr)
    raw_x = base64.urlsafe_b64decode(jwks["keys"][0]["x"] + "==")
    token = jwt.encode(claims(now), raw_x, algorithm="HS256",
                       headers={"typ": "jit-grant+jwt", "kid": "pyjwt-EdDSA"})
    r, out = verify_json(trust, token)
    check(r.returncode == 1 and out and out["reason"] == "alg-hmac",
          "jitctl refuses HS256 keyed with the raw Ed25519 public key bytes", r.stdout + r.stderr)
    token = (b64url_json({"alg": "none", "typ": "jit-grant+jwt", "kid": "pyjwt-EdDSA"}) + "."
             + b64url_json(claims(now)) + ".AAAA")
    r, out = verify_json(trust, token)
    check(r.returncode == 1 and out and out["reason"] == "alg-none",
          "jitctl refuses alg none (reason alg-none)", r.stdout + r.stderr)

    subprocess.run(["rm", "-rf", tmp], check=False)
    print(f"\n{passes} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
