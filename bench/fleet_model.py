# SPDX-License-Identifier: LGPL-2.1-or-later
"""A synthetic fleet for the store benchmarks (docs/fleet-scale.md, "The model").

Everything is drawn from random.Random(seed), so a seed gives the same hosts,
grants and changes on every run. Used by bench/fleet-sim.py (the simulator)
and bench/bench-fleet-agents.sh (the real many-agent run, through
`fleet-sim.py agents`).

Hosts: three clouds (AWS 50 %, GCP 30 %, Azure 20 %), each host with the
facts its cloud's metadata gives (aws.account, aws.region, aws.az,
aws.instance-id; gcp.project, gcp.zone, gcp.region; azure.subscription,
azure.resource-group, azure.location), the labels env and role, and
host=<name>. Accounts, projects and subscriptions differ in size (a few big,
many small: weights 1/(i+1)).

Grants: a mix of per-host selectors and group selectors, each built from a
real host of the fleet so that it matches somebody (KINDS below).
"""

import base64
import random

AWS_REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1",
               "ap-southeast-1", "ap-northeast-1", "sa-east-1"]
GCP_REGIONS = ["us-central1", "us-east1", "europe-west1", "europe-west4", "asia-east1",
               "asia-northeast1"]
AZ_LOCATIONS = ["eastus", "eastus2", "westus2", "westeurope", "northeurope", "southeastasia"]
ENVS = [("prod", 55), ("staging", 25), ("dev", 20)]
ROLES = [("web", 20), ("api", 15), ("worker", 12), ("db", 8), ("cache", 6), ("queue", 5),
         ("batch", 6), ("ml", 4), ("search", 4), ("proxy", 5), ("monitor", 3), ("ci", 4),
         ("storage", 4), ("stream", 3), ("bastion", 1)]
N_AWS_ACCOUNTS, N_GCP_PROJECTS, N_AZ_SUBSCRIPTIONS = 300, 150, 80
CLOUDS = [("aws", 50), ("gcp", 30), ("azure", 20)]

# Grant kinds: (name, weight). A per-host grant names 1 host (sometimes 2-3,
# one aud entry each); the others are conjunctions of group facts.
KINDS = [("host", 45), ("env,role", 15), ("account,role", 15), ("account,env", 8),
         ("region,role", 7), ("account", 5), ("zone,role", 5)]
N_USERS = 3000


def _pick(rng, weighted):
    total = sum(w for _, w in weighted)
    x = rng.uniform(0, total)
    for v, w in weighted:
        x -= w
        if x <= 0:
            return v
    return weighted[-1][0]


def _zipf_weights(n):
    return [1.0 / (i + 1) for i in range(n)]


class Fleet:
    def __init__(self, n_hosts, seed):
        rng = random.Random(seed)
        self.seed = seed
        aws_accounts = ["%012d" % rng.randrange(10**11, 10**12) for _ in range(N_AWS_ACCOUNTS)]
        gcp_projects = ["%s-%s-%d" % (rng.choice(["pay", "shop", "data", "core", "edge", "ml", "ops"]),
                                      rng.choice(["prod", "stg", "dev", "lab"]), rng.randrange(100, 999))
                        for _ in range(N_GCP_PROJECTS)]
        az_subs = ["%08x-%04x-4%03x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                                   rng.getrandbits(12), 0x8000 | rng.getrandbits(14),
                                                   rng.getrandbits(48))
                   for _ in range(N_AZ_SUBSCRIPTIONS)]
        # Each account/project/subscription lives in 1-3 regions.
        aws_regions = {a: rng.sample(AWS_REGIONS, rng.randint(1, 3)) for a in aws_accounts}
        gcp_regions = {p: rng.sample(GCP_REGIONS, rng.randint(1, 3)) for p in gcp_projects}
        az_locs = {s: rng.sample(AZ_LOCATIONS, rng.randint(1, 3)) for s in az_subs}
        az_rgs = {s: ["rg-%s-%d" % (rng.choice(["app", "data", "net", "svc"]), i)
                      for i in range(rng.randint(3, 10))] for s in az_subs}
        wa, wg, wz = (_zipf_weights(len(x)) for x in (aws_accounts, gcp_projects, az_subs))
        self.hosts = []  # list of dicts, "host" first
        for i in range(n_hosts):
            cloud = _pick(rng, CLOUDS)
            env = _pick(rng, ENVS)
            role = _pick(rng, ROLES)
            name = "%s-%s-%06d" % (role, env, i)
            f = {"host": name}
            if cloud == "aws":
                acct = rng.choices(aws_accounts, wa)[0]
                region = rng.choice(aws_regions[acct])
                f["aws.account"] = acct
                f["aws.region"] = region
                f["aws.az"] = region + rng.choice("abc")
                f["aws.instance-id"] = "i-%017x" % rng.getrandbits(68)
            elif cloud == "gcp":
                proj = rng.choices(gcp_projects, wg)[0]
                region = rng.choice(gcp_regions[proj])
                f["gcp.project"] = proj
                f["gcp.zone"] = region + "-" + rng.choice("abc")
                f["gcp.region"] = region
            else:
                sub = rng.choices(az_subs, wz)[0]
                f["azure.subscription"] = sub
                f["azure.resource-group"] = rng.choice(az_rgs[sub])
                f["azure.location"] = rng.choice(az_locs[sub])
            f["env"] = env
            f["role"] = role
            self.hosts.append(f)

    def facts_line(self, i):
        return ",".join("%s=%s" % kv for kv in self.hosts[i].items())

    def write_facts(self, path, indexes=None):
        with open(path, "w") as out:
            for i in (range(len(self.hosts)) if indexes is None else indexes):
                out.write(self.facts_line(i) + "\n")


def _cloud_keys(h):
    if "aws.account" in h:
        return "aws.account", "aws.region", "aws.az"
    if "gcp.project" in h:
        return "gcp.project", "gcp.region", "gcp.zone"
    return "azure.subscription", "azure.location", "azure.resource-group"


def _selector(h, kind):
    account, region, zone = _cloud_keys(h)
    keys = {"env,role": ["env", "role"], "account,role": [account, "role"],
            "account,env": [account, "env"], "region,role": [region, "role"],
            "account": [account], "zone,role": [zone, "role"]}[kind]
    return ",".join("%s=%s" % (k, h[k]) for k in keys)


def ssh_key_line(rng, user):
    """An ssh-ed25519 public key line (random point bytes: only its form matters here)."""
    blob = (b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(rng.getrandbits(8) for _ in range(32)))
    return "ssh-ed25519 %s %s@laptop" % (base64.b64encode(blob).decode(), user)


class Grants:
    """Grant specs: dicts with jti, sub, aud (list), scope, ttl, ssh_key, kind.

    host_pool: the host indexes selectors are drawn from (the whole fleet, or
    the hosts of a real run plus others that run no agent)."""

    def __init__(self, fleet, seed, host_pool=None):
        self.fleet = fleet
        self.rng = random.Random(seed * 7919 + 1)
        self.pool = list(range(len(fleet.hosts))) if host_pool is None else list(host_pool)
        krng = random.Random(seed * 104729 + 2)
        self.keys = {}
        self._krng = krng
        self.n = 0

    def _key(self, user):
        if user not in self.keys:
            self.keys[user] = ssh_key_line(self._krng, user)
        return self.keys[user]

    def new(self, kind=None):
        rng = self.rng
        self.n += 1
        kind = kind or _pick(rng, KINDS)
        h = self.fleet.hosts[rng.choice(self.pool)]
        if kind == "host":
            aud = ["host=" + h["host"]]
            if rng.random() < 0.1:
                for _ in range(rng.randint(1, 2)):
                    aud.append("host=" + self.fleet.hosts[rng.choice(self.pool)]["host"])
        else:
            aud = [_selector(h, kind)]
        user = "u%04d" % rng.randrange(N_USERS)
        return {"jti": "g-%06d" % self.n, "sub": user, "aud": aud,
                "scope": rng.choice(["ssh", "ssh", "ssh,sudo"]),
                "ttl": rng.choice([3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600]),
                "ssh_key": self._key(user), "kind": kind}


def matches(facts, aud):
    """Does a host with facts (dict) match any aud entry (DESIGN: conjunctions, OR-ed)?"""
    for sel in aud:
        if all(facts.get(k) == v for k, v in (p.split("=", 1) for p in sel.split(","))):
            return True
    return False
