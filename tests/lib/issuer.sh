# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The issuer side of a test: a signing key, grants and the store, made with
# the real jitctl (docs/testing.md). Sourced after tap.sh, with $JITCTL set
# and $D (the test's temp folder) set before the first call:
#
#   issuer_init              signing key $D/keys/signing.{key,jwks} ($D/keys 0700)
#   mint USER NAME ARGS…     a grant for USER into STORE/grants/NAME.jwt
#                            (jitctl issue options in ARGS: --jti, --scope, --ttl, …)
#   publish [ARGS…]          writes the store (jitctl publish options in ARGS:
#                            --bins, --head-ttl, --notify, …)
#   revoke JTI               adds JTI to the store's revoked list
#   claim FILE NAME          claim NAME of the JWT in FILE (a head, a grant)
#
# STORE is $ISSUER_STORE (default $D/store); publish verifies against
# $ISSUER_TRUST (default $D/keys/signing.jwks). Defaults of a grant: issuer
# $ISS, audience env=prod, ticket INC-1, approver bob, each unless ARGS give
# their own.

ISS=${ISS:-https://jit.example.com}

issuer_init() {
        require_exe "jitctl (JITCTL)" "${JITCTL:-}"
        mkdir -p "$D/keys"
        chmod 0700 "$D/keys"
        "$JITCTL" keygen --out "$D/keys/signing" >/dev/null
}

# mint USER NAME ARGS…: one grant, signed by the test issuer.
mint() {
        local user=$1 name=$2
        shift 2
        local aud=(--aud env=prod) ticket=(--ticket INC-1) approver=(--approver bob) a
        for a in "$@"; do
                case $a in
                --aud) aud=() ;;
                --ticket) ticket=() ;;
                --approver) approver=() ;;
                esac
        done
        "$JITCTL" issue --key "$D/keys/signing.key" --iss "$ISS" --sub "$user" "${aud[@]}" \
                "${ticket[@]}" "${approver[@]}" --out "${ISSUER_STORE:-$D/store}/grants/$name.jwt" "$@" >/dev/null
}

publish() {
        "$JITCTL" publish --store "${ISSUER_STORE:-$D/store}" --key "$D/keys/signing.key" --iss "$ISS" \
                --trust "${ISSUER_TRUST:-$D/keys/signing.jwks}" "$@" | sed 's/^/# publish: /'
}

revoke() {
        "$JITCTL" revoke --store "${ISSUER_STORE:-$D/store}" "$1" | sed 's/^/# revoke: /'
}

# claim FILE NAME: a claim of the JWT in FILE, as Python prints it.
claim() {
        /usr/bin/python3 - "$1" "$2" <<'EOF'
import base64, json, sys
p = open(sys.argv[1]).read().strip().split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))[sys.argv[2]])
EOF
}
