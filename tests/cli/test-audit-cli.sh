#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# jitctl audit, audit forward and status without a guest: a journal file made
# by systemd-journal-remote from a scripted export stream (the same fields
# pam_jit and the agent send), and a host tree of tests/lib/jit-host.sh.
# Checked: the filters (user, grant, ticket, host, outcome, event, time),
# the table and --json; --check-sequence on gaps, duplicates, conflicts and
# unnumbered entries; hostile journal fields shown without control bytes;
# the forward drop-in (--root) and its refusals; status exit codes with no
# agent, no bundle, and a stale-and-refusing store.
#
# Usage: test-audit-cli.sh JITCTL
set -euo pipefail
JITCTL=${1:-}
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../lib/tap.sh"
require_exe "jitctl" "$JITCTL"
JREMOTE=/lib/systemd/systemd-journal-remote
require_exe "systemd-journal-remote (package systemd-journal-remote)" "$JREMOTE"

D=$(mktemp -d /tmp/jit-audit-cli.XXXXXX)
trap 'rm -rf "$D"' EXIT

SEQ=00112233445566778899aabbccddeeff
T0=1796400000 # 2026-12-04 16:00:00 UTC
# entry N EVENT_ID USER GRANT RESULT [EXTRA]: one export-format entry at T0+N min.
entry() {
        local n=$1 mid=$2 user=$3 grant=$4 result=$5 extra=${6:-}
        printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=0123456789abcdef0123456789abcdef\n' \
                "$(((T0 + n * 60) * 1000000))" "$((n * 1000000))"
        printf '_HOSTNAME=pay-db-1\nMESSAGE=%s %s: %s\nMESSAGE_ID=%s\nPRIORITY=5\nJIT_USER=%s\n' \
                "$mid" "$user" "$result" "$mid" "$user"
        [[ -n $grant ]] && printf 'JIT_GRANT_ID=%s\nJIT_TICKET=INC-%s\nJIT_APPROVER=bob\n' "$grant" "$grant"
        printf 'JIT_RESULT=%s\nJIT_HOST=pay-db-1\n%s' "$result" "$extra"
        [[ $n -gt 0 ]] && printf 'JIT_SEQ_ID=%s\nJIT_SEQ=%s\n' "$SEQ" "$n"
        printf '\n'
}
LOGIN_OK=1eb5e351f89c4c78b37ff82e8b7e8d9f
LOGIN_NO=86dda8d9f8184f63b14cc3421edf227d
SUDO_OK=f0c27c200e9847788765f5cb3fe5c6e6
ENDED=feeb3a871f924fbc9fa30eb275ae6886
{
        entry 1 $LOGIN_OK alice g-a allowed
        entry 2 $SUDO_OK alice g-a allowed
        entry 3 $LOGIN_NO eve "" "no grant"
        entry 4 $ENDED alice g-a ended 'JIT_REASON=the access grant expired
'
        entry 5 $LOGIN_OK bob g-b allowed
        # not ours: no MESSAGE_ID of an audit event
        printf '__REALTIME_TIMESTAMP=%s\n_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE=sshd noise\nJIT_USER=alice\n\n' "$(((T0 + 400) * 1000000))"
} >"$D/history.export"
mkdir -p "$D/j"
"$JREMOTE" -o "$D/j/a.journal" - <"$D/history.export" 2>/dev/null
A=("$JITCTL" audit --directory "$D/j")

rows() { "${A[@]}" --json "$@" | python3 -c '
import json, sys
print(";".join(o["event"] + ":" + o.get("user", "-") for o in map(json.loads, sys.stdin)))'; }
check "all five audit entries, not the sshd line" test "$(rows)" = \
        "login-allowed:alice;sudo-allowed:alice;login-denied:eve;session-ended:alice;login-allowed:bob"
check "--user alice" test "$(rows --user alice)" = "login-allowed:alice;sudo-allowed:alice;session-ended:alice"
check "--grant g-b" test "$(rows --grant g-b)" = "login-allowed:bob"
check "--ticket INC-g-a --outcome ended" test "$(rows --ticket INC-g-a --outcome ended)" = "session-ended:alice"
check "--outcome denied" test "$(rows --outcome denied)" = "login-denied:eve"
check "--outcome allowed --outcome denied --user eve" test "$(rows --outcome allowed --outcome denied --user eve)" = "login-denied:eve"
check "--event sudo-allowed" test "$(rows --event sudo-allowed)" = "sudo-allowed:alice"
check "--since/--until (UTC times): minutes 2..3" \
        test "$(rows --since '2026-12-04 16:02' --until '2026-12-04 16:03:00')" = "sudo-allowed:alice;login-denied:eve"
check "--since @EPOCH" test "$(rows --since "@$((T0 + 240))")" = "session-ended:alice;login-allowed:bob"
check "--host pay-db-1" test "$("${A[@]}" --host pay-db-1 --json | wc -l)" = 5
check "--host web-9: nothing" test -z "$("${A[@]}" --host web-9 --json)"
"${A[@]}" --outcome ended >"$D/table"
check "the table: header, and the reason of the ending" \
        bash -c "head -1 '$D/table' | grep -q '^TIME (UTC) ' && grep -qE '^2026-12-04 16:04:00  pay-db-1 +session-ended +alice +g-a +INC-g-a +bob +the access grant expired' '$D/table'"
check "an unknown outcome is a usage error" bash -c "'$JITCTL' audit --outcome maybe; test \$? = 2"
check "an unknown event is a usage error" bash -c "'$JITCTL' audit --event login-maybe; test \$? = 2"
check "a bad time is a usage error" bash -c "'$JITCTL' audit --since yesterday; test \$? = 2"

# --check-sequence: 1..5 complete.
rc=0
"${A[@]}" --check-sequence >"$D/c1" || rc=$?
check "check-sequence: complete (exit 0)" test "$rc" = 0
check "… 0 missing, 0 duplicates" grep -q 'numbers 1-5: 5 entries, 0 missing, 0 duplicates, 0 conflicting' "$D/c1"
# A duplicate (the same entry again, in the same file) and an unnumbered one.
{
        entry 2 $SUDO_OK alice g-a allowed
        entry 0 $LOGIN_OK carol g-c allowed 'JIT_SEQ_ERROR=ETIMEDOUT
'
} | "$JREMOTE" -o "$D/j/a.journal" - 2>/dev/null
rc=0
"${A[@]}" --check-sequence >"$D/c2" || rc=$?
check "a resent entry is a duplicate, not an error (exit 0)" test "$rc" = 0
check "… counted: 1 duplicate, 1 unnumbered" \
        bash -c "grep -q '6 entries, 0 missing, 1 duplicate,' '$D/c2' && grep -q ', 1 unnumbered' '$D/c2'"
# A conflict: number 3 again with other content; and a gap: 7 without 6.
{
        entry 3 $LOGIN_OK mallory g-m allowed
        entry 7 $LOGIN_OK bob g-b allowed
} | "$JREMOTE" -o "$D/j/a.journal" - 2>/dev/null
rc=0
"${A[@]}" --check-sequence >"$D/c3" || rc=$?
sed 's/^/# /' "$D/c3"
check "a gap and a conflict fail the check (exit 1)" test "$rc" = 1
check "… 'missing: 6', 1 conflicting" bash -c "grep -qx '  missing: 6' '$D/c3' && grep -q '1 missing, 1 duplicate, 1 conflicting' '$D/c3'"
"${A[@]}" --check-sequence --json >"$D/c3.json" || true
check "… --json: gaps [[6,6]]" python3 -c '
import json, sys
o = json.loads(open(sys.argv[1]).readline())
assert o["gaps"] == [[6, 6]] and o["missing"] == 1 and o["conflicts"] == 1, o' "$D/c3.json"

# Hostile field values: no control byte reaches the terminal.
printf '__REALTIME_TIMESTAMP=%s\nMESSAGE_ID=%s\nMESSAGE=x\nJIT_USER=ev\033[2Jil\nJIT_SEQ_ID=%s\nJIT_SEQ=8\n\n' \
        "$(((T0 + 600) * 1000000))" "$LOGIN_NO" "$SEQ" | "$JREMOTE" -o "$D/j/a.journal" - 2>/dev/null
"${A[@]}" >"$D/hostile"
check "an escape sequence in a field is shown as '?'" grep -q 'ev?\[2Jil' "$D/hostile"
check "… and no escape byte is printed" bash -c "! grep -q \$'\\033' '$D/hostile'"

# ---- audit forward --root ----------------------------------------------------
R=$D/root
mkdir -p "$R/etc/jit/forward"
for f in host.key host.crt ca.crt; do : >"$R/etc/jit/forward/$f"; done
"$JITCTL" audit forward --root "$R" --to https://logs.example.com:19532 --key /etc/jit/forward/host.key \
        --cert /etc/jit/forward/host.crt --trust /etc/jit/forward/ca.crt >/dev/null
dropin=$R/etc/systemd/system/systemd-journal-upload.service.d/50-jit-access.conf
check "forward: the drop-in is written" test -f "$dropin"
check "… ExecStart with --save-state, the URL and the credentials" \
        grep -qx 'ExecStart=/usr/lib/systemd/systemd-journal-upload --save-state --url=https://logs.example.com:19532 --key=%d/jit-upload.key --cert=%d/jit-upload.crt --trust=%d/jit-upload-ca.crt' "$dropin"
check "… the key as a credential" grep -qx 'LoadCredential=jit-upload.key:/etc/jit/forward/host.key' "$dropin"
check "… ExecStart= reset first" grep -qx 'ExecStart=' "$dropin"
for bad in "http://logs.example.com" "https://a b" "https://x%n" "https://x;rm"; do
        rc=0
        "$JITCTL" audit forward --root "$R" --to "$bad" --key /etc/jit/forward/host.key \
                --cert /etc/jit/forward/host.crt --trust /etc/jit/forward/ca.crt 2>/dev/null || rc=$?
        check "forward refuses --to '$bad' (exit 2)" test "$rc" = 2
done
rc=0
"$JITCTL" audit forward --root "$R" --to https://l --key relative.key --cert /etc/jit/forward/host.crt \
        --trust /etc/jit/forward/ca.crt 2>/dev/null || rc=$?
check "forward refuses a relative key path (exit 2)" test "$rc" = 2
rc=0
"$JITCTL" audit forward --root "$R" --to https://l --key /etc/jit/forward/missing.key \
        --cert /etc/jit/forward/host.crt --trust /etc/jit/forward/ca.crt 2>/dev/null || rc=$?
check "forward refuses a key that does not exist (exit 2)" test "$rc" = 2
"$JITCTL" audit forward --root "$R" --off >/dev/null
check "forward --off removes the drop-in" test ! -e "$dropin"

# ---- status without an agent ---------------------------------------------------
if [[ $(id -u) -eq 0 ]]; then
        # shellcheck source=tests/lib/jit-host.sh
        . "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../lib/jit-host.sh"
        jit_host_init
        rc=0
        "$JITCTL" status --config "$D/host/jit.conf" >"$D/s1" || rc=$?
        check "status, no bundle and no agent: exit 5" test "$rc" = 5
        check "… 'store: no-bundle', 'agent: NOT RUNNING'" \
                bash -c "grep -q '^store: *no-bundle' '$D/s1' && grep -q '^agent: *NOT RUNNING' '$D/s1'"
        mint alice g1 --ttl 2h --scope ssh --jti g-1
        publish >/dev/null
        JIT_HOST_APPLY=${JIT_HOST_APPLY:-$JIT_TEST_BUILD_ROOT/tests/tools/jit-host-apply} stage >/dev/null
        rc=0
        "$JITCTL" status --config "$D/host/jit.conf" --now "$(($(date +%s) + 7200))" --json >"$D/s2.json" || rc=$?
        check "status two hours on (stale_policy = deny, stale_after = 1h): exit 5" test "$rc" = 5
        check "… store.state stale-and-refusing" python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["store"]["state"] == "stale-and-refusing" and o["store"]["serial"] == 1 and o["exit"] == 5, o' "$D/s2.json"
else
        note "not root: the status checks run in the logind-audit test"
fi
summary
