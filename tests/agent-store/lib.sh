# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Shared by the scripts that run the real jit-agent here (test-agent-store.sh,
# test-fetch-helper.sh): TAP-like results, time arithmetic, waiting, and the
# views of the agent's log and state. Sourced, not run. The sourcing script
# sets D (its temp folder, with D/agent.log holding "EPOCHREALTIME line"
# entries), STATE (state_dir/state) and AGENT_PID.

passed=0
failed=0
T0=$EPOCHREALTIME

say() { printf '# [%6.2f] %s\n' "$(elapsed)" "$*"; }
pass() {
        passed=$((passed + 1))
        echo "ok   - $*"
}
fail() {
        failed=$((failed + 1))
        echo "FAIL - $*"
}
check() {
        local what=$1
        shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}
die() {
        echo "FAIL - $*"
        exit 1
}

# Float helpers (bash has none).
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
# in_range X LO HI: LO <= X <= HI
in_range() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

stop_pid() { # stop_pid PID: SIGTERM, then SIGKILL after 3 s; reaps it.
        local pid=$1 i
        [[ -n $pid ]] || return 0
        kill -0 "$pid" 2>/dev/null || {
                wait "$pid" 2>/dev/null || true
                return 0
        }
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 60; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.05
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
}

# wait_for SECONDS COMMAND…: poll COMMAND every 20 ms; false on timeout.
wait_for() {
        local limit=$1
        shift
        local end
        end=$(awk -v a="$EPOCHREALTIME" -v s="$limit" 'BEGIN { printf "%.3f", a + s }')
        while ! "$@"; do
                awk -v a="$EPOCHREALTIME" -v e="$end" 'BEGIN { exit !(a > e) }' && return 1
                sleep 0.02
        done
}

state_get() { awk -v k="$1" '$1 == k { print $2 }' "$STATE" 2>/dev/null; }
state_serial_is() { [[ $(state_get serial) == "$1" ]]; }
log_lines() { wc -l <"$D/agent.log"; }
# log_since MARK: agent log lines after line MARK.
log_since() { tail -n "+$(($1 + 1))" "$D/agent.log"; }
has_log_since() { log_since "$1" | grep -qE -- "$2"; }
no_log_since() { ! has_log_since "$@"; }
# first_stamp_since MARK REGEX: time the agent wrote the first matching line.
first_stamp_since() { log_since "$1" | grep -E -- "$2" | head -n1 | cut -d' ' -f1; }
agent_alive() { kill -0 "$AGENT_PID" 2>/dev/null; }
fd_count() { find "/proc/$AGENT_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
