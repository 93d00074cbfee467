#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Ten real jit-agent processes, each with its own jit.conf, facts (labels),
# state and run folders, fetch one store from nginx on 127.0.0.1 through a
# path of their own (/h/<i>/…), through three publishes made by the real
# jitctl. bench/fleet-sim.py's "agents" run does it and compares nginx's
# access log with the model: every agent fetched, for each publish, exactly
# the objects that the real `jitctl store plan` names for its facts and that
# it did not hold yet (requests and bytes equal, per publish), and never an
# object outside its plan (another host's shard). The full run (50 agents)
# is a benchmark: docs/fleet-scale.md.
#
# test-fleet-agents.sh JIT_AGENT JITCTL FLEET_SIM
#
# Root only. About 45 s (poll_interval 5 s, its floor).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/tap.sh
. "$HERE/../lib/tap.sh"
require_root
require_exe "jit-agent" "${1:-}"
require_exe "jitctl" "${2:-}"
[[ -f ${3:-} ]] || die "fleet-sim.py not found: '${3:-}'"
[[ -x /usr/sbin/nginx ]] || die "/usr/sbin/nginx not found (install nginx-light)"

out=$(/usr/bin/python3 "$3" agents --agent "$1" --jitctl "$2" \
        ${JIT_FETCH_HELPER:+--fetch-helper "$JIT_FETCH_HELPER"} \
        --agents "${AGENTS:-10}" --others 30 --grants 200 --publishes 3 --seed 7 2>&1) && rc=0 || rc=$?
sed 's/^/# /' <<<"$out"
if ((rc == 0)); then
        pass "10 agents: nginx's log shows each agent fetched exactly its own plan's new objects, per publish"
else
        fail "fleet run: measured requests and bytes differ from the plan, or an agent fetched another host's object (exit $rc)"
fi
summary
