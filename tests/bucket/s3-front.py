#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A front for moto_server that can say a session token has expired.

moto checks SigV4 and IAM, but not the end of STS session credentials, so
it never answers ExpiredToken. This front passes every request to moto
as it came (the Host header too, so the signature still holds) and its
answer back, except a request whose x-amz-security-token is listed in
EXPIRED (one token a line; the file is read at every request): that one
gets S3's own refusal, HTTP 400 with <Code>ExpiredToken</Code>. One line
per request to LOG ("METHOD PATH STATUS"), never a credential.

  s3-front.py UPSTREAM PORTFILE LOG EXPIRED
"""
import http.client
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM, PORTFILE, LOGFILE, EXPIRED = sys.argv[1:5]
UP = urllib.parse.urlsplit(UPSTREAM)
LOCK = threading.Lock()
EXPIRED_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ExpiredToken</Code>'
                b'<Message>The provided token has expired.</Message></Error>')


def expired(token):
    try:
        with open(EXPIRED, encoding="utf-8") as f:
            return token and token in {line.strip() for line in f}
    except FileNotFoundError:
        return False


class Front(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log(self, status):
        with LOCK, open(LOGFILE, "a", encoding="utf-8") as f:
            f.write(f"{self.command} {self.path} {status}\n")

    def reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "server",
                                 "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.log(status)

    def forward(self):
        if expired(self.headers.get("x-amz-security-token")):
            return self.reply(400, [("Content-Type", "application/xml")], EXPIRED_BODY)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(UP.hostname, UP.port, timeout=30)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            if k.lower() not in ("connection", "keep-alive"):
                conn.putheader(k, v)
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return self.reply(r.status, r.getheaders(), data)

    do_GET = do_HEAD = do_PUT = forward


server = ThreadingHTTPServer(("127.0.0.1", 0), Front)
with open(PORTFILE + ".tmp", "w", encoding="utf-8") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
