#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The real jit-agent against real sshd sessions: sshd (with pam_jit, and real
# sudo) runs on 127.0.0.1 in a private mount namespace, the agent on the host
# side with the store as file://…/head.jwt, and sshd takes alice's keys from
# the agent's run_dir/keys/%u, so a login needs the agent for real.
#
#  1. a session ends at its grant's exp (≤ 1 s), sudo'd root process too;
#  2. a warning reaches the session's terminal before the end;
#  3. a revoked grant's session ends at the next poll after publish;
#  4. an extended grant's session is re-bound, kept, then ends at the new exp;
#  5. the keys file: installed with expiry-time=, removed at exp, login refused;
#  6. agent SIGKILLed across the expiry: the session ends as it starts again;
#  7. what a login leaves running (nohup) is ended at the grant's exp;
#  8. on_sudo_expiry = elevated (the default): only the root process ends with
#     a sudo grant, and the user is warned before as before a login's end.
#
# Environment: JIT_PAM_MODULE, JITCTL, JIT_HOST_APPLY, JIT_AGENT
# (tests/system/meson.build).
set -euo pipefail
. "$(dirname "$(realpath "$0")")/lib.sh"

sys_init agent-sshd
trap agent_cleanup EXIT
require_exe "jit-agent (JIT_AGENT)" "${JIT_AGENT:-}"

POLL=5
GRACE=2
WARN1=5 # two warnings: the agent warns at each warn_before entry (jit-agent(8))
WARN2=2
AGENT_CONF="poll_interval = ${POLL}s
kill_grace = ${GRACE}s
warn_before = ${WARN1}s, ${WARN2}s"
LAT=() # "what: seconds" for the summary
# Grant lengths: each case issues a grant, publishes it, logs in and checks
# what it must check before exp. On a busy machine that setup takes seconds,
# so the grants leave room for it (a case that still runs late says "else the
# test is too slow"); the bounds asserted after exp are the agent's (≤ 1 s).
TTL_END=25   # 1+2: must cover setup + warn_before (5 s) + 1 s
TTL_EXT_A=20 # 4: A, then B issued and published before A's exp
TTL_EXT_B=35
TTL_KEY=12   # 5: a login with the key before exp
TTL_DOWN=12  # 6: the held login and the agent's stop before exp
TTL_LEFT=15  # 7: a login, its logout and the checks before exp
TTL_SUDO=15  # 8: a held login with a sudo'd root process before exp

# sudo as in test-sudo.sh, but NOPASSWD: the account stack (pam_jit) is what
# decides. Timestamps live in the temp dir.
sys_sudo_nopasswd

agent_write_conf "$AGENT_CONF"
publish # an empty store: the head exists before the agent's first poll
agent_start
sys_start_sshd_agent_keys

# claim FILE NAME: a claim of a token (jitctl verified it when issuing).
claim() {
        python3 - "$1" "$2" <<'EOF'
import base64, json, sys
p = open(sys.argv[1]).read().strip().split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))[sys.argv[2]])
EOF
}

# kgrant NAME JTI TTL_SECONDS SCOPE [OPTIONS…]: a grant admitting alice's key;
# its exp in $EXP.
kgrant() {
        local name=$1 jti=$2 ttl=$3 scope=$4
        shift 4
        grant "$name" --jti "$jti" --scope "$scope" --ttl "${ttl}s" \
                --ssh-key-file "$D/client/alice.pub" "$@"
        EXP=$(claim "$D/store/grants/$name.jwt" exp)
}

# latency WHAT VALUE MIN MAX: records and checks a measured latency.
latency() {
        local what=$1 v=$2 lo=$3 hi=$4
        LAT+=("$what: $v s")
        if le "$lo" "$v" && le "$v" "$hi"; then
                pass "$what: $v s (bound $lo..$hi s)"
        else
                fail "$what: $v s (bound $lo..$hi s)"
        fi
}

# remote NAME: a script alice runs (bash $D/share/NAME.sh).
remote() {
        cat >"$D/share/$1.sh"
        chmod 0644 "$D/share/$1.sh"
}

# start_held SCRIPT: a held -tt login running $D/share/SCRIPT.sh; dies if it
# does not print READY. Sets SID, SHELL_PID, ROOT_PID (when printed), REC.
start_held() {
        held_start "bash $D/share/$1.sh" || {
                cat "$D/held.out" "$D/held.err" >&2
                die "the held login ($1) did not start"
        }
        SID=$(sed -n 's/^SID=//p' "$D/held.out")
        SHELL_PID=$(sed -n 's/^SHELL_PID=//p' "$D/held.out")
        ROOT_PID=$(sed -n 's/^ROOT_PID=//p' "$D/held.out")
        REC=$D/host/run/sessions/$SID
        [[ $SID =~ ^[0-9]+$ && -f $REC ]] || die "no session record for the held login (SID '$SID')"
        sys_log "held login: audit session $SID, shell $SHELL_PID${ROOT_PID:+, root process $ROOT_PID}"
}

# watch_held SECONDS: until the held login's client exits; $T_END = when,
# $T_WARN1 and $T_WARN2 = when the first and the second "*** jit: your access
# ends at" showed (or empty). The client's exit code in $rc.
watch_held() {
        local i n
        T_END='' T_WARN1='' T_WARN2=''
        for ((i = 0; i < $1 * 50; i++)); do
                if [[ -z $T_WARN2 ]]; then
                        n=$(grep -cF "*** jit: your access ends at" "$D/held.raw") || true
                        if [[ -z $T_WARN1 ]] && ((n >= 1)); then T_WARN1=$EPOCHREALTIME; fi
                        if ((n >= 2)); then T_WARN2=$EPOCHREALTIME; fi
                fi
                if ! proc_alive "$HELD_PID"; then
                        T_END=$EPOCHREALTIME
                        break
                fi
                sleep 0.02
        done
        if [[ -z $T_END ]]; then
                return 1
        fi
        rc=0
        wait "$HELD_PID" || rc=$?
        BG_PIDS=()
        tr -d '\r' <"$D/held.raw" >"$D/held.out"
        return 0
}

# gone_by PID DEADLINE: PID is gone by the epoch DEADLINE (waits until then).
gone_by() {
        local left
        left=$(awk -v t="$2" -v n="$EPOCHREALTIME" 'BEGIN { d = t - n; printf "%d", (d > 0 ? d + 1 : 0) }')
        wait_dead "$1" "$left" && le "$T_DEAD" "$2"
}

# record_gone SECONDS: the held session's record is removed (by then).
record_gone() {
        wait_for "$1" test ! -e "$REC"
}

hms() { date -u -d "@$1" +%H:%M:%S; }

echo "## 1+2. a session ends at its grant's exp, sudo'd root process and all; warned before"
kgrant c1 g-c1 $TTL_END ssh,sudo --runas root
exp=$EXP
agent_publish
rm -f "$D/share/c1.rootpid"
remote c1 <<EOF
echo SID=\$(cat /proc/self/sessionid)
echo SHELL_PID=\$\$
sudo -n /bin/sh -c 'echo \$\$ >$D/share/c1.rootpid; exec sleep 900' &
for i in \$(seq 400); do [ -s $D/share/c1.rootpid ] && break; sleep 0.05; done
echo ROOT_PID=\$(cat $D/share/c1.rootpid 2>/dev/null)
echo READY
sleep 600
echo END
EOF
mark=$(agent_log_mark)
start_held c1
check "sudo started a root process in the session" test -n "$ROOT_PID"
if [[ -n $ROOT_PID ]]; then
        check "that process runs as root (uid 0)" \
                test "$(awk '/^Uid:/ { print $2 }' "/proc/$ROOT_PID/status")" = 0
        check "that process is in the login's audit session ($SID)" \
                test "$(cat "/proc/$ROOT_PID/sessionid")" = "$SID"
fi
check "the record lists the elevation 'root g-c1'" grep -qx "elevated=root g-c1" "$REC"
check "the session opened before the first warning (else the test is too slow)" \
        le "$EPOCHREALTIME" "$((exp - WARN1 - 1))"
if watch_held $((exp - EPOCHSECONDS + 10)); then
        sys_log "exp $(hms "$exp"); client exit $rc at +$(secs_between "$exp" "$T_END") s"
        latency "1. exp → ssh client exit" "$(secs_between "$exp" "$T_END")" 0 1
        check "1. the client exits non-zero (connection cut, exit $rc)" test "$rc" -ne 0
else
        fail "1. the session ended within 10 s of exp"
fi
check "1. the shell ($SHELL_PID) is gone within 1 s of exp" gone_by "$SHELL_PID" "$exp.999999"
if [[ -n $ROOT_PID ]]; then
        if gone_by "$ROOT_PID" "$exp.999999"; then
                pass "1. the sudo'd root sleep ($ROOT_PID) is gone within 1 s of exp"
                LAT+=("1. exp → root sleep gone (seen): $(secs_between "$exp" "$T_DEAD") s")
        else
                fail "1. the sudo'd root sleep ($ROOT_PID) is gone within 1 s of exp"
        fi
fi
check "1. no process of audit session $SID is left" \
        test -z "$(for p in /proc/[0-9]*; do [[ $(cat "$p/sessionid" 2>/dev/null) == "$SID" ]] && proc_alive "${p#/proc/}" && echo "$p"; done)"
check "1. the session record is removed" record_gone 10
check "1. the agent logs that it ended the session" \
        agent_log_wait "$mark" "session $SID of $TEST_USER: .*: ending it" 10
# The agent writes "…: this session ends now" to the terminal and signals
# sshd at once: the line may or may not reach the client (not asserted).
if grep -qF "this session ends now" "$D/held.out"; then
        sys_log "1. the client received 'this session ends now'"
else
        sys_log "1. note: 'this session ends now' did not reach the client (sshd signalled at once)"
fi
# "in 5 s" or "in 1 min": the wording of the time left is not asserted.
warn_line="*** jit: your access ends at $(hms "$exp") UTC, in … (grant g-c1) ***"
n_warn=$(grep -cE "\*\*\* jit: your access ends at $(hms "$exp") UTC, in [0-9]+ [a-z]+ \(grant g-c1\) \*\*\*" \
        "$D/held.out") || true
sys_log "2. warnings received: $n_warn"
grep -F "*** jit:" "$D/held.out" | sed 's/^/#   held: /' || true
if [[ -n $T_WARN1 && -n $T_END ]] && le "$T_WARN1" "$T_END"; then
        pass "2. '$warn_line' reached the terminal before the end"
        latency "2. first warning seen before exp (warn_before ${WARN1}s)" \
                "$(secs_between "$T_WARN1" "$exp")" "$((WARN1 - 1))" "$((WARN1 + 1))"
else
        fail "2. a warning reached the terminal before the end"
        sed 's/^/#   held: /' "$D/held.out"
fi
if [[ -n $T_WARN2 && -n $T_END ]] && le "$T_WARN2" "$T_END"; then
        pass "2. a second warning reached the terminal before the end"
        latency "2. second warning seen before exp (warn_before ${WARN2}s)" \
                "$(secs_between "$T_WARN2" "$exp")" "$((WARN2 - 1))" "$((WARN2 + 1))"
else
        fail "2. a second warning (warn_before ${WARN2}s) reached the terminal before the end"
fi
check "2. each warning names the end and the grant ($n_warn of 2)" test "$n_warn" -eq 2
rm -f "$D/store/grants/c1.jwt"

echo "## 3. revocation: the session ends at the next poll after publish"
kgrant c3 g-rev 600 ssh
agent_publish
remote c3 <<EOF
echo SID=\$(cat /proc/self/sessionid)
echo SHELL_PID=\$\$
echo READY
sleep 600
EOF
mark=$(agent_log_mark)
start_held c3
revoke g-rev
publish
t_pub=$EPOCHREALTIME
if watch_held $((POLL * 2 + 5)); then
        # A poll (≤ poll_interval + 10 %), the fetch and the kill: ≤ 2 s
        # beyond the poll interval on a busy machine.
        latency "3. publish → ssh client exit (poll_interval ${POLL}s ±10 %)" \
                "$(secs_between "$t_pub" "$T_END")" 0 "$((POLL + 2))"
else
        fail "3. the revoked grant's session ended within $((POLL * 2 + 5)) s of publish"
fi
check "3. the agent accepted the head before ending the session" \
        agent_log_wait "$mark" "head serial [0-9]+ accepted: .* 1 revoked" 10
check "3. the agent ended the session" agent_log_wait "$mark" "session $SID of $TEST_USER: .*: ending it" 10
check "3. the shell is gone" wait_dead "$SHELL_PID" 3
check "3. the session record is removed" record_gone 10
rm -f "$D/store/grants/c3.jwt"

echo "## 4. extension: a second grant takes over at the first one's exp"
kgrant c4a g-ext-a $TTL_EXT_A ssh
exp_a=$EXP
agent_publish
remote c4 <<EOF
echo SID=\$(cat /proc/self/sessionid)
echo SHELL_PID=\$\$
echo READY
sleep 600
EOF
mark=$(agent_log_mark)
start_held c4
check "4. the record names grant A" grep -qx "grant=g-ext-a" "$REC"
kgrant c4b g-ext-b $TTL_EXT_B ssh
exp_b=$EXP
agent_publish
check "4. grant B was issued before A's exp (else the test is too slow)" le "$EPOCHREALTIME" "$exp_a"
wait_until_epoch "$exp_a.8"
check "4. at A's exp (+0.8 s) the session is not ended" proc_alive "$HELD_PID"
check "4. the shell lives on" proc_alive "$SHELL_PID"
if grep -qx "grant=g-ext-b" "$REC" 2>/dev/null && grep -qx "exp=$exp_b" "$REC"; then
        pass "4. the record now names grant B and its exp"
else
        fail "4. the record now names grant B and its exp"
        sed 's/^/#   record: /' "$REC" || true
fi
tr -d '\r' <"$D/held.raw" >"$D/held.out"
check "4. the user sees 'access extended until $(hms "$exp_b") UTC by grant g-ext-b'" \
        grep -qF "*** jit: access extended until $(hms "$exp_b") UTC by grant g-ext-b ***" "$D/held.out"
check "4. the agent logs the re-binding" \
        agent_log_wait "$mark" "session $SID of $TEST_USER: grant g-ext-a ended, re-bound to grant g-ext-b" 10
if watch_held $((exp_b - EPOCHSECONDS + 10)); then
        latency "4. B's exp → ssh client exit" "$(secs_between "$exp_b" "$T_END")" 0 1
else
        fail "4. the session ended within 10 s of B's exp"
fi
check "4. the session record is removed" record_gone 10
rm -f "$D/store/grants/c4a.jwt" "$D/store/grants/c4b.jwt"

echo "## 5. keys: the agent installs alice's key until exp, then removes it"
keys=$D/host/run/keys/$TEST_USER
kgrant c5 g-key $TTL_KEY ssh
exp=$EXP
agent_publish
stamp=$(date -u -d "@$exp" +%Y%m%d%H%M%SZ)
if [[ -f $keys ]]; then
        sed 's/^/#   keys: /' "$keys"
        check "5. the key file is root's, mode 0644" test "$(stat -c '%U %a' "$keys")" = "root 644"
        check "5. it holds alice's key with expiry-time=\"$stamp\" (the grant's exp)" \
                grep -qxF "expiry-time=\"$stamp\" $(cat "$D/client/alice.pub")" "$keys"
        check "5. and no other key" test "$(grep -vc '^#' "$keys")" = 1
else
        fail "5. the agent wrote run_dir/keys/$TEST_USER"
fi
login echo key-ok
expect_allowed "5. login with alice's key before exp" key-ok
check "5. sshd accepted the key" sshd_log_has "Accepted publickey for $TEST_USER"
t_gone=
# Until exp + 5 s by the clock (a loop count would shrink under load).
if wait_for "$(fsub "$exp.0" "$EPOCHREALTIME" | awk '{ print $1 + 5 }')" test ! -e "$keys"; then
        t_gone=$EPOCHREALTIME
fi
if [[ -n $t_gone ]]; then
        latency "5. exp → key file removed" "$(secs_between "$exp" "$t_gone")" 0 1
else
        fail "5. the key file is removed after exp"
fi
login echo key-after
check "5. a login with that key after exp is refused (exit 255, got $rc)" test "$rc" -eq 255
check "5. the remote command did not run" test ! -s "$D/out"
wait_for 10 sshd_log_has "Failed publickey for $TEST_USER\|Connection closed by authenticating user" || true
last_sshd_log | grep -i "publickey\|authenticating\|PAM" | sed 's/^/#   sshd: /' || true
check "5. sshd refused the key at the publickey stage ('Failed publickey' logged)" \
        sshd_log_has "Failed publickey for $TEST_USER"
check "5. sshd accepted no key" bash -c "! grep -q 'Accepted publickey' '$D/sshd.last'"
check "5. PAM's account stack was never reached (no 'Access denied … by PAM')" \
        bash -c "! grep -q 'by PAM account configuration' '$D/sshd.last'"
rm -f "$D/store/grants/c5.jwt"

echo "## 6. the agent is SIGKILLed across the expiry; on start it ends the session at once"
kgrant c6 g-down $TTL_DOWN ssh
exp=$EXP
agent_publish
remote c6 <<EOF
echo SID=\$(cat /proc/self/sessionid)
echo SHELL_PID=\$\$
echo READY
sleep 600
EOF
start_held c6
old_agent=$AGENT_PID
agent_stop KILL
check "6. the agent was stopped before exp (else the test is too slow)" le "$EPOCHREALTIME" "$exp"
check "6. the agent ($old_agent) is gone" bash -c "! kill -0 $old_agent 2>/dev/null"
wait_until_epoch "$((exp + 2))"
check "6. 2 s past exp, the session still runs (nobody ended it)" proc_alive "$HELD_PID"
check "6. and its record is still there" test -f "$REC"
# With the agent down the key file is stale, but its expiry-time= makes sshd
# refuse the key all the same.
login echo while-down
wait_for 10 sshd_log_has "Failed publickey for $TEST_USER\|Connection closed by authenticating user" || true
check "6. meanwhile a new login is refused (sshd honours expiry-time=; exit $rc)" test "$rc" -eq 255
check "6. by sshd, at the publickey stage" bash -c "! grep -q 'Accepted publickey' '$D/sshd.last'"
mark=$(agent_log_mark)
agent_start
if watch_held 10; then
        latency "6. agent start → ssh client exit" "$(secs_between "$AGENT_T_START" "$T_END")" 0 1
        sys_log "(exp was $(secs_between "$exp" "$AGENT_T_START") s before the agent started)"
else
        fail "6. the session ended within 10 s of the agent's start"
fi
check "6. the restarted agent ended the session" agent_log_wait "$mark" "session $SID of $TEST_USER: .*: ending it" 10
check "6. the session record is removed" record_gone 10
rm -f "$D/store/grants/c6.jwt"

echo "## 7. leftovers: a nohup'd process outlives the logout and ends at the grant's exp"
kgrant c7 g-left $TTL_LEFT ssh
exp=$EXP
agent_publish
mark=$(agent_log_mark)
# shellcheck disable=SC2016 # expanded by the remote shell
login 'nohup sleep 900 </dev/null >/dev/null 2>&1 & echo "LEFT_PID=$!"; echo "SID=$(cat /proc/self/sessionid)"'
check "7. the login ran and logged out normally (exit $rc)" test "$rc" -eq 0
left=$(sed -n 's/^LEFT_PID=//p' "$D/out")
SID=$(sed -n 's/^SID=//p' "$D/out")
REC=$D/host/run/sessions/$SID
leader=$(sed -n 's/^leader=//p' "$REC" 2>/dev/null) || true
if [[ -n $leader ]] && wait_dead "$leader" 5; then
        pass "7. the login's monitor process ($leader) exited"
else
        fail "7. the login's monitor process ('$leader') exited"
fi
check "7. the nohup'd sleep ($left) still runs after the logout" proc_alive "$left"
check "7. the record stays (processes of the session remain)" test -f "$REC"
check "7. all that before exp (else the test is too slow)" le "$EPOCHREALTIME" "$exp"
if wait_dead "$left" $((exp - EPOCHSECONDS + 5)); then
        latency "7. exp → leftover sleep gone" "$(secs_between "$exp" "$T_DEAD")" 0 1
else
        fail "7. the leftover sleep ends after exp"
fi
check "7. the agent ended the session" agent_log_wait "$mark" "session $SID of $TEST_USER: .*: ending it" 10
check "7. the session record is removed" record_gone 10
rm -f "$D/store/grants/c7.jwt"

echo "## 8. on_sudo_expiry = elevated (the default): the sudo grant ends, only the root process goes, warned first"
agent_write_conf "$AGENT_CONF
# on_sudo_expiry: the default (elevated) is what this case tests"
mark=$(agent_log_mark)
kill -HUP "$AGENT_PID"
agent_log_wait "$mark" "configuration and trust store reloaded" 30 || die "the agent did not reload"
kgrant c8l g-login 600 ssh
kgrant c8s g-s8 $TTL_SUDO sudo --runas root
exp=$EXP
agent_publish
rm -f "$D/share/c8.rootpid"
remote c8 <<EOF
echo SID=\$(cat /proc/self/sessionid)
echo SHELL_PID=\$\$
sudo -n /bin/sh -c 'echo \$\$ >$D/share/c8.rootpid; exec sleep 900' &
for i in \$(seq 400); do [ -s $D/share/c8.rootpid ] && break; sleep 0.05; done
echo ROOT_PID=\$(cat $D/share/c8.rootpid 2>/dev/null)
echo READY
while [ ! -e $D/share/release ]; do sleep 0.1; done
out=\$(sudo -n /usr/bin/id -u 2>&1); echo "after-rc=\$?"; echo "\$out"
echo BYE
EOF
mark=$(agent_log_mark)
start_held c8
check "8. sudo started a root process" test -n "$ROOT_PID"
check "8. the record lists the elevation 'root g-s8'" grep -qx "elevated=root g-s8" "$REC"
check "8. all that before the sudo grant's exp (else the test is too slow)" le "$EPOCHREALTIME" "$exp"
if [[ -n $ROOT_PID ]] && wait_dead "$ROOT_PID" $((exp - EPOCHSECONDS + 5)); then
        latency "8. sudo grant's exp → root sleep gone" "$(secs_between "$exp" "$T_DEAD")" 0 1
else
        fail "8. the root sleep ends after the sudo grant's exp"
fi
wait_until_epoch "$((exp + GRACE + 1))"
check "8. the login session lives on ($GRACE s grace + 1 s later)" proc_alive "$HELD_PID"
check "8. the shell ($SHELL_PID) lives on" proc_alive "$SHELL_PID"
check "8. the record is still there" test -f "$REC"
check "8. the elevation entry is removed from it" bash -c "! grep -q '^elevated=root g-s8' '$REC'"
check "8. the record still names the login grant" grep -qx "grant=g-login" "$REC"
tr -d '\r' <"$D/held.raw" >"$D/held.out"
check "8. the user is told 'your sudo access to root ended'" grep -qF "your sudo access to root ended" "$D/held.out"
check "8. the user was warned before, as before a login's end: 'your sudo access to root ends at $(hms "$exp") UTC'" \
        grep -qF "your sudo access to root ends at $(hms "$exp") UTC" "$D/held.out"
held_release
sed -n '/^READY$/,$p' "$D/held.out" | sed 's/^/#   remote: /'
check "8. sudo afterwards is refused" grep -qx "after-rc=1" "$D/held.out"
check "8. by pam_jit: 'jit: no sudo grant for $TEST_USER on this host (sudo grant g-s8 expired at'" \
        grep -qF "jit: no sudo grant for $TEST_USER on this host (sudo grant g-s8 expired at" "$D/held.out"
check "8. nothing ran as root" bash -c "! sed -n '/^READY\$/,\$p' '$D/held.out' | grep -qx 0"
check "8. the login ended normally (exit $rc, BYE)" grep -qx BYE "$D/held.out"

echo "## latencies"
for l in "${LAT[@]}"; do echo "#   $l"; done
sys_finish
