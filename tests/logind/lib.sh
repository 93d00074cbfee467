# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Shared by tests/logind's scripts (test-logind.sh, test-users.sh,
# test-audit.sh): results (tests/lib/tap.sh), the issuer
# (tests/lib/issuer.sh) and the guest (tests/lib/nspawn.sh), the programs
# under test, and the clock of their logs. Sourced, not run.
#
#   logind_programs PAM_JIT_SO JIT_AGENT JITCTL
#                            the built programs (the script's arguments),
#                            checked; PAM_JIT_SO, JIT_AGENT, JITCTL set
#   now                      the time, epoch seconds with nanoseconds
#   elapsed FROM [TO]        seconds from FROM to TO (default now), one decimal

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../lib/tap.sh"
# shellcheck source=tests/lib/issuer.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../lib/issuer.sh"
# shellcheck source=tests/lib/nspawn.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../lib/nspawn.sh"

D=
NSPAWN_PID=
GUEST_PID=

log() { note "$@"; }

now() { date +%s.%N; }

elapsed() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.1f", b - a }'; }

logind_programs() {
        PAM_JIT_SO=${1:-}
        JIT_AGENT=${2:-}
        JITCTL=${3:-}
        [[ -f $PAM_JIT_SO ]] || die "pam_jit.so not found: '$PAM_JIT_SO'"
        [[ -x $JIT_AGENT ]] || die "jit-agent not found: '$JIT_AGENT'"
        [[ -x $JITCTL ]] || die "jitctl not found: '$JITCTL'"
}
