#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the seed corpora of tests/fuzz/corpus/. Run with Debian's python3
(python3-jwcrypto): make-corpus.py [JITCTL]. With the path of a built jitctl
(or $JITCTL), tokens and a store head made by the real jitctl are added too. Valid tokens are signed with the published example keys
of RFC 8037 A.1 (Ed25519) and RFC 7515 A.3 (P-256), whose public halves are
the trust store of fuzz-jws.c, so the fuzzer starts past the signature."""

import base64
import json
import os
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives import serialization
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


def with_jitctl(jitctl, pub):
    """Grants and a store (head, shards) made by the real jitctl, signed with the RFC 8037
    key under kid "ed", at NOW, so the harnesses' trust store verifies them."""
    d = base64.urlsafe_b64decode(ED["d"] + "==")
    pem = ed25519.Ed25519PrivateKey.from_private_bytes(d).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    with tempfile.TemporaryDirectory() as t:
        key, trust, store = (os.path.join(t, n) for n in ("ed.key", "trust.jwks", "store"))
        os.makedirs(os.path.join(store, "grants"))
        with open(key, "wb") as f:
            f.write(pem)
        os.chmod(key, 0o600)
        with open(trust, "w") as f:
            json.dump({"keys": [pub["keys"][0]]}, f)
        common = ["--key", key, "--kid", "ed", "--iss", "https://jit.example.com",
                  "--now", str(NOW - 10)]
        toks = []
        for jti, sub, extra in [("j-1", "alice", ["--scope", "ssh,sudo", "--runas", "root",
                                                  "--ssh-key", KEY, "--bind", "session"]),
                                ("j-2", "bob", ["--scope", "sudo", "--reason", "disk full"])]:
            out = os.path.join(store, "grants", jti + ".jwt")
            subprocess.run([jitctl, "issue", *common, "--sub", sub, "--aud", "env=prod,role=db",
                            "--ttl", "30m", "--ticket", "INC-1", "--approver", "bob",
                            "--jti", jti, "--out", out, *extra],
                           check=True, capture_output=True)
            toks.append(open(out).read().strip())
        with open(os.path.join(store, "revoked"), "w") as f:
            f.write("j-0 %d\n" % (NOW + 3600))
        subprocess.run([jitctl, "publish", "--store", store, *common, "--trust", trust],
                       check=True, capture_output=True)
        head = open(os.path.join(store, "head.jwt")).read()
        objects = os.path.join(store, "objects")
        shards = [open(os.path.join(objects, n), "rb").read() for n in sorted(os.listdir(objects))]
    write("jws", "jitctl-grant", toks[0])
    write("jws", "jitctl-head", head.strip())
    for i, sh in enumerate(shards):
        write("store-apply", "jitctl-shard-%d" % i, sh)
    payload = lambda tok: base64.urlsafe_b64decode(tok.split(".")[1] + "==")
    write("grant-claims", "jitctl-grant", payload(toks[0]))
    write("grant-claims", "jitctl-grant-sudo", payload(toks[1]))
    write("head-claims", "jitctl-head", payload(head.strip()))
    write("user-grants", "jitctl-grants", "serial 1\nbundle-exp %d\ngrant %s\ngrant %s\n" % (
        NOW + 900, toks[0], toks[1]))


def main():
    g_ed = sign(GRANT, ED, "EdDSA", "ed")
    g_ec = sign(GRANT, EC, "ES256", "ec")
    d64 = "0123456789abcdef" * 4
    head = {"iss": "https://jit.example.com", "iat": NOW, "exp": NOW + 900, "serial": 7,
            "bins": 64, "revoked": [["g-0", NOW + 3600], ["old.grant:2", NOW + 60]],
            "shards": [[3, 1200, d64], [63, 5, "f" + d64[1:]]]}

    for name, tok in [("grant-eddsa", g_ed), ("grant-es256", g_ec),
                      ("grant-ed25519-alg", sign_ed25519_raw({"alg": "Ed25519", "typ": "jit-grant+jwt", "kid": "ed"}, GRANT)),
                      ("head-as-grant", sign(head, ED, "EdDSA", "ed", "jit-head+jwt")),
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

    # Hostile claim sets, after the rows of tests/unit/test-grant.c (those
    # are built at run time, so they are restated here).
    hostile = {
        "no-iss": {"iss": None}, "no-jti": {"jti": None}, "no-sub": {"sub": None},
        "no-aud": {"aud": None}, "no-exp": {"exp": None}, "no-scope": {"scope": None},
        "iss-number": {"iss": 1}, "sub-array": {"sub": ["alice"]}, "aud-string": {"aud": "env=prod"},
        "aud-empty": {"aud": []}, "aud-wildcard": {"aud": ["*"]}, "aud-empty-entry": {"aud": [""]},
        "exp-float": {"exp": NOW + 0.5}, "exp-string": {"exp": str(NOW)}, "exp-negative": {"exp": -1},
        "exp-before-nbf": {"exp": NOW - 20}, "ttl-too-long": {"exp": NOW + 13 * 3600},
        "exp-year-10000": {"exp": 253402300800}, "iat-bool": {"iat": True},
        "scope-unknown": {"scope": ["ssh", "shell"]}, "scope-empty": {"scope": []},
        "scope-repeated": {"scope": ["ssh", "ssh"]}, "runas-slash": {"runas": ["../root"]},
        "runas-empty": {"runas": []}, "runas-upper": {"runas": ["ROOT"]},
        "keys-not-ssh": {"keys": ["not a key"]}, "keys-newline": {"keys": [KEY + "\nssh-rsa AAAA"]},
        "bind-other": {"bind": "host"}, "sub-root-upper": {"sub": "Root"}, "sub-dotdot": {"sub": ".."},
        "sub-long": {"sub": "a" * 33}, "jti-slash": {"jti": "a/b"}, "reason-long": {"reason": "r" * 1025},
        "ticket-control": {"ticket": "INC\u001b[2J"}, "approver-null": {"approver": None},
        "extra-claim": {"foo": {"bar": [1, 2, 3]}},
    }
    for name, change in hostile.items():
        g = dict(GRANT)
        for k, v in change.items():
            if v is None and k != "approver":
                g.pop(k, None)
            else:
                g[k] = v
        write("grant-claims", "hostile-" + name, json.dumps(g))

    hhostile = {
        "serial-zero": {"serial": 0}, "serial-negative": {"serial": -1},
        "serial-float": {"serial": 1.5}, "serial-2-53": {"serial": 9007199254740992},
        "exp-before-iat": {"exp": NOW - 1}, "bins-zero": {"bins": 0},
        "shards-object": {"shards": {"a": 1}}, "shards-bin-out": {"shards": [[64, 1, d64]]},
        "shards-size-zero": {"shards": [[0, 0, d64]]},
        "shards-digest-upper": {"shards": [[0, 1, d64.upper()]]},
        "shards-twice": {"shards": [[1, 1, d64], [1, 1, d64]]},
        "revoked-bad-id": {"revoked": [["a b", NOW]]}, "revoked-no-until": {"revoked": ["g-0"]},
        "revoked-repeated": {"revoked": [["g-0", NOW], ["g-0", NOW]]}, "no-serial": {"serial": None},
        "no-shards": {"shards": None}, "iss-missing": {"iss": None},
    }
    for name, change in hhostile.items():
        h = dict(head)
        for k, v in change.items():
            if v is None:
                h.pop(k, None)
            else:
                h[k] = v
        write("head-claims", "hostile-" + name, json.dumps(h))

    write("head-claims", "head", json.dumps(head))
    write("head-claims", "empty", json.dumps({**head, "shards": [], "revoked": []}))

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
    # Keys the trust store refuses by their value (common/token/ed25519-point.c,
    # common/token/rsa-roca.c) or their declared use: the identity point, a point
    # of order 8, y = p (non-canonical), a y no point has, a ROCA-structured
    # modulus (tests/tools/make-roca-modulus.py), and use/key_ops.
    def okp(x, extra=""):
        return ('{"keys":[{"kty":"OKP","crv":"Ed25519","x":"%s","alg":"EdDSA","kid":"k"%s}]}'
                % (x, extra))
    write("jwks", "ed-identity", okp("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
    write("jwks", "ed-order8", okp("JuiVj8KyJ7BFw_SJ8u-Y8NXfrAXTxjM5sTgCiG1T_IU"))
    write("jwks", "ed-y-p", okp("7f_______________________________________38"))
    write("jwks", "ed-off-curve", okp("AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
    write("jwks", "ed-torsion", okp("413wFWL_jjrcPX249BO9Zm9We0gJtHAxyum5WYxKrzE"))
    write("jwks", "key-ops-verify", okp("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                                         ',"use":"sig","key_ops":["verify"]'))
    write("jwks", "key-ops-sign", okp("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                                       ',"key_ops":["verify","sign"]'))
    roca = subprocess.run([sys.executable, os.path.join(HERE, "..", "tools",
                                                        "make-roca-modulus.py")],
                          check=True, capture_output=True, text=True).stdout.strip()
    write("jwks", "rsa-roca", '{"keys":[{"kty":"RSA","n":"%s","e":"AQAB","alg":"RS256","kid":"r"}]}'
          % roca)

    write("config", "full",
          "# jit.conf\nissuers = https://jit.example.com, https://idp.example.com\n"
          "trust_store = /etc/jit/trust.jwks\nmax_grant_ttl = 12h\nclock_skew = 60s\n"
          "host_id = pay-db-1\nlabels = env=prod, role=db\nbundle_url = https://store/head.jwt\n"
          "poll_interval = 1m\nstale_after = 1h\nstale_policy = keep\nexempt_users = breakglass\n"
          "on_sudo_expiry = elevated\nwarn_before = 10m, 5m, 1m\nkill_grace = 5s\n")
    write("config", "unknown-key", "issuer = x\n")
    write("config", "repeated", "clock_skew = 1m\nclock_skew = 2m\n")

    write("facts", "facts", "host=pay-db-1\nenv=prod\n# cloud\naws.region=eu-west-1\n"
          "aws.tag.Name=pay db 1\n")
    write("facts", "duplicate", "env=prod\nenv=dev\n")

    # The files jit-agent and pam_jit keep on each host.
    rec = ("grant=g-1\nuser=alice\nservice=sshd\ntty=ssh\nrhost=192.0.2.7\nleader=4242\n"
           "uid=1000\naudit-session=17\nlogind-session=c7\nexp=%d\nbound=yes\n" % (NOW + 1800))
    write("session-record", "full", rec)
    write("session-record", "elevated", rec + "elevated=root g-1\nelevated=postgres g-2\n")
    write("session-record", "minimal",
          "grant=g-1\nuser=alice\nservice=sudo\nleader=1\nuid=0\nexp=0\n")
    write("session-record", "uid-max", rec.replace("uid=1000", "uid=4294967294"))

    sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    state = ("serial 7\nbundle-sha256 %s\nbundle-iat %d\nbundle-exp %d\naccepted %d\n"
             "last-fetch %d\n" % (sha, NOW, NOW + 900, NOW + 5, NOW + 65))
    write("host-state", "full", state)
    write("host-state", "no-digest", "serial 0\nbundle-iat 0\nbundle-exp 0\naccepted 0\n"
          "last-fetch 0\n")
    write("host-state", "serial-max", "serial 9007199254740991\n")
    write("host-state", "empty", "")

    ug = "serial 7\nbundle-exp %d\ngrant %s\ngrant %s\nrevoked g-0\nrevoked a:b.c\n" % (
        NOW + 900, g_ed, g_ec)
    write("user-grants", "two-grants", ug)
    write("user-grants", "header-only", "serial 1\nbundle-exp 0\n")
    write("user-grants", "revoked-unsorted", "serial 1\nbundle-exp 5\nrevoked z\nrevoked a\n")

    # Fetched shards for the agent's apply path (fuzz-store-apply.c): grant
    # tokens, one a line.
    g_bob = sign({**GRANT, "jti": "g-2", "sub": "bob", "keys": []}, ED, "EdDSA", "ed")
    g_other = sign({**GRANT, "jti": "g-3", "aud": ["env=dev"]}, ED, "EdDSA", "ed")
    write("store-apply", "shard-two", g_ed + "\n" + g_bob + "\n")
    write("store-apply", "shard-es256", g_ec + "\n")
    write("store-apply", "shard-other-host", g_ed + "\n" + g_other + "\n")
    write("store-apply", "shard-grant-invalid", g_ed + "\n" + g_ed[:-4] + "AAAA\nx.y.z\n")
    write("store-apply", "shard-no-final-newline", g_ed)
    write("store-apply", "shard-crlf", g_ed + "\r\n")
    write("store-apply", "shard-twice", g_ed + "\n" + g_ed + "\n")
    write("store-apply", "head-as-shard", sign(head, ED, "EdDSA", "ed", "jit-head+jwt") + "\n")
    write("store-apply", "blank-line", "\n")

    # The store URL template (fuzz-bundle-url.c): TEMPLATE NUL HOST_ID.
    for name, t in [("per-host", "https://store.example.com/hosts/%h.jwt\0pay-db-1"),
                    ("fleet", "https://store.example.com/bundle.jwt"),
                    ("file", "file:///srv/jit/%h/bundle.jwt\0host with space/../x"),
                    ("percent", "https://s/%%41/%h?x=%%\0a%b&c#d@e"),
                    ("utf8-host", "https://s/%h\0h\xc3\xa9te"),
                    ("bad-escape", "https://s/%x"), ("trailing-percent", "https://s/%"),
                    ("empty-host", "https://s/%h\0")]:
        write("bundle-url", name, t.encode("latin-1"))

    # Object-store URLs and refusals (fuzz-store-url.c): a flags byte (cloud
    # setting, allow_http, status index), URL NUL ENDPOINT NUL BODY.
    s3err = (b"<?xml version=\"1.0\"?><Error><Code>%s</Code><Region>eu-central-1</Region>"
             b"</Error>")
    for name, flags, t in [
            ("s3", 4 | 7 << 4, b"s3://jit-store/fleet/head.jwt\0\0" + s3err % b"AccessDenied"),
            ("s3-endpoint", 1 | 8 | 5 << 4,
             b"s3://jit-store/fleet/objects/ab12\0http://127.0.0.1:9000\0" +
             s3err % b"AuthorizationHeaderMalformed"),
            ("s3-skew", 1 | 7 << 4, b"s3://b-1/k\0\0" + s3err % b"RequestTimeTooSkewed"),
            ("s3-skew-times", 1 | 7 << 4, b"s3://b-1/k\0\0<Error><Code>RequestTimeTooSkewed</Code>"
             b"<RequestTime>20261205T022500Z</RequestTime><ServerTime>2026-12-05T02:00:00.000Z"
             b"</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>"
             b"</Error>"),
            ("s3-dotdot", 1, b"s3://jit-store/a/../b\0\0"),
            ("gs", 2 | 6 << 4, b"gs://jit-store/head.jwt\0\0{\"error\": \"expired\"}"),
            ("azure", 3 | 6 << 4, b"https://a.blob.core.windows.net/c/head.jwt\0"
             b"https://127.0.0.1:10000/devstoreaccount1\0<Error><Code>InvalidAuthenticationInfo"
             b"</Code><AuthenticationErrorDetail>Audience validation failed."
             b"</AuthenticationErrorDetail></Error>"),
            ("azure-code-markup", 3 | 7 << 4,
             b"https://a.blob.core.windows.net/c/k\0<b>Auth\r\nX: y\0"),
            ("redirect", 2 | 2 << 4, b"gs://jit-store/moved\0\0"),
            ("plain-https", 4, b"https://store.example.com/head.jwt?x=%41\0\0")]:
        write("store-url", name, bytes([flags]) + t)

    jitctl = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("JITCTL")
    if jitctl:
        with_jitctl(jitctl, pub)

    # HTTP responses (fuzz-http-response.c): 2 bytes body cap, 1 byte chunk
    # size, header lines, an empty line, the body.
    def resp(cap, chunk, headers, body):
        return bytes([cap >> 8 & 0xFF, cap & 0xFF, chunk]) + headers + b"\r\n" + body
    ok = (b"HTTP/1.1 200 OK\r\nDate: Fri, 15 Jan 2027 08:00:00 GMT\r\n"
          b"ETag: \"5f3a-1b2\"\r\nContent-Type: application/jwt\r\n")
    write("http-response", "ok", resp(4095, 63, ok, sign(head, ED, "EdDSA", "ed", "jit-head+jwt").encode() + b"\n"))
    write("http-response", "too-big", resp(100, 31, ok, b"A" * 300))
    write("http-response", "exact-cap", resp(99, 9, ok, b"B" * 100))
    write("http-response", "redirect-then-ok",
          resp(4095, 255, b"HTTP/1.1 302 Found\r\nLocation: https://cdn.example.com/b.jwt\r\n"
               b"ETag: \"old\"\r\n\r\n" + ok, b"x"))
    write("http-response", "etag-long", resp(255, 0, b"HTTP/1.1 200 OK\r\nETag: " +
                                             b"e" * 1100 + b"\r\n", b""))
    # Runs of several shards (fuzz-fetch-wire.c): framed answers, each
    # naming its object, the run ending at the first error.
    o1, o2 = "9d496c3b" * 8, "0da74008" * 8
    write("fetch-wire", "run-two-ok",
          f"object={o1}\nstatus=200\nlength=3\n\nabcobject={o2}\nstatus=200\nlength=0\n\n")
    write("fetch-wire", "run-ok-then-error",
          f"object={o1}\nstatus=200\nlength=2\n\nxy"
          f"object={o2}\nerror=-74\nmessage=the 5 bytes served do not hash to the "
          f"object's name {o2}\n\n")
    write("fetch-wire", "run-bad-name", "object=9D496C3B\nstatus=200\nlength=0\n\n")
    write("fetch-wire", "run-twice-named",
          f"object={o1}\nobject={o1}\nerror=-27\nmessage=body larger than 16 bytes\n\n")
    write("http-response", "odd-headers",
          resp(1000, 3, b"HTTP/2 200\r\netag:\t w/\"x\" \r\nDATE:garbage\r\n"
               b"Location:\r\nETag :x\r\nETagX: y\n", b"body"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
