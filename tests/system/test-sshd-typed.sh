#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A grant token typed at the prompt, through a real sshd with
# keyboard-interactive authentication, for a user with no stored grant. sshd
# runs the PAM auth stack in a child process and opens the session in its
# monitor, so the token the auth hook accepted must cross that boundary
# (pam_jit(8), "auth, with prompt"): a valid token admits the login and its
# session is recorded on the typed grant; a forged token or another user's is
# refused; the token is in neither the session's environment nor sshd's log.
#
# The ssh client takes the answer from SSH_ASKPASS (SSH_ASKPASS_REQUIRE=force),
# which also records the prompts it was shown.
#
# Environment: JIT_PAM_MODULE, JITCTL, JIT_HOST_APPLY (tests/system/meson.build).
set -euo pipefail
. "$(dirname "$(realpath "$0")")/lib.sh"

sys_init sshd-typed
sys_write_conf "clock_skew = 0"

M="$JIT_PAM_MODULE config=$D/host/jit.conf prompt"
cat >"$D/pam-typed" <<EOF
auth     required $M
account  required $M
account  required pam_unix.so
session  required pam_loginuid.so
session  required $M
session  required pam_unix.so
EOF
# keyboard-interactive only, and sshd's most talkative log: what it logs
# must not hold the token.
NS_EXTRA_SETUP="
install -m 0644 -o root -g root $D/pam-typed /etc/pam.d/$SANDBOX_SERVICE
"
SANDBOX_SSHD_EXTRA="AuthenticationMethods keyboard-interactive
KbdInteractiveAuthentication yes
LogLevel DEBUG3"
sys_start_sshd

cat >"$D/client/askpass" <<EOF
#!/bin/sh
printf '%s\n' "\$1" >>$D/client/prompts
cat $D/client/answer
EOF
chmod 0755 "$D/client/askpass"

# typed_login ANSWER_FILE CMD: ssh as alice with keyboard-interactive only,
# answering every prompt with the file's content. stdout in $D/out, stderr in
# $D/err, exit code in $rc.
typed_login() {
        cp "$1" "$D/client/answer"
        shift
        : >"$D/client/prompts"
        echo "=== login $((++LOGIN_N))" >>"$D/sshd.log"
        rc=0
        SSH_ASKPASS="$D/client/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
                timeout 30 setsid -w ssh -F /dev/null -p "$PORT" -o BatchMode=no \
                -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no \
                -o NumberOfPasswordPrompts=1 -o StrictHostKeyChecking=no \
                -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 \
                "$TEST_USER@127.0.0.1" "$@" >"$D/out" 2>"$D/err" </dev/null || rc=$?
}

issue_typed() {
        local out=$1
        shift
        "$JITCTL" issue --key "$D/keys/signing.key" --iss "$ISS" --aud env=prod --scope ssh \
                --ttl 10m --ticket INC-7 --approver bob --out "$out" "$@" >/dev/null
}

echo "## 0. the host is up to date and holds no grant for $TEST_USER"
publish_stage
check "no stored grant for $TEST_USER" test ! -e "$D/host/state/users/$TEST_USER"

issue_typed "$D/client/typed.jwt" --sub "$TEST_USER" --jti g-typed
token=$(cat "$D/client/typed.jwt")
sig=${token##*.}

echo "## 1. a valid token typed at the prompt admits the login"
typed_login "$D/client/typed.jwt" \
        'echo SID=$(cat /proc/self/sessionid); env; tr "\0" "\n" </proc/$$/environ; echo TYPED-OK'
sed 's/^/#   remote: /' "$D/out" | grep -v 'LS_COLORS' | head -30
check "the client was asked 'JIT grant token: '" grep -q "JIT grant token:" "$D/client/prompts"
if [[ $rc -eq 0 ]] && grep -qx TYPED-OK "$D/out"; then
        pass "the login is admitted (exit 0, the command ran)"
else
        fail "the login is admitted (exit $rc)"
        last_sshd_log | grep -i 'pam\|jit\|denied\|session' | tail -15 | sed 's/^/       sshd: /'
fi
check "the session runs on the typed grant (JIT_GRANT_ID=g-typed)" grep -qx "JIT_GRANT_ID=g-typed" "$D/out"
check "the token is not in the session's environment" test -z "$(grep -F -- "$sig" "$D/out")"
check "no PAM_JIT_TYPED_TOKEN in the session's environment" test -z "$(grep PAM_JIT_TYPED_TOKEN "$D/out")"
for _ in $(seq 40); do
        sshd_log_has "session closed for user $TEST_USER" && break
        sleep 0.05
done
check "sshd's log (LogLevel DEBUG3) does not hold the token" test -z "$(grep -F -- "$sig" "$D/sshd.log")"
sid=$(sed -n 's/^SID=//p' "$D/out")
check "the session was recorded and its record removed at logout" \
        test -n "$sid" -a ! -e "$D/host/run/sessions/$sid"

echo "## 2. a forged token (its signature altered) is refused"
python3 - "$D/client/typed.jwt" "$D/client/forged.jwt" <<'EOF'
import sys
t = open(sys.argv[1]).read().strip()
h, p, s = t.split(".")
s = ("A" if s[0] != "A" else "B") + s[1:]
open(sys.argv[2], "w").write(".".join([h, p, s]) + "\n")
EOF
typed_login "$D/client/forged.jwt" echo FORGED-RAN
check "ssh exits 255" test "$rc" -eq 255
check "the command did not run" test -z "$(grep FORGED-RAN "$D/out")"

echo "## 3. a valid token of another user is refused"
issue_typed "$D/client/bob.jwt" --sub bob --jti g-bob
typed_login "$D/client/bob.jwt" echo BOB-RAN
check "ssh exits 255" test "$rc" -eq 255
check "the command did not run" test -z "$(grep BOB-RAN "$D/out")"

echo "## 4. garbage typed at the prompt is refused"
echo not-a-token >"$D/client/garbage"
typed_login "$D/client/garbage" echo GARBAGE-RAN
check "ssh exits 255" test "$rc" -eq 255
check "the command did not run" test -z "$(grep GARBAGE-RAN "$D/out")"

sys_finish
