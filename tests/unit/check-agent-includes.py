#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The include graph of jit-agent/ and jit-fetch/ is a DAG that goes down.

check-agent-includes.py SOURCE_ROOT [--dot]

Each room of the agent has a level (jit-agent/meson.build draws them); a
file may include its own room's header and headers of lower levels only, so
there is no circle and main.c is on top. jit-fetch/ includes nothing of
jit-agent/, and jit-agent/ includes of jit-fetch/ only the wire protocol
(wire/fetch-wire.h). With --dot, the graph is printed for graphviz."""

import pathlib
import re
import sys

LEVELS = {
    "agent-log": 0,  # the log, below everything
    # no agent state
    "bundle-url": 1, "host-facts": 1, "warn": 1, "fetch-helper": 1, "check-config": 1,
    "authorized-keys": 1, "store-mirrors": 1,
    "fetch-server": 2,  # the long-lived jit-fetch --serve
    "fetch-job": 3,  # one fetch, by a helper of its own or the server
    "agent": 4,  # the state and its lifecycle
    "store-state": 5, "bus": 5, "ending": 5, "accounts": 5, "hint-fetch": 5,  # on the state
    "status": 6, "terminate": 6, "key-files": 6, "hint": 6,  # STATUS=, ending sessions, key files, hints
    "enforce": 7,  # the reconcile
    "revoke-ahead": 8,  # a head's revocations ahead of its shards, then a reconcile
    "poll": 9,  # the store
    "cloud-poll": 10,  # cloud facts: a change fetches the store again
    "main": 11,  # arguments and the loop
}
# all jit-agent/ may take from jit-fetch/: the wire protocol
FETCH_SHARED = {"fetch-wire.h", "hint-wire.h", "fetch-request.h"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def includes(path):
    return INCLUDE.findall(path.read_text(encoding="utf-8"))


def main():
    root = pathlib.Path(sys.argv[1])
    dot = "--dot" in sys.argv[2:]
    agent = root / "jit-agent"
    fetch = root / "jit-fetch"
    agent_headers = {p.name for p in agent.glob("*.h")}
    fetch_headers = {p.name for p in fetch.rglob("*.h")}
    problems, edges = [], []

    for p in sorted(agent.glob("*.[ch]")):
        room = p.stem
        if room not in LEVELS:
            problems.append(f"jit-agent/{p.name}: room '{room}' has no level in {sys.argv[0]}")
            continue
        for inc in includes(p):
            if inc in agent_headers:
                dep = pathlib.Path(inc).stem
                edges.append((p.name, inc))
                if dep == room:
                    continue
                if dep not in LEVELS:
                    continue  # reported above
                if LEVELS[dep] >= LEVELS[room]:
                    problems.append(f"jit-agent/{p.name} (level {LEVELS[room]}) includes {inc} "
                                    f"(level {LEVELS[dep]}): includes go down only")
            elif inc in fetch_headers and inc not in FETCH_SHARED:
                problems.append(f"jit-agent/{p.name} includes jit-fetch's {inc}: the agent "
                                f"shares only {', '.join(sorted(FETCH_SHARED))} with the helper")

    for p in sorted(fetch.rglob("*.[ch]")):
        for inc in includes(p):
            if inc in agent_headers and inc not in fetch_headers:
                problems.append(f"{p.relative_to(root)} includes the agent's {inc}")
            if p.parent.name == "wire" and inc in fetch_headers and inc not in FETCH_SHARED:
                problems.append(f"{p.relative_to(root)} includes {inc}: the wire protocol "
                                f"stands alone")

    # Headers including headers: the level rule above already forbids a
    # circle; this confirms it on the graph itself.
    graph = {}
    for a, b in edges:
        graph.setdefault(pathlib.Path(a).stem, set()).add(pathlib.Path(b).stem)
    state = {}

    def visit(n, stack):
        state[n] = 1
        for m in graph.get(n, ()):
            if m == n:
                continue
            if state.get(m) == 1:
                problems.append("include circle: " + " -> ".join(stack + [n, m]))
            elif m not in state:
                visit(m, stack + [n])
        state[n] = 2

    for n in list(graph):
        if n not in state:
            visit(n, [])

    if dot:
        print("digraph agent {")
        for a, b in sorted({(pathlib.Path(a).stem, pathlib.Path(b).stem) for a, b in edges}):
            if a != b:
                print(f'  "{a}" -> "{b}";')
        print("}")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"1..1\n{'not ok' if problems else 'ok'} 1 - jit-agent/ and jit-fetch/ include only downward")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
