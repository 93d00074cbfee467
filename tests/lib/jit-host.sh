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
#   mint USER NAME ARGS…     a grant for USER into $D/store/grants/NAME.jwt
#                            (jitctl issue options in ARGS: --jti, --scope, --ttl, …)
#   publish                  writes the store: shards ($D/store/objects/), then the signed head ($D/store/head.jwt)
#   stage                    applies it to the host state as the agent would
#   revoke JTI               adds JTI to the store's revoked list
#
# Defaults: issuer $ISS, host $HOST_ID with labels env=prod, role=db; a
# grant's audience env=prod, ticket INC-1, approver bob.

ISS=${ISS:-https://jit.example.com}
HOST_ID=${HOST_ID:-pay-db-1}

jit_host_init() {
        require_exe "jitctl (JITCTL)" "${JITCTL:-}"
        mkdir -p "$D/host/state" "$D/host/run" "$D/store/grants" "$D/keys"
        chmod 0755 "$D/host" "$D/host/state" "$D/host/run"
        chmod 0700 "$D/keys"
        "$JITCTL" keygen --out "$D/keys/signing" >/dev/null
        install -m 0644 -o root -g root "$D/keys/signing.jwks" "$D/host/trust.jwks"
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
                echo "labels = env=prod, role=db"
                # Never a real metadata service (CI may run on a cloud VM);
                # tests/system/test-cloud-sshd.sh sets cloud itself.
                if [[ ${1:-} != *"cloud = "* ]]; then echo "cloud = none"; fi
                if [[ -n ${1:-} ]]; then printf '%s\n' "$1"; fi
        } >"$D/host/jit.conf.tmp"
        chown root:root "$D/host/jit.conf.tmp"
        chmod 0644 "$D/host/jit.conf.tmp"
        mv -f "$D/host/jit.conf.tmp" "$D/host/jit.conf"
}

# mint USER NAME ARGS…: one grant, signed by the test issuer.
mint() {
        local user=$1 name=$2
        shift 2
        local aud=(--aud env=prod) a
        for a in "$@"; do
                if [[ $a == --aud ]]; then aud=(); fi
        done
        "$JITCTL" issue --key "$D/keys/signing.key" --iss "$ISS" --sub "$user" "${aud[@]}" \
                --ticket INC-1 --approver bob --out "$D/store/grants/$name.jwt" "$@" >/dev/null
}

publish() {
        "$JITCTL" publish --store "$D/store" --key "$D/keys/signing.key" --iss "$ISS" \
                --trust "$D/host/trust.jwks" | sed 's/^/# publish: /'
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

revoke() {
        "$JITCTL" revoke --store "$D/store" "$1" | sed 's/^/# revoke: /'
}
