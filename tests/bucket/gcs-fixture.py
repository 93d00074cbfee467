#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A fixture on 127.0.0.1 speaking the documented protocol of Google Cloud
Storage's XML API for reading an object (GET /BUCKET/OBJECT with
"Authorization: Bearer TOKEN"; ETag and If-None-Match/304; 401 for a missing
or unknown token, 403 for an object the account may not read, 404 for none).
There is no installable GCS server that checks tokens; this one checks the
token the metadata fixture hands out (read from TOKEN_FILE at each request).

Objects are files under ROOT/BUCKET/. Under "private/" the account has no
access (403). Under jit-store/moved/ the answer, to anyone, is a 302 to the same path on the
"elsewhere" server (another port: another host to a client), which records
every request it gets, with its Authorization header if any, in
ELSEWHERE_LOG, so a test can check on the wire what a redirect carried.

  gcs-fixture.py ROOT TOKEN_FILE CERT KEY PORTS_FILE ELSEWHERE_LOG
PORTS_FILE gets "gcs PORT" and "elsewhere PORT".
"""
import hashlib
import os
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT, TOKEN_FILE, CERT, KEY, PORTS, ELSEWHERE_LOG = sys.argv[1:7]


def reply(h, code, body=b"", headers=()):
    h.send_response(code)
    for k, v in headers:
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(body)


ERR = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>%s</Code><Message>%s</Message></Error>"


class Gcs(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        # A moved object answers 302 to anyone (as a public one would), so a
        # client without credentials can show that the redirect is real.
        if self.path.startswith("/jit-store/moved/"):
            port = open(PORTS).read().split("elsewhere ")[1].split()[0]
            return reply(self, 302, b"", [("Location", f"https://127.0.0.1:{port}{self.path}")])
        with open(TOKEN_FILE) as f:
            token = f.read().strip()
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] != token or not token:
            return reply(self, 401, ERR % (b"AuthenticationRequired", b"Invalid Credentials"),
                         [("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"')])
        parts = self.path.lstrip("/").split("/", 1)
        if len(parts) != 2 or "?" in self.path or ".." in parts[1]:
            return reply(self, 400, ERR % (b"InvalidArgument", b"bad path"))
        bucket, obj = parts
        if obj.startswith("private/"):
            return reply(self, 403, ERR % (b"AccessDenied", b"Access denied."))
        path = os.path.join(ROOT, bucket, obj)
        if not os.path.isfile(path):
            return reply(self, 404, ERR % (b"NoSuchKey", b"The specified key does not exist."))
        data = open(path, "rb").read()
        etag = '"%s"' % hashlib.md5(data).hexdigest()
        common = [("ETag", etag), ("Cache-Control", "no-cache"),
                  ("x-goog-storage-class", "STANDARD")]
        if self.headers.get("If-None-Match") == etag:
            return reply(self, 304, b"", common)
        reply(self, 200, data, common + [("Content-Type", "application/octet-stream")])


class Elsewhere(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        with open(ELSEWHERE_LOG, "a") as f:
            f.write("GET %s authorization=%s\n" % (
                self.path, self.headers.get("Authorization", "(none)")))
        reply(self, 200, b"moved content\n", [("ETag", '"elsewhere"')])


def serve(handler):
    s = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    s.socket = ctx.wrap_socket(s.socket, server_side=True)
    return s


gcs, elsewhere = serve(Gcs), serve(Elsewhere)
with open(PORTS + ".tmp", "w") as f:
    f.write(f"gcs {gcs.server_address[1]}\nelsewhere {elsewhere.server_address[1]}\n")
os.rename(PORTS + ".tmp", PORTS)
threading.Thread(target=elsewhere.serve_forever, daemon=True).start()
gcs.serve_forever()
