#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The docs must match the code. Checks, from the source tree:
- every reason name in common/error.c appears in docs/token-format.md as
  `name`, and every name listed there under "Reason names" exists;
- every jit.conf key (the fields of struct jit_config in common/config.h,
  and any "key" string in common/config.c's key table) has an entry
  "*key* = ..." in docs/jit.conf.5.scd, and every entry there is a key.
Exit 1 with one line per mismatch."""

import re
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
problems = []


def read(rel):
    try:
        return (root / rel).read_text(encoding="utf-8")
    except OSError as e:
        problems.append(f"{rel}: cannot read: {e}")
        return ""


# --- reason names -----------------------------------------------------------
error_c = read("common/error.c")
code_reasons = re.findall(r'\[JIT_REASON_[A-Z_]+\]\s*=\s*"([a-z-]+)"', error_c)
if not code_reasons:
    problems.append("common/error.c: no reason names found (table changed?)")
token_md = read("docs/token-format.md")
m = re.search(r"^## Reason names\n(.*?)(?=^## |\Z)", token_md, re.S | re.M)
if not m:
    problems.append("docs/token-format.md: no '## Reason names' section")
    doc_reasons = set()
else:
    doc_reasons = set(re.findall(r"^\| `([a-z-]+)` \|", m.group(1), re.M))
for r in code_reasons:
    if r not in doc_reasons:
        problems.append(f"docs/token-format.md: reason `{r}` (common/error.c) is not documented")
for r in sorted(doc_reasons - set(code_reasons)):
    problems.append(f"docs/token-format.md: reason `{r}` is documented but not in common/error.c")

# --- jit.conf keys ------------------------------------------------------------
config_h = read("common/config.h")
keys = set()
m = re.search(r"struct jit_config \{(.*?)\n\};", config_h, re.S)
if not m:
    problems.append("common/config.h: struct jit_config not found")
else:
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    for decl in body.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        # "char *ca_file, *client_cert" -> each declarator's name
        first, *rest = decl.split(",")
        names = [re.findall(r"\w+", first)[-1]] + [re.findall(r"\w+", r)[-1] for r in rest]
        for n in names:
            if not n.startswith("n_"):
                keys.add(n)
config_c = read("common/config.c")
# A key table in config.c, if it has one: { "key", ... } entries.
for k in re.findall(r'\{\s*"([a-z][a-z_]+)"\s*,', config_c):
    keys.add(k)

man = read("docs/jit.conf.5.scd")
doc_keys = set(re.findall(r"^\*([a-z_]+)\* = ", man, re.M))
for k in sorted(keys - doc_keys):
    problems.append(f"docs/jit.conf.5.scd: key {k} (common/config.*) is not documented")
for k in sorted(doc_keys - keys):
    problems.append(f"docs/jit.conf.5.scd: key {k} is documented but unknown to common/config.*")

for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"docs match code: {len(code_reasons)} reason names, {len(keys)} jit.conf keys")
