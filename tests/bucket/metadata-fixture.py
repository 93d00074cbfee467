#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A fixture speaking the documented protocol of the three clouds' instance
metadata services, on 127.0.0.1, for the tests of jit-fetch's credentials
(jit-fetch/credentials.c). Not a mock that accepts anything: each answer
needs the headers the real service needs, and a request without them gets
the real service's refusal.

  AWS IMDSv2   PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds)
               GET /latest/meta-data/... with X-aws-ec2-metadata-token
               iam/security-credentials/ (the role), .../<role>, placement/region
  GCP          GET /computeMetadata/v1/instance/service-accounts/default/token
               with Metadata-Flavor: Google, and no X-Forwarded-For
  Azure IMDS   GET /metadata/identity/oauth2/token?api-version=…&resource=…
               [&client_id=…] with Metadata: true

What it serves comes from a JSON file read at every request (the test
rewrites it between cases):
  {"aws": {"role": R, "AccessKeyId": …, "SecretAccessKey": …, "Token": …,
           "Expiration": …} | null, "region": "us-east-1",
   "gcp": {"access_token": …, "expires_in": 3599} | null,
   "azure": {"access_token": …, "expires_on": "…"} | null,
   "azure_client_id": null | "…"}
Every request is appended to LOG as "METHOD PATH" (no header values).

  metadata-fixture.py STATE_JSON LOG PORT_FILE
"""
import json
import secrets
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE, LOG, PORT_FILE = sys.argv[1:4]
IMDS_TOKENS = set()


def state():
    with open(STATE) as f:
        return json.load(f)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def record(self):
        with open(LOG, "a") as f:
            f.write(f"{self.command} {self.path}\n")

    def do_PUT(self):
        self.record()
        if self.path != "/latest/api/token":
            return self.send(404, "Not Found")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.send(400, "Bad Request")
        if self.headers.get("X-Forwarded-For"):
            return self.send(403, "Forbidden")
        tok = secrets.token_urlsafe(32)
        IMDS_TOKENS.add(tok)
        self.send(200, tok)

    def do_GET(self):
        self.record()
        u = urllib.parse.urlsplit(self.path)
        s = state()
        if u.path.startswith("/latest/"):
            # IMDSv2 only: no token, 401 (as with http-tokens=required).
            if self.headers.get("X-aws-ec2-metadata-token") not in IMDS_TOKENS:
                return self.send(401, "Unauthorized")
            aws = s.get("aws")
            base = "/latest/meta-data/iam/security-credentials/"
            if u.path == "/latest/meta-data/placement/region":
                return self.send(200, s.get("region", "us-east-1"))
            if u.path == base:
                return self.send(200, aws["role"]) if aws else self.send(404, "Not Found")
            if aws and u.path == base + aws["role"]:
                body = {"Code": "Success", "LastUpdated": "2026-12-04T00:00:00Z",
                        "Type": "AWS-HMAC"}
                for k in ("AccessKeyId", "SecretAccessKey", "Token", "Expiration"):
                    if aws.get(k) is not None:
                        body[k] = aws[k]
                return self.send(200, json.dumps(body), "application/json")
            return self.send(404, "Not Found")
        if u.path.startswith("/computeMetadata/v1/"):
            if self.headers.get("Metadata-Flavor") != "Google" or \
                    self.headers.get("X-Forwarded-For"):
                return self.send(403, "Missing Metadata-Flavor:Google header.")
            if u.path == "/computeMetadata/v1/instance/service-accounts/default/token":
                g = s.get("gcp")
                if not g:
                    return self.send(404, "Not Found")
                return self.send(200, json.dumps(dict(g, token_type="Bearer")),
                                 "application/json")
            return self.send(404, "Not Found")
        if u.path == "/metadata/identity/oauth2/token":
            q = urllib.parse.parse_qs(u.query)
            if self.headers.get("Metadata") != "true":
                return self.send(400, json.dumps({"error": "invalid_request",
                                                  "error_description": "Required metadata header not specified"}))
            if "api-version" not in q:
                return self.send(400, json.dumps({"error": "invalid_request",
                                                  "error_description": "Required query variable 'api-version' is missing"}))
            if q.get("resource") != ["https://storage.azure.com/"]:
                return self.send(400, json.dumps({"error": "invalid_resource"}))
            a = s.get("azure")
            want = s.get("azure_client_id")
            got = q.get("client_id", [None])[0]
            if not a or got != want:
                return self.send(400, json.dumps({"error": "invalid_request",
                                                  "error_description": "Identity not found"}))
            return self.send(200, json.dumps(dict(a, resource="https://storage.azure.com/",
                                                  token_type="Bearer")), "application/json")
        self.send(404, "Not Found")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
