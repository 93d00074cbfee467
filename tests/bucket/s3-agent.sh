# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The end-to-end part of test-s3.sh (sourced there, with moto, the bucket,
# the role and the metadata fixture running): the demo's store, as `jitctl
# publish` writes it, uploaded to the private bucket; the real jit-agent
# reads it with the role credentials the metadata fixture serves, and takes
# alice's grant. Without the role it logs what to fix and says it in
# STATUS=, and the grants it holds stay as they were. Root only (the agent
# checks its files are root's).

# shellcheck disable=SC2016 # checks in single quotes are eval'd, expanded then
JITCTL=${JITCTL:?}
AGENT=$JIT_AGENT
# shellcheck source=tests/lib/jit-host.sh
. "$BUCKET_DIR/../lib/jit-host.sh"

require_root
jit_host_init
mint alice alice-1 --scope ssh --ttl 10m
publish
"$PYTHON" "$BUCKET_DIR/s3-sync.py" "$D/creds.json" "$BUCKET" demo "$D/store" ||
        die "s3-sync.py failed"
STORE_FILE=$(cd "$D/store" && find . -maxdepth 1 -name '*.jwt' -o -maxdepth 1 -name head | head -1)
STORE_FILE=${STORE_FILE#./}
[[ -n $STORE_FILE ]] || die "jitctl publish wrote no bundle or head"
# The role may read the store's prefix only: widen it to demo/ for this part.
"$PYTHON" - "$D/creds.json" "$ROLE" "$BUCKET" <<'PY'
import json, sys, boto3
c = json.load(open(sys.argv[1]))["admin"]
boto3.client("iam", **c).put_role_policy(RoleName=sys.argv[2], PolicyName="read-store",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{sys.argv[3]}/demo/*"}]}))
PY
jit_write_conf "bundle_url = s3://$BUCKET/demo/$STORE_FILE
store_auth = aws
store_endpoint = $EP
store_region = $REGION
allow_http = yes
poll_interval = 5s
fetch_timeout = 5s"
STATE=$D/host/state/state

# STATUS= lines, as systemd would get them, from a socket of our own.
notify_listen "$D/notify.sock" "$D/status.log"

# Credentials within five minutes of their end are not kept between fetches
# (jit-fetch --serve keeps them otherwise: tests/bucket/test-serve.sh), so the
# role's removal below shows at the next poll.
md_set "import time; s['aws']['credentials']['Expiration'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() + 240))"
JIT_TEST_METADATA_URL=$MD_URL NOTIFY_SOCKET=$D/notify.sock "$AGENT" --config "$D/host/jit.conf" </dev/null \
        >"$D/agent.stdout" 2>"$D/agent.log" &
AGENT_PID=$!
BG_PIDS+=("$AGENT_PID")
tap_on_fail() {
        echo "# ---- agent log ----"
        tail -15 "$D/agent.log" | sed 's/^/#   /' | cut -c1-300
        tail -3 "$D/status.log" 2>/dev/null | sed 's/^/#   /'
}
state_serial() { awk '$1 == "serial" { print $2 }' "$STATE" 2>/dev/null; }
check "e2e: the agent takes the bundle from the private bucket (serial 1)" \
        wait_for 15 eval '[[ $(state_serial) == 1 ]]'
check "e2e: alice's grant is on the host" test -f "$D/host/state/users/alice"
check "e2e: no secret in the agent's log" eval '! grep -qF -- "$SK" "$D/agent.log" &&
        ! grep -qF -- "$TK" "$D/agent.log"'

# The role goes away: the agent says what to fix; the host keeps enforcing
# what it holds (alice's grant stays, serial 1).
md_set 's["aws"]["role"] = None'
mint alice alice-2 --scope ssh --ttl 10m
publish
"$PYTHON" "$BUCKET_DIR/s3-sync.py" "$D/creds.json" "$BUCKET" demo "$D/store" ||
        die "s3-sync.py failed"
check "e2e: without a role the agent logs 'no instance role'" \
        wait_for 15 grep -q "fetch failed.*no instance role" "$D/agent.log"
check "e2e: STATUS= says it" wait_for 5 grep -q "unreachable (no instance role)" "$D/status.log"
check "e2e: the host still holds serial 1 and alice's grant" \
        eval '[[ $(state_serial) == 1 ]] && test -f "$D/host/state/users/alice"'
good
kill -HUP "$AGENT_PID" # poll now, rather than after the backoff
check "e2e: the role back, the next bundle comes (serial 2)" \
        wait_for 15 eval '[[ $(state_serial) == 2 ]]'
check "e2e: STATUS= no longer names a problem" \
        wait_for 5 eval 'tail -1 "$D/status.log" | grep -qv unreachable'
stop_pid "$AGENT_PID"
