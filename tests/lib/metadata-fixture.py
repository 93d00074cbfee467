#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A fixture, not a cloud: one HTTP server on 127.0.0.1 that speaks the
instance metadata protocols of AWS (IMDSv2), GCP and Azure as their
documentation describes them, because no cloud's metadata service is
reachable from a test machine. jit-fetch's metadata job and jit-agent talk
to it through their test-only endpoint override (jit-agent(8),
JIT_TEST_METADATA_URL). What it enforces, as the services do:

AWS IMDSv2 (docs.aws.amazon.com, "Use the Instance Metadata Service to
access instance metadata", "Work with instance tags in instance metadata"):
  PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds 1..21600
  (else 400); 403 when the service is disabled; a request carrying
  X-Forwarded-For is refused (403). Every GET needs a live
  X-aws-ec2-metadata-token (else 401). meta-data/tags/instance/ is 404
  when the instance does not allow tags in metadata.
GCP ("About VM metadata"): every request needs Metadata-Flavor: Google
  (else 403) and no X-Forwarded-For; every answer carries
  Metadata-Flavor: Google.
Azure IMDS ("Azure Instance Metadata Service"): every request needs
  Metadata: true (else 400) and an api-version (else 400); too many
  requests are 429, an instance not ready yet 410.
Instance credentials for the object stores (tests/bucket): AWS
  iam/security-credentials/ and /<role> (aws.role, aws.credentials) and
  placement/region; GCP instance/service-accounts/default/token (gcp.token);
  Azure identity/oauth2/token for resource https://storage.azure.com/
  (azure.token, azure.client_id), "Identity not found" (400) otherwise.

metadata-fixture.py STATE PORTFILE LOGFILE
STATE is a JSON file read at every request, so a test changes the
instance's answers (or their hostility) by rewriting it. The chosen port
is written to PORTFILE; one line per request to LOGFILE
("METHOD PATH STATUS header=value…") for the tests to assert on."""

import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE, PORTFILE, LOGFILE = sys.argv[1:4]
TOKENS = {}  # AWS token -> expiry (monotonic)
COUNTS = {}  # path -> requests seen, for "first N answers fail"
LOCK = threading.Lock()


STATE_MTIME = [None]


def state():
    """The state as the test last wrote it; a new state restarts the counts."""
    with open(STATE, encoding="utf-8") as f:
        mtime = os.fstat(f.fileno()).st_mtime_ns
        st = json.load(f)
    with LOCK:
        if mtime != STATE_MTIME[0]:
            STATE_MTIME[0] = mtime
            COUNTS.clear()
    return st


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log(self, status):
        seen = " ".join(
            f"{k.lower()}={v}" for k, v in self.headers.items()
            if k.lower() in ("metadata", "metadata-flavor", "x-aws-ec2-metadata-token-ttl-seconds",
                             "x-forwarded-for", "proxy-connection"))
        if self.headers.get("X-aws-ec2-metadata-token"):
            seen += " token=yes"
        with LOCK, open(LOGFILE, "a", encoding="utf-8") as f:
            f.write(f"{self.command} {self.path} {status} {seen}\n")

    def answer(self, status, body=b"", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.log(status)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def first_n(self, key, n):
        with LOCK:
            COUNTS[key] = COUNTS.get(key, 0) + 1
            return COUNTS[key] <= n

    def hostile(self, st, headers=()):
        """The answers no metadata service should give; True when one was sent."""
        h = st.get("hostile")
        if h == "huge":
            self.answer(200, b"x" * (10 * 1024 * 1024), headers)
        elif h == "slow":
            time.sleep(st.get("slow_seconds", 20))
            self.answer(200, b"{}", headers)
        elif h == "endless":
            self.log(200)
            self.send_response(200)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                while True:
                    chunk = b"A" * 65536
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                pass
        elif h == "redirect":
            self.answer(302, b"", [("Location", "http://127.0.0.1:9/elsewhere")] + list(headers))
        else:
            return False
        return True

    # AWS -----------------------------------------------------------------
    def aws(self, method):
        st = state()
        aws = st["aws"]
        if self.headers.get("X-Forwarded-For"):
            return self.answer(403)
        if method == "PUT":
            if self.path != "/latest/api/token":
                return self.answer(405)
            if aws.get("disabled"):
                return self.answer(403)
            try:
                ttl = int(self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
            except ValueError:
                return self.answer(400)
            if not 1 <= ttl <= 21600:
                return self.answer(400)
            tok = secrets.token_urlsafe(32)
            with LOCK:
                TOKENS[tok] = time.monotonic() + ttl
            return self.answer(200, tok, [("X-aws-ec2-metadata-token-ttl-seconds", str(ttl))])
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with LOCK:
            live = tok in TOKENS and TOKENS[tok] > time.monotonic()
            # "expire_first_token": the first token dies after its first
            # use, as one does that outlives its TTL: the client must get
            # a new one after the 401.
            if live and aws.get("expire_first_token") and not COUNTS.get("expired"):
                COUNTS["expired"] = 1
                del TOKENS[tok]
                live = False
        if not live:
            return self.answer(401)
        if self.hostile(st):
            return None
        if self.path == "/latest/dynamic/instance-identity/document":
            doc = aws.get("document_raw")
            if doc is None:
                doc = json.dumps({
                    "accountId": aws["account"], "architecture": "x86_64",
                    "availabilityZone": aws["az"], "imageId": "ami-0123456789abcdef0",
                    "instanceId": aws["instance_id"], "instanceType": "t3.micro",
                    "pendingTime": "2026-01-01T00:00:00Z", "privateIp": "10.0.0.5",
                    "region": aws["region"], "version": "2017-09-30"})
            return self.answer(200, doc, [("Content-Type", "text/plain")])
        # Role credentials (aws.role, aws.credentials: tests/bucket): the
        # role's name, then its STS session credentials, as IMDS lists them.
        creds = "/latest/meta-data/iam/security-credentials/"
        if self.path == creds:
            return self.answer(200, aws["role"]) if aws.get("role") else self.answer(404)
        if aws.get("role") and self.path == creds + aws["role"]:
            body = {"Code": "Success", "LastUpdated": "2026-12-04T00:00:00Z", "Type": "AWS-HMAC"}
            body.update({k: v for k, v in aws.get("credentials", {}).items() if v is not None})
            return self.answer(200, json.dumps(body), [("Content-Type", "text/plain")])
        if self.path == "/latest/meta-data/placement/region":
            return self.answer(200, aws["region"], [("Content-Type", "text/plain")])
        prefix = "/latest/meta-data/tags/instance/"
        if self.path.startswith(prefix):
            tags = aws.get("tags")
            if tags is None:  # "Allow tags in instance metadata" is off
                return self.answer(404)
            name = self.path[len(prefix):]
            if name == "":
                return self.answer(200, "\n".join(tags))
            if name in tags:
                return self.answer(200, tags[name])
            return self.answer(404)
        return self.answer(404)

    # GCP -----------------------------------------------------------------
    def gcp(self):
        st = state()
        gcp = st["gcp"]
        flavor = [] if gcp.get("no_flavor") else [("Metadata-Flavor", "Google")]
        if self.headers.get("Metadata-Flavor") != "Google" or self.headers.get("X-Forwarded-For"):
            return self.answer(403, "Missing Metadata-Flavor:Google header.", flavor)
        if self.hostile(st, flavor):
            return None
        base = "/computeMetadata/v1/"
        texts = {"project/project-id": gcp["project"], "instance/id": str(gcp["id"]),
                 "instance/name": gcp["name"], "instance/zone": gcp["zone"]}
        path = self.path[len(base):] if self.path.startswith(base) else None
        if path in texts:
            return self.answer(200, texts[path], flavor + [("Content-Type", "application/text")])
        if path == "instance/service-accounts/default/token":
            # gcp.token (tests/bucket): {"access_token", "expires_in"}; none: no account.
            if not gcp.get("token"):
                return self.answer(404, "", flavor)
            return self.answer(200, json.dumps(dict(gcp["token"], token_type="Bearer")),
                               flavor + [("Content-Type", "application/json")])
        if path == "instance/attributes/?recursive=true":
            raw = gcp.get("attributes_raw")
            body = raw if raw is not None else json.dumps(gcp.get("attributes", {}))
            return self.answer(200, body, flavor + [("Content-Type", "application/json")])
        return self.answer(404, "", flavor)

    # Azure ---------------------------------------------------------------
    def azure(self):
        st = state()
        az = st["azure"]
        if self.headers.get("Metadata") != "true" or self.headers.get("X-Forwarded-For"):
            return self.answer(400, json.dumps({"error": "Bad request. Required metadata header not specified"}))
        path, _, query = self.path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        if "api-version" not in params:
            return self.answer(400, json.dumps({"error": "Bad request. api-version was not specified in the request"}))
        if params["api-version"] not in ("2021-02-01", "2021-12-13", "2023-07-01"):
            return self.answer(400, json.dumps({"error": "Bad request. api-version is invalid"}))
        if self.first_n("azure-429", az.get("throttle_first", 0)):
            return self.answer(429, json.dumps({"error": "Too many requests"}))
        if self.first_n("azure-410", az.get("gone_first", 0)):
            return self.answer(410)
        if self.hostile(st):
            return None
        if path == "/metadata/identity/oauth2/token":
            # azure.token (tests/bucket): a managed identity's token for
            # resource https://storage.azure.com/; azure.client_id names the
            # user-assigned identity, which must then be asked for by id.
            if params.get("resource") != "https%3A%2F%2Fstorage.azure.com%2F":
                return self.answer(400, json.dumps({"error": "invalid_resource"}))
            if not az.get("token") or params.get("client_id") != az.get("client_id"):
                return self.answer(400, json.dumps({"error": "invalid_request",
                                                    "error_description": "Identity not found"}))
            return self.answer(200, json.dumps(dict(az["token"], resource="https://storage.azure.com/",
                                                    token_type="Bearer")),
                               [("Content-Type", "application/json; charset=utf-8")])
        if path == "/metadata/instance/compute":
            raw = az.get("compute_raw")
            if raw is None:
                tags = az.get("tags", {})
                raw = json.dumps({
                    "azEnvironment": "AzurePublicCloud", "location": az["location"],
                    "name": "vm-1", "resourceGroupName": az["resource_group"],
                    "subscriptionId": az["subscription"], "vmId": az["vm_id"],
                    # The "tags" string, which a client must never split.
                    "tags": ";".join(f"{k}:{v}" for k, v in tags.items()),
                    "tagsList": [{"name": k, "value": v} for k, v in tags.items()]})
            return self.answer(200, raw, [("Content-Type", "application/json; charset=utf-8")])
        return self.answer(404)

    def route(self, method):
        if self.path.startswith("/latest/"):
            return self.aws(method)
        if method != "GET":
            return self.answer(405)
        if self.path.startswith("/computeMetadata/"):
            return self.gcp()
        if self.path.startswith("/metadata/"):
            return self.azure()
        return self.answer(404)

    def do_GET(self):
        self.route("GET")

    def do_PUT(self):
        self.route("PUT")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(PORTFILE + ".tmp", "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.rename(PORTFILE + ".tmp", PORTFILE)
    server.serve_forever()


if __name__ == "__main__":
    main()
