# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# The system tests' harness: pam_jit.so in real sshd (and real sudo) in the
# sandbox of tests/lib/sshd-sandbox.sh, with the host and issuer of
# tests/lib/jit-host.sh; what is particular to these tests (the PAM stack,
# logins as alice, the expectations on refusals, the agent next to sshd)
# lives here. The machine's own /etc is never written.
#
# Sourced by test-*.sh after `set -euo pipefail` (and by bench/ and
# demo/run). Paths come from the environment (tests/system/meson.build):
# JIT_PAM_MODULE, JITCTL, JIT_HOST_APPLY, JIT_AGENT.

SYS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)
# shellcheck source=tests/lib/tap.sh
. "$SYS_LIB_DIR/tap.sh"
# shellcheck source=tests/lib/wait.sh
. "$SYS_LIB_DIR/wait.sh"
# shellcheck source=tests/lib/sshd-sandbox.sh
. "$SYS_LIB_DIR/sshd-sandbox.sh"
# shellcheck source=tests/lib/jit-host.sh
. "$SYS_LIB_DIR/jit-host.sh"

TEST_USER=alice

sys_log() { note "$@"; }

# Shown after every failed check: the last login's output.
tap_on_fail() {
        local f
        for f in "$D/out" "$D/err"; do
                if [[ -s $f ]]; then sed "s|^|#       ${f##*/}: |" "$f" | head -20; fi
        done
}

sys_require() {
        sandbox_require
        [[ -f ${JIT_PAM_MODULE:-} ]] || die "pam_jit.so not found: '${JIT_PAM_MODULE:-}'"
        require_exe "jit-host-apply (JIT_HOST_APPLY)" "${JIT_HOST_APPLY:-}"
        local p
        for p in /usr/bin/sudo /usr/bin/setpriv /usr/sbin/chpasswd; do
                require_exe "$p (install sudo, util-linux, passwd)" "$p"
        done
}

# sys_init NAME: the sandbox's temp folder, the host, alice.
sys_init() {
        sys_require
        sandbox_init "sys-$1"
        jit_host_init
        sandbox_add_user "$TEST_USER"
        note "temp dir $D"
}

sys_write_conf() { jit_write_conf "$@"; }

# grant NAME ARGS…: a grant for alice into $D/store/grants/NAME.jwt (jitctl
# issue options in ARGS, e.g. --scope ssh --ttl 10m --jti ID).
grant() { mint "$TEST_USER" "$@"; }

# The PAM stack of sshd-test. $NS_EXTRA_SETUP (shell lines) runs in the
# namespace after the standard setup, before sshd starts (test-sudo uses it).
NS_EXTRA_SETUP=

# SYS_MKHOMEDIR=1 (sys_userdb_ns): pam_mkhomedir after pam_jit's session
# rule, as jitctl pam enable writes it when create_users is on.
SYS_MKHOMEDIR=0

sys_write_pam_stack() {
        local mkhomedir=()
        if ((SYS_MKHOMEDIR)); then mkhomedir=("session  required pam_mkhomedir.so umask=0077"); fi
        # Publickey logins never run the auth stack: pam_deny proves it.
        printf '%s\n' \
                "auth     required pam_deny.so" \
                "account  required $JIT_PAM_MODULE config=$D/host/jit.conf debug" \
                "account  required pam_unix.so" \
                "session  required pam_loginuid.so" \
                "session  required $JIT_PAM_MODULE config=$D/host/jit.conf" \
                "${mkhomedir[@]}" \
                "session  required pam_unix.so" | grep -v '^$' >"$D/pam.d/$SANDBOX_SERVICE"
        chmod 0644 "$D/pam.d/$SANDBOX_SERVICE"
}

sys_start_sshd() {
        sys_write_pam_stack
        SANDBOX_NS_SETUP=$NS_EXTRA_SETUP
        sandbox_start_sshd
}

ssh_opts() { :; } # SSH_OPTS is set when sshd starts

# login CMD: ssh as alice, stdout in $D/out, stderr in $D/err, exit code in $rc.
# The module's messages from the account stage arrive as a banner on stderr.
login() {
        # Mark the sshd log so each case can look at its own lines.
        echo "=== login $((++LOGIN_N))" >>"$D/sshd.log"
        sandbox_ssh "$TEST_USER" "$@"
}
LOGIN_N=0

# login_tty CMD: the same with a terminal (ssh -tt); stdout and stderr merged
# into $D/out, \r removed.
login_tty() {
        rc=0
        echo "=== login $((++LOGIN_N))" >>"$D/sshd.log"
        timeout 60 ssh -tt "${SSH_OPTS[@]}" "$TEST_USER@127.0.0.1" "$@" >"$D/out.raw" 2>"$D/err" </dev/null || rc=$?
        tr -d '\r' <"$D/out.raw" >"$D/out"
}

# held_start REMOTE_CMD: a login (with a terminal, ssh -tt) kept open in the
# background until held_release; returns once the remote side printed READY
# (up to 60 s). The remote command should end with held_wait_cmd. Output in
# $D/held.out.
HELD_PID=
held_wait_cmd() {
        echo "echo READY; while [ ! -e $D/share/release ]; do sleep 0.1; done; echo BYE"
}

# held_has LINE: 0 printed, 1 not yet, 2 not and the login has ended.
held_has() {
        tr -d '\r' <"$D/held.raw" >"$D/held.out"
        grep -qx -- "$1" "$D/held.out" && return 0
        kill -0 "$HELD_PID" 2>/dev/null || return 2
        return 1
}

# held_poll LINE SECONDS: until the held login printed LINE, or it ended.
held_poll() {
        local end st
        end=$(fadd "$EPOCHREALTIME" "$2")
        while true; do
                st=0
                held_has "$1" || st=$?
                case $st in
                0) return 0 ;;
                2)
                        # ended: its last output may have come meanwhile
                        held_has "$1" && return 0
                        return 1
                        ;;
                esac
                le "$end" "$EPOCHREALTIME" && return 1
                sleep 0.05
        done
}

held_start() {
        # held.out too: a poll before ssh creates held.raw must not read the
        # previous login's READY.
        rm -f "$D/share/release" "$D/held.raw" "$D/held.out"
        : >"$D/held.raw"
        echo "=== login $((++LOGIN_N))" >>"$D/sshd.log"
        ssh -tt "${SSH_OPTS[@]}" "$TEST_USER@127.0.0.1" "$@" >"$D/held.raw" 2>"$D/held.err" </dev/null &
        HELD_PID=$!
        BG_PIDS+=("$HELD_PID")
        held_poll READY 60
}

# held_wait_for LINE: waits (up to 60 s) until the held login printed LINE.
held_wait_for() {
        held_poll "$1" 60
}

# held_release: lets the held login end; its exit code in $rc.
held_release() {
        touch "$D/share/release"
        rc=0
        wait "$HELD_PID" || rc=$?
        BG_PIDS=()
        tr -d '\r' <"$D/held.raw" >"$D/held.out"
}

# The sshd log lines since the last login.
# (Through a file: grep -q on a pipe would fail the pipeline under pipefail.)
last_sshd_log() {
        sed -n "/^=== login $LOGIN_N\$/,\$p" "$D/sshd.log" >"$D/sshd.last"
        cat "$D/sshd.last"
}

sshd_log_has() {
        last_sshd_log >/dev/null
        grep -q -- "$1" "$D/sshd.last"
}

expect_denied() {
        local what=$1 msg=$2
        if [[ $rc -eq 255 ]]; then pass "$what: ssh exits 255"; else fail "$what: ssh exits 255 (got $rc)"; fi
        # sshd writes the log line as it drops the connection; give it time.
        if wait_for 10 sshd_log_has "Access denied for user $TEST_USER by PAM account configuration"; then
                pass "$what: sshd logs 'Access denied … by PAM account configuration'"
        else
                fail "$what: sshd logs 'Access denied … by PAM account configuration'"
                last_sshd_log | sed 's/^/#       sshd: /' | tail -15
        fi
        if [[ -n $msg ]]; then
                if grep -qF -- "$msg" "$D/err"; then
                        pass "$what: the user is told '$msg'"
                else
                        fail "$what: the user is told '$msg'"
                fi
        fi
        if [[ -s $D/out ]]; then fail "$what: the remote command did not run"; fi
}

expect_allowed() {
        local what=$1 want=$2
        if [[ $rc -eq 0 ]] && grep -qxF -- "$want" "$D/out"; then
                pass "$what: the remote command ran ('$want')"
        else
                fail "$what: the remote command ran ('$want'), exit $rc"
                last_sshd_log | sed 's/^/#       sshd: /' | tail -15
        fi
}

# sys_finish: the plan, the time taken, the counts and the exit code.
sys_finish() { summary; }

# ---------------------------------------------------------------------------
# The real jit-agent next to the sandboxed sshd (test-agent-sshd.sh, demo/run).
# The agent runs on the host side (it shares the pid namespace with sshd's
# sessions, so it sees their /proc/PID/sessionid), with the store as
# file://$D/store/head.jwt; sshd takes alice's keys from the agent's
# run_dir/keys/%u, so a login needs the agent for real. Path: $JIT_AGENT.

AGENT_PID=
AGENT_LOG=

# sys_start_sshd_agent_keys: sys_start_sshd, with AuthorizedKeysFile at the
# agent's key files ($D/host/run/keys/%u) instead of $D/authorized_keys.
sys_start_sshd_agent_keys() {
        SANDBOX_SSHD_EXTRA+=$'\n'"AuthorizedKeysFile $D/host/run/keys/%u"
        sys_start_sshd
        grep -qx "AuthorizedKeysFile $D/host/run/keys/%u" "$D/sshd_config" ||
                die "cannot point sshd at the agent's key files"
        sys_log "keys from the agent"
}

# agent_write_conf EXTRA_LINES: jit.conf for pam_jit and the agent together.
agent_write_conf() {
        sys_write_conf "bundle_url = ${AGENT_STORE_URL:-file://$D/store/head.jwt}
clock_skew = 0
${1:-}"
}

agent_started_count() {
        local n
        n=$(grep -c '>started: ' "$AGENT_LOG" 2>/dev/null) || true
        echo "${n:-0}"
}

# agent_start: starts jit-agent (stderr appended to $D/agent.log) and waits
# for its "started" line.
agent_start() {
        require_exe "jit-agent (JIT_AGENT)" "${JIT_AGENT:-}"
        # The fetch helper: meson passes it; in a build tree it is
        # jit-fetch/jit-fetch beside jit-agent/jit-agent.
        export JIT_FETCH_HELPER=${JIT_FETCH_HELPER:-$(dirname "$JIT_AGENT")/../jit-fetch/jit-fetch}
        AGENT_LOG=$D/agent.log
        local n
        if [[ ! -e $AGENT_LOG ]]; then
                touch "$AGENT_LOG"
                SANDBOX_LOGS+=("$AGENT_LOG")
                SANDBOX_CLEANUP+=(agent_stop_hook)
        fi
        n=$(agent_started_count)
        AGENT_T_START=$EPOCHREALTIME
        "$JIT_AGENT" --config "$D/host/jit.conf" 2>>"$AGENT_LOG" </dev/null &
        AGENT_PID=$!
        agent_has_started() {
                (($(agent_started_count) > n)) && return 0
                if ! kill -0 "$AGENT_PID" 2>/dev/null; then
                        tail -20 "$AGENT_LOG" >&2
                        AGENT_PID=
                        die "jit-agent did not start"
                fi
                return 1
        }
        # 30 s: a loaded machine is slow to start it; an idle one takes ms.
        wait_for 30 agent_has_started || die "jit-agent did not log 'started' in 30 s"
        sys_log "jit-agent pid $AGENT_PID"
}

# agent_stop [SIGNAL]: ends the agent (default SIGTERM) and reaps it.
agent_stop() {
        [[ -n $AGENT_PID ]] || return 0
        kill "-${1:-TERM}" "$AGENT_PID" 2>/dev/null || true
        wait "$AGENT_PID" 2>/dev/null || true
        AGENT_PID=
}

# agent_cleanup: the EXIT trap of a test with an agent. The sandbox's
# teardown stops the agent first (SANDBOX_CLEANUP) and shows its log on
# failure (SANDBOX_LOGS); kept as a name for the scripts that set it.
agent_cleanup() {
        sandbox_cleanup
}
agent_stop_hook() { agent_stop TERM; }

# agent_log_mark: the agent log's current line count (for agent_log_since).
agent_log_mark() {
        if [[ -f ${AGENT_LOG:-/nonexistent} ]]; then wc -l <"$AGENT_LOG"; else echo 0; fi
}

# agent_log_since MARK: the agent's log lines after MARK.
agent_log_since() {
        tail -n "+$(($1 + 1))" "$AGENT_LOG" 2>/dev/null || true
}

# agent_log_wait MARK PATTERN [SECONDS]: waits until a log line after MARK
# matches the extended regex PATTERN.
agent_log_wait() {
        local mark=$1 pat=$2 secs=${3:-10}
        agent_log_has() { agent_log_since "$mark" | grep -qE -- "$pat"; }
        wait_for "$secs" agent_log_has
}

# agent_publish: publish the store and have the agent take the head now
# (SIGHUP polls at once) rather than at its next poll; waits until it logged
# the head's serial as accepted.
agent_publish() {
        local out serial mark
        out=$("$JITCTL" publish --store "$D/store" --key "$D/keys/signing.key" --iss "$ISS" \
                --trust "$D/host/trust.jwks")
        echo "$out" | sed 's/^/# publish: /'
        serial=$(sed -n 's/^head serial \([0-9]*\):.*/\1/p' <<<"$out")
        [[ -n $serial ]] || die "jitctl publish printed no serial"
        # A store elsewhere (demo/run's private S3 bucket): upload it.
        [[ -z ${AGENT_PUBLISH_HOOK:-} ]] || "$AGENT_PUBLISH_HOOK"
        [[ -n $AGENT_PID ]] || return 0
        mark=$(agent_log_mark)
        kill -HUP "$AGENT_PID"
        agent_log_wait "$mark" "head serial $serial accepted" 30 ||
                die "the agent did not accept head serial $serial"
}

# sys_sudo_nopasswd: real sudo in the sshd namespace for $TEST_USER, every
# command without a password (the agent tests judge pam_jit, not the
# password), with pam_jit in sudo's account and session stacks. Sets PW
# (the user's password) and NS_EXTRA_SETUP (run when sshd's namespace
# starts).
sys_sudo_nopasswd() {
        PW="pw-$RANDOM-$RANDOM"
        cat >"$D/sudoers" <<EOF
Defaults !lecture
Defaults lecture_status_dir=$D/sudo-lectured
Defaults timestampdir=$D/sudo-ts
Defaults !mail_no_user, !mail_badpass, !mail_always
Defaults env_reset
Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
root ALL=(ALL:ALL) ALL
$TEST_USER ALL=(ALL:ALL) NOPASSWD: ALL
EOF
        cat >"$D/pam-sudo" <<EOF
auth     required pam_unix.so
account  required $JIT_PAM_MODULE config=$D/host/jit.conf debug
account  required pam_unix.so
session  required $JIT_PAM_MODULE config=$D/host/jit.conf
session  required pam_unix.so
EOF
        NS_EXTRA_SETUP="
echo '$TEST_USER:$PW' | chpasswd
install -m 0440 -o root -g root $D/sudoers /etc/sudoers
install -m 0644 -o root -g root $D/pam-sudo /etc/pam.d/sudo
visudo -c -q -f /etc/sudoers
"
}

# ---------------------------------------------------------------------------
# Accounts from grants (create_users): nss-systemd reads the agent's records
# in /run/userdb. sys_userdb_ns (before sys_start_sshd…) gives the namespace
# a private tmpfs at /run/userdb and "passwd/group: files systemd", and the
# login stack pam_mkhomedir; agent_in_ns (after sshd started, before
# agent_start) runs the agent in that namespace, so that it writes there and
# looks names up as sshd does. Only the empty mount point /run/userdb is made
# on the machine when it has none, and removed again at exit.
SYS_MADE_USERDB=0
sys_userdb_cleanup() { if ((SYS_MADE_USERDB)); then rmdir /run/userdb 2>/dev/null || true; fi; }
sys_userdb_ns() {
        [[ -e /lib/x86_64-linux-gnu/libnss_systemd.so.2 || -e /usr/lib/x86_64-linux-gnu/libnss_systemd.so.2 ]] ||
                die "libnss_systemd.so.2 not found (install libnss-systemd)"
        if [[ ! -d /run/userdb ]]; then
                mkdir -m 0755 /run/userdb
                SYS_MADE_USERDB=1
        fi
        SANDBOX_CLEANUP+=(sys_userdb_cleanup)
        SYS_MKHOMEDIR=1
        NS_EXTRA_SETUP+="
mount -t tmpfs -o mode=0755 tmpfs /run/userdb
sed -i -E '/^(passwd|group):/d' /etc/nsswitch.conf
printf 'passwd: files systemd\ngroup: files systemd\n' >>/etc/nsswitch.conf
"
}
agent_in_ns() {
        [[ -n $SSHD_PID ]] || die "agent_in_ns: sshd is not running"
        export JIT_FETCH_HELPER=${JIT_FETCH_HELPER:-$(dirname "$JIT_AGENT")/../jit-fetch/jit-fetch}
        printf '#!/bin/bash\nexec nsenter -t %s -m -- %q "$@"\n' "$SSHD_PID" "$JIT_AGENT" >"$D/agent-in-ns"
        chmod 0755 "$D/agent-in-ns"
        JIT_AGENT=$D/agent-in-ns
}
