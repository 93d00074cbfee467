# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Shared by the scripts that run the real jit-agent here against stores of
# the test's own (test-agent-store.sh, test-store-hostile.sh,
# test-agent-hint.sh, test-fetch-helper.sh). Sourced, not run, after the
# script set AGENT and JITCTL (its arguments). From tests/lib: results and
# waiting (tap.sh, wait.sh), the issuer and the host (jit-host.sh: keys,
# grants, publish, jit.conf; labels env=prod here), nginx (nginx.sh).
#
#   store_test_init NAME     root, the agent and jitctl, $D = /tmp/jit-NAME.XXXXXX
#                            (0755: nginx reads its root from here, and every
#                            folder on the way to jit.conf must be root's and
#                            not group/world writable), the EXIT trap, the host
#   store_write_conf LINES   jit.conf: the host, ca_file, fetch_timeout 2 s,
#                            clock_skew 0, then LINES
#   test_ca CN               a test CA and a server certificate for IP
#                            127.0.0.1 in $D/pki; the CA as $D/host/ca.pem
#   store_nginx_conf LOG_FORMAT DEFAULT_TYPE
#                            $D/nginx/nginx.conf: one TLS server on
#                            127.0.0.1:$PORT with the root $D/www, every
#                            request logged to $D/nginx/access.log as
#                            LOG_FORMAT (nginx's variables)
#   ssh_keys USER…           an ed25519 key each, $D/ssh/USER{,.pub}
#   grant USER JTI TTL [AUD] an ssh grant with USER's key (AUD env=prod)
#   place_head HEAD OBJECTS WWW
#                            OBJECTS/* (none when OBJECTS is empty) into
#                            WWW/objects, then HEAD as WWW/head.jwt,
#                            atomically, with an mtime of its own (nginx's
#                            ETag is mtime and size: two heads of one size
#                            placed in one second would have the same)
#   host_objects             the objects a host of the facts in $D/facts
#                            fetches at the store's head (jitctl store plan)
#   agent_start              the agent on $D/host/jit.conf, AGENT_PID; its
#                            stderr time-stamped into $D/agent.log by a
#                            stamper started with the first agent;
#                            AGENT_RESTARTS=1: the stamper holds the fifo
#                            open read-write, so that it outlives an agent
#                            and a restarted one logs on into the same file
#   agent_term               SIGTERM, reaped: AGENT_RC
#
# Teardown (the EXIT trap) ends AGENT_PID, STAMP_PID and the PIDs in the
# variables named in CLEANUP_PIDS, runs CLEANUP_HOOK, and when something
# failed shows the files of FAIL_LOGS ("TITLE:FILE:LINES"); KEEP_TEST_DIR=1
# keeps $D. The agent's views: STATE, KEYS, state_get, log_since … below.

# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
# shellcheck source=tests/lib/wait.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/wait.sh"
HOST_LABELS=${HOST_LABELS:-env=prod}
# shellcheck source=tests/lib/jit-host.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/jit-host.sh"
# shellcheck source=tests/lib/nginx.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/nginx.sh"

T0=$TAP_T0
PY=/usr/bin/python3

AGENT_PID=
STAMP_PID=
CLEANUP_PIDS=()
CLEANUP_HOOK=
FAIL_LOGS=()

say() { printf '# [%6.2f] %s\n' "$(elapsed)" "$*"; }

store_cleanup() {
        local rc=$? v entry title file lines
        stop_pid "$AGENT_PID"
        for v in "${CLEANUP_PIDS[@]}"; do stop_pid "${!v}"; done
        [[ -z $CLEANUP_HOOK ]] || $CLEANUP_HOOK
        stop_pid "$STAMP_PID"
        if ((rc != 0 || failed != 0)) && [[ -n ${D:-} ]]; then
                for entry in "${FAIL_LOGS[@]}"; do
                        IFS=: read -r title file lines <<<"$entry"
                        echo "# ---- $title ----"
                        sed 's/^/#   /' "$file" 2>/dev/null | tail -"$lines" || true
                done
        fi
        if [[ -n ${D:-} && -z ${KEEP_TEST_DIR:-} ]]; then rm -rf "$D"; fi
        exit "$rc"
}

store_test_init() {
        require_root # the agent checks its files are root's
        require_exe "jit-agent" "$AGENT"
        require_exe "jitctl" "$JITCTL"
        require_exe "$PY" "$PY"
        umask 022
        D=$(mktemp -d "/tmp/jit-$1.XXXXXX")
        trap store_cleanup EXIT
        trap 'exit 130' INT TERM
        chmod 0755 "$D"
        FAIL_LOGS=("agent log:$D/agent.log:60")
        STATE=$D/host/state/state
        KEYS=$D/host/run/keys
        jit_host_init
}

store_write_conf() {
        jit_write_conf "ca_file = $D/host/ca.pem
fetch_timeout = 2s
clock_skew = 0
$1"
}

test_ca() {
        command -v openssl >/dev/null || die "openssl not found"
        mkdir -p "$D/pki"
        (
                cd "$D/pki" || exit 1
                openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
                        -out ca.pem -days 2 -subj "/CN=$1" 2>/dev/null
                printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
                openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
                        -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
                openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                        -extfile server.ext -out server.pem 2>/dev/null
        )
        install -m 0644 -o root -g root "$D/pki/ca.pem" "$D/host/ca.pem"
}

# shellcheck disable=SC2153 # PORT is the caller's
store_nginx_conf() {
        mkdir -p "$D/nginx" "$D/www"
        chmod 0755 "$D/nginx" "$D/www"
        {
                nginx_main "$D/nginx"
                echo "http {"
                nginx_temp_paths "$D/nginx"
                cat <<EOF
        log_format stamped '$1';
        access_log $D/nginx/access.log stamped;
        default_type $2;
        etag on;
        server {
                listen 127.0.0.1:$PORT ssl;
                ssl_certificate $D/pki/server.pem;
                ssl_certificate_key $D/pki/server.key;
                root $D/www;
        }
}
EOF
        } >"$D/nginx/nginx.conf"
}

ssh_keys() {
        local u
        mkdir -p "$D/ssh"
        for u in "$@"; do
                ssh-keygen -q -t ed25519 -N '' -C "$u@jit-test" -f "$D/ssh/$u" >/dev/null
        done
}

grant() {
        mint "$1" "$2" --aud "${4:-env=prod}" --scope ssh --ssh-key-file "$D/ssh/$1.pub" --ttl "$3" --jti "$2"
}

PLACE_N=0
place_head() {
        PLACE_N=$((PLACE_N + 1))
        mkdir -p "$3/objects"
        chmod 0755 "$3/objects"
        if [[ -n $2 ]]; then
                cp -n "$2"/* "$3/objects/" 2>/dev/null || true
                chmod 0644 "$3"/objects/* 2>/dev/null || true
        fi
        cp "$1" "$3/.head.tmp"
        chmod 0644 "$3/.head.tmp"
        touch -d "@$((${T0%.*} - 100000 + PLACE_N))" "$3/.head.tmp"
        mv -f "$3/.head.tmp" "$3/head.jwt"
}

host_objects() {
        "$JITCTL" store plan --store "$D/store" --facts-file "$D/facts" | tr ' ' '\n' |
                sed -n 's/^\([0-9a-f]\{64\}\):.*/\1/p'
}

# head_sha256 FILE: what the agent records as bundle-sha256 (the head's,
# white space trimmed).
head_sha256() { "$PY" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read().strip()).hexdigest())' "$1"; }

# JIT_AGENT_WRAPPER: a command to run the agent under (the valgrindagent
# test setup of meson.build sets valgrind memcheck); its PID is the agent's.
# The agent's own lines carry only the syslog priority: "EPOCH <N>message".
agent_stamp() { while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done; }
agent_start() {
        if [[ -z $STAMP_PID ]]; then
                mkfifo "$D/agent.fifo"
                : >"$D/agent.log"
                if ((${AGENT_RESTARTS:-0})); then
                        agent_stamp <>"$D/agent.fifo" >"$D/agent.log" &
                else
                        agent_stamp <"$D/agent.fifo" >"$D/agent.log" &
                fi
                STAMP_PID=$!
        fi
        # shellcheck disable=SC2086 # the wrapper is a command line: split it
        env -u NOTIFY_SOCKET -u WATCHDOG_USEC -u WATCHDOG_PID \
                ${JIT_AGENT_WRAPPER:-} "$AGENT" --config "$D/host/jit.conf" </dev/null >>"$D/agent.stdout" 2>"$D/agent.fifo" &
        AGENT_PID=$!
}

# shellcheck disable=SC2034 # AGENT_RC is the caller's to check
agent_term() {
        kill -TERM "$AGENT_PID"
        AGENT_RC=0
        wait "$AGENT_PID" || AGENT_RC=$?
        AGENT_PID=
}

# ---- the agent's views ----------------------------------------------------
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
keys_digest() { (cd "$KEYS" && for f in *; do [[ -e $f ]] && echo "$f" && cat "$f"; done) | sha256sum | cut -c1-64; }
no_file() { [[ ! -e $1 ]]; }
