# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# A real sshd on 127.0.0.1 for tests and benchmarks, the machine's /etc
# untouched (docs/testing.md): sshd runs in a private mount namespace whose
# /etc is an overlay with a throw-away upper layer in the test's temp folder;
# the test users, the PAM stacks (and whatever SANDBOX_NS_SETUP adds, e.g.
# sudoers) exist only there. Sourced, after tap.sh and wait.sh:
#
#   sandbox_init NAME            temp folder $D (under /tmp), keys, EXIT trap
#   sandbox_add_user USER        a user in the namespace, logging in with $D/client/alice
#   $D/pam.d/SERVICE             the stacks the namespace's /etc/pam.d gets
#                                (copied with cp -P: a symlink stays one)
#   SANDBOX_SSHD_EXTRA           more sshd_config lines
#   SANDBOX_NS_SETUP             shell lines run in the namespace before sshd
#   sandbox_start_sshd           sshd (PAM service $SANDBOX_SERVICE) on a free
#                                port; SSHD_PID, PORT, NS_INODE, SSH_OPTS set
#   in_ns CMD…                   CMD inside the namespace
#   sandbox_ssh USER CMD…        one login; stdout $D/out, stderr $D/err, $rc
#   BG_PIDS+=(PID)               background processes ended at exit
#   SANDBOX_CLEANUP+=(FUNC)      functions run first at exit (newest first)
#   SANDBOX_LOGS+=(FILE)         files whose tail is shown when the test fails
#
# Teardown is by PID only: the recorded background PIDs, sshd, and every
# process left in the test's mount namespace (identified by
# /proc/PID/ns/mnt), never by name.

SANDBOX_SERVICE=${SANDBOX_SERVICE:-sshd-test}
SANDBOX_SSHD_EXTRA=
SANDBOX_NS_SETUP=
SANDBOX_USERS=()
SANDBOX_CLEANUP=()
SANDBOX_LOGS=()
BG_PIDS=()
SSHD_PID=
NS_INODE=
PORT=
SSH_OPTS=()

# sandbox_require: root and the programs the sandbox drives.
sandbox_require() {
        require_root
        local p
        for p in /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen /usr/bin/unshare /usr/bin/nsenter \
                /usr/sbin/useradd; do
                require_exe "$p (install openssh-server, openssh-client, util-linux, passwd)" "$p"
        done
}

# sandbox_init NAME: $D = /tmp/jit-NAME.XXXXXX (0755: sshd's children and the
# users' shells traverse it, nobody else writes; paths the module checks must
# have root-owned ancestors, and /tmp is a root-owned sticky folder), a host
# key, the client key $D/client/alice, and the EXIT trap.
sandbox_init() {
        sandbox_require
        D=$(mktemp -d "/tmp/jit-$1.XXXXXX")
        trap sandbox_cleanup EXIT
        trap 'exit 130' INT TERM
        chmod 0755 "$D"
        umask 022
        mkdir -p "$D/home" "$D/authorized_keys" "$D/ov/upper" "$D/ov/work" "$D/client" "$D/share" \
                "$D/pam.d"
        chmod 0755 "$D/home" "$D/authorized_keys" "$D/share" "$D/pam.d"
        chmod 0700 "$D/client"
        ssh-keygen -q -t ed25519 -N '' -C "alice@jit-test" -f "$D/client/alice" >/dev/null
        ssh-keygen -q -t ed25519 -N '' -C "hostkey" -f "$D/hostkey" >/dev/null
        SANDBOX_LOGS+=("$D/sshd.log")
}

# sandbox_add_user USER: created in the namespace at start, with the client
# key as its authorized key.
sandbox_add_user() {
        SANDBOX_USERS+=("$1")
        install -m 0644 -o root -g root "$D/client/alice.pub" "$D/authorized_keys/$1"
}

sandbox_write_files() {
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
        # Later lines do not override earlier ones in sshd_config: extra
        # lines replace a default of the same keyword.
        local line key
        while IFS= read -r line; do
                [[ -n $line ]] || continue
                key=${line%% *}
                sed -i "/^$key /d" "$D/sshd_config"
                echo "$line" >>"$D/sshd_config"
        done <<<"$SANDBOX_SSHD_EXTRA"
        # The PAM service name is the basename of sshd's argv[0].
        ln -sf /usr/sbin/sshd "$D/$SANDBOX_SERVICE"
        {
                echo "set -euo pipefail"
                echo "mount -t overlay overlay -o lowerdir=/etc,upperdir=$D/ov/upper,workdir=$D/ov/work /etc"
                local u
                for u in "${SANDBOX_USERS[@]}"; do
                        echo "useradd -m -d $D/home/$u -s /bin/bash $u"
                done
                echo "if compgen -G '$D/pam.d/*' >/dev/null; then cp -P $D/pam.d/* /etc/pam.d/; fi"
                echo "$SANDBOX_NS_SETUP"
                echo "exec $D/$SANDBOX_SERVICE -D -e -f $D/sshd_config"
        } >"$D/ns-setup.sh"
}

# sandbox_start_sshd: starts sshd in its namespace and waits (up to 30 s: a
# loaded machine is slow to fork and exec) until it listens.
sandbox_start_sshd() {
        sandbox_write_files
        mkdir -p /run/sshd # sshd's privilege separation folder
        unshare -m --propagation private bash "$D/ns-setup.sh" >>"$D/sshd.log" 2>&1 &
        SSHD_PID=$!
        sandbox_listening() {
                grep -q "Server listening on 127.0.0.1 port $PORT" "$D/sshd.log" && return 0
                kill -0 "$SSHD_PID" 2>/dev/null || {
                        cat "$D/sshd.log" >&2
                        die "sshd did not start"
                }
                return 1
        }
        wait_for 30 sandbox_listening || die "sshd not listening after 30 s"
        NS_INODE=$(stat -L -c %i "/proc/$SSHD_PID/ns/mnt")
        [[ $NS_INODE != "$(stat -L -c %i /proc/self/ns/mnt)" ]] || die "sshd is not in its own mount namespace"
        SSH_OPTS=(-F /dev/null -p "$PORT" -i "$D/client/alice" -o BatchMode=yes -o IdentitiesOnly=yes
                -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=30)
        note "sshd pid $SSHD_PID on 127.0.0.1:$PORT (PAM service $SANDBOX_SERVICE)"
}

# in_ns COMMAND…: run in the test's namespace (its /etc overlay).
in_ns() {
        nsenter -t "$SSHD_PID" -m -- "$@"
}

# sandbox_ssh USER CMD…: one login; stdout in $D/out, stderr in $D/err, the
# client's exit code in $rc.
sandbox_ssh() {
        local user=$1
        shift
        rc=0
        timeout 60 ssh "${SSH_OPTS[@]}" "$user@127.0.0.1" "$@" >"$D/out" 2>"$D/err" </dev/null || rc=$?
}

# Every process in the test's mount namespace (sshd and what it forked).
sandbox_ns_pids() {
        [[ -n $NS_INODE ]] || return 0
        local p
        for p in /proc/[0-9]*; do
                p=${p#/proc/}
                [[ $(stat -L -c %i "/proc/$p/ns/mnt" 2>/dev/null) == "$NS_INODE" ]] && echo "$p"
        done
        return 0
}

sandbox_cleanup() {
        local rc=$?
        set +e
        local i p
        for ((i = ${#SANDBOX_CLEANUP[@]} - 1; i >= 0; i--)); do
                (exit "$rc")
                "${SANDBOX_CLEANUP[$i]}"
        done
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
                mapfile -t left < <(sandbox_ns_pids | grep -vx "${SSHD_PID:-x}")
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
        mapfile -t left < <(sandbox_ns_pids)
        if [[ ${#left[@]} -gt 0 ]]; then
                kill "${left[@]}" 2>/dev/null
                sleep 0.2
                mapfile -t left < <(sandbox_ns_pids)
                if [[ ${#left[@]} -gt 0 ]]; then kill -KILL "${left[@]}" 2>/dev/null; fi
        fi
        if [[ -n ${D:-} && -d $D ]]; then
                if [[ $rc -ne 0 ]]; then
                        local f
                        for f in "${SANDBOX_LOGS[@]}"; do
                                [[ -s $f ]] || continue
                                echo "# --- ${f#"$D"/} (last 40 lines)"
                                tail -40 "$f" | sed 's/^/# /'
                        done
                fi
                if [[ -n ${KEEP_TMP:-} ]]; then echo "# kept $D"; else rm -rf "$D"; fi
        fi
        exit "$rc"
}
