#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Denials at the key stage with sshd's AuthorizedKeysCommand
# (jit-agent --authorized-keys, jit-agent(8)): real sshd takes alice's keys
# only from the command, run as nobody (state_dir is root's 0700: the
# command reads run_dir only), and the real agent writes run_dir.
#
#  1. alice with no grant at all: refused at the key stage, and the command's
#     audit event "login of alice: no grant" reaches the journal;
#  2. a grant not valid yet: its key is served restricted, sshd runs the
#     account stage, pam_jit tells alice "starts at" on the real ssh
#     client's stderr and logs its audit event;
#  3. a usable grant: alice logs in as before (the plain keys line);
#  4. expired: "expired at …";
#  5. revoked: "was revoked";
#  6. pam_jit taken out of the PAM stack: the served key reaches only the
#     forced command: its refusal, exit non-zero, no shell;
#  7. the plain key files (AuthorizedKeysFile) never hold a restricted line.
#
# The journal: a datagram socket at /run/systemd/journal/socket inside the
# namespace (a private tmpfs) collecting what pam_jit and the command send.
#
# Environment: JIT_PAM_MODULE, JITCTL, JIT_HOST_APPLY, JIT_AGENT.
set -euo pipefail
. "$(dirname "$(realpath "$0")")/lib.sh"

sys_init keys-command
trap agent_cleanup EXIT
require_exe "jit-agent (JIT_AGENT)" "${JIT_AGENT:-}"
require_exe "python3" /usr/bin/python3

# sshd runs the command only if it and every folder above it are root's and
# writable by nobody else: a wrapper in the namespace's /etc (its overlay).
CMD=/etc/jit-keys-test/keys-command
JOURNAL=$D/journal.log
: >"$JOURNAL"
cat >"$D/journal-sink.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
os.chmod("/run/systemd/journal/socket", 0o666)  # the command runs as nobody
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536).replace(b"\n", b" | ") + b"\n")
EOF
NS_EXTRA_SETUP="
mount -t tmpfs -o mode=0755 tmpfs /run/systemd
mkdir -p /run/systemd/journal
/usr/bin/python3 $D/journal-sink.py $JOURNAL &
mkdir -m 0755 /etc/jit-keys-test
printf '#!/bin/sh\nexec %s --config %s --authorized-keys \"\$1\"\n' '$JIT_AGENT' '$D/host/jit.conf' >$CMD
chmod 0755 $CMD
for i in \$(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
"
SANDBOX_SSHD_EXTRA="AuthorizedKeysFile none
AuthorizedKeysCommand $CMD %u
AuthorizedKeysCommandUser nobody"

agent_write_conf "poll_interval = 5s"
chmod 0700 "$D/host/state"
publish
agent_start
sys_start_sshd

journal_has() { grep -qF -- "$1" "$JOURNAL"; }
# told WHAT TEXT: the login was refused by pam_jit's account stage with TEXT.
told() {
        expect_denied "$1" "$2"
        check "$1: pam_jit's audit event reaches the journal ('$3')" wait_for 5 journal_has "$3"
}

echo "# 1. no grant at all"
login echo IN
check "1. no grant: ssh exits 255 (got $rc)" test "$rc" = 255
check "1. no grant: only 'Permission denied (publickey)'" grep -q "Permission denied (publickey)" "$D/err"
check "1. no grant: the command's audit event 'login of alice: no grant' is in the journal" \
        wait_for 5 journal_has "login of alice: no grant (refused at the key stage"

echo "# 2. a grant not valid yet"
kgrant() {
        grant "$1" --jti "$2" --scope ssh --ssh-key-file "$D/client/alice.pub" "${@:3}"
}
kgrant later g-later --ttl 1h --not-before +1h
agent_publish
: >"$JOURNAL"
login echo IN
told "2. not yet valid" "jit: your access grant g-later starts at" "g-later"
check "2. the key is served behind restrict and a forced command" \
        grep -q '^restrict,command="echo .jit: access refused' "$D/host/run/keys-ended/alice"
check "2. the command's 'no grant' event is not logged when a restricted key is served" \
        bash -c '! grep -qF "login of alice: no grant" "$1"' _ "$JOURNAL"

echo "# 3. a usable grant"
rm "$D/store/grants/later.jwt"
kgrant now g-now --ttl 12s
EXP=$(date -d "+12 sec" +%s)
agent_publish
login echo IN
expect_allowed "3. usable grant" IN

echo "# 4. after expiry"
mark=$(agent_log_mark)
sleep $((EXP - $(date +%s) + 1))
agent_log_wait "$mark" "keys of alice removed" 10 || true
: >"$JOURNAL"
login echo IN
told "4. expired" "jit: your access grant g-now expired at" "g-now"

echo "# 5. after revocation"
rm "$D/store/grants/now.jwt"
kgrant rev g-rev --ttl 1h
agent_publish
login echo IN
expect_allowed "5. before revocation" IN
revoke g-rev
agent_publish
: >"$JOURNAL"
login echo IN
told "5. revoked" "jit: your access grant g-rev was revoked" "g-rev"

echo "# 6. pam_jit not in the PAM stack: the forced command only"
in_ns sed -i "/pam_jit/d" "/etc/pam.d/$SANDBOX_SERVICE"
login echo IN
check "6. no pam_jit: the login gets no shell (exit $rc, non-zero)" test "$rc" != 0
check "6. no pam_jit: the remote command did not run" bash -c '! grep -q IN "$1"' _ "$D/out"
check "6. no pam_jit: the forced command's refusal on stderr" \
        grep -qF "jit: access refused: no usable grant for this key" "$D/err"
sys_write_pam_stack
in_ns cp "$D/pam.d/$SANDBOX_SERVICE" "/etc/pam.d/$SANDBOX_SERVICE"

echo "# 7. the plain key files"
check "7. no restricted line in run_dir/keys (AuthorizedKeysFile)" \
        bash -c '! grep -rq "restrict" "$1"' _ "$D/host/run/keys"
check "7. run_dir/keys-ended is root's, 0755; alice's file 0644" \
        test "$(stat -c '%U %a' "$D/host/run/keys-ended") $(stat -c '%U %a' "$D/host/run/keys-ended/alice")" = "root 755 root 644"

sys_finish
