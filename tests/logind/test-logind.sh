#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# pam_jit.so and jit-agent under a real systemd and logind: a Debian 12 guest
# booted with systemd-nspawn (tests/lib/nspawn.sh) runs sshd with pam_jit in its
# account and session stacks (after pam_systemd, which makes the logind
# session) and jit-agent.service (Type=notify, WatchdogSec=). The host issues
# a 40 s ssh grant and publishes the store into a folder the guest's agent
# polls (file://). Checked:
#   - the agent starts as a notify service and reports STATUS=;
#   - it installs the grant's key in /run/jit/keys/alice (the only
#     AuthorizedKeysFile sshd has for alice at first), with expiry-time=;
#   - an ssh login is admitted; logind lists its session; pam_jit's record
#     /run/jit/sessions/<id> names that logind session;
#   - at the grant's exp the agent ends the session through logind: the ssh
#     client exits 255 within kill_grace + 3 s, logind forgets the session, the record
#     and the key file are gone, the journal says "ended through logind";
#   - an unsafe record: a second login of alice whose record is chowned to
#     her ends at the next reconcile (SIGHUP), with one LOG_ALERT line
#     ("unsafe record, ending the session"); the first login lives on;
#   - processes of the login that try to outlive it (tests/tools/escape-*:
#     a zombie leader with a live thread ignoring SIGTERM, as alice and as
#     root; a 1 ms fork hopper; a sudo'd root daemon that rewrote its
#     loginuid and ignores SIGTERM) outlive an agent SIGKILLed right after
#     its SIGTERM at exp (the pending SIGKILL is in /run/jit/ending/<id>,
#     root 0600; logind's scope stop waits 90 s), and are gone by 1.5 s
#     after the agent is started again: it reads the ending file and sends
#     the SIGKILL to the whole scope (logind KillSession) and its own sweep;
#   - a new login is refused: by sshd (no key left), and by pam_jit's account
#     hook once a key is offered from elsewhere ("… expired at HH:MM UTC").
#   - on_sudo_expiry = elevated (the agent reloaded, pam_jit added to the
#     guest's sudo stack), a 600 s ssh grant and a 15 s sudo grant: a sudo'd
#     process that did setresuid(alice, alice, 0) and keeps writing a
#     root-only file is gone by the sudo grant's exp + kill_grace + 1.5 s,
#     and the login goes on.
#
# Usage: test-logind.sh PAM_JIT_SO JIT_AGENT JITCTL   (as root)
# Environment: JIT_LOGIND_CACHE (default /var/cache/jit-tests) holds the
# guest's root file system as rootfs-bookworm.tar, rebuilt when older than
# 7 days; JIT_LOGIND_MIRROR overrides the Debian mirror (default: the URI of
# the bookworm entry in /etc/apt/sources.list.d/debian.sources);
# JIT_LOGIND_TTL: the grant's lifetime in seconds (default 40); KEEP_TMP=1
# keeps the temp dir.
set -euo pipefail

TEST_USER=alice
TTL=${JIT_LOGIND_TTL:-40}
SRC_DIR=$(dirname "$(realpath "$0")")
# shellcheck source=tests/logind/lib.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
SSH_PID=
SSH2_PID=
CLEANUP_PIDS=(SSH_PID SSH2_PID)
GUEST_UNITS=(jit-agent ssh dbus systemd-logind)

# ---- guest access -------------------------------------------------------

# galive PID: a process of the guest lives (any thread runs: a zombie leader
# whose thread runs is alive).
galive() {
        [[ -n $1 ]] || return 1
        # shellcheck disable=SC2016 # expanded by the guest's shell
        guest sh -c 'for t in /proc/$1/task/*/stat; do s=$(sed -n "s/.*) \([A-Za-z]\) .*/\1/p" "$t" 2>/dev/null); case $s in ""|Z|X) ;; *) exit 0 ;; esac; done; exit 1' sh "$1"
}

# hopping BEATFILE: a hopper still writes BEATFILE (every 20 generations).
hopping() {
        local a b
        a=$(cat "$1" 2>/dev/null) || true
        sleep 0.3
        b=$(cat "$1" 2>/dev/null) || true
        [[ -n $b && $a != "$b" ]]
}

# ---- prerequisites ------------------------------------------------------

logind_programs "$@"
for t in zombie-leader hopper loginuid setresuid; do
        [[ -x ${JIT_ESCAPE_TOOLS:-}/escape-$t ]] || die "escape-$t not found in JIT_ESCAPE_TOOLS ('${JIT_ESCAPE_TOOLS:-}')"
done
guest_require "$JIT_AGENT" "install debootstrap, systemd-container, openssh-client, python3, util-linux" \
        /usr/bin/ssh-keygen /usr/bin/python3 /usr/bin/flock

T_START=$(now)
guest_tmp jit-logind
mkdir -p "$D/share/extra-keys"

# ---- 1. the guest's root file system ------------------------------------

T_ROOTFS=$(now)
rootfs_make "$R"
T_ROOTFS_DONE=$(now)
log "root file system: $(elapsed "$T_ROOTFS" "$T_ROOTFS_DONE") s ($ROOTFS_HOW)"

# ---- 2. install the module, the agent, config and the test user ---------

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
guest_install_jit "$PAM_JIT_SO" "$JIT_AGENT"

guest_trust
install -m 0644 -o root -g root "$SRC_DIR/jit.conf" "$R/etc/jit/jit.conf"

chroot "$R" useradd -m -s /bin/bash "$TEST_USER"

# Processes that try to outlive the session (tests/tools/escape-*.c), run in
# the login: alice may sudo without a password (the guest's sudo stack has no
# pam_jit: what is tested is how the sudo'd processes end).
for t in zombie-leader hopper loginuid setresuid; do
        install -m 0755 -o root -g root "$JIT_ESCAPE_TOOLS/escape-$t" "$R/usr/local/bin/escape-$t"
done
printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' "$TEST_USER" >"$R/etc/sudoers.d/jit-test"
chmod 0440 "$R/etc/sudoers.d/jit-test"
install -d -m 0777 "$D/share/pids"
cat >"$D/share/escapes.sh" <<'EOF'
P=/mnt/test/pids
escape-zombie-leader --ignore-term $P/zl </dev/null >/dev/null 2>&1 &
sudo -n /usr/local/bin/escape-zombie-leader --ignore-term $P/zlroot </dev/null >/dev/null 2>&1 &
escape-hopper 1 $P/hop.beat jit-logind-hopper </dev/null >/dev/null 2>&1 &
sudo -n /usr/local/bin/escape-loginuid --ignore-term --daemon $P/luid </dev/null >/dev/null 2>&1
for i in $(seq 100); do
        [ -s $P/zl ] && [ -s $P/zlroot ] && [ -s $P/luid ] && [ -s $P/hop.beat ] && break
        sleep 0.05
done
EOF
chmod 0644 "$D/share/escapes.sh"
ssh-keygen -q -t ed25519 -N '' -C "$TEST_USER@jit-logind" -f "$D/client/$TEST_USER"

# sshd: alice's keys come only from the agent's key file at first;
# /mnt/test/extra-keys/%u stays empty until the last case offers her key from
# elsewhere, so that pam_jit's own refusal is seen too.
cat >"$R/etc/ssh/sshd_config.d/00-jit-test.conf" <<EOF
ListenAddress 127.0.0.1:$PORT
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile /run/jit/keys/%u /mnt/test/extra-keys/%u
PermitRootLogin no
UseDNS no
UsePAM yes
LogLevel VERBOSE
EOF

# PAM: account before common-account; session after common-session, i.e.
# after pam_loginuid.so and pam_systemd.so (which makes the logind session).
pam=$R/etc/pam.d/sshd
guest_pam_jit sshd common-session
grep -q pam_systemd.so "$R/etc/pam.d/common-session" || die "pam_systemd.so is not in the guest's common-session"
awk '/^account.*pam_jit.so/ { a = NR } /^@include common-account/ { ca = NR }
     /^session.*pam_loginuid.so/ { l = NR } /^@include common-session/ { cs = NR }
     /^session.*pam_jit.so/ { s = NR }
     END { exit !(a && ca && a < ca && l && cs && s && l < s && cs < s) }' "$pam" ||
        die "could not place pam_jit.so in the guest's /etc/pam.d/sshd"
log "guest /etc/pam.d/sshd:"
grep -v '^#' "$pam" | grep -v '^$' | sed 's/^/#   /'

guest_unit "$SRC_DIR/jit-agent.service"

# An empty store: the agent's first poll finds a valid head with no grant.
publish

# ---- 3. boot --------------------------------------------------------------

T_BOOT=$(now)
guest_boot jitguest "$PORT"
T_BOOTED=$(now)
log "systemd-nspawn pid $NSPAWN_PID, machine jitguest-$$, sshd on 127.0.0.1:$PORT"
log "boot to sshd: $(elapsed "$T_BOOT" "$T_BOOTED") s"
log "guest systemd is pid $GUEST_PID"

# The agent: a notify service reaches "active" only after READY=1.
state=$(guest_unit_wait jit-agent)
check "jit-agent.service is active (Type=notify: READY=1 received) (got '$state')" test "$state" = active
agent_pid=$(guest systemctl show -P MainPID jit-agent)
wd=$(guest systemctl show -P WatchdogUSec jit-agent)
check "the unit runs with WatchdogSec=30s (WatchdogUSec=$wd)" test "$wd" = 30s
[[ $state == active ]] || die "jit-agent is not running: nothing more to test"

# ---- 4. a grant, a login ------------------------------------------------

T_TEST=$(now)
mint "$TEST_USER" g-logind --scope ssh --ssh-key-file "$D/client/$TEST_USER.pub" --ttl "${TTL}s" \
        --ticket INC-LOGIND --jti g-logind
exp=$(claim "$D/share/store/grants/g-logind.jwt" exp)
publish
T_PUBLISHED=$(now)
log "grant g-logind for $TEST_USER: exp $exp ($(date -u -d "@$exp" +%H:%M:%S) UTC)"

# The agent picks it up within one poll (5 s ± 10 %) and writes alice's key.
keyfile=$(groot /run/jit/keys/$TEST_USER)
for _ in $(seq 100); do
        [[ -s $keyfile ]] && break
        sleep 0.1
done
want_key="expiry-time=\"$(date -u -d "@$exp" +%Y%m%d%H%M%S)Z\" $(cut -d' ' -f1,2 "$D/client/$TEST_USER.pub")"
if [[ -s $keyfile ]]; then
        pass "the agent installed /run/jit/keys/$TEST_USER $(elapsed "$T_PUBLISHED") s after publish"
        check "the key line carries expiry-time= of the grant's exp" grep -qF -- "$want_key" "$keyfile"
else
        fail "the agent installed /run/jit/keys/$TEST_USER within 10 s of publish"
        guest_journal -u jit-agent | tail -20 | sed 's/^/#   /'
fi

SSH_OPTS=(-F /dev/null -p "$PORT" -i "$D/client/$TEST_USER" -o BatchMode=yes -o IdentitiesOnly=yes
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10
        -o ServerAliveInterval=0)
# shellcheck disable=SC2016 # expanded by the remote shell
ssh "${SSH_OPTS[@]}" "$TEST_USER@127.0.0.1" \
        'bash /mnt/test/escapes.sh; echo "SID=$(cat /proc/self/sessionid) XDG=${XDG_SESSION_ID-unset} GRANT=${JIT_GRANT_ID-unset}"; exec sleep 600' \
        >"$D/ssh.out" 2>"$D/ssh.err" </dev/null &
SSH_PID=$!
wait_output "$D/ssh.out" '^SID=' "$SSH_PID" || true
line=$(grep '^SID=' "$D/ssh.out" || true)
sid=$(sed -n 's/^SID=\([0-9]*\) .*/\1/p' <<<"$line")
xdg=$(sed -n 's/.* XDG=\([^ ]*\) .*/\1/p' <<<"$line")
if [[ -n $sid ]]; then
        pass "ssh login admitted ($line)"
else
        fail "ssh login admitted"
        sed 's/^/#   ssh: /' "$D/ssh.err"
        guest_journal -u ssh | tail -20 | sed 's/^/#   /'
        die "no session to watch"
fi
check "the shell has JIT_GRANT_ID=g-logind" grep -q 'GRANT=g-logind$' "$D/ssh.out"

# The escapes, by their pids in the guest.
zl=$(cat "$D/share/pids/zl" 2>/dev/null || true)
zlroot=$(cat "$D/share/pids/zlroot" 2>/dev/null || true)
read -r luid luid_before luid_after <"$D/share/pids/luid" || true
check "a zombie leader with a live thread, ignoring SIGTERM, runs as alice ($zl)" galive "$zl"
check "… and one as root through sudo ($zlroot)" galive "$zlroot"
check "a 1 ms fork hopper ignoring SIGTERM runs" hopping "$D/share/pids/hop.beat"
check "a root process ignoring SIGTERM left the audit session by writing its loginuid, and daemonized ($luid: $luid_before → $luid_after)" \
        test -n "$luid" -a "$luid_before" = "$sid" -a "$luid_after" != "$sid"
gcg=$(guest cat "/proc/$luid/cgroup" 2>/dev/null | grep -m1 "session-$sid.scope" || true)
check "… and logind's scope still holds it (/proc/$luid/cgroup: $gcg)" test -n "$gcg"
check "logind's session id equals the audit session id ($xdg = $sid)" test "$xdg" = "$sid"

guest loginctl list-sessions --no-legend >"$D/sessions" 2>&1 || true
sed 's/^/#   loginctl: /' "$D/sessions"
# shellcheck disable=SC2016 # awk's own variables
check "loginctl lists session $sid of $TEST_USER" \
        awk -v s="$sid" -v u="$TEST_USER" '$1 == s && $3 == u { f = 1 } END { exit !f }' "$D/sessions"
svc=$(guest loginctl show-session "$sid" -P Service 2>&1 || true)
check "the logind session's PAM service is sshd (got '$svc')" test "$svc" = sshd

rec=$(groot "/run/jit/sessions/$sid")
if [[ -f $rec ]]; then
        pass "pam_jit wrote the session record /run/jit/sessions/$sid"
        sed 's/^/#   record: /' "$rec"
        check "the record names the logind session (logind-session=$sid)" grep -qx "logind-session=$sid" "$rec"
        check "the record names the grant (grant=g-logind)" grep -qx "grant=g-logind" "$rec"
        check "the record's exp is the grant's exp" grep -qx "exp=$exp" "$rec"
else
        fail "pam_jit wrote the session record /run/jit/sessions/$sid"
        find "$(groot /run/jit/sessions)" -ls 2>&1 | sed 's/^/#   /'
fi

# STATUS= follows each reconcile; the new record triggers one (inotify).
want_status="1 grant, 1 session, next expiry $(date -u -d "@$exp" +%H:%M:%S) UTC, store fresh"
st=
for _ in $(seq 300); do # up to 30 s; it holds within ms when idle
        st=$(guest systemctl show -P StatusText jit-agent)
        [[ $st == "$want_status" ]] && break
        sleep 0.1
done
check "systemctl shows the agent's STATUS '$want_status' (got '$st')" test "$st" = "$want_status"

# ---- 4b. an unsafe session record ----------------------------------------

# A second login of alice; its record is made alice's (a record root does not
# own cannot be trusted): the agent ends that session, named by the file
# name, with an alarm, and goes on enforcing the first one.
# shellcheck disable=SC2016 # expanded by the remote shell
ssh "${SSH_OPTS[@]}" "$TEST_USER@127.0.0.1" 'echo "SID=$(cat /proc/self/sessionid)"; exec sleep 600' \
        >"$D/ssh2.out" 2>"$D/ssh2.err" </dev/null &
SSH2_PID=$!
wait_output "$D/ssh2.out" '^SID=' "$SSH2_PID" || true
sid2=$(sed -n 's/^SID=\([0-9]*\)$/\1/p' "$D/ssh2.out")
rec2=$(groot "/run/jit/sessions/$sid2")
if [[ -n $sid2 && -f $rec2 ]]; then
        pass "a second login of $TEST_USER (session $sid2) has its record"
        guest chown "$TEST_USER" "/run/jit/sessions/$sid2"
        # A chown is no inotify event the agent watches: reconcile now.
        guest kill -HUP "$agent_pid"
        t_chown=$(now)
        while kill -0 "$SSH2_PID" 2>/dev/null &&
                awk -v t="$t_chown" -v n="$(now)" 'BEGIN { exit !(n < t + 2 + 2) }'; do
                sleep 0.05
        done
        if kill -0 "$SSH2_PID" 2>/dev/null; then
                fail "the session whose record is now $TEST_USER's ends within kill_grace + 2 s"
        else
                pass "the session whose record is now $TEST_USER's ends ($(elapsed "$t_chown") s after the chown)"
                wait "$SSH2_PID" 2>/dev/null || true
                SSH2_PID=
        fi
        for _ in $(seq 30); do
                guest_journal -u jit-agent -p alert >"$D/alert.journal"
                grep -q "session $sid2: unsafe record, ending the session" "$D/alert.journal" && break
                sleep 0.1
        done
        check "… with an alarm (LOG_ALERT): 'session $sid2: unsafe record, ending the session'" \
                grep -q "session $sid2: unsafe record, ending the session" "$D/alert.journal"
        check "… one alarm, not one per reconcile" \
                test "$(grep -c "session $sid2: unsafe record" "$D/alert.journal")" = 1
        check "the first session ($sid) lives on: its ssh client" kill -0 "$SSH_PID"
        check "… its SIGTERM-ignoring zombie leader" galive "$zl"
        check "… its record" test -f "$rec"
else
        fail "a second login of $TEST_USER has its record (session '$sid2')"
        sed 's/^/#   ssh2: /' "$D/ssh2.err"
fi

# ---- 5. the grant's exp ---------------------------------------------------

now_s=$(date +%s)
if ((now_s >= exp - 5)); then
        fail "test too slow: only $((exp - now_s)) s of the $TTL s grant left before waiting"
fi
log "waiting for exp ($((exp - now_s)) s)"
# The agent is SIGKILLed inside kill_grace, right after its SIGTERM: the
# SIGKILL it had pending is on disk (run_dir/ending/<id>), and the next agent
# sends it.
t_kill=
while (($(date +%s) < exp + 5)); do
        if guest_journal -u jit-agent | grep -q "session $sid: SIGTERM to"; then
                guest kill -KILL "$agent_pid"
                t_kill=$(now)
                break
        fi
        sleep 0.1
done
if [[ -n $t_kill ]]; then
        pass "the agent sent SIGTERM at exp; SIGKILLed it $(elapsed "$exp" "$t_kill") s after exp"
else
        fail "the agent sent SIGTERM to session $sid by exp + 5 s"
fi
ending=$(groot "/run/jit/ending/$sid")
check "the pending SIGKILL is on disk (/run/jit/ending/$sid, root 0600)" \
        test "$(stat -c '%U %a' "$ending" 2>/dev/null)" = "root 600"
ssh_rc=
t_exit=
while (($(date +%s) < exp + 15)); do
        if ! kill -0 "$SSH_PID" 2>/dev/null; then
                t_exit=$(now)
                ssh_rc=0
                wait "$SSH_PID" || ssh_rc=$?
                SSH_PID=
                break
        fi
        sleep 0.05
done
if [[ -z $t_exit ]]; then
        fail "the ssh client exits by exp + 15 s (still running)"
else
        late=$(elapsed "$exp" "$t_exit")
        log "ssh client exited $late s after exp, code $ssh_rc"
        check "the session was not ended before exp ($late s)" awk -v l="$late" 'BEGIN { exit !(l >= 0) }'
        # kill_grace (2 s) + 3 s: the agent is SIGKILLed inside the grace
        # above, and a busy machine slows the guest's sshd; the bound for
        # every escape of the session is checked on its own below.
        check "the ssh client exits within kill_grace + 3 s after exp ($late s)" awk -v l="$late" 'BEGIN { exit !(l <= 5) }'
        check "the ssh client exits 255 (connection closed; got $ssh_rc)" test "$ssh_rc" = 255
fi

# With no agent, the SIGTERM-ignoring processes outlive kill_grace (2 s,
# tests/logind/jit.conf): logind's scope stop waits 90 s before its SIGKILL.
while awk -v b="$exp" -v n="$(now)" 'BEGIN { exit !(n < b + 2 + 1) }'; do
        sleep 0.05
done
check "with no agent, the SIGTERM-ignoring zombie leader outlives kill_grace" galive "$zl"
t_restart=$(now)
guest systemctl start jit-agent || true
log "agent restarted $(elapsed "$t_restart") s after 'systemctl start', exp + $(elapsed "$exp") s"

# Every escape is gone by the restart + 1.5 s: the new agent reads the ending
# file and sends the SIGKILL to the whole scope (logind KillSession) and its
# own sweep, not left to systemd's stop timeout of the scope (90 s).
bound=$(awk -v e="$t_restart" 'BEGIN { printf "%.1f", e + 1.5 }')
gone_from=$t_restart gone_from_what=restart
gone_by() {
        local what=$1
        shift
        while "$@"; do
                if awk -v b="$bound" -v n="$(now)" 'BEGIN { exit !(n > b) }'; then
                        fail "$what (still alive at $gone_from_what + $(elapsed "$gone_from") s)"
                        return 0
                fi
                sleep 0.05
        done
        pass "$what (seen gone at $gone_from_what + $(elapsed "$gone_from") s)"
}
gone_by "the SIGTERM-ignoring zombie leader (alice) is gone by agent restart + 1.5 s" galive "$zl"
gone_by "the SIGTERM-ignoring zombie leader (root) is gone by agent restart + 1.5 s" galive "$zlroot"
gone_by "the 1 ms fork hopper is gone by agent restart + 1.5 s" hopping "$D/share/pids/hop.beat"
gone_by "the loginuid-rewriting SIGTERM-ignoring root daemon is gone by agent restart + 1.5 s" galive "$luid"

# logind: the session goes away (a session may show State=closing briefly).
gone=0
for _ in $(seq 300); do
        guest loginctl list-sessions --no-legend >"$D/sessions" 2>&1 || true
        if ! awk -v s="$sid" '$1 == s { f = 1 } END { exit !f }' "$D/sessions"; then
                gone=1
                break
        fi
        sleep 0.1
done
if [[ $gone -eq 1 ]]; then
        pass "loginctl no longer lists session $sid"
else
        fail "loginctl no longer lists session $sid within 30 s"
        guest loginctl show-session "$sid" 2>&1 | sed 's/^/#   /'
fi

guest_journal -u jit-agent >"$D/agent.journal"
check "the agent's journal: 'session $sid: ended through logind'" \
        grep -q "session $sid: ended through logind" "$D/agent.journal"
check "the agent's journal: 'SIGKILL to logind session $sid, all of its scope' (KillSession)" \
        grep -q "session $sid: SIGKILL to logind session $sid, all of its scope" "$D/agent.journal"
for _ in $(seq 300); do
        [[ -e $rec ]] || break
        sleep 0.1
done
check "the session record is removed" test ! -e "$rec"
check "the key file /run/jit/keys/$TEST_USER is removed" test ! -e "$keyfile"

check "the restarted agent says it finishes what the last one began" \
        grep -q "being ended by the previous agent: finishing" "$D/agent.journal"
check "the ending file is removed" test ! -e "$ending"
# The restarted agent runs on: no crash, no watchdog kill.
st2=$(guest systemctl is-active jit-agent 2>/dev/null || true)
pid2=$(guest systemctl show -P MainPID jit-agent)
check "the restarted jit-agent is active ($agent_pid → $pid2, $st2)" \
        test "$st2" = active -a "$pid2" != "$agent_pid"
if grep -q 'Watchdog timeout' "$D/agent.journal"; then
        fail "no watchdog timeout in the agent's journal"
fi

echo "=== login after exp" >>"$D/client.log"
rc=0
timeout 30 ssh "${SSH_OPTS[@]}" "$TEST_USER@127.0.0.1" echo hello >"$D/out" 2>"$D/err" </dev/null || rc=$?
check "a new login after exp is refused (exit $rc)" test "$rc" = 255 -a ! -s "$D/out"
check "… by sshd: no key left for $TEST_USER (Permission denied (publickey))" \
        grep -q 'Permission denied (publickey)' "$D/err"

# The same key offered from another AuthorizedKeysFile: now pam_jit decides.
install -m 0644 "$D/client/$TEST_USER.pub" "$D/share/extra-keys/$TEST_USER"
rc=0
timeout 30 ssh "${SSH_OPTS[@]}" "$TEST_USER@127.0.0.1" echo hello >"$D/out" 2>"$D/err" </dev/null || rc=$?
check "with a key from elsewhere, the login is still refused (exit $rc)" test "$rc" = 255 -a ! -s "$D/out"
msg="jit: your access grant g-logind expired at $(date -u -d "@$exp" +%H:%M:%S) UTC"
check "… by pam_jit's account hook: '$msg'" grep -qF -- "$msg" "$D/err"
# journald may take a moment to store sshd's last line.
for _ in $(seq 300); do
        guest_journal -u ssh >"$D/ssh.journal"
        grep -q "Access denied for user $TEST_USER by PAM account configuration" "$D/ssh.journal" && break
        sleep 0.1
done
check "the guest's sshd logs 'Access denied for user $TEST_USER by PAM account configuration'" \
        grep -q "Access denied for user $TEST_USER by PAM account configuration" "$D/ssh.journal"
rm -f "$D/share/extra-keys/$TEST_USER"

# ---- 6. on_sudo_expiry = elevated: setresuid(N, N, 0) --------------------

# The same boot, the agent reloaded with on_sudo_expiry = elevated and
# pam_jit now in the guest's sudo stack: a 600 s ssh grant and a short sudo
# grant. A sudo'd process that dropped to alice's uid but kept root as its
# saved uid (tests/tools/escape-setresuid.c) ends at the sudo grant's exp; the
# login goes on.
guest_journal -u jit-agent >"$D/agent.journal"
nreload=$(grep -c 'configuration and trust store reloaded' "$D/agent.journal" || true)
printf 'on_sudo_expiry = elevated\n' >>"$(groot /etc/jit/jit.conf)"
guest kill -HUP "$pid2"
for _ in $(seq 50); do
        [[ $(guest_journal -u jit-agent | grep -c 'configuration and trust store reloaded') -gt $nreload ]] && break
        sleep 0.1
done
psudo=$R/etc/pam.d/sudo
guest_pam_jit sudo common-session-noninteractive
if ! grep -q '^account.*pam_jit.so' "$psudo" || ! grep -q '^session.*pam_jit.so' "$psudo"; then
        die "could not place pam_jit.so in the guest's /etc/pam.d/sudo"
fi
rm -f "$D/share/store/grants/g-logind.jwt"
mint "$TEST_USER" g-elev-login --scope ssh --ssh-key-file "$D/client/$TEST_USER.pub" --ttl 600s \
        --ticket INC-LOGIND --jti g-elev-login
mint "$TEST_USER" g-elev-sudo --scope sudo --runas root --ttl 15s \
        --ticket INC-LOGIND --jti g-elev-sudo
sexp=$(claim "$D/share/store/grants/g-elev-sudo.jwt" exp)
publish
for _ in $(seq 100); do
        [[ -s $keyfile ]] && break
        sleep 0.1
done
alice_uid=$(guest id -u "$TEST_USER")
rm -f "$D/share/pids/sr"
# shellcheck disable=SC2029 # alice's uid is the host's to put in
ssh "${SSH_OPTS[@]}" "$TEST_USER@127.0.0.1" \
        "sudo -n /usr/local/bin/escape-setresuid $alice_uid /root/jit-written /mnt/test/pids/sr </dev/null >/dev/null 2>&1; echo STARTED; exec sleep 600" \
        >"$D/ssh3.out" 2>"$D/ssh3.err" </dev/null &
SSH_PID=$!
for _ in $(seq 150); do
        [[ -s $D/share/pids/sr ]] && break
        kill -0 "$SSH_PID" 2>/dev/null || break
        sleep 0.1
done
sr=$(cat "$D/share/pids/sr" 2>/dev/null || true)
sleep 0.3
# shellcheck disable=SC2016 # awk's own fields
ids=$(guest awk '/^Uid:/ { print $2, $3, $4 }' "/proc/$sr/status" 2>/dev/null || true)
check "a sudo'd process ($sr) runs with uids '$alice_uid $alice_uid 0' (real, effective, saved; got '$ids')" \
        test -n "$sr" -a "$ids" = "$alice_uid $alice_uid 0"
written=$(groot /root/jit-written)
check "… and writes root's file as root" test -s "$written"
now_s=$(date +%s)
check "… all that before the sudo grant's exp ($((sexp - now_s)) s left; else the test is too slow)" test "$now_s" -lt "$sexp"
while (($(date +%s) < sexp)); do sleep 0.05; done
gone_from=$sexp gone_from_what="sudo exp"
bound=$(awk -v e="$sexp" 'BEGIN { printf "%.1f", e + 2 + 1.5 }')
gone_by "on_sudo_expiry = elevated: the setresuid(N, N, 0) process is gone by the sudo grant's exp + kill_grace + 1.5 s" galive "$sr"
n1=$(wc -l <"$written" 2>/dev/null || true)
sleep 0.5
check "… the root-only file no longer grows" test "$(wc -l <"$written" 2>/dev/null || true)" = "$n1"
check "… and the login goes on (its ssh client runs)" kill -0 "$SSH_PID"

log "agent journal:"
sed 's/^/#   /' "$D/agent.journal"

T_END=$(now)
log "timings: root file system $(elapsed "$T_ROOTFS" "$T_ROOTFS_DONE") s, boot to sshd $(elapsed "$T_BOOT" "$T_BOOTED") s, test $(elapsed "$T_TEST" "$T_END") s (grant ttl $TTL s), total $(elapsed "$T_START" "$T_END") s"
summary
