#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fleet simulator (docs/fleet-scale.md): what the store serves to a fleet,
old format (one signed bundle) against new (a signed head and shards).

  fleet-sim.py sim --jitctl NEW [--jitctl-old OLD] [--hosts 100000] [--grants 10000]
               [--period 120] [--poll 15] [--seed 1] [--work DIR] [--json OUT]

Runs the REAL tools: every grant is signed by `jitctl issue` (two at a time),
every change is followed by a real `jitctl publish` into a store folder, and a
host's objects are what the real `jitctl store plan` names for its facts (new
format; the old format's host fetches bundle.jwt). One grant change a second
for --period seconds (add, remove, add, …; every tenth a `jitctl revoke`).

Hosts poll the head every --poll seconds, each at a phase of its own (seeded):
a poll whose head is unchanged is a 304 (a request, no body); otherwise the
head (200) and each object of the host's plan that it does not hold yet (by
name: names are digests). "Per change" is a change seen on its own (every host
polls once after it); "per hour" is one change a second at the poll interval,
scaled from the period. Bytes are body bytes, as nginx's $body_bytes_sent.

  fleet-sim.py agents --jitctl J --hosts N --grants G --seed S --work DIR
               [--others M]
writes the fleet of a real run (bench-fleet-agents.sh): DIR/hosts/<i>.facts
(labels for agent i), DIR/facts (all, for plan), DIR/grants.tsv (the signed
grants of the run and the changes after it).

  fleet-sim.py predict --jitctl J --store DIR --facts F --held STATE --out STATE
predicts, for each host of F, the requests and bytes one head change costs
given what it held before (STATE: JSON of the previous plan).
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet_model  # noqa: E402

ISS = "https://jit.example.com"


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        sys.exit("fleet-sim: %s failed (%d): %s" % (" ".join(cmd[:3]), r.returncode, r.stderr.strip()))
    return r.stdout


def sign_all(jitctl, key, specs, out_dir, now, period, jobs=2):
    """Every spec signed by the real jitctl issue into out_dir/<jti>.jwt."""
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(len(specs))

    def one(s):
        # Live for the whole run: exp at least period + 15 min from now.
        slack = max(0, s["ttl"] - period - 900)
        nbf = now - int(rng.uniform(0, slack)) if slack else now
        cmd = [jitctl, "issue", "--key", key, "--iss", ISS, "--sub", s["sub"], "--scope", s["scope"],
               "--ssh-key", s["ssh_key"], "--ttl", "%ds" % s["ttl"], "--not-before", str(nbf),
               "--ticket", "CHG-%s" % s["jti"][2:], "--approver", "approver-%d" % (hash(s["sub"]) % 40),
               "--jti", s["jti"], "--out", os.path.join(out_dir, s["jti"] + ".jwt")]
        for a in s["aud"]:
            cmd += ["--aud", a]
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise RuntimeError("jitctl issue %s: %s" % (s["jti"], r.stderr.strip()))

    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        for f in [ex.submit(one, s) for s in specs]:
            f.result()


def file_sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Store:
    """A store folder published by one jitctl; objects a host fetches, per host."""

    def __init__(self, fmt, jitctl, root, key, trust, facts_file, n_hosts, t0=None):
        # fmt: "old", or "new BINS:CHUNK" (jitctl publish --bins, --chunk-size)
        self.args = []
        if fmt.startswith("new "):
            bins, chunk = fmt[4:].split(":")
            self.args = ["--bins", bins, "--chunk-size", chunk]
            fmt = "new"
        self.fmt, self.jitctl, self.root, self.key, self.trust = fmt, jitctl, root, key, trust
        self.facts_file, self.n_hosts = facts_file, n_hosts
        self.t0, self.step = t0, 0  # t0 None: the real clock (the real run)
        os.makedirs(os.path.join(root, "grants"), exist_ok=True)
        self.publish_s = []

    def add(self, src):
        os.link(src, os.path.join(self.root, "grants", os.path.basename(src)))

    def remove(self, jti):
        os.unlink(os.path.join(self.root, "grants", jti + ".jwt"))

    def clock(self):
        return [] if self.t0 is None else ["--now", str(self.t0 + self.step)]

    def revoke(self, jti):
        run([self.jitctl, "revoke", "--store", self.root] + self.clock() + [jti])

    def publish(self):
        t = time.monotonic()
        run([self.jitctl, "publish", "--store", self.root, "--key", self.key, "--iss", ISS,
             "--trust", self.trust] + self.args + self.clock())
        self.step += 1
        self.publish_s.append(time.monotonic() - t)

    def plan(self):
        """(head (name, size), sizes {name: size}, {bin: names of its shards}),
        read from the head the real jitctl publish wrote (None for the old
        format: a host fetches the bundle alone)."""
        if self.fmt == "old":
            p = os.path.join(self.root, "bundle.jwt")
            head = ("bundle.jwt@" + file_sha(p), os.path.getsize(p))
            return head, {head[0]: head[1]}, None
        p = os.path.join(self.root, HEAD_FILE)
        with open(p) as f:
            text = f.read()
        payload = json.loads(b64url(text.strip().split(".")[1]))
        self.bins = payload["bins"]
        head = (HEAD_FILE + "@" + hashlib.sha256(text.encode()).hexdigest(), len(text))
        sizes, by_bin = {head[0]: head[1]}, {}
        for b, size, digest in payload["shards"]:
            sizes[digest] = size
            by_bin.setdefault(b, []).append(digest)
        return head, sizes, {b: tuple(sorted(v)) for b, v in by_bin.items()}

    def host_bins(self, hosts):
        """Each host's bins (the rule of docs/bundle-format.md: SHA-256 of
        "key=value", first 4 bytes big endian, modulo the head's bins),
        checked against the real `jitctl store plan` for every host."""
        if self.fmt == "old":
            return None
        hb = [tuple(sorted({fact_bin("%s=%s" % kv, self.bins) for kv in f.items()})) for f in hosts]
        self.check_plan(hb)
        return hb

    def check_plan(self, hb):
        """Every host's objects in the real plan = the shards of its bins."""
        head, sizes, by_bin = self.plan()
        out = run([self.jitctl, "store", "plan", "--store", self.root, "--facts-file", self.facts_file])
        n = bad = 0
        for line in out.splitlines():
            if not line or line.startswith("#"):
                continue
            names = sorted(p.rpartition(":")[0] for p in line.split()[2:])
            want = sorted(o for b in hb[n] for o in by_bin.get(b, ()))
            bad += names != want
            n += 1
        if n != len(hb) or bad:
            sys.exit("fleet-sim: jitctl store plan disagrees with the bins of %d of %d hosts (%d listed)"
                     % (bad, len(hb), n))
        self.plans_checked = getattr(self, "plans_checked", 0) + 1


HEAD_FILE = "head.jwt"


def b64url(s):
    import base64
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def fact_bin(fact, bins):
    return int.from_bytes(hashlib.sha256(fact.encode()).digest()[:4], "big") % bins


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else 0


class Tally:
    """Per-step plans of one format, and what hosts fetch from them. A host
    fetches the head, then the shards of its bins it does not hold (by name:
    names are digests)."""

    def __init__(self, n_hosts):
        self.n = n_hosts
        self.steps = []  # (head, sizes, {bin: names} or None)
        self.host_bins = None
        self._delta = {}

    def add(self, plan):
        self.steps.append(plan)

    def host_objs(self, step, h):
        by_bin = self.steps[step][2]
        if by_bin is None:
            return ()
        return tuple(o for b in self.host_bins[h] for o in by_bin.get(b, ()))

    def delta(self, old_step, new_step):
        """{bin: (objects, bytes)} a host holding old_step fetches at new_step."""
        k = (old_step, new_step)
        d = self._delta.get(k)
        if d is None:
            sizes, a, b = self.steps[new_step][1], self.steps[old_step][2], self.steps[new_step][2]
            d = {}
            for bn, names in b.items():
                have = set(a.get(bn, ()))
                new = [o for o in names if o not in have]
                if new:
                    d[bn] = (len(new), sum(sizes[o] for o in new))
            self._delta[k] = d
        return d

    def fetch(self, old_step, new_step, h, cache=None):
        """(requests, bytes) for host h going from old_step's plan to new_step's."""
        if old_step == new_step:
            return 1, 0  # 304
        head, sizes, by_bin = self.steps[new_step]
        if by_bin is None:
            return 1, head[1]
        d = self.delta(old_step, new_step)
        rq, by = 1, head[1]
        for b in self.host_bins[h]:
            x = d.get(b)
            if x:
                rq += x[0]
                by += x[1]
        return rq, by

    def held(self, step, h):
        head, sizes, by_bin = self.steps[step]
        if by_bin is None:
            return head[1]
        return head[1] + sum(sizes[o] for b in self.host_bins[h] for o in by_bin.get(b, ()))


def summarize(tally, period, poll, seed, fleet_bundle):
    n, steps = tally.n, len(tally.steps) - 1
    cache = {}
    # A change on its own: every host polls once after it.
    per_change_b, per_change_r, hosts_fetching = [], [], []
    hosts_of_bin = {}
    for h, hb in enumerate(tally.host_bins or ()):
        for b in hb:
            hosts_of_bin.setdefault(b, []).append(h)
    for t in range(1, steps + 1):
        head = tally.steps[t][0][1]
        b, r, k = n * head, n, set()
        if tally.steps[t][2] is not None:
            for bn, (objs, by) in tally.delta(t - 1, t).items():
                hs = hosts_of_bin.get(bn, ())
                b += len(hs) * by
                r += len(hs) * objs
                k.update(hs)
        per_change_b.append(b)
        per_change_r.append(r)
        hosts_fetching.append(len(k))
    # One change a second, polls every `poll` s at each host's own phase. A
    # host's first poll (in [0, poll)) only sets what it holds; the polls
    # after it are counted, and scaled to an hour by polls per hour.
    rng = random.Random(seed * 31 + 7)
    host_bytes, req, byt, r304, polls = [], 0, 0, 0, 0
    for h in range(n):
        t = rng.uniform(0, poll)
        seen, hb, hp = min(steps, int(t)), 0, 0
        t += poll
        while t <= period:
            s = min(steps, int(t))
            rq, by = tally.fetch(seen, s, h, cache)
            r304 += seen == s
            req += rq
            byt += by
            hb += by
            hp += 1
            seen = s
            t += poll
        polls += hp
        host_bytes.append(hb * 3600.0 / poll / hp if hp else 0)
    if not polls:
        sys.exit("fleet-sim: --period must be at least twice --poll")
    scale = n * 3600.0 / poll / polls  # counted polls -> the fleet's polls in an hour
    heads = [s[0][1] for s in tally.steps]
    held = [tally.held(steps, h) for h in range(n)]
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    return {
        "head_bytes_mean": mean(heads), "head_bytes_max": max(heads),
        "objects": len(tally.steps[-1][1]),
        "per_change_bytes_mean": mean(per_change_b), "per_change_bytes_max": max(per_change_b),
        "per_change_requests_mean": mean(per_change_r),
        "per_change_hosts_fetching_objects_mean": mean(hosts_fetching),
        "per_change_vs_fleet_bundle": mean(per_change_b) / fleet_bundle if fleet_bundle else None,
        "per_hour_bytes": byt * scale, "per_hour_requests": req * scale,
        "per_hour_304": r304 * scale, "per_second_requests": req * scale / 3600.0,
        "per_host_hour_bytes_p50": pct(host_bytes, 50), "per_host_hour_bytes_p99": pct(host_bytes, 99),
        "per_host_held_bytes_p50": pct(held, 50), "per_host_held_bytes_p99": pct(held, 99),
        "per_host_held_bytes_max": max(held),
    }


def cmd_sim(a):
    t_start = time.monotonic()
    work = a.work or tempfile.mkdtemp(prefix="jit-fleet-sim.")
    os.makedirs(work, exist_ok=True)
    print("# fleet-sim: %d hosts, %d grants, %d s at one change a second, poll %d s, seed %d, work %s"
          % (a.hosts, a.grants, a.period, a.poll, a.seed, work), flush=True)
    fleet = fleet_model.Fleet(a.hosts, a.seed)
    facts = os.path.join(work, "facts")
    fleet.write_facts(facts)
    gen = fleet_model.Grants(fleet, a.seed)
    initial = [gen.new() for _ in range(a.grants)]
    adds = [gen.new() for _ in range((a.period + 1) // 2 + 1)]
    keyp = os.path.join(work, "signing")
    signed = os.path.join(work, "signed")
    t = time.monotonic()
    # The store's clock: publish and revoke run at --now T0 + the change's
    # second, T0 being when the grants were signed, so that no grant ends
    # inside the simulated period (sign_all gives each an exp after
    # T0 + period + 15 min), also when the grants are reused later.
    t0_file = os.path.join(signed, "T0")
    if a.reuse_signed and os.path.exists(t0_file) and \
            all(os.path.exists(os.path.join(signed, s["jti"] + ".jwt")) for s in initial + adds):
        print("# reusing the grants signed in %s (--reuse-signed)" % signed)
        with open(t0_file) as f:
            now = int(f.read())
    else:
        now = int(time.time())
        run([a.jitctl, "keygen", "--force", "--out", keyp])
        sign_all(a.jitctl, keyp + ".key", initial + adds, signed, now, a.period, a.jobs)
        with open(t0_file, "w") as f:
            f.write("%d\n" % now)
    sign_s = time.monotonic() - t
    sizes = [os.path.getsize(os.path.join(signed, s["jti"] + ".jwt")) for s in initial]
    print("# signed %d grants with jitctl issue in %.1f s (%d at a time); mean token %d bytes"
          % (len(initial) + len(adds), sign_s, a.jobs, sum(sizes) // len(sizes)), flush=True)
    kinds = {}
    for s in initial:
        kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
    print("# grant kinds: " + ", ".join("%s %d" % kv for kv in sorted(kinds.items())))

    # The changes, drawn once, applied to every format alike.
    rng = random.Random(a.seed * 13 + 5)
    live = [s["jti"] for s in initial]
    changes, ai = [], 0
    for t in range(1, a.period + 1):
        if t % 2 == 1:
            changes.append(("add", adds[ai]["jti"]))
            live.append(adds[ai]["jti"])
            ai += 1
        else:
            jti = live.pop(rng.randrange(len(live)))
            changes.append(("revoke" if t % 10 == 0 else "remove", jti))

    formats = [("old", a.jitctl_old)] if a.jitctl_old else []
    if not a.old_only:
        formats += [("new " + v, a.jitctl) for v in (a.new or ["64:24576"])]
    formats += [("model " + m, m) for m in a.model]
    by_jti = {s["jti"]: s for s in initial + adds}
    token_size = {j: os.path.getsize(os.path.join(signed, j + ".jwt")) for j in by_jti}
    # What a host would hold if it fetched only the grants that apply to it
    # (the floor under any layout), on a sample of hosts.
    srng = random.Random(a.seed * 3 + 11)
    sample = srng.sample(range(a.hosts), min(a.hosts, 500))
    ideal = [sum(token_size[s["jti"]] for s in initial if fleet_model.matches(fleet.hosts[h], s["aud"]))
             for h in sample]
    results_ideal = {"p50": pct(ideal, 50), "p99": pct(ideal, 99), "max": max(ideal)}
    print("# grants that apply to a host (sample of %d hosts): p50 %d bytes, p99 %d, max %d"
          % (len(sample), results_ideal["p50"], results_ideal["p99"], results_ideal["max"]), flush=True)
    results = {"hosts": a.hosts, "grants": a.grants, "period": a.period, "poll": a.poll,
               "seed": a.seed, "sign_seconds": sign_s, "formats": {}, "applies": results_ideal}
    fleet_bundle = None
    for fmt, jitctl in formats:
        t0 = time.monotonic()
        root = os.path.join(work, "store-" + fmt.replace(" ", "-").replace(":", "-"))
        shutil.rmtree(root, ignore_errors=True)
        # The old jitctl signs with the same key: its keygen format is the same.
        if fmt.startswith("model"):
            import fleet_layout
            st = fleet_layout.ModelStore(jitctl, by_jti, token_size, fleet.hosts)
        else:
            st = Store(fmt, jitctl, root, keyp + ".key", keyp + ".jwks", facts, a.hosts, now)
        for s in initial:
            st.add(os.path.join(signed, s["jti"] + ".jwt"))
        st.publish()
        tally = Tally(a.hosts)
        tally.add(st.plan())
        tally.host_bins = st.host_bins(fleet.hosts)
        if fmt == "old":
            fleet_bundle = tally.steps[0][0][1]
        for i, (op, jti) in enumerate(changes):
            if op == "add":
                st.add(os.path.join(signed, jti + ".jwt"))
            elif op == "remove":
                st.remove(jti)
            else:
                st.revoke(jti)
            st.publish()
            tally.add(st.plan())
            if (i + 1) % 30 == 0:
                print("# %s: %d/%d changes published (%.0f s)" % (fmt, i + 1, len(changes),
                                                                  time.monotonic() - t0), flush=True)
        if tally.host_bins is not None:
            st.check_plan(tally.host_bins)  # the last publish's plan too
        if fleet_bundle is None:
            fleet_bundle = a.fleet_bundle
        r = summarize(tally, a.period, a.poll, a.seed, (fleet_bundle or 0) * a.hosts)
        r["publish_seconds_mean"] = sum(st.publish_s) / len(st.publish_s)
        r["wall_seconds"] = time.monotonic() - t0
        results["formats"][fmt] = r
        print("# %s: done in %.0f s (publish %.2f s each)" % (fmt, r["wall_seconds"],
                                                            r["publish_seconds_mean"]), flush=True)
    results["fleet_bundle_bytes"] = fleet_bundle
    results["wall_seconds"] = time.monotonic() - t_start
    report(results)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    if not a.work and not a.keep:
        shutil.rmtree(work)


def human(b):
    for unit, k in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= k:
            return "%.1f %s" % (b / k, unit)
    return "%d B" % b


def report(res):
    f = res["formats"]
    cols = list(f)
    rows = [
        ("head (the object hosts poll), bytes", "head_bytes_mean", "%d"),
        ("objects in the store", "objects", "%d"),
        ("one change on its own: bytes served", "per_change_bytes_mean", "h"),
        ("one change on its own: requests", "per_change_requests_mean", "%.0f"),
        ("one change on its own: hosts fetching more than the head", "per_change_hosts_fetching_objects_mean",
         "%.0f"),
        ("one change: bytes / (hosts x fleet-wide bundle)", "per_change_vs_fleet_bundle", "%.4f%%"),
        ("one change a second, poll %ds: bytes per hour" % res["poll"], "per_hour_bytes", "h"),
        ("same: requests per hour", "per_hour_requests", "%.3g"),
        ("same: requests per second", "per_second_requests", "%.0f"),
        ("same: of which 304 per hour", "per_hour_304", "%.3g"),
        ("same: per-host bytes per hour, p50", "per_host_hour_bytes_p50", "h"),
        ("same: per-host bytes per hour, p99", "per_host_hour_bytes_p99", "h"),
        ("per-host held (full fetch), p50", "per_host_held_bytes_p50", "h"),
        ("per-host held (full fetch), p99", "per_host_held_bytes_p99", "h"),
        ("jitctl publish, seconds each", "publish_seconds_mean", "%.2f"),
    ]
    print()
    print("%d hosts, %d grants, one change a second for %d s, poll %d s, seed %d; fleet-wide bundle %s"
          % (res["hosts"], res["grants"], res["period"], res["poll"], res["seed"],
             human(res["fleet_bundle_bytes"]) if res["fleet_bundle_bytes"] else "unknown (no --jitctl-old)"))
    print()
    print("| | " + " | ".join(cols) + " |")
    print("| --- |" + " ---: |" * len(cols))
    for label, key, fm in rows:
        vals = []
        for c in cols:
            v = f[c][key]
            if v is None:
                vals.append("–")
            elif fm == "h":
                vals.append(human(v))
            elif fm.endswith("%%"):
                vals.append((fm % (v * 100)))
            else:
                vals.append(fm % v)
        print("| %s | %s |" % (label, " | ".join(vals)))
    print()
    print("# total %.0f s" % res["wall_seconds"])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sim")
    s.add_argument("--jitctl", required=True)
    s.add_argument("--jitctl-old", default=os.environ.get("JITCTL_OLD") or None,
                   help="a jitctl of the old format (default: $JITCTL_OLD)")
    s.add_argument("--old-only", action="store_true")
    s.add_argument("--fleet-bundle", type=int, help="old format's bundle bytes, when only new runs")
    s.add_argument("--hosts", type=int, default=100000)
    s.add_argument("--grants", type=int, default=10000)
    s.add_argument("--period", type=int, default=120)
    s.add_argument("--poll", type=int, default=15)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--jobs", type=int, default=2)
    s.add_argument("--work")
    s.add_argument("--keep", action="store_true")
    s.add_argument("--reuse-signed", action="store_true",
                   help="keep the grants signed by an earlier run in --work (same seed and sizes)")
    s.add_argument("--json")
    s.add_argument("--new", action="append", default=[],
                   help="a layout of the real jitctl publish: BINS:CHUNK_BYTES (default 64:24576)")
    s.add_argument("--model", action="append", default=[],
                   help="also lay the store out by the model of fleet_layout.py: RULE:BINS:CHUNK_BYTES")
    g = sub.add_parser("agents")
    g.add_argument("--jitctl", required=True)
    g.add_argument("--agent", required=True)
    g.add_argument("--fetch-helper")
    g.add_argument("--agents", type=int, default=50)
    g.add_argument("--others", type=int, default=450, help="hosts of the fleet that run no agent")
    g.add_argument("--grants", type=int, default=1000)
    g.add_argument("--publishes", type=int, default=6)
    g.add_argument("--poll", type=int, default=5)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--url-key", default="bundle_url")
    g.add_argument("--head-name", default="bundle.jwt")
    g.add_argument("--keep", action="store_true")
    a = p.parse_args()
    if a.cmd == "sim":
        cmd_sim(a)
    else:
        if os.geteuid() != 0:
            sys.exit("fleet-sim agents: run as root (the agent refuses files root does not own)")
        a.fetch_helper = a.fetch_helper or os.path.join(os.path.dirname(a.agent), "..", "jit-fetch",
                                                        "jit-fetch")
        import fleet_run
        sys.exit(fleet_run.run_agents(a, sys.modules[__name__]))


if __name__ == "__main__":
    main()
