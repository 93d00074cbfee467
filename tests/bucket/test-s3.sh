#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# jit-fetch reads a private S3 bucket with the instance role's credentials,
# against moto_server with authentication enforced (INITIAL_NO_AUTH_ACTION_
# COUNT: after the setup's first three requests every request must be SigV4-
# signed with a known key, and IAM policies apply) and STS session
# credentials served by the metadata fixture (IMDSv2). Each case is what an
# S3 store answers and what jit-fetch makes of it: a fetch, a 304, a wrong
# secret, a wrong or missing session token, an object outside the role's
# policy, no role, expired credentials; the store refuses a request without
# x-amz-content-sha256 (so jit-fetch must send it) and anyone without the
# role. No secret ever shows in what jit-fetch writes.
#
# Then end to end (test-s3-agent.sh's part, same moto): the real jit-agent
# reads the demo's store from the private bucket (see that file).
#
# test-s3.sh JIT_FETCH MOTO_SERVER PYTHON
set -euo pipefail
# shellcheck disable=SC2016 # checks in single quotes are eval'd, expanded then

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

require_exe jit-fetch "$FETCH"
[[ -n $MOTO && -x $MOTO ]] || skip_all "moto_server not found (tools/install-deps installs moto)"
"$PYTHON" -c 'import boto3' 2>/dev/null || skip_all "$PYTHON has no boto3 (tools/install-deps)"
require_exe curl "$(type -P curl)"

D=$(mktemp -d /tmp/jit-bucket-s3.XXXXXX)
cleanup() {
        local rc=$?
        bucket_cleanup
        if ((rc != 0 || failed != 0)); then
                echo "# ---- moto (last lines) ----"
                grep -v ' 200 -$' "$D/moto.log" 2>/dev/null | tail -15 | sed 's/^/#   /' || true
        fi
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

# ---- moto with auth enforced, the bucket, the role -----------------------
head -c 3000 /dev/urandom | base64 >"$D/head"
echo "not for hosts" >"$D/secret"
# Three shards, named by their SHA-256, for one run of several (case 3b).
shards_make 1000
moto_start "$MOTO" "$MOTO_PORT"
"$PYTHON" "$BUCKET_DIR/s3-setup.py" "$EP" "$BUCKET" store "$REGION" "$ROLE" \
        "store/head=$D/head" "secret/x=$D/secret" "${OBJ_PUT[@]}" >"$D/creds.json" ||
        die "s3-setup.py failed"
read -r AK SK TK < <("$PYTHON" -c '
import json, sys; c = json.load(open(sys.argv[1]))
print(c["AccessKeyId"], c["SecretAccessKey"], c["Token"])' "$D/creds.json")
metadata_start
md_set "c = json.load(open('$D/creds.json')); s['aws'].update(role=c['role'], region='$REGION',
        credentials={k: c[k] for k in ('AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration')})"
cp "$MD_DIR/state.json" "$D/md-good.json"

S3=(--store-endpoint="$EP" --allow-http)
good() { cp "$D/md-good.json" "$MD_DIR/state.json.tmp" && mv -f "$MD_DIR/state.json.tmp" "$MD_DIR/state.json"; }

# ---- 1. a correct fetch ------------------------------------------------
fetch --url="s3://$BUCKET/store/head" "${S3[@]}"
check "role credentials: 200 and the object" eval 'out_is status 200 && out_body_is "$D/head"'
ETAG=$(sed -n 's/^etag=//p' "$D/out")
check "the store's ETag is passed on" test -n "$ETAG"
check "IMDSv2: a token (PUT) before the role's credentials" \
        eval 'head -1 "$MD_LOG" | grep -q "^PUT /latest/api/token 200" &&
              grep -q "^GET /latest/meta-data/iam/security-credentials/$ROLE 200 .*token=yes" "$MD_LOG"'
check "no secret in jit-fetch's output" no_secret_in_output "$SK" "$TK"

# ---- 2. conditional GET --------------------------------------------------
fetch --url="s3://$BUCKET/store/head" "${S3[@]}" --etag="$ETAG"
check "If-None-Match with the ETag: 304" out_is status 304

# ---- 3. store_region: no question to the metadata service ---------------
: >"$MD_LOG"
fetch --url="s3://$BUCKET/store/head" "${S3[@]}" --store-region="$REGION"
check "store_region given: the region is not asked" \
        eval 'out_is status 200 && ! grep -q placement "$MD_LOG"'

# ---- 3b. several shards in one run: the credentials asked once --------
: >"$MD_LOG"
fetch --url="s3://$BUCKET/store/" "${S3[@]}" "${OBJ_ARGS[@]}"
check "one run of three shards: three answers, each 200, in order" \
        test "$(grep -a '^object=' "$D/out" | cut -d= -f2 | tr '\n' ' ')" = \
        "$(printf '%s\n' "${OBJ_ARGS[@]}" | sed 's/--object=//; s/:.*//' | tr '\n' ' ')" -a \
        "$(grep -ac '^status=200$' "$D/out")" -eq 3
check "… the credentials and the region asked of the metadata service once ($(grep -c security-credentials/ "$MD_LOG"), $(grep -c placement "$MD_LOG"))" \
        test "$(grep -c "security-credentials/$ROLE" "$MD_LOG")" -eq 1 -a "$(grep -c placement "$MD_LOG")" -eq 1

# ---- 4. refusals, each named ---------------------------------------------
md_set 's["aws"]["credentials"]["SecretAccessKey"] = "x" * 40'
fetch --url="s3://$BUCKET/store/head" "${S3[@]}"
check "wrong secret: SignatureDoesNotMatch, 'signature refused'" \
        eval 'out_message_has "signature refused" && out_message_has SignatureDoesNotMatch'
good
md_set 's["aws"]["credentials"]["Token"] = "FQoGZXIvYXdzEBYaDwrongtoken"'
fetch --url="s3://$BUCKET/store/head" "${S3[@]}"
check "wrong session token: InvalidToken, 'session token refused'" \
        eval 'out_message_has "session token refused" && out_message_has InvalidToken'
good
md_set 'del s["aws"]["credentials"]["Token"]'
fetch --url="s3://$BUCKET/store/head" "${S3[@]}"
check "missing session token: 'session token missing'" out_message_has "session token missing"
good
fetch --url="s3://$BUCKET/secret/x" "${S3[@]}"
check "object outside the role's policy: AccessDenied, 'no read access'" \
        eval 'out_message_has "no read access: role '\''$ROLE'\''" && out_message_has AccessDenied'
check "... and none of its bytes" eval '! grep -q "not for hosts" "$D/out"'
md_set 's["aws"]["role"] = None'
fetch --url="s3://$BUCKET/store/head" "${S3[@]}"
check "no role on the instance: 'no instance role'" out_message_has "no instance role"
good
md_set 's["aws"]["credentials"]["Expiration"] = "2020-01-01T00:00:00Z"'
fetch --url="s3://$BUCKET/store/head" "${S3[@]}"
check "credentials already expired: refused before any request to the store" \
        out_message_has "expired"
good
check "no secret in any refusal" no_secret_in_output "$SK" "$TK" "x$(printf 'x%.0s' {1..39})"
fetch --url="s3://$BUCKET/store/head" --store-endpoint="$EP"
check "credentials over http only with allow_http" out_message_has "only with allow_http"
fetch --url="s3://$BUCKET/store/a%20b" "${S3[@]}"
check "an object key SigV4 would not canonicalise as sent: refused" out_message_has "may hold only"

# ---- 5. what the server checks -------------------------------------------
# The store itself must refuse what jit-fetch must not omit: the same signed
# request by curl's own SigV4, without and with x-amz-content-sha256.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
SIGN=(--aws-sigv4 "aws:amz:$REGION:s3" -u "$AK:$SK" -H "x-amz-security-token: $TK")
SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
check "moto refuses a request without x-amz-content-sha256 (403)" \
        test "$(code "${SIGN[@]}" "$EP/$BUCKET/store/head")" = 403
check "... and takes it with the header (200)" \
        test "$(code "${SIGN[@]}" -H "x-amz-content-sha256: $SHA" "$EP/$BUCKET/store/head")" = 200
check "nothing else can read the bucket: anonymous 403" \
        test "$(code "$EP/$BUCKET/store/head")" = 403
fetch --url="s3://$BUCKET/store/head" "${S3[@]}" --store-auth=none
check "jit-fetch with store_auth = none: refused (HTTP 403)" out_message_has "HTTP 403"

# ---- 6. end to end with the real agent (root) ------------------------
if [[ -n ${JIT_AGENT:-} ]]; then
        # shellcheck source=tests/bucket/s3-agent.sh
        . "$BUCKET_DIR/s3-agent.sh"
fi

summary
