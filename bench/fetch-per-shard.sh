#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A baseline for the benchmarks (docs/benchmarks.md): stands in for jit-fetch
# (JIT_FETCH_HELPER) and turns a run of several shards (--object=… ×N) into N
# runs of the real helper, one process per shard, one after another, as the
# agent fetched shards before one run fetched them all
# (docs/decisions.md, "One fetch run per head's shards"). Any other call is
# passed through. REAL_JIT_FETCH: the real helper.
set -uo pipefail
real=${REAL_JIT_FETCH:?REAL_JIT_FETCH: the real jit-fetch}
common=()
objects=()
for a in "$@"; do
        case $a in
        --object=*) objects+=("$a") ;;
        *) common+=("$a") ;;
        esac
done
((${#objects[@]} > 0)) || exec "$real" "$@"
tmp=$(mktemp /tmp/fetch-per-shard.XXXXXX) || exit 1
trap 'rm -f "$tmp"' EXIT
for o in "${objects[@]}"; do
        "$real" "${common[@]}" "$o" >"$tmp" || exit 1
        cat "$tmp"
        # The run ends at the first failed shard, as the real one does
        # (a frame's first line is object=, its second error= or status=).
        { read -r _ && read -r l2; } <"$tmp" || l2=
        [[ $l2 == error=* ]] && exit 0
done
exit 0
