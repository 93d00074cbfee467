#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# jit-fetch reads an Azure Blob store with the VM's managed identity: a token
# for https://storage.azure.com/ from the metadata fixture (Azure IMDS:
# Metadata: true, api-version, resource, client_id for a user-assigned
# identity), sent to Azurite over HTTPS with --oauth basic, which checks the
# token's audience, issuer and times. Azurite accepts requests without
# x-ms-version, so this test reads Azurite's debug log to check that
# jit-fetch sends it (bearer tokens need 2017-11-09 or later). A token for
# another audience and an expired one are refused, each named.
#
# test-azure.sh JIT_FETCH AZURITE_BLOB PYTHON OPENSSL
set -euo pipefail
# shellcheck disable=SC2016 # checks in single quotes are eval'd, expanded then

FETCH=${1:-}
AZURITE=${2:-}
PYTHON=${3:-python3}
OPENSSL=${4:-openssl}
BUCKET_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/tap.sh
. "$BUCKET_DIR/../lib/tap.sh"
# shellcheck source=tests/lib/wait.sh
. "$BUCKET_DIR/../lib/wait.sh"
# shellcheck source=tests/bucket/lib.sh
. "$BUCKET_DIR/lib.sh"

require_exe jit-fetch "$FETCH"
[[ -n $AZURITE && -x $AZURITE ]] ||
        skip_all "azurite-blob not found (tools/install-deps installs it in /opt/azurite)"
require_exe curl "$(type -P curl)"

D=$(mktemp -d /tmp/jit-bucket-azure.XXXXXX)
cleanup() {
        local rc=$?
        bucket_cleanup
        if ((rc != 0 || failed != 0)); then
                echo "# ---- azurite ----"
                tail -5 "$D/azurite.out" 2>/dev/null | sed 's/^/#   /' | cut -c1-300 || true
        fi
        [[ -n ${KEEP_TEST_DIR:-} ]] || rm -rf "$D"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$D/pki" "$D/azurite"
OPENSSL=$OPENSSL sh "$BUCKET_DIR/../agent/fetch-certs.sh" "$D/pki"
PORT=$(free_port)
# --disableTelemetry: Azurite would otherwise try to reach the internet.
"$AZURITE" --blobHost 127.0.0.1 --blobPort "$PORT" --oauth basic --cert "$D/pki/server.pem" \
        --key "$D/pki/server.key" --location "$D/azurite" --debug "$D/azurite-debug.log" \
        --disableTelemetry --silent >"$D/azurite.out" 2>&1 &
BG_PIDS+=($!)
wait_port "$PORT" 30 || die "azurite did not start: $(cat "$D/azurite.out")"
EP=https://127.0.0.1:$PORT/devstoreaccount1
URL=https://devstoreaccount1.blob.core.windows.net/jit/store/head
A=(--store-endpoint="$EP" --ca-file="$D/pki/ca.pem")

token() { "$PYTHON" "$BUCKET_DIR/azure-token.py" "$@"; }
GOOD=$(token https://storage.azure.com 3600)
EXP_ON=$(($(date +%s) + 3600))

# The container and the blob, as `az storage blob sync` would put them.
head -c 2000 /dev/urandom | base64 >"$D/head"
AZ=(-s --cacert "$D/pki/ca.pem" -H "Authorization: Bearer $GOOD" -H "x-ms-version: 2021-08-06")
[[ $(curl "${AZ[@]}" -o /dev/null -w '%{http_code}' -X PUT -H "Content-Length: 0" \
        "$EP/jit?restype=container") == 201 ]] || die "cannot create the container"
[[ $(curl "${AZ[@]}" -o /dev/null -w '%{http_code}' -X PUT -H "x-ms-blob-type: BlockBlob" \
        -H "x-ms-blob-cache-control: no-cache" --data-binary @"$D/head" "$EP/jit/store/head") == 201 ]] ||
        die "cannot upload the blob"
[[ $(curl -s --cacert "$D/pki/ca.pem" -o /dev/null -w '%{http_code}' "$EP/jit/store/head") != 200 ]] ||
        die "Azurite serves the blob without a token: not a private store"

metadata_start
md_set "s['azure']['token'] = {'access_token': '$GOOD', 'expires_on': '$EXP_ON'}"

fetch --url="$URL" "${A[@]}"
check "managed-identity token: 200 and the blob" eval 'out_is status 200 && out_body_is "$D/head"'
check "the token was asked for https://storage.azure.com/ with Metadata: true" \
        grep -q "^GET /metadata/identity/oauth2/token?resource=https%3A%2F%2Fstorage.azure.com%2F&api-version=[0-9-]* 200 metadata=true" "$MD_LOG"
# Azurite's debug log holds each request's headers as JSON.
check "x-ms-version is sent (on Azurite's side of the wire)" \
        eval 'grep "RequestURL=https://127.0.0.1/devstoreaccount1/jit/store/head" "$D/azurite-debug.log" |
              grep "\"user-agent\":\"jit-agent/" | grep -q "\"x-ms-version\":\"20[0-9-]*\""'
ETAG=$(sed -n 's/^etag=//p' "$D/out")
fetch --url="$URL" "${A[@]}" --etag="$ETAG"
check "If-None-Match: 304" out_is status 304
check "no token in jit-fetch's output" no_secret_in_output "$GOOD"

WRONG_AUD=$(token https://management.azure.com/ 3600)
md_set "s['azure']['token']['access_token'] = '$WRONG_AUD'"
fetch --url="$URL" "${A[@]}"
check "a token for another audience: refused, 'wrong audience'" out_message_has "wrong audience"
check "... and no byte of the blob" eval '! grep -q "^status=" "$D/out"'

EXPIRED=$(token https://storage.azure.com -300)
md_set "s['azure']['token']['access_token'] = '$EXPIRED'"
fetch --url="$URL" "${A[@]}"
check "an expired token (IMDS still calls it good): refused, 'expired token'" \
        out_message_has "expired token"

# A user-assigned identity: IMDS answers only for its client_id.
CID=6f1e0b5e-3c1a-4b8e-9d9e-1c2b3a4d5e6f
md_set "s['azure']['token']['access_token'] = '$GOOD'; s['azure']['client_id'] = '$CID'"
fetch --url="$URL" "${A[@]}"
check "user-assigned identity without store_client_id: 'no managed identity'" \
        out_message_has "no managed identity"
fetch --url="$URL" "${A[@]}" --store-client-id="$CID"
check "with store_client_id: 200" out_is status 200
md_set 's["azure"]["token"] = None; s["azure"]["client_id"] = None'
fetch --url="$URL" "${A[@]}"
check "no identity on the VM at all: 'no managed identity', enable one" \
        eval 'out_message_has "no managed identity: enable a system-assigned identity"'

summary
