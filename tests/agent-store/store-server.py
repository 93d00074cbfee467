#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile stores for test-agent-store.sh, on 127.0.0.1 only.

store-server.py PORTS_FILE LOG_FILE CERT KEY [ROOT]

Listeners on free ports, written to PORTS_FILE as "stall PORT\nendless PORT\n"
(and "split PORT\n" with ROOT) once all listen:
  stall    accepts TCP connections and never reads nor writes (no TLS
           handshake either): a store that hangs;
  endless  HTTPS (CERT/KEY); to any request answers 200 with a chunked body
           (no Content-Length, so the client cannot refuse it up front) that
           never ends;
  split    HTTPS; GET /objects/… answers as endless does (a shard that never
           ends), any other path is the file of that name under ROOT, with
           its Content-Length (the head).
Every accepted connection appends "MODE TIME" to LOG_FILE (flushed). Runs
until killed.
"""

import os
import socket
import ssl
import sys
import threading
import time

held = []  # sockets kept open so the peer sees a stall, not a close
log_lock = threading.Lock()


def log(path, line):
    with log_lock, open(path, "a") as f:
        f.write(line + "\n")


def listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s


def serve_stall(sock, log_path):
    while True:
        conn, _ = sock.accept()
        log(log_path, "stall %.3f" % time.time())
        held.append(conn)


def endless_one(conn, ctx, log_path, root=None):
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(4096)
            if not chunk or len(data) > 65536:
                return
            data += chunk
        path = data.split(b" ", 2)[1].decode("latin-1") if b" " in data else "/"
        if root is not None and not path.startswith("/objects/"):
            name = os.path.join(root, os.path.basename(path))
            body = open(name, "rb").read() if os.path.isfile(name) else None
            if body is None:
                tls.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            else:
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            return
        log(log_path, "endless-body %s %.3f" % (path, time.time()))
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/jwt\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"A" * 4096
        frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        sent = 0
        while sent < 64 * 1024 * 1024:  # "forever", but bounded for a test
            tls.sendall(frame)
            sent += len(chunk)
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def serve_endless(sock, ctx, log_path, root=None):
    while True:
        conn, _ = sock.accept()
        log(log_path, "%s %.3f" % ("split" if root else "endless", time.time()))
        threading.Thread(target=endless_one, args=(conn, ctx, log_path, root),
                         daemon=True).start()


def main():
    ports_file, log_path, cert, key = sys.argv[1:5]
    root = sys.argv[5] if len(sys.argv) > 5 else None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    stall, endless = listener(), listener()
    threading.Thread(target=serve_stall, args=(stall, log_path), daemon=True).start()
    threading.Thread(target=serve_endless, args=(endless, ctx, log_path), daemon=True).start()
    tmp = ports_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("stall %d\nendless %d\n" % (stall.getsockname()[1], endless.getsockname()[1]))
        if root:
            split = listener()
            threading.Thread(target=serve_endless, args=(split, ctx, log_path, root),
                             daemon=True).start()
            f.write("split %d\n" % split.getsockname()[1])
    os.rename(tmp, ports_file)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
