#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A strict SigV4 front for moto_server, on 127.0.0.1. It adds three checks
that Amazon S3 makes and moto 5 does not (moto verifies the signature, the
key and the IAM policy, but neither the region of the credential scope nor
the request's time, and it never expires a session token), so that what
jit-fetch says about them is tested against answers of the documented form
rather than recorded bodies. Before forwarding a signed request it:

  (a) refuses one whose x-amz-date is more than 15 minutes from the front's
      own clock: 403 RequestTimeTooSkewed ("The difference between the
      request time and the server's time is too large.") with RequestTime
      (as sent), ServerTime and MaxAllowedSkewMilliseconds (900000), as S3
      answers (Amazon S3 API Reference, "Error responses");
  (b) refuses one whose credential scope names another region than the
      bucket's: 400 AuthorizationHeaderMalformed ("The authorization header
      is malformed; the region 'X' is wrong; expecting 'Y'") with
      <Region>Y</Region> and the x-amz-bucket-region header, as S3 answers
      a request signed for the wrong region;
  (c) refuses a session token (x-amz-security-token) it was told has
      expired: 400 ExpiredToken ("The provided token has expired."), the
      token echoed in <Token-0> as S3 does (so a test also sees that the
      client never repeats an error body's secrets).

Everything else is forwarded to moto byte for byte (request and answer are
relayed as read, never re-encoded: the signature covers the headers), on
one upstream connection per client connection, keep-alive included.

  sigv4-front.py UPSTREAM_PORT STATE PORTFILE LOGFILE

STATE is a JSON file read at every request, so a test moves a bucket or
expires a token without a restart:
  {"regions": {"BUCKET": "REGION", ...}, "expired_tokens": ["TOKEN", ...]}
The chosen port is written to PORTFILE. LOGFILE gets one line per request:
  "METHOD PATH STATUS CODE x-amz-date=… server-time=… skew=±S scope=REGION"
(skew: the request's time minus the front's, in seconds; CODE "-" when
moto answered)."""

import calendar
import json
import os
import secrets
import socket
import socketserver
import sys
import threading
import time

UPSTREAM_PORT = int(sys.argv[1])
STATE, PORTFILE, LOGFILE = sys.argv[2:5]
MAX_SKEW_MS = 15 * 60 * 1000
HEAD_MAX = 64 * 1024
LOG_LOCK = threading.Lock()


def state():
    with open(STATE, encoding="utf-8") as f:
        return json.load(f)


def log(line):
    with LOG_LOCK, open(LOGFILE, "a", encoding="utf-8") as f:
        f.write(line + "\n")


class Closed(Exception):
    pass


def read_head(sock, buf):
    """The bytes up to and including the blank line, and what follows."""
    while b"\r\n\r\n" not in buf:
        if len(buf) > HEAD_MAX:
            raise Closed()
        chunk = sock.recv(65536)
        if not chunk:
            if buf:
                raise Closed()
            return None, b""
        buf += chunk
    end = buf.index(b"\r\n\r\n") + 4
    return buf[:end], buf[end:]


def read_exact(sock, buf, n):
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise Closed()
        buf += chunk
    return buf[:n], buf[n:]


def parse_head(head):
    lines = head[:-4].decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers


def amz_time(text):
    try:
        return calendar.timegm(time.strptime(text, "%Y%m%dT%H%M%SZ"))
    except (TypeError, ValueError):
        return None


def scope_region(auth):
    """The region of "AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/s3/aws4_request, …"."""
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return None
    for part in auth[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        if k == "Credential":
            scope = v.split("/")
            return scope[2] if len(scope) == 5 else None
    return None


def xml_error(code, message, extra=""):
    rid = secrets.token_hex(8).upper()
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>{extra}"
            f"<RequestId>{rid}</RequestId><HostId>{secrets.token_urlsafe(24)}</HostId>"
            "</Error>").encode()


def refusal(method, target, headers, now):
    """(status, reason, code, body, extra headers) for a request S3 would refuse here."""
    auth = headers.get("authorization", "")
    region = scope_region(auth)
    if region is None:
        return None  # unsigned or not SigV4: moto decides
    st = state()
    bucket = target.lstrip("/").split("/", 1)[0].split("?", 1)[0]
    want = st.get("regions", {}).get(bucket)
    if want and region != want:
        return (400, "Bad Request", "AuthorizationHeaderMalformed",
                xml_error("AuthorizationHeaderMalformed",
                          f"The authorization header is malformed; the region '{region}' is "
                          f"wrong; expecting '{want}'", f"<Region>{want}</Region>"),
                [("x-amz-bucket-region", want)])
    sent = headers.get("x-amz-date", "")
    t = amz_time(sent)
    if t is not None and abs(t - now) * 1000 > MAX_SKEW_MS:
        server = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        return (403, "Forbidden", "RequestTimeTooSkewed",
                xml_error("RequestTimeTooSkewed",
                          "The difference between the request time and the server's time is "
                          "too large.",
                          f"<RequestTime>{sent}</RequestTime><ServerTime>{server}</ServerTime>"
                          f"<MaxAllowedSkewMilliseconds>{MAX_SKEW_MS}"
                          "</MaxAllowedSkewMilliseconds>"), [])
    token = headers.get("x-amz-security-token")
    if token and token in st.get("expired_tokens", []):
        return (400, "Bad Request", "ExpiredToken",
                xml_error("ExpiredToken", "The provided token has expired.",
                          f"<Token-0>{token}</Token-0>"), [])
    return None


def relay_answer(up, client, method, upbuf):
    """Relay one answer from moto as read; returns (status, keep, upbuf)."""
    head, upbuf = read_head(up, upbuf)
    if head is None:
        raise Closed()
    client.sendall(head)
    status_line, h = parse_head(head)
    status = int(status_line.split()[1])
    conn = h.get("connection", "").lower()
    keep = conn == "keep-alive" if status_line.startswith("HTTP/1.0") else conn != "close"
    if method == "HEAD" or status in (204, 304) or status < 200:
        return status, keep, upbuf
    if h.get("transfer-encoding", "").lower() == "chunked":
        while True:
            while b"\r\n" not in upbuf:
                chunk = up.recv(65536)
                if not chunk:
                    raise Closed()
                upbuf += chunk
            line, _, rest = upbuf.partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            data, upbuf = read_exact(up, rest, size + 2)
            client.sendall(line + b"\r\n" + data)
            if size == 0:  # no trailers from moto: the CRLF read was the end
                return status, keep, upbuf
    if "content-length" in h:
        n = int(h["content-length"])
        while n > 0:
            if not upbuf:
                upbuf = up.recv(65536)
                if not upbuf:
                    raise Closed()
            part, upbuf = upbuf[:n], upbuf[n:]
            client.sendall(part)
            n -= len(part)
        return status, keep, upbuf
    while True:  # until moto closes
        client.sendall(upbuf)
        upbuf = up.recv(65536)
        if not upbuf:
            return status, False, b""


class Front(socketserver.BaseRequestHandler):
    def handle(self):
        client, buf, up, upbuf = self.request, b"", None, b""
        try:
            while True:
                head, buf = read_head(client, buf)
                if head is None:
                    return
                request_line, h = parse_head(head)
                method, target = request_line.split()[:2]
                if "chunked" in h.get("transfer-encoding", "").lower():
                    raise Closed()  # no client of ours sends it
                body, buf = read_exact(client, buf, int(h.get("content-length", "0")))
                now = int(time.time())
                t = amz_time(h.get("x-amz-date", ""))
                line = "x-amz-date=%s server-time=%s skew=%s scope=%s" % (
                    h.get("x-amz-date", "-"), time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)),
                    "%+d" % (t - now) if t is not None else "-",
                    scope_region(h.get("authorization", "")) or "-")
                r = refusal(method, target, h, now)
                if r:
                    status, reason, code, data, extra = r
                    out = [f"HTTP/1.1 {status} {reason}",
                           "Content-Type: application/xml",
                           f"Content-Length: {len(data)}",
                           "Server: AmazonS3",
                           "Date: " + time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                    time.gmtime(now))]
                    out += [f"{k}: {v}" for k, v in extra]
                    client.sendall(("\r\n".join(out) + "\r\n\r\n").encode()
                                   + (data if method != "HEAD" else b""))
                    log(f"{method} {target} {status} {code} {line}")
                else:
                    if up is None:
                        up = socket.create_connection(("127.0.0.1", UPSTREAM_PORT))
                    up.sendall(head + body)
                    status, keep, upbuf = relay_answer(up, client, method, upbuf)
                    log(f"{method} {target} {status} - {line}")
                    if not keep:  # moto closes: so does the front, as the answer said
                        return
                if h.get("connection", "").lower() == "close":
                    return
        except (Closed, OSError, ValueError, IndexError):
            return
        finally:
            if up is not None:
                up.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Front)
with open(PORTFILE + ".tmp", "w", encoding="utf-8") as f:
    f.write(f"{srv.server_address[1]}\n")
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
