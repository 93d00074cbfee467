# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Shared by the scripts that run the real jit-agent here (test-agent-store.sh,
# test-fetch-helper.sh): results and waiting from tests/lib (tap.sh,
# wait.sh), and the views of the agent's log and state. Sourced, not run. The
# sourcing script sets D (its temp folder, with D/agent.log holding
# "EPOCHREALTIME line" entries), STATE (state_dir/state) and AGENT_PID.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
# shellcheck source=tests/lib/wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/wait.sh"

T0=$TAP_T0

say() { printf '# [%6.2f] %s\n' "$(elapsed)" "$*"; }

state_get() { awk -v k="$1" '$1 == k { print $2 }' "$STATE" 2>/dev/null; }
state_serial_is() { [[ $(state_get serial) == "$1" ]]; }
log_lines() { wc -l <"$D/agent.log"; }
# log_since MARK: agent log lines after line MARK.
log_since() { tail -n "+$(($1 + 1))" "$D/agent.log"; }
has_log_since() { log_since "$1" | grep -qE -- "$2"; }
no_log_since() { ! has_log_since "$@"; }
# first_stamp_since MARK REGEX: time the agent wrote the first matching line.
first_stamp_since() { log_since "$1" | grep -E -- "$2" | head -n1 | cut -d' ' -f1; }
agent_alive() { kill -0 "$AGENT_PID" 2>/dev/null; }
fd_count() { find "/proc/$AGENT_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
