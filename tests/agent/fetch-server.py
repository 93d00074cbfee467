#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile and plain-HTTP servers for test-fetch, on 127.0.0.1 only.

fetch-server.py PORTS_FILE LOG_FILE

Two listeners on free ports, written to PORTS_FILE as "stall PORT\nhttp PORT\n"
once both listen:
  stall  accepts and then never reads nor writes;
  http   plain HTTP/1.1, by path:
         /ok             200, a short body
         /headers-stall  200 headers promising 100 bytes, 10 sent, then silence
         /endless        200 chunked, chunks forever
         /biglength      200 with Content-Length 1000000000, then silence
         anything else   404
Every accepted connection appends "MODE" to LOG_FILE (flushed), so a test can
tell whether a client connected at all. Runs until killed.
"""

import os
import socket
import sys
import threading
import time

OK_BODY = b"hello over plain http\n"
held = []  # sockets kept open so the peer sees a stall, not a close
log_lock = threading.Lock()


def log(path, line):
    with log_lock, open(path, "a") as f:
        f.write(line + "\n")


def forever():
    while True:
        time.sleep(3600)


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk or len(data) > 65536:
            return None
        data += chunk
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return parts[1] if len(parts) >= 2 else None


def serve_http(conn):
    try:
        path = read_request(conn)
        if path == "/ok":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n" % len(OK_BODY) + OK_BODY)
        elif path == "/headers-stall":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
            held.append(conn)
            forever()
        elif path == "/endless":
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n" % 16384 + b"y" * 16384 + b"\r\n"
            while True:
                conn.sendall(chunk)
        elif path == "/biglength":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n")
            held.append(conn)
            forever()
        else:
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
    except OSError:
        pass  # the client gave up, as it should
    finally:
        if conn not in held:
            conn.close()


def accept_loop(sock, mode, log_path):
    while True:
        conn, _ = sock.accept()
        log(log_path, mode)
        if mode == "stall":
            held.append(conn)
        else:
            threading.Thread(target=serve_http, args=(conn,), daemon=True).start()


def main():
    ports_file, log_path = sys.argv[1], sys.argv[2]
    lines = []
    for mode in ("stall", "http"):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        lines.append("%s %d\n" % (mode, s.getsockname()[1]))
        threading.Thread(target=accept_loop, args=(s, mode, log_path), daemon=True).start()
    tmp = ports_file + ".tmp"
    with open(tmp, "w") as f:
        f.writelines(lines)
    os.rename(tmp, ports_file)
    forever()


if __name__ == "__main__":
    main()
