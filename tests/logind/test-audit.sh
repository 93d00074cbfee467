#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The audit trail leaves the host and loses nothing; the operator's views.
# A Debian 12 guest (tests/lib/nspawn.sh) runs sshd and sudo with pam_jit,
# jit-agent.service, a persistent journal sealed with Forward Secure Sealing,
# and systemd-journal-upload enabled by `jitctl audit forward`; the host runs
# systemd-journal-remote on 127.0.0.1 over TLS with client certificates.
# Checked:
#   - FSS: journalctl --setup-keys, then --verify --verify-key passes on the
#     sealed files, and fails on a copy with one byte of an entry changed;
#   - a scripted history: alice logs in and sudoes (allowed), dave is denied
#     (no grant), bob's sudo is denied (an ssh-only grant), bob's session is
#     ended at his grant's expiry, carol's at her grant's revocation;
#   - the receiver is SIGKILLed after alice's login and restarted after the
#     rest: every audit entry of the guest arrives (by its JIT_SEQ_ID and
#     JIT_SEQ), field by field equal to the guest's; `jitctl audit
#     --check-sequence` finds no gap and reports a resent entry as a
#     duplicate; with one entry removed it reports that number as missing;
#   - `jitctl audit` answers (by user, grant, ticket, outcome, time, --json)
#     on the guest's journal and on the forwarded one;
#   - `jitctl status`: fresh (exit 0, the agent's STATUS= line, alice's
#     session on its grant), stale (exit 4, stale-but-admitting), agent
#     down (exit 5).
#
# Usage: test-audit.sh PAM_JIT_SO JIT_AGENT JITCTL   (as root)
# Environment: as tests/logind/test-logind.sh (JIT_LOGIND_CACHE,
# JIT_LOGIND_MIRROR, KEEP_TMP=1).
set -euo pipefail

JREMOTE=/lib/systemd/systemd-journal-remote

SRC_DIR=$(dirname "$(realpath "$0")")
# shellcheck source=tests/logind/lib.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
REMOTE_PID=
SSH_PIDS=()
CLEANUP_PIDS=(REMOTE_PID)
GUEST_UNITS=(jit-agent systemd-journal-upload ssh)

gjitctl() { guest /usr/bin/jitctl "$@"; }

# audit_cleanup RC: the held logins; the receiver's log when RC is not 0.
audit_cleanup() {
        local p
        for p in "${SSH_PIDS[@]}"; do
                kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
        done
        [[ $1 -ne 0 && -s $D/remote.log ]] && tail -20 "$D/remote.log" | sed 's/^/# remote: /'
}
CLEANUP_HOOK=audit_cleanup

logind_programs "$@"
guest_require "$JIT_AGENT" "tools/install-deps: systemd-journal-remote, openssl, …" \
        /usr/bin/openssl /usr/bin/python3 "$JREMOTE"

T_START=$(now)
guest_tmp jit-audit
mkdir -p "$D/share/extra-keys" "$D/tls" "$D/remote"
chmod 0700 "$D/tls"

rootfs_make "$R"
log "root file system: $(elapsed "$T_START") s ($ROOTFS_HOW)"
[[ -x $R/lib/systemd/systemd-journal-upload ]] || die "the guest has no systemd-journal-upload"

# ---- the guest: module, agent, jitctl, users, journal ------------------------

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

guest_install_jit "$PAM_JIT_SO" "$JIT_AGENT" "$JITCTL"

guest_trust
write_conf() {
        cat >"$R/etc/jit/jit.conf.tmp" <<EOF
issuers = $ISS
trust_store = /etc/jit/trust.jwks
state_dir = /var/lib/jit
run_dir = /run/jit
host_id = pay-db-1
labels = env=prod
bundle_url = file:///mnt/test/store/head.jwt
poll_interval = 5s
clock_skew = 0
kill_grace = 1s
# never a real metadata service from a test
cloud = none
$1
EOF
        mv -f "$R/etc/jit/jit.conf.tmp" "$R/etc/jit/jit.conf"
}
write_conf "stale_policy = keep"

USERS=(alice bob carol dave)
for u in "${USERS[@]}"; do
        chroot "$R" useradd -m -s /bin/bash "$u"
        ssh-keygen -q -t ed25519 -N '' -C "$u@jit-audit" -f "$D/client/$u"
done
# dave has no grant: his key comes from elsewhere, so pam_jit is who refuses.
cp "$D/client/dave.pub" "$D/share/extra-keys/dave"
chmod 0644 "$D/share/extra-keys/dave"
printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' "${USERS[@]}" >"$R/etc/sudoers.d/jit-test"
chmod 0440 "$R/etc/sudoers.d/jit-test"

cat >"$R/etc/ssh/sshd_config.d/00-jit-test.conf" <<EOF
ListenAddress 127.0.0.1:$PORT
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile /run/jit/keys/%u /mnt/test/extra-keys/%u
UseDNS no
UsePAM yes
EOF
guest_pam_jit sshd common-session
guest_pam_jit sudo common-session-noninteractive
grep -q '^account.*pam_jit.so' "$R/etc/pam.d/sshd" && grep -q '^account.*pam_jit.so' "$R/etc/pam.d/sudo" ||
        die "could not place pam_jit.so in the guest's sshd and sudo stacks"

# The packaged unit's journal setting (no rate limit for the agent) on the
# test unit; the agent as a notify service.
guest_unit "$SRC_DIR/jit-agent.service" "LogRateLimitIntervalSec=0"

# A persistent journal, sealed (FSS) once keys exist.
install -d "$R/var/log/journal" "$R/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=persistent\nSeal=yes\n' >"$R/etc/systemd/journald.conf.d/jit-test.conf"

# TLS: a CA, the receiver's certificate (127.0.0.1) and the guest's client one.
(
        cd "$D/tls"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=jit-test-ca \
                -keyout ca.key -out ca.crt 2>/dev/null
        for n in server client; do
                cn=$([[ $n == server ]] && echo 127.0.0.1 || echo pay-db-1)
                openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout $n.key -out $n.csr 2>/dev/null
                printf 'subjectAltName=%s\n' "$([[ $n == server ]] && echo IP:127.0.0.1 || echo DNS:pay-db-1)" >$n.ext
                openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
                        -extfile $n.ext -out $n.crt 2>/dev/null
        done
) || die "openssl could not make the test certificates"
install -d -m 0700 "$R/etc/jit/forward"
install -m 0600 "$D/tls/client.key" "$R/etc/jit/forward/upload.key"
install -m 0644 "$D/tls/client.crt" "$R/etc/jit/forward/upload.crt"
install -m 0644 "$D/tls/ca.crt" "$R/etc/jit/forward/ca.crt"

grant() { # USER JTI SCOPE TTL [ARGS…]
        local u=$1 jti=$2 scope=$3 ttl=$4
        shift 4
        mint "$u" "$jti" --scope "$scope" --ssh-key-file "$D/client/$u.pub" --ttl "$ttl" \
                --ticket "INC-$u" --approver ops-lead --jti "$jti" "$@"
}
publish

# ---- boot -------------------------------------------------------------------

T_BOOT=$(now)
guest_boot jitaudit "$PORT"
log "boot to sshd: $(elapsed "$T_BOOT") s"
state=$(guest_unit_wait jit-agent)
[[ $state == active ]] || die "jit-agent is not active ($state)"

# ---- FSS: sealing keys, then everything below is in sealed files ---------------

guest journalctl --setup-keys --interval=10s --force >"$D/fss.key" 2>"$D/fss.err" ||
        die "journalctl --setup-keys failed: $(cat "$D/fss.err")"
FSS_KEY=$(tr -d '\n' <"$D/fss.key")
guest journalctl --rotate
check "journalctl --setup-keys made a verification key" test -n "$FSS_KEY"

# ---- the receiver, and forwarding -------------------------------------------

# Debian 12's systemd-journal-remote is built without GnuTLS: it serves TLS
# but has no --trust, so it cannot check the uploader's client certificate
# (docs/admin-guide.md says what to put in front of it).
remote_start() {
        "$JREMOTE" --listen-https="127.0.0.1:$RPORT" --key="$D/tls/server.key" \
                --cert="$D/tls/server.crt" --split-mode=none \
                --output="$D/remote/run$1.journal" >>"$D/remote.log" 2>&1 &
        REMOTE_PID=$!
        wait_port
}
wait_port() {
        for _ in $(seq 100); do
                (exec 3<>"/dev/tcp/127.0.0.1/$RPORT") 2>/dev/null && return 0
                sleep 0.1
        done
        die "systemd-journal-remote does not listen on 127.0.0.1:$RPORT"
}
remote_start 1

gjitctl audit forward --to "https://127.0.0.1:$RPORT" --key /etc/jit/forward/upload.key \
        --cert /etc/jit/forward/upload.crt --trust /etc/jit/forward/ca.crt >"$D/forward.out" 2>&1 ||
        { sed 's/^/# forward: /' "$D/forward.out"; fail "jitctl audit forward"; }
check "jitctl audit forward wrote the uploader's drop-in" \
        test -f "$(groot /etc/systemd/system/systemd-journal-upload.service.d/50-jit-access.conf)"
up_state=
for _ in $(seq 100); do
        up_state=$(guest systemctl is-active systemd-journal-upload 2>/dev/null || true)
        [[ $up_state == active ]] && break
        sleep 0.1
done
check "systemd-journal-upload.service runs (got '$up_state')" test "$up_state" = active

# remote_has USER EVENT: the forwarded journal holds such an entry.
remote_has() {
        "$JITCTL" audit --directory "$D/remote" --user "$1" --event "$2" --json 2>/dev/null | grep -q .
}

# ---- the history ----------------------------------------------------------------

SSH_BASE=(-F /dev/null -p "$PORT" -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no
        -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10)
sshu() { # USER CMD…
        local u=$1
        shift
        ssh "${SSH_BASE[@]}" -i "$D/client/$u" "$u@127.0.0.1" "$@"
}
# login_held USER: a login that stays (its client's pid in SSH_PIDS).
login_held() {
        sshu "$1" 'echo UP; exec sleep 600' >"$D/ssh-$1.out" 2>"$D/ssh-$1.err" </dev/null &
        SSH_PIDS+=($!)
        wait_output "$D/ssh-$1.out" UP "$!"
}

T_HIST=$(date +%s)
grant alice g-alice ssh 600s
grant alice g-alice-sudo sudo 600s --runas root
grant bob g-bob ssh 40s
grant carol g-carol ssh 600s
bob_exp=$(($(date +%s) + 40))
publish
for u in alice bob carol; do
        for _ in $(seq 100); do
                [[ -s $(groot "/run/jit/keys/$u") ]] && break
                sleep 0.1
        done
done

check "alice logs in (grant g-alice)" login_held alice
check "alice's sudo is allowed (grant g-alice-sudo)" sshu alice sudo -n true
for _ in $(seq 100); do remote_has alice login-allowed && break; sleep 0.1; done
check "the receiver got alice's login" remote_has alice login-allowed

# The status while all is well.
st_rc=0
gjitctl status >"$D/status-fresh" 2>&1 || st_rc=$?
sed 's/^/#   status: /' "$D/status-fresh"
check "jitctl status: fresh exits 0 (got $st_rc)" test "$st_rc" = 0
check "… says the store is fresh" grep -q '^store: *fresh, serial' "$D/status-fresh"
check "… lists alice's session on grant g-alice" grep -qE 'session .* alice +on grant g-alice ' "$D/status-fresh"
check "… lists g-bob with its end" grep -qE '^  bob +g-bob +ssh +ends ' "$D/status-fresh"
# The same line as STATUS=, read between two equal reads of StatusText (a
# reconcile in between changes both).
same=0
for _ in $(seq 50); do
        a=$(guest systemctl show -P StatusText jit-agent)
        s=$(gjitctl status 2>/dev/null | sed -n 's/^summary: *//p')
        b=$(guest systemctl show -P StatusText jit-agent)
        if [[ $a == "$b" && $s == "$a" ]]; then
                same=1
                break
        fi
        sleep 0.1
done
check "… its summary is the agent's STATUS= ('$a' / '$s')" test "$same" = 1
gjitctl status --ending-within 1m >"$D/status-window" 2>&1 || true
check "jitctl status --ending-within 1m: g-bob, not g-alice" \
        bash -c "grep -q ' g-bob ' '$D/status-window' && ! grep -q ' g-alice ' '$D/status-window'"

# The receiver dies; the host goes on.
kill -KILL "$REMOTE_PID"
wait "$REMOTE_PID" 2>/dev/null || true
REMOTE_PID=
log "receiver SIGKILLed"
T_MID=$(date +%s)
sleep 1

dave_rc=0
sshu dave true </dev/null >/dev/null 2>&1 || dave_rc=$?
check "dave (no grant) is refused (ssh exit $dave_rc)" test "$dave_rc" != 0
check "carol logs in (grant g-carol)" login_held carol
check "bob logs in (grant g-bob)" login_held bob
bob_sudo=0
sshu bob sudo -n true </dev/null >/dev/null 2>&1 || bob_sudo=$?
check "bob's sudo is refused (an ssh-only grant)" test "$bob_sudo" != 0
check "alice's second sudo is allowed" sshu alice sudo -n true

# carol's grant is revoked; bob's expires.
revoke g-carol
publish
while (($(date +%s) < bob_exp + 4)); do sleep 0.2; done
for _ in $(seq 100); do
        guest journalctl -o cat MESSAGE_ID=feeb3a871f924fbc9fa30eb275ae6886 JIT_USER=bob 2>/dev/null | grep -q . && break
        sleep 0.1
done

remote_start 2
log "receiver restarted"
# journal-upload retries on its own (Restart= of the drop-in); wait until every
# numbered entry of the guest has arrived.
seqs() { # jitctl-audit --json lines → sorted "seq_id seq"
        python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    if "seq" in o: print(o["seq_id"], o["seq"])' | sort -u
}
gjitctl audit --json >"$D/guest.json"
seqs <"$D/guest.json" >"$D/guest.seqs"
arrived=0
for _ in $(seq 300); do
        "$JITCTL" audit --directory "$D/remote" --json 2>/dev/null | seqs >"$D/remote.seqs"
        if [[ -z $(comm -23 "$D/guest.seqs" "$D/remote.seqs") ]]; then
                arrived=1
                break
        fi
        sleep 0.2
done
n_guest=$(wc -l <"$D/guest.seqs")
check "every one of the guest's $n_guest numbered audit entries arrived after the restart" test "$arrived" = 1
check "… and the guest's entries are all numbered (no JIT_SEQ_ERROR)" \
        test "$(grep -c '"seq"' "$D/guest.json")" = "$(wc -l <"$D/guest.json")"

# Field by field: the guest's export of each audit entry and the receiver's.
fields() { # DIR-or-"guest" → sorted "seq_id seq FIELD=value" lines of audit entries
        python3 -c '
import sys
keep = ("MESSAGE=", "MESSAGE_ID=", "PRIORITY=", "SYSLOG_IDENTIFIER=", "_BOOT_ID=", "_HOSTNAME=",
        "_PID=", "_UID=", "_COMM=", "__REALTIME_TIMESTAMP=", "JIT_")
e = {}
def flush():
    if "JIT_SEQ" in e and "JIT_SEQ_ID" in e:
        for k, v in sorted(e.items()):
            if k.startswith(keep) or (k + "=").startswith(keep):
                print(e["JIT_SEQ_ID"], e["JIT_SEQ"], k + "=" + v)
for line in sys.stdin.buffer:
    line = line.rstrip(b"\n").decode("utf-8", "replace")
    if not line:
        flush(); e = {}; continue
    k, _, v = line.partition("=")
    e[k] = v
flush()' | sort -u
}
guest journalctl -o export JIT_SEQ_ID="$(awk 'NR==1{print $1}' "$D/guest.seqs")" | fields >"$D/guest.fields"
journalctl -o export -D "$D/remote" JIT_SEQ_ID="$(awk 'NR==1{print $1}' "$D/guest.seqs")" | fields >"$D/remote.fields"
if diff -u "$D/guest.fields" "$D/remote.fields" >"$D/fields.diff"; then
        pass "the forwarded entries equal the guest's field by field ($(wc -l <"$D/guest.fields") fields)"
else
        fail "the forwarded entries equal the guest's field by field"
        head -20 "$D/fields.diff" | sed 's/^/#   /'
fi

# Duplicates: one entry sent again (as an uploader resuming does) into the
# receiver's file is told apart by its number; the check passes. (sd-journal
# itself hides an identical entry found in two files.) Then one entry is
# removed.
kill "$REMOTE_PID"
wait "$REMOTE_PID" 2>/dev/null || true
REMOTE_PID=
one=$(awk 'NR==3' "$D/guest.seqs")
journalctl -o export -D "$D/remote" JIT_SEQ_ID="${one% *}" JIT_SEQ="${one#* }" |
        "$JREMOTE" -o "$D/remote/run2.journal" - 2>/dev/null
chk_rc=0
"$JITCTL" audit --check-sequence --directory "$D/remote" >"$D/check1" 2>&1 || chk_rc=$?
sed 's/^/#   check: /' "$D/check1"
check "jitctl audit --check-sequence: no gap (exit 0, got $chk_rc)" test "$chk_rc" = 0
check "… and reports the resent entry as a duplicate" grep -qE ' 0 missing, [1-9][0-9]* duplicates?' "$D/check1"

mkdir "$D/cut"
gone=$(awk 'NR==5 { print $2 }' "$D/guest.seqs")
journalctl -o export -D "$D/remote" | python3 -c '
import sys
gone = sys.argv[1].encode()
block = []
def out():
    if b"JIT_SEQ=" + gone + b"\n" not in b"".join(block):
        sys.stdout.buffer.write(b"".join(block))
for line in sys.stdin.buffer:
    block.append(line)
    if line == b"\n":
        out(); block = []
if block: out()' "$gone" | "$JREMOTE" -o "$D/cut/cut.journal" - 2>/dev/null
chk_rc=0
"$JITCTL" audit --check-sequence --directory "$D/cut" >"$D/check2" 2>&1 || chk_rc=$?
sed 's/^/#   check: /' "$D/check2"
check "with entry $gone removed: --check-sequence exits 1 (got $chk_rc)" test "$chk_rc" = 1
check "… and names it missing" grep -qx "  missing: $gone" "$D/check2"

# ---- jitctl audit answers ------------------------------------------------------

# answer DESCRIPTION EXPECTED ARGS…: the "event user grant" lines of jitctl
# audit --json ARGS, on the guest's journal and on the forwarded one.
answer() {
        local what=$1 want=$2 got rgot
        shift 2
        got=$(gjitctl audit --json "$@" | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l); print(o["event"], o.get("user", "-"), o.get("grant", "-"))' | sort | uniq | tr '\n' ';')
        rgot=$("$JITCTL" audit --directory "$D/remote" --json "$@" | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l); print(o["event"], o.get("user", "-"), o.get("grant", "-"))' | sort | uniq | tr '\n' ';')
        check "jitctl audit $* → $what ('$got')" test "$got" = "$want"
        check "… the same from the forwarded journal" test "$rgot" = "$want"
}
answer "alice's allowed login and sudo" \
        "login-allowed alice g-alice;sudo-allowed alice g-alice-sudo;" --user alice --outcome allowed
answer "the denials: dave's login, bob's sudo" \
        "login-denied dave -;sudo-denied bob -;" --outcome denied --since "@$T_HIST"
answer "the ended sessions: bob's (expiry), carol's (revocation)" \
        "session-ended bob g-bob;session-ended carol g-carol;" --outcome ended
answer "grant g-carol: allowed, then ended" \
        "login-allowed carol g-carol;session-ended carol g-carol;" --grant g-carol --event login-allowed --event session-ended
answer "ticket INC-bob, before the receiver died: nothing" "" --ticket INC-bob --until "@$((T_MID - 1))" --outcome allowed
gjitctl audit --outcome ended >"$D/ended.txt"
sed 's/^/#   audit: /' "$D/ended.txt"
check "the table says why bob's session ended (expired)" grep -qE 'session-ended +bob .*expir' "$D/ended.txt"
check "… and why carol's did (revoked)" grep -qE 'session-ended +carol .*revok' "$D/ended.txt"
check "jitctl audit --host pay-db-1 (the forwarded journal) finds the host's entries" \
        bash -c "'$JITCTL' audit --directory '$D/remote' --host pay-db-1 --json | grep -q login-allowed"

# ---- FSS verification -----------------------------------------------------------

guest journalctl --sync
guest journalctl --rotate
sealed=$(guest sh -c 'ls -t /var/log/journal/*/system@*.journal | head -1')
# journald sets an archived file offline in a thread of its own after
# --rotate has returned: until then its tail may still be written, and
# --verify sees a half-written object. Up to 5 tries, 1 s apart.
for try in 1 2 3 4 5; do
        ver_rc=0
        guest journalctl --verify --verify-key="$FSS_KEY" --file="$sealed" >"$D/verify" 2>&1 || ver_rc=$?
        ((ver_rc == 0)) && break
        echo "# verify try $try: exit $ver_rc"
        sleep 1
done
sed 's/^/#   verify: /' "$D/verify"
check "journalctl --verify --verify-key passes on the sealed journal $sealed (exit $ver_rc)" test "$ver_rc" = 0
check "… and checked its seals ('Validated from …', nothing left unsealed)" \
        grep -q 'Validated from .*final 0 entries not sealed' "$D/verify"
cp "$(groot "$sealed")" "$D/tampered.journal"
python3 - "$D/tampered.journal" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.find(b"JIT_USER=alice")
assert i > 0, "no JIT_USER=alice in the sealed file"
b[i + 9] ^= 0x01  # alice -> `lice
open(p, "wb").write(b)
EOF
ver_rc=0
journalctl --verify --verify-key="$FSS_KEY" --file="$D/tampered.journal" >"$D/verify2" 2>&1 || ver_rc=$?
sed 's/^/#   verify (changed copy): /' "$D/verify2" | head -3
check "… and fails on a copy with one byte of an audit entry changed (exit $ver_rc)" test "$ver_rc" != 0

# ---- jitctl status: stale, agent down ---------------------------------------------

# A head fresh for 8 s (the agent takes it within its 5 s poll; a head
# already past its exp is refused, which would read "unreachable") that
# nothing replaces: stale, still admitting (keep).
publish --head-ttl 8s
for _ in $(seq 300); do
        st_rc=0
        gjitctl status >"$D/status-stale" 2>&1 || st_rc=$?
        grep -q 'stale-but-admitting' "$D/status-stale" && break
        sleep 0.1
done
sed -n '1,6s/^/#   status: /p' "$D/status-stale"
check "jitctl status: stale exits 4 (got $st_rc)" test "$st_rc" = 4
check "… and says stale-but-admitting, stale_policy = keep" \
        bash -c "grep -q '^store: *stale-but-admitting' '$D/status-stale' && grep -q 'stale_policy = keep' '$D/status-stale'"
gjitctl status --json >"$D/status.json" || true
check "jitctl status --json: store.state, exit" python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["store"]["state"] == "stale-but-admitting" and o["exit"] == 4 and o["agent"]["running"]' "$D/status.json"

guest systemctl stop jit-agent
st_rc=0
gjitctl status >"$D/status-down" 2>&1 || st_rc=$?
sed -n '1,3s/^/#   status: /p' "$D/status-down"
check "jitctl status: agent down exits 5 (got $st_rc)" test "$st_rc" = 5
check "… and says the agent is not running" grep -q '^agent: *NOT RUNNING' "$D/status-down"

log "timings: total $(elapsed "$T_START") s"
summary
