#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# jit-agent against real sshd sessions (tests/lib/sshd-sandbox.sh through
# tests/system/lib.sh: one sshd on 127.0.0.1 in a private mount namespace
# with an overlay /etc; the machine's /etc is never written). jit-agent runs in that namespace with
# bundle_url = file://…/head.jwt, clock_skew = 0 and the DEFAULT
# poll_interval (60 s).
#
# Phases (PHASES, comma list; default together,staggered,revoke):
#   together   SESSIONS (20) logins, one user each, each admitted by its own
#              ssh grant; all grants end at the same second E. Latency of a
#              session = the second its ssh client exits (the agent killed
#              every process of its audit session and the connection closed)
#              minus E.
#   staggered  the same, grant i ends at E + i s (one expiry per second, so
#              each deadline is a separate timer wake-up).
#   revoke     REVOKES (8) logins with 1 h grants; at REVOKES random instants
#              in a REVOKE_WINDOW (120 s) window, `jitctl revoke` + `jitctl
#              publish` of one grant. Latency = client exit minus the end of
#              the publish. Bounded by poll_interval + 10 % jitter (66 s).
#
# Environment: JIT_PAM_MODULE, JITCTL, JIT_HOST_APPLY, JIT_AGENT (meson sets
# them). Root. CHECK=1: exit 1 when an expiry phase's p99 is over 1 s.
# By hand:
#   JIT_PAM_MODULE=$PWD/BUILD/pam_jit/pam_jit.so JITCTL=$PWD/BUILD/jitctl/jitctl \
#   JIT_HOST_APPLY=$PWD/BUILD/tests/tools/jit-host-apply JIT_AGENT=$PWD/BUILD/jit-agent/jit-agent \
#   PHASES=together,staggered,revoke bash bench/bench-agent-sshd.sh
set -euo pipefail
. "$(dirname "$(realpath "$0")")/../tests/system/lib.sh"

PHASES=${PHASES:-together,staggered,revoke}
SESSIONS=${SESSIONS:-20}
REVOKES=${REVOKES:-8}
REVOKE_WINDOW=${REVOKE_WINDOW:-120}
require_exe "jit-agent (JIT_AGENT)" "${JIT_AGENT:-}"
# The fetch helper of a build tree sits next to its agent.
export JIT_FETCH_HELPER=${JIT_FETCH_HELPER:-$(dirname "$JIT_AGENT")/../jit-fetch/jit-fetch}

exp_users=()
for ((i = 1; i <= SESSIONS; i++)); do exp_users+=("$(printf 'b%02d' "$i")"); done
rev_users=()
for ((i = 1; i <= REVOKES; i++)); do rev_users+=("$(printf 'r%02d' "$i")"); done

sys_init abench
sys_write_conf "clock_skew = 0
bundle_url = file://$D/store/head.jwt"
for u in "${exp_users[@]}" "${rev_users[@]}"; do
        sandbox_add_user "$u"
done
sys_start_sshd

# issue USER JTI NBF EXP: one ssh grant, exp exactly EXP.
issue() {
        mint "$1" "$2" --jti "$2" --scope ssh --not-before "$3" --ttl "$(($4 - $3))s"
}

# An empty bundle first, so the agent starts with a store that answers.
publish >/dev/null
nsenter -t "$SSHD_PID" -m -- "$JIT_AGENT" --config "$D/host/jit.conf" >"$D/agent.log" 2>&1 &
AGENT_PID=$!
BG_PIDS+=("$AGENT_PID")
for _ in $(seq 100); do
        grep -q "accepted" "$D/agent.log" 2>/dev/null && break
        sleep 0.05
done
grep -q "accepted" "$D/agent.log" || die "the agent did not accept the first bundle: $(cat "$D/agent.log")"
sys_log "jit-agent pid $AGENT_PID (poll_interval default 60 s, clock_skew 0)"
sys_log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# open_session TAG USER: a login running `sleep 600`, in the background; the
# client's exit code and exit time ($EPOCHREALTIME) go to $D/s.TAG.exit.
open_session() {
        local tag=$1 user=$2
        (
                rc=0
                ssh "${SSH_OPTS[@]}" "$user@127.0.0.1" 'echo READY; exec sleep 600' \
                        >"$D/s.$tag.out" 2>"$D/s.$tag.err" </dev/null || rc=$?
                echo "$rc $EPOCHREALTIME" >"$D/s.$tag.exit"
        ) &
        BG_PIDS+=("$!")
        for _ in $(seq 200); do
                grep -qx READY "$D/s.$tag.out" 2>/dev/null && return 0
                [[ -e $D/s.$tag.exit ]] && break
                sleep 0.05
        done
        cat "$D/s.$tag.err" >&2
        die "login of $user ($tag) did not start"
}

# wait_exits DEADLINE TAG…: until every TAG's client exited or DEADLINE (epoch s).
wait_exits() {
        local deadline=$1 t all
        shift
        while (($(date +%s) < deadline)); do
                all=1
                for t in "$@"; do [[ -e $D/s.$t.exit ]] || all=0; done
                ((all)) && return 0
                sleep 0.05
        done
        return 1
}

# stats LABEL FILE: FILE holds "tag reference exit_rc exit_time" lines.
stats() {
        python3 - "$1" "$2" "${CHECK:-0}" <<'EOF'
import math, sys
label, path, check = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
rows = [l.split() for l in open(path) if l.strip()]
lat, missing, bad_rc = [], 0, 0
for tag, ref, rc, t in rows:
    if t == "-":
        missing += 1
        continue
    if rc != "255":
        bad_rc += 1
    lat.append(float(t) - float(ref))
lat.sort()
def pct(p):
    return lat[max(0, math.ceil(p / 100 * len(lat)) - 1)]
print(f"# {label}: {len(lat)} sessions ended, {missing} not ended, {bad_rc} clients exited other than 255")
if lat:
    print(f"| phase | n | min | p50 | p90 | p99 | max | mean |")
    print(f"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {label} | {len(lat)} | {lat[0]*1000:.0f} ms | {pct(50)*1000:.0f} ms | {pct(90)*1000:.0f} ms | "
          f"{pct(99)*1000:.0f} ms | {lat[-1]*1000:.0f} ms | {sum(lat)/len(lat)*1000:.0f} ms |")
    print("# per session (s): " + " ".join(f"{x:.3f}" for x in lat))
if check and label != "revoke" and (missing or not lat or pct(99) > 1.0):
    print(f"# CHECK: {label} p99 over 1 s or sessions not ended")
    sys.exit(1)
EOF
}

status=0

# expiry_phase LABEL STEP: SESSIONS grants ending at E + i*STEP.
expiry_phase() {
        local label=$1 step=$2 now base i u e
        now=$(date +%s)
        # Issuing, staging and SESSIONS logins (~0.3 s each) must fit before E.
        base=$((now + 10 + SESSIONS / 2))
        declare -A exp_of=()
        for i in "${!exp_users[@]}"; do
                u=${exp_users[$i]}
                e=$((base + i * step))
                exp_of[$u]=$e
                issue "$u" "x-$label-$u" "$now" "$e"
        done
        publish >/dev/null
        stage >/dev/null
        for u in "${exp_users[@]}"; do open_session "$label-$u" "$u"; done
        (($(date +%s) < base)) || die "$label: the logins took too long (grants already ended)"
        sys_log "$label: ${#exp_users[@]} sessions open, first exp in $((base - $(date +%s))) s," \
                "load $(cut -d' ' -f1 /proc/loadavg)"
        local tags=()
        for u in "${exp_users[@]}"; do tags+=("$label-$u"); done
        wait_exits $((base + (SESSIONS - 1) * step + 20)) "${tags[@]}" || true
        : >"$D/$label.lat"
        for u in "${exp_users[@]}"; do
                if [[ -e $D/s.$label-$u.exit ]]; then
                        read -r rc t <"$D/s.$label-$u.exit"
                        echo "$u ${exp_of[$u]} $rc $t" >>"$D/$label.lat"
                else
                        echo "$u ${exp_of[$u]} - -" >>"$D/$label.lat"
                fi
        done
        stats "$label" "$D/$label.lat" || status=1
        rm -f "$D"/store/grants/x-"$label"-*.jwt
}

revoke_phase() {
        local now u i t0 off
        now=$(date +%s)
        for u in "${rev_users[@]}"; do issue "$u" "rv-$u" "$now" $((now + 3600)); done
        publish >/dev/null
        stage >/dev/null
        for u in "${rev_users[@]}"; do open_session "rv-$u" "$u"; done
        # Random instants in the window, sorted: the phase against the agent's
        # poll timer is random.
        mapfile -t offs < <(python3 -c "import random; print('\n'.join(f'{x:.3f}' for x in sorted(random.uniform(0, $REVOKE_WINDOW) for _ in range($REVOKES))))")
        sys_log "revoke: ${#rev_users[@]} sessions open; revocations at +${offs[*]} s"
        t0=$EPOCHREALTIME
        : >"$D/revoke.pub"
        for i in "${!rev_users[@]}"; do
                u=${rev_users[$i]}
                off=${offs[$i]}
                python3 -c "import time; d = $t0 + $off - time.time(); time.sleep(max(0, d))"
                "$JITCTL" revoke --store "$D/store" "rv-$u" >/dev/null
                publish >/dev/null
                echo "$u $EPOCHREALTIME" >>"$D/revoke.pub"
        done
        local tags=()
        for u in "${rev_users[@]}"; do tags+=("rv-$u"); done
        wait_exits $(($(date +%s) + 80)) "${tags[@]}" || true
        : >"$D/revoke.lat"
        while read -r u tp; do
                if [[ -e $D/s.rv-$u.exit ]]; then
                        read -r rc t <"$D/s.rv-$u.exit"
                        echo "$u $tp $rc $t" >>"$D/revoke.lat"
                else
                        echo "$u $tp - -" >>"$D/revoke.lat"
                fi
        done <"$D/revoke.pub"
        stats revoke "$D/revoke.lat" || status=1
        grep -c "head serial .* accepted" "$D/agent.log" | sed 's/^/# bundles accepted by the agent in the whole run: /'
}

IFS=, read -ra phases <<<"$PHASES"
for p in "${phases[@]}"; do
        case $p in
        together) expiry_phase together 0 ;;
        staggered) expiry_phase staggered 1 ;;
        revoke) revoke_phase ;;
        *) die "unknown phase $p" ;;
        esac
done
sys_log "agent ended $(grep -c 'ending it' "$D/agent.log") sessions; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n ${VERBOSE:-} ]]; then sed 's/^/# agent: /' "$D/agent.log"; fi
exit "$status"
