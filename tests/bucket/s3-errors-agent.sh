# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The agent's part of test-s3-errors.sh (sourced there, with moto, the
# front, the role and the metadata fixture running): the real jit-agent
# reads the store from the private bucket through the front and applies
# alice's grant; then, one at a time, each of the five faults. For each:
# (i) the agent's log line carries its distinct message with what to fix,
# (ii) STATUS= says "store unreachable (CAUSE)" and `jitctl status` shows the
# cause and the whole message (text and JSON) and exits 4, (iii) the host
# enforces what it held: alice is still admitted by a real PAM transaction
# on the built pam_jit.so (bob still refused), and nothing in state_dir
# changes between two failed polls. jit-fetch runs through a wrapper
# (JIT_FETCH_HELPER) that puts it under faketime while $D/skew exists.

# shellcheck disable=SC2016 # checks in single quotes are eval'd, expanded then
jit_host_init
mint alice alice-1 --scope ssh --ttl 30m
publish
"$PYTHON" "$BUCKET_DIR/s3-sync.py" "$D/creds.json" "$BUCKET" demo "$D/store" ||
        die "s3-sync.py failed"
# The role may read demo/* (the store) and nothing else.
role_reads() { # role_reads KEYS: the role's policy allows s3:GetObject on BUCKET/KEYS only
        "$PYTHON" - "$D/creds.json" "$ROLE" "$BUCKET" "$1" <<'PY'
import json, sys, boto3
c = json.load(open(sys.argv[1]))["admin"]
boto3.client("iam", **c).put_role_policy(RoleName=sys.argv[2], PolicyName="read-store",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{sys.argv[3]}/{sys.argv[4]}"}]}))
PY
}
role_reads "demo/*"
CONF_LINES="bundle_url = s3://$BUCKET/demo/head.jwt
store_auth = aws
store_endpoint = $FRONT_URL
allow_http = yes
poll_interval = 5s
fetch_timeout = 5s"
jit_write_conf "$CONF_LINES
store_region = $REGION"
STATE=$D/host/state/state

cat >"$D/fetch-helper" <<EOF
#!/bin/bash
# jit-fetch, under faketime while $D/skew says by how much.
if [[ -s $D/skew ]]; then exec "$FAKETIME" -f "\$(cat "$D/skew")" "$FETCH" "\$@"; fi
exec "$FETCH" "\$@"
EOF
chmod 0755 "$D/fetch-helper"

mkdir -p "$D/pam.d"
printf 'account required %s config=%s\n' "$JIT_PAM_MODULE" "$D/host/jit.conf" >"$D/pam.d/sshd"
# admits USER: a real PAM account transaction (libpam's pam_start_confdir()
# on $D/pam.d, tests/agent-store/pam-txn.py) admits USER.
# In a sanitized build the module needs the sanitizer runtimes loaded first
# (meson sets JIT_PAM_PRELOAD then); python's own leaks are not this test's.
PAM_TXN=("$PYTHON" "$BUCKET_DIR/../agent-store/pam-txn.py")
if [[ -n ${JIT_PAM_PRELOAD:-} ]]; then
        PAM_TXN=(env "LD_PRELOAD=$JIT_PAM_PRELOAD" "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
                "${PAM_TXN[@]}")
fi
admits() { "${PAM_TXN[@]}" "$D/pam.d" sshd "$1" account >"$D/pam.out" 2>&1; }

# Credentials within five minutes of their end are not kept from one fetch
# to the next, so a role taken away shows at the next poll also where a
# fetch helper keeps good ones. The clock-skew case serves longer ones: 25
# minutes ahead, these would read as expired before any request is made.
expiring_in() { md_set "import time; s['aws']['credentials']['Expiration'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() + $1))"; }
expiring_in 240
cp "$MD_DIR/state.json" "$D/md-good.json"
notify_listen "$D/notify.sock" "$D/status.log"
JIT_FETCH_HELPER=$D/fetch-helper JIT_TEST_METADATA_URL=$MD_URL NOTIFY_SOCKET=$D/notify.sock \
        "$JIT_AGENT" --config "$D/host/jit.conf" </dev/null >"$D/agent.stdout" 2>"$D/agent.log" &
AGENT_PID=$!
BG_PIDS+=("$AGENT_PID")
tap_on_fail() {
        echo "# ---- agent log ----"
        tail -6 "$D/agent.log" | sed 's/^/#   /' | cut -c1-400
        tail -2 "$D/status.log" 2>/dev/null | sed 's/^/#   /'
        sed 's/^/#   pam: /' "$D/pam.out" 2>/dev/null || true
        grep -E "^(summary|store|fetch error):" "$D/st.txt" 2>/dev/null | sed 's/^/#   status: /' || true
}
state_serial() { awk '$1 == "serial" { print $2 }' "$STATE" 2>/dev/null; }
last_fetch() { awk '$1 == "last-fetch" { print $2 }' "$STATE" 2>/dev/null; }
failures_logged() { grep -c "store fetch failed" "$D/agent.log" || true; }
# poll_failed N: the agent logged more than N failed fetches. Each try
# sends SIGHUP (a poll now, not after the backoff) and gives it 3 s.
poll_failed() {
        local n=$1 end=$((SECONDS + 20))
        while ((SECONDS < end)); do
                kill -HUP "$AGENT_PID"
                if wait_for 3 eval '(($(failures_logged) > n))'; then return 0; fi
        done
        return 1
}
state_snapshot() {
        (cd "$D/host/state" && find . -printf '%p %y %m %s %T@\n' | sort &&
                find . -type f -exec sha256sum {} + | sort)
}
# The same but for the time of the last good fetch, which a poll that was
# already under way when the fault came may still have written.
state_snapshot_but_fetch_time() {
        (cd "$D/host/state" && find . ! -path ./state -printf '%p %y %m %s %T@\n' | sort &&
                find . -type f ! -path ./state -exec sha256sum {} + | sort && grep -v '^last-fetch ' state)
}

check "agent: the head from the private bucket, through the front (serial 1)" \
        wait_for 20 eval '[[ $(state_serial) == 1 ]]'
check "agent: alice is admitted by pam_jit (a real PAM account transaction)" admits alice
check "agent: bob, who has no grant, is refused" eval '! admits bob && grep -q "no access grant" "$D/pam.out"'
"$JITCTL" status --config "$D/host/jit.conf" --json >"$D/st.json" && rc=0 || rc=$?
check "agent: jitctl status exits 0, no problem named" \
        eval '((rc == 0)) && ! grep -q "\"problem\"" "$D/st.json"'

# json_get KEY…: a member of jitctl status's JSON.
json_get() {
        "$PYTHON" -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]: v = v.get(k, "") if isinstance(v, dict) else ""
print(v)' "$D/st.json" "$@"
}

PROBLEMS=()
# fault CAUSE FIX MAKE UNDO: one fault, from a host that holds its serial.
# shellcheck disable=SC2034 # the locals are read by the eval'd checks
fault() {
        local cause=$1 fix=$2 make=$3 undo=$4 n s0 s1 rc line s0_fetch serial before
        s0_fetch=$(last_fetch)
        serial=$(state_serial)
        before=$(state_snapshot_but_fetch_time)
        eval "$make"
        n=$(failures_logged)
        poll_failed "$n" || true
        s0=$(state_snapshot)
        n=$(failures_logged)
        poll_failed "$n" || true
        line=$(grep "store fetch failed" "$D/agent.log" | tail -1)
        check "$cause: the agent logs it with what to fix" \
                eval '[[ $line == *"store fetch failed ("*" in a row): $cause: "*"$fix"* ]]'
        check "$cause: STATUS= says 'store unreachable ($cause)'" \
                wait_for 5 eval 'tail -1 "$D/status.log" | grep -qF "store unreachable ($cause)"'
        "$JITCTL" status --config "$D/host/jit.conf" --json >"$D/st.json" && rc=0 || rc=$?
        check "$cause: jitctl status --json: unreachable, the cause and the message, exit 4" \
                eval '((rc == 4)) && [[ $(json_get store state) == unreachable &&
                      $(json_get store problem) == "$cause" && $(json_get store error) == *"$fix"* &&
                      $(json_get summary) == *"($cause)"* ]]'
        "$JITCTL" status --config "$D/host/jit.conf" >"$D/st.txt" || true
        check "$cause: jitctl status says it too" \
                eval 'grep "^fetch error: " "$D/st.txt" | grep -F "$cause: " | grep -qF "$fix"'
        PROBLEMS+=("$(json_get store error)")
        check "$cause: alice's grant still admits (PAM), bob is still refused" \
                eval 'admits alice && ! admits bob'
        s1=$(state_snapshot)
        check "$cause: nothing in state_dir changed, serial $serial held" \
                eval '[[ $s0 == "$s1" && $(state_serial) == "$serial" &&
                      $before == "$(state_snapshot_but_fetch_time)" ]]'
        eval "$undo"
        kill -HUP "$AGENT_PID"
        check "$cause: undone, the next poll succeeds (last-fetch moves) and STATUS= names no problem" \
                wait_for 15 eval '(($(last_fetch) > ${s0_fetch:-0})) &&
                        tail -1 "$D/status.log" | grep -q "store fresh$"'
}

fault "no instance role" "attach a role that may read the store" \
        'md_set "s[\"aws\"][\"role\"] = None"' good
fault "no read access" "allow s3:GetObject on the store's objects" \
        'role_reads "elsewhere/*"' 'role_reads "demo/*"'
fault "expired token" "have expired (ExpiredToken): check this host's clock" \
        'front_set "s[\"expired_tokens\"] = [\"$TK\"]"' 'front_set "s[\"expired_tokens\"] = []"'
# A fetch helper the agent keeps running started with the clock of its
# start: end the agent's helpers (its children, by PID) so the next one
# starts with the clock the case wants.
end_fetch_helpers() {
        local p
        for p in $(pgrep -P "$AGENT_PID" || true); do stop_pid "$p"; done
}
fault "clock skew" "25 min ahead of the store's, more than SigV4 allows (RequestTimeTooSkewed, 15 min at most): set the time (NTP)" \
        'expiring_in 3600; echo +25m >"$D/skew"; end_fetch_helpers' \
        'rm -f "$D/skew"; good; end_fetch_helpers'
check "clock skew: the agent's jit-fetch signed 25 min ahead (the front's log)" \
        grep -q " 403 RequestTimeTooSkewed .* skew=+1[45][0-9][0-9] " "$FRONT_LOG"
fault "wrong region" "is in $REGION, requests were signed for us-west-2: set store_region = $REGION" \
        'jit_write_conf "$CONF_LINES
store_region = us-west-2"' 'jit_write_conf "$CONF_LINES
store_region = $REGION"'

# The role may read the head but not the objects it names (a policy on
# demo/head.jwt alone): a new head comes, its shard is refused; the same
# cause, and the host keeps serial 1 until the policy is mended.
mint alice alice-2 --scope ssh --ttl 30m
publish
"$PYTHON" "$BUCKET_DIR/s3-sync.py" "$D/creds.json" "$BUCKET" demo "$D/store" ||
        die "s3-sync.py failed"
fault "no read access" "(AccessDenied): allow s3:GetObject on the store's objects in the role's policy and the bucket policy; a shard of head serial 2" \
        'role_reads demo/head.jwt' 'role_reads "demo/*"'
check "... mended, the head waiting is applied (serial 2)" eval '[[ $(state_serial) == 2 ]]'

check "the five messages are distinct" \
        test "$(printf '%s\n' "${PROBLEMS[@]}" | sed 's/:.*//' | sort -u | wc -l)" -eq 5
check "no secret in the agent's log" \
        eval '! grep -qF -- "$SK" "$D/agent.log" && ! grep -qF -- "$TK" "$D/agent.log"'
check "the agent is still running" kill -0 "$AGENT_PID"
stop_pid "$AGENT_PID"
