#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A managed-identity access token as Azure AD issues them (a JWT), for the
metadata fixture to hand out and Azurite (--oauth basic) to check. Azurite
checks the audience, the issuer's prefix and the times, not the signature,
so the signature here is filler.

  azure-token.py AUDIENCE EXP_OFFSET_SECONDS
"""
import base64
import json
import sys
import time


def b64(d):
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


aud, offset = sys.argv[1], int(sys.argv[2])
now = int(time.time())
tenant = "ab1f708d-50f6-404c-a006-d71b2ac7a606"
print(b64({"alg": "RS256", "typ": "JWT", "kid": "test"}) + "." + b64({
    "aud": aud, "iss": f"https://sts.windows.net/{tenant}/",
    "iat": now - 600, "nbf": now - 600, "exp": now + offset,
    "oid": "23657296-5cd5-45b0-a809-d972a7f4dfe1", "tid": tenant,
    "sub": "23657296-5cd5-45b0-a809-d972a7f4dfe1", "appid": "jit-host"}) + "." +
    base64.urlsafe_b64encode(b"\x01" * 256).rstrip(b"=").decode())
