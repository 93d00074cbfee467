#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# jit-agent under login churn: reconcile cost at GRANTS (10 000) grants while
# RATE (20) logins a second open and close, and expiry-to-kill latency under
# that churn (docs/benchmarks.md, "Reconcile under login churn").
#
# One host in a temp folder (/tmp, root 0755) set up as bench-agent-resources.sh
# does (bench-agent-bundle signs the bundle; the agent fetches it from
# file:// with clock_skew = 0), plus EXPIRING (20) grants x-1 … x-EXPIRING
# ending one a second from the middle of the churn window.
#
# A session is emulated as in bench-agent-resources.sh: a process that wrote
# /proc/self/loginuid (its own audit session id, as pam_loginuid gives sshd's
# monitor), and a record in run_dir/sessions written in pam_jit's format
# (temp file, rename). A churn login opens such a session for user u0000N
# with its grant g-(2N+1) and closes it LIFETIME (2 s) later as pam_jit's
# close does: the record is removed (and the process ends). Every open and
# close is an inotify event, hence a reconcile. The expiring sessions hold
# the x-i grants; their processes note the time SIGTERM arrives.
#
# Reported: reconciles in the window (counted from the agent's sd_notify
# STATUS= messages, one per reconcile, on a NOTIFY_SOCKET of our own), the
# agent's CPU over the window (utime+stime, and schedstat), CPU per reconcile,
# and the expiry-to-SIGTERM latency of the expiring sessions (min, p50, p99,
# max). Targets: < 5 ms of CPU per reconcile that concerns one session; p99
# ≤ 100 ms. CHECK=1 exits 1 on a missed target.
#
# Environment: JIT_AGENT, BENCH_AGENT_BUNDLE (meson sets them). Root.
# GRANTS, RATE, LIFETIME, WINDOW (40 s), EXPIRING.
# By hand (any agent binary, e.g. an older tree's, against this script):
#   JIT_AGENT=$PWD/BUILD/jit-agent/jit-agent BENCH_AGENT_BUNDLE=$PWD/BUILD/bench/bench-agent-bundle \
#   bash bench/bench-agent-churn.sh
set -euo pipefail

GRANTS=${GRANTS:-10000}
RATE=${RATE:-20}
LIFETIME=${LIFETIME:-2}
WINDOW=${WINDOW:-40}
EXPIRING=${EXPIRING:-20}
ISS=https://jit.example.com

die() {
        echo "FAIL - $*" >&2
        exit 1
}
[[ $(id -u) -eq 0 ]] || die "run as root (the agent refuses files root does not own)"
[[ -x ${JIT_AGENT:-} ]] || die "JIT_AGENT not set or not executable"
# The fetch helper of a build tree: jit-fetch/ beside jit-agent/ (or, in
# trees before jit-fetch had its folder, next to the agent).
if [[ -z ${JIT_FETCH_HELPER:-} ]]; then
        JIT_FETCH_HELPER=$(dirname "$JIT_AGENT")/../jit-fetch/jit-fetch
        [[ -x $JIT_FETCH_HELPER ]] || JIT_FETCH_HELPER=$(dirname "$JIT_AGENT")/jit-fetch
fi
export JIT_FETCH_HELPER
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
D=$(mktemp -d /tmp/jit-abench-churn.XXXXXX)
chmod 0755 "$D"
umask 022
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$D/state" "$D/run/sessions"
chmod 0700 "$D/run/sessions"
# The agent's first apply of 10 000 grants, the settling and the churn's
# start must fit before the first expiry.
T_SETUP=$(date +%s)
FIRST_EXP=$((T_SETUP + 90))
out=$("$BENCH_AGENT_BUNDLE" "$D" "$GRANTS" "$EXPIRING" "$FIRST_EXP")
cat >"$D/jit.conf" <<EOF
# written by bench-agent-churn.sh
issuers = $ISS
trust_store = $D/trust.jwks
state_dir = $D/state
run_dir = $D/run
host_id = pay-db-1
labels = env=prod, role=db
bundle_url = file://$D/head.jwt
clock_skew = 0
EOF

echo "# jit-agent churn: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
echo "# agent: $JIT_AGENT"
echo "# $GRANTS grants + $EXPIRING expiring ($out); $RATE logins/s, each open $LIFETIME s; window $WINDOW s"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# The driver: the notify socket (counts STATUS=), the agent, the churn and
# the expiring sessions, all in one python3 process so that its timing does
# not depend on forking shells.
python3 - "$D" "$JIT_AGENT" "$RATE" "$LIFETIME" "$WINDOW" "$EXPIRING" "$FIRST_EXP" "$GRANTS" "${CHECK:-0}" <<'EOF'
import math, os, signal, socket, subprocess, sys, threading, time

D, agent_exe = sys.argv[1], sys.argv[2]
rate, lifetime, window = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
n_exp, first_exp, n_grants, check = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), sys.argv[9] == "1"
tick = os.sysconf("SC_CLK_TCK")

# sd_notify: one datagram per message; each reconcile sends STATUS=.
nsock_path = f"{D}/notify"
nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
nsock.bind(nsock_path)
statuses = []  # monotonic times
def listen():
    while True:
        try:
            msg = nsock.recv(4096).decode(errors="replace")
        except OSError:
            return
        if "STATUS=" in msg:
            statuses.append(time.monotonic())
threading.Thread(target=listen, daemon=True).start()

def set_loginuid():
    with open("/proc/self/loginuid", "w") as f:
        f.write("0")

def session_id(pid):
    for _ in range(200):
        try:
            sid = open(f"/proc/{pid}/sessionid").read().strip()
            if sid != "4294967295" and os.readlink(f"/proc/{pid}/exe").endswith(("sleep", "bash")):
                return sid
        except OSError:
            pass
        time.sleep(0.002)
    raise SystemExit(f"FAIL - no audit session for {pid}")

def write_record(sid, user, jti, pid, exp):
    tmp = f"{D}/run/sessions/.{sid}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (f"grant={jti}\nuser={user}\nservice=sshd\nleader={pid}\nuid=60000\n"
                  f"audit-session={sid}\nexp={exp}\nbound=no\n").encode())
    os.close(fd)
    os.rename(tmp, f"{D}/run/sessions/{sid}")

def cpu(pid):
    rest = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12]), int(open(f"/proc/{pid}/schedstat").read().split()[0])

env = dict(os.environ, NOTIFY_SOCKET=nsock_path)
log = open(f"{D}/agent.log", "w")
agent = subprocess.Popen([agent_exe, "--config", f"{D}/jit.conf"], stdout=log, stderr=log, env=env)
children = [agent]
try:
    t0 = time.time()
    while "accepted" not in open(f"{D}/agent.log").read():
        if agent.poll() is not None or time.time() - t0 > 120:
            raise SystemExit("FAIL - no bundle accepted: " + open(f"{D}/agent.log").read())
        time.sleep(0.01)
    print(f"# first bundle accepted after {time.time() - t0:.1f} s")

    # Expiring sessions: bash notes when SIGTERM arrives, then exits.
    exp_sessions = []
    for i in range(1, n_exp + 1):
        mark = f"{D}/term.{i}"
        p = subprocess.Popen(["bash", "-c", 'trap \'echo $EPOCHREALTIME >"$0"; exit 0\' TERM; '
                              'while :; do sleep 1000 & wait $!; done', mark], preexec_fn=set_loginuid)
        children.append(p)
        sid = session_id(p.pid)
        write_record(sid, f"e{i:04d}", f"x-{i}", p.pid, first_exp + i - 1)
        exp_sessions.append((i, first_exp + i - 1, mark))

    # Quiet before the window: the agent has reconciled the new records.
    quiet = time.monotonic()
    last = cpu(agent.pid)
    while time.monotonic() - quiet < 120:
        time.sleep(1)
        now_cpu = cpu(agent.pid)
        if now_cpu == last:
            break
        last = now_cpu
    lead = first_exp - time.time()
    # The expiries fall in the middle of the window.
    start_at = first_exp - window / 2 + n_exp / 2
    if start_at < time.time():
        print(f"# WARNING: setup ran late: {first_exp - time.time():.1f} s before the first expiry")
        start_at = time.time()
    time.sleep(max(0, start_at - time.time()))

    c0, s0 = cpu(agent.pid), len(statuses)
    m0 = time.monotonic()
    opens = closes = 0
    live = []  # (close_at, proc, sid)
    period = 1.0 / rate
    nxt = m0
    i = 0
    while time.monotonic() - m0 < window:
        now = time.monotonic()
        while live and live[0][0] <= now:
            _, p, sid = live.pop(0)
            try:
                os.unlink(f"{D}/run/sessions/{sid}")
            except FileNotFoundError:
                pass  # the agent removed it
            p.kill()
            p.wait()
            closes += 1
        if now >= nxt:
            u = i % 5000 if n_grants >= 10000 else i % max(1, n_grants // 2)
            p = subprocess.Popen(["sleep", "1000"], preexec_fn=set_loginuid)
            sid = session_id(p.pid)
            write_record(sid, f"u{u:05d}", f"g-{2 * u + 1}", p.pid, int(time.time()) + 7000)
            live.append((time.monotonic() + lifetime, p, sid))
            opens += 1
            i += 1
            nxt += period
        time.sleep(max(0, min(nxt, live[0][0] if live else nxt) - time.monotonic()))
    m1 = time.monotonic()
    c1, s1 = cpu(agent.pid), len(statuses)
    for _, p, sid in live:
        try:
            os.unlink(f"{D}/run/sessions/{sid}")
        except FileNotFoundError:
            pass
        p.kill()
        p.wait()
    time.sleep(2)

    w = m1 - m0
    ticks, ns = c1[0] - c0[0], c1[1] - c0[1]
    rec = s1 - s0
    print(f"# load average after: {open('/proc/loadavg').read().split()[:3]}")
    print()
    print("| agent CPU over the window | % of one core | logins opened / closed | reconciles | CPU per reconcile (schedstat) | CPU per login event |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    per_rec = ns / 1e6 / rec if rec else float("nan")
    print(f"| {ns / 1e6:.0f} ms ({ticks * 1000 / tick:.0f} ms in ticks) over {w:.1f} s | {ns / 1e9 / w * 100:.1f} % | "
          f"{opens} / {closes} | {rec} | {per_rec:.2f} ms | {ns / 1e6 / max(1, opens + closes):.2f} ms |")

    lat, missing = [], 0
    for i, exp, mark in exp_sessions:
        try:
            lat.append(float(open(mark).read()) - exp)
        except OSError:
            missing += 1
    lat.sort()
    def pct(p):
        return lat[max(0, math.ceil(p / 100 * len(lat)) - 1)]
    print()
    print(f"Expiry to SIGTERM under the churn: {len(lat)} sessions ended, {missing} not")
    print()
    if lat:
        print("| n | min | p50 | p90 | p99 | max |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        print(f"| {len(lat)} | {lat[0]*1000:.0f} ms | {pct(50)*1000:.0f} ms | {pct(90)*1000:.0f} ms | "
              f"{pct(99)*1000:.0f} ms | {lat[-1]*1000:.0f} ms |")
        print("# per session (s): " + " ".join(f"{x:.3f}" for x in lat))
    status = 0
    if check and (missing or not lat or pct(99) > 0.1 or not (per_rec < 5)):
        print("# CHECK: a target missed (p99 ≤ 100 ms, < 5 ms per reconcile)")
        status = 1
finally:
    for p in children:
        if p.poll() is None:
            p.terminate()
    for p in children:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
sys.exit(status)
EOF
