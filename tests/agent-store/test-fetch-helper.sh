#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The real jit-agent with a hostile fetch helper: JIT_FETCH_HELPER names a
# fake helper (a bash script of the test's own, through a symlink) whose
# behaviour is picked by the file $D/mode. The agent must treat what the
# helper does and writes as untrusted (fetch-job.c, fetch-wire.c): every
# misbehaviour is a failed fetch with a message naming the problem, the
# agent keeps running, and the host's state is not touched. A control at
# each end runs the real helper (jit-fetch) on a file:// store.
#
# test-fetch-helper.sh JIT_AGENT JITCTL
#
# Root only (the agent refuses config and state not owned by root). Every
# process started here is ended here, by PID. poll_interval is 1d (the
# maximum), so only SIGHUP (which also resets the backoff) makes the agent
# poll; fetch_timeout is 1 s (the minimum), so a helper that hangs is killed
# after 1 + 5 s (HELPER_GRACE_USEC). Takes about 20 s.
set -euo pipefail

AGENT=${1:-}
JITCTL=${2:-}
# The real helper: meson passes it; in a build tree it is jit-fetch/jit-fetch
# beside jit-agent/jit-agent.
REAL_HELPER=${JIT_FETCH_HELPER:-$(dirname "${1:-.}")/../jit-fetch/jit-fetch}
FETCH_TIMEOUT=1 # s, the smallest fetch_timeout jit-conf.c allows
GRACE=5         # s, HELPER_GRACE_USEC in fetch-job.c
MAX_SIZE=65536  # max_bundle_size = 64K
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/agent-store/lib.sh
. "$HERE/lib.sh"

[[ -x $REAL_HELPER ]] || die "jit-fetch not found (JIT_FETCH_HELPER): '$REAL_HELPER'"
PRINTF=$(type -P printf) || die "no printf program (coreutils) in PATH"

ORPHAN_PID= # the fake helper's leftover child (mode orphan)
HANG_PID=   # the fake helper that hangs (mode hang); the agent kills it

# kill_sleep PID: SIGKILL a `sleep` the fake helper left (not our child, so
# not waited for), only if PID is still that sleep.
kill_sleep() {
        [[ -n $1 ]] || return 0
        if [[ $(cat "/proc/$1/comm" 2>/dev/null) == sleep ]]; then kill -KILL "$1" 2>/dev/null || true; fi
}
kill_sleeps() {
        kill_sleep "$ORPHAN_PID"
        kill_sleep "$HANG_PID"
}
CLEANUP_HOOK=kill_sleeps
store_test_init fetch-helper
FAIL_LOGS+=("fake helper calls:$D/calls:30")

# ---- issuer, store, host ----------------------------------------------------
# grant USER JTI: a sudo grant for USER on env=prod hosts into the store.
grant() { mint "$1" "$2" --scope sudo --ttl 10m --jti "$2"; }
STORE_URL="file://$D/store/head.jwt"
jit_write_conf "bundle_url = $STORE_URL
poll_interval = 1d
fetch_timeout = ${FETCH_TIMEOUT}s
max_bundle_size = $((MAX_SIZE / 1024))K
clock_skew = 0"

# ---- the fake helper ----------------------------------------------------------
# $D/helper (JIT_FETCH_HELPER) is a symlink to it, so that mode "missing"
# can take the path away. Each call is logged to $D/calls: "MODE PID START ARGS".
cat >"$D/fake-helper" <<EOF
#!/bin/bash
D='$D'
REAL='$REAL_HELPER'
PRINTF='$PRINTF'
EOF
cat >>"$D/fake-helper" <<'EOF'
mode=$(cat "$D/mode")
printf '%s %s %s %s\n' "$mode" "$$" "$EPOCHREALTIME" "$*" >>"$D/calls"
max=
obj=
for a; do case $a in --max-size=*) max=${a#--max-size=} ;; --object=*) obj=${a#--object=} obj=${obj%%:*} ;; esac; done
# run-*: the real helper for the head, the mode for a run of shards.
if [[ $mode == run-* ]]; then
        [[ -n $obj ]] || exec "$REAL" "$@"
        mode=${mode#run-}
fi
# \$PRINTF (coreutils printf: stdio fully buffered on a pipe) writes its
# output in one write(2), so the agent reads it in one piece; bash's own
# printf writes line by line (bash makes stdout line-buffered).
case $mode in
real) exec "$REAL" "$@" ;;
exit1) exit 1 ;;
silent) exit 0 ;;
signal) kill -9 $$ ;;
garbage) "$PRINTF" 'hello\n\n' ;;
short) "$PRINTF" 'status=200\nlength=100\n\n0123456789' ;;
after304) "$PRINTF" 'status=304\n\nextra' ;;
later304)
        printf 'status=304\n\n'
        sleep 0.3
        printf 'x'
        ;;
big) "$PRINTF" 'status=200\nlength=%s\n\n' "$((max + 1))" ;;
more) "$PRINTF" 'status=200\nlength=5\n\n0123456789' ;;
morelater)
        printf 'status=200\nlength=5\n\n01234'
        sleep 0.3
        printf '56789'
        ;;
error) "$PRINTF" 'error=-71\nmessage=the fake store says no\n\n' ;;
otherobject) "$PRINTF" 'object=%064d\nstatus=200\nlength=0\n\n' 0 ;;
noname) "$PRINTF" 'status=200\nlength=0\n\n' ;;
obj304) "$PRINTF" 'object=%s\nstatus=304\n\n' "$obj" ;;
orphan)
        # A child that keeps stdout (the agent's pipe) open for a minute.
        sleep 60 2>/dev/null &
        echo $! >"$D/orphan.pid"
        "$PRINTF" 'status=304\n\n'
        ;;
hang)
        echo $$ >"$D/hang.pid"
        exec sleep 60
        ;;
*) exit 99 ;;
esac
exit 0
EOF
chmod 0755 "$D/fake-helper"
ln -s "$D/fake-helper" "$D/helper"
export JIT_FETCH_HELPER=$D/helper
set_mode() { echo "$1" >"$D/mode.tmp" && mv -f "$D/mode.tmp" "$D/mode"; }
: >"$D/calls"

# ---- agent-side views ---------------------------------------------------------
state_sum() { sha256sum "$STATE" 2>/dev/null | cut -c1-64 || echo none; }
agent_children() { pgrep -P "$AGENT_PID" || true; }
no_agent_child() { [[ -z $(agent_children) ]]; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }
calls() { wc -l <"$D/calls"; }
FAILED='store fetch failed \(1 in a row\): '

# ---- the first poll: the real helper, serial 1 ------------------------------------
grant alice alice-1
publish
set_mode real

agent_start
say "agent pid $AGENT_PID, JIT_FETCH_HELPER=$JIT_FETCH_HELPER"

say "start: the real helper fetches serial 1"
if wait_for 6 has_log_since 0 'head serial 1 accepted'; then
        pass "start: $(grep -m1 'head serial 1 accepted' "$D/agent.log" | cut -d' ' -f2-)"
else
        die "start: no 'head serial 1 accepted' within 6 s"
fi
wait_for 2 state_serial_is 1 || true
check "start: state has serial 1" state_serial_is 1
check "start: the agent ran the helper twice, through JIT_FETCH_HELPER: the head, then the one shard of its bin" test "$(calls)" -eq 2
ARGS=$(head -n1 "$D/calls")
SHARD_ARGS=$(sed -n 2p "$D/calls")
OBJ=$(basename "$(ls "$D"/store/objects/*)")
check "start: the shard run named its digest, capped at its size (--object=$OBJ:SIZE)" \
        grep -qF -- " --object=$OBJ:$(stat -c %s "$D/store/objects/$OBJ")" <<<"$SHARD_ARGS"
check "start: … under the store the head came from" grep -qF -- " --url=file://$D/store/ " <<<"$SHARD_ARGS"
check "start: … with a bound on the whole run" grep -qF -- " --run-timeout-usec=" <<<"$SHARD_ARGS"
check "start: it passed --url=$STORE_URL" grep -qF -- " --url=$STORE_URL" <<<"$ARGS"
check "start: it passed --max-size=$MAX_SIZE" grep -qF -- " --max-size=$MAX_SIZE" <<<"$ARGS"
check "start: it passed --timeout-usec=$((FETCH_TIMEOUT * 1000000))" \
        grep -qF -- " --timeout-usec=$((FETCH_TIMEOUT * 1000000))" <<<"$ARGS"
wait_for 2 no_agent_child || true
FD_IDLE=$(fd_count)
# last-fetch has a resolution of 1 s: a wrongly accepted 304 below must
# land in another second to show in the state's checksum.
sleep 1.1
SUM=$(state_sum)
LF0=$(state_get last-fetch)
say "state $(state_get serial) last-fetch $(state_get last-fetch) sha256 ${SUM:0:16}…"

# after_case TAG: what must hold after every hostile case.
after_case() {
        check "$1: agent still running" agent_alive
        check "$1: state_dir/state unchanged" test "$(state_sum)" = "$SUM"
        check "$1: no helper process left (reaped)" wait_for 1 no_agent_child
}

# hostile TAG MODE REGEX [LIMIT]: run the fake helper in MODE once (SIGHUP)
# and expect a "store fetch failed (1 in a row): …" line matching REGEX
# within LIMIT s (default 4). Sets T_HUP, T_FAIL (when logged), T_SPAWN (when
# the fake helper started) and MARK.
hostile() {
        local tag=$1 mode=$2 re=$3 limit=${4:-4} c
        set_mode "$mode"
        MARK=$(log_lines)
        c=$(calls)
        T_FAIL=
        kill -HUP "$AGENT_PID"
        T_HUP=$EPOCHREALTIME
        if wait_for "$limit" has_log_since "$MARK" "${FAILED}${re}"; then
                T_FAIL=$(first_stamp_since "$MARK" "$FAILED")
                pass "$tag: after $(fsub "$T_FAIL" "$T_HUP") s: $(log_since "$MARK" | grep -m1 -E "$FAILED" | cut -d' ' -f2-)"
        else
                fail "$tag: no 'fetch failed (1 in a row): …$re' within $limit s of SIGHUP; got: $(log_since "$MARK" | grep -m1 'fetch failed' | cut -d' ' -f2-)"
        fi
        check "$tag: the fake helper ran in mode $mode" test "$(calls)" -gt "$c"
        T_SPAWN=$(tail -n1 "$D/calls" | cut -d' ' -f3)
        check "$tag: the reload came first" has_log_since "$MARK" 'configuration and trust store reloaded'
        check "$tag: nothing accepted" no_log_since "$MARK" 'accepted|store update rejected'
        after_case "$tag"
}

H=$D/helper
say "case 1: exits 1 without a word"
hostile 1 exit1 "$H failed with exit status 1;"
say "case 1b: exits 0 without a word"
hostile 1b silent "$H ended without an answer;"
say "case 2: killed by a signal"
hostile 2 signal "$H was killed by signal 9;"
say "case 3: garbage for a header"
hostile 3 garbage "$H sent an invalid answer: header line without '='"
say "case 4: a body cut short (100 announced, 10 sent)"
hostile 4 short "$H ended 10 bytes into a 100 byte body;"
say "case 5: a 304 with bytes after it (one write)"
hostile 5 after304 "$H sent bytes after its answer;"
say "case 5b: a 304, then a byte more (a later write)"
hostile 5b later304 "$H sent more than it announced;"
say "case 6: a body over max_size announced"
hostile 6 big "body larger than $MAX_SIZE bytes;"
check "6: the helper was told --max-size=$MAX_SIZE" \
        grep -qE -- "^big [0-9]+ [0-9.]+ .*--max-size=$MAX_SIZE( |\$)" "$D/calls"
say "case 7: more body than announced (one write)"
hostile 7 more "$H sent more than the announced body;"
say "case 7b: more body than announced (a later write)"
hostile 7b morelater "$H sent more than it announced;"
say "case 7c: a well-formed error answer is passed on, as the helper's message"
hostile 7c error "the fake store says no;"

say "case 8: a valid 304, then exit 0, a child left holding the pipe"
# fetch-job.c ends a job once the pipe is at EOF *and* the helper is reaped
# (maybe_finish); the orphan keeps the pipe open, so no EOF: the deadline
# (fetch_timeout + 5 s) ends the job, saying why, and the 304 is not taken
# (state's last-fetch is not advanced).
rm -f "$D/orphan.pid"
hostile 8 orphan "$H exited, but a process it left holds its output open;" $((FETCH_TIMEOUT + GRACE + 2))
ORPHAN_PID=$(cat "$D/orphan.pid" 2>/dev/null || true)
# The deadline runs from the spawn (the helper's start, a few ms later); the
# timer has sd-event's default accuracy (up to 250 ms late).
if [[ -n $T_FAIL ]]; then
        D8=$(fsub "$T_FAIL" "$T_SPAWN")
        check "8: ended by the deadline, ${D8} s after the helper started (fetch_timeout + 5 s = $((FETCH_TIMEOUT + GRACE)) s, ≤ +1 s)" \
                in_range "$D8" $((FETCH_TIMEOUT + GRACE)).0 $((FETCH_TIMEOUT + GRACE + 1)).0
fi
check "8: no 304 taken: state's last-fetch still $LF0" test "$(state_get last-fetch)" = "$LF0"
check "8: the orphan (pid ${ORPHAN_PID:-?}) outlived the job (the agent kills only the helper)" \
        test -n "$ORPHAN_PID" -a "$(cat "/proc/${ORPHAN_PID:-0}/comm" 2>/dev/null)" = sleep
kill_sleep "$ORPHAN_PID"
ORPHAN_PID=
say "case 8b: the agent still polls after it"
hostile 8b exit1 "$H failed with exit status 1;"

say "case 9: hangs (sleep 60 in the foreground)"
rm -f "$D/hang.pid"
hostile 9 hang "$H did not finish in time: killed;" $((FETCH_TIMEOUT + GRACE + 2))
HANG_PID=$(cat "$D/hang.pid" 2>/dev/null || true)
if [[ -n $T_FAIL ]]; then
        D9=$(fsub "$T_FAIL" "$T_SPAWN")
        check "9: killed ${D9} s after the helper started (fetch_timeout + 5 s = $((FETCH_TIMEOUT + GRACE)) s, ≤ +1 s)" \
                in_range "$D9" $((FETCH_TIMEOUT + GRACE)).0 $((FETCH_TIMEOUT + GRACE + 1)).0
fi
check "9: the hanging helper recorded its pid (${HANG_PID:-none})" test -n "$HANG_PID"
check "9: … and that process is gone: killed and reaped, no zombie, no sleep left" \
        wait_for 1 pid_gone "${HANG_PID:-0}"
pid_gone "${HANG_PID:-0}" && HANG_PID=

say "case 9b: a reload while a fetch hangs ends that fetch and polls at once"
# The fetch in flight runs with the old configuration: a reload cancels it
# (the helper killed) and the new poll starts right away, not a
# poll_interval (1 d here) after the hanging one ends.
rm -f "$D/hang.pid"
set_mode hang
kill -HUP "$AGENT_PID"
wait_for 2 test -s "$D/hang.pid" || true
HANG_PID=$(cat "$D/hang.pid" 2>/dev/null || true)
check "9b: the first fetch hangs (pid ${HANG_PID:-none})" test -n "$HANG_PID"
set_mode exit1
MARK=$(log_lines)
c=$(calls)
kill -HUP "$AGENT_PID"
T_HUP=$EPOCHREALTIME
if wait_for 3 has_log_since "$MARK" "${FAILED}$H failed with exit status 1;"; then
        pass "9b: the new poll ran $(fsub "$(first_stamp_since "$MARK" "$FAILED")" "$T_HUP") s after the reload"
else
        fail "9b: no new poll within 3 s of a reload during a hanging fetch; got: $(log_since "$MARK" | grep -m1 'fetch failed' | cut -d' ' -f2-)"
fi
check "9b: the hanging helper was killed by the reload" wait_for 1 pid_gone "${HANG_PID:-0}"
pid_gone "${HANG_PID:-0}" && HANG_PID=
check "9b: no 'did not finish' for the cancelled fetch" no_log_since "$MARK" 'did not finish'
after_case 9b

say "case 10: no helper at JIT_FETCH_HELPER"
rm -f "$D/helper"
set_mode exit1
MARK=$(log_lines)
C=$(calls)
kill -HUP "$AGENT_PID"
if wait_for 4 has_log_since "$MARK" "${FAILED}cannot start the fetch helper "; then
        pass "10: $(log_since "$MARK" | grep -m1 -E "$FAILED" | cut -d' ' -f2-)"
else
        fail "10: no 'fetch failed (1 in a row): cannot start the fetch helper' within 4 s"
fi
check "10: the error names the path and the cause" has_log_since "$MARK" "cannot start the fetch helper $H: No such file or directory"
check "10: nothing ran" test "$(calls)" -eq "$C"
after_case 10
ln -s "$D/fake-helper" "$D/helper"
hostile 10b exit1 "$H failed with exit status 1;"

# A run of shards (jit-fetch --object=…): the head from the real helper,
# then the shard run's answer from the fake one; each refused, nothing saved
# or applied (the one new shard of serial 2 is never taken).
grant bob bob-1
publish
say "case 11: a shard run answers for another object"
hostile 11 run-otherobject "shard [0-9a-f]{64} of head serial 2: $H answered for object '0{64}' where [0-9a-f]{64} was next;"
check "11: the shard run named the shard and its size" \
        grep -qE -- "^run-otherobject [0-9]+ [0-9.]+ .*--object=[0-9a-f]{64}:[0-9]+ " "$D/calls"
say "case 11b: a shard run answers without naming the object"
hostile 11b run-noname "shard [0-9a-f]{64} of head serial 2: $H answered for object '' where [0-9a-f]{64} was next;"
say "case 11c: a shard run answers 304"
hostile 11c run-obj304 "shard [0-9a-f]{64} of head serial 2: $H answered 304 for an object;"
say "case 11d: a shard run ends before its objects"
hostile 11d run-silent "shard [0-9a-f]{64} of head serial 2: $H ended after 0 of 1 objects;"

say "control: the real helper, a new head (serial 2)"
set_mode real
MARK=$(log_lines)
kill -HUP "$AGENT_PID"
if wait_for 4 has_log_since "$MARK" 'head serial 2 accepted'; then
        pass "control: $(log_since "$MARK" | grep -m1 'head serial 2 accepted' | cut -d' ' -f2-)"
else
        fail "control: no 'head serial 2 accepted' within 4 s"
fi
check "control: no fetch failure" no_log_since "$MARK" 'fetch failed'
wait_for 2 state_serial_is 2 || true
check "control: state serial 2" state_serial_is 2
check "control: state's bundle-sha256 is the store's" \
        test "$(state_get bundle-sha256)" = "$(tr -d ' \t\r\n' <"$D/store/head.jwt" | sha256sum | cut -c1-64)"
check "control: no helper process left" wait_for 1 no_agent_child
# shellcheck disable=SC2016 # eval'd at each try
wait_for 2 eval '(( $(fd_count) <= FD_IDLE ))' || true
# shellcheck disable=SC2016
check "no file descriptors leaked ($FD_IDLE at start, $(fd_count) now)" eval '(( $(fd_count) <= FD_IDLE ))'

agent_term
rc=$AGENT_RC
check "SIGTERM: exit status 0 (got $rc)" test "$rc" -eq 0

summary
