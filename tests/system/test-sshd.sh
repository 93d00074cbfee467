#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# pam_jit.so under a real sshd on 127.0.0.1 (publickey logins, PAM service
# sshd-test) in a private mount namespace: logins are admitted only by a
# valid ssh grant for this host, staged with jit-host-apply from a store (head and shards)
# published by jitctl; an open session is recorded under run_dir/sessions and
# its record is removed at logout; the shell gets JIT_GRANT_ID/EXPIRES.
#
# Environment: JIT_PAM_MODULE, JITCTL, JIT_HOST_APPLY (tests/system/meson.build).
set -euo pipefail
. "$(dirname "$(realpath "$0")")/lib.sh"

sys_init sshd
# No leeway, so that the expiry case needs seconds, not minutes.
sys_write_conf "clock_skew = 0"
sys_start_sshd

# claim FILE NAME: a claim of a token (no verification: jitctl did that).
claim() {
        python3 - "$1" "$2" <<'EOF'
import base64, json, sys
p = open(sys.argv[1]).read().strip().split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))[sys.argv[2]])
EOF
}

hms() { date -u -d "@$1" +%H:%M:%S; }

echo "## 1. no grant at all (an empty store is staged)"
publish_stage
login echo hello
expect_denied "no grant" "jit: no access grant for $TEST_USER on this host"

echo "## 2. grants that do not apply: another host, and a sudo-only grant"
grant other --jti g-other --aud host=other-host --scope ssh,sudo --ttl 10m
grant sudo-only --jti g-sudo-only --scope sudo --ttl 10m
publish_stage
login echo hello
expect_denied "grant for host=other-host and a sudo-only grant" \
        "jit: no access grant for $TEST_USER on this host"
if grep -q 'g-other\|g-sudo-only' "$D/err"; then
        fail "the message never names grants that do not apply here"
else
        pass "the message never names grants that do not apply here"
fi
rm -f "$D/store/grants/other.jwt" "$D/store/grants/sudo-only.jwt"

echo "## 3. expiry (clock_skew = 0): admitted, then refused once exp has passed"
# 12 s: the login before exp must finish in time on a busy machine too.
grant exp --jti g-exp --scope ssh --ttl 12s
exp=$(claim "$D/store/grants/exp.jwt" exp)
publish_stage
login echo hello-before-expiry
expect_allowed "short grant before its exp" hello-before-expiry
now=$(date +%s)
if ((now >= exp)); then
        fail "test too slow: the 12 s grant expired before the first login finished"
fi
while (($(date +%s) < exp + 1)); do sleep 0.2; done
# The host state is not touched: the module itself enforces exp.
login echo hello-after-expiry
expect_denied "same grant after its exp" "jit: your access grant g-exp expired at $(hms "$exp") UTC"
# jitctl publish may keep an expired grant for a while (so hosts can say
# "expired at"); it would outrank the messages of the cases below.
rm -f "$D/store/grants/exp.jwt"

echo "## 4. a valid ssh grant: the command runs, the session is recorded"
grant ok --jti g-ok --scope ssh --ttl 10m
ok_exp=$(claim "$D/store/grants/ok.jwt" exp)
publish_stage
# shellcheck disable=SC2016 # expanded by the remote shell
login 'id -un; echo "JIT_GRANT_ID=${JIT_GRANT_ID-unset}"; echo "JIT_GRANT_EXPIRES=${JIT_GRANT_EXPIRES-unset}"; echo "JIT_GRANT_EXPIRES_EPOCH=${JIT_GRANT_EXPIRES_EPOCH-unset}"'
expect_allowed "valid ssh grant" "$TEST_USER"
check "the shell has JIT_GRANT_ID = the grant's jti" grep -qx "JIT_GRANT_ID=g-ok" "$D/out"
check "the shell has JIT_GRANT_EXPIRES = the grant's exp in UTC ($(date -u -d "@$ok_exp" +%Y-%m-%dT%H:%M:%SZ))" \
        grep -qx "JIT_GRANT_EXPIRES=$(date -u -d "@$ok_exp" +%Y-%m-%dT%H:%M:%SZ)" "$D/out"
check "the shell has JIT_GRANT_EXPIRES_EPOCH = the grant's exp ($ok_exp)" \
        grep -qx "JIT_GRANT_EXPIRES_EPOCH=$ok_exp" "$D/out"
if sshd_log_has "Accepted publickey for $TEST_USER"; then
        pass "sshd admitted the login by publickey"
else
        fail "sshd admitted the login by publickey"
fi

# A session held open: the remote shell prints its audit session id and waits
# for a file the test creates.
if ! held_start "echo SID=\$(cat /proc/self/sessionid); $(held_wait_cmd)"; then
        fail "a held login starts"
        cat "$D/held.out" "$D/held.err"
fi
sid=$(sed -n 's/^SID=//p' "$D/held.out")
rec="$D/host/run/sessions/$sid"
if [[ $sid =~ ^[0-9]+$ && $sid != 4294967295 ]]; then
        pass "the remote shell has an audit session id ($sid, set by pam_loginuid)"
else
        fail "the remote shell has an audit session id (got '$sid')"
        cat "$D/held.err"
fi
rec_seen=0
if [[ -f $rec ]]; then
        rec_seen=1
        pass "run_dir/sessions/$sid exists while the session is open"
        sed 's/^/#   record: /' "$rec"
        check "the record names the grant (grant=g-ok)" grep -qx "grant=g-ok" "$rec"
        check "the record names the user (user=$TEST_USER)" grep -qx "user=$TEST_USER" "$rec"
        check "the record's audit-session is the shell's sessionid ($sid)" grep -qx "audit-session=$sid" "$rec"
        check "the record's exp is the grant's exp" grep -qx "exp=$ok_exp" "$rec"
        leader=$(sed -n 's/^leader=//p' "$rec")
        if [[ $leader =~ ^[0-9]+$ && -r /proc/$leader/sessionid && $(cat "/proc/$leader/sessionid") == "$sid" ]]; then
                pass "the record's leader ($leader) is alive and in session $sid"
        else
                fail "the record's leader ('$leader') is alive and in session $sid"
        fi
        check "the record is root-owned, mode 0600" test "$(stat -c '%U %a' "$rec")" = "root 600"
else
        fail "run_dir/sessions/$sid exists while the session is open"
        { ls -la "$D/host/run" "$D/host/run/sessions" 2>&1 || true; } | sed 's/^/#   /'
fi
held_release
if [[ $rc -eq 0 ]] && grep -qx BYE "$D/held.out"; then
        pass "the held session ended normally"
else
        fail "the held session ended normally (exit $rc)"
fi
wait_for 10 test ! -e "$rec" || true
if [[ $rec_seen -eq 1 && ! -e $rec ]]; then
        pass "the session record is removed at logout"
else
        fail "the session record is removed at logout"
fi

rm -f "$D/store/grants/ok.jwt"

echo "## 5. a grant not valid yet"
grant future --jti g-future --scope ssh --ttl 10m --not-before +10m
nbf=$(claim "$D/store/grants/future.jwt" nbf)
publish_stage
login echo hello
expect_denied "grant starting in 10 min" "jit: your access grant g-future starts at $(hms "$nbf") UTC"
rm -f "$D/store/grants/future.jwt"

echo "## 6. bind=session: one live session owns the grant"
grant bind --jti g-bind --scope ssh --ttl 10m --bind session
publish_stage
if held_start "echo SID=\$(cat /proc/self/sessionid); $(held_wait_cmd)"; then
        pass "first login with the bound grant is admitted"
else
        fail "first login with the bound grant is admitted"
fi
sid=$(sed -n 's/^SID=//p' "$D/held.out")
if grep -qx "bound=yes" "$D/host/run/sessions/$sid" 2>/dev/null; then
        pass "its record says bound=yes"
else
        fail "its record (run_dir/sessions/$sid) says bound=yes"
        { cat "$D/held.out" "$D/host/run/sessions/$sid" 2>&1 || true; } | sed 's/^/#   /'
fi
login echo hello
expect_denied "second login while the first holds the bound grant" \
        "jit: your access grant g-bind is in use by another session"
held_release
wait_for 10 test ! -e "$D/host/run/sessions/$sid" || true
login echo hello-again
expect_allowed "the bound grant is free again after the first logout" hello-again
rm -f "$D/store/grants/bind.jwt"

echo "## 7. stale host state: stale_policy deny refuses, keep admits"
now=$(date +%s)
then=$((now - 3600))
# A valid grant (an hour ago until an hour from now) in a store published
# an hour ago, fresh for 15 min: 45 min past its exp now.
grant stale --jti g-stale --scope ssh --ttl 2h --not-before "$then" --now "$then"
"$JITCTL" publish --store "$D/store" --key "$D/keys/signing.key" --iss "$ISS" \
        --trust "$D/host/trust.jwks" --now "$then" --head-ttl 15m | sed 's/^/# publish: /'
"$JIT_HOST_APPLY" --config "$D/host/jit.conf" --now "$then" "$D/store" 2>&1 | sed 's/^/# stage: /'
sys_write_conf "clock_skew = 0
stale_after = 10m
stale_policy = deny"
login echo hello
expect_denied "stale head, stale_policy = deny" \
        "jit: access grants on this host are out of date; new logins are refused"
sys_write_conf "clock_skew = 0
stale_after = 10m
stale_policy = keep"
login echo hello-stale-keep
expect_allowed "stale head, stale_policy = keep (cached grant still valid)" hello-stale-keep

echo "## 8. fails closed: a group-writable trust store denies"
chmod 0664 "$D/host/trust.jwks"
login echo hello
expect_denied "trust store mode 0664" "jit: access check failed; see the system log"
chmod 0644 "$D/host/trust.jwks"
login echo hello-restored
expect_allowed "trust store back to 0644" hello-restored

rm -f "$D/store/grants/stale.jwt"

echo "## 9. revocation: jitctl revoke + publish + stage"
grant rev --jti g-rev --scope ssh --ttl 10m
publish_stage
login echo hello-before-revoke
expect_allowed "grant before its revocation" hello-before-revoke
revoke g-rev
publish_stage
login echo hello
expect_denied "revoked grant" "jit: your access grant g-rev was revoked"

sys_finish
