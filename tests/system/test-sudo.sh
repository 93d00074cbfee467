#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# pam_jit.so under real sudo, run from real ssh sessions (sshd on 127.0.0.1)
# in a private mount namespace; /etc/pam.d/sudo and /etc/sudoers are test
# files in the /etc overlay. sudo needs a valid sudo grant whose runas lists
# the target, and must be called from a login session pam_jit recorded; the
# account stack runs on every call, so an expired grant stops the very next
# sudo although sudo's own timestamp is still warm.
#
# Environment: JIT_PAM_MODULE, JITCTL, JIT_HOST_APPLY (tests/system/meson.build).
set -euo pipefail
. "$(dirname "$(realpath "$0")")/lib.sh"

sys_init sudo
sys_write_conf "clock_skew = 0"

PW="pw-$RANDOM-$RANDOM"
MSG_SESSION="jit: sudo is allowed only from a login session admitted by jit-access"

# sudo: a password (pam_unix) unless the timestamp is warm; /usr/bin/id
# without one, so account is reached without any authentication (sudo runs
# account on NOPASSWD commands too). Timestamps and lecture files live in the
# temp dir, not in the machine's /run or /var.
cat >"$D/sudoers" <<EOF
Defaults !lecture
Defaults lecture_status_dir=$D/sudo-lectured
Defaults timestampdir=$D/sudo-ts
Defaults timestamp_timeout=5
Defaults !mail_no_user, !mail_badpass, !mail_always
Defaults env_reset
Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
root ALL=(ALL:ALL) ALL
$TEST_USER ALL=(ALL:ALL) ALL
$TEST_USER ALL=(ALL:ALL) NOPASSWD: /usr/bin/id
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
id postgres >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin postgres
install -m 0440 -o root -g root $D/sudoers /etc/sudoers
install -m 0644 -o root -g root $D/pam-sudo /etc/pam.d/sudo
visudo -c -q -f /etc/sudoers
echo original >/etc/jit-sudoedit-test
chmod 0644 /etc/jit-sudoedit-test
"
sys_start_sshd

# remote NAME: a script alice runs over ssh (bash $D/share/NAME.sh).
remote() {
        cat >"$D/share/$1.sh"
        chmod 0644 "$D/share/$1.sh"
}

# has TEXT / lacks TEXT in $1
has() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }

grant login --jti g-login --scope ssh --ttl 10m

echo "## 1. an ssh grant but no sudo grant"
publish_stage
remote nosudo <<'EOF'
out=$(sudo -n /usr/bin/id -u 2>&1); echo "rc=$?"; echo "$out"
EOF
login_tty "bash $D/share/nosudo.sh"
check "the login is admitted (ssh grant)" test "$rc" -eq 0
check "sudo fails without a sudo grant" has "$D/out" "rc=1"
check "the user is told 'jit: no sudo grant for $TEST_USER on this host'" \
        has "$D/out" "jit: no sudo grant for $TEST_USER on this host"
check "sudo reports the account stack's refusal" has "$D/out" "PAM account management error"

echo "## 1b. a valid ssh-only grant and a revoked ssh+sudo grant: the refusal says 'no sudo grant'"
grant both --jti g-both --scope ssh,sudo --ttl 10m
revoke g-both
publish_stage
login_tty "bash $D/share/nosudo.sh"
sed 's/^/#   remote: /' "$D/out"
check "1b. the login is admitted (the ssh-only grant)" test "$rc" -eq 0
check "1b. sudo fails" has "$D/out" "rc=1"
check "1b. the user is told 'no sudo grant', naming the revoked one" \
        has "$D/out" "jit: no sudo grant for $TEST_USER on this host (sudo grant g-both was revoked)"
check "1b. not 'your access grant … was revoked' (the login grant is fine)" \
        lacks "$D/out" "jit: your access grant g-both was revoked"
rm -f "$D/store/grants/both.jwt"

echo "## 2. a sudo grant (runas root): allowed to root, refused to postgres; the elevation is recorded"
grant sudo --jti g-sudo --scope sudo --ttl 10m
publish_stage
remote allowed <<EOF
out=\$(echo '$PW' | sudo -S -p '' /usr/bin/true 2>&1); echo "pw-rc=\$?"; echo "\$out"
echo "root-uid=\$(sudo -n /usr/bin/id -u 2>&1)"
echo "grant-env=\$(sudo -n /usr/bin/env 2>&1 | grep '^JIT_GRANT_ID=')"
out=\$(sudo -n -u postgres /usr/bin/id -u 2>&1); echo "postgres-rc=\$?"; echo "\$out"
echo SID=\$(cat /proc/self/sessionid)
echo READY
while [ ! -e $D/share/step2 ]; do sleep 0.1; done
out=\$(sudo -n /usr/bin/id -u 2>&1); echo "norecord-rc=\$?"; echo "\$out"
echo STEP2-DONE
EOF
rm -f "$D/share/step2"
if held_start "bash $D/share/allowed.sh; $(held_wait_cmd)"; then
        pass "the login is admitted (ssh grant)"
else
        fail "the login is admitted (ssh grant)"
        cat "$D/held.out" "$D/held.err"
fi
sed 's/^/#   remote: /' "$D/held.out"
check "sudo with the password works (pw-rc=0)" has "$D/held.out" "pw-rc=0"
check "sudo -n id -u prints 0 (a sudo grant for root)" grep -qx "root-uid=0" "$D/held.out"
check "the command's environment has JIT_GRANT_ID=g-sudo" grep -qx "grant-env=JIT_GRANT_ID=g-sudo" "$D/held.out"
check "sudo -u postgres fails (not in the grant's runas)" has "$D/held.out" "postgres-rc=1"
check "the user is told 'jit: your access grant does not allow sudo to postgres'" \
        has "$D/held.out" "jit: your access grant does not allow sudo to postgres"
check "the command as postgres did not run" test -z "$(grep -x "$(in_ns id -u postgres)" "$D/held.out")"
sid=$(sed -n 's/^SID=//p' "$D/held.out")
rec="$D/host/run/sessions/$sid"
if [[ -n $sid && -f $rec ]]; then
        sed 's/^/#   record: /' "$rec"
        check "the session record lists the elevation 'root g-sudo'" grep -q "root g-sudo" "$rec"
        check "the session record lists no elevation to postgres" lacks "$rec" "postgres"
else
        fail "the session record run_dir/sessions/$sid exists"
fi

echo "## 3. the same valid grant, but sudo from outside any recorded login session"
# Run as alice (real uid) in the test namespace, without ssh: this process's
# audit session id is not a recorded one (here: not set at all).
rc=0
in_ns setpriv --reuid "$TEST_USER" --regid "$TEST_USER" --init-groups \
        env -i PATH=/usr/bin:/bin /usr/bin/sudo -n /usr/bin/id -u >"$D/out" 2>"$D/err" || rc=$?
echo "#   sessionid of that caller: $(cat /proc/self/sessionid)"
check "sudo fails outside a recorded session (exit $rc)" test "$rc" -ne 0
check "the user is told '$MSG_SESSION'" has "$D/err" "$MSG_SESSION"
check "no command ran as root" test ! -s "$D/out"

echo "## 4. the ssh session of section 2 loses its record: its next sudo is refused"
rm -f "$rec"
touch "$D/share/step2"
if held_wait_for STEP2-DONE; then
        # With a terminal, sudo writes PAM messages to the tty: take everything
        # the session printed after READY.
        sed -n '/^READY$/,/^STEP2-DONE$/p' "$D/held.out" >"$D/step2.out"
        sed 's/^/#   remote: /' "$D/step2.out"
        check "sudo fails from a session without a record" has "$D/step2.out" "norecord-rc=1"
        check "the user is told '$MSG_SESSION'" has "$D/step2.out" "$MSG_SESSION"
        check "no command ran as root" test -z "$(grep -x 0 "$D/step2.out")"
else
        fail "the held session ran its second step"
fi
held_release
check "the held login ended normally (close_session copes with a missing record)" grep -qx BYE "$D/held.out"

echo "## 5. timestamp warm, then the grant expires: the next sudo is refused"
rm -f "$D/store/grants/sudo.jwt"
nbf=$(date +%s)
ttl=15 # two sudo calls before exp, on a busy machine too
grant short --jti g-short --scope sudo --ttl "${ttl}s" --not-before "$nbf"
exp=$((nbf + ttl))
publish_stage
remote expiry <<EOF
out=\$(echo '$PW' | sudo -S -p '' /usr/bin/true 2>&1); echo "pw-rc=\$?"; echo "\$out"
out=\$(sudo -n /usr/bin/true 2>&1); echo "warm-rc=\$?"; echo "\$out"
echo "before-exp=\$(( \$(date +%s) < $exp ))"
while [ \$(date +%s) -lt $((exp + 1)) ]; do sleep 0.2; done
out=\$(sudo -n /usr/bin/true 2>&1); echo "after-rc=\$?"; echo "\$out"
EOF
login_tty "bash $D/share/expiry.sh"
sed 's/^/#   remote: /' "$D/out"
check "the login is admitted (ssh grant)" test "$rc" -eq 0
check "sudo with the password works while the grant is valid" has "$D/out" "pw-rc=0"
check "sudo -n works next (timestamp warm, grant valid)" has "$D/out" "warm-rc=0"
check "both ran before the grant's exp (else the test is too slow)" has "$D/out" "before-exp=1"
check "after exp, sudo -n fails" has "$D/out" "after-rc=1"
check "the user is told 'jit: no sudo grant for $TEST_USER on this host (sudo grant g-short expired at $(date -u -d "@$exp" +%H:%M:%S) UTC)'" \
        has "$D/out" "jit: no sudo grant for $TEST_USER on this host (sudo grant g-short expired at $(date -u -d "@$exp" +%H:%M:%S) UTC)"
check "sudo reports the account stack's refusal" has "$D/out" "PAM account management error"
# With -n, sudo reaches the account stack only when its timestamp is warm:
# cold, it stops at "a password is required" (the control below). So the
# module's message proves the timestamp was still warm when jit refused.

echo "## 6. control: with a cold timestamp, sudo -n never reaches the account stack"
login_tty 'sudo -n /usr/bin/true; echo "cold-rc=$?"'
sed 's/^/#   remote: /' "$D/out"
check "cold timestamp: sudo -n fails" has "$D/out" "cold-rc=1"
check "cold timestamp: sudo says 'a password is required'" has "$D/out" "a password is required"
check "cold timestamp: no message from the module (account not run)" lacks "$D/out" "jit:"

echo "## 7. sudoedit with a valid sudo grant: the edit is saved, the elevation recorded"
# sudoedit runs the editor as the invoking user and opens the PAM session
# with a real uid of 0 (it became root to copy the files): the session hook
# must still name the invoker and check the grant.
grant edit --jti g-edit --scope sudo --ttl 10m
publish_stage
cat >"$D/share/editor.sh" <<'EOF'
#!/bin/sh
echo "edited by $(id -un)" >>"$1"
EOF
chmod 0755 "$D/share/editor.sh"
remote sudoedit <<EOF
echo SID=\$(cat /proc/self/sessionid)
out=\$(echo '$PW' | SUDO_EDITOR=$D/share/editor.sh sudoedit -S -p '' /etc/jit-sudoedit-test 2>&1); echo "edit-rc=\$?"; echo "\$out"
EOF
if held_start "bash $D/share/sudoedit.sh; $(held_wait_cmd)"; then
        pass "the login is admitted (ssh grant)"
else
        fail "the login is admitted (ssh grant)"
fi
sed 's/^/#   remote: /' "$D/held.out"
check "sudoedit exits 0" has "$D/held.out" "edit-rc=0"
check "the edited file holds the editor's line (run as $TEST_USER)" \
        grep -qx "edited by $TEST_USER" <(in_ns cat /etc/jit-sudoedit-test)
check "sudoedit's session was not refused" lacks "$D/held.out" "pam_open_session"
sid=$(sed -n 's/^SID=//p' "$D/held.out")
check "the session record lists the elevation 'root g-edit'" \
        grep -q "root g-edit" "$D/host/run/sessions/${sid:-none}"
held_release
edits=$(in_ns grep -c edited /etc/jit-sudoedit-test) || true

echo "## 8. sudoedit without a sudo grant is refused, the file unchanged"
rm -f "$D/store/grants/edit.jwt"
publish_stage
login_tty "bash $D/share/sudoedit.sh"
sed 's/^/#   remote: /' "$D/out"
check "sudoedit fails" has "$D/out" "edit-rc=1"
check "sudoedit reports the account stack's refusal" has "$D/out" "PAM account management error"
check "the file is unchanged" test "$(in_ns grep -c edited /etc/jit-sudoedit-test)" = "$edits"

sys_finish
