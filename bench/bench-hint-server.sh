#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What one subscriber costs a hint server (docs/fleet-scale.md, "Push hint
# server"): nginx + nchan (libnginx-mod-nchan) on 127.0.0.1, one worker,
# configured as docs/admin-guide.md says; SUBS (2000) idle long-poll
# subscribers held open over plain HTTP, then as many over TLS (a fresh
# nginx for each), by one Python asyncio client (no agents: the cost
# measured is the server's). The
# worker's RSS and the kernel's socket memory (/proc/net/sockstat, pages)
# are read before and after; a message is then published and the time until
# every subscriber has its answer is measured. nchan's README documents no
# per-subscriber memory figure; this is the measurement that stands in for
# it.
#
# Root (for the file descriptor limit). By hand:  bash bench/bench-hint-server.sh
set -euo pipefail
HERE=$(dirname "$(realpath "$0")")
. "$HERE/../tests/lib/tap.sh"
. "$HERE/../tests/lib/wait.sh"
SUBS=${SUBS:-2000}
NGINX=/usr/sbin/nginx
NCHAN=/usr/lib/nginx/modules/ngx_nchan_module.so
require_exe nginx "$NGINX"
[[ -f $NCHAN ]] || die "$NCHAN not found (libnginx-mod-nchan)"
ulimit -n $((SUBS * 2 + 1024))

D=$(mktemp -d /tmp/jit-hint-server.XXXXXX)
NG=
cleanup() {
        stop_pid "$NG"
        rm -rf "$D"
}
trap cleanup EXIT
mkdir -p "$D/tmp"
(
        cd "$D"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem \
                -out cert.pem -days 2 -subj "/CN=127.0.0.1" -addext subjectAltName=IP:127.0.0.1 2>/dev/null
)
PT=$(free_port)
PH=$(free_port)
PP=$(free_port)
cat >"$D/nginx.conf" <<EOF
load_module $NCHAN;
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile $((SUBS * 2 + 1024));
pid $D/nginx.pid;
error_log $D/error.log warn;
events { worker_connections $((SUBS * 2 + 256)); }
http {
        access_log off;
        client_body_temp_path $D/tmp/body;
        proxy_temp_path $D/tmp/proxy;
        fastcgi_temp_path $D/tmp/fastcgi;
        uwsgi_temp_path $D/tmp/uwsgi;
        scgi_temp_path $D/tmp/scgi;
        server {
                listen 127.0.0.1:$PT ssl;
                listen 127.0.0.1:$PH;
                ssl_certificate $D/cert.pem;
                ssl_certificate_key $D/key.pem;
                location = /sub {
                        nchan_subscriber longpoll;
                        nchan_channel_id jit-fleet;
                        nchan_subscriber_first_message newest;
                        nchan_subscriber_timeout 50s;
                }
        }
        server {
                listen 127.0.0.1:$PP;
                location = /pub {
                        nchan_publisher;
                        nchan_channel_id jit-fleet;
                        nchan_message_buffer_length 4;
                        nchan_message_timeout 10m;
                }
        }
}
EOF
start_nginx() {
        "$NGINX" -p "$D" -c "$D/nginx.conf" -e "$D/error.log" </dev/null >"$D/out" 2>&1 &
        NG=$!
        wait_for 5 /usr/bin/python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$PP" ||
                die "nginx: $(tail -3 "$D/error.log")"
        WORKER=$(pgrep -P "$NG" | head -n1)
}

# A fresh nginx per run, so one run's freed heap does not hide the next's.
for mode in plain tls; do
        start_nginx
        note "$mode: nginx master $NG, worker $WORKER; load $(cut -d' ' -f1-3 /proc/loadavg)"
        /usr/bin/python3 - "$SUBS" "$PT" "$PH" "$PP" "$WORKER" "$mode" <<'EOF'
import asyncio, re, ssl, sys, time, urllib.request
subs, pt, ph, pp, worker = (int(x) for x in sys.argv[1:6])
mode = sys.argv[6]

def rss():
    for l in open(f"/proc/{worker}/status"):
        if l.startswith("VmRSS"):
            return int(l.split()[1])

def tcp_mem_pages():
    for l in open("/proc/net/sockstat"):
        if l.startswith("TCP:"):
            f = l.split()
            return int(f[f.index("mem") + 1])

def subscribers():
    # The publisher location answers a GET with the channel's info.
    try:
        t = urllib.request.urlopen(f"http://127.0.0.1:{pp}/pub", timeout=5).read().decode()
    except Exception:
        return 0
    m = re.search(r"active subscribers: (\d+)", t)
    return int(m.group(1)) if m else 0

async def one(port, tls, answered):
    ctx = None
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
    w.write(b"GET /sub HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await w.drain()
    line = await r.readline()
    if b" 200 " in line:
        answered.append(time.time())
    w.close()

async def main():
    tls = mode == "tls"
    port = pt if tls else ph
    answered = []
    r0, m0 = rss(), tcp_mem_pages()
    tasks = []
    for i in range(subs):
        tasks.append(asyncio.create_task(one(port, tls, answered)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    t = time.time()
    while subscribers() < subs and time.time() - t < 45:
        await asyncio.sleep(0.5)
    n = subscribers()
    r1, m1 = rss(), tcp_mem_pages()
    t0 = time.time()
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{pp}/pub", data=b"serial 1"), timeout=10).read()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
    t1 = max(answered) if answered else float("nan")
    print(f"# {mode}: {n} subscribers held: worker RSS {r0} -> {r1} KiB "
          f"({(r1 - r0) / max(n, 1) * 1024:.0f} bytes each), kernel TCP memory {m0} -> {m1} pages; "
          f"one message reached {len(answered)} of them in {(t1 - t0) * 1000:.0f} ms")

asyncio.run(main())
EOF
        stop_pid "$NG"
        NG=
done
note "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
