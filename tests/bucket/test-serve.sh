#!/bin/bash
# shellcheck disable=SC2016,SC2034 # checks in single quotes are eval'd: they expand, and read, variables then
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The long-lived fetch helper (jit-fetch --serve, jit-agent/fetch-server.c)
# of a store reached with the instance's credentials: the real jit-agent
# reads a private S3 bucket (moto_server, SigV4 and IAM enforced) through
# sigv4-front.py (which can answer ExpiredToken, which moto never does), with
# role credentials from the metadata fixture. Polls are brought forward
# with SIGHUP (a reload with the same store options keeps the server).
#
#   (b) credentials whose Expiration is a few seconds past the five-minute
#       margin are kept until the margin, then asked again; polls go on;
#   (a) while they are good they are asked once across five polls and more,
#       by one server (same pid);
#   (c) the server SIGKILLed: logged, the next poll starts another, succeeds;
#   (d) the server SIGSTOPped: the request's deadline kills it, the next poll
#       has a new one, and a grant that ends meanwhile is enforced on time;
#   (f) an ExpiredToken refusal: the next request asks for new credentials;
#   (g) a reload that changes the store options replaces the server; one
#       to a store without credentials (file://) ends it;
#   (e) no secret in any process's cmdline or environment, the agent's
#       stderr, or a file under its state and run folders.
#
# test-serve.sh JIT_FETCH MOTO_SERVER PYTHON   (JIT_AGENT, JITCTL: environment)
# Root only (the agent checks its files are root's). About 45 s.
set -euo pipefail

FETCH=${1:-}
MOTO=${2:-}
PYTHON=${3:-python3}
BUCKET_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/tap.sh
. "$BUCKET_DIR/../lib/tap.sh"
# shellcheck source=tests/lib/wait.sh
. "$BUCKET_DIR/../lib/wait.sh"
# shellcheck source=tests/bucket/lib.sh
. "$BUCKET_DIR/lib.sh"

require_root
require_exe jit-fetch "$FETCH"
require_exe "jit-agent (JIT_AGENT)" "${JIT_AGENT:-}"
JITCTL=${JITCTL:-}
[[ -n $MOTO && -x $MOTO ]] || skip_all "moto_server not found (tools/install-deps installs moto)"
"$PYTHON" -c 'import boto3' 2>/dev/null || skip_all "$PYTHON has no boto3 (tools/install-deps)"
require_exe ssh-keygen "$(type -P ssh-keygen)"
export JIT_FETCH_HELPER=$FETCH

D=$(mktemp -d /tmp/jit-bucket-serve.XXXXXX)
chmod 0755 "$D"
AGENT_PID=
cleanup() {
        local rc=$?
        [[ -n $AGENT_PID ]] && stop_pid "$AGENT_PID"
        bucket_cleanup
        [[ -n ${KEEP_TEST_DIR:-} ]] || rm -rf "$D"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BUCKET=jit-store
REGION=us-east-1
ROLE=jit-host
MOTO_PORT=$(free_port)
EP=http://127.0.0.1:$MOTO_PORT

# ---- moto, the role, the store, the front -------------------------------
moto_start "$MOTO" "$MOTO_PORT"
"$PYTHON" "$BUCKET_DIR/s3-setup.py" "$EP" "$BUCKET" demo "$REGION" "$ROLE" >"$D/creds.json" ||
        die "s3-setup.py failed"
read -r SK TK < <("$PYTHON" -c '
import json, sys; c = json.load(open(sys.argv[1]))
print(c["SecretAccessKey"], c["Token"])' "$D/creds.json")
# The secrets, for grep -f: never on a command line of ours.
printf '%s\n' "$SK" "$TK" >"$D/secrets"

front_start "$MOTO_PORT"
FRONT=$FRONT_URL

metadata_start
# creds FILE EXPIRATION: the fixture serves the role's credentials of FILE
# (s3-setup.py's JSON), ending at EXPIRATION (epoch seconds).
creds() {
        md_set "import datetime
c = json.load(open('$1'))
c['Expiration'] = datetime.datetime.fromtimestamp($2, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
s['aws'].update(role=c['role'], region='$REGION',
        credentials={k: c[k] for k in ('AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration')})"
}
MARGIN=300 # CREDENTIALS_REFRESH_SEC in jit-fetch/credentials.h
T_SET=$(date +%s)
LEFT=10 # s the credentials are good for past the margin
creds "$D/creds.json" $((T_SET + MARGIN + LEFT))

# ---- the host -------------------------------------------------------------
# shellcheck source=tests/lib/jit-host.sh
. "$BUCKET_DIR/../lib/jit-host.sh"
jit_host_init
mint alice alice-1 --scope ssh --ttl 10m
publish
sync_store() {
        "$PYTHON" "$BUCKET_DIR/s3-sync.py" "$D/creds.json" "$BUCKET" demo "$D/store" ||
                die "s3-sync.py failed"
}
sync_store
HEAD=head.jwt
[[ -f $D/store/$HEAD ]] || die "jitctl publish wrote no head.jwt"
conf() {
        jit_write_conf "bundle_url = s3://$BUCKET/demo/$HEAD
store_auth = aws
store_endpoint = $1
store_region = $REGION
allow_http = yes
poll_interval = 5s
fetch_timeout = 1s"
}
conf "$FRONT"
STATE=$D/host/state/state

JIT_TEST_METADATA_URL=$MD_URL "$JIT_AGENT" --config "$D/host/jit.conf" </dev/null \
        >"$D/agent.stdout" 2>"$D/agent.log" &
AGENT_PID=$!
tap_on_fail() {
        echo "# ---- agent log ----"
        tail -12 "$D/agent.log" | sed 's/^/#   /' | cut -c1-260
        echo "# ---- front (last) ----"
        tail -4 "$FRONT_LOG" | sed 's/^/#   /'
        echo "# ---- metadata (credentials) ----"
        grep -c security-credentials/ "$MD_LOG" | sed 's/^/#   /'
}

# ---- views ------------------------------------------------------------------
state_serial() { awk '$1 == "serial" { print $2 }' "$STATE" 2>/dev/null; }
asked() { grep -c "^GET /latest/meta-data/iam/security-credentials/$ROLE 200" "$MD_LOG" || true; }
head_ok() { grep -cE "^GET /$BUCKET/demo/$HEAD (200|304) " "$FRONT_LOG" || true; }
servers() { grep -c 'fetch server started (pid ' "$D/agent.log" || true; }
server_pid() { sed -n 's/.*fetch server started (pid \([0-9]*\)).*/\1/p' "$D/agent.log" | tail -1; }
log_lines() { wc -l <"$D/agent.log"; }
log_since() { tail -n +$(($1 + 1)) "$D/agent.log"; }
has_log_since() { log_since "$1" | grep -qE -- "$2"; }
# poll: a reload, and the next head answered well by the store.
poll() {
        local n
        n=$(head_ok)
        kill -HUP "$AGENT_PID"
        wait_for 10 eval '[[ $(head_ok) -gt '"$n"' ]]'
}

check "the agent takes serial 1 from the bucket" wait_for 20 eval '[[ $(state_serial) == 1 ]]'
S1=$(server_pid)
check "one fetch server started (pid ${S1:-none})" test "$(servers)" -eq 1 -a -n "$S1"
check "its command line is jit-fetch --serve" \
        eval 'tr "\0" " " </proc/$S1/cmdline | grep -qE -- "jit-fetch --serve $"'
check "the credentials were asked once" test "$(asked)" -eq 1

# ---- (b) kept until the margin, then asked again --------------------------
poll || true
if (($(date +%s) < T_SET + LEFT - 1)); then
        check "(b) a poll before the margin: not asked again ($(asked))" test "$(asked)" -eq 1
else
        fail "(b) the setup took too long to poll before the margin (${LEFT} s)"
fi
# From now on the fixture serves them for an hour, as STS does.
creds "$D/creds.json" $((T_SET + 3600))
wait_for $((LEFT + 2)) eval '(($(date +%s) >= T_SET + LEFT + 1))'
check "(b) the margin reached: the next poll succeeds" poll
check "(b) … and asked for the credentials again ($(asked))" test "$(asked)" -eq 2
check "(b) … in the same server" test "$(server_pid)" = "$S1" -a "$(servers)" -eq 1

# ---- (a) asked once across five polls and more ----------------------------
OK0=$(head_ok)
for _ in 1 2 3 4 5; do poll || fail "(a) a poll did not succeed"; done
check "(a) five polls more, each answered by the store ($(($(head_ok) - OK0)))" \
        test $(($(head_ok) - OK0)) -ge 5
check "(a) … the credentials not asked again ($(asked))" test "$(asked)" -eq 2
check "(a) … by the same server (pid $S1, alive, no other started)" \
        eval 'kill -0 "$S1" && [[ $(server_pid) == "$S1" && $(servers) -eq 1 ]]'

# ---- (c) the server killed --------------------------------------------------
MARK=$(log_lines)
kill -KILL "$S1"
check "(c) SIGKILL: the agent logs the server's end" \
        wait_for 5 has_log_since "$MARK" "fetch server \(pid $S1\) was killed by signal 9"
sleep 1.1 # past the restart backoff of one failure (1 s)
check "(c) the next poll succeeds" poll
S2=$(server_pid)
check "(c) … through a new server (pid ${S2:-none})" \
        eval '[[ -n $S2 && $S2 != "$S1" && $(servers) -eq 2 ]] && kill -0 "$S2"'

# ---- (d) the server stopped: the deadline kills it; expiry still enforced --
ssh-keygen -q -t ed25519 -N '' -f "$D/bob" -C bob
TTL=16
mint bob bob-1 --scope ssh --ttl ${TTL}s --ssh-key "$(cat "$D/bob.pub")"
T_MINT=$(date +%s)
publish
sync_store
check "(d) serial 2 (bob's grant, a new shard) through the server" \
        eval 'poll && wait_for 5 eval "[[ \$(state_serial) == 2 ]]"'
check "(d) bob's key is in his key file" wait_for 3 grep -qF "$(cut -d' ' -f2 "$D/bob.pub")" "$D/host/run/keys/bob"
check "(d) the shards came through the same server" test "$(server_pid)" = "$S2"
# Hang the server 3 s before bob's grant ends: his key must go at the end,
# while the fetch hangs (fetch_timeout 1 s + 5 s grace).
wait_for $((TTL + 5)) eval '(($(date +%s) >= T_MINT + TTL - 3))'
kill -STOP "$S2"
MARK=$(log_lines)
kill -HUP "$AGENT_PID"
T_HUP=$EPOCHREALTIME
key_gone() { ! grep -qF "$(cut -d' ' -f2 "$D/bob.pub")" "$D/host/run/keys/bob" 2>/dev/null; }
check "(d) bob's key leaves his key file at his grant's end, the fetch hanging" wait_for 6 key_gone
T_GONE=$EPOCHREALTIME
check "(d) … before the hanging request was ended" \
        eval '! has_log_since "$MARK" "did not finish in time"'
check "(d) the deadline kills the stopped server (fetch_timeout + 5 s)" \
        wait_for 9 has_log_since "$MARK" "fetch server \(pid $S2\) .*did not finish in time: killed"
check "(d) … and the poll failed as a helper fault" \
        has_log_since "$MARK" "store fetch failed \(1 in a row\): .*--serve did not finish in time: killed"
note "(d) key gone $(fsub "$T_GONE" "$T_HUP") s after the hanging poll began"
check "(d) the server process is gone" wait_for 2 eval '! kill -0 "$S2" 2>/dev/null'
sleep 1.1
check "(d) the next poll succeeds" poll
S3=$(server_pid)
check "(d) … through a new server (pid ${S3:-none})" eval '[[ -n $S3 && $S3 != "$S2" ]]'

# ---- (f) ExpiredToken: the next request asks anew --------------------------
"$PYTHON" - "$D/creds.json" "$ROLE" >"$D/creds2.json" <<'PY' || die "a second AssumeRole failed"
import json, sys, boto3
from botocore.config import Config
c = json.load(open(sys.argv[1]))
a = c["admin"]
iam = boto3.client("iam", **a, config=Config(signature_version="s3v4"))
arn = iam.get_role(RoleName=sys.argv[2])["Role"]["Arn"]
sts = boto3.client("sts", **a)
n = sts.assume_role(RoleArn=arn, RoleSessionName="host2")["Credentials"]
print(json.dumps({"role": sys.argv[2], "AccessKeyId": n["AccessKeyId"],
                  "SecretAccessKey": n["SecretAccessKey"], "Token": n["SessionToken"],
                  "Expiration": "", "admin": a}))
PY
"$PYTHON" -c '
import json, sys; c = json.load(open(sys.argv[1]))
print(c["SecretAccessKey"]); print(c["Token"])' "$D/creds2.json" >>"$D/secrets"
# The store now calls the first session expired; the fixture has a new one.
front_set "s['expired_tokens'] = [json.load(open('$D/creds.json'))['Token']]"
creds "$D/creds2.json" $(($(date +%s) + 3600))
N=$(asked)
MARK=$(log_lines)
kill -HUP "$AGENT_PID"
check "(f) the store refuses the kept credentials: 'expired token' logged" \
        wait_for 8 has_log_since "$MARK" "store fetch failed.*expired token: .*ExpiredToken"
check "(f) … not asked again yet ($(asked))" test "$(asked)" -eq "$N"
check "(f) the next poll succeeds" poll
check "(f) … with new credentials, asked once ($((N + 1)) expected: $(asked))" \
        test "$(asked)" -eq $((N + 1))
check "(f) … by the same server" test "$(server_pid)" = "$S3"

# ---- (g) a reload with other store options: another server -----------------
MARK=$(log_lines)
moto_heads() { grep -c "GET /$BUCKET/demo/$HEAD " "$D/moto.log" || true; }
F=$(wc -l <"$FRONT_LOG")
M=$(moto_heads)
conf "$EP"
kill -HUP "$AGENT_PID"
check "(g) changed store options: the server is replaced" \
        wait_for 8 has_log_since "$MARK" "fetch server \(pid $S3\) stopped: the store's options changed"
check "(g) … a new one fetches from the new endpoint" \
        wait_for 8 eval '[[ $(server_pid) != "$S3" && $(moto_heads) -gt $M && $(wc -l <"$FRONT_LOG") == "$F" ]]'

# ---- (e) no secret anywhere but in the server's memory -----------------------
in_procs() {
        local p
        for p in /proc/[0-9]*; do
                cat "$p/cmdline" "$p/environ" 2>/dev/null | tr '\0' '\n' | grep -qF -f "$D/secrets" && return 0
        done
        return 1
}
check "(e) no secret in any process's cmdline or environment" eval '! in_procs'
check "(e) no secret in the agent's stderr" eval '! grep -qF -f "$D/secrets" "$D/agent.log" "$D/agent.stdout"'
check "(e) no secret in a file under the agent's state and run folders" \
        eval '! grep -rqF -f "$D/secrets" "$D/host/state" "$D/host/run"'
check "(e) the check itself sees the secrets where they are (the fixture's state)" \
        grep -qF -f "$D/secrets" "$MD_DIR/state.json"
check "(e) … while the server holding them runs (pid $(server_pid))" kill -0 "$(server_pid)"

# A reload to a store without credentials (file://): the server ends.
SG=$(server_pid)
MARK=$(log_lines)
jit_write_conf "bundle_url = file://$D/store/$HEAD
poll_interval = 5s"
kill -HUP "$AGENT_PID"
check "(g) a store without credentials: the server (pid $SG) ends, logged" \
        eval 'wait_for 5 has_log_since "$MARK" "fetch server \(pid $SG\) stopped: no store" &&
              wait_for 2 eval "! kill -0 $SG 2>/dev/null"'
check "(g) … and no other starts: one jit-fetch per fetch" \
        eval 'sleep 0.5; [[ $(server_pid) == "$SG" ]] && ! has_log_since "$MARK" "fetch failed"'

# Back to the bucket, for the last check.
conf "$EP"
MARK=$(log_lines)
kill -HUP "$AGENT_PID"
wait_for 8 has_log_since "$MARK" "fetch server started" || fail "no server after the reload back to S3"
stop_pid "$AGENT_PID"
SN=$(server_pid)
check "the agent's end ends the server (pid $SN)" wait_for 3 eval '! kill -0 "$SN" 2>/dev/null'
AGENT_PID=
summary
