#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# jit-fetch reads gs:// with the instance's service-account token: from the
# metadata fixture (Metadata-Flavor: Google) to gcs-fixture.py over HTTPS,
# which checks the bearer token and serves ETag/304. Refusals are named (a
# wrong token, no access, no service account). A redirect from the store to
# another host never carries the token, checked on the wire: with
# credentials attached jit-fetch does not follow it at all, and the other
# host sees no request; without credentials (control) it follows and the
# other host sees one, without an Authorization header.
#
# test-gcs.sh JIT_FETCH PYTHON OPENSSL
set -euo pipefail
# shellcheck disable=SC2016 # checks in single quotes are eval'd, expanded then

FETCH=${1:-}
PYTHON=${2:-python3}
OPENSSL=${3:-openssl}
BUCKET_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/tap.sh
. "$BUCKET_DIR/../lib/tap.sh"
# shellcheck source=tests/lib/wait.sh
. "$BUCKET_DIR/../lib/wait.sh"
# shellcheck source=tests/bucket/lib.sh
. "$BUCKET_DIR/lib.sh"

require_exe jit-fetch "$FETCH"

D=$(mktemp -d /tmp/jit-bucket-gcs.XXXXXX)
cleanup() {
        local rc=$?
        bucket_cleanup
        [[ -n ${KEEP_TEST_DIR:-} ]] || rm -rf "$D"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$D/pki" "$D/gcs/jit-store/store" "$D/gcs/jit-store/private" "$D/gcs/jit-store/moved"
OPENSSL=$OPENSSL sh "$BUCKET_DIR/../agent/fetch-certs.sh" "$D/pki"
head -c 2000 /dev/urandom | base64 >"$D/gcs/jit-store/store/head"
echo "not for this account" >"$D/gcs/jit-store/private/x"
echo "moved" >"$D/gcs/jit-store/moved/head"
TOKEN=ya29.$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
echo "$TOKEN" >"$D/gcs-token"
metadata_start
md_set "s['gcp']['token'] = {'access_token': '$TOKEN', 'expires_in': 3599}"

: >"$D/elsewhere.log"
"$PYTHON" "$BUCKET_DIR/gcs-fixture.py" "$D/gcs" "$D/gcs-token" "$D/pki/server.pem" \
        "$D/pki/server.key" "$D/gcs.ports" "$D/elsewhere.log" 2>"$D/gcs.err" &
BG_PIDS+=($!)
wait_for 10 test -s "$D/gcs.ports" || die "gcs-fixture.py did not start: $(cat "$D/gcs.err")"
GCS=https://127.0.0.1:$(awk '$1 == "gcs" { print $2 }' "$D/gcs.ports")
ELSEWHERE=https://127.0.0.1:$(awk '$1 == "elsewhere" { print $2 }' "$D/gcs.ports")
G=(--store-endpoint="$GCS" --ca-file="$D/pki/ca.pem")

fetch --url=gs://jit-store/store/head "${G[@]}"
check "service-account token: 200 and the object" \
        eval 'out_is status 200 && out_body_is "$D/gcs/jit-store/store/head"'
check "the token came from the metadata server, asked with Metadata-Flavor" \
        grep -q "^GET /computeMetadata/v1/instance/service-accounts/default/token 200 metadata-flavor=Google" "$MD_LOG"
ETAG=$(sed -n 's/^etag=//p' "$D/out")
fetch --url=gs://jit-store/store/head "${G[@]}" --etag="$ETAG"
check "If-None-Match: 304" out_is status 304
check "no token in jit-fetch's output" no_secret_in_output "$TOKEN"

md_set 's["gcp"]["token"]["access_token"] = "ya29.not-the-one"'
fetch --url=gs://jit-store/store/head "${G[@]}"
check "a token the store does not know: 'token refused'" out_message_has "token refused"
md_set "s['gcp']['token']['access_token'] = '$TOKEN'"
fetch --url=gs://jit-store/private/x "${G[@]}"
check "no access to the object: 'no read access', roles/storage.objectViewer" \
        eval 'out_message_has "no read access" && out_message_has roles/storage.objectViewer'
md_set 's["gcp"]["token"] = None'
fetch --url=gs://jit-store/store/head "${G[@]}"
check "no service account: 'no service account'" out_message_has "no service account"
md_set "s['gcp']['token'] = {'access_token': '$TOKEN', 'expires_in': 3599}"

# ---- a redirect to another host ------------------------------------------
fetch --url=gs://jit-store/moved/head "${G[@]}"
check "with the token attached, a 302 is not followed: 'redirect refused'" \
        out_message_has "redirect refused"
check "... and the other host got no request at all (on the wire)" test ! -s "$D/elsewhere.log"
# Control: the other host does log what reaches it. A public https store
# (no credentials) follows the same redirect; it arrives without a token.
fetch --url="$GCS/jit-store/moved/head" --ca-file="$D/pki/ca.pem" --store-auth=none
check "control: without credentials the redirect is followed" out_is status 200
check "control: the other host saw it, with no Authorization header" \
        grep -qx "GET /jit-store/moved/head authorization=(none)" "$D/elsewhere.log"
check "the token never reached the other host" eval '! grep -qF -- "$TOKEN" "$D/elsewhere.log"'

summary
