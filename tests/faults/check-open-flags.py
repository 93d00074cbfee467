#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every open()/openat() in the module's code (common/, pam_jit/) passes
O_CLOEXEC (sshd and sudo exec children) and, where it opens host state
(config, trust store, state_dir, run_dir), O_NOFOLLOW. The exceptions to
O_NOFOLLOW are listed below, one per (file, function), each with its reason;
an exception that no longer matches a call fails the check too."""

import pathlib
import re
import sys

NOFOLLOW_EXCEPTIONS = {
    ("common/basic/fileio.c", "read_file_secure"):
        'open("/"): the root folder, which is no symlink; every component below '
        "is then opened with O_NOFOLLOW relative to it",
    ("common/host/proc.c", "read_proc"):
        "/proc/<pid>/stat and /proc/self/sessionid: procfs, not host state",
}
CALL = re.compile(r"\b(open|openat)\s*\(")
FUNC = re.compile(r"^[A-Za-z_][\w \*]*?\b(\w+)\s*\([^;]*$")


def calls(path):
    text = path.read_text()
    lines = text.splitlines()
    func = "?"
    for i, line in enumerate(lines):
        m = FUNC.match(line)
        if m and not line.startswith(("static const", "#")):
            func = m.group(1)
        s = line.lstrip()
        if s.startswith(("*", "/*", "//")):
            continue
        for m in CALL.finditer(line):
            # the call's text up to its closing parenthesis
            rest = "\n".join(lines[i:i + 6])[m.start():]
            depth, end = 0, 0
            for j, c in enumerate(rest):
                if c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        end = j + 1
                        break
            yield i + 1, func, rest[:end]


def main():
    root = pathlib.Path(sys.argv[1])
    bad, seen, n = [], set(), 0
    for sub in ("common", "pam_jit"):
        for p in sorted((root / sub).rglob("*.c")):
            rel = p.relative_to(root).as_posix()
            for line, func, call in calls(p):
                n += 1
                if "O_CLOEXEC" not in call:
                    bad.append(f"{rel}:{line} ({func}): no O_CLOEXEC: {call}")
                if "O_NOFOLLOW" not in call:
                    if (rel, func) in NOFOLLOW_EXCEPTIONS:
                        seen.add((rel, func))
                    else:
                        bad.append(f"{rel}:{line} ({func}): no O_NOFOLLOW: {call}")
    for k in NOFOLLOW_EXCEPTIONS:
        if k not in seen:
            bad.append(f"exception {k[0]} {k[1]} matches no call any more: remove it")
    for b in bad:
        print(b, file=sys.stderr)
    if n < 10:
        print(f"only {n} open calls found: is {root} the source tree?", file=sys.stderr)
        return 1
    if bad:
        return 1
    print(f"ok: {n} open()/openat() calls, all O_CLOEXEC, "
          f"O_NOFOLLOW but for {len(NOFOLLOW_EXCEPTIONS)} listed exceptions")
    return 0


sys.exit(main())
