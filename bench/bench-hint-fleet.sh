#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Revocation across a fleet on one machine, with and without the push hint
# (docs/benchmarks.md, "Push hint"). HOSTS (50) hosts, each a real sshd (its
# own port and PAM service sshd-hNN, pam_jit with the host's own jit.conf)
# and a real jit-agent, all in one private mount namespace with an overlay
# /etc (tests/lib/sshd-sandbox.sh; the machine's /etc is never written);
# one HTTPS store (nginx serving the store folder, test CA) and one hint
# server (nginx + nchan: TLS subscriber, HTTP publisher), on 127.0.0.1.
#
#   1. HOSTS agents start with the DEFAULT poll_interval (60 s), no notify_url.
#   2. idle-poll: IDLE (60) s; CPU of every agent (on-CPU, schedstat).
#   3. nohint: one login per host (user uNN on host NN, a 1 h grant); at
#      HOSTS random instants in a WINDOW (120) s window, `jitctl revoke` +
#      `jitctl publish` of one grant. Latency = the client's exit (the
#      agent killed the session) minus the end of the publish.
#   4. every jit.conf gets notify_url (notify_min_interval default 5 s);
#      SIGHUP; every subscription up.
#   5. idle-hint: IDLE s; CPU and RSS of every agent and every subscriber
#      (jit-fetch --subscribe), and the hint server's RSS.
#   6. hint: as 3, with `publish --notify`; revocations GAP_MIN..GAP_MAX
#      (5.2..6.5) s apart, so each is outside the previous one's
#      notify_min_interval (a burst within it waits for the interval's end:
#      tests/agent-store/test-agent-hint.sh, H2).
#
# Root. Environment: JIT_PAM_MODULE, JITCTL, JIT_AGENT (meson sets them).
# By hand (about 12 min):
#   JIT_PAM_MODULE=$PWD/build/pam_jit/pam_jit.so JITCTL=$PWD/build/jitctl/jitctl \
#   JIT_AGENT=$PWD/build/jit-agent/jit-agent bash bench/bench-hint-fleet.sh
set -euo pipefail
HERE=$(dirname "$(realpath "$0")")
. "$HERE/../tests/lib/tap.sh"
. "$HERE/../tests/lib/wait.sh"
. "$HERE/../tests/lib/sshd-sandbox.sh"
. "$HERE/../tests/lib/jit-host.sh"

HOSTS=${HOSTS:-50}
WINDOW=${WINDOW:-120}
IDLE=${IDLE:-60}
GAP_MIN=${GAP_MIN:-5.2}
GAP_MAX=${GAP_MAX:-6.5}
PHASES=${PHASES:-nohint,hint}
NGINX=/usr/sbin/nginx
NCHAN=/usr/lib/nginx/modules/ngx_nchan_module.so
require_root
require_exe "jit-agent (JIT_AGENT)" "${JIT_AGENT:-}"
require_exe "pam_jit.so (JIT_PAM_MODULE)" "${JIT_PAM_MODULE:-}"
require_exe nginx "$NGINX"
[[ -f $NCHAN ]] || die "$NCHAN not found (libnginx-mod-nchan)"
export JIT_FETCH_HELPER=${JIT_FETCH_HELPER:-$(dirname "$JIT_AGENT")/../jit-fetch/jit-fetch}

sandbox_init hintbench
jit_host_init
NG_PIDS=()
stop_nginx() { local p; for p in "${NG_PIDS[@]}"; do stop_pid "$p"; done; }
SANDBOX_CLEANUP+=(stop_nginx)

hn() { printf 'h%02d' "$1"; }
un() { printf 'u%02d' "$1"; }
for ((i = 1; i <= HOSTS; i++)); do
        sandbox_add_user "$(un "$i")"
        mkdir -p "$D/$(hn "$i")/state" "$D/$(hn "$i")/run"
        chmod 0755 "$D/$(hn "$i")" "$D/$(hn "$i")/state" "$D/$(hn "$i")/run"
        printf '%s\n' \
                "auth     required pam_deny.so" \
                "account  required $JIT_PAM_MODULE config=$D/$(hn "$i")/jit.conf" \
                "account  required pam_unix.so" \
                "session  required pam_loginuid.so" \
                "session  required $JIT_PAM_MODULE config=$D/$(hn "$i")/jit.conf" \
                "session  required pam_unix.so" >"$D/pam.d/sshd-$(hn "$i")"
        chmod 0644 "$D/pam.d/sshd-$(hn "$i")"
done

# ---- PKI, store and hint server -------------------------------------------------
mkdir -p "$D/pki" "$D/ng/tmp" "$D/hng/tmp"
(
        cd "$D/pki"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
                -out ca.pem -days 2 -subj "/CN=bench CA" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
                -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                -extfile server.ext -out server.pem 2>/dev/null
)
install -m 0644 "$D/pki/ca.pem" "$D/host/ca.pem"
chmod 0755 "$D/store"
PS=$(free_port)
PSUB=$(free_port)
PPUB=$(free_port)
ng_conf() { # DIR: the common part
        cat <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log notice;
events { worker_connections 4096; }
EOF
}
ng_http() {
        cat <<EOF
        client_body_temp_path $1/tmp/body;
        proxy_temp_path $1/tmp/proxy;
        fastcgi_temp_path $1/tmp/fastcgi;
        uwsgi_temp_path $1/tmp/uwsgi;
        scgi_temp_path $1/tmp/scgi;
        ssl_certificate $D/pki/server.pem;
        ssl_certificate_key $D/pki/server.key;
        access_log $1/access.log;
EOF
}
{
        ng_conf "$D/ng"
        echo "http {"
        ng_http "$D/ng"
        echo "        default_type application/jwt;"
        echo "        server { listen 127.0.0.1:$PS ssl; root $D/store; location / { deny all; } location = /head.jwt { } location /objects/ { } }"
        echo "}"
} >"$D/ng/nginx.conf"
{
        echo "load_module $NCHAN;"
        ng_conf "$D/hng"
        echo "http {"
        ng_http "$D/hng"
        cat <<EOF
        server {
                listen 127.0.0.1:$PSUB ssl;
                location = /sub {
                        nchan_subscriber longpoll;
                        nchan_channel_id jit-fleet;
                        nchan_subscriber_first_message newest;
                        nchan_subscriber_timeout 50s;
                }
        }
        server {
                listen 127.0.0.1:$PPUB;
                location = /pub {
                        nchan_publisher;
                        nchan_channel_id jit-fleet;
                        nchan_message_buffer_length 4;
                        nchan_message_timeout 10m;
                }
        }
}
EOF
} >"$D/hng/nginx.conf"
listening() { /usr/bin/python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$1" 2>/dev/null; }
for d in ng hng; do
        "$NGINX" -p "$D/$d" -c "$D/$d/nginx.conf" -e "$D/$d/error.log" </dev/null >"$D/$d/out" 2>&1 &
        NG_PIDS+=("$!")
done
wait_for 5 listening "$PS" || die "store nginx: $(tail -3 "$D/ng/error.log")"
wait_for 5 listening "$PSUB" || die "hint nginx: $(tail -3 "$D/hng/error.log")"
HINT_NGINX=${NG_PIDS[1]}
PUB_URL="http://127.0.0.1:$PPUB/pub"

# host_conf I [LINES]
host_conf() {
        local h
        h=$(hn "$1")
        {
                echo "issuers = $ISS"
                echo "trust_store = $D/host/trust.jwks"
                echo "state_dir = $D/$h/state"
                echo "run_dir = $D/$h/run"
                echo "host_id = $h"
                echo "labels = env=prod"
                echo "clock_skew = 0"
                echo "bundle_url = https://127.0.0.1:$PS/head.jwt"
                echo "ca_file = $D/host/ca.pem"
                if [[ -n ${2:-} ]]; then printf '%s\n' "$2"; fi
        } >"$D/$h/jit.conf.tmp"
        chmod 0644 "$D/$h/jit.conf.tmp"
        mv -f "$D/$h/jit.conf.tmp" "$D/$h/jit.conf"
}

# ---- sshd: the sandbox's, then one per host in its namespace ----------------------
sandbox_start_sshd
declare -a SPORT
for ((i = 1; i <= HOSTS; i++)); do
        h=$(hn "$i")
        host_conf "$i"
        SPORT[i]=$(free_port)
        sed -e "s/^Port .*/Port ${SPORT[i]}/" -e "s|^PidFile .*|PidFile $D/$h/sshd.pid|" \
                "$D/sshd_config" >"$D/$h/sshd_config"
        ln -sf /usr/sbin/sshd "$D/sshd-$h"
        nsenter -t "$SSHD_PID" -m -- "$D/sshd-$h" -D -e -f "$D/$h/sshd_config" >>"$D/$h/sshd.log" 2>&1 &
        BG_PIDS+=("$!")
done
for ((i = 1; i <= HOSTS; i++)); do
        wait_for 30 listening "${SPORT[i]}" || die "sshd of $(hn "$i") not listening"
done
note "$HOSTS sshd listening"

publish >/dev/null
declare -a APID
: >"$D/agents.log"
for ((i = 1; i <= HOSTS; i++)); do
        h=$(hn "$i")
        nsenter -t "$SSHD_PID" -m -- "$JIT_AGENT" --config "$D/$h/jit.conf" >"$D/$h/agent.log" 2>&1 &
        APID[i]=$!
        BG_PIDS+=("${APID[i]}")
done
all_accepted() {
        local i
        for ((i = 1; i <= HOSTS; i++)); do
                grep -q accepted "$D/$(hn "$i")/agent.log" || return 1
        done
}
wait_for 60 all_accepted || die "not every agent accepted the first head"
note "$HOSTS agents running (poll_interval 60 s), load $(cut -d' ' -f1-3 /proc/loadavg)"

# nsenter (a mount namespace only) execs the agent: $! is the agent.
oncpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
sub_pid() { pgrep -P "$1" -f -- '--subscribe' | head -n1; }

# idle LABEL: on-CPU of every agent (and subscriber) over IDLE s; RSS.
idle() {
        local label=$1 i s a0=() s0=() sp=() a=0 sc=0 ar=0 sr=0
        for ((i = 1; i <= HOSTS; i++)); do
                a0[i]=$(oncpu_ns "${APID[i]}")
                sp[i]=$(sub_pid "${APID[i]}" || true)
                s0[i]=$([[ -n ${sp[i]} ]] && oncpu_ns "${sp[i]}" || echo 0)
        done
        sleep "$IDLE"
        for ((i = 1; i <= HOSTS; i++)); do
                a=$((a + $(oncpu_ns "${APID[i]}") - a0[i]))
                ar=$((ar + $(rss_kb "${APID[i]}")))
                if [[ -n ${sp[i]} ]]; then
                        sc=$((sc + $(oncpu_ns "${sp[i]}") - s0[i]))
                        sr=$((sr + $(rss_kb "${sp[i]}")))
                fi
        done
        awk -v l="$label" -v n="$HOSTS" -v t="$IDLE" -v a="$a" -v sc="$sc" -v ar="$ar" -v sr="$sr" 'BEGIN {
                printf "# idle %s over %d s, mean per host: agent %.2f ms on-CPU (%.4f %% of a core), RSS %.0f KiB", l, t, a / n / 1e6, a / n / 1e7 / t, ar / n
                if (sr > 0) printf "; subscriber %.2f ms (%.4f %%), RSS %.0f KiB", sc / n / 1e6, sc / n / 1e7 / t, sr / n
                printf "\n" }'
}

# open_session TAG I: user uI on host I running `sleep 3600`.
open_session() {
        local tag=$1 i=$2
        (
                rc=0
                ssh -F /dev/null -p "${SPORT[i]}" -i "$D/client/alice" -o BatchMode=yes -o IdentitiesOnly=yes \
                        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=30 \
                        "$(un "$i")@127.0.0.1" 'echo READY; exec sleep 3600' \
                        >"$D/s.$tag.out" 2>"$D/s.$tag.err" </dev/null || rc=$?
                echo "$rc $EPOCHREALTIME" >"$D/s.$tag.exit"
        ) &
        BG_PIDS+=("$!")
}
session_ready() { grep -qx READY "$D/s.$1.out" 2>/dev/null; }

# phase LABEL NOTIFY: a 1 h grant per host, a login each, HOSTS revocations.
phase() {
        local label=$1 notify=$2 i u now t0 offs
        now=$(date +%s)
        for ((i = 1; i <= HOSTS; i++)); do
                u=$(un "$i")
                mint "$u" "$label-$u" --jti "$label-$u" --scope ssh --not-before "$now" --ttl 1h
        done
        if [[ -n $notify ]]; then
                "$JITCTL" publish --store "$D/store" --key "$D/keys/signing.key" --iss "$ISS" \
                        --trust "$D/host/trust.jwks" --notify "$notify" >/dev/null
        else
                publish >/dev/null
        fi
        # Every host has the grants before the logins (a SIGHUP polls at once).
        for ((i = 1; i <= HOSTS; i++)); do kill -HUP "${APID[i]}"; done
        sleep 3
        for ((i = 1; i <= HOSTS; i++)); do open_session "$label-$i" "$i"; done
        for ((i = 1; i <= HOSTS; i++)); do
                wait_for 60 session_ready "$label-$i" || die "$label: login on $(hn "$i") did not start: $(cat "$D/s.$label-$i.err")"
        done
        note "$label: $HOSTS sessions open, load $(cut -d' ' -f1 /proc/loadavg)"
        # The instants: random in the window, or random gaps.
        if [[ -n $notify ]]; then
                mapfile -t offs < <(python3 -c "import random; t=0
for _ in range($HOSTS): t += random.uniform($GAP_MIN, $GAP_MAX); print(f'{t:.3f}')")
        else
                mapfile -t offs < <(python3 -c "import random; print('\n'.join(f'{x:.3f}' for x in sorted(random.uniform(0, $WINDOW) for _ in range($HOSTS))))")
        fi
        # Which host is revoked at which instant: a random order.
        mapfile -t order < <(python3 -c "import random; l=list(range(1, $HOSTS + 1)); random.shuffle(l); print('\n'.join(map(str, l)))")
        # CPU of the fleet over the revocations: every agent's own and its
        # reaped children's (each fetch's jit-fetch), in clock ticks.
        # Each agent's own and reaped children's CPU, plus its children
        # still running: the subscriber and the resident jit-fetch --serve.
        fleet_ticks() {
                local i c sum=0
                for ((i = 1; i <= HOSTS; i++)); do
                        sum=$((sum + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/${APID[i]}/stat" 2>/dev/null || echo 0)))
                        for c in $(cat /proc/"${APID[i]}"/task/*/children 2>/dev/null); do
                                sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo 0)))
                        done
                done
                echo "$sum"
        }
        local c0
        c0=$(fleet_ticks)
        t0=$EPOCHREALTIME
        : >"$D/$label.pub"
        for k in "${!order[@]}"; do
                i=${order[$k]}
                python3 -c "import time; d = $t0 + ${offs[$k]} - time.time(); time.sleep(max(0, d))"
                "$JITCTL" revoke --store "$D/store" "$label-$(un "$i")" >/dev/null
                if [[ -n $notify ]]; then
                        "$JITCTL" publish --store "$D/store" --key "$D/keys/signing.key" --iss "$ISS" \
                                --trust "$D/host/trust.jwks" --notify "$notify" >/dev/null
                else
                        publish >/dev/null
                fi
                echo "$i $EPOCHREALTIME" >>"$D/$label.pub"
        done
        local deadline=$(($(date +%s) + 80)) all
        while (($(date +%s) < deadline)); do
                all=1
                for ((i = 1; i <= HOSTS; i++)); do [[ -e $D/s.$label-$i.exit ]] || all=0; done
                ((all)) && break
                sleep 0.2
        done
        awk -v t="$(($(fleet_ticks) - c0))" -v hz="$(getconf CLK_TCK)" -v n="$HOSTS" -v w="$(fsub "$EPOCHREALTIME" "$t0")" 'BEGIN {
                printf "# %s: fleet CPU (agents and their jit-fetch helpers) %.1f s over %.0f s: %.0f ms per publish per host\n", "'"$label"'", t / hz, w, t / hz / n / n * 1000 }'
        : >"$D/$label.lat"
        while read -r i tp; do
                if [[ -e $D/s.$label-$i.exit ]]; then
                        read -r rc t <"$D/s.$label-$i.exit"
                        echo "$i $tp $rc $t" >>"$D/$label.lat"
                else
                        echo "$i $tp - -" >>"$D/$label.lat"
                fi
        done <"$D/$label.pub"
        python3 - "$label" "$D/$label.lat" <<'EOF'
import math, sys
label, path = sys.argv[1], sys.argv[2]
rows = [l.split() for l in open(path) if l.strip()]
lat = sorted(float(t) - float(ref) for _, ref, rc, t in rows if t != "-")
missing = sum(1 for r in rows if r[3] == "-")
bad = sum(1 for r in rows if r[3] != "-" and r[2] != "255")
def pct(p): return lat[max(0, math.ceil(p / 100 * len(lat)) - 1)]
print(f"# {label}: {len(lat)} sessions ended, {missing} not ended, {bad} clients exited other than 255")
if lat:
    print("| run | n | min | p50 | p90 | p99 | max | mean |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {label} | {len(lat)} | {lat[0]:.2f} s | {pct(50):.2f} s | {pct(90):.2f} s | {pct(99):.2f} s | {lat[-1]:.2f} s | {sum(lat)/len(lat):.2f} s |")
    print("# samples (s): " + " ".join(f"{x:.2f}" for x in lat))
EOF
}

IFS=, read -ra phases <<<"$PHASES"
idle no-hint
for p in "${phases[@]}"; do
        case $p in
        nohint) phase nohint "" ;;
        hint)
                for ((i = 1; i <= HOSTS; i++)); do
                        host_conf "$i" "notify_url = https://127.0.0.1:$PSUB/sub"
                        kill -HUP "${APID[i]}"
                done
                up() {
                        local i
                        for ((i = 1; i <= HOSTS; i++)); do
                                grep -q 'subscription up' "$D/$(hn "$i")/agent.log" || return 1
                        done
                }
                wait_for 30 up || die "not every subscription came up"
                note "hint server (nginx + nchan) RSS with $HOSTS subscribers: master $(rss_kb "$HINT_NGINX") KiB, worker $(rss_kb "$(pgrep -P "$HINT_NGINX" | head -n1)") KiB"
                idle with-hint
                phase hint "$PUB_URL"
                ;;
        *) die "unknown phase $p" ;;
        esac
done
note "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
