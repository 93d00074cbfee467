#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# jit-agent's idle CPU and its memory, with baselines measured in the same run.
#
# Three hosts in a temp folder (/tmp, root 0755), each with its own jit.conf,
# trust store and a bundle signed by bench-agent-bundle, fetched by the agent
# from file:// with the DEFAULT poll_interval (60 s ± 10 %):
#   empty   0 grants                         (the memory baseline)
#   small   100 grants (50 users) + SESSIONS (5) live sessions
#   big     GRANTS (10 000) grants (5 000 users) + SESSIONS live sessions
#   fleet   GRANTS grants of a fleet, of which FLEET_MATCHING (100) apply to
#           this host (the others name env=dev,role=web; docs/fleet-scale.md)
# A session here is emulated: a process that wrote /proc/self/loginuid (so
# it has an audit session id of its own, as pam_loginuid gives sshd's
# monitor) and then exec'd sleep, plus a record in run_dir/sessions written
# in pam_jit's format. The agent checks and would end it exactly like an sshd
# one (bench-agent-sshd.sh measures real sshd sessions).
#
# The agents start one after the other; for each: time to the first accepted
# bundle, VmHWM and VmRSS then. Then one IDLE_SECONDS (60) window, measured
# for every agent at once and for two baselines started just before:
# `sleep IDLE+…` (does nothing) and a 1 Hz poller (python3: stat("/"), sleep 1).
# CPU = utime + stime (/proc/PID/stat, clock ticks) and on-CPU ns
# (/proc/PID/schedstat) at the end minus at the start, as % of one core.
# VmRSS and VmHWM again at the end (idle). Targets: idle CPU < 0.1 %,
# RSS < 8 MiB (peak, while applying, for the fleet host).
#
# Environment: JIT_AGENT, BENCH_AGENT_BUNDLE, BENCH_VERIFY_FLOOR (meson sets
# them; the last is optional). Root.
# GRANTS, SESSIONS, IDLE_SECONDS; MASSIF=1 also runs the big host once
# under valgrind --tool=massif (until the bundle is accepted) and prints the
# peak snapshot's top allocation sites; CHECK=1 exits 1 on a missed target.
# By hand:
#   JIT_AGENT=$PWD/BUILD/jit-agent/jit-agent BENCH_AGENT_BUNDLE=$PWD/BUILD/bench/bench-agent-bundle \
#   bash bench/bench-agent-resources.sh
set -euo pipefail

GRANTS=${GRANTS:-10000}
SESSIONS=${SESSIONS:-5}
IDLE_SECONDS=${IDLE_SECONDS:-60}
ISS=https://jit.example.com

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$(realpath "$0")")/../tests/lib/tap.sh"
[[ $(id -u) -eq 0 ]] || die "run as root (the agent refuses files root does not own)"
[[ -x ${JIT_AGENT:-} ]] || die "JIT_AGENT not set or not executable"
# The fetch helper of a build tree sits next to its agent.
export JIT_FETCH_HELPER=${JIT_FETCH_HELPER:-$(dirname "$JIT_AGENT")/../jit-fetch/jit-fetch}
[[ -x ${BENCH_AGENT_BUNDLE:-} ]] || die "BENCH_AGENT_BUNDLE not set or not executable"

PIDS=()
cleanup() {
        local rc=$? p
        set +e
        for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
        for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
        if [[ -n ${KEEP_TMP:-} ]]; then echo "# kept $D"; else rm -rf "$D"; fi
        exit "$rc"
}
D=$(mktemp -d /tmp/jit-abench-res.XXXXXX)
chmod 0755 "$D"
umask 022
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A AGENT BYTES USERS NGRANTS APPLY_MS HWM0 RSS0 ANON0

HOSTS=(empty small big fleet)
FLEET_MATCHING=${FLEET_MATCHING:-100}
make_host() {
        local name=$1 n=$2 out
        mkdir -p "$D/$name/state" "$D/$name/run"
        out=$(BENCH_MATCHING=${3:-$n} "$BENCH_AGENT_BUNDLE" "$D/$name" "$n")
        BYTES[$name]=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$out")
        USERS[$name]=$(sed -n 's/.*users=\([0-9]*\).*/\1/p' <<<"$out")
        NGRANTS[$name]=$n
        cat >"$D/$name/jit.conf" <<EOF
# written by bench-agent-resources.sh
issuers = $ISS
trust_store = $D/$name/trust.jwks
state_dir = $D/$name/state
run_dir = $D/$name/run
host_id = pay-db-1
labels = env=prod, role=db
bundle_url = file://$D/$name/head.jwt
EOF
}

status_kb() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }

# cpu PID: "ticks ns": utime+stime (all threads) and on-CPU ns (main thread).
cpu() {
        local stat rest
        stat=$(<"/proc/$1/stat")
        rest=${stat##*) }
        read -ra f <<<"$rest"
        # rest starts at field 3 (state): utime is field 14, stime 15.
        echo "$((f[11] + f[12])) $(cut -d' ' -f1 "/proc/$1/schedstat")"
}

# A session of user USER on host NAME with grant JTI: a process with its own
# audit session, and its record.
emulate_session() {
        local name=$1 user=$2 jti=$3 exp=$4 pid sid
        bash -c 'echo 0 >/proc/self/loginuid && exec sleep 100000' &
        pid=$!
        PIDS+=("$pid")
        for _ in $(seq 100); do
                sid=$(<"/proc/$pid/sessionid")
                [[ $sid != 4294967295 && $(readlink "/proc/$pid/exe") == */sleep ]] && break
                sleep 0.01
        done
        [[ $sid != 4294967295 ]] || die "could not give a process an audit session"
        printf 'grant=%s\nuser=%s\nservice=sshd\nleader=%s\nuid=%s\naudit-session=%s\nexp=%s\nbound=no\n' \
                "$jti" "$user" "$pid" 60000 "$sid" "$exp" >"$D/$name/run/sessions/.$sid.tmp"
        chmod 0600 "$D/$name/run/sessions/.$sid.tmp"
        mv "$D/$name/run/sessions/.$sid.tmp" "$D/$name/run/sessions/$sid"
}

# The grants' exp (claim of the first grant of the first shard).
first_grant_exp() {
        /usr/bin/python3 - "$D/$1/objects" <<'EOF'
import base64, json, os, sys
def claims(tok):
    p = tok.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
d = sys.argv[1]
print(claims(open(os.path.join(d, sorted(os.listdir(d))[0])).readline().strip())["exp"])
EOF
}

start_agent() {
        local name=$1 t0 t1
        t0=$EPOCHREALTIME
        "$JIT_AGENT" --config "$D/$name/jit.conf" >"$D/$name/agent.log" 2>&1 &
        AGENT[$name]=$!
        PIDS+=("$!")
        for _ in $(seq 6000); do
                grep -q "head serial .* accepted" "$D/$name/agent.log" && break
                kill -0 "${AGENT[$name]}" 2>/dev/null || die "$name: agent exited: $(cat "$D/$name/agent.log")"
                sleep 0.01
        done
        t1=$EPOCHREALTIME
        grep -q "head serial .* accepted" "$D/$name/agent.log" || die "$name: no bundle accepted in 60 s"
        APPLY_MS[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
        HWM0[$name]=$(status_kb "${AGENT[$name]}" VmHWM)
        RSS0[$name]=$(status_kb "${AGENT[$name]}" VmRSS)
        ANON0[$name]=$(status_kb "${AGENT[$name]}" RssAnon)
}

echo "# jit-agent resources: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
make_host empty 0
make_host small 100
make_host big "$GRANTS"
make_host fleet "$GRANTS" "$FLEET_MATCHING"
for h in "${HOSTS[@]}"; do
        echo "# host $h: ${NGRANTS[$h]} grants for ${USERS[$h]} users, bundle ${BYTES[$h]} bytes"
done

for h in "${HOSTS[@]}"; do start_agent "$h"; done
exp_small=$(first_grant_exp small)
exp_big=$(first_grant_exp big)
for ((i = 0; i < SESSIONS; i++)); do
        # user u0000i holds grants g-(2i+1) and g-(2i+2)
        emulate_session small "$(printf 'u%05d' "$i")" "g-$((2 * i + 1))" "$exp_small"
        emulate_session big "$(printf 'u%05d' "$i")" "g-$((2 * i + 1))" "$exp_big"
done
# Each new record makes the agent reconcile (inotify), and a reconcile with
# 10 000 grants takes seconds of CPU: the window starts once every agent has
# used no CPU for 2 s (at most 300 s), so that it measures idling, not that.
SETTLE0=$EPOCHREALTIME
for _ in $(seq 150); do
        a=$(for h in "${HOSTS[@]}"; do cpu "${AGENT[$h]}"; done)
        sleep 2
        b=$(for h in "${HOSTS[@]}"; do cpu "${AGENT[$h]}"; done)
        [[ $a == "$b" ]] && break
done
echo "# agents quiet after the sessions were recorded: $(awk -v a="$SETTLE0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s" \
        "(big: $(grep -c 'keys of' "$D/big/agent.log" || true) key-file log lines)"
for h in "${HOSTS[@]}"; do
        echo "# $h: CPU used so far (start, first apply, reconciles): $(cpu "${AGENT[$h]}" | awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f s", $1 / t }')"
done

# Baselines, started now, measured over the same window.
sleep $((IDLE_SECONDS + 30)) &
SLEEP_PID=$!
PIDS+=("$SLEEP_PID")
/usr/bin/python3 -c 'import os, time
while True:
    os.stat("/")
    time.sleep(1)' &
POLLER_PID=$!
PIDS+=("$POLLER_PID")
sleep 0.5

declare -A C0 C1 LF0 LF1
procs=("${HOSTS[@]}" sleep poller)
pid_of() {
        case $1 in
        sleep) echo "$SLEEP_PID" ;;
        poller) echo "$POLLER_PID" ;;
        *) echo "${AGENT[$1]}" ;;
        esac
}
for p in "${procs[@]}"; do C0[$p]=$(cpu "$(pid_of "$p")"); done
for h in "${HOSTS[@]}"; do LF0[$h]=$(sed -n 's/^last-fetch //p' "$D/$h/state/state" 2>/dev/null | head -1); done
T0=$EPOCHREALTIME
echo "# idle window: $IDLE_SECONDS s from $(date -u +%H:%M:%S) UTC"
sleep "$IDLE_SECONDS"
T1=$EPOCHREALTIME
for p in "${procs[@]}"; do C1[$p]=$(cpu "$(pid_of "$p")"); done
for h in "${HOSTS[@]}"; do LF1[$h]=$(sed -n 's/^last-fetch //p' "$D/$h/state/state" 2>/dev/null | head -1); done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

TICK=$(getconf CLK_TCK)
status=0
echo
echo "CPU over the idle window (${IDLE_SECONDS} s; % of one core):"
echo
echo "| process | utime+stime | % (ticks) | on-CPU (schedstat) | % (schedstat) | polls in window |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for p in "${procs[@]}"; do
        read -r t0 n0 <<<"${C0[$p]}"
        read -r t1 n1 <<<"${C1[$p]}"
        case $p in
        sleep) label="baseline: sleep" ;;
        poller) label="baseline: 1 Hz poller (python3)" ;;
        empty) label="jit-agent, empty (0 grants)" ;;
        fleet) label="jit-agent, fleet (${NGRANTS[$p]} grants, $FLEET_MATCHING apply)" ;;
        *) label="jit-agent, $p (${NGRANTS[$p]} grants, $SESSIONS sessions)" ;;
        esac
        polls=-
        if [[ $p != sleep && $p != poller ]]; then
                if [[ -n ${LF0[$p]} && ${LF0[$p]} != "${LF1[$p]}" ]]; then
                        polls="≥ 1 (last-fetch $((LF1[$p] - ${T0%.*})) s into it)"
                else
                        polls=0
                fi
        fi
        awk -v l="$label" -v dt=$((t1 - t0)) -v dn=$((n1 - n0)) -v a="$T0" -v b="$T1" -v tick="$TICK" -v polls="$polls" \
                'BEGIN { w = b - a; printf "| %s | %d ticks (%.0f ms) | %.3f %% | %.1f ms | %.4f %% | %s |\n",
                         l, dt, dt * 1000 / tick, dt / tick / w * 100, dn / 1e6, dn / 1e9 / w * 100, polls }'
        if [[ $p == small ]] && awk -v dn=$((n1 - n0)) -v w="$(awk -v a="$T0" -v b="$T1" 'BEGIN{print b-a}')" \
                'BEGIN { exit !(dn / 1e9 / w * 100 >= 0.1) }'; then
                status=1
        fi
done

echo
echo "Memory (kB):"
echo
echo "| agent | grants | users | head bytes | shards held (bytes) | first apply | VmHWM after apply | VmRSS after apply (anon) | VmRSS idle at end (anon + file) | Pss idle | VmHWM at end |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for h in "${HOSTS[@]}"; do
        pid=${AGENT[$h]}
        pss=$(sed -n 's/^Pss:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/smaps_rollup")
        held=$(find "$D/$h/state/shards" -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
        echo "| $h | ${NGRANTS[$h]} | ${USERS[$h]} | ${BYTES[$h]} | $held | ${APPLY_MS[$h]} ms | ${HWM0[$h]} | ${RSS0[$h]} (${ANON0[$h]}) | $(status_kb "$pid" VmRSS) ($(status_kb "$pid" RssAnon) + $(status_kb "$pid" RssFile)) | $pss | $(status_kb "$pid" VmHWM) |"
        if [[ $h == fleet ]] && (($(status_kb "$pid" VmHWM) >= 8192)); then status=1; fi
done

# The floor under the big agent's peak: the libraries plus the bundle's
# bytes, resident while its one Ed25519 signature is checked.
if [[ -x ${BENCH_VERIFY_FLOOR:-} ]]; then
        echo
        echo "Floor: one signature check over the big bundle with the agent's libraries (bench-verify-floor; kB):"
        echo
        "$BENCH_VERIFY_FLOOR" "$D/big/trust.jwks" "$D/big/head.jwt" | sed 's/^/    /'
fi

# The helper the agent starts for each poll (jit-fetch: libcurl, TLS), run
# here once per bundle as the agent runs it; its peak is its own, for the
# fraction of a second a fetch takes.
echo
echo "Fetch helper, one file:// fetch as the agent starts it (kB, ms):"
echo
echo "| bundle | bytes | peak RSS (ru_maxrss) | wall | CPU |"
echo "| --- | ---: | ---: | ---: | ---: |"
for h in empty big; do
        /usr/bin/python3 - "$JIT_FETCH_HELPER" "$D/$h/head.jwt" "$h" "${BYTES[$h]}" <<'EOF'
import resource, subprocess, sys, time
t = time.monotonic()
subprocess.run([sys.argv[1], "--url=file://" + sys.argv[2], "--max-size=16777216"],
               stdout=subprocess.DEVNULL, check=True)
wall = (time.monotonic() - t) * 1000
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"| {sys.argv[3]} | {sys.argv[4]} | {ru.ru_maxrss} | {wall:.1f} ms | {(ru.ru_utime + ru.ru_stime) * 1000:.1f} ms |")
EOF
done
echo
for h in small big; do
        n=$(grep -c "ending it\|record removed" "$D/$h/agent.log" || true)
        echo "# $h: sessions recorded $(ls "$D/$h/run/sessions" | wc -l), ended or removed by the agent: $n (expect $SESSIONS and 0)"
done

if [[ ${MASSIF:-0} == 1 ]]; then
        command -v valgrind >/dev/null || die "MASSIF=1 needs valgrind"
        echo
        echo "# massif: the big host's first apply under valgrind --tool=massif (slow)"
        rm -rf "$D/big/state" && mkdir -p "$D/big/state"
        valgrind --tool=massif --massif-out-file="$D/massif.out" "$JIT_AGENT" --config "$D/big/jit.conf" \
                >"$D/massif.log" 2>&1 &
        MPID=$!
        PIDS+=("$MPID")
        for _ in $(seq 6000); do
                grep -q "head serial .* accepted" "$D/massif.log" && break
                sleep 0.1
        done
        kill -TERM "$MPID"
        wait "$MPID" || true
        ms_print "$D/massif.out" >"$D/massif.txt"
        sed -n '1,40p' "$D/massif.txt" | sed 's/^/# /'
        if [[ -n ${MASSIF_OUT:-} ]]; then cp "$D/massif.out" "$D/massif.txt" "$MASSIF_OUT/"; fi
fi

if [[ ${CHECK:-0} == 1 ]]; then exit "$status"; fi
exit 0
