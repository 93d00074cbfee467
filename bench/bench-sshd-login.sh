#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What does pam_jit add to an ssh login? One real sshd on 127.0.0.1 in a
# private mount namespace (tests/lib/sshd-sandbox.sh: overlay /etc, the
# machine's own /etc untouched) whose PAM stack is switched between logins:
#   A  with pam_jit:    account pam_jit, pam_unix; session pam_loginuid, pam_jit, pam_unix
#   B  without pam_jit: the same without the two pam_jit lines
# alice holds one valid ssh grant (staged with jit-host-apply). M logins of
# `ssh alice@127.0.0.1 true` with each stack, interleaved A B, B A, … so
# drift falls on both alike; wall time of each ssh client from start to exit.
#
# Why one sshd and not two: sshd pads every failed authentication attempt
# (the client's "none" probe) to 5 ms plus 0 to 4.2 ms derived from a
# secret each listener draws at start-up, so two listeners differ by up to
# ~8 ms per login whatever their PAM stacks (an A/A run showed 5 to 8 ms).
# /etc/pam.d/sshd-bench is a symlink to $D/pam-current, which is pointed at
# one stack or the other before each login (libpam reads the stack at every
# pam_start, i.e. every connection).
#
# Usage (root): JIT_PAM_MODULE=… JITCTL=… JIT_HOST_APPLY=… bench/bench-sshd-login.sh
#   LOGINS=M (default 100 per stack), WARMUP=N (default 4 per stack),
#   CHECK=1: exit 1 when the overhead of the medians is 2 % or more,
#   JIT_HOOKS=account|session: pam_jit only in that stage of stack A
#   (default both), to tell the hooks' shares apart; JIT_HOOKS=none: no
#   pam_jit in A either (an A/A run: what the method itself shows),
#   RUN_DIR_ON_DISK=1: keep run_dir in the temp folder (disk) instead of a
#   tmpfs mounted in the namespace (a real host has /run/jit on tmpfs).
# meson sets the three paths: meson test -C BUILD --benchmark --suite bench
set -euo pipefail
here=$(dirname "$(realpath "$0")")
. "$here/../tests/system/lib.sh"

LOGINS=${LOGINS:-100}
WARMUP=${WARMUP:-4}
JIT_HOOKS=${JIT_HOOKS:-both}
RUN_DIR_ON_DISK=${RUN_DIR_ON_DISK:-0}
TARGET_PCT=2

sys_init bench-sshd
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

grant bench --jti g-bench --scope ssh --ttl 2h
publish_stage

SANDBOX_SSHD_EXTRA="LogLevel INFO
MaxStartups 100"

# No "debug": the stack as an administrator would deploy it.
cat >"$D/pam-jit" <<EOF
auth     required pam_deny.so
account  required $JIT_PAM_MODULE config=$D/host/jit.conf
account  required pam_unix.so
session  required pam_loginuid.so
session  required $JIT_PAM_MODULE config=$D/host/jit.conf
session  required pam_unix.so
EOF
grep -v pam_jit "$D/pam-jit" >"$D/pam-plain"
case $JIT_HOOKS in
both) ;;
none) cp "$D/pam-plain" "$D/pam-jit" ;;
account) sed -i "/^session.*pam_jit/d" "$D/pam-jit" ;;
session) sed -i "/^account.*pam_jit/d" "$D/pam-jit" ;;
*) die "JIT_HOOKS must be both, account, session or none" ;;
esac
chmod 0644 "$D/pam-jit" "$D/pam-plain"
sys_log "stack A (pam_jit in: $JIT_HOOKS):"
sed 's/^/#   /' "$D/pam-jit"

# use_stack jit|plain: the stack the next connection gets.
use_stack() {
        ln -sfn "$D/pam-$1" "$D/pam-current"
}
use_stack jit

# The PAM service (the basename of sshd's argv[0]) is a symlink in the
# namespace's /etc/pam.d to the stack of the moment.
SANDBOX_SERVICE=sshd-bench
ln -s "$D/pam-current" "$D/pam.d/sshd-bench"
# run_dir on tmpfs, as /run/jit is on a real host: session records are
# written with fsync, nearly free on tmpfs, milliseconds on a disk.
if [[ $RUN_DIR_ON_DISK != 1 ]]; then
        SANDBOX_NS_SETUP="mount -t tmpfs -o mode=0755,size=16m jit-run $D/host/run"
fi
sandbox_start_sshd # sandbox_cleanup ends it and every process left in its namespace
if [[ $RUN_DIR_ON_DISK == 1 ]]; then
        sys_log "run_dir on disk: $(df --output=fstype "$D/host/run" | tail -1)"
else
        sys_log "run_dir on a tmpfs in the namespace"
fi
SSH_ARGS=("${SSH_OPTS[@]}")

# one_login STACK: one `ssh alice@127.0.0.1 true` through STACK; its wall
# time in microseconds goes to $us. Any failure stops the benchmark.
us=0
one_login() {
        local t0 t1 rc=0
        use_stack "$1"
        t0=$EPOCHREALTIME
        timeout 30 ssh "${SSH_ARGS[@]}" -o LogLevel=ERROR "$TEST_USER@127.0.0.1" true \
                </dev/null >"$D/out" 2>"$D/err" || rc=$?
        t1=$EPOCHREALTIME
        if [[ $rc -ne 0 ]]; then
                cat "$D/err" >&2
                die "login with stack $1 failed (exit $rc)"
        fi
        us=$((10#${t1/./} - 10#${t0/./}))
}

# Controls: stack A admits alice by her grant (its session exports the
# grant id), stack B admits her without pam_jit ...
use_stack jit
rc=0
timeout 30 ssh "${SSH_ARGS[@]}" -o LogLevel=ERROR "$TEST_USER@127.0.0.1" 'echo "<$JIT_GRANT_ID>"' \
        </dev/null >"$D/out" 2>"$D/err" || rc=$?
want="<g-bench>"
if [[ $JIT_HOOKS == account || $JIT_HOOKS == none ]]; then want="<>"; fi
[[ $rc -eq 0 && $(cat "$D/out") == "$want" ]] ||
        die "stack A did not admit alice as expected (exit $rc, '$(cat "$D/out")', want '$want'): $(cat "$D/err")"
use_stack plain
rc=0
timeout 30 ssh "${SSH_ARGS[@]}" -o LogLevel=ERROR "$TEST_USER@127.0.0.1" 'echo "<$JIT_GRANT_ID>"' \
        </dev/null >"$D/out" 2>"$D/err" || rc=$?
[[ $rc -eq 0 && $(cat "$D/out") == "<>" ]] || die "stack B did not admit alice (exit $rc): $(cat "$D/err")"
sys_log "control: both stacks admit alice; A by grant g-bench (JIT_GRANT_ID='$want')"

for ((i = 0; i < WARMUP; i++)); do
        one_login jit
        one_login plain
done

: >"$D/times"
for ((i = 0; i < LOGINS; i++)); do
        # A B, then B A: neither stack always goes first after a pause.
        if ((i % 2 == 0)); then
                one_login jit && echo "jit $i $us" >>"$D/times"
                one_login plain && echo "plain $i $us" >>"$D/times"
        else
                one_login plain && echo "plain $i $us" >>"$D/times"
                one_login jit && echo "jit $i $us" >>"$D/times"
        fi
done

# ... and stack A refuses her without the grant: the timed logins went
# through pam_jit. (LogLevel INFO: ssh shows the banner carrying PAM's
# message only from INFO up. A refusal in the session stage shows only as
# an exit status, 254 with this sshd.)
if [[ $JIT_HOOKS != none ]]; then
        rm -f "$D/store/grants/bench.jwt"
        publish_stage
        use_stack jit
        rc=0
        timeout 30 ssh "${SSH_ARGS[@]}" -o LogLevel=INFO "$TEST_USER@127.0.0.1" true \
                </dev/null >"$D/out" 2>"$D/err" || rc=$?
        if [[ $JIT_HOOKS == session ]]; then
                refused=$((rc != 0))
        else
                refused=$((rc == 255))
                grep -qF "jit: no access grant for $TEST_USER on this host" "$D/err" || refused=0
        fi
        if ((!refused)); then
                die "without the grant, stack A did not refuse alice (exit $rc): $(cat "$D/err")"
        fi
        sys_log "control: without the grant stack A refuses alice: $(grep -F 'jit:' "$D/err" || echo "exit $rc")"
fi

echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
result=0
python3 - "$D/times" "$LOGINS" "$TARGET_PCT" "$JIT_HOOKS" <<'EOF' || result=$?
import statistics, sys
t = {"jit": [], "plain": []}
pair = {}
for line in open(sys.argv[1]):
    k, i, v = line.split()
    t[k].append(int(v) / 1000.0)
    pair.setdefault(i, {})[k] = int(v) / 1000.0
diff = [p["jit"] - p["plain"] for p in pair.values()]
target = float(sys.argv[3])
print(f"# {sys.argv[2]} logins per stack (ssh alice@127.0.0.1 true), interleaved, one sshd; wall time in ms")
print(f"{'stack':<30} {'n':>4} {'median':>9} {'mean':>9} {'min':>9} {'max':>9} {'stdev':>8}")
for k, name in (("plain", "without pam_jit (baseline)"), ("jit", f"with pam_jit ({sys.argv[4]})")):
    v = t[k]
    print(f"{name:<30} {len(v):>4} {statistics.median(v):>9.2f} {statistics.mean(v):>9.2f} "
          f"{min(v):>9.2f} {max(v):>9.2f} {statistics.stdev(v):>8.2f}")
print(f"paired difference (with - without, same round): median {statistics.median(diff):+.2f} ms, "
      f"mean {statistics.mean(diff):+.2f} ms")
rm = statistics.median(t["jit"]) / statistics.median(t["plain"])
ra = statistics.mean(t["jit"]) / statistics.mean(t["plain"])
print(f"ratio with/without: median {rm:.4f} ({(rm - 1) * 100:+.2f} %), mean {ra:.4f} ({(ra - 1) * 100:+.2f} %)")
ok = (rm - 1) * 100 < target
print(f"# target: overhead < {target:.0f} % (medians): {'met' if ok else 'MISSED'}")
sys.exit(0 if ok else 3)
EOF
if [[ $result -ne 0 && $result -ne 3 ]]; then
        die "summary failed"
fi
if [[ ${CHECK:-0} == 1 && $result -eq 3 ]]; then
        exit 1
fi
exit 0
