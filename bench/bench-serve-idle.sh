#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The cost of the long-lived fetch helper (jit-fetch --serve) next to the
# agent, idle, with a baseline measured in the same run.
#
# Two hosts of one store (jitctl publish, one grant), each polling every
# POLL (5 s; the default is 60 s) through one IDLE_SECONDS (60) window:
#   s3     the store in a private S3 bucket (moto_server, SigV4 and IAM
#          enforced), role credentials from the metadata fixture: the agent
#          and its jit-fetch --serve, which keeps them
#   https  the same store over HTTPS (python3's ssl on 127.0.0.1, no ETag:
#          each poll transfers the head): the agent and one jit-fetch per
#          poll, no server (the baseline)
# CPU = utime + stime of the agent, plus the server's for s3, plus the
# reaped helpers' (cutime + cstime) for https, at the end minus at the
# start, as % of one core; RSS and PSS (smaps_rollup) at the end. Also the
# polls each made and the credential requests to the metadata fixture in
# the window (the server asks again only near the credentials' end).
#
# bench-serve-idle.sh JIT_FETCH MOTO_SERVER PYTHON   (JIT_AGENT, JITCTL: environment)
# By hand:
#   JIT_AGENT=$PWD/build/jit-agent/jit-agent JITCTL=$PWD/build/jitctl/jitctl \
#   bash bench/bench-serve-idle.sh build/jit-fetch/jit-fetch "$(command -v moto_server)" python3
set -euo pipefail

FETCH=$(realpath "${1:?jit-fetch}")
MOTO=${2:?moto_server}
PYTHON=${3:-python3}
POLL=${POLL:-5}
IDLE_SECONDS=${IDLE_SECONDS:-60}
ROOT=$(cd "$(dirname "$(realpath "$0")")/.." && pwd)
BUCKET_DIR=$ROOT/tests/bucket
# shellcheck source=tests/lib/tap.sh
. "$ROOT/tests/lib/tap.sh"
# shellcheck source=tests/lib/wait.sh
. "$ROOT/tests/lib/wait.sh"
# shellcheck source=tests/bucket/lib.sh
. "$BUCKET_DIR/lib.sh"
require_root
require_exe jit-agent "${JIT_AGENT:-}"
require_exe jitctl "${JITCTL:-}"
export JIT_FETCH_HELPER=$FETCH

D=$(mktemp -d /tmp/jit-bench-serve.XXXXXX)
chmod 0755 "$D"
cleanup() {
        local rc=$?
        bucket_cleanup
        [[ -n ${KEEP_TMP:-} ]] || rm -rf "$D"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the store: moto (s3) and HTTPS --------------------------------------------
BUCKET=jit-store
REGION=us-east-1
MOTO_PORT=$(free_port)
EP=http://127.0.0.1:$MOTO_PORT
moto_start "$MOTO" "$MOTO_PORT"
"$PYTHON" "$BUCKET_DIR/s3-setup.py" "$EP" "$BUCKET" demo "$REGION" jit-host >"$D/creds.json" ||
        die "s3-setup.py failed"
metadata_start
md_set "c = json.load(open('$D/creds.json')); s['aws'].update(role=c['role'], region='$REGION',
        credentials={k: c[k] for k in ('AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration')})"

# shellcheck source=tests/lib/jit-host.sh
. "$ROOT/tests/lib/jit-host.sh"
jit_host_init
mint alice alice-1 --scope ssh --ttl 1h
publish
"$PYTHON" "$BUCKET_DIR/s3-sync.py" "$D/creds.json" "$BUCKET" demo "$D/store" || die "s3-sync.py failed"

mkdir "$D/pki"
sh "$ROOT/tests/agent/fetch-certs.sh" "$D/pki"
"$PYTHON" - "$D/store" "$D/pki" "$D/https.port" "$D/https.log" <<'PY' &
import functools, os, ssl, sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
store, pki, portfile, logfile = sys.argv[1:5]
class H(SimpleHTTPRequestHandler):
    def log_message(self, fmt, *a):
        with open(logfile, "a") as f: f.write((fmt % a) + "\n")
s = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=store))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(pki, "server.pem"), os.path.join(pki, "server.key"))
s.socket = ctx.wrap_socket(s.socket, server_side=True)
open(portfile + ".tmp", "w").write(str(s.server_address[1])); os.rename(portfile + ".tmp", portfile)
s.serve_forever()
PY
BG_PIDS+=($!)
wait_for 10 test -s "$D/https.port" || die "the HTTPS store did not start"

# ---- the two hosts ------------------------------------------------------------------
jit_write_conf "bundle_url = s3://$BUCKET/demo/head.jwt
store_auth = aws
store_endpoint = $EP
store_region = $REGION
allow_http = yes
poll_interval = ${POLL}s"
mkdir -p "$D/hostb/state" "$D/hostb/run"
chmod 0755 "$D/hostb" "$D/hostb/state" "$D/hostb/run"
sed -e "s|$D/host/state|$D/hostb/state|; s|$D/host/run|$D/hostb/run|" \
        -e '/^bundle_url\|^store_\|^allow_http/d' "$D/host/jit.conf" >"$D/hostb/jit.conf"
printf 'bundle_url = https://127.0.0.1:%s/head.jwt\nca_file = %s\n' "$(cat "$D/https.port")" \
        "$D/pki/ca.pem" >>"$D/hostb/jit.conf"
chmod 0644 "$D/hostb/jit.conf"

JIT_TEST_METADATA_URL=$MD_URL "$JIT_AGENT" --config "$D/host/jit.conf" </dev/null \
        >/dev/null 2>"$D/agent-s3.log" &
A=$!
BG_PIDS+=("$A")
"$JIT_AGENT" --config "$D/hostb/jit.conf" </dev/null >/dev/null 2>"$D/agent-https.log" &
B=$!
BG_PIDS+=("$B")
wait_for 20 grep -q 'head serial 1 accepted' "$D/agent-s3.log" || die "the s3 agent took no head"
wait_for 20 grep -q 'head serial 1 accepted' "$D/agent-https.log" || die "the https agent took no head"
S=$(sed -n 's/.*fetch server started (pid \([0-9]*\)).*/\1/p' "$D/agent-s3.log" | tail -1)
[[ -n $S ]] || die "no fetch server"

# ticks PID [children]: utime + stime (+ cutime + cstime)
ticks() {
        local f
        read -ra f <"/proc/$1/stat"
        if [[ ${2:-} == children ]]; then
                echo $((f[13] + f[14] + f[15] + f[16]))
        else echo $((f[13] + f[14])); fi
}
kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/${3:-status}"; }
heads() { grep -c "GET /$BUCKET/demo/head.jwt" "$D/moto.log" || true; }
asks() { grep -c '^GET /latest/meta-data/iam/security-credentials/jit-host ' "$MD_LOG" || true; }
HZ=$(getconf CLK_TCK)

A0=$(ticks "$A")
S0=$(ticks "$S")
B0=$(ticks "$B" children)
H0=$(heads)
C0=$(asks)
BL0=$(grep -c 'GET /head.jwt' "$D/https.log" || true)
T0=$EPOCHREALTIME
sleep "$IDLE_SECONDS"
T1=$EPOCHREALTIME
A1=$(ticks "$A")
S1=$(ticks "$S")
B1=$(ticks "$B" children)
pct() { awk -v t="$1" -v hz="$HZ" -v s="$(fsub "$T1" "$T0")" 'BEGIN { printf "%.3f", 100 * t / hz / s }'; }

kill -0 "$S" || die "the server ended during the window"
echo "# window $(fsub "$T1" "$T0") s, poll_interval ${POLL}s, CLK_TCK $HZ"
printf '%-34s %8s %8s %8s\n' "" "cpu %" "rss KiB" "pss KiB"
printf '%-34s %8s %8s %8s\n' "s3: jit-agent" "$(pct $((A1 - A0)))" "$(kib "$A" VmRSS)" "$(kib "$A" Pss smaps_rollup)"
printf '%-34s %8s %8s %8s\n' "s3: jit-fetch --serve (idle)" "$(pct $((S1 - S0)))" "$(kib "$S" VmRSS)" "$(kib "$S" Pss smaps_rollup)"
printf '%-34s %8s %8s %8s\n' "https: jit-agent + its helpers" "$(pct $((B1 - B0)))" "$(kib "$B" VmRSS)" "$(kib "$B" Pss smaps_rollup)"
echo "# s3 polls in the window: $(($(heads) - H0)) (head GETs at the store); credential requests: $(($(asks) - C0))"
echo "# https polls in the window: $(($(grep -c 'GET /head.jwt' "$D/https.log" || true) - BL0)) (one jit-fetch each, reaped: their CPU is in the agent's children's)"
echo "# the server's VmHWM $(kib "$S" VmHWM) KiB"
