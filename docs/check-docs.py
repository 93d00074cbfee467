#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The docs must match the code. Checks, from the source tree:
- every reason name in common/basic/error.c appears in docs/token-format.md as
  `name`, and every name listed there under "Reason names" exists;
- every jit.conf key (the fields of struct jit_config in common/host/jit-conf.h,
  and any "key" string in common/host/jit-conf.c's key table) has an entry
  "*key* = ..." in docs/jit.conf.5.scd, and every entry there is a key;
- every jitctl command (the verbs table of jitctl/jitctl.c, and the pam
  subcommands) has its section in docs/jitctl.1.scd, and every long option
  of a command's getopt table appears as *--option* in that section;
- every long option of jit-agent (jit-agent/main.c) appears as *--option*
  in docs/jit-agent.8.scd;
- the MESSAGE_ID of every audit event jit-agent (pam_jit) emits, from
  common/host/audit.c, is in docs/jit-agent.8.scd (docs/pam_jit.8.scd);
- every MESSAGE_ID of the agent's own events (jit-agent/agent-log.h) is
  logged somewhere in jit-agent/ and is in docs/jit-agent.8.scd, and every
  id that page lists is one the agent emits;
- docs/architecture.md describes every layer folder of common/ and names
  every source file of common/, pam_jit/, jit-agent/, jit-fetch/ and
  jitctl/, and names no file that does not exist.
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
error_c = read("common/basic/error.c")
code_reasons = re.findall(r'\[JIT_REASON_[A-Z_]+\]\s*=\s*"([a-z-]+)"', error_c)
if not code_reasons:
    problems.append("common/basic/error.c: no reason names found (table changed?)")
token_md = read("docs/token-format.md")
m = re.search(r"^## Reason names\n(.*?)(?=^## |\Z)", token_md, re.S | re.M)
if not m:
    problems.append("docs/token-format.md: no '## Reason names' section")
    doc_reasons = set()
else:
    doc_reasons = set(re.findall(r"^\| `([a-z-]+)` \|", m.group(1), re.M))
for r in code_reasons:
    if r not in doc_reasons:
        problems.append(f"docs/token-format.md: reason `{r}` (common/basic/error.c) is not documented")
for r in sorted(doc_reasons - set(code_reasons)):
    problems.append(f"docs/token-format.md: reason `{r}` is documented but not in common/basic/error.c")

# --- jit.conf keys ------------------------------------------------------------
config_h = read("common/host/jit-conf.h")
keys = set()
m = re.search(r"struct jit_config \{(.*?)\n\};", config_h, re.S)
if not m:
    problems.append("common/host/jit-conf.h: struct jit_config not found")
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
            # n_*: counts; bundle_urls: bundle_url's list of mirrors, one key
            if not n.startswith("n_") and n != "bundle_urls":
                keys.add(n)
config_c = read("common/host/jit-conf.c")
# A key table in jit-conf.c, if it has one: { "key", ... } entries.
for k in re.findall(r'\{\s*"([a-z][a-z_]+)"\s*,', config_c):
    keys.add(k)

man = read("docs/jit.conf.5.scd")
doc_keys = set(re.findall(r"^\*([a-z_]+)\* = ", man, re.M))
for k in sorted(keys - doc_keys):
    problems.append(f"docs/jit.conf.5.scd: key {k} (common/host/jit-conf.*) is not documented")
for k in sorted(doc_keys - keys):
    problems.append(f"docs/jit.conf.5.scd: key {k} is documented but unknown to common/host/jit-conf.*")

# --- jitctl(1) and jit-agent(8) ------------------------------------------------
def long_options(rel):
    """The long options of a getopt_long table: {"name", xxx_argument, ...}."""
    return sorted(set(re.findall(r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*(?:no|required|optional)_argument',
                                 read(rel))))


def sections(man):
    """'## title' -> the text up to the next '#' or '##' heading."""
    out = {}
    for m in re.finditer(r"^## (.+?)\n(.*?)(?=^#{1,2} |\Z)", man, re.S | re.M):
        out[m.group(1).strip()] = m.group(2)
    return out


jitctl_man = read("docs/jitctl.1.scd")
jitctl_sections = sections(jitctl_man)
jitctl_c = read("jitctl/jitctl.c")
verbs = re.findall(r'^\s*\{"([a-z]+)",\s*verb_[a-z_]+,', jitctl_c, re.M)
if not verbs:
    problems.append("jitctl/jitctl.c: no verbs table found (changed?)")
# The source file of each verb's options.
verb_files = {"pam": "jitctl/pam/cli.c"}
for verb in verbs:
    title = next((t for t in jitctl_sections if t.split()[0] == verb), None)
    if title is None:
        problems.append(f"docs/jitctl.1.scd: command '{verb}' (jitctl/jitctl.c) has no '## {verb}' section")
        continue
    body = jitctl_sections[title]
    src = verb_files.get(verb, f"jitctl/{verb}.c")
    for opt in long_options(src):
        if opt == "help":
            continue  # every command has it; DESCRIPTION says so
        if f"*--{opt}*" not in body:
            problems.append(f"docs/jitctl.1.scd: option --{opt} of 'jitctl {verb}' ({src}) "
                            f"is not in its section")
# pam's own subcommands, from its usage text.
pam_subs = sorted(set(re.findall(r"jitctl pam ([a-z]+) \[", read("jitctl/pam/cli.c"))))
if not pam_subs:
    problems.append("jitctl/pam/cli.c: no 'jitctl pam SUBCOMMAND' usage found (changed?)")
for sub in pam_subs:
    if f"*jitctl pam {sub}*" not in jitctl_man:
        problems.append(f"docs/jitctl.1.scd: 'jitctl pam {sub}' is not in the SYNOPSIS")
for opt in long_options("jitctl/jitctl.c"):
    if f"*--{opt}*" not in jitctl_man:
        problems.append(f"docs/jitctl.1.scd: option --{opt} of jitctl is not documented")

agent_man = read("docs/jit-agent.8.scd")
agent_opts = long_options("jit-agent/main.c")
if not agent_opts:
    problems.append("jit-agent/main.c: no getopt_long table found (changed?)")
for opt in agent_opts:
    if f"*--{opt}*" not in agent_man:
        problems.append(f"docs/jit-agent.8.scd: option --{opt} (jit-agent/main.c) is not documented")

# --- audit MESSAGE_IDs ----------------------------------------------------------
audit_c = read("common/host/audit.c")
message_ids = dict(re.findall(r"\[(AUDIT_[A-Z_]+)\]\s*=\s*\"([0-9a-f]{32})\"", audit_c))
if not message_ids:
    problems.append("common/host/audit.c: no MESSAGE_ID table found (changed?)")


def events_of(folder):
    found = set()
    for f in sorted((root / folder).glob("*.c")):
        found |= set(re.findall(r"(?:audit_emit|agent_audit)\(\s*(AUDIT_[A-Z_]+)",
                                f.read_text(encoding="utf-8")))
    return found


for folder, page in (("jit-agent", "docs/jit-agent.8.scd"), ("pam_jit", "docs/pam_jit.8.scd")):
    man_text = read(page)
    events = events_of(folder)
    if not events:
        problems.append(f"{folder}/: no audit_emit() calls found (changed?)")
    for ev in sorted(events):
        mid = message_ids.get(ev)
        if mid is None:
            problems.append(f"{folder}/: {ev} has no MESSAGE_ID in common/host/audit.c")
        elif mid not in man_text:
            problems.append(f"{page}: MESSAGE_ID {mid} ({ev}, emitted by {folder}/) is not documented")

# --- the agent's own MESSAGE_IDs -----------------------------------------------
agent_log_h = read("jit-agent/agent-log.h")
agent_ids = dict(re.findall(r'#define (AGENT_MID_[A-Z_]+) "([0-9a-f]{32})"', agent_log_h))
if not agent_ids:
    problems.append("jit-agent/agent-log.h: no AGENT_MID_ defines found (changed?)")
if len(set(agent_ids.values())) != len(agent_ids):
    problems.append("jit-agent/agent-log.h: two events share a MESSAGE_ID")
agent_code = "".join(f.read_text(encoding="utf-8") for f in sorted((root / "jit-agent").glob("*.c")))
agent_man_text = read("docs/jit-agent.8.scd")
for name, mid in sorted(agent_ids.items()):
    if not re.search(r"\b" + name + r"\b", agent_code):
        problems.append(f"jit-agent/agent-log.h: {name} is never logged in jit-agent/*.c")
    if mid not in agent_man_text:
        problems.append(f"docs/jit-agent.8.scd: MESSAGE_ID {mid} ({name}) is not documented")
known = set(agent_ids.values()) | {message_ids.get(ev) for ev in events_of("jit-agent")}
for mid in sorted(set(re.findall(r"^\|\s+([0-9a-f]{32})$", agent_man_text, re.M)) - known):
    problems.append(f"docs/jit-agent.8.scd: MESSAGE_ID {mid} is listed but the agent never emits it")


# --- docs/architecture.md names every source file ---------------------------
arch = read("docs/architecture.md")
for layer in sorted(d for d in (root / "common").iterdir() if d.is_dir()):
    if f"`common/{layer.name}/`" not in arch:
        problems.append(f"docs/architecture.md: layer common/{layer.name}/ is not described")
    for c in sorted(layer.glob("*.c")):
        if f"`{c.stem}`" not in arch:
            problems.append(f"docs/architecture.md: common/{layer.name}/{c.name} is not named "
                            f"(as `{c.stem}`) in its layer's row")
for prog in ("pam_jit", "jit-agent", "jit-fetch", "jitctl"):
    m = re.search(r"^## " + re.escape(prog) + r"/\n(.*?)(?=^## |\Z)", arch, re.S | re.M)
    if not m:
        problems.append(f"docs/architecture.md: no '## {prog}/' section")
        continue
    named = {n for n in re.findall(r"`([a-z0-9/_-]+\.c)`", m.group(1)) if not n.startswith("tests/")}
    present = {str(c.relative_to(root / prog)) for c in (root / prog).rglob("*.c")}
    for c in sorted(present - named):
        problems.append(f"docs/architecture.md: {prog}/{c} is not in the '## {prog}/' table")
    for c in sorted(named - present):
        problems.append(f"docs/architecture.md: {prog}/{c} is named but does not exist")

for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"docs match code: {len(code_reasons)} reason names, {len(keys)} jit.conf keys, "
      f"{len(verbs)} jitctl commands, {len(agent_opts)} jit-agent options, "
      f"{len(message_ids)} audit MESSAGE_IDs, {len(agent_ids)} agent MESSAGE_IDs")
