#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The real jit-agent against hostile stores of the new format (a signed head
# and content-addressed shards, docs/bundle-format.md): nginx on 127.0.0.1
# with a test CA, stores made by the real jitctl, then altered here. Each
# alteration must be refused with a message naming it, nothing applied
# (state_dir/state, users/, keys unchanged), and expiry still enforced at
# its second meanwhile:
#   H1 a shard whose bytes are not its digest (same size);
#   H2 a shard longer than the head says (over its limit);
#   H3 a shard missing (404);
#   H4 a shard that never ends (a chunked body, no Content-Length);
#   H5 a head listing a million shards;
#   H6 a head past its exp (the store stopped publishing: stale policy).
# Then new facts (the labels change on SIGHUP): the held head is applied
# again at once, fetching the shard the new label needs.
# And the shards of a head come in one jit-fetch run (R1: counted through a
# wrapper of the helper, over one nginx connection); a bad shard in the
# middle of a run refuses the whole head, the shards after it unfetched (R2).
# An older head and the same serial with other bytes are the rollback
# cases of test-agent-store.sh (4, 5). Also: a grant for another label sits
# in a shard this host never fetches (nginx's access log) and never
# reaches users/.
#
# test-store-hostile.sh JIT_AGENT JITCTL
#
# Root only. Every process started here is ended here, by PID. About 30 s.
set -euo pipefail

AGENT=${1:-}
JITCTL=${2:-}
REAL_HELPER=${JIT_FETCH_HELPER:-$(dirname "${1:-.}")/../jit-fetch/jit-fetch}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/agent-store/lib.sh
. "$HERE/lib.sh"

nginx_require
"$PY" -c 'import cryptography' 2>/dev/null || die "python3-cryptography not found"
NGINX_PID=
PYSRV_PID=
CLEANUP_PIDS=(NGINX_PID PYSRV_PID)
store_test_init store-hostile
FAIL_LOGS=("agent log:$D/agent.log:40" "nginx access log:$D/nginx/access.log:30")
mkdir -p "$D/www/objects" "$D/split"
# The real helper, each run logged (one line of arguments) to $D/helper.calls.
printf '#!/bin/bash\nprintf "%%s\\n" "$*" >>%q\nexec %q "$@"\n' "$D/helper.calls" "$REAL_HELPER" >"$D/helper"
chmod 0755 "$D/helper"
export JIT_FETCH_HELPER=$D/helper
runs() { wc -l <"$D/helper.calls"; }

test_ca "jit-store-hostile test CA"
ssh_keys alice bob erin mallory

PORT=$(free_port)
STORE_URL="https://127.0.0.1:$PORT/head.jwt"
# write_conf URL [LABELS]
write_conf() {
        HOST_LABELS=${2:-env=prod, role=db} store_write_conf "bundle_url = $1
poll_interval = 5s"
}
echo "host=pay-db-1,env=prod,role=db" >"$D/facts"

# publish [OPTIONS]: 4096 bins, so env=dev's bin is not one of this host's.
publish_bins() { publish --bins 4096 "$@"; }
# serve: the store's objects, then its head, into nginx's root.
serve() { place_head "$D/store/head.jwt" "$D/store/objects" "$D/www"; }
users_list() { ls "$D/host/state/users" 2>/dev/null | tr '\n' ' '; }

# shellcheck disable=SC2016 # nginx's variables
store_nginx_conf '$msec $status "$request" bytes=$body_bytes_sent conn=$connection' application/octet-stream
nginx_start "$D/nginx" "$PORT"
"$PY" "$HERE/store-server.py" "$D/pysrv.ports" "$D/pysrv.log" "$D/pki/server.pem" \
        "$D/pki/server.key" "$D/split" </dev/null >"$D/pysrv.out" 2>&1 &
# shellcheck disable=SC2034 # ended through CLEANUP_PIDS
PYSRV_PID=$!
wait_for 5 test -s "$D/pysrv.ports" || die "store-server.py did not start"
SPLIT_PORT=$(awk '$1 == "split" { print $2 }' "$D/pysrv.ports")

# ---- serial 1: alice and erin (env=prod), mallory (env=dev) ----------------
grant alice alice-1 10m env=prod
grant bob bob-h1 10m host=pay-db-1
grant bob bob-r1 10m role=db
grant erin erin-1 25s env=prod,role=db
grant mallory mallory-1 10m env=dev
publish_bins
serve
ERIN_EXP=$(claim "$D/store/grants/erin-1.jwt" exp)
mapfile -t HOST1 < <(host_objects)
MALLORY_OBJ=$(grep -lF "$(cat "$D/store/grants/mallory-1.jwt")" "$D"/store/objects/* | xargs -n1 basename)
write_conf "$STORE_URL"

# Not under JIT_AGENT_WRAPPER (valgrind): the hostile cases' windows are short.
JIT_AGENT_WRAPPER='' agent_start

say "serial 1: a grant of this host's label, a grant of another label"
wait_for 6 state_serial_is 1 || die "no serial 1 within 6 s"
wait_for 2 test -f "$KEYS/alice" -a -f "$KEYS/erin" || true
check "8: alice's grant (env=prod, this host's label) installs her key" test -f "$KEYS/alice"
check "8: mallory's grant (env=dev) is in object ${MALLORY_OBJ:0:12}…, not one of this host's" \
        bash -c "[[ -n '$MALLORY_OBJ' ]] && ! printf '%s\n' ${HOST1[*]} | grep -qx '$MALLORY_OBJ'"
check "8: nginx never served that object" bash -c "! grep -q '/objects/$MALLORY_OBJ' '$D/nginx/access.log'"
check "8: nginx served this host's objects (${#HOST1[@]})" \
        bash -c "for o in ${HOST1[*]}; do grep -q \" 200 \\\"GET /objects/\$o \" '$D/nginx/access.log' || exit 1; done"
check "8: no users/mallory, no keys/mallory" test ! -e "$D/host/state/users/mallory" -a ! -e "$KEYS/mallory"
# conn=N of each /objects/ request in nginx's log.
object_conns() { grep '"GET /objects/' "$D/nginx/access.log" | sed 's/.* conn=//' | sort -u; }
check "R1: serial 1 needs several shards (${#HOST1[@]})" test "${#HOST1[@]}" -ge 3
check "R1: two helper runs: the head, then all ${#HOST1[@]} shards in one ($(runs) runs)" \
        test "$(runs)" -eq 2 -a "$(sed -n 2p "$D/helper.calls" | grep -o -- '--object=' | wc -l)" -eq "${#HOST1[@]}"
check "R1: … over one connection (nginx: $(object_conns | wc -l))" test "$(object_conns | wc -l)" -eq 1

# ---- serial 2, then the hostile versions of it ------------------------------
grant bob bob-1 10m env=prod
grant bob bob-2 10m host=pay-db-1
grant bob bob-3 10m role=db
publish_bins
mapfile -t HOST2 < <(host_objects)
NEW=
NEWS=()
for o in "${HOST2[@]}"; do printf '%s\n' "${HOST1[@]}" | grep -qx "$o" || { NEW=$o; NEWS+=("$o"); }; done
[[ -n $NEW ]] || die "serial 2 has no new object for this host"
SIZE=$(stat -c %s "$D/store/objects/$NEW")
KD1=$(keys_digest)
U1=$(users_list)
SHA1=$(state_get bundle-sha256)

# nothing_applied TAG: serial 1 with its bytes, the same users and keys.
nothing_applied() {
        check "$1: nothing applied (serial 1, its head, users, keys)" \
                test "$(state_get serial) $(state_get bundle-sha256) $(users_list) $(keys_digest)" = "1 $SHA1 $U1 $KD1"
}
# hostile TAG REGEX: poll now; the refusal must match REGEX.
hostile() {
        local m
        m=$(log_lines)
        kill -HUP "$AGENT_PID" # also resets the backoff
        # 15 s: a sanitized agent and helper beside other tests can take
        # seconds; a helper that hung instead would be killed at the run's
        # deadline (9 s here) with another message, and fail the check.
        if wait_for 15 has_log_since "$m" "$2"; then
                pass "$1: $(log_since "$m" | grep -m1 -E "$2" | cut -d' ' -f2-)"
        else
                fail "$1: no line matching '$2' within 15 s: $(log_since "$m" | tail -n 3 | tr '\n' ' ')"
        fi
        nothing_applied "$1"
        # erin's key goes at her exp while the store is hostile.
        KD1=$(keys_digest)
        U1=$(users_list)
}

say "R2: a bad shard in the middle of a run"
serve
MID=${NEWS[1]:-}
"$PY" -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[10] ^= 1; open(p, "wb").write(b)' "$D/www/objects/$MID"
R0=$(runs)
A0=$(wc -l <"$D/nginx/access.log")
hostile R2 "store update rejected: shard $MID .*do not hash to the object's name"
RUN=$(sed -n "$((R0 + 2))p" "$D/helper.calls")
OBJS=$(grep -o -- "--object=[0-9a-f]*" <<<"$RUN" | cut -d= -f2)
check "R2: ${#NEWS[@]} new shards in one run, the bad one second" \
        test "${#NEWS[@]}" -ge 3 -a "$(sed -n 2p <<<"$OBJS")" = "$MID"
LAST=$(tail -n1 <<<"$OBJS")
check "R2: the shard after it was never asked of nginx" \
        bash -c "! tail -n +$((A0 + 1)) '$D/nginx/access.log' | grep -q '/objects/$LAST'"
FIRST=$(head -n1 <<<"$OBJS")
check "R2: the shard before it is saved, unapplied (state_dir/shards/${FIRST:0:12}…)" \
        test -f "$D/host/state/shards/$FIRST"
cp "$D/store/objects/$MID" "$D/www/objects/$MID"

say "H1: a shard whose bytes are not its digest"
serve
"$PY" -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[10] ^= 1; open(p, "wb").write(b)' "$D/www/objects/$NEW"
hostile H1 "store update rejected: shard $NEW .*do not hash to the object's name"

say "H2: a shard longer than the head says"
cp "$D/store/objects/$NEW" "$D/www/objects/$NEW"
head -c 100 /dev/zero >>"$D/www/objects/$NEW"
hostile H2 "store update rejected: shard $NEW .*body larger than $SIZE bytes"

say "H3: a shard missing (404)"
rm -f "$D/www/objects/$NEW"
hostile H3 "store update rejected: shard $NEW .*HTTP 404"

say "H4: a shard that never ends"
cp "$D/store/head.jwt" "$D/split/head.jwt"
write_conf "https://127.0.0.1:$SPLIT_PORT/head.jwt"
hostile H4 "store update rejected: shard [0-9a-f]{64} .*body larger than [0-9]+ bytes"
check "H4: the shard's body was the endless one" grep -q '^endless-body /objects/' "$D/pysrv.log"
write_conf "$STORE_URL"

say "H5: a head listing a million shards"
"$PY" - "$D/keys/signing.key" unused "$D/www/head.jwt" "$ISS" <<'PYEOF'
import base64, json, sys, time
from cryptography.hazmat.primitives import serialization
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
head = open(sys.argv[3]).read().strip()
hdr = json.loads(base64.urlsafe_b64decode(head.split(".")[0] + "=="))
now = int(time.time())
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
shards = ",".join('[%d,1,"%064x"]' % (i % 4096, i) for i in range(1000000))
claims = '{"iss":"%s","iat":%d,"exp":%d,"serial":9,"bins":4096,"revoked":[],"shards":[%s]}' % (
    sys.argv[4], now, now + 900, shards)
si = b64(json.dumps(hdr, separators=(",", ":")).encode()) + b"." + b64(claims.encode())
tok = si + b"." + b64(key.sign(si))
open(sys.argv[3] + ".tmp", "wb").write(tok + b"\n")
PYEOF
mv -f "$D/www/head.jwt.tmp" "$D/www/head.jwt"
hostile H5 "store fetch failed .*body larger than 4194304 bytes"
check "H5: the head was over 64 MB" test "$(stat -c %s "$D/www/head.jwt")" -gt 64000000

say "H6: a head past its exp"
NOW=${EPOCHREALTIME%.*}
publish_bins --now $((NOW - 3600)) --head-ttl 15m
serve
hostile H6 "store update rejected: head serial [0-9]+ expired [0-9]+ s ago .*\(stale\)"

say "expiry is enforced all along"
if wait_for "$(awk -v e="$ERIN_EXP" -v n="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (e - n + 2 > 0.1 ? e - n + 2 : 0.1) }')" no_file "$KEYS/erin"; then
        check "erin's key went $(fsub "$EPOCHREALTIME" "$ERIN_EXP") s after her exp (window 0..1 s)" \
                in_range "$(fsub "$EPOCHREALTIME" "$ERIN_EXP")" -1 1
else
        fail "keys/erin still there 2 s after her exp"
fi

say "control: the same store, served whole"
publish_bins
serve
M=$(log_lines)
kill -HUP "$AGENT_PID"
if wait_for 5 has_log_since "$M" 'head serial [0-9]+ accepted'; then
        pass "control: $(log_since "$M" | grep -m1 -E 'head serial [0-9]+ accepted' | cut -d' ' -f2-)"
else
        fail "control: the store served whole is not accepted within 5 s"
fi
wait_for 2 test -f "$KEYS/bob" || true
check "control: keys/bob installed" test -f "$KEYS/bob"
check "control: still no users/mallory" test ! -e "$D/host/state/users/mallory"
check "control: nginx never served mallory's object" bash -c "! grep -q '/objects/$MALLORY_OBJ' '$D/nginx/access.log'"
say "new facts: the labels become env=dev"
write_conf "$STORE_URL" "env=dev, role=db"
M=$(log_lines)
kill -HUP "$AGENT_PID"
if wait_for 5 has_log_since "$M" 'head serial [0-9]+ accepted'; then
        pass "facts: the held head applied again at once: $(log_since "$M" | grep -m1 -E 'head serial [0-9]+ accepted' | cut -d' ' -f2-)"
else
        fail "facts: the head was not applied again within 5 s of the new labels"
fi
check "facts: mallory's shard (env=dev) fetched now" bash -c "grep -q ' 200 \"GET /objects/$MALLORY_OBJ ' '$D/nginx/access.log'"
wait_for 2 test -f "$KEYS/mallory" || true
check "facts: keys/mallory installed" test -f "$KEYS/mallory"
check "facts: alice's env=prod grant is gone with the label" test ! -e "$D/host/state/users/alice"
check "agent still running" agent_alive
agent_term
rc=$AGENT_RC
check "SIGTERM: exit status 0 (got $rc)" test "$rc" -eq 0
summary
