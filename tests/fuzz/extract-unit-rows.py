#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Copy the hostile (and accepted) text rows of the unit tests into the fuzz
seed corpora, one file per row named after the row: what the unit tests
prove rejected is where the fuzzers start. The tables are read after the C
preprocessor (gcc -E), so ROW()/BAD() macros and pasted string literals come
out exactly as the compiler sees them.

Usage: tests/fuzz/extract-unit-rows.py   (rewrites corpus/*/unit-* files)"""

import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
UNIT = os.path.join(ROOT, "tests", "unit")
CORPUS = os.path.join(HERE, "corpus")
# The layers of common/ (docs/architecture.md) and the test library.
INCLUDES = [a for d in sorted(glob.glob(os.path.join(ROOT, "common", "*", "")))
            for a in ("-I", d)] + ["-I", os.path.join(ROOT, "tests", "lib")]

# (unit test file, table name, which table of that name (0 = first),
#  field holding the text, field holding the row's name or None, corpus)
TABLES = [
    ("test-session-record.c", "hostile", 0, 1, 0, "session-record"),
    ("test-user-grants.c", "user_grants_hostile", 0, 1, 0, "user-grants"),
    ("test-host-state.c", "host_state_hostile", 0, 1, 0, "host-state"),
    ("test-json.c", "accepted", 0, 0, None, "json"),
    ("test-json.c", "hostile", 0, 1, 0, "json"),
    ("test-config.c", "t", 0, 0, None, "config"),
    ("test-config.c", "t", 1, 1, 0, "config"),
    ("test-base64url.c", "rfc4648", 0, 1, None, "base64url"),
    ("test-base64url.c", "hostile", 0, 1, 0, "base64url"),
    ("test-facts.c", "t", 0, 1, 0, "facts"),
]

ESC = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, '"': 34, "'": 39, "a": 7, "b": 8,
       "f": 12, "v": 11, "?": 63, "e": 27}


def c_string(body):
    """The bytes of one C string literal's body."""
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = body[i + 1]
        if n == "x":
            m = re.match(r"[0-9a-fA-F]+", body[i + 2:])
            out.append(int(m.group(0), 16) & 0xFF)
            i += 2 + len(m.group(0))
        elif n in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i + 1:])
            out.append(int(m.group(0), 8) & 0xFF)
            i += 1 + len(m.group(0))
        else:
            out.append(ESC[n])
            i += 2
    return bytes(out)


TOKEN = re.compile(r'"((?:[^"\\\n]|\\.)*)"|(\{)|(\})|(,)|(\()|(\))|([^\s"{}(),]+)')


def rows(text, name, nth):
    starts = [m.end() for m in re.finditer(r"\b%s\s*\[\s*\]\s*=\s*\{" % re.escape(name), text)]
    pos = starts[nth]
    depth, paren = 1, 0
    row, field, out = None, [], []
    for m in TOKEN.finditer(text, pos):
        s, lb, rb, comma, lp, rp, other = m.groups()
        if lp:
            paren += 1
        elif rp:
            paren -= 1
        if lb:
            depth += 1
            if depth == 2:
                row, field = [], []
            continue
        if rb:
            depth -= 1
            if depth == 1:
                row.append(field)
                out.append(row)
            if depth == 0:
                return out
            continue
        if depth != 2:
            continue
        if comma and paren == 0:
            row.append(field)
            field = []
        elif s is not None and paren == 0:
            field.append(c_string(s))
        elif other or lp or rp or s is not None:
            field.append(None)  # not a plain string field
    raise SystemExit("%s: table not closed" % name)


def slug(b):
    s = re.sub(r"[^a-z0-9]+", "-", b.decode("utf-8", "replace").lower()).strip("-")
    return s[:60] or "row"


def main():
    for f in glob.glob(os.path.join(CORPUS, "*", "unit-*")):
        os.unlink(f)
    pre = {}
    total = 0
    for src, name, nth, tf, nf, corpus in TABLES:
        if src not in pre:
            pre[src] = subprocess.run(
                ["gcc", "-E", "-P"] + INCLUDES + [os.path.join(UNIT, src)],
                check=True, capture_output=True,
                text=True, errors="surrogateescape").stdout
        d = os.path.join(CORPUS, corpus)
        os.makedirs(d, exist_ok=True)
        for i, row in enumerate(rows(pre[src], name, nth)):
            field = row[tf] if tf < len(row) else []
            if not field or None in field:
                continue
            data = b"".join(field)
            label = b"".join(row[nf]) if nf is not None and row[nf] and None not in row[nf] \
                else b"%d" % i
            path = os.path.join(d, "unit-%s-%s" % (os.path.splitext(src)[0][5:], slug(label)))
            while os.path.exists(path):
                path += "-"
            with open(path, "wb") as fh:
                fh.write(data)
            total += 1
    print("wrote %d seed files" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
