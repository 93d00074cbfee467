#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Cloud facts end to end: the real jit-agent detects the cloud from DMI
# files (JIT_TEST_DMI_ROOT), asks the metadata fixture
# (tests/lib/metadata-fixture.py, through JIT_TEST_METADATA_URL) with the
# real jit-fetch, writes run_dir/facts; pam_jit in real sshd then admits
# alice with a grant for aws.account=123456789012,aws.tag.role=db on the
# host whose metadata says so, and refuses her where the account is
# another; the same for a GCP and an Azure selector. Also: selector_facts
# enforced at the host, a bare-metal host asks nothing, a hostile helper
# answer changes nothing, jitctl facts shows sources and age.
set -euo pipefail
. "$(dirname "$(realpath "$0")")/lib.sh"
# shellcheck source=tests/lib/metadata.sh
. "$SYS_LIB_DIR/metadata.sh"

sys_init cloud-sshd
trap agent_cleanup EXIT
require_exe "jit-agent (JIT_AGENT)" "${JIT_AGENT:-}"

md_start "$D/md"
SANDBOX_CLEANUP+=(md_stop)
SANDBOX_LOGS+=("$MD_LOG")
export JIT_TEST_METADATA_URL=$MD_URL

AWS_SEL="aws.account=123456789012,aws.tag.role=db"
GCP_SEL="gcp.project=pay-prod,gcp.zone=europe-west1-b"
AZURE_SEL="azure.subscription=8d10da13-8125-4ba9-a717-bf7490507b3d,azure.location=westeurope"
grant aws --jti g-aws --scope ssh --ttl 30m --aud "$AWS_SEL"
grant gcp --jti g-gcp --scope ssh --ttl 30m --aud "$GCP_SEL"
grant azure --jti g-azure --scope ssh --ttl 30m --aud "$AZURE_SEL"
publish

sys_start_sshd

# dmi ROOT FILE VALUE: a DMI tree that says one thing.
dmi() {
        rm -rf "$D/dmi"
        mkdir -p "$D/dmi/class/dmi/id" "$D/dmi/hypervisor"
        printf '%s\n' "$2" >"$D/dmi/$1"
        export JIT_TEST_DMI_ROOT=$D/dmi
}

facts_have() { grep -qxF -- "$1" "$D/host/run/facts" 2>/dev/null; }

# holds NAME: the agent has applied grant NAME for alice. New facts put
# the host in other bins: the agent then fetches those shards, a moment
# after it rewrote run_dir/facts (docs/bundle-format.md).
holds() { grep -qF -- "$(cat "$D/store/grants/$1.jwt")" "$D/host/state/users/$TEST_USER" 2>/dev/null; }

# host CONF_LINES: (re)start the agent with cloud = auto and these lines.
host() {
        agent_stop
        agent_write_conf "cloud = auto
$1"
        agent_start
}

# refresh: the instance's metadata changed: the agent asks again (SIGHUP).
refresh() {
        local mark
        mark=$(agent_log_mark)
        kill -HUP "$AGENT_PID"
        agent_log_wait "$mark" "configuration and trust store reloaded" 20 || die "no reload"
}

# ---- AWS ----
dmi class/dmi/id/sys_vendor "Amazon EC2"
host "selector_facts = host, env, role, aws."
check "aws: DMI says aws" agent_log_wait 0 "cloud: aws \(from DMI\)" 20
check "aws: the facts come from the metadata service" wait_for 20 facts_have "aws.account=123456789012"
check "aws: the tag fact too" facts_have "aws.tag.role=db"
check "aws: the fixture saw the IMDSv2 token PUT" grep -q "^PUT /latest/api/token 200" "$MD_LOG"
wait_for 20 holds aws || die "the aws grant's shard was not fetched"
login 'echo in'
expect_allowed "aws: $AWS_SEL on the instance of that account" in

"$JITCTL" facts --config "$D/host/jit.conf" >"$D/facts.out"
check "jitctl facts: a cloud fact, its source and age" \
        grep -qE '^aws\.account=123456789012 +AWS IMDSv2 instance identity document +[0-9]+ s +yes' "$D/facts.out"
check "jitctl facts: a label from jit.conf" grep -qE '^env=prod +jit.conf labels +- +yes' "$D/facts.out"
check "jitctl facts: when the cloud last answered" grep -q "aws metadata last answered" "$D/facts.out"
sed 's/^/# facts: /' "$D/facts.out"

# Another host: the metadata of another account.
md_state "$(md_state_default 999999999999)"
refresh
check "aws: the new account replaces the old in run_dir/facts" wait_for 20 facts_have "aws.account=999999999999"
login 'echo in'
expect_denied "aws: $AWS_SEL on an instance of another account" ""
md_state "$(md_state_default)"
refresh
wait_for 20 facts_have "aws.account=123456789012" || die "the account did not come back"

# Who may steer a selector: by default no tag can be named.
host ""
wait_for 20 facts_have "aws.account=123456789012" || die "no aws facts"
login 'echo in'
expect_denied "aws: a tag selector, selector_facts unset (tags not selectable)" ""
host "selector_facts = host, aws.account"
wait_for 20 facts_have "aws.account=123456789012" || die "no aws facts"
login 'echo in'
expect_denied "aws: a tag selector, selector_facts without aws.tag." ""
host "selector_facts = host, aws.account, aws.tag."
wait_for 20 facts_have "aws.account=123456789012" || die "no aws facts"
wait_for 20 holds aws || die "the aws grant's shard was not fetched"
login 'echo in'
expect_allowed "aws: a tag selector, selector_facts with aws.tag." in

# ---- on a timer: unchanged facts leave run_dir/facts alone; a change
# fetches the store again (poll_interval 1d: no poll of its own) ----
host "selector_facts = host, aws.
poll_interval = 1d
cloud_refresh = 5s"
wait_for 20 facts_have "aws.account=123456789012" || die "no aws facts"
fetched() { sed -n 's/^fetched //p' "$D/host/run/cloud-facts" 2>/dev/null; }
wait_for 10 test -n "$(fetched)" || die "no run_dir/cloud-facts"
ino=$(stat -c %i:%Y "$D/host/run/facts")
f0=$(fetched)
refreshed() { [[ -n $(fetched) && $(fetched) != "$f0" ]]; }
check "timer: asked again after cloud_refresh (5 s)" wait_for 15 refreshed
check "timer: the same facts: run_dir/facts not rewritten" [ "$(stat -c %i:%Y "$D/host/run/facts")" = "$ino" ]
refresh
f0=$(fetched)
sleep 1.1 # a second later: a rewrite would show in the time too
wait_for 15 refreshed || die "no refresh after the reload"
check "reload: the same facts: run_dir/facts not rewritten" [ "$(stat -c %i:%Y "$D/host/run/facts")" = "$ino" ]
out=$("$JITCTL" publish --store "$D/store" --key "$D/keys/signing.key" --iss "$ISS" --trust "$D/host/trust.jwks")
serial=$(sed -n 's/^head serial \([0-9]*\):.*/\1/p' <<<"$out")
mark=$(agent_log_mark)
md_state "$(md_state_default 999999999999)"
check "timer: the new account arrives without a reload" wait_for 15 facts_have "aws.account=999999999999"
check "timer: the facts change fetched the store again (head serial $serial)" \
        agent_log_wait "$mark" "head serial $serial accepted" 15
md_state "$(md_state_default)"

# ---- GCP ----
dmi class/dmi/id/product_name "Google Compute Engine"
host ""
check "gcp: DMI says gcp" agent_log_wait 0 "cloud: gcp \(from DMI\)" 20
check "gcp: the facts come from the metadata server" wait_for 20 facts_have "gcp.project=pay-prod"
check "gcp: the aws facts of before are gone" bash -c "! grep -q '^aws\.' '$D/host/run/facts'"
wait_for 20 holds gcp || die "the gcp grant's shard was not fetched"
login 'echo in'
expect_allowed "gcp: $GCP_SEL on an instance of that project" in
md_state "$(md_state_default 123456789012 pay-staging)"
refresh
check "gcp: another project" wait_for 20 facts_have "gcp.project=pay-staging"
login 'echo in'
expect_denied "gcp: $GCP_SEL on an instance of another project" ""
md_state "$(md_state_default)"

# ---- Azure ----
dmi class/dmi/id/chassis_asset_tag "7783-7084-3265-9085-8269-3286-77"
host ""
check "azure: DMI says azure" agent_log_wait 0 "cloud: azure \(from DMI\)" 20
check "azure: the facts come from IMDS" wait_for 20 facts_have "azure.subscription=8d10da13-8125-4ba9-a717-bf7490507b3d"
wait_for 20 holds azure || die "the azure grant's shard was not fetched"
login 'echo in'
expect_allowed "azure: $AZURE_SEL on a VM of that subscription" in
md_state "$(md_state_default 123456789012 pay-prod 11111111-2222-3333-4444-555555555555)"
refresh
check "azure: another subscription" wait_for 20 facts_have "azure.subscription=11111111-2222-3333-4444-555555555555"
login 'echo in'
expect_denied "azure: $AZURE_SEL on a VM of another subscription" ""
md_state "$(md_state_default)"

# ---- bare metal: nothing is asked ----
dmi class/dmi/id/sys_vendor "Dell Inc."
: >"$MD_LOG"
host ""
check "bare metal: DMI says none" agent_log_wait 0 "cloud: none \(from DMI\)" 20
check "bare metal: no cloud facts" bash -c "! grep -qE '^(aws|gcp|azure)\.' '$D/host/run/facts'"
login 'echo in'
expect_denied "bare metal: $AWS_SEL" ""
check "bare metal: no request reached a metadata service" [ ! -s "$MD_LOG" ]

# ---- a hostile helper answer changes nothing ----
dmi class/dmi/id/sys_vendor "Amazon EC2"
host "selector_facts = host, aws."
wait_for 20 facts_have "aws.account=123456789012" || die "no aws facts"
cat >"$D/evil-helper" <<'EOF'
#!/bin/sh
body='aws.account=123456789012
host=evil
'
printf 'status=200\nlength=%s\n\n%s' "${#body}" "$body"
EOF
chmod 0755 "$D/evil-helper"
agent_stop
mark=$(agent_log_mark)
JIT_FETCH_HELPER=$D/evil-helper agent_start
check "hostile helper: its answer is refused" agent_log_wait "$mark" "invalid answer from the helper: fact 'host=evil' is not under aws\." 20
check "hostile helper: host= stays this host's" facts_have "host=$HOST_ID"
check "hostile helper: the last good facts are kept" facts_have "aws.account=123456789012"

sys_finish
