#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# create_users under a real systemd: a Debian 12 guest (tests/lib/nspawn.sh)
# with systemd-userdbd running, nss-systemd in its nsswitch.conf, the
# shipped unit systemd/jit-agent.service (its confinement, with
# ReadWritePaths=-/run/userdb) and tmpfiles, and sshd's PAM stack wired by
# the real `jitctl pam enable` (pam_mkhomedir added by create_users).
# Checked:
#   - systemd-analyze security: the unit's exposure stays at most 2.0;
#   - nina exists nowhere; her grant → getent and userdbctl (userdbd)
#     resolve her; the journal has the "account created" entry with its
#     MESSAGE_ID and JIT_USER, JIT_RESULT=created;
#   - she logs in through sshd with the key from her grant, her home is
#     made by pam_mkhomedir;
#   - her grant expires → the session is ended, the record goes, getent
#     fails, the journal has "account removed", a new login is refused;
#   - her second grant gives her the same uid.
#
# Usage: test-users.sh PAM_JIT_SO JIT_AGENT JITCTL UNIT TMPFILES (as root)
# Environment as tests/logind/test-logind.sh (JIT_LOGIND_CACHE, …).
set -euo pipefail

UNIT=${4:-}
TMPFILES=${5:-}

NEW=nina
TTL=${JIT_USERS_TTL:-30}
SRC_DIR=$(dirname "$(realpath "$0")")
# shellcheck source=tests/logind/lib.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
SSH_PID=
CLEANUP_PIDS=(SSH_PID)
GUEST_UNITS=(jit-agent ssh systemd-userdbd)

logind_programs "$@"
[[ -f $UNIT && -f $TMPFILES ]] || die "the unit and tmpfiles.d file not found: '$UNIT' '$TMPFILES'"
guest_require "$JIT_AGENT" "install debootstrap, systemd-container, openssh-client, python3, util-linux" \
        /usr/bin/ssh-keygen /usr/bin/python3 /usr/bin/flock

guest_tmp jit-users
rootfs_make "$R"
log "root file system: $ROOTFS_HOW"

# ---- the guest: module, agent, the shipped unit, config ---------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
guest_install_jit "$PAM_JIT_SO" "$JIT_AGENT"
guest_unit "$UNIT"
install -m 0644 "$TMPFILES" "$R/usr/lib/tmpfiles.d/jit.conf"

guest_trust
{
        grep -v '^kill_grace' "$SRC_DIR/jit.conf"
        echo "kill_grace = 1s"
        echo "create_users = yes"
        echo "user_uid_range = 59500-59599"
        echo "exempt_users = root" # jitctl pam enable wants a break-glass path
} >"$R/etc/jit/jit.conf"
chmod 0644 "$R/etc/jit/jit.conf"

grep -Eq '^passwd:.*\bsystemd\b' "$R/etc/nsswitch.conf" ||
        die "the guest's nsswitch.conf has no 'passwd: … systemd' (libnss-systemd not installed?)"
check "the guest resolves names through nss-systemd ($(grep '^passwd:' "$R/etc/nsswitch.conf" | tr -s ' '))" true

# sshd and its PAM stack as an administrator would wire them: jitctl pam
# enable (pam_jit, the AuthorizedKeysFile drop-in, pam_mkhomedir).
cat >"$R/etc/ssh/sshd_config.d/00-jit-test.conf" <<EOF
ListenAddress 127.0.0.1:$PORT
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
LogLevel VERBOSE
EOF
"$JITCTL" pam enable --root "$R" --force sshd >"$D/enable.out" 2>&1 || {
        sed 's/^/#   /' "$D/enable.out"
        die "jitctl pam enable failed on the guest's tree"
}
grep -v '^#' "$R/etc/pam.d/sshd" | grep -v '^$' | sed 's/^/#   sshd stack: /'
check "jitctl pam enable put pam_mkhomedir.so after pam_jit.so" \
        awk '/^session.*pam_jit.so/ { j = NR } /^session.*pam_mkhomedir.so/ { m = NR } END { exit !(j && m && j < m) }' "$R/etc/pam.d/sshd"

publish
ssh-keygen -q -t ed25519 -N '' -C "$NEW@jit-users" -f "$D/client/$NEW"

# ---- boot -------------------------------------------------------------------
guest_boot jitusers "$PORT"
state=$(guest_unit_wait jit-agent)
check "jit-agent.service (the shipped unit) is active (got '$state')" test "$state" = active
[[ $state == active ]] || die "jit-agent is not running"
guest systemctl start systemd-userdbd.socket systemd-userdbd.service >/dev/null 2>&1 || true
ud=$(guest systemctl is-active systemd-userdbd.service 2>/dev/null || true)
check "systemd-userdbd runs in the guest (got '$ud')" test "$ud" = active

# The unit's exposure, as systemd-analyze computes it for the running unit.
guest systemd-analyze security --no-pager jit-agent.service >"$D/security.txt" 2>&1 || true
expo=$(sed -n 's/.*Overall exposure level for jit-agent.service: \([0-9.]*\).*/\1/p' "$D/security.txt")
check "systemd-analyze security: exposure $expo, at most 2.0 as before create_users" \
        awk -v e="$expo" 'BEGIN { exit !(e != "" && e + 0 <= 2.0) }'
check "the unit may write /run/userdb and it exists (tmpfiles)" \
        sh -c "nsenter -t $GUEST_PID -m -- test -d /run/userdb && nsenter -t $GUEST_PID -m -u -i -n -p -- systemctl show -P ReadWritePaths jit-agent | grep -q /run/userdb"

# ---- a grant for someone who exists nowhere ---------------------------------
issue() {
        mint "$NEW" "$1" --scope ssh --ssh-key-file "$D/client/$NEW.pub" --ttl "$2s" \
                --ticket INC-USERS --jti "$1"
        exp=$(claim "$D/share/store/grants/$1.jwt" exp)
}
if guest getent passwd $NEW >/dev/null 2>&1; then die "$NEW exists in the guest before her grant"; fi
pass "before her grant, $NEW does not resolve in the guest"

issue u1 "$TTL"
publish
guest systemctl kill --kill-who=main -s HUP jit-agent
resolved=0
for _ in $(seq 200); do
        if guest getent passwd $NEW >"$D/pw" 2>/dev/null; then
                resolved=1
                break
        fi
        sleep 0.1
done
check "getent passwd $NEW resolves after her grant ($(cat "$D/pw"))" test $resolved = 1
uid=$(cut -d: -f3 "$D/pw")
check "her uid is from user_uid_range ($uid)" test "${uid:-0}" -ge 59500 -a "${uid:-0}" -le 59599
check "systemd-userdbd serves her record (userdbctl user $NEW)" sh -c "nsenter -t $GUEST_PID -m -u -i -n -p -- userdbctl user $NEW >/dev/null"
check "userdbctl names the record's service" sh -c "nsenter -t $GUEST_PID -m -u -i -n -p -- userdbctl user $NEW | grep -q 'io.github.jit-access'"
guest_journal -o export MESSAGE_ID=6b3e0f4d8c2a4e1b9f7d5c3a1e8b6d40 >"$D/created.journal"
check "the journal has 'account created' (MESSAGE_ID=6b3e0f4d…, JIT_USER=$NEW, JIT_RESULT=created)" \
        sh -c "grep -qx 'JIT_USER=$NEW' $D/created.journal && grep -qx 'JIT_RESULT=created' $D/created.journal"

# ---- her login --------------------------------------------------------------
SSH_OPTS=(-F /dev/null -p "$PORT" -i "$D/client/$NEW" -o BatchMode=yes -o IdentitiesOnly=yes
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10)
# shellcheck disable=SC2016 # expanded by the remote shell
ssh "${SSH_OPTS[@]}" "$NEW@127.0.0.1" 'echo "ME=$(id -un) HOME=$(pwd) OWN=$(stat -c %u .)"; exec sleep 600' \
        >"$D/ssh.out" 2>"$D/ssh.err" </dev/null &
SSH_PID=$!
wait_output "$D/ssh.out" '^ME=' "$SSH_PID" || true
line=$(grep '^ME=' "$D/ssh.out" || true)
check "$NEW logs in with the key from her grant ($line)" test "${line%% *}" = "ME=$NEW"
check "her home /home/$NEW was made at login (pam_mkhomedir), hers" test "$line" = "ME=$NEW HOME=/home/$NEW OWN=$uid"

# ---- the end of her grant ----------------------------------------------------
ended=0
for _ in $(seq $((TTL * 10 + 150))); do
        if ! kill -0 "$SSH_PID" 2>/dev/null; then
                ended=1
                break
        fi
        sleep 0.1
done
T_END=$(date +%s.%N)
rc=0
wait "$SSH_PID" || rc=$?
SSH_PID=
check "her session is ended at the grant's end (ssh exits 255, got $rc)" test $ended = 1 -a $rc = 255
gone=0
for _ in $(seq 50); do
        if ! guest getent passwd $NEW >/dev/null 2>&1; then
                gone=1
                break
        fi
        sleep 0.1
done
T_GONE=$(date +%s.%N)
check "getent passwd $NEW fails ($(awk -v a="$exp" -v b="$T_GONE" 'BEGIN { printf "%.1f", b - a }') s after exp)" test $gone = 1
check "userdbctl no longer knows her" sh -c "! nsenter -t $GUEST_PID -m -u -i -n -p -- userdbctl user $NEW >/dev/null 2>&1"
guest_journal -o export MESSAGE_ID=c8d2a6e4f0b84c1a9e3d7b5f2a6c8e41 >"$D/removed.journal"
check "the journal has 'account removed' (MESSAGE_ID=c8d2a6e4…, JIT_USER=$NEW, JIT_RESULT=removed)" \
        sh -c "grep -qx 'JIT_USER=$NEW' $D/removed.journal && grep -qx 'JIT_RESULT=removed' $D/removed.journal"
rc=0
timeout 30 ssh "${SSH_OPTS[@]}" "$NEW@127.0.0.1" true >/dev/null 2>&1 </dev/null || rc=$?
check "a new login of $NEW is refused (ssh exits $rc)" test $rc = 255

# ---- her second grant: the same uid -----------------------------------------
issue u2 600
publish
guest systemctl kill --kill-who=main -s HUP jit-agent
for _ in $(seq 200); do
        guest getent passwd $NEW >"$D/pw2" 2>/dev/null && break
        sleep 0.1
done
check "her second grant gives her uid $uid again ($(cat "$D/pw2"))" test "$(cut -d: -f3 "$D/pw2")" = "$uid"

summary
