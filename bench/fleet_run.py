# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real many-agent run (docs/fleet-scale.md, "The real run"), started by
`fleet-sim.py agents`: nginx on 127.0.0.1 serves one store folder, AGENTS real
jit-agent processes (each with its own jit.conf, facts as labels, state and
run folders, poll_interval 5 s) fetch from it, and a sequence of real
`jitctl publish` runs changes the store. Requests and bytes are counted from
nginx's access log and compared with what the simulator's model (fleet-sim.py's
Tally) predicts from the real `jitctl store plan` of the agents' facts.

Each agent fetches through a path of its own (/h/<i>/… , rewritten by nginx
to the store's root), so the log tells the agents apart. Every process
started here is ended here, by PID. Root only: the agent refuses files root
does not own.
"""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import fleet_model

ISS = "https://jit.example.com"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(seconds, pred, interval=0.05):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(interval)
    return pred()


def write(path, text, mode=0o644):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.chmod(path + ".tmp", mode)
    os.replace(path + ".tmp", path)


class Run:
    def __init__(self, a, sim):
        self.a, self.sim = a, sim
        self.procs = []  # (name, Popen)
        self.d = tempfile.mkdtemp(prefix="jit-fleet-agents.")
        os.chmod(self.d, 0o755)

    def start(self, name, cmd, **kw):
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, **kw)
        self.procs.append((name, p))
        return p

    def stop_all(self):
        for _, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p in reversed(self.procs):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def cleanup(self):
        self.stop_all()
        if self.a.keep:
            print("# kept %s" % self.d)
        else:
            shutil.rmtree(self.d, ignore_errors=True)

    # ---- nginx ----------------------------------------------------------------
    def start_nginx(self):
        d, self.port = self.d, free_port()
        os.makedirs(d + "/nginx/tmp", exist_ok=True)
        write(d + "/nginx/nginx.conf", """daemon off;
master_process off;
worker_processes 1;
pid %(d)s/nginx/nginx.pid;
error_log %(d)s/nginx/error.log notice;
events { worker_connections 1024; }
http {
        log_format fleet '$msec $status $request_method $request_uri $body_bytes_sent';
        access_log %(d)s/nginx/access.log fleet;
        client_body_temp_path %(d)s/nginx/tmp/body;
        proxy_temp_path %(d)s/nginx/tmp/proxy;
        fastcgi_temp_path %(d)s/nginx/tmp/fastcgi;
        uwsgi_temp_path %(d)s/nginx/tmp/uwsgi;
        scgi_temp_path %(d)s/nginx/tmp/scgi;
        default_type application/octet-stream;
        etag on;
        server {
                listen 127.0.0.1:%(port)d;
                root %(d)s/store;
                location /h/ { rewrite ^/h/[0-9]+/(.*)$ /$1 break; }
        }
}
""" % {"d": d, "port": self.port})
        self.start("nginx", ["/usr/sbin/nginx", "-p", d + "/nginx", "-c", d + "/nginx/nginx.conf",
                             "-e", d + "/nginx/error.log"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up():
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        if not wait_for(5, up):
            sys.exit("nginx does not listen on 127.0.0.1:%d" % self.port)

    # ---- agents ---------------------------------------------------------------
    def write_agent(self, i, facts):
        a, d = self.a, "%s/a/%d" % (self.d, i)
        for sub in ("", "/state", "/run"):
            os.makedirs(d + sub, exist_ok=True)
            os.chmod(d + sub, 0o755)
        labels = ", ".join("%s=%s" % kv for kv in facts.items() if kv[0] != "host")
        write(d + "/jit.conf", "\n".join([
            "# written by bench/fleet_run.py",
            "issuers = " + ISS,
            "trust_store = %s/trust.jwks" % self.d,
            "state_dir = %s/state" % d,
            "run_dir = %s/run" % d,
            "host_id = " + facts["host"],
            "labels = " + labels,
            "%s = http://127.0.0.1:%d/h/%d/%s" % (a.url_key, self.port, i, a.head_name),
            "allow_http = yes",
            "poll_interval = %ds" % a.poll,
            "fetch_timeout = 10s",
            ""]))

    def agent_serial(self, i):
        try:
            with open("%s/a/%d/state/state" % (self.d, i)) as f:
                for line in f:
                    k, _, v = line.partition(" ")
                    if k == "serial":
                        return int(v)
        except (OSError, ValueError):
            pass
        return 0


def log_lines(path):
    """(time, status, uri, bytes) of each access-log line."""
    out = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 5:
                out.append((float(p[0]), int(p[1]), p[3], int(p[4])))
    return out


AGENT_PATH = re.compile(r"^/h/([0-9]+)/(.*)$")


def run_agents(a, sim):
    """The whole real run; returns the process exit status."""
    r = Run(a, sim)
    status = 0
    try:
        status = _run(r, a, sim)
    finally:
        r.cleanup()
    return status


def _run(r, a, sim):
    d = r.d
    t_begin = time.monotonic()
    fleet = fleet_model.Fleet(a.agents + a.others, a.seed)
    agents = list(range(a.agents))
    fleet.write_facts(d + "/facts", agents)
    gen = fleet_model.Grants(fleet, a.seed)
    initial = [gen.new() for _ in range(a.grants)]
    adds = [gen.new() for _ in range(a.publishes)]
    os.makedirs(d + "/keys", mode=0o700)
    sim.run([a.jitctl, "keygen", "--out", d + "/keys/signing"])
    shutil.copy(d + "/keys/signing.jwks", d + "/trust.jwks")
    os.chmod(d + "/trust.jwks", 0o644)
    now = int(time.time())
    sim.sign_all(a.jitctl, d + "/keys/signing.key", initial + adds, d + "/signed", now, 3600)
    os.makedirs(d + "/store/grants")
    os.chmod(d + "/store", 0o755)
    for s in initial:
        os.link("%s/signed/%s.jwt" % (d, s["jti"]), "%s/store/grants/%s.jwt" % (d, s["jti"]))
    fmt = "new" if subprocess.run([a.jitctl, "store", "plan", "--help"], capture_output=True).returncode == 0 \
        else "old"
    if fmt == "new" and a.head_name == "bundle.jwt":
        a.head_name = sim.HEAD_FILE
    store = sim.Store(fmt, a.jitctl, d + "/store", d + "/keys/signing.key", d + "/trust.jwks",
                      d + "/facts", a.agents)
    tally = sim.Tally(a.agents)
    store.publish()
    tally.add(store.plan())
    tally.host_bins = store.host_bins([fleet.hosts[i] for i in agents])
    print("# real run: %d agents (of a fleet of %d), %d grants, %d publishes, format %s, poll %d s, seed %d"
          % (a.agents, a.agents + a.others, a.grants, a.publishes, fmt, a.poll, a.seed), flush=True)
    r.start_nginx()
    for i in agents:
        r.write_agent(i, fleet.hosts[i])
    env = dict(os.environ)
    for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        env.pop(k, None)
    env["JIT_FETCH_HELPER"] = a.fetch_helper
    marks = [time.time()]
    for i in agents:
        log = open("%s/a/%d/agent.log" % (d, i), "w")
        r.start("agent-%d" % i, [a.agent, "--config", "%s/a/%d/jit.conf" % (d, i)],
                stdout=log, stderr=log, env=env)
        log.close()
    rng = random.Random(a.seed * 17 + 3)
    live = [s["jti"] for s in initial]
    for k in range(a.publishes + 1):
        want = k + 1
        if not wait_for(a.poll * 4 + 30, lambda: all(r.agent_serial(i) >= want for i in agents), 0.2):
            late = [i for i in agents if r.agent_serial(i) < want]
            print("not ok - agents %s did not reach serial %d" % (late[:10], want))
            return 1
        print("# serial %d on every agent %.1f s after its publish" % (want, time.time() - marks[-1]),
              flush=True)
        # Let every agent poll at least once more on the same head (a 304).
        time.sleep(a.poll * 1.1 + 0.5)
        if k == a.publishes:
            break
        if k % 3 == 0:
            store.add("%s/signed/%s.jwt" % (d, adds[k]["jti"]))
            live.append(adds[k]["jti"])
        elif k % 3 == 1:
            store.remove(live.pop(rng.randrange(len(live))))
        else:
            store.revoke(live.pop(rng.randrange(len(live))))
        marks.append(time.time())
        store.publish()
        tally.add(store.plan())
    marks.append(time.time())
    if tally.host_bins is not None:
        store.check_plan(tally.host_bins)
    r.stop_all()
    return compare(a, tally, fmt, marks, log_lines(d + "/nginx/access.log"), time.monotonic() - t_begin)


def compare(a, tally, fmt, marks, lines, wall):
    """Measured (nginx's log) against predicted (the model), per publish."""
    steps = len(tally.steps)
    head = tally.steps[0][0][0].split("@")[0]
    meas = [dict(get=0, b=0, r304=0, other=0) for _ in range(steps)]
    foreign = 0  # objects an agent fetched that its plan does not name
    for t, st, uri, b in lines:
        m = AGENT_PATH.match(uri)
        if not m:
            meas[0]["other"] += 1
            continue
        i, name = int(m.group(1)), m.group(2)
        k = max(0, sum(1 for x in marks[1:-1] if x <= t))
        w = meas[min(k, steps - 1)]
        if st == 304:
            w["r304"] += 1
        elif st == 200:
            w["get"] += 1
            w["b"] += b
            if fmt == "new" and name != head:
                mine = {o for k in range(steps) for o in tally.host_objs(k, i)}
                if not (name in mine or name.rpartition("/")[2] in mine
                        or name.rpartition("/")[2].split(".")[0] in mine):
                    foreign += 1
        else:
            w["other"] += 1
    cache = {}
    pred = []
    for k in range(steps):
        g = b = 0
        for h in range(tally.n):
            if k == 0:
                rq, by = 1 + len(tally.host_objs(0, h)), tally.held(0, h)
            else:
                rq, by = tally.fetch(k - 1, k, h, cache)
            g += rq
            b += by
        pred.append((g, b))
    print()
    print("| publish | predicted 200s | measured 200s | predicted bytes | measured bytes | measured 304s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    status = 0
    for k in range(steps):
        m = meas[k]
        print("| %s | %d | %d | %d | %d | %d |" % ("first fetch" if k == 0 else "change %d" % k,
                                                   pred[k][0], m["get"], pred[k][1], m["b"], m["r304"]))
        if (pred[k][0], pred[k][1]) != (m["get"], m["b"]):
            status = 1
    tp = [sum(x) for x in zip(*pred)]
    tm = (sum(m["get"] for m in meas), sum(m["b"] for m in meas))
    print("| total | %d | %d | %d | %d | %d |" % (tp[0], tm[0], tp[1], tm[1], sum(m["r304"] for m in meas)))
    other = sum(m["other"] for m in meas)
    print()
    print("# %s format; head %s; other responses (not 200/304, or outside /h/): %d; objects fetched that "
          "the agent's plan does not name: %d; wall %.0f s" % (fmt, head, other, foreign, wall))
    if other or foreign:
        status = 1
    print("%s - measured requests and bytes equal the prediction" % ("ok" if status == 0 else "not ok"))
    return status
