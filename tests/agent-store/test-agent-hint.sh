#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Store mirrors and the push hint, with the real jit-agent, the real jit-fetch
# and the real jitctl:
#   - mirrors: bundle_url lists two HTTPS stores (nginx on 127.0.0.1 with a
#     test CA), each a copy of the store folder (head.jwt and objects/); the
#     first is down, then stale (its newest head, the one held, expired),
#     then serves an older serial, then a new head without its shards: each
#     time the second's head is taken, with its shards fetched from the
#     second (a head's shards come from the mirror that served it), and
#     nothing older is ever applied;
#   - the hint: a second nginx with nchan (long-poll subscriber over TLS
#     with the store's ca_file, publisher on plain HTTP), `jitctl publish
#     --notify`: the new head arrives in ≤ 2 s with poll_interval 1 h; a burst
#     of hints is one fetch per notify_min_interval and the last publish is
#     never lost; the hint server restarted: the subscription comes back;
#   - faults (hint-server.py): the hint server down, hanging, answering
#     garbage, 10 MB, or a hint at every request as fast as the subscriber
#     asks: polling goes on at poll_interval, a grant still ends on time, the
#     agent's and the helper's CPU stay bounded, each failure logged once.
#
# test-agent-hint.sh JIT_AGENT JITCTL
#
# Root only (the agent refuses config and state not owned by root). Every
# process started here is ended here, by PID. About 85 s.

set -euo pipefail

AGENT=${1:-}
JITCTL=${2:-}
export JIT_FETCH_HELPER=${JIT_FETCH_HELPER:-$(dirname "${1:-.}")/../jit-fetch/jit-fetch}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/agent-store/lib.sh
. "$HERE/lib.sh"
NCHAN=/usr/lib/nginx/modules/ngx_nchan_module.so

nginx_require
[[ -f $NCHAN ]] || die "$NCHAN not found (install libnginx-mod-nchan)"
STORE_PID=
HINT_PID=
PYSRV_PID=
CLEANUP_PIDS=(STORE_PID HINT_PID PYSRV_PID)
store_test_init agent-hint
FAIL_LOGS+=("store access log:$D/store-ng/access.log:20" "hint server access log:$D/hint-ng/access.log:20"
        "hint server error log:$D/hint-ng/error.log:10")
mkdir -p "$D/www-a" "$D/www-b" "$D/saved" "$D/store-ng" "$D/hint-ng"
chmod 0755 "$D/www-a" "$D/www-b" "$D/store" "$D/store/grants"
test_ca "jit-agent-hint test CA"

PORT_A=$(free_port)
PORT_B=$(free_port)
PORT_S=$(free_port)
PORT_DEAD=$(free_port) # nothing listens there
PORT_SUB=$(free_port)
PORT_PUB=$(free_port)
URL_A="https://127.0.0.1:$PORT_A/head.jwt"
URL_B="https://127.0.0.1:$PORT_B/head.jwt"
URL_S="https://127.0.0.1:$PORT_S/head.jwt"
URL_DEAD="https://127.0.0.1:$PORT_DEAD/head.jwt"
SUB_URL="https://127.0.0.1:$PORT_SUB/sub"
PUB_URL="http://127.0.0.1:$PORT_PUB/pub"

# write_conf LINES: the host's jit.conf (the common part, then LINES).
write_conf() { store_write_conf "$1"; }
reload() { kill -HUP "$AGENT_PID"; }

ssh_keys alice bob erin
# save NAME: a copy of the store folder as it is now (its head and objects).
save() { rm -rf "$D/saved/$1"; cp -a "$D/store" "$D/saved/$1"; }
# place STORE DIR [noobjects]: STORE's objects into DIR/objects (unless
# noobjects), then its head as DIR/head.jwt.
place() {
        local objects=$1/objects
        if [[ ${3:-} == noobjects ]]; then objects=; fi
        place_head "$1/head.jwt" "$objects" "$2"
}
head_sha() { head_sha256 "$1/head.jwt"; }

store_fetches() { grep -c 'GET /head.jwt' "$D/store-ng/access.log" 2>/dev/null || echo 0; }
fetches_of() { grep -c "^$1 .*GET /head.jwt" "$D/store-ng/access.log" 2>/dev/null || echo 0; }
# objects_since MARK PORT: shard requests to PORT after access log line MARK.
access_lines() { wc -l <"$D/store-ng/access.log" 2>/dev/null || echo 0; }
objects_since() { tail -n "+$(($1 + 1))" "$D/store-ng/access.log" | grep -c "^$2 .*GET /objects/" || true; }
# ticks PID: utime + stime of PID, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# shellcheck disable=SC2034 # used inside the eval strings of fault_case
HZ=$(getconf CLK_TCK)
subscriber_pid() { pgrep -P "$AGENT_PID" -f -- '--subscribe' | head -n1; }

# ---- nginx: the stores (A, B: mirrors; S: the store folder itself) ------------
# nchan wants its master process (without one, nginx 1.22 with nchan may
# crash at exit); daemon off keeps the master our child, ended by PID.
# nginx_tls DIR: the temp folders, the server certificate.
nginx_tls() {
        nginx_temp_paths "$1"
        cat <<EOF
        ssl_certificate $D/pki/server.pem;
        ssl_certificate_key $D/pki/server.key;
EOF
}
{
        nginx_main "$D/store-ng" on 256
        echo "http {"
        nginx_tls "$D/store-ng"
        cat <<EOF
        log_format by_port '\$server_port \$msec \$status "\$request"';
        access_log $D/store-ng/access.log by_port;
        default_type application/jwt;
        server { listen 127.0.0.1:$PORT_A ssl; root $D/www-a; }
        server { listen 127.0.0.1:$PORT_B ssl; root $D/www-b; }
        # S serves the store folder as publish writes it, several times a
        # second here: nginx's ETag (mtime in seconds and size) would name
        # two heads of one size written in one second alike. Without it,
        # every fetch is a 200 and the agent compares the bytes. Only the
        # head and objects/ are served (not grants/ or revoked).
        server { listen 127.0.0.1:$PORT_S ssl; root $D/store; etag off; location / { deny all; } location = /head.jwt { } location /objects/ { } }
}
EOF
} >"$D/store-ng/nginx.conf"
# The hint server, as docs/admin-guide.md configures it (TLS for the
# subscribers; the publisher on another listener, here plain HTTP).
{
        echo "load_module $NCHAN;"
        nginx_main "$D/hint-ng" on 256
        echo "http {"
        nginx_tls "$D/hint-ng"
        cat <<EOF
        log_format stamped '\$msec \$status "\$request"';
        access_log $D/hint-ng/access.log stamped;
        server {
                listen 127.0.0.1:$PORT_SUB ssl;
                location = /sub {
                        nchan_subscriber longpoll;
                        nchan_channel_id jit-fleet;
                        nchan_subscriber_first_message newest;
                        nchan_subscriber_timeout 50s;
                }
        }
        server {
                listen 127.0.0.1:$PORT_PUB;
                location = /pub {
                        nchan_publisher;
                        nchan_channel_id jit-fleet;
                        nchan_message_buffer_length 4;
                        nchan_message_timeout 10m;
                }
        }
}
EOF
} >"$D/hint-ng/nginx.conf"

"$PY" "$HERE/hint-server.py" "$D/pysrv.ports" "$D/pysrv.log" </dev/null >"$D/pysrv.out" 2>&1 &
# shellcheck disable=SC2034 # ended through CLEANUP_PIDS
PYSRV_PID=$!
nginx_start "$D/store-ng" "$PORT_S"
STORE_PID=$NGINX_PID
port_listens "$PORT_A" && port_listens "$PORT_B" || die "store nginx does not listen on all ports"
nginx_start "$D/hint-ng" "$PORT_SUB"
HINT_PID=$NGINX_PID
wait_for 5 test -s "$D/pysrv.ports" || die "hint-server.py did not start: $(cat "$D/pysrv.out")"
hostile() { echo "http://127.0.0.1:$(awk -v m="$1" '$1 == m { print $2 }' "$D/pysrv.ports")/sub"; }

# ---- M1: the first mirror is down -------------------------------------------------
grant alice alice-1 30m
publish
save serial1
place "$D/saved/serial1" "$D/www-b"
write_conf "bundle_url = $URL_DEAD $URL_B
poll_interval = 1h"

agent_start
say "agent $AGENT_PID; store nginx $STORE_PID (A $PORT_A, B $PORT_B, S $PORT_S); hint nginx $HINT_PID"

say "M1: mirror 1 down, mirror 2 serves serial 1"
check "M1: serial 1 accepted from mirror 2" wait_for 8 state_serial_is 1
check "M1: mirror 1's failure logged, mirror 2 tried at once" \
        grep -q 'store fetch from mirror 1 failed: could not connect.*; trying mirror 2' "$D/agent.log"
check "M1: not counted as a failed poll" eval '! grep -q "store fetch failed" "$D/agent.log"'
check "M1: mirror 2 was fetched" eval '(( $(fetches_of "$PORT_B") >= 1 ))'

say "M2: mirror 1 stopped at serial 2, which expires; mirror 2 has serial 3"
# A head published as if 598 s ago with a 10 min TTL: fresh for 2 s more.
cp -a "$D/store" "$D/store-stale"
EXP2=$((${EPOCHREALTIME%.*} + 2))
"$JITCTL" publish --store "$D/store-stale" --key "$D/keys/signing.key" --iss "$ISS" \
        --trust "$D/host/trust.jwks" --now "$((EXP2 - 600))" --head-ttl 10m >/dev/null 2>&1 ||
        die "cannot publish the short-lived head"
place "$D/store-stale" "$D/www-a" # serial 2
write_conf "bundle_url = $URL_A $URL_B
poll_interval = 1h"
reload
check "M2: serial 2 accepted from mirror 1" wait_for 8 state_serial_is 2
publish >/dev/null
publish
save serial3
place "$D/saved/serial3" "$D/www-b"
wait_for 5 eval '(( ${EPOCHREALTIME%.*} > EXP2 ))' || true
M=$(log_lines)
reload
check "M2: serial 3 accepted from mirror 2" wait_for 8 state_serial_is 3
check "M2: mirror 1 named stale (its head, the one held, expired), mirror 2 tried" \
        has_log_since "$M" 'mirror 1 has nothing newer than head serial 2, which expired .*trying mirror 2'
check "M2: not a failed poll" no_log_since "$M" 'store fetch failed'
check "M2: the state's head is mirror 2's" grep -q "^bundle-sha256 $(head_sha "$D/saved/serial3")$" "$STATE"

say "M3: mirror 1 serves an older serial (1), mirror 2 has serial 4"
place "$D/saved/serial1" "$D/www-a"
grant alice alice-2 30m # a new shard in serial 4
publish
save serial4
place "$D/saved/serial4" "$D/www-b"
M=$(log_lines)
A=$(access_lines)
reload
check "M3: serial 4 accepted from mirror 2" wait_for 8 state_serial_is 4
check "M3: mirror 1's serial 1 refused as a rollback" \
        has_log_since "$M" 'store update rejected: head serial 1 is older than the accepted 3'
check "M3: then mirror 2 tried at once" has_log_since "$M" 'mirror 1 failed: the fetched store update was rejected; trying mirror 2'
check "M3: still not a failed poll" no_log_since "$M" 'store fetch failed'
check "M3: serial 4's new shard fetched from mirror 2 ($(objects_since "$A" "$PORT_B"))" \
        eval '(( $(objects_since "$A" "$PORT_B") >= 1 ))'
check "M3: no shard asked of mirror 1" eval '(( $(objects_since "$A" "$PORT_A") == 0 ))'

say "M4: mirror 1 serves serial 5's head but not its new shard; mirror 2 has both"
grant alice alice-3 30m # a new shard in serial 5
publish
save serial5
place "$D/saved/serial5" "$D/www-a" noobjects
place "$D/saved/serial5" "$D/www-b"
M=$(log_lines)
A=$(access_lines)
reload
check "M4: serial 5 accepted" wait_for 8 state_serial_is 5
check "M4: the shard was asked of mirror 1, which served the head (a 404)" \
        eval '(( $(tail -n "+$((A + 1))" "$D/store-ng/access.log" | grep -c "^$PORT_A .* 404 \"GET /objects/") >= 1 ))'
check "M4: that shard's failure is mirror 1's failed fetch; mirror 2 tried at once" \
        has_log_since "$M" 'store fetch from mirror 1 failed: .*; trying mirror 2'
check "M4: mirror 2's head fetched, then its shard from mirror 2" \
        eval '(( $(fetches_of "$PORT_B") >= 1 && $(objects_since "$A" "$PORT_B") >= 1 ))'
check "M4: not a failed poll" no_log_since "$M" 'store fetch failed'
check "M4: the state's head is serial 5's" grep -q "^bundle-sha256 $(head_sha "$D/saved/serial5")$" "$STATE"

# ---- H: the hint ------------------------------------------------------------------
say "H1: notify_url on nchan over TLS; poll_interval 1 h"
M=$(log_lines)
M_H1=$M
write_conf "bundle_url = $URL_S
poll_interval = 1h
notify_url = $SUB_URL
notify_min_interval = 2s"
reload
check "H1: serial 5 from the store folder" wait_for 5 state_serial_is 5
check "H1: subscription up (the server holds its request)" wait_for 5 has_log_since "$M" 'notify_url subscription up'
M=$(log_lines)
grant bob bob-1 30m
T=$EPOCHREALTIME
publish --notify "$PUB_URL"
if wait_for 3 state_serial_is 6; then
        DT=$(fsub "$EPOCHREALTIME" "$T")
        check "H1: serial 6 applied ${DT} s after publish --notify (≤ 2 s; the next poll is 1 h away)" le "$DT" 2
else
        fail "H1: serial 6 not applied within 3 s of publish --notify"
fi
check "H1: the agent logged the hinted fetch" has_log_since "$M" 'hint from notify_url: fetching the store now'
wait_for 2 test -f "$KEYS/bob" || true
check "H1: keys/bob installed" grep -qF "$(cut -d' ' -f1-2 "$D/ssh/bob.pub")" "$KEYS/bob"

say "H2: 8 publishes with --notify in a burst: one fetch per notify_min_interval (2 s), the last not lost"
sleep 2.1 # out of H1's interval
F0=$(store_fetches)
T=$EPOCHREALTIME
for _ in 1 2 3 4 5 6 7 8; do publish --notify "$PUB_URL" >/dev/null; done
LAST=$(awk '$1 == "serial" { print $2 }' "$STATE")
DTB=$(fsub "$EPOCHREALTIME" "$T")
check "H2: the last publish (serial 14) applied" wait_for 5 state_serial_is 14
sleep 2.5
F=$(($(store_fetches) - F0))
# One at once, then at most one per 2 s over the burst and the one after it.
MAXF=$(awk -v d="$DTB" 'BEGIN { printf "%d", d / 2 + 3 }')
check "H2: $F store fetches for 8 hints over ${DTB} s (≤ $MAXF)" eval '(( F >= 1 && F <= MAXF ))'
# With notify_url the fetches go to one resident jit-fetch --serve
# (docs/decisions.md): no process start per hinted fetch.
SERVERS=$(log_since "$M_H1" | grep -c 'fetch server started (pid ' || true)
SERVE_PID=$(log_since "$M_H1" | sed -n 's/.*fetch server started (pid \([0-9]*\)).*/\1/p' | tail -1)
check "H2: every fetch since notify_url was set went to one resident fetch server (started $SERVERS time(s), pid ${SERVE_PID:-none} alive)" \
        test "$SERVERS" -eq 1 -a -n "$(pgrep -f -- '--serve' | grep -x "${SERVE_PID:-x}")"
note "H2: serial after the burst's end was $LAST"

say "H3: the hint server restarted"
M=$(log_lines)
stop_pid "$HINT_PID"
HINT_PID=
check "H3: subscription down logged" wait_for 12 has_log_since "$M" 'notify_url subscription down'
check "H3: logged once" eval '(( $(log_since "$M" | grep -c "subscription down") == 1 ))'
nginx_start "$D/hint-ng" "$PORT_SUB"
HINT_PID=$NGINX_PID
T=$EPOCHREALTIME
if wait_for 14 has_log_since "$M" 'notify_url subscription up'; then
        pass "H3: back up $(fsub "$EPOCHREALTIME" "$T") s after the restart (first retry window 10 s)"
else
        fail "H3: subscription not back within 14 s of the restart"
fi
T=$EPOCHREALTIME
publish --notify "$PUB_URL" >/dev/null
if wait_for 3 state_serial_is 15; then
        DT=$(fsub "$EPOCHREALTIME" "$T")
        check "H3: serial 15 applied ${DT} s after publish --notify (≤ 2 s)" le "$DT" 2
else
        fail "H3: serial 15 not applied within 3 s after the restart"
fi

# ---- F: faults ------------------------------------------------------------------------
# Each case: notify_url points at a broken hint server for WINDOW s with
# poll_interval 5 s and notify_min_interval 2 s. Polling must go on (≥ 2
# fetches: the reload's and one ~5 s later) with no more than the hints'
# allowance; the agent's CPU under 5 % of a core, the helper's under 25 %.
WINDOW=7
grant erin erin-1 24s # ends during the fault cases
ERIN_EXP=$(( ${EPOCHREALTIME%.*} + 24 ))
publish >/dev/null
fault_case() {
        local name=$1 url=$2 maxf=$3 m f0 a0 s0 sp f a s
        say "F-$name: notify_url = $url"
        m=$(log_lines)
        FM=$m
        f0=$(store_fetches)
        write_conf "bundle_url = $URL_S
poll_interval = 5s
allow_http = yes
notify_url = $url
notify_min_interval = 2s"
        a0=$(ticks "$AGENT_PID")
        reload
        sleep 1
        sp=$(subscriber_pid || true)
        s0=$( [[ -n $sp ]] && ticks "$sp" || echo 0)
        sleep $((WINDOW - 1))
        a=$(($(ticks "$AGENT_PID") - a0))
        s=$( [[ -n $sp ]] && echo $(($(ticks "$sp") - s0)) || echo 0)
        f=$(($(store_fetches) - f0))
        check "F-$name: polling goes on: $f fetches in $WINDOW s (2..$maxf)" eval "(( f >= 2 && f <= $maxf ))"
        check "F-$name: agent CPU $a ticks in $WINDOW s (< 5 %)" eval "(( a * 100 < 5 * HZ * WINDOW ))"
        check "F-$name: helper CPU $s ticks (< 25 %)" eval "(( s * 100 < 25 * HZ * (WINDOW - 1) ))"
        check "F-$name: agent alive" agent_alive
        if [[ $name != stall && $name != flood ]]; then
                check "F-$name: the failure logged once, not per retry" \
                        eval "(( \$(log_since $m | grep -c 'subscription down') == 1 ))"
        fi
}
fault_case down "http://127.0.0.1:$PORT_DEAD/sub" 3
fault_case stall "$(hostile stall)" 3
fault_case garbage "$(hostile garbage)" 3
fault_case huge "$(hostile huge)" 3
check "F-huge: the 10 MB answer was refused, not taken as a hint" no_log_since "$FM" 'hint from notify_url'
# One fetch at once, then ≤ one per 2 s: ≤ 1 + 7/2 + the poll's own.
fault_case flood "$(hostile flood)" 7
check "F-flood: hints were acted on (the fetch came forward)" has_log_since "$FM" 'hint from notify_url'
NREQ=$(grep -c '^flood' "$D/pysrv.log" || true)
check "F-flood: the subscriber asked $NREQ times in ${WINDOW} s (≤ 4 a second)" eval "(( NREQ <= 4 * WINDOW + 2 ))"

say "F: expiry during the faults"
wait_for "$(awk -v e="$ERIN_EXP" -v n="$EPOCHREALTIME" 'BEGIN { x = e - n + 3; printf "%.1f", (x > 0 ? x : 0.1) }')" \
        eval '! grep -qF "$(cut -d" " -f1-2 "$D/ssh/erin.pub")" "$KEYS/erin" 2>/dev/null' || true
check "F: erin's key removed at her grant's end" eval '! grep -qF "$(cut -d" " -f1-2 "$D/ssh/erin.pub")" "$KEYS/erin" 2>/dev/null'

say "end: SIGTERM ends the agent and its subscriber"
SP=$(subscriber_pid || true)
agent_term
rc=$AGENT_RC
check "end: agent exit status 0 (got $rc)" test "$rc" -eq 0
if [[ -n $SP ]]; then
        check "end: the subscriber $SP ended with it" wait_for 3 eval '! kill -0 $SP 2>/dev/null'
fi
summary
