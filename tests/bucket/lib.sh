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
