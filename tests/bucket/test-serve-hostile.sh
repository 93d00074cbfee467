#!/bin/bash
# shellcheck disable=SC2016,SC2034 # checks in single quotes are eval'd: they expand, and read, variables then
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The real jit-agent with a hostile jit-fetch --serve: JIT_FETCH_HELPER
# names a fake helper (a bash script of the test's own) that, started with
# --serve, reads the agent's requests (wire/fetch-request.h) and answers
# each as $D/mode says. The store is an s3:// URL (so the agent sends its
# fetches to the server, jit-agent/fetch-server.c) that nothing ever
# contacts. What the server writes is as untrusted as a one-shot helper's:
# garbage, bytes after an answer, a byte between requests, a body over the
# limit, an answer for another object, a hang, an exit in the middle: each
# is a failed fetch of the helper (its message names it), the server is
# killed and reaped, the host's state is untouched, and a later fetch gets
# a new server; right after a failure (the restart backoff) a fetch runs
# one helper of its own.
#
# test-serve-hostile.sh JIT_AGENT JITCTL
# Root only (the agent checks its files are root's). About 30 s.
set -euo pipefail

AGENT=${1:-}
JITCTL=${2:-}
FETCH_TIMEOUT=1 # s, the smallest fetch_timeout
GRACE=5         # s, HELPER_GRACE_USEC in jit-agent/fetch-job.c
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/tap.sh
. "$HERE/../lib/tap.sh"
# shellcheck source=tests/lib/wait.sh
. "$HERE/../lib/wait.sh"

require_root
require_exe jit-agent "$AGENT"
require_exe jitctl "$JITCTL"
PRINTF=$(type -P printf) || die "no printf program (coreutils) in PATH"

umask 022
D=$(mktemp -d /tmp/jit-serve-hostile.XXXXXX)
chmod 0755 "$D"
AGENT_PID=
cleanup() {
        local rc=$?
        [[ -n $AGENT_PID ]] && stop_pid "$AGENT_PID"
        if [[ -s $D/hang.pid && $(cat "/proc/$(cat "$D/hang.pid")/comm" 2>/dev/null) == sleep ]]; then
                kill -KILL "$(cat "$D/hang.pid")" 2>/dev/null || true
        fi
        if ((rc != 0 || failed != 0)); then
                echo "# ---- agent log ----"
                tail -30 "$D/agent.log" 2>/dev/null | sed 's/^/#   /' | cut -c1-240
                echo "# ---- fake helper calls ----"
                tail -20 "$D/calls" 2>/dev/null | sed 's/^/#   /' | cut -c1-200
        fi
        [[ -n ${KEEP_TEST_DIR:-} ]] || rm -rf "$D"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=tests/lib/jit-host.sh
. "$HERE/../lib/jit-host.sh"
jit_host_init
mint alice alice-1 --scope ssh --ttl 10m
publish
jit_write_conf "bundle_url = s3://jit-store/demo/head.jwt
store_auth = aws
store_endpoint = http://127.0.0.1:9
store_region = us-east-1
allow_http = yes
poll_interval = 1d
fetch_timeout = ${FETCH_TIMEOUT}s"
STATE=$D/host/state/state

# ---- the fake helper --------------------------------------------------------
# One-shot (no --serve): a 304. With --serve: request after request, each
# answered by the mode; "serve PID" and "request PID ARGS" go to $D/calls.
cat >"$D/fake" <<EOF
#!/bin/bash
D='$D'
PRINTF='$PRINTF'
EOF
cat >>"$D/fake" <<'EOF'
if [[ $1 != --serve ]]; then
        echo "oneshot $$ $*" >>"$D/calls"
        "$PRINTF" 'status=304\n\n'
        exit 0
fi
echo "serve $$" >>"$D/calls"
head_200() {
        "$PRINTF" 'status=200\nlength=%s\n\n' "$(stat -c %s "$D/store/head.jwt")"
        cat "$D/store/head.jwt"
}
while :; do
        args=()
        while :; do
                IFS= read -r -d '' a || exit 0 # the end of input: the agent is done with us
                [[ -z $a ]] && break
                args+=("$a")
        done
        objs=()
        for a in "${args[@]}"; do [[ $a == --object=* ]] && objs+=("${a#--object=}"); done
        echo "request $$ ${args[*]}" >>"$D/calls"
        mode=$(cat "$D/mode")
        case $mode in
        good)
                if ((${#objs[@]} == 0)); then head_200; continue; fi
                for o in "${objs[@]}"; do
                        f=$D/store/objects/${o%%:*}
                        "$PRINTF" 'object=%s\nstatus=200\nlength=%s\n\n' "${o%%:*}" "$(stat -c %s "$f")"
                        cat "$f"
                done
                ;;
        garbage) "$PRINTF" 'hello\n\n' ;;
        after) "$PRINTF" 'status=304\n\nextra' ;;
        later)
                "$PRINTF" 'status=304\n\n'
                sleep 0.3
                "$PRINTF" 'x'
                ;;
        otherobject)
                if ((${#objs[@]} == 0)); then head_200; continue; fi
                "$PRINTF" 'object=%064d\nstatus=200\nlength=0\n\n' 0
                ;;
        big) "$PRINTF" 'status=200\nlength=%s\n\n' 99999999 ;;
        exit) exit 3 ;;
        hang)
                echo $$ >"$D/hang.pid"
                exec sleep 60
                ;;
        esac
done
EOF
chmod 0755 "$D/fake"
export JIT_FETCH_HELPER=$D/fake
set_mode() { echo "$1" >"$D/mode.tmp" && mv -f "$D/mode.tmp" "$D/mode"; }
: >"$D/calls"

log_lines() { wc -l <"$D/agent.log"; }
log_since() { tail -n +$(($1 + 1)) "$D/agent.log"; }
has_log_since() { log_since "$1" | grep -qE -- "$2"; }
state_sum() { sha256sum "$STATE" 2>/dev/null | cut -c1-64; }
server_pid() { sed -n 's/^serve \([0-9]*\)$/\1/p' "$D/calls" | tail -1; }
gone() { ! kill -0 "$1" 2>/dev/null; }
H="$D/fake --serve"
FAILED='store fetch failed \(1 in a row\): '

set_mode good
"$AGENT" --config "$D/host/jit.conf" </dev/null >"$D/agent.stdout" 2>"$D/agent.log" &
AGENT_PID=$!
check "start: serial 1 (head and shard) from a well-behaved server" \
        wait_for 10 eval '[[ $(awk '\''$1 == "serial" { print $2 }'\'' "$STATE" 2>/dev/null) == 1 ]]'
check "start: one server, no one-shot helper" \
        eval '[[ $(grep -c "^serve " "$D/calls") == 1 && $(grep -c "^oneshot " "$D/calls") == 0 ]]'
check "start: the head and the shard run were two requests to it" \
        test "$(grep -c "^request $(server_pid) " "$D/calls")" -eq 2

# hostile TAG MODE REGEX [LIMIT]: one poll (SIGHUP) to a server in MODE fails
# with REGEX, the server is killed and reaped; then a good poll (past the
# backoff of one failure) gets a new server.
hostile() {
        local tag=$1 re=$3 limit=${4:-4} mark sum
        set_mode "$2"
        sum=$(state_sum)
        mark=$(log_lines)
        kill -HUP "$AGENT_PID"
        check "$tag: the poll fails, naming it: …${re:0:70}" wait_for "$limit" has_log_since "$mark" "${FAILED}${re}"
        PID=$(server_pid) # the one that served it
        check "$tag: the server (pid $PID) is killed and reaped, and that is logged" \
                eval 'wait_for 2 gone "$PID" && has_log_since "'"$mark"'" "fetch server \(pid $PID\) "'
        check "$tag: the host's state is untouched" test "$(state_sum)" = "$sum"
        set_mode good
        sleep 1.1 # the restart backoff after one failure
        mark=$(log_lines)
        touch "$D/stamp"
        kill -HUP "$AGENT_PID"
        # Done when the state records the fetch (the next case compares it).
        check "$tag: the next poll has a new server and succeeds" \
                eval 'wait_for 4 eval "[[ \$STATE -nt \$D/stamp ]]" &&
                      has_log_since "'"$mark"'" "fetch server started" &&
                      [[ $(server_pid) != "$PID" ]] && ! has_log_since "'"$mark"'" "fetch failed"'
}

hostile garbage garbage "$H sent an invalid answer: header line without '='"
hostile after after "$H sent (bytes after its answer|more than it announced)"
PID=$(server_pid)
set_mode later
MARK=$(log_lines)
kill -HUP "$AGENT_PID"
check "later: a byte between requests ends the server" \
        wait_for 3 has_log_since "$MARK" "fetch server \(pid $PID\) wrote while no request was in flight: killed"
check "later: … killed and reaped" wait_for 2 gone "$PID"
set_mode good
sleep 1.1
hostile big big "body larger than [0-9]+ bytes"
hostile exit exit "$H (failed with exit status 3|closed its output before its answer was complete)"

# Right after a failure, within the backoff, a fetch runs on its own.
set_mode exit
MARK=$(log_lines)
kill -HUP "$AGENT_PID"
wait_for 4 has_log_since "$MARK" "$FAILED" || true
set_mode good
ONE=$(grep -c "^oneshot " "$D/calls" || true)
MARK=$(log_lines)
kill -HUP "$AGENT_PID"
check "backoff: a poll right after a server failure runs one jit-fetch of its own" \
        eval 'wait_for 3 eval "[[ \$(grep -c \"^oneshot \" \"$D/calls\") -gt $ONE ]]" && ! has_log_since "$MARK" "fetch failed"'

# A run of shards answered for another object: a new head is needed.
sleep 2.1
mint bob bob-1 --scope ssh --ttl 10m
publish
hostile otherobject otherobject "shard [0-9a-f]{64} of head serial 2: $H answered for object '0{64}' where [0-9a-f]{64} was next"

rm -f "$D/hang.pid"
hostile hang hang "$H did not finish in time: killed" $((FETCH_TIMEOUT + GRACE + 3))
check "hang: the hanging process is gone" wait_for 2 gone "$(cat "$D/hang.pid" 2>/dev/null || echo 0)"

check "the agent still runs" kill -0 "$AGENT_PID"
stop_pid "$AGENT_PID"
AGENT_PID=
summary
