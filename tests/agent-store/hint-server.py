#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile hint servers for test-agent-hint.sh, plain HTTP on 127.0.0.1 only.

hint-server.py PORTS_FILE LOG_FILE

Listeners on free ports, written to PORTS_FILE as "MODE PORT" lines once all
listen:
  stall    accepts and never reads nor writes: a hint server that hangs;
  garbage  answers every connection with bytes that are not HTTP, then closes;
  huge     answers 200 with a 10 MB body (Content-Length set);
  flood    answers every request at once with 200 and a new Etag: a hint
           every time the subscriber asks, as fast as it asks.
Every request (connection, for stall and garbage) appends "MODE TIME" to
LOG_FILE. Runs until killed.
"""

import socket
import sys
import threading
import time

held = []
lock = threading.Lock()
counter = [0]


def log(path, mode):
    with lock, open(path, "a") as f:
        f.write("%s %.3f\n" % (mode, time.time()))


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return False
        data += chunk
        if len(data) > 65536:
            return False
    return True


def handle(conn, mode, log_path):
    try:
        if mode == "stall":
            log(log_path, mode)
            held.append(conn)
            return
        if mode == "garbage":
            log(log_path, mode)
            conn.sendall(b"\x00\x01garbage \xff\xfe not http at all\r\n\r\n" * 10)
            conn.close()
            return
        while read_request(conn):
            log(log_path, mode)
            if mode == "huge":
                size = 10 * 1024 * 1024
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
                block = b"x" * 65536
                for _ in range(size // len(block)):
                    conn.sendall(block)
            else:  # flood
                with lock:
                    counter[0] += 1
                    n = counter[0]
                body = b"serial %d\n" % n
                conn.sendall(b"HTTP/1.1 200 OK\r\nEtag: %d\r\n"
                             b"Last-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (n, len(body), body))
    except OSError:
        pass
    if mode != "stall":
        try:
            conn.close()
        except OSError:
            pass


def serve(sock, mode, log_path):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=handle, args=(conn, mode, log_path), daemon=True).start()


def main():
    ports_file, log_path = sys.argv[1], sys.argv[2]
    lines = []
    for mode in ("stall", "garbage", "huge", "flood"):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        lines.append("%s %d\n" % (mode, s.getsockname()[1]))
        threading.Thread(target=serve, args=(s, mode, log_path), daemon=True).start()
    with open(ports_file + ".tmp", "w") as f:
        f.writelines(lines)
    import os
    os.rename(ports_file + ".tmp", ports_file)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
