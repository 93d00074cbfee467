# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The demo's store in a private S3 bucket (demo/run with JIT_DEMO_STORE=s3):
# moto_server with authentication enforced, the bucket, a role that may
# read demo/* and nothing else, STS session credentials for it served by
# the metadata fixture (tests/lib/metadata-fixture.py) as IMDSv2 serves an
# instance role's. Sourced inside tests/system/lib.sh's sandbox ($D,
# SANDBOX_CLEANUP); everything started here is ended by PID at exit.
#
#   s3_store_start   sets S3_STORE_URL, S3_STORE_CONF (jit.conf lines) and
#                    exports JIT_TEST_METADATA_URL for the agent
#   s3_store_sync    uploads $D/store as `aws s3 sync` would (objects, then
#                    the head)
#   s3_store_anonymous_code   the HTTP status of an unsigned GET of the head

S3_STORE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
S3_PYTHON=${S3_PYTHON:-python3}
S3_MOTO_PID=
S3_EP=

s3_store_stop() {
        stop_pid "$S3_MOTO_PID"
        [[ -z ${MD_PID:-} ]] || md_stop
}

s3_store_start() {
        local moto port
        moto=$(type -P moto_server) || die "moto_server not found (tools/install-deps installs it)"
        # shellcheck source=tests/lib/metadata.sh
        . "$S3_STORE_DIR/../lib/metadata.sh"
        port=$(free_port)
        S3_EP=http://127.0.0.1:$port
        INITIAL_NO_AUTH_ACTION_COUNT=3 "$moto" -H 127.0.0.1 -p "$port" >"$D/moto.log" 2>&1 &
        S3_MOTO_PID=$!
        SANDBOX_CLEANUP+=(s3_store_stop)
        wait_for 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null ||
                die "moto_server did not start"
        "$S3_PYTHON" "$S3_STORE_DIR/s3-setup.py" "$S3_EP" jit-store demo us-east-1 jit-host \
                >"$D/s3-creds.json" || die "s3-setup.py failed"
        md_start "$D/md"
        "$S3_PYTHON" - "$D/s3-creds.json" "$MD_DIR/state.json" <<'PY'
import json, os, sys
c = json.load(open(sys.argv[1])); p = sys.argv[2]; s = json.load(open(p))
s["aws"].update(role=c["role"], region="us-east-1", credentials={
    k: c[k] for k in ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")})
json.dump(s, open(p + ".tmp", "w")); os.rename(p + ".tmp", p)
PY
        export JIT_TEST_METADATA_URL=$MD_URL
        # shellcheck disable=SC2034 # both for the sourcing script
        S3_STORE_URL=s3://jit-store/demo/head.jwt
        # shellcheck disable=SC2034
        S3_STORE_CONF="store_auth = aws
store_endpoint = $S3_EP
store_region = us-east-1
allow_http = yes"
}

s3_store_sync() {
        "$S3_PYTHON" "$S3_STORE_DIR/s3-sync.py" "$D/s3-creds.json" jit-store demo "$D/store" ||
                die "s3-sync.py failed"
}

s3_store_anonymous_code() {
        curl -s -o /dev/null -w '%{http_code}' "$S3_EP/jit-store/demo/head.jwt"
}
