# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Results of a shell test, in TAP form, once for every tier and bench/
# (docs/testing.md). Sourced, not run:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
#   plan 3                      # optional: the count, checked by summary
#   pass "what held"            # ok 1 - what held
#   fail "what did not"         # not ok 2 - what did not
#   check "what" CMD ARGS…      # pass when CMD succeeds, else fail
#   note "text"                 # # text
#   die "why"                   # Bail out! why   (exit 1)
#   summary                     # 1..N, "N passed, M failed", exit 0 iff none failed
#
# meson runs the scripts with the exit-code protocol: the output is TAP for
# the reader, the status is what counts. A script may define tap_on_fail (no
# arguments): it runs after every failure, to show context (files, logs).
# skip_all REASON ends a test that cannot run here: exit 77 (meson's skip),
# or a failure when CI=true, where a missing requirement is a defect.

TAP_N=0
passed=0
failed=0
TAP_PLAN=
TAP_T0=$EPOCHREALTIME # when the test began (summary, elapsed)

# ci_strict: true when CI=true (as tests/run-all and .ci/run set it).
ci_strict() {
        case "${CI:-}" in
        true | TRUE | True | 1 | yes) return 0 ;;
        esac
        return 1
}

plan() {
        TAP_PLAN=$1
        echo "1..$1"
}

note() { echo "# $*"; }

pass() {
        TAP_N=$((TAP_N + 1))
        passed=$((passed + 1))
        echo "ok $TAP_N - $*"
}

fail() {
        TAP_N=$((TAP_N + 1))
        failed=$((failed + 1))
        echo "not ok $TAP_N - $*"
        if declare -F tap_on_fail >/dev/null; then tap_on_fail || true; fi
}

# check DESCRIPTION COMMAND…: pass when COMMAND succeeds.
check() {
        local what=$1
        shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}

# die REASON: the test cannot go on (a broken fixture, not a verdict).
die() {
        echo "Bail out! $*"
        echo "Bail out! $*" >&2
        exit 1
}

# skip_all REASON: the test cannot run on this machine.
skip_all() {
        if ci_strict; then
                die "$* (CI=true: a missing requirement fails)"
        fi
        echo "1..0 # SKIP $*"
        exit 77
}

# require_root: the tests that start sshd, sudo, nspawn or the agent do.
require_root() {
        [[ $(id -u) -eq 0 ]] || skip_all "${0##*/} runs as root (CI does)"
}

# require_exe DESCRIPTION PATH: PATH is an executable (a built program or a
# tool to install); a test fails without it, it never skips.
require_exe() {
        [[ -n ${2:-} && -x $2 ]] || die "$1 not found or not executable: '${2:-}'"
}

# summary: the plan (when none was given first), the time taken and the
# counts; exits 0 iff nothing failed and the plan, if any, was met.
summary() {
        local rc=0
        if [[ -z $TAP_PLAN ]]; then
                echo "1..$TAP_N"
        elif ((TAP_PLAN != TAP_N)); then
                echo "# planned $TAP_PLAN tests, ran $TAP_N"
                rc=1
        fi
        awk -v a="$TAP_T0" -v b="$EPOCHREALTIME" -v n="${0##*/}" \
                'BEGIN { printf "# %s took %.1f s\n", n, b - a }'
        echo "$passed passed, $failed failed"
        ((failed == 0)) || rc=1
        exit "$rc"
}
