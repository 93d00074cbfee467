#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# cron and at jobs are sessions of their user: with pam_jit wired into cron's
# and atd's stacks by `jitctl pam enable cron atd` (Debian 12's own
# /etc/pam.d/cron and /etc/pam.d/atd, in the test's /etc overlay), a job of
# alice runs only during her grant, is recorded like a login (pam_loginuid
# gives it its own audit session), and what it started is ended by the real
# jit-agent at the grant's exp. After the grant, her next job is refused.
#
# Real cron (Debian cron, `cron -f`) and real atd (`atd -f`, `at now`) run in
# a session of their own (setsid: not in the test's process group), in
# the private mount namespace of the sshd sandbox, with /run and
# /var/spool/cron private too (no job of the machine runs, nothing of the
# machine is written). cron's @reboot entries run when cron starts, so a
# job runs at once, not at the next minute; root's control entry (root is
# exempt) proves cron processed them when alice's is refused.
#
# Environment: JIT_PAM_MODULE, JITCTL, JIT_HOST_APPLY, JIT_AGENT
# (tests/system/meson.build).
set -euo pipefail
. "$(dirname "$(realpath "$0")")/lib.sh"

sys_init cron
require_exe "jit-agent (JIT_AGENT)" "${JIT_AGENT:-}"
for p in /usr/sbin/cron /usr/sbin/atd /usr/bin/at; do
        require_exe "$p (install cron and at: tools/install-deps)" "$p"
done

GRACE=2
agent_write_conf "poll_interval = 5s
kill_grace = ${GRACE}s
exempt_users = root"

# The namespace: no crontab, cron.d entry or spool of the machine's is seen;
# cron's and atd's pid files and cron's @reboot marker live in a private
# /run. /run/sshd is sshd's privilege separation folder.
NS_EXTRA_SETUP="
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/sshd
mount -t tmpfs -o mode=0755 tmpfs /var/spool/cron
install -d -m 1730 -o root -g crontab /var/spool/cron/crontabs
install -d -m 1770 -o daemon -g daemon /var/spool/cron/atjobs /var/spool/cron/atspool
install -m 0600 -o daemon -g daemon /dev/null /var/spool/cron/atjobs/.SEQ
rm -f /etc/cron.d/* /etc/cron.allow /etc/at.allow
: >/etc/crontab
: >/etc/at.deny
"
publish # an empty store: the head exists before the agent's first poll
agent_start
agent_publish # and the agent has accepted one: jitctl pam enable checks that
sys_start_sshd

echo "## 0. jitctl pam enable cron atd wires Debian's own stacks"
# jitctl keeps backups in /var/lib/jit: a private /var/lib for that call.
rc=0
in_ns bash -c "mount -t tmpfs tmpfs /var/lib && '$JITCTL' pam enable --config $D/host/jit.conf cron atd; r=\$?; umount /var/lib; exit \$r" \
        >"$D/out" 2>"$D/err" || rc=$?
sed 's/^/#   jitctl: /' "$D/out" "$D/err"
check "jitctl pam enable cron atd succeeds" test "$rc" -eq 0
in_ns cat /etc/pam.d/cron >"$D/pam-cron"
in_ns cat /etc/pam.d/atd >"$D/pam-atd"
check "cron's stack has the account rule" grep -q "^account required pam_jit.so config=$D/host/jit.conf" "$D/pam-cron"
check "cron's stack has the session rule" grep -q "^session required pam_jit.so config=$D/host/jit.conf" "$D/pam-cron"
check "atd's stack has both rules" test "$(grep -c "^[a-z]* required pam_jit.so" "$D/pam-atd")" -eq 2
moddir=/usr/lib/x86_64-linux-gnu/security
[[ -d $moddir ]] || moddir=$(dirname "$(find /usr/lib /lib -name pam_unix.so -print -quit)")
# The stacks name pam_jit.so by name: the namespace gets a private module
# folder, a copy of the machine's plus the build's pam_jit.so.
mkdir -p "$D/pamlib"
cp -a "$moddir"/. "$D/pamlib/"
install -m 0644 "$JIT_PAM_MODULE" "$D/pamlib/pam_jit.so"
in_ns mount --bind "$D/pamlib" "$moddir"

CRON_PID=
cron_start() {
        in_ns rm -f /run/crond.reboot /run/crond.pid
        nsenter -t "$SSHD_PID" -m -- setsid /usr/sbin/cron -f -L 15 >>"$D/cron.log" 2>&1 &
        CRON_PID=$!
}
cron_stop() {
        [[ -n $CRON_PID ]] || return 0
        kill "$CRON_PID" 2>/dev/null || true
        wait "$CRON_PID" 2>/dev/null || true
        CRON_PID=
}
SANDBOX_CLEANUP+=(cron_stop)

# The job: where it ran, then a long sleep the grant's end must stop.
cat >"$D/share/job.sh" <<EOF
#!/bin/sh
tag=\$1
echo "\$tag ran as \$(id -un) sid=\$(cat /proc/self/sessionid) grant=\${JIT_GRANT_ID:-none}" >>$D/share/jobs.out
sleep 600 &
echo \$! >$D/share/jobs/\$tag.pid
wait
EOF
chmod 0755 "$D/share/job.sh"
mkdir -p "$D/share/jobs"
chmod 1777 "$D/share/jobs"
: >"$D/share/jobs.out"
chmod 0666 "$D/share/jobs.out"
cat >"$D/cron.d-jit" <<EOF
MAILTO=""
@reboot $TEST_USER $D/share/job.sh cron-alice
@reboot root echo root-control >>$D/share/jobs.out
EOF
in_ns install -m 0644 -o root -g root "$D/cron.d-jit" /etc/cron.d/jit-test

# wait_line TEXT SECONDS: until jobs.out has a line with TEXT.
wait_line() {
        for _ in $(seq $(($2 * 10))); do
                grep -q -- "$1" "$D/share/jobs.out" && return 0
                sleep 0.1
        done
        return 1
}

echo "## 1. no grant: alice's cron job is refused, root's runs"
cron_start
check "root's control job ran (cron processed its @reboot entries)" wait_line root-control 10
sleep 2
check "alice's job did not run without a grant" test -z "$(grep cron-alice "$D/share/jobs.out")"
cron_stop
: >"$D/share/jobs.out"

echo "## 2. during a grant the job runs, is recorded, and ends at the grant's exp"
ttl=15
nbf=$(date +%s)
exp=$((nbf + ttl))
grant cron --jti g-cron --scope ssh --ttl "${ttl}s" --not-before "$nbf"
agent_publish
cron_start
if wait_line "cron-alice ran" 10; then
        pass "alice's job ran during her grant"
else
        fail "alice's job ran during her grant"
        tail -5 "$D/cron.log"
fi
sed 's/^/#   job: /' "$D/share/jobs.out"
check "it ran as $TEST_USER with JIT_GRANT_ID=g-cron" grep -q "cron-alice ran as $TEST_USER .*grant=g-cron" "$D/share/jobs.out"
sid=$(sed -n 's/^cron-alice ran .* sid=\([0-9]*\) .*/\1/p' "$D/share/jobs.out" | head -1)
check "the job has an audit session of its own (sessionid $sid)" test -n "$sid" -a "$sid" != 4294967295
rec=$D/host/run/sessions/$sid
check "the job's session is recorded, service cron" grep -qx "service=cron" "$rec"
check "…on grant g-cron" grep -qx "grant=g-cron" "$rec"
if [[ -f $rec ]]; then sed 's/^/#   record: /' "$rec"; fi
for _ in $(seq 50); do [[ -s $D/share/jobs/cron-alice.pid ]] && break; sleep 0.1; done
jobpid=$(cat "$D/share/jobs/cron-alice.pid" 2>/dev/null || echo 0)
check "the job's sleep runs before exp" proc_alive "$jobpid"
check "…and it is before exp (else the test is too slow)" test "$(date +%s)" -lt "$exp"
if wait_dead "$jobpid" $((ttl + GRACE + 10)); then
        ended=$(secs_between "$exp" "$T_DEAD")
        sys_log "the job's process ended $ended s after exp"
        if le "$ended" $((GRACE + 3)); then
                pass "the job's process ended at the grant's exp (+${ended} s)"
        else
                fail "the job's process ended at the grant's exp (+${ended} s, > $((GRACE + 3)) s)"
        fi
        check "…not before exp" le -1 "$ended"
else
        fail "the job's process ended at the grant's exp"
fi
check "the agent ended the job's session" grep -q "session $sid of $TEST_USER: .*ending it" "$AGENT_LOG"
cron_stop

echo "## 3. after the grant, alice's next job is refused"
: >"$D/share/jobs.out"
cron_start
check "root's control job ran" wait_line root-control 10
sleep 2
check "alice's job did not run after her grant" test -z "$(grep cron-alice "$D/share/jobs.out")"
cron_stop

echo "## 4. at: a job queued during the grant runs; after the grant, atd refuses it"
: >"$D/share/jobs.out"
ATD_PID=
nsenter -t "$SSHD_PID" -m -- setsid /usr/sbin/atd -f >>"$D/atd.log" 2>&1 &
ATD_PID=$!
BG_PIDS+=("$ATD_PID")
sleep 0.3
nbf=$(date +%s)
exp=$((nbf + ttl))
grant at --jti g-at --scope ssh --ttl "${ttl}s" --not-before "$nbf"
agent_publish
at_queue() {
        in_ns setpriv --reuid "$TEST_USER" --regid "$TEST_USER" --init-groups \
                env -i PATH=/usr/bin:/bin HOME=/ SHELL=/bin/sh \
                timeout 10 sh -c "cd / && echo '$D/share/job.sh $1' | at now" >>"$D/at.out" 2>&1 ||
                fail "at now as $TEST_USER: $(tail -1 "$D/at.out")"
        kill -HUP "$ATD_PID"
}
at_queue at-alice
if wait_line "at-alice ran" 15; then
        pass "alice's at job ran during her grant"
else
        fail "alice's at job ran during her grant"
        cat "$D/at.out" "$D/atd.log" | tail -5
fi
# atd gives a job the environment of its `at`, not the PAM one: the record
# shows the session.
sid=$(sed -n 's/^at-alice ran .* sid=\([0-9]*\) .*/\1/p' "$D/share/jobs.out" | head -1)
check "the at job's session (sessionid ${sid:-none}) is recorded on grant g-at, service atd" \
        grep -qx "service=atd" "$D/host/run/sessions/${sid:-none}"
check "…on grant g-at" grep -qx "grant=g-at" "$D/host/run/sessions/${sid:-none}"
for _ in $(seq 50); do [[ -s $D/share/jobs/at-alice.pid ]] && break; sleep 0.1; done
jobpid=$(cat "$D/share/jobs/at-alice.pid" 2>/dev/null || echo 0)
if wait_dead "$jobpid" $((ttl + GRACE + 10)); then
        ended=$(secs_between "$exp" "$T_DEAD")
        if le "$ended" $((GRACE + 3)) && le -1 "$ended"; then
                pass "the at job's process ended at the grant's exp (+${ended} s)"
        else
                fail "the at job's process ended at the grant's exp (+${ended} s)"
        fi
else
        fail "the at job's process ended at the grant's exp"
fi
at_queue at-late
sleep 3
check "alice's at job queued after her grant did not run" test -z "$(grep at-late "$D/share/jobs.out")"
kill "$ATD_PID" 2>/dev/null || true
wait "$ATD_PID" 2>/dev/null || true

sys_finish
