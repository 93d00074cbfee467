# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# The cloud metadata fixture (tests/lib/metadata-fixture.py: one server on
# 127.0.0.1 speaking the documented AWS IMDSv2, GCP and Azure IMDS
# protocols, since no cloud is reachable from a test machine). Sourced after
# tap.sh and wait.sh:
#
#   md_start DIR        starts it with md_state_default in DIR/state.json;
#                       sets MD_URL (http://127.0.0.1:PORT), MD_PID, MD_LOG
#   md_state JSON       replaces the state the fixture answers from (read at
#                       every request: no restart)
#   md_state_default [ACCOUNT PROJECT SUBSCRIPTION]  the state of a normal
#                       instance of each cloud, as JSON on stdout
#   md_stop             ends it (by PID)

MD_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MD_PID=
MD_URL=
MD_DIR=

md_state_default() {
        local account=${1:-123456789012} project=${2:-pay-prod} sub=${3:-8d10da13-8125-4ba9-a717-bf7490507b3d}
        cat <<EOF
{"aws": {"account": "$account", "region": "eu-west-1", "az": "eu-west-1a",
         "instance_id": "i-0123456789abcdef0", "tags": {"role": "db", "Name": "pay db 1"}},
 "gcp": {"project": "$project", "id": 4567890123456789, "name": "pay-db-1",
         "zone": "projects/123456789/zones/europe-west1-b", "attributes": {"role": "db"}},
 "azure": {"subscription": "$sub", "resource_group": "pay-rg", "location": "westeurope",
           "vm_id": "02aab8a4-74ef-476e-8182-f6d2ba4166a6", "tags": {"Role": "db"}}}
EOF
}

md_state() {
        printf '%s\n' "$1" >"$MD_DIR/state.json.tmp"
        mv -f "$MD_DIR/state.json.tmp" "$MD_DIR/state.json"
}

md_start() {
        MD_DIR=$1
        mkdir -p "$MD_DIR"
        md_state "$(md_state_default)"
        rm -f "$MD_DIR/port"
        MD_LOG=$MD_DIR/requests.log
        : >"$MD_LOG"
        /usr/bin/python3 "$MD_LIB_DIR/metadata-fixture.py" "$MD_DIR/state.json" "$MD_DIR/port" \
                "$MD_LOG" 2>"$MD_DIR/fixture.err" &
        MD_PID=$!
        md_has_port() { [[ -s $MD_DIR/port ]]; }
        wait_for 20 md_has_port || die "the metadata fixture did not start: $(cat "$MD_DIR/fixture.err")"
        MD_URL=http://127.0.0.1:$(cat "$MD_DIR/port")
}

md_stop() {
        stop_pid "$MD_PID"
        MD_PID=
}
