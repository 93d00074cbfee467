#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the seed corpora of tests/fuzz/corpus/. Run with Debian's python3
(python3-jwcrypto). Valid tokens are signed with the published example keys
of RFC 8037 A.1 (Ed25519) and RFC 7515 A.3 (P-256), whose public halves are
the trust store of fuzz-jws.c, so the fuzzer starts past the signature."""

import base64
import json
import os
import sys

from cryptography.hazmat.primitives.asymmetric import ed25519
from jwcrypto import jwk, jws

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

ED = jwk.JWK(kty="OKP", crv="Ed25519",
             d="nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
             x="11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
EC = jwk.JWK(kty="EC", crv="P-256",
             x="f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             y="x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
             d="jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI")
NOW = 1800000000
KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
       " alice@laptop")

GRANT = {
    "iss": "https://jit.example.com", "jti": "g-1", "sub": "alice",
    "aud": ["env=prod,role=db", "host=pay-db-1"],
    "iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 1800,
    "scope": ["ssh", "sudo"], "runas": ["root", "postgres"], "keys": [KEY],
    "bind": "session", "reason": "disk full", "ticket": "INC-4211", "approver": "bob",
}


def sign(claims, key, alg, kid, typ="jit-grant+jwt"):
    payload = claims if isinstance(claims, str) else json.dumps(claims, separators=(",", ":"))
    t = jws.JWS(payload.encode())
    t.add_signature(key, None, {"alg": alg, "typ": typ, "kid": kid})
    return t.serialize(compact=True)


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_ed25519_raw(header, claims):
    """Sign with any header bytes (jwcrypto refuses alg "Ed25519")."""
    d = base64.urlsafe_b64decode(ED["d"] + "==")
    key = ed25519.Ed25519PrivateKey.from_private_bytes(d)
    si = b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())
    return si + "." + b64u(key.sign(si.encode()))


def write(folder, name, data):
    d = os.path.join(CORPUS, folder)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main():
    g_ed = sign(GRANT, ED, "EdDSA", "ed")
    g_ec = sign(GRANT, EC, "ES256", "ec")
    bundle = {"iss": "https://jit.example.com", "iat": NOW, "exp": NOW + 900, "serial": 7,
              "grants": [g_ed, g_ec], "revoked": ["g-0", "old.grant:2"]}

    for name, tok in [("grant-eddsa", g_ed), ("grant-es256", g_ec),
                      ("grant-ed25519-alg", sign_ed25519_raw({"alg": "Ed25519", "typ": "jit-grant+jwt", "kid": "ed"}, GRANT)),
                      ("bundle-as-grant", sign(bundle, ED, "EdDSA", "ed", "jit-bundle+jwt")),
                      ("alg-none", "eyJhbGciOiJub25lIiwidHlwIjoiaml0LWdyYW50K2p3dCJ9." +
                       g_ed.split(".")[1] + "."),
                      ("four-segments", g_ed + ".x"),
                      ("rfc8037-a4", "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
                       "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7"
                       "sVvpAr_MuM0KAg")]:
        write("jws", name, tok)

    write("grant-claims", "full", json.dumps(GRANT))
    minimal = {k: GRANT[k] for k in ("iss", "jti", "sub", "aud", "iat", "exp", "scope")}
    write("grant-claims", "minimal", json.dumps(minimal))
    write("grant-claims", "duplicate-sub", '{"sub":"alice","sub":"root"}')
    write("grant-claims", "clamped-exp", json.dumps(minimal)[:-1] + ',"exp":99999999999999999999}')
    write("grant-claims", "nul-in-sub", '{"sub":"al\\u0000ice"}')

    write("bundle-claims", "bundle", json.dumps(bundle))
    write("bundle-claims", "empty", json.dumps({**bundle, "grants": [], "revoked": []}))

    write("json", "object", '{"a":[1,-2.5e3,true,false,null,"\\u00e9\\ud83d\\ude00"],"b":{}}')
    write("json", "duplicate", '{"a":1,"\\u0061":2}')
    write("json", "lone-surrogate", '{"a":"\\ud800"}')
    write("json", "deep", "[" * 40 + "]" * 40)
    write("json", "single-quote", "{'a':1}")

    write("base64url", "header", g_ed.split(".")[0])
    write("base64url", "signature", g_ed.split(".")[2])
    write("base64url", "non-canonical", "QR")
    write("base64url", "padded", "Zg==")

    pub = {"keys": [json.loads(ED.export_public()) | {"kid": "ed", "alg": "EdDSA"},
                    json.loads(EC.export_public()) | {"kid": "ec", "alg": "ES256"}]}
    write("jwks", "two-keys", json.dumps(pub))
    write("jwks", "private-d", json.dumps({"keys": [json.loads(ED.export_private()) |
                                                    {"kid": "ed", "alg": "EdDSA"}]}))
    write("jwks", "hmac", '{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h","alg":"HS256"}]}')

    write("config", "full",
          "# jit.conf\nissuers = https://jit.example.com, https://idp.example.com\n"
          "trust_store = /etc/jit/trust.jwks\nmax_grant_ttl = 12h\nclock_skew = 60s\n"
          "host_id = pay-db-1\nlabels = env=prod, role=db\nbundle_url = https://store/%h.jwt\n"
          "poll_interval = 1m\nstale_after = 1h\nstale_policy = keep\nexempt_users = breakglass\n"
          "on_sudo_expiry = elevated\nwarn_before = 10m, 5m, 1m\nkill_grace = 5s\n")
    write("config", "unknown-key", "issuer = x\n")
    write("config", "repeated", "clock_skew = 1m\nclock_skew = 2m\n")

    write("facts", "facts", "host=pay-db-1\nenv=prod\n# cloud\naws.region=eu-west-1\n"
          "aws.tag.Name=pay db 1\n")
    write("facts", "duplicate", "env=prod\nenv=dev\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
