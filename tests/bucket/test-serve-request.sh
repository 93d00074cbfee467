#!/bin/bash
# shellcheck disable=SC2034 # checks in single quotes are eval'd: they expand, and read, variables then
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The built jit-fetch --serve against hostile requests on its stdin
# (jit-fetch/wire/fetch-request.h; tests/unit/test-fetch-request.c checks
# the parser itself): each ends the server with exit status 1 and one line
# on stderr saying what was wrong, and nothing on stdout (no answer, no
# fetch). Two good requests in a row are answered in turn, one frame each
# (a file:// store: no network), and the end of input ends it quietly.
#
# test-serve-request.sh JIT_FETCH
set -euo pipefail

FETCH=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/tap.sh
. "$HERE/../lib/tap.sh"
require_exe jit-fetch "$FETCH"

D=$(mktemp -d /tmp/jit-serve-request.XXXXXX)
trap 'rm -rf "$D"' EXIT
echo hello >"$D/obj"
MAX=32768 # FETCH_REQUEST_MAX
ARGS=96   # FETCH_REQUEST_ARGS_MAX: 32 + JIT_FETCH_OBJECTS_MAX

# serve: the helper's answer to stdin in $D/out, stderr in $D/err, status in RC.
serve() {
        RC=0
        "$FETCH" --serve >"$D/out" 2>"$D/err" || RC=$?
}

serve < <(printf -- '--url=file://%s\0\0--url=file://%s/none\0--timeout-usec=2000000\0\0' "$D/obj" "$D")
check "two requests, two answers in turn (a body, then an error), exit 0 at the end of input" \
        eval '[[ $RC == 0 ]] && grep -qa "^hello$" "$D/out" && grep -qa "^error=-2$" "$D/out" &&
              [[ $(grep -ac "^status=\|^error=" "$D/out") == 2 && ! -s $D/err ]]'

# hostile NAME EXPECTED-STDERR: the request on stdin is refused.
hostile() {
        WANT=$2
        serve
        check "$1: exit 1, nothing answered, stderr says '$2'" \
                eval '[[ $RC == 1 && ! -s $D/out ]] && grep -q -- "malformed request: $WANT" "$D/err"'
}
hostile "too long" "a request longer than $MAX bytes" < <(
        printf -- '--url=file://'
        head -c $((MAX + 10)) /dev/zero | tr '\0' a
        printf '\0\0')
hostile "too many options" "a request of more than $ARGS options" < <(
        for _ in $(seq $((ARGS + 1))); do printf -- '--allow-http\0'; done
        printf -- '--url=file://%s\0\0' "$D/obj")
hostile "an unknown option" "unknown option or missing value: --bogus=1" < <(
        printf -- '--url=file://%s\0--bogus=1\0\0' "$D/obj")
hostile "an option without its value" "unknown option or missing value" < <(
        printf -- '--url\0\0')
hostile "no terminator before the end of input" "cut short by the end of input" < <(
        printf -- '--url=file://%s\0' "$D/obj")
hostile "not an option" "option 2 is not --name" < <(
        printf -- '--url=file://%s\0url=x\0\0' "$D/obj")
hostile "a control byte" "option 1 is not --name" < <(
        printf -- '--url=file://%s\n\0\0' "$D/obj")
hostile "an empty request" "an empty request" < <(printf '\0')
hostile "another job in a request (--metadata)" "only a fetch from the store is served" < <(
        printf -- '--metadata=aws\0\0')
hostile "a server in a request (--serve)" "--serve takes no other option" < <(
        printf -- '--serve\0--url=file://%s\0\0' "$D/obj")
hostile "a bad number" "invalid number: 12x" < <(
        printf -- '--url=file://%s\0--timeout-usec=12x\0\0' "$D/obj")
# After a good request, a bad one: the first is answered, then it ends.
serve < <(printf -- '--url=file://%s\0\0--nope\0\0' "$D/obj")
check "a good request answered, then a bad one ends it" \
        eval '[[ $RC == 1 ]] && grep -qa "^hello$" "$D/out" && grep -q "malformed request" "$D/err"'
summary
