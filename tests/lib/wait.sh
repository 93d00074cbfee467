# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Time and waiting for shell tests (docs/testing.md). Sourced, not run.
#
# A test that waits for something polls for it up to a deadline (wait_for)
# rather than sleeping a fixed time and looking once: on a busy machine the
# fixed sleep is too short, on an idle one too long. Deadlines are generous
# (they cost nothing when the event comes); what a test asserts about time is
# a bound the feature promises, measured from timestamps, never the sleep.

# Float arithmetic (bash has none). Times are epoch seconds ($EPOCHREALTIME).
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
fadd() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }
# secs_between A B: B − A, 3 decimals.
secs_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# le A B: A ≤ B.  in_range X LO HI: LO ≤ X ≤ HI.
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
in_range() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }
# elapsed [FROM]: seconds since FROM (default: when tap.sh was sourced), 2 decimals.
elapsed() { awk -v a="${1:-$TAP_T0}" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# wait_for SECONDS COMMAND…: runs COMMAND every 20 ms until it succeeds;
# false when SECONDS (a decimal) passed first. COMMAND runs once more at the
# deadline, so a slow poll cannot miss an event that came in time.
wait_for() {
        local limit=$1
        shift
        local end
        end=$(fadd "$EPOCHREALTIME" "$limit")
        while ! "$@"; do
                if le "$end" "$EPOCHREALTIME"; then
                        "$@"
                        return
                fi
                sleep 0.02
        done
}

# wait_until_epoch T: sleeps until the wall clock reaches T (seconds).
wait_until_epoch() {
        local d
        d=$(awk -v t="$1" -v n="$EPOCHREALTIME" 'BEGIN { d = t - n; printf "%.3f", (d > 0 ? d : 0) }')
        sleep "$d"
}

# proc_alive PID: the process exists and is not a zombie.
proc_alive() {
        local st
        st=$(sed -n 's/.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
        [[ -n $st && $st != Z && $st != X && $st != x ]]
}

# wait_dead PID SECONDS: waits until PID is gone (or a zombie); the moment it
# was first seen gone in $T_DEAD (epoch seconds, µs).
wait_dead() {
        local pid=$1 secs=$2 end
        T_DEAD=
        end=$(fadd "$EPOCHREALTIME" "$secs")
        while proc_alive "$pid"; do
                le "$end" "$EPOCHREALTIME" && return 1
                sleep 0.01
        done
        T_DEAD=$EPOCHREALTIME
}

# stop_pid PID: SIGTERM, then SIGKILL after 3 s; reaps it (a child of this
# shell). Only the PID given, never a name.
stop_pid() {
        local pid=$1 i
        [[ -n $pid ]] || return 0
        if ! kill -0 "$pid" 2>/dev/null; then
                wait "$pid" 2>/dev/null || true
                return 0
        fi
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 60; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.05
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
}

# free_port: a TCP port on 127.0.0.1 nobody listens on now.
free_port() {
        /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# port_listens PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_listens() {
        /usr/bin/python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' \
                "$1" 2>/dev/null
}
