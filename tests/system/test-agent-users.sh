#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# create_users (jit.conf(5)): a grant brings its holder's account and takes
# it away. sshd (pam_jit, pam_mkhomedir) and the real jit-agent both run in
# the test's private mount namespace, whose /etc is a throw-away overlay
# with "passwd: files systemd" and whose /run/userdb is a private tmpfs, so
# nss-systemd reads the agent's records there and nowhere else. Without
# systemd-userdbd (tests/logind has the guest with it).
#
#  1. nina exists nowhere; her grant → getent resolves her (uid from the
#     range, no supplementary group) → she logs in with the key from her
#     grant and gets a home from pam_mkhomedir;
#  2. her grant expires → the session is ended, the record is gone within
#     1 s, getent fails, a new login is refused;
#  3. her uid stays hers (another newcomer finds the range full) and her
#     second grant gives it back (state_dir/uids);
#  4. alice, in /etc/passwd, with a grant: not shadowed, logs in as before;
#  5. the range full (its other uid taken in /etc/passwd) → a clear error
#     for omar, no record, state_dir/uids unchanged;
#  6. create_users = no: nothing in /run/userdb, nina unknown and refused,
#     alice as before.
#
# Environment: JIT_PAM_MODULE, JITCTL, JIT_HOST_APPLY, JIT_AGENT.
set -euo pipefail
. "$(dirname "$(realpath "$0")")/lib.sh"

sys_init agent-users
trap agent_cleanup EXIT
require_exe "jit-agent (JIT_AGENT)" "${JIT_AGENT:-}"
require_exe "getent" /usr/bin/getent
[[ -e /lib/x86_64-linux-gnu/security/pam_mkhomedir.so || -e /usr/lib/x86_64-linux-gnu/security/pam_mkhomedir.so ]] ||
        die "pam_mkhomedir.so not found (install libpam-modules)"

UID_MIN=59100
UID_MAX=59101 # 59101 is zed's (/etc/passwd in the namespace): one uid left
NEW=nina

sys_userdb_ns
NS_EXTRA_SETUP+="useradd -M -u $UID_MAX -s /usr/sbin/nologin zed
"

conf() {
        agent_write_conf "poll_interval = 5s
kill_grace = 1s
warn_before = 1s
create_users = $1
user_uid_range = $UID_MIN-$UID_MAX
user_home_base = $D/home
user_shell = /bin/bash"
}
conf yes
publish
sys_start_sshd_agent_keys

# The agent runs in sshd's namespace: it writes the namespace's /run/userdb
# and looks names up through the namespace's nsswitch.conf.
agent_in_ns
agent_start

claim() {
        python3 - "$1" "$2" <<'EOF'
import base64, json, sys
p = open(sys.argv[1]).read().strip().split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))[sys.argv[2]])
EOF
}

# ugrant USER NAME TTL: an ssh grant for USER with the client key.
ugrant() {
        mint "$1" "$2" --jti "$2" --scope ssh --ttl "$3s" --ssh-key-file "$D/client/alice.pub"
        EXP=$(claim "$D/store/grants/$2.jwt" exp)
}

ns_getent() { in_ns getent "$@"; }
resolves() { ns_getent passwd "$1" >/dev/null 2>&1; }
gone() { ! resolves "$1"; }

# --- 1. a user who exists nowhere --------------------------------------------
if ns_getent passwd $NEW >/dev/null 2>&1; then die "$NEW exists before the test"; fi
pass "before her grant, $NEW does not resolve"

mark=$(agent_log_mark)
ugrant $NEW g1 25
agent_publish
agent_log_wait "$mark" "account $NEW created: uid $UID_MIN" 10 &&
        pass "the agent logs 'account $NEW created: uid $UID_MIN'" ||
        fail "the agent logs 'account $NEW created: uid $UID_MIN'"
pw=$(ns_getent passwd $NEW || true)
check "getent passwd $NEW: '$pw'" test "$pw" = "$NEW:x:$UID_MIN:$UID_MIN:$NEW:$D/home/$NEW:/bin/bash"
gr=$(ns_getent group $NEW || true)
check "getent group $NEW: her own group, no members ('$gr')" test "$gr" = "$NEW:x:$UID_MIN:"
ids=$(in_ns id -G $NEW || true)
check "id -G $NEW: only her primary group ('$ids')" test "$ids" = "$UID_MIN"
check "the record by uid too (getent passwd $UID_MIN)" sh -c "nsenter -t $SSHD_PID -m -- getent passwd $UID_MIN | grep -q '^$NEW:'"
check "the machine's own user database does not know $NEW" sh -c "! getent passwd $NEW"
in_ns cat /run/userdb/$NEW.user >"$D/record"
check "the record names her, and carries no memberOf, no privileged section" \
        sh -c "grep -q '\"userName\":\"$NEW\"' $D/record && ! grep -qE 'memberOf|privileged|hashedPassword' $D/record"
check "state_dir/uids: '$NEW $UID_MIN', 0600" sh -c "grep -qx '$NEW $UID_MIN' $D/host/state/uids && [ \$(stat -c %a $D/host/state/uids) = 600 ]"
in_ns "$JITCTL" status --config "$D/host/jit.conf" >"$D/status" 2>&1 || true
check "jitctl status lists the account and its uid" grep -qE "^  $NEW +uid $UID_MIN\$" "$D/status"
in_ns "$JITCTL" status --config "$D/host/jit.conf" --json >"$D/status.json" 2>&1 || true
check "jitctl status --json: accounts [{user $NEW, uid $UID_MIN}]" python3 -c "import json,sys; j=json.load(open('$D/status.json')); sys.exit(not (j['create_users'] and j['accounts']==[{'user':'$NEW','uid':$UID_MIN}]))"

TEST_USER=$NEW
login 'id -un; id -u; cd && pwd'
expect_allowed "$NEW logs in with the key from her grant" "$NEW"
check "her home $D/home/$NEW is made at login (pam_mkhomedir), hers" \
        sh -c "[ \"\$(stat -c %u:%g $D/home/$NEW)\" = $UID_MIN:$UID_MIN ] && grep -qx '$D/home/$NEW' $D/out"

# --- 2. her grant expires -------------------------------------------------------
held_start "$(held_wait_cmd)" || die "the held login of $NEW did not start"
mark=$(agent_log_mark)
wait_dead "$HELD_PID" 40 || true
T_END=$EPOCHREALTIME
check "her session is ended at her grant's end" sh -c "! kill -0 $HELD_PID 2>/dev/null"
BG_PIDS=()
agent_log_wait "$mark" "account $NEW \\(uid $UID_MIN\\) removed" 5 &&
        pass "the agent logs 'account $NEW (uid $UID_MIN) removed'" ||
        fail "the agent logs 'account $NEW (uid $UID_MIN) removed'"
T_GONE=$EPOCHREALTIME
check "the record goes with the grant (gone $(fsub "$T_GONE" "$EXP") s after exp, ≤ 2 s)" le "$(fsub "$T_GONE" "$EXP")" 2
check "getent passwd $NEW fails" gone $NEW
check "getent group $NEW fails" sh -c "! nsenter -t $SSHD_PID -m -- getent group $NEW"
check "/run/userdb holds nothing of hers" sh -c "[ -z \"\$(nsenter -t $SSHD_PID -m -- ls -A /run/userdb)\" ]"
in_ns "$JITCTL" status --config "$D/host/jit.conf" >"$D/status" 2>&1 || true
check "jitctl status: the account is gone from its list" sh -c "grep -q '^accounts from grants:' $D/status && ! grep -qE '^  $NEW +uid' $D/status"
agent_log_since "$mark" | grep -n "ending it\|removed" | sed 's/^/# order: /'
check "the session was ended before the account went" sh -c "agent_log() { :; }; grep -n '' $AGENT_LOG | tail -n +$((mark + 1)) | awk '/ending it/ && !s {s=NR} /account $NEW .* removed/ && !r {r=NR} END {exit !(s && r && s < r)}'"
login 'id -un'
if [[ $rc -eq 255 && ! -s $D/out ]]; then pass "a new login of $NEW is refused"; else fail "a new login of $NEW is refused (rc $rc)"; fi
check "her home is kept" test -d "$D/home/$NEW"

# --- 3. the same uid on a second grant ----------------------------------------
# Meanwhile pia, another newcomer, gets a grant: nina's uid is kept for her
# (state_dir/uids), so pia finds the range full rather than taking it.
mark=$(agent_log_mark)
ugrant pia p1 300
agent_publish
agent_log_wait "$mark" "account pia not created: user_uid_range $UID_MIN-$UID_MAX is full" 10 &&
        pass "nina's uid stays hers while she has no account: pia is refused, the range is full" ||
        fail "nina's uid stays hers while she has no account: pia is refused, the range is full"
rm -f "$D/store/grants/p1.jwt"
mark=$(agent_log_mark)
ugrant $NEW g2 300
agent_publish
agent_log_wait "$mark" "account $NEW created" 10 || true
pw=$(ns_getent passwd $NEW || true)
check "her second grant gives her uid $UID_MIN again ('$pw')" test "${pw#*:x:}" != "$pw" -a "$(cut -d: -f3 <<<"$pw")" = $UID_MIN
check "state_dir/uids still has one line for her" test "$(grep -c "^$NEW " "$D/host/state/uids")" = 1
login 'id -u; stat -c %u .'
check "she owns her files again" test "$(tr '\n' ' ' <"$D/out")" = "$UID_MIN $UID_MIN "

# --- 4. a name already in /etc/passwd ------------------------------------------
alice_uid=$(ns_getent passwd alice | cut -d: -f3)
mark=$(agent_log_mark)
ugrant alice a1 300
agent_publish
agent_log_wait "$mark" "account alice not created: the name exists in the user database \\(uid $alice_uid\\)" 10 &&
        pass "the agent refuses to shadow alice and says so" ||
        fail "the agent refuses to shadow alice and says so"
check "no record for alice" sh -c "! nsenter -t $SSHD_PID -m -- test -e /run/userdb/alice.user"
check "getent passwd alice is /etc/passwd's (uid $alice_uid)" test "$(ns_getent passwd alice | cut -d: -f3)" = "$alice_uid"
TEST_USER=alice
login 'id -un'
expect_allowed "alice logs in as before" alice

# --- 5. the range full ------------------------------------------------------------
cp "$D/host/state/uids" "$D/uids.before"
mark=$(agent_log_mark)
ugrant omar o1 300
agent_publish
agent_log_wait "$mark" "account omar not created: user_uid_range $UID_MIN-$UID_MAX is full" 10 &&
        pass "range full: the agent says 'user_uid_range $UID_MIN-$UID_MAX is full'" ||
        fail "range full: the agent says 'user_uid_range $UID_MIN-$UID_MAX is full'"
check "range full: no record for omar, no uid taken from zed" sh -c "! nsenter -t $SSHD_PID -m -- getent passwd omar && ! nsenter -t $SSHD_PID -m -- test -e /run/userdb/omar.user"
check "range full: state_dir/uids unchanged" cmp -s "$D/uids.before" "$D/host/state/uids"
TEST_USER=omar
login 'id -un'
check "range full: omar cannot log in" test "$rc" = 255

# --- 6. create_users = no -----------------------------------------------------
mark=$(agent_log_mark)
conf no
agent_publish
agent_log_wait "$mark" "account $NEW \\(uid $UID_MIN\\) removed" 10 &&
        pass "create_users turned off: the agent removes the record it made" ||
        fail "create_users turned off: the agent removes the record it made"
check "create_users = no: /run/userdb is empty" sh -c "[ -z \"\$(nsenter -t $SSHD_PID -m -- ls -A /run/userdb)\" ]"
check "create_users = no: $NEW does not resolve" gone $NEW
TEST_USER=$NEW
login 'id -un'
check "create_users = no: $NEW (valid grant, no account) cannot log in" test "$rc" = 255
TEST_USER=alice
login 'id -un'
expect_allowed "create_users = no: alice logs in as before" alice
check "create_users = no: no account event after the reload" sh -c "! agent_log_since_x=1 tail -n +$((mark + 1)) $AGENT_LOG | grep -q 'account .* created'"

sys_finish
