# SPDX-License-Identifier: LGPL-2.1-or-later
"""A model of the shard layout, for sweeping its rules (docs/fleet-scale.md,
"Choosing the key and bin rules"): `fleet-sim.py sim --model RULE:BINS:CHUNK`.

The real figures come from the real `jitctl publish` and `jitctl store plan`;
this model lays the same grants out in Python, so that many rules can be
compared in minutes. It follows docs/bundle-format.md's rules: each aud
selector is keyed by one of its facts (RULES below), the fact is hashed
(SHA-256 of "key=value", first 4 bytes big endian) into one of BINS bins, a bin
whose grant tokens exceed CHUNK bytes is split into the smallest power of two
of chunks that brings each under it, by the hash of the grant's jti. A host
fetches every chunk of the bins of its own facts. Sizes: a shard is its tokens
as a JSON array; the head is a JWS whose payload lists each shard (bin, chunk,
digest, size) and each revocation (docs/fleet-scale.md gives the per-entry
bytes assumed, EST_* below, and how they compare with the real head).
"""

import hashlib

# Bytes assumed (base64url of the JSON payload: 4/3 of the text).
EST_HEAD_FIXED = 400        # header, iss/iat/exp/serial/bins, signature
EST_HEAD_PER_SHARD = 100    # {"bin":N,"chunk":N,"sha256":"<43>","size":N}
EST_HEAD_PER_REVOKED = 55   # {"jti":"…","until":N}
EST_SHARD_FIXED = 2


def _rank_store(key):
    """The rank of store's first rules (common/token/store-layout.c): host,
    instance ids, labels (keys without a dot), zones, other cloud facts."""
    if key == "host":
        return 0
    if "." not in key:
        return 2
    if key.endswith(".instance-id") or key.endswith(".vm-id"):
        return 1
    if key.endswith((".az", ".zone", ".resource-group")):
        return 3
    return 4


def _rank_cloud_first(key):
    """Narrowest first by what a fleet usually looks like: host, instance,
    zone, account/project/subscription/resource group, region/location,
    then labels (few values each: env has three)."""
    if key == "host":
        return 0
    if key.endswith((".instance-id", ".vm-id")):
        return 1
    if key.endswith((".az", ".zone", ".resource-group")):
        return 2
    if key.endswith((".account", ".project", ".subscription")):
        return 3
    if "." in key:
        return 4
    return 5


RULES = {"store": _rank_store, "cloud-first": _rank_cloud_first}


def key_fact(selector, rank):
    facts = selector.split(",")
    return min(facts, key=lambda f: (rank(f.split("=", 1)[0]), f))


def h32(text):
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


class ModelStore:
    """Stands in for Store (fleet-sim.py): same add/remove/revoke/publish/plan."""

    def __init__(self, spec, grants_by_jti, token_size, hosts):
        rule, bins, chunk = spec.split(":")
        self.rank, self.bins, self.chunk = RULES[rule], int(bins), int(chunk)
        self.grants = grants_by_jti   # jti -> spec (aud)
        self.size = token_size        # jti -> token bytes
        self.live, self.revoked = set(), set()
        self.publish_s = [0.0]
        # A host's bins depend on its facts only.
        self._host_bins = [tuple(sorted({h32("%s=%s" % kv) % self.bins for kv in f.items()})) for f in hosts]
        self.fmt = "model " + spec

    def add(self, path):
        import os
        self.live.add(os.path.basename(path)[:-4])

    def remove(self, jti):
        self.live.discard(jti)

    def revoke(self, jti):
        self.revoked.add(jti)

    def publish(self):
        pass

    def plan(self):
        bins = {}
        for jti in self.live:
            for sel in self.grants[jti]["aud"]:
                b = h32(key_fact(sel, self.rank)) % self.bins
                bins.setdefault(b, set()).add(jti)
        sizes, by_bin = {}, {}
        for b, jtis in bins.items():
            total = sum(self.size[j] + 3 for j in jtis)
            n = 1
            while total / n > self.chunk:
                n *= 2
            chunks = {}
            for j in jtis:
                chunks.setdefault(h32(j) % n, []).append(j)
            names = []
            for c, members in sorted(chunks.items()):
                members.sort()
                name = hashlib.sha256((str(b) + ":" + ",".join(members)).encode()).hexdigest()
                sizes[name] = EST_SHARD_FIXED + sum(self.size[j] + 3 for j in members)
                names.append(name)
            by_bin[b] = tuple(names)
        head_size = (EST_HEAD_FIXED + EST_HEAD_PER_SHARD * len(sizes)
                     + EST_HEAD_PER_REVOKED * len(self.revoked))
        head = ("head@" + hashlib.sha256(",".join(sorted(sizes)).encode()).hexdigest(), head_size)
        sizes[head[0]] = head_size
        return head, sizes, by_bin

    def host_bins(self, hosts):
        return self._host_bins

    def check_plan(self, hb):
        pass
