# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# What the bucket tier's scripts share: the metadata fixture
# (tests/lib/metadata-fixture.py, which serves the instance credentials too),
# running the real jit-fetch once and reading its
# answer (the wire protocol, jit-fetch/wire/fetch-wire.h), and checks that
# no secret ever shows in what jit-fetch wrote. Sourced after tap.sh and
# wait.sh; the script sets D (its folder) and FETCH (the built jit-fetch).

# shellcheck source=tests/lib/metadata.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/metadata.sh"

BG_PIDS=()

# bucket_cleanup: end every process this test started, by PID.
bucket_cleanup() {
        local p
        for p in "${BG_PIDS[@]}"; do stop_pid "$p"; done
}

# wait_port PORT SECONDS: something listens on 127.0.0.1:PORT.
wait_port() {
        wait_for "$2" bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# shards_make STEP: three shards of random text, STEP, 2 STEP and 3 STEP
# bytes before base64, in $D/obj1..3; sets OBJ_ARGS (jit-fetch's --object
# options for them) and OBJ_PUT (s3-setup.py's store/objects/SHA=FILE).
shards_make() {
        local i o
        OBJ_ARGS=()
        OBJ_PUT=()
        for i in 1 2 3; do
                head -c $(($1 * i)) /dev/urandom | base64 >"$D/obj$i"
                o=$(sha256sum "$D/obj$i" | cut -c1-64)
                OBJ_ARGS+=("--object=$o:$(stat -c %s "$D/obj$i")")
                OBJ_PUT+=("store/objects/$o=$D/obj$i")
        done
}

# moto_start MOTO PORT: moto_server on 127.0.0.1:PORT with authentication
# enforced from the fourth request on (s3-setup.py makes the first three:
# the role, its policy, the bucket), its log in $D/moto.log.
moto_start() {
        INITIAL_NO_AUTH_ACTION_COUNT=3 "$1" -H 127.0.0.1 -p "$2" >"$D/moto.log" 2>&1 &
        BG_PIDS+=($!)
        wait_port "$2" 30 || die "moto_server did not start on $2"
}

# metadata_start: the metadata fixture (tests/lib/metadata-fixture.py, by
# tests/lib/metadata.sh) in $D/md with a normal instance of each cloud; sets
# MD_URL (jit-fetch --endpoint, the agent's JIT_TEST_METADATA_URL) and
# MD_LOG. The script adds the instance's credentials with md_set.
metadata_start() {
        md_start "$D/md"
        BG_PIDS+=("$MD_PID")
}

# md_set PYTHON: change the fixture's state (s is the JSON object).
md_set() {
        "$PYTHON" - "$MD_DIR/state.json" "$1" <<'PY'
import json, os, sys
p, expr = sys.argv[1:3]
s = json.load(open(p))
exec(expr)
json.dump(s, open(p + ".tmp", "w"))
os.rename(p + ".tmp", p)
PY
}

# fetch ARGS…: one run of jit-fetch, with the fixture as its metadata
# service; its answer in $D/out, stderr in $D/err.
fetch() {
        "$FETCH" --endpoint="$MD_URL" "$@" >"$D/out" 2>"$D/err" || true
}

# out_is KEY VALUE: the answer's header holds KEY=VALUE.
out_is() {
        grep -qxF -- "$1=$2" <(sed '/^$/q' "$D/out")
}
# out_message_has TEXT: the answer is an error whose message holds TEXT.
out_message_has() {
        grep -q '^error=' "$D/out" && grep '^message=' "$D/out" | grep -qF -- "$1"
}
# out_body_is FILE: the body after the header is FILE's content.
out_body_is() {
        cmp -s <(sed '1,/^$/d' "$D/out") "$1"
}
# no_secret_in_output SECRET…: none of the secrets shows in what jit-fetch
# wrote (answer and stderr).
no_secret_in_output() {
        local s
        for s in "$@"; do
                [[ -n $s ]] || continue
                if grep -qF -- "$s" "$D/out" "$D/err"; then return 1; fi
        done
}

tap_on_fail() {
        echo "# ---- jit-fetch answer ----"
        sed 's/^/#   /' "$D/out" 2>/dev/null | head -8 | cut -c1-300
        sed 's/^/#   err: /' "$D/err" 2>/dev/null | head -5
}

# front_start MOTO_PORT: the strict SigV4 front (sigv4-front.py: region and
# x-amz-date checked, expired session tokens refused, as S3 does and moto
# does not) before moto, in $D/front; sets FRONT_URL, FRONT_LOG. Its state
# ({"regions": {...}, "expired_tokens": [...]}) is changed with front_set.
front_start() {
        mkdir -p "$D/front"
        echo '{"regions": {}, "expired_tokens": []}' >"$D/front/state.json"
        FRONT_LOG=$D/front/requests.log
        : >"$FRONT_LOG"
        "$PYTHON" "$(dirname "${BASH_SOURCE[0]}")/sigv4-front.py" "$1" "$D/front/state.json" \
                "$D/front/port" "$FRONT_LOG" 2>"$D/front/err" &
        BG_PIDS+=($!)
        front_has_port() { [[ -s $D/front/port ]]; }
        wait_for 20 front_has_port || die "sigv4-front.py did not start: $(cat "$D/front/err")"
        # shellcheck disable=SC2034 # for the sourcing script
        FRONT_URL=http://127.0.0.1:$(cat "$D/front/port")
}

# front_set PYTHON: change the front's state (s is the JSON object), read
# by the front at its next request.
front_set() {
        "$PYTHON" - "$D/front/state.json" "$1" <<'PY'
import json, os, sys
p, expr = sys.argv[1:3]
s = json.load(open(p))
exec(expr)
json.dump(s, open(p + ".tmp", "w"))
os.rename(p + ".tmp", p)
PY
}

# front_last: the front's last log line ("METHOD PATH STATUS CODE
# x-amz-date=… server-time=… skew=±S scope=REGION").
front_last() { tail -n1 "$FRONT_LOG"; }
# front_last_skew: that line's skew (the request's x-amz-date minus the
# front's clock), in seconds.
front_last_skew() { front_last | sed -n 's/.* skew=\([-+0-9]*\) .*/\1/p'; }

# notify_listen SOCKET LOG: STATUS= lines, as systemd would get them, from a
# datagram socket of our own (the agent's NOTIFY_SOCKET), appended to LOG.
notify_listen() {
        "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        for l in s.recv(4096).decode(errors="replace").split("\n"):
            if l.startswith("STATUS="): f.write(l + "\n")
' "$1" "$2" &
        BG_PIDS+=($!)
        wait_for 5 test -S "$1" || die "notify socket listener did not start"
}
