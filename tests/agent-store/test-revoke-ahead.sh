#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A signed head's revocations take effect even when its shards cannot be
# fetched (docs/bundle-format.md, "Revocations ahead of the shards"): the
# real jit-agent, nginx on 127.0.0.1 with a test CA serving stores made by
# the real jitctl, real login sessions opened through the built pam_jit.so
# (pam-txn.py: libpam's pam_start_confdir() on a test stack, pam_loginuid
# giving each session its own audit session id), and pam_jit asked again
# after each step.
#   1. a head revoking alice-1 whose new shard is missing (404): alice's
#      session ends and pam_jit refuses her within seconds, bob still
#      admitted, carol's new grant not admitted, the 404 logged, the
#      accepted serial unchanged;
#   2. the agent restarted while the shard is still missing: alice stays
#      refused; restarted again with the store serving the accepted head
#      (which it applies in full again, for its start): still refused;
#   3. heads listing bob-1 as revoked that must revoke nothing: signed by a
#      stranger's key under the trusted kid, unsigned (alg none), past their
#      exp, the accepted serial with other bytes;
#   4. a newer head revoking erin-1 whose new shard is corrupt (not its
#      digest): erin's session ends, alice stays refused;
#   5. the shards appear: the head is applied in full as before;
#   6. the control of case 3: a head of the same maker, signed by the
#      trusted key and fresh (its shard missing), does revoke bob-1 ahead.
#
# test-revoke-ahead.sh JIT_AGENT JITCTL
#
# Root only (sessions need their own audit session ids). Every process
# started here is ended here, by PID. About 5 s.
set -euo pipefail

AGENT=${1:-}
JITCTL=${2:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/agent-store/lib.sh
. "$HERE/lib.sh"
PY=/usr/bin/python3
NGINX=/usr/sbin/nginx
ISS=https://jit.example.com
PAM_MODULE=${JIT_PAM_MODULE:-}
LOGINUID=
for p in /lib/x86_64-linux-gnu/security /usr/lib/x86_64-linux-gnu/security /lib/security \
        /usr/lib/security /usr/lib64/security /lib64/security; do
        [[ -e $p/pam_loginuid.so ]] && LOGINUID=$p/pam_loginuid.so && break
done

require_root
[[ -x $AGENT ]] || die "jit-agent not found: '$AGENT'"
[[ -x $JITCTL ]] || die "jitctl not found: '$JITCTL'"
[[ -f $PAM_MODULE ]] || die "pam_jit.so not found (JIT_PAM_MODULE): '$PAM_MODULE'"
[[ -n $LOGINUID ]] || die "pam_loginuid.so not found (libpam-modules)"
[[ -x $NGINX ]] || die "$NGINX not found (install nginx-light)"
[[ -x $PY ]] || die "$PY not found"
command -v openssl >/dev/null || die "openssl not found"
command -v unshare >/dev/null || die "unshare not found (util-linux)"
"$PY" -c 'import cryptography' 2>/dev/null || die "python3-cryptography not found"

AGENT_PID=
STAMP_PID=
NGINX_PID=
SESSION_PIDS=()
cleanup() {
        local rc=$?
        stop_pid "$AGENT_PID"
        stop_pid "$STAMP_PID"
        stop_pid "$NGINX_PID"
        for p in "${SESSION_PIDS[@]}"; do stop_pid "$p"; done
        if ((rc != 0 || failed != 0)) && [[ -n ${D:-} ]]; then
                echo "# ---- agent log ----"
                sed 's/^/#   /' "$D/agent.log" 2>/dev/null | tail -60 || true
                echo "# ---- pam ----"
                sed 's/^/#   /' "$D/pam.log" 2>/dev/null | tail -30 || true
        fi
        if [[ -n ${D:-} && -z ${KEEP_TEST_DIR:-} ]]; then rm -rf "$D"; fi
        exit "$rc"
}

umask 022
D=$(mktemp -d /tmp/jit-revoke-ahead.XXXXXX)
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 0755 "$D"
mkdir -p "$D/host/state" "$D/keys" "$D/store/grants" "$D/www/objects" "$D/nginx/tmp" "$D/pki" \
        "$D/ssh" "$D/pam.d" "$D/saved"
chmod 0755 "$D/host" "$D/host/state" "$D/www" "$D/nginx"
chmod 0700 "$D/keys"
: >"$D/pam.log"

(
        cd "$D/pki"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
                -out ca.pem -days 2 -subj "/CN=jit-revoke-ahead test CA" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
                -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                -extfile server.ext -out server.pem 2>/dev/null
)
install -m 0644 -o root -g root "$D/pki/ca.pem" "$D/host/ca.pem"
"$JITCTL" keygen --out "$D/keys/signing" >/dev/null
install -m 0644 -o root -g root "$D/keys/signing.jwks" "$D/host/trust.jwks"
for u in alice bob carol dave erin; do
        ssh-keygen -q -t ed25519 -N '' -C "$u@jit-test" -f "$D/ssh/$u" >/dev/null
done

PORT=$(free_port)
cat >"$D/host/jit.conf" <<CONF
issuers = $ISS
trust_store = $D/host/trust.jwks
state_dir = $D/host/state
run_dir = $D/host/run
host_id = pay-db-1
labels = env=prod, role=db
bundle_url = https://127.0.0.1:$PORT/head.jwt
ca_file = $D/host/ca.pem
poll_interval = 60s
fetch_timeout = 2s
kill_grace = 2s
CONF
chmod 0644 "$D/host/jit.conf"
echo "host=pay-db-1,env=prod,role=db" >"$D/facts"

# The users exist only in the sessions' mount namespace (a passwd file of
# the test's own bound over /etc/passwd): pam_loginuid and pam_jit's session
# hook look them up.
cp /etc/passwd "$D/passwd"
uid=64201
for u in alice bob carol dave erin; do
        echo "$u:x:$uid:$uid::/nonexistent:/usr/sbin/nologin" >>"$D/passwd"
        uid=$((uid + 1))
done
chmod 0644 "$D/passwd"
# pam-txn.py: libpam in python3; in a sanitized build the module needs the
# sanitizer runtimes loaded first (meson sets JIT_PAM_PRELOAD then), and
# python's own leaks are not this test's.
PAM_TXN=("$PY" "$HERE/pam-txn.py")
if [[ -n ${JIT_PAM_PRELOAD:-} ]]; then
        PAM_TXN=(env "LD_PRELOAD=$JIT_PAM_PRELOAD" "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
                "${PAM_TXN[@]}")
fi
in_ns() {
        unshare -m --propagation private /bin/bash -c 'mount --bind "$1" /etc/passwd && shift && exec "$@"' \
                _ "$D/passwd" "$@"
}
cat >"$D/pam.d/sshd" <<STACK
account  required $PAM_MODULE config=$D/host/jit.conf
session  required $LOGINUID
session  required $PAM_MODULE config=$D/host/jit.conf
STACK
printf 'account required pam_deny.so\nsession required pam_deny.so\n' >"$D/pam.d/other"
# pam_ok USER: pam_jit's account hook admits USER (as sshd would ask).
pam_ok() {
        echo "## $(elapsed) account $1" >>"$D/pam.log"
        in_ns "${PAM_TXN[@]}" "$D/pam.d" sshd "$1" account >>"$D/pam.log" 2>&1
}
# pam_refuses USER WORD: refused, and the user is told WORD.
pam_refuses() {
        local out rc=0
        out=$(in_ns "${PAM_TXN[@]}" "$D/pam.d" sshd "$1" account 2>&1) || rc=$?
        printf '## %s account %s (want refused: %s)\n%s\n' "$(elapsed)" "$1" "$2" "$out" >>"$D/pam.log"
        ((rc == 1)) && grep -qi -- "$2" <<<"$out"
}
# session_open USER: a login session through the real stack, left running;
# its pid in SPID, its audit session id in SSID.
session_open() {
        rm -f "$D/$1.pid"
        in_ns "${PAM_TXN[@]}" "$D/pam.d" sshd "$1" session "$D/$1.pid" \
                >>"$D/pam.log" 2>&1 </dev/null &
        SESSION_PIDS+=($!)
        wait_for 5 test -s "$D/$1.pid" || die "no session for $1 (see pam.log)"
        read -r SPID SSID <"$D/$1.pid"
}

# grant USER JTI AUD
grant() {
        "$JITCTL" issue --key "$D/keys/signing.key" --iss "$ISS" --sub "$1" --aud "$3" \
                --scope ssh --ssh-key-file "$D/ssh/$1.pub" --ttl 20m --jti "$2" \
                --ticket INC-1 --approver bob --out "$D/store/grants/$2.jwt" >/dev/null
}
publish() {
        "$JITCTL" publish --store "$D/store" --key "$D/keys/signing.key" --iss "$ISS" \
                --trust "$D/host/trust.jwks" --bins 4096 | sed 's/^/#   publish: /'
}
host_objects() {
        "$JITCTL" store plan --store "$D/store" --facts-file "$D/facts" | tr ' ' '\n' |
                sed -n 's/^\([0-9a-f]\{64\}\):.*/\1/p'
}
# serve_head FILE: FILE as the served head (objects already in place).
SERVE_N=0
serve_head() {
        SERVE_N=$((SERVE_N + 1))
        cp "$1" "$D/www/.head.tmp"
        touch -d "@$((${T0%.*} - 100000 + SERVE_N))" "$D/www/.head.tmp"
        mv -f "$D/www/.head.tmp" "$D/www/head.jwt"
}
serve() {
        cp -n "$D"/store/objects/* "$D/www/objects/" 2>/dev/null || true
        serve_head "$D/store/head.jwt"
}
# new_objects: this host's objects of the store's head that it does not hold.
new_objects() {
        local o
        for o in $(host_objects); do [[ -e $D/host/state/shards/$o ]] || echo "$o"; done
}

STATE=$D/host/state/state
KEYS=$D/host/run/keys
USERS=$D/host/state/users
EARLY=$D/host/state/revoked-early

cat >"$D/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $D/nginx/nginx.pid;
error_log $D/nginx/error.log notice;
events { worker_connections 64; }
http {
        access_log $D/nginx/access.log;
        client_body_temp_path $D/nginx/tmp/body;
        proxy_temp_path $D/nginx/tmp/proxy;
        fastcgi_temp_path $D/nginx/tmp/fastcgi;
        uwsgi_temp_path $D/nginx/tmp/uwsgi;
        scgi_temp_path $D/nginx/tmp/scgi;
        default_type application/octet-stream;
        etag on;
        server {
                listen 127.0.0.1:$PORT ssl;
                ssl_certificate $D/pki/server.pem;
                ssl_certificate_key $D/pki/server.key;
                root $D/www;
        }
}
CONF
"$NGINX" -p "$D/nginx" -c "$D/nginx/nginx.conf" -e "$D/nginx/error.log" </dev/null \
        >>"$D/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
wait_for 5 "$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' \
        "$PORT" || die "nginx does not listen on 127.0.0.1:$PORT"

mkfifo "$D/agent.fifo"
: >"$D/agent.log"
# Opened read-write: the agent is restarted, and a reader would see the
# end of the file at the first agent's exit.
(while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done) <>"$D/agent.fifo" >"$D/agent.log" &
STAMP_PID=$!
agent_start() {
        env -u NOTIFY_SOCKET -u WATCHDOG_USEC -u WATCHDOG_PID \
                "$AGENT" --config "$D/host/jit.conf" </dev/null >>"$D/agent.stdout" 2>"$D/agent.fifo" &
        AGENT_PID=$!
}
agent_stop() {
        kill -TERM "$AGENT_PID"
        wait "$AGENT_PID" || true
        AGENT_PID=
}
# poll_now REGEX WHAT: a poll now (SIGHUP); its outcome must match REGEX.
poll_now() {
        local m
        m=$(log_lines)
        T_POLL=$EPOCHREALTIME
        kill -HUP "$AGENT_PID"
        if wait_for 6 has_log_since "$m" "$1"; then
                pass "$2: $(log_since "$m" | grep -m1 -E "$1" | cut -d' ' -f2- | cut -c1-160)"
        else
                fail "$2: no log line matching '$1' within 6 s"
        fi
        MARK=$m
}

# ---- serial 1: alice (env=prod), bob (host=pay-db-1), erin (role=db) -------
grant alice alice-1 env=prod
grant bob bob-1 host=pay-db-1
grant erin erin-1 role=db
publish
serve
cp "$D/store/head.jwt" "$D/saved/serial1.jwt"
agent_start
say "serial 1"
wait_for 6 state_serial_is 1 || die "no serial 1 within 6 s"
wait_for 3 test -f "$KEYS/alice" -a -f "$KEYS/bob" -a -f "$KEYS/erin" || die "keys not installed"
check "0: pam_jit admits alice" pam_ok alice
check "0: pam_jit admits bob" pam_ok bob
session_open alice
ALICE_PID=$SPID ALICE_SID=$SSID
session_open erin
ERIN_PID=$SPID ERIN_SID=$SSID
check "0: alice's session recorded (audit session $ALICE_SID, pid $ALICE_PID)" \
        test -f "$D/host/run/sessions/$ALICE_SID"
check "0: erin's session recorded (audit session $ERIN_SID)" test -f "$D/host/run/sessions/$ERIN_SID"
SHA1=$(state_get bundle-sha256)
HEAD1=$(sha256sum <"$D/host/state/head.jwt")

# ---- 1: a head revoking alice-1 whose new shard is missing ------------------
say "1: serial 2 revokes alice-1, adds carol-1; its new shard answers 404"
"$JITCTL" revoke --store "$D/store" alice-1 | sed 's/^/#   revoke: /'
grant carol carol-1 host=pay-db-1
publish
cp "$D/store/head.jwt" "$D/saved/serial2.jwt"
mapfile -t NEW2 < <(new_objects)
((${#NEW2[@]} > 0)) || die "serial 2 has no new object for this host"
serve
for o in "${NEW2[@]}"; do rm -f "$D/www/objects/$o"; done
poll_now "store update rejected: shard [0-9a-f]{64} of head serial 2: .*HTTP 404.*; only its revocations applied" "1: the agent logs the missing shard, and that the revocations were applied"
if wait_dead "$ALICE_PID" 5; then
        check "1: alice's session ended $(fsub "$T_DEAD" "$T_POLL") s after the poll (≤ 3 s)" \
                le "$(fsub "$T_DEAD" "$T_POLL")" 3
else
        fail "1: alice's session (pid $ALICE_PID) still runs 5 s after the poll"
fi
check "1: logged: revocations applied ahead of the shards" \
        has_log_since "$MARK" "head serial 2: 1 revocation applied ahead of its shards"
check "1: the session-ended event names the revocation" \
        has_log_since "$MARK" "session $ALICE_SID of alice: the access grant was revoked"
check "1: pam_jit refuses alice: revoked" pam_refuses alice revoked
check "1: keys/alice removed" wait_for 2 test ! -e "$KEYS/alice"
check "1: pam_jit still admits bob (not revoked)" pam_ok bob
check "1: keys/bob stays" test -f "$KEYS/bob"
check "1: erin's session still runs" proc_alive "$ERIN_PID"
check "1: carol's new grant is not admitted (its shard is missing)" pam_refuses carol "no access grant"
check "1: the accepted serial stays 1, with its bytes and head.jwt" \
        test "$(state_get serial) $(state_get bundle-sha256) $(sha256sum <"$D/host/state/head.jwt")" = "1 $SHA1 $HEAD1"
check "1: no users/carol" test ! -e "$USERS/carol"
check "1: state_dir/revoked-early: serial 2, revoked alice-1" \
        test "$(cat "$EARLY" 2>/dev/null | tr '\n' ' ')" = "serial 2 revoked alice-1 "
check "1: state_dir/revoked lists alice-1" grep -qx alice-1 "$D/host/state/revoked"
check "1: users/alice lists it, still at serial 1" \
        bash -c "grep -qx 'revoked alice-1' '$USERS/alice' && head -n1 '$USERS/alice' | grep -qx 'serial 1'"

# ---- 2: restarts while the shard is missing ---------------------------------
say "2: the agent restarted while the shard is still missing"
agent_stop
M=$(log_lines)
agent_start
if wait_for 6 has_log_since "$M" "store update rejected: shard [0-9a-f]{64} of head serial 2: .*HTTP 404"; then
        pass "2: after the restart the head is refused again for its shard"
else
        fail "2: no shard refusal within 6 s of the restart"
fi
check "2: pam_jit still refuses alice" pam_refuses alice revoked
check "2: no keys/alice" test ! -e "$KEYS/alice"
check "2: nothing applied ahead again (in force already)" \
        no_log_since "$M" "applied ahead of its shards"
check "2: pam_jit admits bob" pam_ok bob

say "2: restarted with the store serving the accepted head (serial 1) again"
agent_stop
serve_head "$D/saved/serial1.jwt"
M=$(log_lines)
agent_start
if wait_for 6 has_log_since "$M" "head serial 1 accepted"; then
        pass "2: the agent applies its accepted head in full again at start"
else
        fail "2: serial 1 not applied again within 6 s of the restart"
fi
check "2: pam_jit still refuses alice (kept over an older head's full apply)" pam_refuses alice revoked
check "2: users/alice still lists alice-1" grep -qx 'revoked alice-1' "$USERS/alice"
check "2: still no keys/alice" test ! -e "$KEYS/alice"
check "2: revoked-early kept (serial 2)" grep -qx 'serial 2' "$EARLY"
check "2: pam_jit admits bob" pam_ok bob

# ---- 3: heads that must revoke nothing --------------------------------------
# sign_head MODE SERIAL IAT EXP OUT [REAL]: a head of the shards of REAL
# (default: the real serial 2) that revokes bob-1 (and what REAL revokes).
# MODE: stranger (a new key under the trusted kid), none (alg none, no
# signature), trusted; trusted-404: trusted, its first shard renamed to an
# object the store does not have.
sign_head() {
        "$PY" - "$1" "$2" "$3" "$4" "$5" "$D/keys/signing.key" "${6:-$D/saved/serial2.jwt}" "$ISS" <<'PYEOF'
import base64, json, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
mode, serial, iat, exp, out, keyfile, real, iss = sys.argv[1:9]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
unb64 = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
parts = open(real).read().strip().split(".")
hdr = json.loads(unb64(parts[0]))
claims = json.loads(unb64(parts[1]))
claims.update(iss=iss, iat=int(iat), exp=int(exp), serial=int(serial))
claims["revoked"] = sorted(claims["revoked"] + [["bob-1", int(exp) + 86400]])
if mode == "none":
    hdr["alg"] = "none"
if mode == "trusted-404":
    claims["shards"][0][2] = "e" * 64
si = b64(json.dumps(hdr, separators=(",", ":")).encode()) + b"." + \
    b64(json.dumps(claims, separators=(",", ":")).encode())
if mode == "none":
    sig = b""
elif mode == "stranger":
    sig = ed25519.Ed25519PrivateKey.generate().sign(si)
else:
    sig = serialization.load_pem_private_key(open(keyfile, "rb").read(), None).sign(si)
open(out, "wb").write(si + b"." + b64(sig) + b"\n")
PYEOF
}
NOW=${EPOCHREALTIME%.*}
sign_head stranger 10 "$NOW" $((NOW + 900)) "$D/saved/forged.jwt"
sign_head none 10 "$NOW" $((NOW + 900)) "$D/saved/unsigned.jwt"
sign_head trusted 10 $((NOW - 7200)) $((NOW - 3600)) "$D/saved/stale.jwt"
sign_head trusted 1 "$NOW" $((NOW + 900)) "$D/saved/rollback.jwt"
hostile_head() {
        serve_head "$D/saved/$1.jwt"
        poll_now "store update rejected: .*$2.*; nothing applied" "3 ($1): refused, nothing applied"
        check "3 ($1): nothing applied ahead" no_log_since "$MARK" "applied ahead"
        check "3 ($1): pam_jit admits bob" pam_ok bob
        check "3 ($1): bob-1 in no revoked list" \
                bash -c "! grep -qs bob-1 '$USERS/bob' '$D/host/state/revoked' '$EARLY'"
        check "3 ($1): keys/bob stays" test -f "$KEYS/bob"
}
say "3: a head signed by a stranger's key under the trusted kid"
hostile_head forged "signature"
say "3: an unsigned head (alg none)"
hostile_head unsigned "none|algorithm|alg"
say "3: a head past its exp"
hostile_head stale "expired .*\(stale\)"
say "3: the accepted serial with other bytes"
hostile_head rollback "other bytes .*\(rollback\)"

# ---- 4: a newer head revoking erin-1 whose new shard is corrupt -------------
say "4: serial 3 revokes erin-1, adds dave-1; its new shards are not their digest"
"$JITCTL" revoke --store "$D/store" erin-1 | sed 's/^/#   revoke: /'
grant dave dave-1 role=db
publish
mapfile -t NEW3 < <(new_objects)
serve
for o in "${NEW3[@]}"; do
        "$PY" -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[10] ^= 1; open(p, "wb").write(b)' \
                "$D/www/objects/$o"
done
poll_now "store update rejected: shard [0-9a-f]{12}.*(do not hash|digest)" "4: the agent logs the corrupt shard"
if wait_dead "$ERIN_PID" 5; then
        check "4: erin's session ended $(fsub "$T_DEAD" "$T_POLL") s after the poll (≤ 3 s)" \
                le "$(fsub "$T_DEAD" "$T_POLL")" 3
else
        fail "4: erin's session (pid $ERIN_PID) still runs 5 s after the poll"
fi
check "4: pam_jit refuses erin: revoked" pam_refuses erin revoked
check "4: pam_jit still refuses alice" pam_refuses alice revoked
check "4: pam_jit admits bob" pam_ok bob
check "4: dave's new grant is not admitted" pam_refuses dave "no access grant"
check "4: the accepted serial stays 1" state_serial_is 1
check "4: revoked-early: serial 3, alice-1 and erin-1" \
        test "$(cat "$EARLY" 2>/dev/null | tr '\n' ' ')" = "serial 3 revoked alice-1 revoked erin-1 "

# ---- 5: the shards appear: the full apply -----------------------------------
say "5: the store serves serial 3 whole"
cp "$D"/store/objects/* "$D/www/objects/"
poll_now "head serial 3 accepted" "5: applied in full"
check "5: the accepted serial is 3" state_serial_is 3
check "5: pam_jit admits carol and dave now" eval 'pam_ok carol && pam_ok dave'
check "5: pam_jit refuses alice and erin (the head lists them)" \
        eval 'pam_refuses alice revoked && pam_refuses erin revoked'
check "5: pam_jit admits bob" pam_ok bob
check "5: revoked-early is gone (a head as new applied in full)" test ! -e "$EARLY"
check "5: keys/carol installed" wait_for 2 test -f "$KEYS/carol"

# ---- 6: the control of case 3: the same maker's head, trusted and fresh ----
say "6: a trusted, fresh head of case 3's maker (its shard missing) revokes bob-1"
cp "$D/store/head.jwt" "$D/saved/serial3.jwt"
NOW=${EPOCHREALTIME%.*}
sign_head trusted-404 11 "$NOW" $((NOW + 900)) "$D/saved/control.jwt" "$D/saved/serial3.jwt"
serve_head "$D/saved/control.jwt"
poll_now "head serial 11: 1 revocation applied ahead of its shards" "6: bob-1 revoked ahead"
check "6: pam_jit refuses bob: revoked" pam_refuses bob revoked
check "6: keys/bob removed" wait_for 2 test ! -e "$KEYS/bob"
check "6: the accepted serial stays 3" state_serial_is 3
check "agent still running" agent_alive
agent_stop
summary
