#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The store errors an administrator meets on AWS, each produced for real
# and each a distinct message that says what to fix: no instance role, a
# role without read access, an expired token, a clock too far off for
# SigV4, a wrong region. moto_server (auth enforced) does not check the
# region of the credential scope or the request's time, nor expire a
# session token: sigv4-front.py stands before it and adds those checks with
# S3's documented answers. The clock is moved for real: jit-fetch runs
# under faketime (LD_PRELOAD), and the front's log shows that libcurl's
# x-amz-date moved with it.
#
# Part 1: jit-fetch alone through the front. Part 2: the real jit-agent
# with a grant applied from a good poll, then each fault: the agent's log
# line, its STATUS= and `jitctl status` (text, JSON, exit code) name it,
# and the host enforces what it held: the grant still admits in a real PAM
# transaction (the built pam_jit.so) and state_dir does not change.
# Root only (the agent checks its files are root's). About 25 s.
#
# test-s3-errors.sh JIT_FETCH MOTO_SERVER PYTHON FAKETIME
# env: JIT_AGENT, JITCTL, JIT_PAM_MODULE
set -euo pipefail
# shellcheck disable=SC2016 # checks in single quotes are eval'd, expanded then

FETCH=${1:-}
MOTO=${2:-}
PYTHON=${3:-python3}
FAKETIME=${4:-}
BUCKET_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/tap.sh
. "$BUCKET_DIR/../lib/tap.sh"
# shellcheck source=tests/lib/wait.sh
. "$BUCKET_DIR/../lib/wait.sh"
# shellcheck source=tests/bucket/lib.sh
. "$BUCKET_DIR/lib.sh"
# shellcheck source=tests/lib/jit-host.sh
. "$BUCKET_DIR/../lib/jit-host.sh"

require_root
require_exe jit-fetch "$FETCH"
require_exe jit-agent "${JIT_AGENT:-}"
require_exe jitctl "${JITCTL:-}"
[[ -n ${JIT_PAM_MODULE:-} && -f $JIT_PAM_MODULE ]] || skip_all "JIT_PAM_MODULE not set"
[[ -n $MOTO && -x $MOTO ]] || skip_all "moto_server not found (tools/install-deps installs moto)"
[[ -n $FAKETIME && -x $FAKETIME ]] || skip_all "faketime not found (tools/install-deps)"
"$PYTHON" -c 'import boto3' 2>/dev/null || skip_all "$PYTHON has no boto3 (tools/install-deps)"
require_exe curl "$(type -P curl)"

D=$(mktemp -d /tmp/jit-bucket-s3err.XXXXXX)
chmod 0755 "$D"
cleanup() {
        local rc=$?
        bucket_cleanup
        if ((rc != 0 || failed != 0)); then
                echo "# ---- front (last lines) ----"
                tail -8 "$D/front/requests.log" 2>/dev/null | sed 's/^/#   /' || true
        fi
        [[ -n ${KEEP_TEST_DIR:-} ]] || rm -rf "$D"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BUCKET=jit-store
REGION=eu-central-1 # the bucket's; never us-east-1, a default that could hide a mistake
ROLE=jit-host
MOTO_PORT=$(free_port)
# The clock's offset for jit-fetch; the monotonic clock is left alone (its
# timers are the kernel's, which faketime does not move).
export FAKETIME_DONT_FAKE_MONOTONIC=1
# In a sanitized build libfaketime comes before the ASan runtime in the
# preload list, which ASan refuses unless told not to check (the order does
# not matter here: libfaketime wraps only time calls).
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
skewed() { # skewed OFFSET CMD…: CMD with its clock OFFSET off ("+25m")
        local off=$1
        shift
        "$FAKETIME" -f "$off" "$@"
}

# ---- moto (auth enforced), the bucket, the role; the front before it ------
head -c 2000 /dev/urandom | base64 >"$D/head"
shards_make 700
moto_start "$MOTO" "$MOTO_PORT"
"$PYTHON" "$BUCKET_DIR/s3-setup.py" "http://127.0.0.1:$MOTO_PORT" "$BUCKET" store "$REGION" "$ROLE" \
        "store/head=$D/head" "${OBJ_PUT[@]}" >"$D/creds.json" || die "s3-setup.py failed"
read -r AK SK TK < <("$PYTHON" -c '
import json, sys; c = json.load(open(sys.argv[1]))
print(c["AccessKeyId"], c["SecretAccessKey"], c["Token"])' "$D/creds.json")
metadata_start
md_set "c = json.load(open('$D/creds.json')); s['aws'].update(role=c['role'], region='$REGION',
        credentials={k: c[k] for k in ('AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration')})"
cp "$MD_DIR/state.json" "$D/md-good.json"
good() { cp "$D/md-good.json" "$MD_DIR/state.json.tmp" && mv -f "$MD_DIR/state.json.tmp" "$MD_DIR/state.json"; }
front_start "$MOTO_PORT"
front_set "s['regions']['$BUCKET'] = '$REGION'"

S3=(--url="s3://$BUCKET/store/head" --store-endpoint="$FRONT_URL" --allow-http)
skew_in() { # skew_in LO HI: the front's last request was signed LO..HI s off its clock
        local s
        s=$(front_last_skew)
        [[ -n $s ]] && ((s >= $1 && s <= $2))
}

# ---- 1. jit-fetch alone, through the front ----------------------------
fetch "${S3[@]}"
check "through the front: 200 and the object (forwarded byte for byte: moto checked the signature)" \
        eval 'out_is status 200 && out_body_is "$D/head"'
check "... signed for the bucket's region, within a few seconds of the front's clock" \
        eval 'front_last | grep -q "^GET /$BUCKET/store/head 200 - .* scope=$REGION$" && skew_in -5 5'
ETAG=$(sed -n 's/^etag=//p' "$D/out")
fetch "${S3[@]}" --etag="$ETAG"
check "If-None-Match through the front: 304" out_is status 304
fetch --url="s3://$BUCKET/store/" --store-endpoint="$FRONT_URL" --allow-http "${OBJ_ARGS[@]}"
check "three shards on one connection through the front: three 200" \
        test "$(grep -ac '^status=200$' "$D/out")" -eq 3

# Clock skew: the same request from a clock 25 minutes off, either way.
skewed +25m "$FETCH" --endpoint="$MD_URL" "${S3[@]}" >"$D/out" 2>"$D/err" || true
check "clock 25 min ahead: libcurl's x-amz-date moved with it (the front saw +25 min)" skew_in 1490 1510
check "... the front refused it: 403 RequestTimeTooSkewed" \
        eval 'front_last | grep -q " 403 RequestTimeTooSkewed "'
check "... 'clock skew', 25 min ahead, what to fix: the time (NTP)" \
        eval 'out_message_has "clock skew: this host'\''s clock is 25 min ahead of the store'\''s" &&
              out_message_has "set the time (NTP)"'
# A clock set back is checked with curl below, not with jit-fetch:
# libfaketime shifts every absolute timerfd by its offset as if it were
# CLOCK_REALTIME, so a clock 25 min behind would hold back jit-fetch's
# CLOCK_MONOTONIC timers by 25 min (ahead, they fire early, which sd-event
# and curl take as a spurious wake-up). The message's "behind" is unit-tested
# (tests/unit/test-store-url.c).
skewed +10m "$FETCH" --endpoint="$MD_URL" "${S3[@]}" >"$D/out" 2>"$D/err" || true
check "clock 10 min ahead (S3 allows 15): 200" eval 'skew_in 590 610 && out_is status 200'

# Wrong region: store_region, or the region the metadata service gives.
fetch "${S3[@]}" --store-region=us-west-2
check "store_region = us-west-2 for a bucket in $REGION: 400 AuthorizationHeaderMalformed" \
        eval 'front_last | grep -q " 400 AuthorizationHeaderMalformed .* scope=us-west-2$"'
check "... 'wrong region' naming both regions and the fix" \
        out_message_has "wrong region: the bucket of s3://$BUCKET/store/head is in $REGION, requests were signed for us-west-2: set store_region = $REGION"
md_set 's["aws"]["region"] = "ap-south-1"'
fetch "${S3[@]}"
check "the metadata service's region (ap-south-1) is not the bucket's: 'wrong region', both named" \
        eval 'out_message_has "is in $REGION, requests were signed for ap-south-1: set store_region = $REGION"'
good

# An expired session token (the metadata service still offers it).
front_set "s['expired_tokens'] = ['$TK']"
fetch "${S3[@]}"
check "a session token the store calls expired: 'expired token', ExpiredToken, check the clock" \
        eval 'out_message_has "expired token: the store says the session credentials of role '\''$ROLE'\''" &&
              out_message_has ExpiredToken && out_message_has "check this host'\''s clock"'
check "... the token the error body echoed is not repeated" no_secret_in_output "$SK" "$TK"
front_set "s['expired_tokens'] = []"
md_set 's["aws"]["credentials"]["Expiration"] = "2020-01-01T00:00:00Z"'
n=$(wc -l <"$FRONT_LOG")
fetch "${S3[@]}"
check "credentials the metadata service gives already expired: 'expired token', no request sent" \
        eval 'out_message_has "expired token: the metadata service gave credentials that expired" &&
              (($(wc -l <"$FRONT_LOG") == n))'
good

# The front's answers are S3's documented ones (curl's own SigV4, no jit-fetch).
SIGN=(-u "$AK:$SK" -H "x-amz-security-token: $TK"
        -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
curl -s -D "$D/h" -o "$D/b" --aws-sigv4 "aws:amz:us-west-2:s3" "${SIGN[@]}" "$FRONT_URL/$BUCKET/store/head"
check "the front, wrong region: 400, x-amz-bucket-region, <Region>, S3's message" \
        eval 'head -1 "$D/h" | grep -q " 400 " && grep -qi "^x-amz-bucket-region: $REGION" "$D/h" &&
              grep -q "<Region>$REGION</Region>" "$D/b" &&
              grep -q "the region '\''us-west-2'\'' is wrong; expecting '\''$REGION'\''" "$D/b"'
skewed +20m curl -s -D "$D/h" -o "$D/b" --aws-sigv4 "aws:amz:$REGION:s3" "${SIGN[@]}" \
        "$FRONT_URL/$BUCKET/store/head" || true
check "the front, clock 20 min off: 403, RequestTime, ServerTime, MaxAllowedSkewMilliseconds 900000" \
        eval 'head -1 "$D/h" | grep -q " 403 " && grep -q "<Code>RequestTimeTooSkewed</Code>" "$D/b" &&
              grep -q "<RequestTime>[0-9]\{8\}T[0-9]\{6\}Z</RequestTime>" "$D/b" &&
              grep -q "<ServerTime>[0-9-]*T[0-9:]*Z</ServerTime>" "$D/b" &&
              grep -q "<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>" "$D/b"'
skewed -25m curl -s -D "$D/h" -o "$D/b" --aws-sigv4 "aws:amz:$REGION:s3" "${SIGN[@]}" \
        "$FRONT_URL/$BUCKET/store/head" || true
check "the front, clock 25 min behind: 403 RequestTimeTooSkewed (the front saw -25 min)" \
        eval 'head -1 "$D/h" | grep -q " 403 " && grep -q "<Code>RequestTimeTooSkewed</Code>" "$D/b" &&
              skew_in -1510 -1490'
check "control: curl signing right gets the object through the front" \
        test "$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:$REGION:s3" "${SIGN[@]}" \
                "$FRONT_URL/$BUCKET/store/head")" = 200

# shellcheck source=tests/bucket/s3-errors-agent.sh
. "$BUCKET_DIR/s3-errors-agent.sh"

summary
