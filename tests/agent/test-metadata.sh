#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# jit-fetch's metadata job (jit-fetch --metadata=CLOUD) against the fixture
# of tests/lib/metadata-fixture.py: the three protocols as documented, then
# hostile answers. Each case runs the real helper, confined as under the
# agent, and reads its answer on the wire (jit-fetch/wire/fetch-wire.h).
set -euo pipefail
LIB=$(dirname "$(realpath "$0")")/../lib
. "$LIB/tap.sh"
. "$LIB/wait.sh"
. "$LIB/metadata.sh"

require_exe "jit-fetch (JIT_FETCH_HELPER)" "${JIT_FETCH_HELPER:-}"
require_exe curl /usr/bin/curl
T=$(mktemp -d /tmp/test-metadata-XXXXXX)
cleanup() {
        md_stop
        rm -rf "$T"
}
trap cleanup EXIT
md_start "$T/fx"
DEFAULT=$(md_state_default)

# state PYTHON: the default state changed by python statements on s.
state() {
        md_state "$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); exec(sys.argv[2]); print(json.dumps(s))' "$DEFAULT" "$1")"
}

# job CLOUD [ARGS]: the helper's answer in $T/out, its exit code in $rc,
# its duration in $dur; the fixture's log restarted.
job() {
        local cloud=$1 t0
        shift
        : >"$MD_LOG"
        t0=$EPOCHREALTIME
        rc=0
        "$JIT_FETCH_HELPER" --metadata="$cloud" --endpoint="$MD_URL" --timeout-usec=3000000 "$@" \
                >"$T/out" 2>"$T/err" || rc=$?
        dur=$(elapsed "$t0")
}
has() { grep -qxF -- "$1" "$T/out"; }
hasnt() { ! grep -qF -- "$1" "$T/out"; }
logged() { grep -qE -- "$1" "$MD_LOG"; }
faster_than() { awk -v d="$dur" -v m="$1" 'BEGIN { exit !(d < m) }'; }
tap_on_fail() {
        sed 's/^/#   out: /' "$T/out" | head -20
        sed 's/^/#   fixture: /' "$MD_LOG" | head -20
        note "took $dur s"
}

# ---- the fixture speaks the documented protocols (a check of the test) ----
code() { curl -s -o /dev/null -w '%{http_code}' --noproxy '*' "$@"; }
check "fixture: AWS GET without a token is 401" [ "$(code "$MD_URL/latest/dynamic/instance-identity/document")" = 401 ]
check "fixture: AWS token PUT without a TTL is 400" [ "$(code -X PUT "$MD_URL/latest/api/token")" = 400 ]
check "fixture: GCP without Metadata-Flavor is 403" [ "$(code "$MD_URL/computeMetadata/v1/instance/id")" = 403 ]
check "fixture: Azure without Metadata: true is 400" [ "$(code "$MD_URL/metadata/instance/compute?api-version=2021-02-01")" = 400 ]
check "fixture: Azure without api-version is 400" [ "$(code -H 'Metadata: true' "$MD_URL/metadata/instance/compute")" = 400 ]

# ---- AWS IMDSv2 ----
job aws
check "aws: answered" [ "$rc" = 0 ]
check "aws: status=200" has "status=200"
check "aws: aws.account from the identity document" has "aws.account=123456789012"
check "aws: aws.region" has "aws.region=eu-west-1"
check "aws: aws.az" has "aws.az=eu-west-1a"
check "aws: aws.instance-id" has "aws.instance-id=i-0123456789abcdef0"
check "aws: tags from meta-data/tags/instance" has "aws.tag.role=db"
check "aws: a token PUT with a TTL header" logged '^PUT /latest/api/token 200 x-aws-ec2-metadata-token-ttl-seconds=300'
check "aws: every GET carries the token" bash -c "! grep '^GET' '$MD_LOG' | grep -qv 'token=yes'"
check "aws: no X-Forwarded-For, no proxy headers" bash -c "! grep -qE 'x-forwarded-for|proxy-connection' '$MD_LOG'"

state 's["aws"]["tags"] = None'
job aws
check "aws tags off (404): still answered" has "aws.account=123456789012"
check "aws tags off (404): no aws.tag facts" hasnt "aws.tag."

state 's["aws"]["disabled"] = True'
job aws
check "aws disabled (403 on the PUT): an error" has "error=-13"
check "aws disabled: says so" grep -q "disabled" "$T/out"
check "aws disabled: no facts" hasnt "aws.account"

state 's["aws"]["expire_first_token"] = True'
job aws
check "aws token expired (401): answered with a new token" has "aws.account=123456789012"
check "aws token expired: two token PUTs" [ "$(grep -c '^PUT /latest/api/token 200' "$MD_LOG")" = 2 ]
check "aws token expired: the 401 was seen" logged '^GET \S+ 401 '

# ---- GCP ----
md_state "$DEFAULT"
job gcp
check "gcp: answered" [ "$rc" = 0 ]
check "gcp: gcp.project" has "gcp.project=pay-prod"
check "gcp: gcp.zone without its projects/N/zones/ path" has "gcp.zone=europe-west1-b"
check "gcp: gcp.region from the zone" has "gcp.region=europe-west1"
check "gcp: gcp.instance-id" has "gcp.instance-id=4567890123456789"
check "gcp: gcp.instance-name" has "gcp.instance-name=pay-db-1"
check "gcp: custom metadata as gcp.attr" has "gcp.attr.role=db"
check "gcp: Metadata-Flavor: Google on every request" bash -c "! grep -v 'metadata-flavor=Google' '$MD_LOG' | grep -q ."

state 's["gcp"]["no_flavor"] = True'
job gcp
check "gcp: an answer without Metadata-Flavor is refused" grep -q "lacks Metadata-Flavor" "$T/out"
check "gcp: no facts from it" hasnt "gcp.project"

# ---- Azure ----
md_state "$DEFAULT"
job azure
check "azure: answered" [ "$rc" = 0 ]
check "azure: azure.subscription" has "azure.subscription=8d10da13-8125-4ba9-a717-bf7490507b3d"
check "azure: azure.resource-group" has "azure.resource-group=pay-rg"
check "azure: azure.location" has "azure.location=westeurope"
check "azure: azure.vm-id" has "azure.vm-id=02aab8a4-74ef-476e-8182-f6d2ba4166a6"
check "azure: tags from tagsList, names folded" has "azure.tag.role=db"
check "azure: Metadata: true and the fixed api-version" logged '^GET /metadata/instance/compute\?api-version=2021-02-01 200 metadata=true'

state 's["azure"]["throttle_first"] = 2'
job azure
check "azure 429 twice: retried, answered" has "azure.location=westeurope"
check "azure 429 twice: three requests" [ "$(grep -c '^GET /metadata/instance/compute' "$MD_LOG")" = 3 ]
state 's["azure"]["gone_first"] = 1'
job azure
check "azure 410: retried, answered" has "azure.location=westeurope"
check "azure 410: seen" logged ' 410 '
state 's["azure"]["throttle_first"] = 100'
job azure
check "azure 429 for ever: an error after the retries" grep -q "HTTP 429" "$T/out"
check "azure 429 for ever: within the timeout" faster_than 5

# ---- hostile answers ----
state 's["hostile"] = "huge"'
job aws
check "huge answer (10 MB): refused at the cap" grep -q "larger than" "$T/out"
check "huge answer: no facts" hasnt "aws.account"
state 's["hostile"] = "endless"'
job aws
check "never-ending answer: refused at the cap" grep -q "larger than" "$T/out"
check "never-ending answer: within the timeout" faster_than 4
state 's["hostile"] = "slow"; s["slow_seconds"] = 30'
job aws
check "slow answer: timed out" grep -q "timed out" "$T/out"
check "slow answer: within the timeout (3 s)" faster_than 5
state 's["hostile"] = "redirect"'
job gcp
check "redirect: not followed" grep -q "HTTP 302" "$T/out"
check "redirect: nothing asked elsewhere" bash -c "! grep -q elsewhere '$MD_LOG'"

state 's["aws"]["document_raw"] = "{\"accountId\": 123456789012, \"region\": \"eu-west-1\", \"availabilityZone\": \"a\", \"instanceId\": \"i\"}"'
job aws
check "wrong JSON type (accountId a number): refused" grep -q "^error=" "$T/out"
state 's["azure"]["compute_raw"] = "{\"subscriptionId\": \"s\", \"resourceGroupName\": \"g\", \"location\": \"l\", \"vmId\": \"v\", \"tagsList\": {\"name\": \"role\"}}"'
job azure
check "wrong JSON type (tagsList an object): refused" grep -q "^error=" "$T/out"
state 's["gcp"]["attributes_raw"] = "[1, 2]"'
job gcp
check "wrong JSON type (attributes an array): refused" grep -q "^error=" "$T/out"

state 's["aws"]["tags"] = {"role": "db,env=prod", "team": "a\nhost=evil", "role=db": "x", "ok": "fine", "big": "x" * 10240, "ctl": "a\u001b[2J"}'
job aws
check "injected tags: the valid one kept" has "aws.tag.ok=fine"
check "injected tags: nothing else from the tags" [ "$(grep -c '^aws.tag.' "$T/out")" = 1 ]
check "injected tags: no host= slipped in" hasnt "host="
check "injected tags: counted as left out" has "# left-out 5"
state 's["azure"]["tags"] = {"role": "db;env:prod", "x,y": "z", "t": "v=w"}'
job azure
check "azure injected tags: ';' in a value is kept whole" has "azure.tag.role=db;env:prod"
check "azure injected tags: ',' in a name and '=' in a value left out" has "# left-out 2"

# ---- no proxy, whatever the environment says ----
md_state "$DEFAULT"
: >"$MD_LOG"
rc=0
http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 all_proxy=http://127.0.0.1:9 \
        "$JIT_FETCH_HELPER" --metadata=aws --endpoint="$MD_URL" --timeout-usec=3000000 >"$T/out" 2>"$T/err" || rc=$?
check "proxy variables set: still asked directly" has "aws.account=123456789012"

summary
