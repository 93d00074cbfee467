# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# What the bucket tier's scripts share: the metadata fixture
# (metadata-fixture.py), running the real jit-fetch once and reading its
# answer (the wire protocol, jit-fetch/wire/fetch-wire.h), and checks that
# no secret ever shows in what jit-fetch wrote. Sourced after tap.sh and
# wait.sh; the script sets D (its folder) and FETCH (the built jit-fetch).

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

# metadata_start: the fixture on a free port, serving $D/md-state.json;
# sets MD_URL. Requests are logged to $D/md.log.
metadata_start() {
        : >"$D/md.log"
        [[ -f $D/md-state.json ]] || echo '{}' >"$D/md-state.json"
        "$PYTHON" "$BUCKET_DIR/metadata-fixture.py" "$D/md-state.json" "$D/md.log" "$D/md.port" \
                2>"$D/md.err" &
        BG_PIDS+=($!)
        wait_for 10 test -s "$D/md.port" || die "metadata fixture did not start: $(cat "$D/md.err")"
        MD_URL=http://127.0.0.1:$(cat "$D/md.port")
        export JIT_METADATA_URL=$MD_URL
}

# md_set PYTHON-EXPR: change the fixture's state (s is the JSON object).
md_set() {
        "$PYTHON" - "$D/md-state.json" "$1" <<'PY'
import json, sys
p, expr = sys.argv[1:3]
s = json.load(open(p))
exec(expr)
json.dump(s, open(p + ".tmp", "w"))
import os; os.rename(p + ".tmp", p)
PY
}

# fetch ARGS…: one run of jit-fetch; its answer in $D/out, stderr in $D/err.
fetch() {
        "$FETCH" "$@" >"$D/out" 2>"$D/err" || true
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
