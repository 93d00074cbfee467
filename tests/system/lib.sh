# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared harness of the system tests: a real sshd on 127.0.0.1 (and real sudo)
# in a private mount namespace whose /etc is an overlay with a throw-away upper
# layer in the test's temp dir (shared/TESTING.md). The machine's own /etc is
# never written: users, PAM stacks and sudoers exist only in the overlay.
#
# Sourced by test-*.sh after `set -euo pipefail`. Paths come from the
# environment (tests/system/meson.build): JIT_PAM_MODULE, JITCTL,
# JIT_HOST_APPLY.
#
# Everything a test starts is ended by PID in sys_cleanup (EXIT trap): the ssh
# clients it put in the background, sshd, and every process left in the test's
# mount namespace (sessions sshd forked), identified by /proc/PID/ns/mnt.

ISS=https://jit.example.com
HOST_ID=pay-db-1
TEST_USER=alice

passed=0
failed=0
BG_PIDS=()
SSHD_PID=
NS_INODE=

sys_log() { echo "# $*"; }

pass() {
        passed=$((passed + 1))
        echo "ok   - $*"
}

fail() {
        failed=$((failed + 1))
        echo "FAIL - $*"
        local f
        for f in "$D/out" "$D/err"; do
                if [[ -s $f ]]; then sed "s|^|       ${f##*/}: |" "$f" | head -20; fi
        done
}

# check DESCRIPTION COMMAND…: pass when COMMAND succeeds.
check() {
        local what=$1
        shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}

die() {
        echo "FAIL - $*" >&2
        exit 1
}

need_exe() {
        [[ -n ${2:-} && -x $2 ]] || die "$1 not found or not executable: '${2:-}'"
}

sys_require() {
        [[ $(id -u) -eq 0 ]] || die "the system tests run as root (CI does)"
        [[ -f ${JIT_PAM_MODULE:-} ]] || die "pam_jit.so not found: '${JIT_PAM_MODULE:-}'"
        need_exe "jitctl (JITCTL)" "${JITCTL:-}"
        need_exe "jit-host-apply (JIT_HOST_APPLY)" "${JIT_HOST_APPLY:-}"
        local p
        for p in /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen /usr/bin/sudo /usr/bin/unshare \
                /usr/bin/nsenter /usr/bin/setpriv /usr/sbin/useradd /usr/sbin/chpasswd; do
                need_exe "$p (install openssh-server, openssh-client, sudo, util-linux, passwd)" "$p"
        done
}

# Paths outside the temp dir are what the module checks too: every ancestor
# of the config must be root-owned and not group/world-writable (a
# root-owned sticky /tmp is fine), so the temp dir is made under /tmp.
sys_init() {
        local name=$1
        T_START=$(date +%s.%N)
        sys_require
        D=$(mktemp -d "/tmp/jit-sys-$name.XXXXXX")
        trap sys_cleanup EXIT
        trap 'exit 130' INT TERM
        # sshd's children and alice's shell must traverse it; nobody may write.
        chmod 0755 "$D"
        umask 022
        mkdir -p "$D/host/state" "$D/host/run" "$D/store/grants" "$D/keys" "$D/home" \
                "$D/authorized_keys" "$D/ov/upper" "$D/ov/work" "$D/client" "$D/share"
        chmod 0755 "$D/host" "$D/host/state" "$D/host/run" "$D/home" "$D/authorized_keys" "$D/share"
        chmod 0700 "$D/keys" "$D/client"

        "$JITCTL" keygen --out "$D/keys/signing" >/dev/null
        install -m 0644 -o root -g root "$D/keys/signing.jwks" "$D/host/trust.jwks"
        sys_write_conf ""
        ssh-keygen -q -t ed25519 -N '' -C "alice@jit-test" -f "$D/client/alice" >/dev/null
        install -m 0644 -o root -g root "$D/client/alice.pub" "$D/authorized_keys/$TEST_USER"
        ssh-keygen -q -t ed25519 -N '' -C "hostkey" -f "$D/hostkey" >/dev/null
        sys_log "temp dir $D"
}

# sys_write_conf EXTRA_LINES: (re)writes the host's jit.conf.
sys_write_conf() {
        {
                echo "# written by tests/system/lib.sh"
                echo "issuers = $ISS"
                echo "trust_store = $D/host/trust.jwks"
                echo "state_dir = $D/host/state"
                echo "run_dir = $D/host/run"
                echo "host_id = $HOST_ID"
                echo "labels = env=prod, role=db"
                if [[ -n $1 ]]; then printf '%s\n' "$1"; fi
        } >"$D/host/jit.conf.tmp"
        chown root:root "$D/host/jit.conf.tmp"
        chmod 0644 "$D/host/jit.conf.tmp"
        mv -f "$D/host/jit.conf.tmp" "$D/host/jit.conf"
}

# grant NAME ARGS…: issue a grant for alice into the store (extra jitctl issue
# options in ARGS, e.g. --scope ssh --ttl 10m --jti ID). Defaults: aud
# env=prod, ticket INC-1, approver bob. Prints nothing; the token is in
# $D/store/grants/NAME.jwt.
grant() {
        local name=$1
        shift
        local aud=(--aud env=prod)
        local a
        for a in "$@"; do
                if [[ $a == --aud ]]; then aud=(); fi
        done
        "$JITCTL" issue --key "$D/keys/signing.key" --iss "$ISS" --sub "$TEST_USER" "${aud[@]}" \
                --ticket INC-1 --approver bob --out "$D/store/grants/$name.jwt" "$@" >/dev/null
}

# publish: sign the store's bundle.  stage: apply it to the host state as the
# agent would.
publish() {
        "$JITCTL" publish --store "$D/store" --key "$D/keys/signing.key" --iss "$ISS" \
                --trust "$D/host/trust.jwks" | sed 's/^/# publish: /'
}

stage() {
        "$JIT_HOST_APPLY" --config "$D/host/jit.conf" "$D/store/bundle.jwt" 2>&1 | sed 's/^/# stage: /'
        return "${PIPESTATUS[0]}"
}

publish_stage() {
        publish
        stage
}

revoke() {
        "$JITCTL" revoke --store "$D/store" "$1" | sed 's/^/# revoke: /'
}

free_port() {
        /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The PAM stacks. $NS_EXTRA_SETUP (shell lines) runs in the namespace after
# the standard setup, before sshd starts (test-sudo uses it).
NS_EXTRA_SETUP=

sys_write_sshd_files() {
        PORT=$(free_port)
        cat >"$D/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $PORT
HostKey $D/hostkey
PidFile $D/sshd.pid
UsePAM yes
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $D/authorized_keys/%u
StrictModes no
UseDNS no
PermitRootLogin no
PrintMotd no
LogLevel VERBOSE
EOF
        # Publickey logins never run the auth stack: pam_deny proves it.
        cat >"$D/pam-sshd-test" <<EOF
auth     required pam_deny.so
account  required $JIT_PAM_MODULE config=$D/host/jit.conf debug
account  required pam_unix.so
session  required pam_loginuid.so
session  required $JIT_PAM_MODULE config=$D/host/jit.conf
session  required pam_unix.so
EOF
        # The PAM service name is the basename of sshd's argv[0].
        ln -sf /usr/sbin/sshd "$D/sshd-test"
        cat >"$D/ns-setup.sh" <<EOF
set -euo pipefail
mount -t overlay overlay -o lowerdir=/etc,upperdir=$D/ov/upper,workdir=$D/ov/work /etc
useradd -m -d $D/home/$TEST_USER -s /bin/bash $TEST_USER
install -m 0644 -o root -g root $D/pam-sshd-test /etc/pam.d/sshd-test
$NS_EXTRA_SETUP
exec $D/sshd-test -D -e -f $D/sshd_config
EOF
}

sys_start_sshd() {
        sys_write_sshd_files
        mkdir -p /run/sshd # sshd's privilege separation folder (TESTING.md)
        unshare -m --propagation private bash "$D/ns-setup.sh" >>"$D/sshd.log" 2>&1 &
        SSHD_PID=$!
        for _ in $(seq 100); do
                if grep -q "Server listening on 127.0.0.1 port $PORT" "$D/sshd.log"; then break; fi
                if ! kill -0 "$SSHD_PID" 2>/dev/null; then
                        cat "$D/sshd.log" >&2
                        die "sshd did not start"
                fi
                sleep 0.05
        done
        grep -q "Server listening" "$D/sshd.log" || die "sshd not listening after 5 s"
        NS_INODE=$(stat -L -c %i "/proc/$SSHD_PID/ns/mnt")
        [[ $NS_INODE != "$(stat -L -c %i /proc/self/ns/mnt)" ]] || die "sshd is not in its own mount namespace"
        sys_log "sshd pid $SSHD_PID on 127.0.0.1:$PORT (PAM service sshd-test)"
}

# in_ns COMMAND…: run in the test's namespace (its /etc overlay).
in_ns() {
        nsenter -t "$SSHD_PID" -m -- "$@"
}

SSH_OPTS=()
ssh_opts() {
        SSH_OPTS=(-F /dev/null -p "$PORT" -i "$D/client/alice" -o BatchMode=yes -o IdentitiesOnly=yes
                -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10)
}

# login CMD: ssh as alice, stdout in $D/out, stderr in $D/err, exit code in $rc.
# The module's messages from the account stage arrive as a banner on stderr.
login() {
        ssh_opts
        rc=0
        # Mark the sshd log so each case can look at its own lines.
        echo "=== login $((++LOGIN_N))" >>"$D/sshd.log"
        timeout 30 ssh "${SSH_OPTS[@]}" "$TEST_USER@127.0.0.1" "$@" >"$D/out" 2>"$D/err" </dev/null || rc=$?
}
LOGIN_N=0

# login_tty CMD: the same with a terminal (ssh -tt); stdout and stderr merged
# into $D/out, \r removed.
login_tty() {
        ssh_opts
        rc=0
        echo "=== login $((++LOGIN_N))" >>"$D/sshd.log"
        timeout 60 ssh -tt "${SSH_OPTS[@]}" "$TEST_USER@127.0.0.1" "$@" >"$D/out.raw" 2>"$D/err" </dev/null || rc=$?
        tr -d '\r' <"$D/out.raw" >"$D/out"
}

# held_start REMOTE_CMD: a login (with a terminal, ssh -tt) kept open in the
# background until held_release; returns once the remote side printed READY.
# The remote command should end with held_wait_cmd. Output in $D/held.out.
HELD_PID=
held_wait_cmd() {
        echo "echo READY; while [ ! -e $D/share/release ]; do sleep 0.1; done; echo BYE"
}

held_start() {
        # held.out too: a poll before ssh creates held.raw must not read the
        # previous login's READY.
        rm -f "$D/share/release" "$D/held.raw" "$D/held.out"
        ssh_opts
        echo "=== login $((++LOGIN_N))" >>"$D/sshd.log"
        ssh -tt "${SSH_OPTS[@]}" "$TEST_USER@127.0.0.1" "$@" >"$D/held.raw" 2>"$D/held.err" </dev/null &
        HELD_PID=$!
        BG_PIDS+=("$HELD_PID")
        for _ in $(seq 300); do
                tr -d '\r' <"$D/held.raw" >"$D/held.out"
                grep -qx READY "$D/held.out" && return 0
                kill -0 "$HELD_PID" 2>/dev/null || break
                sleep 0.1
        done
        tr -d '\r' <"$D/held.raw" >"$D/held.out"
        return 1
}

# held_wait_for LINE: waits (up to 30 s) until the held login printed LINE.
held_wait_for() {
        for _ in $(seq 300); do
                tr -d '\r' <"$D/held.raw" >"$D/held.out"
                grep -qx -- "$1" "$D/held.out" && return 0
                kill -0 "$HELD_PID" 2>/dev/null || break
                sleep 0.1
        done
        tr -d '\r' <"$D/held.raw" >"$D/held.out"
        grep -qx -- "$1" "$D/held.out"
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
        # sshd writes the log line as it drops the connection; give it a moment.
        for _ in $(seq 40); do
                sshd_log_has "Access denied for user $TEST_USER by PAM account configuration" && break
                sleep 0.05
        done
        if sshd_log_has "Access denied for user $TEST_USER by PAM account configuration"; then
                pass "$what: sshd logs 'Access denied … by PAM account configuration'"
        else
                fail "$what: sshd logs 'Access denied … by PAM account configuration'"
                last_sshd_log | sed 's/^/       sshd: /' | tail -15
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
                last_sshd_log | sed 's/^/       sshd: /' | tail -15
        fi
}

# Every process in the test's mount namespace (sshd and what it forked).
ns_pids() {
        [[ -n $NS_INODE ]] || return 0
        local p
        for p in /proc/[0-9]*; do
                p=${p#/proc/}
                [[ $(stat -L -c %i "/proc/$p/ns/mnt" 2>/dev/null) == "$NS_INODE" ]] && echo "$p"
        done
        return 0
}

sys_cleanup() {
        local rc=$?
        set +e
        local p
        for p in "${BG_PIDS[@]}"; do
                kill "$p" 2>/dev/null
        done
        for p in "${BG_PIDS[@]}"; do
                wait "$p" 2>/dev/null
        done
        # Let sessions that are closing finish while the listener still reaps
        # them, then end what is left in the namespace, the listener last.
        local left=()
        for _ in $(seq 30); do
                mapfile -t left < <(ns_pids | grep -vx "${SSHD_PID:-x}")
                [[ ${#left[@]} -eq 0 ]] && break
                sleep 0.1
        done
        if [[ ${#left[@]} -gt 0 ]]; then
                kill "${left[@]}" 2>/dev/null
                sleep 0.2
        fi
        if [[ -n $SSHD_PID ]]; then
                kill "$SSHD_PID" 2>/dev/null
                wait "$SSHD_PID" 2>/dev/null
        fi
        mapfile -t left < <(ns_pids)
        if [[ ${#left[@]} -gt 0 ]]; then
                kill "${left[@]}" 2>/dev/null
                sleep 0.2
                mapfile -t left < <(ns_pids)
                if [[ ${#left[@]} -gt 0 ]]; then kill -KILL "${left[@]}" 2>/dev/null; fi
        fi
        if [[ -n ${D:-} && -d $D ]]; then
                if [[ $rc -ne 0 && -f $D/sshd.log ]]; then
                        echo "# --- sshd log (last 40 lines)"
                        tail -40 "$D/sshd.log" | sed 's/^/# /'
                fi
                if [[ -n ${KEEP_TMP:-} ]]; then echo "# kept $D"; else rm -rf "$D"; fi
        fi
        exit "$rc"
}

# sys_finish: the closing line, the time taken, and the exit code.
sys_finish() {
        local t_end
        t_end=$(date +%s.%N)
        awk -v a="$T_START" -v b="$t_end" -v n="${0##*/}" 'BEGIN { printf "# %s took %.1f s\n", n, b - a }'
        echo "$passed passed, $failed failed"
        [[ $failed -eq 0 ]]
}

# ---------------------------------------------------------------------------
# The real jit-agent next to the sandboxed sshd (test-agent-sshd.sh, demo/run).
# The agent runs on the host side (it shares the pid namespace with sshd's
# sessions, so it sees their /proc/PID/sessionid), with the store as
# file://$D/store/bundle.jwt; sshd takes alice's keys from the agent's
# run_dir/keys/%u, so a login needs the agent for real. Path: $JIT_AGENT.

AGENT_PID=
AGENT_LOG=

# sys_start_sshd_agent_keys: sys_start_sshd, with AuthorizedKeysFile at the
# agent's key files ($D/host/run/keys/%u) instead of $D/authorized_keys.
sys_start_sshd_agent_keys() {
        sys_write_sshd_files
        sed -i "s|^AuthorizedKeysFile .*|AuthorizedKeysFile $D/host/run/keys/%u|" "$D/sshd_config"
        grep -qx "AuthorizedKeysFile $D/host/run/keys/%u" "$D/sshd_config" ||
                die "cannot point sshd at the agent's key files"
        mkdir -p /run/sshd
        unshare -m --propagation private bash "$D/ns-setup.sh" >>"$D/sshd.log" 2>&1 &
        SSHD_PID=$!
        for _ in $(seq 100); do
                if grep -q "Server listening on 127.0.0.1 port $PORT" "$D/sshd.log"; then break; fi
                if ! kill -0 "$SSHD_PID" 2>/dev/null; then
                        cat "$D/sshd.log" >&2
                        die "sshd did not start"
                fi
                sleep 0.05
        done
        grep -q "Server listening" "$D/sshd.log" || die "sshd not listening after 5 s"
        NS_INODE=$(stat -L -c %i "/proc/$SSHD_PID/ns/mnt")
        [[ $NS_INODE != "$(stat -L -c %i /proc/self/ns/mnt)" ]] || die "sshd is not in its own mount namespace"
        sys_log "sshd pid $SSHD_PID on 127.0.0.1:$PORT (PAM service sshd-test, keys from the agent)"
}

# agent_write_conf EXTRA_LINES: jit.conf for pam_jit and the agent together.
agent_write_conf() {
        sys_write_conf "bundle_url = file://$D/store/bundle.jwt
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
        need_exe "jit-agent (JIT_AGENT)" "${JIT_AGENT:-}"
        # The fetch helper: meson passes it; in a build tree it is
        # jit-fetch/jit-fetch beside jit-agent/jit-agent.
        export JIT_FETCH_HELPER=${JIT_FETCH_HELPER:-$(dirname "$JIT_AGENT")/../jit-fetch/jit-fetch}
        AGENT_LOG=$D/agent.log
        local n
        touch "$AGENT_LOG"
        n=$(agent_started_count)
        AGENT_T_START=$EPOCHREALTIME
        "$JIT_AGENT" --config "$D/host/jit.conf" 2>>"$AGENT_LOG" </dev/null &
        AGENT_PID=$!
        for _ in $(seq 200); do
                (($(agent_started_count) > n)) && break
                if ! kill -0 "$AGENT_PID" 2>/dev/null; then
                        tail -20 "$AGENT_LOG" >&2
                        AGENT_PID=
                        die "jit-agent did not start"
                fi
                sleep 0.02
        done
        (($(agent_started_count) > n)) || die "jit-agent did not log 'started' in 4 s"
        sys_log "jit-agent pid $AGENT_PID"
}

# agent_stop [SIGNAL]: ends the agent (default SIGTERM) and reaps it.
agent_stop() {
        [[ -n $AGENT_PID ]] || return 0
        kill "-${1:-TERM}" "$AGENT_PID" 2>/dev/null || true
        wait "$AGENT_PID" 2>/dev/null || true
        AGENT_PID=
}

# agent_cleanup: the EXIT trap of a test with an agent: the agent first (by
# PID), its log on failure, then sys_cleanup with the script's exit status.
agent_cleanup() {
        local rc=$?
        set +e
        agent_stop TERM
        if [[ $rc -ne 0 && -n ${AGENT_LOG:-} && -f $AGENT_LOG ]]; then
                echo "# --- jit-agent log (last 40 lines)"
                tail -40 "$AGENT_LOG" | sed 's/^/# /'
        fi
        (exit "$rc")
        sys_cleanup
}

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
        local mark=$1 pat=$2 secs=${3:-10} i
        for ((i = 0; i < secs * 50; i++)); do
                agent_log_since "$mark" | grep -qE -- "$pat" && return 0
                sleep 0.02
        done
        agent_log_since "$mark" | grep -qE -- "$pat"
}

# agent_publish: publish the store and have the agent take the bundle now
# (SIGHUP polls at once) rather than at its next poll; waits until it logged
# the bundle's serial as accepted.
agent_publish() {
        local out serial mark
        out=$("$JITCTL" publish --store "$D/store" --key "$D/keys/signing.key" --iss "$ISS" \
                --trust "$D/host/trust.jwks")
        echo "$out" | sed 's/^/# publish: /'
        serial=$(sed -n 's/^bundle serial \([0-9]*\):.*/\1/p' <<<"$out")
        [[ -n $serial ]] || die "jitctl publish printed no serial"
        [[ -n $AGENT_PID ]] || return 0
        mark=$(agent_log_mark)
        kill -HUP "$AGENT_PID"
        agent_log_wait "$mark" "bundle serial $serial accepted" 10 ||
                die "the agent did not accept bundle serial $serial"
}

# proc_alive PID: the process exists and is not a zombie.
proc_alive() {
        local st
        st=$(sed -n 's/.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
        [[ -n $st && $st != Z && $st != X && $st != x ]]
}

# wait_dead PID SECONDS: waits until PID is gone (or a zombie); the moment
# it was first seen gone in $T_DEAD (epoch seconds, µs).
wait_dead() {
        local pid=$1 secs=$2 i
        T_DEAD=
        for ((i = 0; i < secs * 100; i++)); do
                if ! proc_alive "$pid"; then
                        T_DEAD=$EPOCHREALTIME
                        return 0
                fi
                sleep 0.01
        done
        return 1
}

# secs_between A B: B − A in seconds, 3 decimals.
secs_between() {
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'
}

# le A B: A ≤ B (decimals).
le() {
        awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'
}

# wait_until_epoch T: sleeps until the wall clock reaches T (seconds).
wait_until_epoch() {
        local d
        d=$(awk -v t="$1" -v n="$EPOCHREALTIME" 'BEGIN { d = t - n; printf "%.3f", (d > 0 ? d : 0) }')
        sleep "$d"
}
