# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# A jit-access host and issuer in the test's temp folder $D, and token
# minting with the real jitctl (docs/testing.md). Sourced after tap.sh, with
# $JITCTL (and $JIT_HOST_APPLY for stage) set:
#
#   jit_host_init            signing key $D/keys/signing.{key,jwks}, trust
#                            store $D/host/trust.jwks, state/run folders,
#                            an empty store $D/store/grants, jit.conf
#   jit_write_conf [LINES]   (re)writes $D/host/jit.conf with extra LINES
#   stage                    applies the store to the host state as the agent would
#
# and the issuer's mint, publish, revoke and claim (tests/lib/issuer.sh);
# publish verifies against the host's trust store.
#
# Defaults: issuer $ISS, host $HOST_ID with labels $HOST_LABELS (env=prod,
# role=db); a grant's audience env=prod, ticket INC-1, approver bob.

# shellcheck source=tests/lib/issuer.sh
. "$(dirname "${BASH_SOURCE[0]}")/issuer.sh"

HOST_ID=${HOST_ID:-pay-db-1}
HOST_LABELS=${HOST_LABELS:-env=prod, role=db}

jit_host_init() {
        issuer_init
        mkdir -p "$D/host/state" "$D/host/run" "$D/store/grants"
        chmod 0755 "$D/host" "$D/host/state" "$D/host/run"
        install -m 0644 -o root -g root "$D/keys/signing.jwks" "$D/host/trust.jwks"
        ISSUER_TRUST=${ISSUER_TRUST:-$D/host/trust.jwks}
        jit_write_conf ""
}

# jit_write_conf EXTRA_LINES: the host's jit.conf, replaced atomically.
jit_write_conf() {
        {
                echo "# written by tests/lib/jit-host.sh"
                echo "issuers = $ISS"
                echo "trust_store = $D/host/trust.jwks"
                echo "state_dir = $D/host/state"
                echo "run_dir = $D/host/run"
                echo "host_id = $HOST_ID"
                echo "labels = $HOST_LABELS"
                # Never a real metadata service (CI may run on a cloud VM);
                # tests/system/test-cloud-sshd.sh sets cloud itself.
                if [[ ${1:-} != *"cloud = "* ]]; then echo "cloud = none"; fi
                if [[ -n ${1:-} ]]; then printf '%s\n' "$1"; fi
        } >"$D/host/jit.conf.tmp"
        chown root:root "$D/host/jit.conf.tmp"
        chmod 0644 "$D/host/jit.conf.tmp"
        mv -f "$D/host/jit.conf.tmp" "$D/host/jit.conf"
}

stage() {
        require_exe "jit-host-apply (JIT_HOST_APPLY)" "${JIT_HOST_APPLY:-}"
        "$JIT_HOST_APPLY" --config "$D/host/jit.conf" "$D/store" 2>&1 | sed 's/^/# stage: /'
        return "${PIPESTATUS[0]}"
}

publish_stage() {
        publish
        stage
}
