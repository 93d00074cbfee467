#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The jit-agent unit as installed: `systemd-analyze verify` is clean in a
# temporary root holding the built binary, `systemd-analyze security
# --offline` exposure is at most 2.0, the directives the agent relies on are
# there, and the tmpfiles.d entry creates /run/jit with the documented modes.
#
# Usage: test-unit.sh SOURCE_ROOT JIT_AGENT_BINARY
set -euo pipefail

src=${1:?usage: test-unit.sh SOURCE_ROOT JIT_AGENT_BINARY}
agent=${2:?usage: test-unit.sh SOURCE_ROOT JIT_AGENT_BINARY}
unit=$src/systemd/jit-agent.service
tmpfiles=$src/systemd/tmpfiles.d/jit.conf
max_exposure=2.0

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../lib/tap.sh"
bad() { fail "$@"; }
ok() { pass "$@"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jit-unit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- a root with systemd's units, /bin/kill and the agent -------------------
root=$tmp/root
mkdir -p "$root/usr/sbin" "$root/usr/bin" "$root/usr/lib" "$root/etc/systemd/system"
cp -a /lib/systemd "$root/usr/lib/"
ln -s usr/lib "$root/lib"
ln -s usr/bin "$root/bin"
cp "$(type -P kill)" "$root/usr/bin/kill"
install -m 0755 "$agent" "$root/usr/sbin/jit-agent"
install -m 0644 "$unit" "$root/usr/lib/systemd/system/jit-agent.service"

# Clean means no output at all: unknown keys are only warnings (exit 0).
# --man=no: Documentation= pages are checked by the package tests, not the
# host's man database.
out=$(systemd-analyze verify --man=no --root="$root" \
        "$root/usr/lib/systemd/system/jit-agent.service" 2>&1) && rc=0 || rc=$?
if [[ $rc -eq 0 && -z $out ]]; then
        ok "systemd-analyze verify is clean"
else
        bad "systemd-analyze verify (exit $rc): $out"
fi

# The check above must be able to fail: without the binary it does.
rm "$root/usr/sbin/jit-agent"
if systemd-analyze verify --man=no --root="$root" \
        "$root/usr/lib/systemd/system/jit-agent.service" >/dev/null 2>&1; then
        bad "verify passes without /usr/sbin/jit-agent: the check is blind"
else
        ok "verify notices a missing binary"
fi

# --- exposure -----------------------------------------------------------------
sec=$(cd "$tmp" && systemd-analyze security --offline=true "$unit" 2>&1) || true
exposure=$(sed -n 's/.*Overall exposure level for jit-agent.service: \([0-9.]*\).*/\1/p' <<<"$sec")
if [[ -z $exposure ]]; then
        bad "no exposure level in systemd-analyze security output: $sec"
elif awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }'; then
        ok "exposure $exposure <= $max_exposure"
else
        bad "exposure $exposure > $max_exposure"
        grep '✗' <<<"$sec" || true
fi

# --- what the agent and pam_jit rely on (one line each) -----------------------
required=(
        'Type=notify'
        'NotifyAccess=main'
        'ExecCondition=/usr/sbin/jit-agent --is-configured'   # not on the shipped jit.conf
        'ExecStart=/usr/sbin/jit-agent'
        'ExecReload=/usr/sbin/jit-agent --check-config'   # a broken file fails the reload
        'ExecReload=/bin/kill -HUP $MAINPID'
        'WatchdogSec=30s'
        'Restart=on-failure'
        'StateDirectory=jit'
        'StateDirectoryMode=0700'
        'RuntimeDirectory=jit'
        'RuntimeDirectoryMode=0755'
        'RuntimeDirectoryPreserve=yes'     # pam_jit's session records survive a restart
        'ReadWritePaths=-/run/sudo -/var/lib/sudo'   # sudo timestamps removed on expiry
        'CapabilityBoundingSet=CAP_KILL'
        'AmbientCapabilities=CAP_KILL'     # with noroot, the agent's only capability …
        'SecureBits=noroot noroot-locked'  # … and none for jit-fetch, the network code
        'SystemCallFilter=landlock_create_ruleset landlock_add_rule landlock_restrict_self'
        'SupplementaryGroups=tty'          # warnings to /dev/pts/N
        'DeviceAllow=char-pts rw'
        'ConditionPathExists=/etc/jit/trust.jwks'  # no failed unit after install
        'ProtectSystem=strict'
        'NoNewPrivileges=yes'
        'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6'
        'SystemCallFilter=@system-service'
        'UMask=0077'
        'WantedBy=multi-user.target'
)
for line in "${required[@]}"; do
        grep -qxF -- "$line" "$unit" || bad "unit lacks '$line'"
done
# The check runs before the signal: only a valid configuration is sent.
[[ $(grep -m1 '^ExecReload=' "$unit") == 'ExecReload=/usr/sbin/jit-agent --check-config' ]] ||
        bad "the first ExecReload= is not the configuration check"
# ProtectProc= other than default would hide other users' /proc/PID.
grep -qE '^ProtectProc=(invisible|noaccess|ptraceable)' "$unit" &&
        bad "ProtectProc hides other users' processes"
grep -qE '^PrivateUsers=(yes|true|1)' "$unit" && bad "PrivateUsers= breaks CAP_KILL"
grep -qE '^(User|DynamicUser)=' "$unit" && bad "the agent must run as root"
((failed)) || ok "required directives present"

# --- tmpfiles.d ----------------------------------------------------------------
if [[ $(id -u) -eq 0 ]]; then
        troot=$tmp/troot
        mkdir -p "$troot/run"
        systemd-tmpfiles --root="$troot" --create "$tmpfiles"
        for d in "jit 755" "jit/sessions 700" "jit/keys 755"; do
                set -- $d
                got=$(stat -c '%a %U %G' "$troot/run/$1" 2>/dev/null || echo missing)
                [[ $got == "$2 root root" ]] || bad "/run/$1: $got, want $2 root root"
        done
        ((failed)) || ok "tmpfiles.d creates /run/jit, sessions/ (0700), keys/"
else
        skip_all "the tmpfiles check needs root (CI runs as root)"
fi

summary
