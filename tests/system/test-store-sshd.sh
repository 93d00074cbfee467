#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The store end to end through real sshd: nginx on 127.0.0.1 serves a store
# made by jitctl publish (a signed head, shards named by their digest), the
# real jit-agent fetches the head and the shards of this host's facts
# (labels env=prod, role=db), and pam_jit in sshd's account stack decides
# on what the agent applied.
#
#  1. a grant for another label (env=dev): its shard is never fetched
#     (nginx's access log) and alice is refused;
#  2. a grant in the shard of the host's label (env=prod): alice is
#     admitted; the env=dev shard is still never fetched.
#
# Environment: JIT_PAM_MODULE, JITCTL, JIT_HOST_APPLY, JIT_AGENT
# (tests/system/meson.build). Root only. About 15 s.
set -euo pipefail
. "$(dirname "$(realpath "$0")")/lib.sh"
# shellcheck source=tests/lib/nginx.sh
. "$SYS_LIB_DIR/nginx.sh"

sys_init store-sshd
NGINX_PID=
store_cleanup() {
        local rc=$?
        stop_pid "$NGINX_PID"
        (exit "$rc")
        agent_cleanup
}
trap store_cleanup EXIT
require_exe "jit-agent (JIT_AGENT)" "${JIT_AGENT:-}"
nginx_require

# ---- nginx: the store folder as the web root, every request logged --------
PORT=$(free_port)
mkdir -p "$D/nginx" "$D/store/objects"
chmod 0755 "$D/store" "$D/store/objects"
{
        nginx_main "$D/nginx"
        echo "http {"
        nginx_temp_paths "$D/nginx"
        cat <<CONF
        log_format plain '\$status "\$request" bytes=\$body_bytes_sent';
        access_log $D/nginx/access.log plain;
        server {
                listen 127.0.0.1:$PORT;
                root $D/store;
                location /grants/ { return 403; }
        }
}
CONF
} >"$D/nginx/nginx.conf"
nginx_start "$D/nginx" "$PORT"
SANDBOX_LOGS+=("$D/nginx/access.log")

# 4096 bins: env=dev's bin is none of this host's (host, env=prod, role=db).
spublish() {
        local out serial mark
        out=$("$JITCTL" publish --store "$D/store" --key "$D/keys/signing.key" --iss "$ISS" \
                --trust "$D/host/trust.jwks" --bins 4096)
        echo "$out" | sed 's/^/# publish: /'
        serial=$(sed -n 's/^head serial \([0-9]*\):.*/\1/p' <<<"$out")
        [[ -n $AGENT_PID ]] || return 0
        mark=$(agent_log_mark)
        kill -HUP "$AGENT_PID"
        agent_log_wait "$mark" "head serial $serial accepted" 30 ||
                die "the agent did not accept head serial $serial"
}
# object_of GRANT_FILE: the object holding that grant.
object_of() { grep -lF "$(cat "$1")" "$D"/store/objects/* | xargs -n1 basename; }
fetched() { grep -q "\"GET /objects/$1 " "$D/nginx/access.log"; }

# shellcheck disable=SC2034 # read by agent_write_conf (tests/system/lib.sh)
AGENT_STORE_URL="http://127.0.0.1:$PORT/head.jwt"
agent_write_conf "poll_interval = 5s
allow_http = yes"
spublish # an empty store: the head exists before the agent's first poll
agent_start
sys_start_sshd

echo "## 1. a grant for another label"
grant dev --aud env=dev --jti g-dev --scope ssh --ttl 10m
spublish
DEV_OBJ=$(object_of "$D/store/grants/dev.jwt")
check "1. the env=dev grant is in an object of its own (${DEV_OBJ:0:12}…)" test -n "$DEV_OBJ"
check "1. nginx served the head" grep -q '^200 "GET /head.jwt ' "$D/nginx/access.log"
check "1. nginx never served the env=dev shard" bash -c "! grep -q '/objects/$DEV_OBJ' '$D/nginx/access.log'"
check "1. no users/alice on the host" test ! -e "$D/host/state/users/alice"
login echo hello-dev
expect_denied "1. alice with only an env=dev grant" "jit: no access grant for alice on this host"

echo "## 2. a grant in the shard of the host's label"
grant prod --jti g-prod --scope ssh --ttl 10m
spublish
PROD_OBJ=$(object_of "$D/store/grants/prod.jwt")
check "2. the env=prod grant's shard was fetched" fetched "$PROD_OBJ"
check "2. users/alice holds the env=prod grant only" \
        bash -c "grep -qF \"\$(cat '$D/store/grants/prod.jwt')\" '$D/host/state/users/alice' && ! grep -qF \"\$(cat '$D/store/grants/dev.jwt')\" '$D/host/state/users/alice'"
login echo hello-prod
expect_allowed "2. alice with the env=prod grant" hello-prod
check "2. nginx still never served the env=dev shard" bash -c "! grep -q '/objects/$DEV_OBJ' '$D/nginx/access.log'"

sys_finish
