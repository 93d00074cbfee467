#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Processes that try to outlive their grant, against the real jit-agent, real
# sshd and real sudo (no logind here: the audit-session path; the logind path
# is tests/logind/test-logind.sh). Each must be gone at most kill_grace (+ 1 s
# of measurement) after its grant ends:
#
#  A. in a held login at the grant's end: a zombie leader with a live thread
#     ignoring SIGTERM (as alice, and as root through sudo), a process that
#     forks and exits every millisecond ignoring SIGTERM, a sudo'd root
#     process that rewrote /proc/self/loginuid (a new audit session id) and
#     ignores SIGTERM;
#  B. left behind at logout: pam_jit keeps the record for a zombie leader
#     with a live thread and for a 1 ms fork hopper, and they end at exp;
#  C. the agent is SIGKILLed inside kill_grace: the SIGKILL it had pending is
#     on disk, and the next agent sends it;
#  D. on_sudo_expiry = elevated: a sudo'd process that kept root as its
#     saved uid (setresuid(N, N, 0), then seteuid(0) at will) ends with the
#     sudo grant;
#  E. the agent is stopped (SIGTERM) inside kill_grace: it sends the pending
#     SIGKILLs before it exits (jit-agent(8), SIGNALS);
#  F. an unsafe session record (not root's) ends its session with an alarm,
#     while another session goes on being enforced;
#     an unsafe sessions folder ends every session it names.
#
# Environment: JIT_PAM_MODULE, JITCTL, JIT_HOST_APPLY, JIT_AGENT,
# JIT_ESCAPE_TOOLS (the folder of the escape-* programs; tests/tools).
set -euo pipefail
. "$(dirname "$(realpath "$0")")/lib.sh"

sys_init agent-escapes
trap agent_cleanup EXIT
require_exe "jit-agent (JIT_AGENT)" "${JIT_AGENT:-}"
for t in zombie-leader hopper setresuid loginuid; do
        require_exe "escape-$t (JIT_ESCAPE_TOOLS)" "${JIT_ESCAPE_TOOLS:-}/escape-$t"
done
# alice runs them from a folder she can read.
mkdir -p "$D/bin"
chmod 0755 "$D/bin"
install -m 0755 -o root -g root "$JIT_ESCAPE_TOOLS"/escape-{zombie-leader,hopper,setresuid,loginuid} "$D/bin/"
chmod 0777 "$D/share" # the escape programs write their pid files there

GRACE=3
AGENT_CONF="poll_interval = 60s
kill_grace = ${GRACE}s"
TAG=jit-esc-$$-$RANDOM # in every hopper's command line

sys_sudo_nopasswd

agent_write_conf "$AGENT_CONF"
publish
agent_start
sys_start_sshd_agent_keys
ALICE_UID=$(in_ns id -u "$TEST_USER")

claim() {
        python3 - "$1" "$2" <<'EOF'
import base64, json, sys
p = open(sys.argv[1]).read().strip().split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))[sys.argv[2]])
EOF
}

# kgrant NAME JTI TTL_SECONDS SCOPE [OPTIONS…]: its exp in $EXP.
kgrant() {
        local name=$1 jti=$2 ttl=$3 scope=$4
        shift 4
        grant "$name" --jti "$jti" --scope "$scope" --ttl "${ttl}s" \
                --ssh-key-file "$D/client/alice.pub" "$@"
        EXP=$(claim "$D/store/grants/$name.jwt" exp)
}

remote() {
        cat >"$D/share/$1.sh"
        chmod 0644 "$D/share/$1.sh"
}

start_held() {
        held_start "bash $D/share/$1.sh" || {
                cat "$D/held.out" "$D/held.err" >&2
                die "the held login ($1) did not start"
        }
        SID=$(sed -n 's/^SID=//p' "$D/held.out")
        REC=$D/host/run/sessions/$SID
        [[ $SID =~ ^[0-9]+$ && -f $REC ]] || die "no session record for the held login (SID '$SID')"
        sys_log "held login: audit session $SID"
}

# pidof_file FILE: the first word of FILE (a pid an escape program wrote).
pidof_file() {
        local i
        for ((i = 0; i < 100; i++)); do
                [[ -s $1 ]] && break
                sleep 0.05
        done
        awk 'NR == 1 { print $1 }' "$1" 2>/dev/null
}

# live_pid PID: alive (any thread runs: a zombie leader with a live thread is
# alive; proc_alive of lib.sh reads only the leader).
live_pid() {
        local t st
        [[ -d /proc/$1 ]] || return 1
        for t in /proc/"$1"/task/*/stat; do
                st=$(sed -n 's/.*) \([A-Za-z]\) .*/\1/p' "$t" 2>/dev/null) || continue
                [[ -n $st && $st != Z && $st != X ]] && return 0
        done
        return 1
}

# tagged: the pids of live hoppers of this test (those a scan catches).
tagged() {
        local p
        for p in /proc/[0-9]*; do
                { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "$TAG" && echo "${p#/proc/}"
        done
        return 0
}

# hopping BEATFILE: a hopper still writes BEATFILE (every 20 generations,
# 20 ms at 1 ms a hop; 0.3 s without a change is none left).
hopping() {
        local a b
        a=$(cat "$1" 2>/dev/null) || true
        sleep 0.3
        b=$(cat "$1" 2>/dev/null) || true
        [[ -n $b && $a != "$b" ]]
}

# dead_by WHAT DEADLINE CMD…: CMD (a liveness check) fails by the epoch
# DEADLINE; passes or fails WHAT, and records when.
dead_by() {
        local what=$1 deadline=$2
        shift 2
        while "$@"; do
                if ! le "$EPOCHREALTIME" "$deadline"; then
                        fail "$what (still alive $(secs_between "$deadline" "$EPOCHREALTIME") s past the bound)"
                        return 0
                fi
                sleep 0.05
        done
        pass "$what"
}

# End what this test started and the agent left: hoppers and pids by file.
kill_leftovers() {
        local p
        for _ in 1 2 3; do
                for p in $(tagged); do kill -KILL "$p" 2>/dev/null || true; done
        done
        for p in "$@"; do
                [[ -n $p ]] && kill -KILL "$p" 2>/dev/null || true
        done
}

# JIT_ESCAPES_ONLY=ACF runs only those sections (while working on one).
want() { [[ -z ${JIT_ESCAPES_ONLY:-} || $JIT_ESCAPES_ONLY == *"$1"* ]]; }

if want A; then
echo "## A. a held login: zombie leaders, a 1 ms fork hopper, a loginuid rewriter (all ignore SIGTERM)"
kgrant ca g-a 12 ssh,sudo --runas root
exp=$EXP
agent_publish
rm -f "$D"/share/a-*.pid "$D/share/a-hop.beat"
remote a <<EOF
echo SID=\$(cat /proc/self/sessionid)
$D/bin/escape-zombie-leader --ignore-term $D/share/a-zl.pid &
sudo -n $D/bin/escape-zombie-leader --ignore-term $D/share/a-zlroot.pid &
$D/bin/escape-hopper 1 $D/share/a-hop.beat $TAG &
sudo -n $D/bin/escape-loginuid --ignore-term $D/share/a-luid.pid &
for i in \$(seq 100); do [ -s $D/share/a-luid.pid ] && [ -s $D/share/a-zlroot.pid ] && break; sleep 0.05; done
echo READY
while [ ! -e $D/share/release ]; do sleep 0.1; done
EOF
mark=$(agent_log_mark)
start_held a
zl=$(pidof_file "$D/share/a-zl.pid")
zlroot=$(pidof_file "$D/share/a-zlroot.pid")
luid=$(pidof_file "$D/share/a-luid.pid")
read -r _ luid_before luid_after <"$D/share/a-luid.pid" || true
check "A. the zombie leader ($zl) reads Z, its thread runs" \
        bash -c "grep -q ') Z ' /proc/$zl/stat && [[ \$(ls /proc/$zl/task | wc -l) -ge 2 ]]"
check "A. the root zombie leader ($zlroot) runs as root" test "$(awk '/^Uid:/ { print $2 }' "/proc/$zlroot/status")" = 0
check "A. the hopper is hopping" hopping "$D/share/a-hop.beat"
check "A. the loginuid rewriter ($luid) left the audit session ($luid_before → $luid_after)" \
        test -n "$luid_after" -a "$luid_after" != "$SID" -a "$(cat "/proc/$luid/sessionid")" != "$SID"
check "A. all that before exp (else the test is too slow)" le "$EPOCHREALTIME" "$exp"
bound=$((exp + GRACE + 1)).5
wait_until_epoch "$exp"
dead_by "A. 1. the zombie leader with a live thread (alice) is gone by exp + kill_grace + 1.5 s" "$bound" live_pid "$zl"
dead_by "A. 1. the zombie leader with a live thread (root, sudo) is gone by exp + kill_grace + 1.5 s" "$bound" live_pid "$zlroot"
dead_by "A. 2. no 1 ms fork hopper is left by exp + kill_grace + 1.5 s" "$bound" hopping "$D/share/a-hop.beat"
dead_by "A. 5. the loginuid-rewriting root process is gone by exp + kill_grace + 1.5 s" "$bound" live_pid "$luid"
for _ in $(seq 20); do [[ -e $REC ]] || break; sleep 0.1; done
check "A. 3. the record is removed once nothing of the session is left" test ! -e "$REC"
check "A. the agent logged the SIGKILL" agent_log_wait "$mark" "session $SID: SIGKILL to [0-9]+ process" 1
kill_leftovers "$zl" "$zlroot" "$luid"
agent_log_since "$mark" | sed 's/^/#   agent: /'
held_release
rm -f "$D/store/grants/ca.jwt"
fi

if want B; then
echo "## B. left behind at logout: a zombie leader, a 1 ms hopper"
kgrant cb g-b 14 ssh
exp=$EXP
agent_publish
rm -f "$D/share/b-zl.pid" "$D/share/b-hop.beat"
mark=$(agent_log_mark)
# shellcheck disable=SC2016 # expanded by the remote shell
login "$D/bin/escape-zombie-leader $D/share/b-zl.pid & sleep 0.3; echo \"SID=\$(cat /proc/self/sessionid)\""
check "B. login 1 (zombie leader) ran and logged out (exit $rc)" test "$rc" -eq 0
sid1=$(sed -n 's/^SID=//p' "$D/out")
login "$D/bin/escape-hopper 1 $D/share/b-hop.beat $TAG & sleep 0.3; echo \"SID=\$(cat /proc/self/sessionid)\""
check "B. login 2 (hopper) ran and logged out (exit $rc)" test "$rc" -eq 0
sid2=$(sed -n 's/^SID=//p' "$D/out")
zl=$(pidof_file "$D/share/b-zl.pid")
sleep 2.5 # pam_jit's leftover wait at close is 2 s
check "B. 1. the zombie leader ($zl) outlives the logout" live_pid "$zl"
check "B. 1. pam_jit kept its session's record (sessions/$sid1)" test -f "$D/host/run/sessions/$sid1"
check "B. 2. the hopper outlives the logout" hopping "$D/share/b-hop.beat"
check "B. 2. pam_jit kept its session's record (sessions/$sid2)" test -f "$D/host/run/sessions/$sid2"
check "B. all that before exp (else the test is too slow)" le "$EPOCHREALTIME" "$exp"
bound=$((exp + 1)).5 # neither ignores SIGTERM
wait_until_epoch "$exp"
dead_by "B. 1. the leftover zombie leader is gone by exp + 1.5 s" "$bound" live_pid "$zl"
dead_by "B. 2. the leftover hopper is gone by exp + kill_grace + 1.5 s" "$((exp + GRACE + 1)).5" hopping "$D/share/b-hop.beat"
kill_leftovers "$zl"
agent_log_since "$mark" | sed 's/^/#   agent: /'
rm -f "$D/store/grants/cb.jwt"
fi

remote c <<EOF
echo SID=\$(cat /proc/self/sessionid)
bash -c "trap '' TERM HUP; echo \\\$\\\$ >$D/share/c.pid; exec sleep 900" </dev/null >/dev/null 2>&1 &
for i in \$(seq 100); do [ -s $D/share/c.pid ] && break; sleep 0.05; done
echo READY
while [ ! -e $D/share/release ]; do sleep 0.1; done
EOF
if want C; then
echo "## C. the agent is SIGKILLed inside kill_grace; the next one sends the SIGKILL"
kgrant cc g-c 8 ssh
exp=$EXP
agent_publish
rm -f "$D/share/c.pid"
mark=$(agent_log_mark)
start_held c
ign=$(pidof_file "$D/share/c.pid")
check "C. a SIGTERM-ignoring sleep ($ign) runs in the session" live_pid "$ign"
if agent_log_wait "$mark" "session $SID: SIGTERM to" $((exp - EPOCHSECONDS + 5)); then
        agent_stop KILL
        t_kill=$EPOCHREALTIME
        pass "C. the agent sent SIGTERM; SIGKILLed it $(secs_between "$exp" "$t_kill") s after exp"
else
        fail "C. the agent sent SIGTERM at exp"
        agent_stop KILL
fi
check "C. the pending SIGKILL is on disk (run_dir/ending/$SID, root 0600)" \
        test "$(stat -c '%U %a' "$D/host/run/ending/$SID" 2>/dev/null)" = "root 600"
check "C. the record stays while the session is not empty" test -f "$REC"
wait_until_epoch "$((exp + GRACE + 1))"
check "C. with no agent, the SIGTERM-ignoring sleep outlives the grace" live_pid "$ign"
mark=$(agent_log_mark)
agent_start
dead_by "C. 3. the restarted agent SIGKILLs it within 1 s of its start" "$(awk -v t="$AGENT_T_START" 'BEGIN { printf "%.3f", t + 1 }')" live_pid "$ign"
check "C. the restarted agent says it finishes what the last one began" \
        agent_log_wait "$mark" "being ended by the previous agent" 1
for _ in $(seq 30); do [[ -e $REC ]] || break; sleep 0.1; done
check "C. then the record is removed" test ! -e "$REC"
check "C. and the ending file" test ! -e "$D/host/run/ending/$SID"
kill_leftovers "$ign"
held_release
rm -f "$D/store/grants/cc.jwt"
fi

if want E; then
echo "## E. the agent is stopped (SIGTERM) inside kill_grace: pending SIGKILLs go out at once"
kgrant ce g-e 8 ssh
exp=$EXP
agent_publish
rm -f "$D/share/c.pid"
mark=$(agent_log_mark)
start_held c
ign=$(pidof_file "$D/share/c.pid")
if agent_log_wait "$mark" "session $SID: SIGTERM to" $((exp - EPOCHSECONDS + 5)); then
        t_stop=$EPOCHREALTIME
        agent_stop TERM
        dead_by "E. 11. the SIGTERM-ignoring sleep is SIGKILLed as the agent stops, not at the grace's end" \
                "$(awk -v t="$t_stop" 'BEGIN { printf "%.3f", t + 1 }')" live_pid "$ign"
        check "E. 11. the stopping agent logged the SIGKILL" agent_log_wait "$mark" "session $SID: SIGKILL to [0-9]+ process" 1
else
        fail "E. the agent sent SIGTERM at exp"
fi
check "E. nothing left to do: no ending file" test ! -e "$D/host/run/ending/$SID"
kill_leftovers "$ign"
held_release
agent_start
rm -f "$D/store/grants/ce.jwt"
fi

if want D; then
echo "## D. on_sudo_expiry = elevated: a process keeping root as its saved uid ends with the sudo grant"
agent_write_conf "$AGENT_CONF
on_sudo_expiry = elevated"
mark=$(agent_log_mark)
kill -HUP "$AGENT_PID"
agent_log_wait "$mark" "configuration and trust store reloaded" 5 || die "the agent did not reload"
kgrant cdl g-dl 600 ssh
kgrant cds g-ds 8 sudo --runas root
exp=$EXP
agent_publish
rm -f "$D/share/d.pid"
install -d -m 0700 -o root -g root "$D/rootonly"
remote d <<EOF
echo SID=\$(cat /proc/self/sessionid)
sudo -n $D/bin/escape-setresuid $ALICE_UID $D/rootonly/written $D/share/d.pid &
for i in \$(seq 100); do [ -s $D/share/d.pid ] && break; sleep 0.05; done
echo READY
while [ ! -e $D/share/release ]; do sleep 0.1; done
EOF
start_held d
sr=$(pidof_file "$D/share/d.pid")
sleep 0.5
check "D. the process ($sr) runs with uids $ALICE_UID $ALICE_UID 0 (real, effective, saved)" \
        test "$(awk '/^Uid:/ { print $2, $3, $4 }' "/proc/$sr/status")" = "$ALICE_UID $ALICE_UID 0"
check "D. and writes root's file as root" test -s "$D/rootonly/written"
check "D. all that before the sudo grant's exp (else the test is too slow)" le "$EPOCHREALTIME" "$exp"
wait_until_epoch "$exp"
dead_by "D. 4. it is gone by the sudo grant's exp + kill_grace + 1.5 s" "$((exp + GRACE + 1)).5" live_pid "$sr"
n1=$(wc -l <"$D/rootonly/written")
sleep 0.5
check "D. 4. the root-only file no longer grows" test "$(wc -l <"$D/rootonly/written")" = "$n1"
check "D. the login goes on" proc_alive "$HELD_PID"
kill_leftovers "$sr"
held_release
rm -f "$D/store/grants/cdl.jwt" "$D/store/grants/cds.jwt"
agent_write_conf "$AGENT_CONF"
mark=$(agent_log_mark)
kill -HUP "$AGENT_PID"
agent_log_wait "$mark" "configuration and trust store reloaded" 5 || die "the agent did not reload"
fi

if want F; then
echo "## F. an unsafe session record ends its session, loudly; others are still enforced"
kgrant cf g-f 12 ssh
exp=$EXP
agent_publish
remote f <<EOF
echo SID=\$(cat /proc/self/sessionid)
echo READY
while [ ! -e $D/share/release ]; do sleep 0.1; done
EOF
start_held f
sid_a=$SID rec_a=$REC held_a=$HELD_PID
BG_PIDS=()
start_held f
sid_b=$SID held_b=$HELD_PID
BG_PIDS=("$held_a" "$held_b")
sys_log "sessions A $sid_a and B $sid_b, both on grant g-f until $(date -u -d "@$exp" +%H:%M:%S)"
mark=$(agent_log_mark)
chown "$ALICE_UID" "$rec_a"
kill -HUP "$AGENT_PID" # a chown is no inotify event the agent watches: reconcile now
t_chown=$EPOCHREALTIME
dead_by "F. 7. session A (record now alice's) ends within kill_grace + 1 s" \
        "$(awk -v t="$t_chown" -v g="$GRACE" 'BEGIN { printf "%.3f", t + g + 1 }')" kill -0 "$held_a"
check "F. 7. with an alarm (LOG_ALERT, 'unsafe record, ending the session')" \
        agent_log_wait "$mark" "^<1>session $sid_a: unsafe record, ending the session" 1
check "F. the alarm is one line, not one per reconcile" \
        test "$(agent_log_since "$mark" | grep -c "session $sid_a: unsafe record")" = 1
check "F. session B lives on meanwhile" kill -0 "$held_b"
check "F. B still before its exp (else the test is too slow)" le "$EPOCHREALTIME" "$exp"
wait_until_epoch "$exp"
dead_by "F. 7. session B still ends at its grant's exp (+ 1 s)" "$((exp + 1))" kill -0 "$held_b"
kill "$held_a" "$held_b" 2>/dev/null || true
wait "$held_a" 2>/dev/null || true
wait "$held_b" 2>/dev/null || true
BG_PIDS=()
rm -f "$D/store/grants/cf.jwt"

echo "## F2. an unsafe sessions folder ends every session it names"
kgrant cf3 g-f3 600 ssh
agent_publish
start_held f
mark=$(agent_log_mark)
chmod 0777 "$D/host/run/sessions"
kill -HUP "$AGENT_PID"
t_chmod=$EPOCHREALTIME
dead_by "F2. 7. the session ends within kill_grace + 1 s" \
        "$(awk -v t="$t_chmod" -v g="$GRACE" 'BEGIN { printf "%.3f", t + g + 1 }')" kill -0 "$HELD_PID"
check "F2. 7. with an alarm naming it" agent_log_wait "$mark" "^<1>session $SID: unsafe record, ending the session" 1
chmod 0700 "$D/host/run/sessions"
kill "$HELD_PID" 2>/dev/null || true
wait "$HELD_PID" 2>/dev/null || true
BG_PIDS=()
check "F2. the agent still runs" kill -0 "$AGENT_PID"
rm -f "$D/store/grants/cf3.jwt"
fi

sys_finish
