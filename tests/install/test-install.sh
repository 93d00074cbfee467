#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The packages as an administrator meets them: the .deb files built by
# packaging/build-deb are installed with apt into a fresh Debian 12 guest
# booted with systemd-nspawn (real systemd, logind, journal; tests/lib/nspawn.sh),
# used, unwired and purged. Checked:
#   - installing changes no PAM file and no sshd configuration (sha256 of
#     every file under /etc/pam.d and /etc/ssh), and leaves jit-agent.service
#     enabled but skipped (ConditionPathExists= on the trust store), not failed;
#   - with a trust store and a jit.conf, `systemctl start` returns once the
#     agent sent READY=1 (Type=notify): active, watchdog armed and pinging,
#     STATUS= shown; `systemctl reload` reloads (journal) in the same process;
#   - `systemd-analyze verify` of the installed unit is clean and
#     `systemd-analyze security` rates it at most 2.0 (the running unit, and
#     --offline=true on the file);
#   - `jitctl pam enable sshd sudo` refuses while the agent has no fresh
#     bundle, then wires sshd, sudo, sudo-i and the sshd drop-in;
#   - a 30 s ssh grant published to the store lets alice in over ssh with the
#     key the grant names (from /run/jit/keys/alice), JIT_GRANT_ID is set,
#     logind lists the session; a warning (warn_before = 10s) reaches her
#     terminal; at exp the client is cut off within 2 s and logind forgets
#     the session;
#   - the admin guide's drills (docs/admin-guide.md, 13), in the same boot:
#     a typo in jit.conf, a truncated and a world-writable trust store each
#     fail `systemctl reload` (jit-agent --check-config), let breakglass in
#     by ssh (logged at crit) and refuse alice, who holds a valid grant;
#     SIGHUP past the check shows "reload failed … running on the
#     configuration of …" in STATUS; the store down then stale walks STATUS
#     through unreachable, stale admitting, stale refusing and fresh again,
#     each logged once with its MESSAGE_ID; pam disable names a NOPASSWD
#     sudoers rule;
#   - `apt-get remove` is refused while a pam_jit line jitctl did not add
#     remains; purge while wired takes pam_jit out (as jitctl pam disable);
#   - `jitctl pam disable` leaves /etc/pam.d and /etc/ssh byte-identical to
#     before the install; removal while wired says so and reloads sshd;
#   - reinstalled over the kept trust store, the agent does not start on the
#     shipped jit.conf (skipped, not failed, "not configured yet"), and the
#     guide's order (write jit.conf, systemctl start) starts it;
#   - `apt-get purge` leaves no file behind under /etc, /var/lib, /usr and no
#     /run/jit. The administrator's own /etc/jit/trust.jwks is removed by the
#     test first: purge keeps files dpkg does not own, by design.
#
# Usage: test-install.sh SOURCE_ROOT   (as root)
# Environment: JIT_DEBS_DIR: use the .deb files there instead of building
# them; JIT_LOGIND_CACHE / JIT_LOGIND_MIRROR: the guest's root file system
# cache and mirror, shared with tests/logind (same tarball, same lock);
# KEEP_TMP=1 keeps the temp dir.
set -euo pipefail

SRC=$(cd "${1:?usage: test-install.sh SOURCE_ROOT}" && pwd)

ISS=https://jit.example.com
TEST_USER=alice
TTL=30
WARN=10
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../lib/tap.sh"
# shellcheck source=tests/lib/nspawn.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../lib/nspawn.sh"
GPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

D=
NSPAWN_PID=
GUEST_PID=
SSH_PID=
declare -A T=()

log() { note "$@"; }
now() { date +%s.%N; }
# elapsed FROM [TO]: seconds, one decimal.
elapsed() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.1f", b - a }'; }
indent() { sed 's/^/#   /'; }

# ---- guest access -------------------------------------------------------

# guest CMD…: run CMD inside the guest (all its namespaces), with a clean
# environment as an administrator's root shell would have.
guest() {
        nsenter -t "$GUEST_PID" -m -u -i -n -p -- \
                env -i PATH="$GPATH" LC_ALL=C HOME=/root TERM=dumb DEBIAN_FRONTEND=noninteractive "$@"
}

guest_journal() { guest journalctl --no-pager -o short-precise "$@" 2>&1 || true; }

# wait_for SECONDS CMD…: poll CMD every 0.1 s.
wait_for() {
        local n=$(($1 * 10))
        shift
        while ((n-- > 0)); do
                "$@" && return 0
                sleep 0.1
        done
        return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---- cleanup ------------------------------------------------------------

cleanup() {
        local rc=$?
        set +e
        if [[ -n $SSH_PID ]] && kill -0 "$SSH_PID" 2>/dev/null; then
                kill "$SSH_PID"
                wait "$SSH_PID" 2>/dev/null
        fi
        if [[ -n $NSPAWN_PID ]] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
                if [[ ($rc -ne 0 || $failed -ne 0) && -n $GUEST_PID ]]; then
                        echo "# --- guest journal: jit-agent, ssh (last 40 lines)"
                        guest_journal -u jit-agent -u ssh | tail -40 | indent
                fi
                local t0
                t0=$(now)
                nspawn_poweroff
                log "guest shut down in $(elapsed "$t0") s"
        fi
        temp_remove "$rc"
        exit "$rc"
}

# ---- prerequisites ------------------------------------------------------

[[ $(id -u) -eq 0 ]] || die "this test runs as root (debootstrap, systemd-nspawn)"
for p in /usr/sbin/debootstrap /usr/bin/systemd-nspawn /usr/bin/nsenter /usr/bin/ssh \
        /usr/bin/ssh-keygen /usr/bin/python3 /usr/bin/flock /usr/bin/dpkg-deb /usr/bin/sha256sum; do
        [[ -x $p ]] || die "$p missing (install debootstrap, systemd-container, openssh-client, python3, util-linux, dpkg)"
done

T[start]=$(now)
trap cleanup EXIT
trap 'exit 130' INT TERM
# /var/tmp, not /tmp: the guest's tree is ~300 MB and /tmp may be a small tmpfs.
D=$(mktemp -d "${JIT_INSTALL_TMPDIR:-/var/tmp}/jit-install.XXXXXX")
chmod 0755 "$D"
umask 022
R=$D/rootfs
mkdir -p "$R" "$D/share/store/grants" "$D/share/debs" "$D/keys" "$D/client" "$D/host" "$D/snap"
chmod 0700 "$D/keys" "$D/client"
log "temp dir $D"

# ---- 1. the packages ----------------------------------------------------

T[debs]=$(now)
version=$(dpkg-parsechangelog -l "$SRC/packaging/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
if [[ -n ${JIT_DEBS_DIR:-} ]]; then
        debs=$JIT_DEBS_DIR
        DEBS_HOW="from JIT_DEBS_DIR=$debs"
else
        debs=$D/out
        "$SRC/packaging/build-deb" "$debs" >"$D/build-deb.log" 2>&1 || {
                tail -30 "$D/build-deb.log" | indent
                die "packaging/build-deb failed"
        }
        DEBS_HOW="built by packaging/build-deb"
fi
for p in jit-agent libpam-jit; do
        f=$debs/${p}_${version}_$arch.deb
        [[ -f $f ]] || die "$f missing"
        install -m 0644 "$f" "$D/share/debs/"
done
T[debs_done]=$(now)
log "packages $version: $(elapsed "${T[debs]}" "${T[debs_done]}") s ($DEBS_HOW)"

# jitctl on the host (key generation, grants, bundles) is the packaged one.
dpkg-deb -x "$D/share/debs/jit-agent_${version}_$arch.deb" "$D/host"
JITCTL=$D/host/usr/bin/jitctl
"$JITCTL" --help >/dev/null 2>&1 || die "the packaged jitctl does not run on this host"

# ---- 2. the guest's root file system -------------------------------------

T[rootfs]=$(now)
rootfs_make "$R"
T[rootfs_done]=$(now)
log "root file system: $(elapsed "${T[rootfs]}" "${T[rootfs_done]}") s ($ROOTFS_HOW)"

# The test's own scaffolding, before anything is recorded: sshd on a free
# loopback port (the guest shares the host's network), key logins only, and
# the user alice (no authorized_keys of her own: only a grant lets her in).
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$R/etc/ssh/sshd_config.d/00-jit-install-test.conf" <<EOF
# tests/install: the guest shares the host's network.
ListenAddress 127.0.0.1:$PORT
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UseDNS no
LogLevel VERBOSE
EOF
chroot "$R" useradd -m -s /bin/bash "$TEST_USER"
ln -sf /dev/null "$R/etc/systemd/system/networking.service"
ssh-keygen -q -t ed25519 -N '' -C "$TEST_USER@jit-install" -f "$D/client/$TEST_USER"
# The break-glass user of the admin guide (step 6): its own key, no grant.
chroot "$R" useradd -m -s /bin/bash breakglass
ssh-keygen -q -t ed25519 -N '' -C "breakglass@jit-install" -f "$D/client/breakglass"
install -d -m 0700 "$R/home/breakglass/.ssh"
install -m 0600 "$D/client/breakglass.pub" "$R/home/breakglass/.ssh/authorized_keys"
chroot "$R" chown -R breakglass:breakglass /home/breakglass/.ssh

# ---- 3. boot --------------------------------------------------------------

T[boot]=$(now)
systemd-nspawn -D "$R" -b --register=no --keep-unit -M "jitinstall-$$" \
        --bind="$D/share:/mnt/test" --console=passive >"$D/nspawn.log" 2>&1 &
NSPAWN_PID=$!
log "systemd-nspawn pid $NSPAWN_PID, machine jitinstall-$$, sshd on 127.0.0.1:$PORT"
for _ in $(seq 300); do
        kill -0 "$NSPAWN_PID" 2>/dev/null || die "systemd-nspawn exited"
        port_open "$PORT" && break
        sleep 0.1
done
port_open "$PORT" || die "the guest's sshd is not listening on 127.0.0.1:$PORT after 30 s"
GUEST_PID=$(find_guest_pid) || die "no guest init under nspawn $NSPAWN_PID"
# Boot finished (no job left), so the snapshot below sees a settled system.
st=$(guest timeout 30 systemctl is-system-running --wait 2>&1 || true)
T[booted]=$(now)
log "boot: $(elapsed "${T[boot]}" "${T[booted]}") s (guest systemd pid $GUEST_PID, system $st)"
if [[ $st != running ]]; then
        guest systemctl --failed --no-legend 2>&1 | indent
fi

# ---- 4. before: what the administrator's host looks like ------------------

# sha256 of every regular file under /etc/pam.d and /etc/ssh (the four files
# the packages must never touch among them).
wiring_sums() {
        guest sh -c 'find /etc/pam.d /etc/ssh -type f -print0 | sort -z | xargs -0 sha256sum'
}
# Every path (with type, mode and owner) under /etc, /var/lib, /usr, /run/jit.
file_list() {
        guest sh -c 'find /etc /var/lib /usr /run/jit -xdev -printf "%y %m %u:%g %p\n" 2>/dev/null; true' |
                sort -k4
}
WIRED_FILES="/etc/pam.d/sshd /etc/pam.d/sudo /etc/pam.d/sudo-i /etc/ssh/sshd_config"

wiring_sums >"$D/snap/wiring.before"
file_list >"$D/snap/files.before"
for f in $WIRED_FILES; do
        grep -q " $f\$" "$D/snap/wiring.before" || die "the guest has no $f"
done
check "no /run/jit before the install" test ! -e "$(groot /run/jit)"
log "recorded sha256 of $(wc -l <"$D/snap/wiring.before") files under /etc/pam.d and /etc/ssh, $(wc -l <"$D/snap/files.before") paths under /etc /var/lib /usr"

# ---- 5. install -------------------------------------------------------------

T[install]=$(now)
rc=0
guest apt-get install -y --no-install-recommends \
        "/mnt/test/debs/jit-agent_${version}_$arch.deb" "/mnt/test/debs/libpam-jit_${version}_$arch.deb" \
        >"$D/apt-install.log" 2>&1 || rc=$?
T[install_done]=$(now)
log "apt-get install: $(elapsed "${T[install]}" "${T[install_done]}") s"
if [[ $rc -ne 0 ]]; then
        indent <"$D/apt-install.log"
        die "apt-get install of the two packages failed (exit $rc)"
fi
pass "apt-get install ./jit-agent_…deb ./libpam-jit_…deb in the running guest"
grep -iE '^(W|E):|warning' "$D/apt-install.log" | indent || true

wiring_sums >"$D/snap/wiring.installed"
if diff -u "$D/snap/wiring.before" "$D/snap/wiring.installed" >"$D/diff" 2>&1; then
        pass "installing changed no file under /etc/pam.d and /etc/ssh (sshd, sudo, sudo-i, sshd_config among them)"
else
        fail "installing changed files under /etc/pam.d or /etc/ssh:"
        indent <"$D/diff"
fi

# postinst enabled the unit and started it; the condition skipped it.
unit_state() { guest systemctl show -P "$1" jit-agent 2>&1; }
active=$(guest systemctl is-active jit-agent 2>&1 || true)
cond=$(unit_state ConditionResult)
result=$(unit_state Result)
enabled=$(guest systemctl is-enabled jit-agent 2>&1 || true)
check "after install jit-agent.service is inactive (got '$active')" test "$active" = inactive
check "… skipped by its condition (ConditionResult=$cond, no trust store)" test "$cond" = no
check "… not failed (Result=$result, is-failed: $(guest systemctl is-failed jit-agent 2>&1 || true))" \
        sh -c "[ '$result' = success ] && ! nsenter -t $GUEST_PID -m -u -i -n -p -- systemctl -q is-failed jit-agent"
check "… enabled, so that it starts at boot (got '$enabled')" test "$enabled" = enabled
failed_units=$(guest systemctl --failed --no-legend --plain 2>&1 || true)
check "no failed unit in the guest after the install${failed_units:+ (got: $failed_units)}" test -z "$failed_units"
# tmpfiles.d made /run/jit for pam_jit and sshd before the agent runs.
runjit=$(guest stat -c '%a %U:%G %n' /run/jit /run/jit/sessions /run/jit/keys 2>&1 | tr '\n' ';' || true)
check "tmpfiles.d made /run/jit 0755, sessions 0700, keys 0755 (got '$runjit')" \
        test "$runjit" = "755 root:root /run/jit;700 root:root /run/jit/sessions;755 root:root /run/jit/keys;"

# ---- 6. trust store, configuration, start --------------------------------------

"$JITCTL" keygen --out "$D/keys/signing" >/dev/null
install -m 0644 -o root -g root "$D/keys/signing.jwks" "$(groot /etc/jit/trust.jwks)"
# The administrator edits the conffile.
cat >"$(groot /etc/jit/jit.conf)" <<EOF
# /etc/jit/jit.conf of the tests/install guest.
issuers = $ISS
trust_store = /etc/jit/trust.jwks
host_id = jitinstall
labels = env=prod
# Tests never ask a real cloud metadata service (the machine may be a cloud VM).
cloud = none
bundle_url = file:///mnt/test/store/head.jwt
poll_interval = 5s
# No leeway: the test measures the second a session ends.
clock_skew = 0
# Break-glass: root is never subject to grants, breakglass logs in by ssh.
exempt_users = root, breakglass
# The stale-store drill: refusals begin 4 s after a bundle's exp.
stale_after = 4s
warn_before = ${WARN}s
kill_grace = 2s
EOF

T[start_unit]=$(now)
rc=0
guest timeout 60 systemctl start jit-agent >"$D/start.out" 2>&1 || rc=$?
T[started]=$(now)
active=$(guest systemctl is-active jit-agent 2>&1 || true)
check "systemctl start jit-agent returns 0 (got $rc, $(elapsed "${T[start_unit]}" "${T[started]}") s) and the unit is active (got '$active')" \
        test "$rc" = 0 -a "$active" = active
[[ $rc -eq 0 ]] || indent <"$D/start.out"
check "Type=notify (got '$(unit_state Type)')" test "$(unit_state Type)" = notify
agent_pid=$(unit_state MainPID)
wd=$(unit_state WatchdogUSec)
check "the watchdog is armed (WatchdogUSec=$wd)" test "$wd" = 30s
wd_ts0=$(unit_state WatchdogTimestampMonotonic)
status=$(unit_state StatusText)
log "StatusText: $status"
check "STATUS= is shown ('$status')" grep -qE '^[0-9]+ grants?, [0-9]+ sessions?, next expiry ' <<<"$status"
[[ $active == active ]] || die "jit-agent is not running: nothing more to test"

rc=0
guest timeout 30 systemctl reload jit-agent >"$D/reload.out" 2>&1 || rc=$?
check "systemctl reload jit-agent returns 0 (got $rc)" test "$rc" = 0
reloaded() { guest_journal -u jit-agent | grep -q 'configuration and trust store reloaded'; }
check "the journal says 'configuration and trust store reloaded'" wait_for 5 reloaded
check "after the reload the unit is active in the same process ($agent_pid → $(unit_state MainPID))" \
        test "$(guest systemctl is-active jit-agent 2>&1)" = active -a "$(unit_state MainPID)" = "$agent_pid"

# Privilege separation under the real unit: the agent holds CAP_KILL and
# nothing else; the fetch helper it starts at each poll (start, reload) gets
# no capability and must not fail to confine itself.
caps() { guest sed -n "s/^$1:[[:space:]]*//p" "/proc/$agent_pid/status"; }
check "the agent holds CAP_KILL only and has cleared its ambient set (CapEff $(caps CapEff), CapAmb $(caps CapAmb))" \
        test "$(caps CapEff) $(caps CapAmb)" = "0000000000000020 0000000000000000"
check "the agent has no libcurl mapped (it maps $(guest grep -c . "/proc/$agent_pid/maps") regions)" \
        test "$(guest grep -c libcurl "/proc/$agent_pid/maps")" = 0
fetch_ran() { guest_journal -u jit-agent | grep -qE 'store fetch failed|head serial .* accepted'; }
wait_for 10 fetch_ran || true
check "jit-fetch ran under the unit: no 'cannot drop privileges' in the journal" \
        bash -c "! grep -q 'jit-fetch: cannot' <<<\"\$1\"" _ "$(guest_journal -u jit-agent)"

# ---- 7. the installed unit: verify, security ---------------------------------

# --man=no: the minimal guest has no man(1) to look pages up with; that the
# pages of Documentation= are installed is checked against dpkg's list.
rc=0
guest systemd-analyze verify --man=no /lib/systemd/system/jit-agent.service >"$D/verify.out" 2>&1 || rc=$?
if [[ $rc -eq 0 && ! -s $D/verify.out ]]; then
        pass "systemd-analyze verify /lib/systemd/system/jit-agent.service is clean (in the guest)"
else
        fail "systemd-analyze verify /lib/systemd/system/jit-agent.service (exit $rc):"
        indent <"$D/verify.out"
fi
guest dpkg -L jit-agent libpam-jit >"$D/dpkg-L" 2>&1 || true
for doc in $(unit_state Documentation | tr -d '"'); do
        [[ $doc =~ ^man:([^()]+)\(([0-9])\)$ ]] || continue
        page=/usr/share/man/man${BASH_REMATCH[2]}/${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.gz
        check "the unit's Documentation=$doc is installed ($page)" grep -qx "$page" "$D/dpkg-L"
done
exposure() { sed -n 's/.*Overall exposure level for jit-agent.service: \([0-9.]*\).*/\1/p' "$1"; }
guest systemd-analyze security --no-pager jit-agent.service >"$D/security.out" 2>&1 || true
e=$(exposure "$D/security.out")
check "systemd-analyze security jit-agent.service (running unit): exposure ${e:-?} ≤ 2.0" \
        awk -v e="$e" 'BEGIN { exit !(e != "" && e + 0 <= 2.0) }'
guest systemd-analyze security --no-pager --offline=true /lib/systemd/system/jit-agent.service \
        >"$D/security-offline.out" 2>&1 || true
e2=$(exposure "$D/security-offline.out")
check "systemd-analyze security --offline=true on the installed file: exposure ${e2:-?} ≤ 2.0" \
        awk -v e="$e2" 'BEGIN { exit !(e != "" && e + 0 <= 2.0) }'
[[ -n $e ]] || tail -5 "$D/security.out" | indent

# ---- 8. jitctl pam enable ---------------------------------------------------------

publish() {
        "$JITCTL" publish --store "$D/share/store" --key "$D/keys/signing.key" --iss "$ISS" \
                --trust "$D/keys/signing.jwks" | sed 's/^/# publish: /'
}

rc=0
guest jitctl pam enable sshd sudo >"$D/enable1.out" 2>&1 || rc=$?
check "jitctl pam enable sshd sudo refuses without a fresh bundle (exit $rc)" test "$rc" = 1
check "… and says why (no fresh bundle: $(grep -i bundle "$D/enable1.out" | head -1))" grep -qi 'bundle' "$D/enable1.out"
indent <"$D/enable1.out"
wiring_sums >"$D/snap/wiring.refused"
check "… and changed nothing" cmp -s "$D/snap/wiring.before" "$D/snap/wiring.refused"

publish
T[published0]=$(now)
accepted() { guest_journal -u jit-agent | grep -q 'head serial 1 accepted'; }
# One poll interval (5 s), or more: after the failed fetches of an empty
# store the agent backs off.
if wait_for 30 accepted; then
        pass "the agent accepted head serial 1 $(elapsed "${T[published0]}") s after publish"
else
        fail "the agent accepted bundle serial 1 within 30 s of publish"
fi

rc=0
guest jitctl pam enable sshd sudo >"$D/enable2.out" 2>&1 || rc=$?
check "jitctl pam enable sshd sudo succeeds with a fresh bundle (exit $rc)" test "$rc" = 0
indent <"$D/enable2.out"
guest jitctl pam status >"$D/status.out" 2>&1 || true
indent <"$D/status.out"
for s in sshd sudo sudo-i; do
        check "pam status: $s account and session wired" grep -qx "$s: account wired, session wired" "$D/status.out"
done
check "the sshd drop-in /etc/ssh/sshd_config.d/50-jit-access.conf names /run/jit/keys/%u" \
        grep -q '^AuthorizedKeysFile /run/jit/keys/%u' "$(groot /etc/ssh/sshd_config.d/50-jit-access.conf)"
wiring_sums >"$D/snap/wiring.enabled"
changed=$(diff "$D/snap/wiring.before" "$D/snap/wiring.enabled" | sed -n 's/^> [0-9a-f]*  //p' | sort | tr '\n' ' ' || true)
check "enable changed exactly sshd, sudo, sudo-i and added the drop-in (changed: $changed)" \
        test "$changed" = "/etc/pam.d/sshd /etc/pam.d/sudo /etc/pam.d/sudo-i /etc/ssh/sshd_config.d/50-jit-access.conf "
rc=0
guest jitctl pam enable sshd sudo >"$D/enable3.out" 2>&1 || rc=$?
wiring_sums >"$D/snap/wiring.enabled2"
check "enabling twice changes nothing (exit $rc)" \
        sh -c "[ $rc = 0 ] && cmp -s '$D/snap/wiring.enabled' '$D/snap/wiring.enabled2'"

rc=0
guest sshd -t >"$D/sshd-t.out" 2>&1 || rc=$?
check "sshd -t accepts the wired configuration (exit $rc)" test "$rc" = 0
indent <"$D/sshd-t.out"
guest systemctl restart ssh
check "sshd is back after systemctl restart ssh" wait_for 10 port_open "$PORT"

# ---- 9. a grant, a login, its end --------------------------------------------------

claim() {
        python3 - "$1" "$2" <<'EOF'
import base64, json, sys
p = open(sys.argv[1]).read().strip().split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))[sys.argv[2]])
EOF
}

T[grant]=$(now)
"$JITCTL" issue --key "$D/keys/signing.key" --iss "$ISS" --sub "$TEST_USER" --aud env=prod \
        --scope ssh --ssh-key-file "$D/client/$TEST_USER.pub" --ttl "${TTL}s" \
        --ticket INC-INSTALL --approver bob --jti g-install \
        --out "$D/share/store/grants/g-install.jwt" >/dev/null
exp=$(claim "$D/share/store/grants/g-install.jwt" exp)
publish
T[published]=$(now)
log "grant g-install for $TEST_USER: exp $exp ($(date -u -d "@$exp" +%H:%M:%S) UTC)"

keyfile=$(groot /run/jit/keys/$TEST_USER)
if wait_for 12 test -s "$keyfile"; then
        pass "the agent installed /run/jit/keys/$TEST_USER $(elapsed "${T[published]}") s after publish"
else
        fail "the agent installed /run/jit/keys/$TEST_USER within 12 s of publish"
fi

SSH_OPTS=(-F /dev/null -p "$PORT" -i "$D/client/$TEST_USER" -o BatchMode=yes -o IdentitiesOnly=yes
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10
        -o ServerAliveInterval=0 -o LogLevel=ERROR)
# -tt: a pseudo terminal, where the agent's warnings are written.
# shellcheck disable=SC2016 # expanded by the remote shell
ssh -tt "${SSH_OPTS[@]}" "$TEST_USER@127.0.0.1" \
        'echo "SID=$(cat /proc/self/sessionid) XDG=${XDG_SESSION_ID-unset} GRANT=${JIT_GRANT_ID-unset} TTY=$(tty)"; exec sleep 600' \
        >"$D/ssh.out" 2>"$D/ssh.err" </dev/null &
SSH_PID=$!
wait_for 15 grep -q '^SID=' "$D/ssh.out" || true
line=$(grep '^SID=' "$D/ssh.out" | tr -d '\r' || true)
sid=$(sed -n 's/^SID=\([0-9]*\) .*/\1/p' <<<"$line")
if [[ -n $sid ]]; then
        pass "ssh login admitted with the grant's key ($line)"
else
        fail "ssh login admitted with the grant's key"
        indent <"$D/ssh.err"
        guest_journal -u ssh | tail -20 | indent
        die "no session to watch"
fi
check "the shell has JIT_GRANT_ID=g-install" grep -q 'GRANT=g-install ' <<<"$line"
check "the session has a pseudo terminal" grep -q 'TTY=/dev/pts/' <<<"$line"
guest loginctl list-sessions --no-legend >"$D/sessions" 2>&1 || true
indent <"$D/sessions"
# shellcheck disable=SC2016 # awk's own variables
check "loginctl lists session $sid of $TEST_USER" \
        awk -v s="$sid" -v u="$TEST_USER" '$1 == s && $3 == u { f = 1 } END { exit !f }' "$D/sessions"

now_s=$(date +%s)
((now_s < exp - WARN - 2)) || fail "test too slow: only $((exp - now_s)) s of the grant left before the warning"
log "waiting for the warning at exp - ${WARN}s and for exp ($((exp - now_s)) s)"
t_warn=
t_exit=
ssh_rc=
while (($(date +%s) < exp + 15)); do
        if [[ -z $t_warn ]] && grep -q '\*\*\* jit: your access ends' "$D/ssh.out"; then
                t_warn=$(now)
        fi
        if ! kill -0 "$SSH_PID" 2>/dev/null; then
                t_exit=$(now)
                ssh_rc=0
                wait "$SSH_PID" || ssh_rc=$?
                SSH_PID=
                break
        fi
        sleep 0.05
done
if [[ -z $t_warn ]] && grep -q '\*\*\* jit: your access ends' "$D/ssh.out"; then
        t_warn=$t_exit
fi
log "terminal output:"
tr -d '\r' <"$D/ssh.out" | grep -v '^$' | indent
guest_journal -u jit-agent >"$D/agent.journal"
if [[ -n $t_warn ]]; then
        pass "the warning 'your access ends …' reached the terminal $(elapsed "$t_warn" "$exp") s before exp (warn_before = ${WARN}s)"
else
        fail "the warning (warn_before = ${WARN}s) reached alice's terminal"
        grep -E 'told|terminal' "$D/agent.journal" | indent || true
fi
if [[ -z $t_exit ]]; then
        fail "the ssh client exits by exp + 15 s (still running)"
else
        late=$(elapsed "$exp" "$t_exit")
        log "ssh client exited $late s after exp, code $ssh_rc"
        check "the session was not ended before exp ($late s)" awk -v l="$late" 'BEGIN { exit !(l >= 0) }'
        check "the ssh client exits within 2 s after exp ($late s)" awk -v l="$late" 'BEGIN { exit !(l <= 2) }'
fi
gone() {
        guest loginctl list-sessions --no-legend >"$D/sessions" 2>&1 || true
        ! awk -v s="$sid" '$1 == s { f = 1 } END { exit !f }' "$D/sessions"
}
check "loginctl no longer lists session $sid" wait_for 5 gone
check "the key file /run/jit/keys/$TEST_USER is removed" wait_for 3 test ! -e "$keyfile"
check "jit-agent is still active in the same process" \
        test "$(guest systemctl is-active jit-agent 2>&1)" = active -a "$(unit_state MainPID)" = "$agent_pid"
wd_ts1=$(unit_state WatchdogTimestampMonotonic)
check "the watchdog is live: the agent pinged it since start ($wd_ts0 → $wd_ts1)" \
        test "${wd_ts1:-0}" -gt "${wd_ts0:-0}"
grep -q 'Watchdog timeout' "$D/agent.journal" && fail "no watchdog timeout in the agent's journal"

# ---- 9b. the admin guide's drills (docs/admin-guide.md, 13) ------------------------
# In the same boot: a broken jit.conf, a broken trust store, the store down
# and stale, each met as the guide describes it. Break-glass (breakglass by
# ssh, with its own key) gets in through each; alice, holding a valid grant,
# is refused (fail closed) and told why.

T[drills]=$(now)
"$JITCTL" issue --key "$D/keys/signing.key" --iss "$ISS" --sub "$TEST_USER" --aud env=prod \
        --scope ssh --ssh-key-file "$D/client/$TEST_USER.pub" --ttl 10m --jti g-drill --ticket INC-DRILL --approver bob \
        --out "$D/share/store/grants/g-drill.jwt" >/dev/null
publish
guest timeout 30 systemctl reload jit-agent >/dev/null 2>&1 || true # polls at once
check "drills: alice's key for grant g-drill is installed" wait_for 12 test -s "$keyfile"

# ssh_as USER: one login running 'echo IN'; $D/as.out, $D/as.err, $as_rc.
# LogLevel INFO: pam_jit's message reaches the client as a banner, which
# ssh shows only from that level on (ssh takes the first -o of a kind).
AS_OPTS=()
for o in "${SSH_OPTS[@]}"; do [[ $o == LogLevel=ERROR ]] && o=LogLevel=INFO; AS_OPTS+=("$o"); done
ssh_as() {
        as_rc=0
        ssh "${AS_OPTS[@]}" -i "$D/client/$1" "$1@127.0.0.1" 'echo IN' >"$D/as.out" 2>"$D/as.err" </dev/null ||
                as_rc=$?
}
agent_status() { unit_state StatusText; }
status_has() { grep -qF -- "$1" <<<"$(agent_status)"; }
# mid_count MESSAGE_ID SINCE_EPOCH: the agent's journal entries of that id since then.
mid_count() { guest journalctl --no-pager -o cat "MESSAGE_ID=$1" --since "@$2" 2>/dev/null | grep -c . || true; }
MID_EXEMPT=84734e54bd6f4f8984660749c9f05b52
conf=$(groot /etc/jit/jit.conf)
trust=$(groot /etc/jit/trust.jwks)
cp -p "$conf" "$D/jit.conf.good"
cp -p "$trust" "$D/trust.jwks.good"

# drill_broken WHAT: the host's files are broken in the way WHAT names.
drill_broken() {
        local what=$1 since rc
        since=$(date +%s)
        rc=0
        guest timeout 30 systemctl reload jit-agent >"$D/reload.out" 2>&1 || rc=$?
        check "$what: systemctl reload jit-agent fails (exit $rc), not a silent success" test "$rc" -ne 0
        check "$what: … the agent runs on, in the same process" \
                test "$(guest systemctl is-active jit-agent 2>&1)" = active -a "$(unit_state MainPID)" = "$agent_pid"
        check "$what: … and the unit's journal says why (jit-agent --check-config)" \
                grep -q 'jit-agent: the configuration is NOT valid' <<<"$(guest_journal -u jit-agent --since "@$since")"
        ssh_as breakglass
        check "$what: breakglass logs in by ssh (exit $as_rc)" grep -qx IN "$D/as.out"
        [[ $as_rc -eq 0 ]] || indent <"$D/as.err"
        check "$what: … logged loudly (priority crit, MESSAGE_ID=$MID_EXEMPT, 'jit-access cannot decide')" \
                grep -q 'breakglass: allowed by the PAM line.s exempt list although jit-access cannot decide' \
                <<<"$(guest journalctl --no-pager -o cat -p crit "MESSAGE_ID=$MID_EXEMPT" --since "@$since" 2>&1)"
        ssh_as "$TEST_USER"
        check "$what: alice, with a valid grant, is refused (exit $as_rc)" test "$as_rc" = 255
        check "$what: … and told 'jit: access check failed'" grep -q 'jit: access check failed' "$D/as.err"
}
drill_restore() {
        local rc=0
        install -m 0644 -o root -g root "$D/jit.conf.good" "$conf"
        install -m 0644 -o root -g root "$D/trust.jwks.good" "$trust"
        guest timeout 30 systemctl reload jit-agent >"$D/reload.out" 2>&1 || rc=$?
        check "$1: fixed, systemctl reload succeeds (exit $rc)" test "$rc" = 0
}

echo "# drill: a typo in jit.conf"
printf 'labls = env=prod\n' >>"$conf"
drill_broken "typo in jit.conf"
# A reload that bypasses the check (kill -HUP): the agent keeps its older
# configuration and says so in its status.
guest systemctl kill --kill-who=main -s HUP jit-agent
check "typo in jit.conf, SIGHUP: STATUS says it runs on an older configuration" \
        wait_for 10 status_has "reload failed at"
log "StatusText: $(agent_status)"
check "… and the journal: 'still running on the configuration loaded at'" \
        grep -q 'reload failed: .*still running on the configuration loaded at' <<<"$(guest_journal -u jit-agent)"
drill_restore "typo in jit.conf"
status_lacks() { ! status_has "$1"; }
check "… STATUS no longer says 'reload failed'" wait_for 5 status_lacks "reload failed"

echo "# drill: a truncated trust store"
head -c 40 "$D/trust.jwks.good" >"$trust"
drill_broken "truncated trust.jwks"
drill_restore "truncated trust.jwks"

echo "# drill: a world-writable trust store"
chmod 0666 "$trust"
drill_broken "trust.jwks 0666"
drill_restore "trust.jwks 0666"

echo "# drill: the store down, then stale (stale_after = 4s)"
since=$(date +%s)
"$JITCTL" publish --store "$D/share/store" --key "$D/keys/signing.key" --iss "$ISS" \
        --trust "$D/keys/signing.jwks" --head-ttl 12s | sed 's/^/# publish: /'
bexp=$(($(date +%s) + 12))
guest timeout 30 systemctl reload jit-agent >/dev/null 2>&1 || true
serial=$(python3 -c 'import base64,json,sys; p=open(sys.argv[1]).read().split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["serial"])' "$D/share/store/head.jwt")
head_accepted() { guest_journal -u jit-agent | grep -q "head serial $serial accepted"; }
check "store drill: head serial $serial (fresh for 12 s) accepted" wait_for 8 head_accepted
mv "$D/share/store/head.jwt" "$D/head.jwt.away"
guest timeout 30 systemctl reload jit-agent >/dev/null 2>&1 || true # a poll now: it fails
check "store down: STATUS 'store unreachable' at once" wait_for 5 status_has "store unreachable"
log "StatusText: $(agent_status)"
check "store stale: STATUS 'store stale-but-admitting' by the head's exp + 1 s" \
        wait_for $((bexp - $(date +%s) + 2)) status_has "store stale-but-admitting"
log "StatusText: $(agent_status)"
check "store stale: STATUS 'store stale-and-refusing' by exp + stale_after + 1 s" \
        wait_for $((bexp + 4 - $(date +%s) + 2)) status_has "store stale-and-refusing"
log "StatusText: $(agent_status)"
ssh_as "$TEST_USER"
check "store stale: alice is refused (exit $as_rc) and told 'out of date'" \
        grep -q 'jit: access grants on this host are out of date' "$D/as.err"
ssh_as breakglass
check "store stale: breakglass logs in (exit $as_rc)" grep -qx IN "$D/as.out"
mv "$D/head.jwt.away" "$D/share/store/head.jwt"
publish
guest timeout 30 systemctl reload jit-agent >/dev/null 2>&1 || true
check "store back: STATUS 'store fresh'" wait_for 10 status_has "store fresh"
ssh_as "$TEST_USER"
check "store back: alice logs in again (exit $as_rc)" grep -qx IN "$D/as.out"
for m in "unreachable a41ef99568d44704900a6661903de33d" "stale-admitting 4e5feec5b63c4699ad86dfd4d651de34" \
        "stale-refusing 2dfa36e4fde448779836c42052d476b0" "fresh b5bf681bb26d4d8698d41061759a0d58"; do
        n=$(mid_count "${m#* }" "$since")
        check "store drill: state ${m% *} logged once when entered (MESSAGE_ID=${m#* }: $n)" test "$n" = 1
done

echo "# denials at the key stage: sshd's AuthorizedKeysCommand (jit-agent --authorized-keys)"
cat >"$(groot /etc/ssh/sshd_config.d/40-jit-keys-command.conf)" <<'CONF'
AuthorizedKeysFile .ssh/authorized_keys
AuthorizedKeysCommand /usr/sbin/jit-agent --authorized-keys %u
AuthorizedKeysCommandUser nobody
CONF
guest useradd -m -s /bin/bash bob
ssh-keygen -q -t ed25519 -N '' -C "bob@jit-install" -f "$D/client/bob"
guest systemctl reload ssh
since=$(date +%s)
# sshd re-executes itself on reload: a connection in that moment may fail.
alice_in() { ssh_as "$TEST_USER"; grep -qx IN "$D/as.out"; }
check "keys command: alice logs in with her grant's key, served by the command" wait_for 10 alice_in
[[ $as_rc -eq 0 ]] || indent <"$D/as.err"
ssh_as bob
check "keys command: bob, without a grant, is refused at the key stage (exit $as_rc)" test "$as_rc" = 255
ssh_as breakglass
check "keys command: breakglass logs in with its own key (exit $as_rc)" grep -qx IN "$D/as.out"
keys_events() { guest journalctl --no-pager -o cat SYSLOG_IDENTIFIER=jit-agent --since "@$since" 2>&1; }
check "keys command: the journal has the audit event 'login of bob: no grant (refused at the key stage…)'" \
        wait_for 5 bash -c 'grep -q "login of bob: no grant (refused at the key stage" <<<"$(nsenter -t '"$GUEST_PID"' -m -u -i -n -p -- journalctl --no-pager -o cat SYSLOG_IDENTIFIER=jit-agent --since @'"$since"' 2>&1)"'
check "keys command: none for alice (a grant) or breakglass (exempt)" \
        bash -c '! grep -qE "login of (alice|breakglass): no grant" <<<"$1"' _ "$(keys_events)"
rm "$(groot /etc/ssh/sshd_config.d/40-jit-keys-command.conf)"
guest userdel -r bob 2>/dev/null || true
guest systemctl reload ssh

echo "# drill: rollback names the sudoers rule only pam_jit held back"
printf '%%jit-sudo ALL=(ALL) NOPASSWD: ALL\n' >"$(groot /etc/sudoers.d/jit-access)"
chmod 0440 "$(groot /etc/sudoers.d/jit-access)"
rc=0
guest jitctl pam disable >"$D/disable.out" 2>&1 || rc=$?
check "rollback: jitctl pam disable (exit $rc) warns about /etc/sudoers.d/jit-access" \
        grep -q "/etc/sudoers.d/jit-access:1: '%jit-sudo ALL=(ALL) NOPASSWD: ALL' needs no password" "$D/disable.out"
rm "$(groot /etc/sudoers.d/jit-access)"
rc=0
guest jitctl pam enable sshd sudo >"$D/enable-again.out" 2>&1 || rc=$?
check "rollback: wired again (exit $rc)" test "$rc" = 0
guest systemctl reload ssh
T[drills_done]=$(now)
log "drills: $(elapsed "${T[drills]}" "${T[drills_done]}") s"

# ---- 10. removal while wired: refused only when it cannot be undone ------------------

# A pam_jit line written by hand is not jitctl's to take out: removal must
# refuse rather than leave a stack naming a missing module.
printf 'account required pam_jit.so\n' >>"$(groot /etc/pam.d/sshd)"
rc=0
guest apt-get remove -y jit-agent libpam-jit >"$D/apt-remove.log" 2>&1 || rc=$?
# shellcheck disable=SC2016 # dpkg-query's format
inst=$(guest dpkg-query -W -f '${db:Status-Abbrev}${Package} ' jit-agent libpam-jit 2>&1 || true)
check "apt-get remove is refused while a hand-written pam_jit line remains (exit $rc; $inst)" \
        sh -c "[ $rc != 0 ] && [ '$inst' = 'ii jit-agent ii libpam-jit ' ]"
check "… saying why" grep -q "removal refused so nobody is locked out" "$D/apt-remove.log"
check "… and the agent still runs" test "$(guest systemctl is-active jit-agent 2>&1)" = active
# The admin takes the hand-written line out and wires pam_jit again.
sed -i '$d' "$(groot /etc/pam.d/sshd)"
rc=0
guest jitctl pam enable sshd sudo >"$D/enable2.out" 2>&1 || rc=$?
check "jitctl pam enable sshd sudo again (exit $rc)" test "$rc" = 0
check "… and pam_jit is wired" grep -q 'pam_jit.so' "$(groot /etc/pam.d/sshd)"

# ---- 11. purge while wired: pam_jit is taken out, nothing is left ------------------------

# The trust store is the administrator's file, not the package's: purge keeps
# it (dpkg removes only what it owns). Kept here for the reinstall drill
# below; the administrator deletes it before the last purge.
T[purge]=$(now)
rc=0
guest apt-get purge -y jit-agent libpam-jit >"$D/apt-purge.log" 2>&1 || rc=$?
T[purge_done]=$(now)
check "apt-get purge -y jit-agent libpam-jit (exit $rc, $(elapsed "${T[purge]}" "${T[purge_done]}") s)" test "$rc" = 0
[[ $rc -eq 0 ]] || indent <"$D/apt-purge.log"
# shellcheck disable=SC2016 # dpkg-query's format
left=$(guest dpkg-query -W -f '${db:Status-Abbrev}${Package} ' jit-agent libpam-jit 2>/dev/null || true)
check "dpkg knows neither package any more (got '$left')" bash -c "! grep -q 'jit' <<<'$left'"
check "no jit-agent process left" sh -c "! nsenter -t $GUEST_PID -m -u -i -n -p -- pgrep -x jit-agent >/dev/null"
check "systemd knows no jit-agent.service (LoadState=$(unit_state LoadState))" test "$(unit_state LoadState)" = not-found
check "/run/jit is gone" test ! -e "$(groot /run/jit)"

check "purge said plainly that it took pam_jit out first" grep -q "removing while wired: pam_jit was first taken out of the PAM stacks" "$D/apt-purge.log"
check "… and reloaded sshd without the key folder" grep -q "sshd reloaded without the jit-access key folder" "$D/apt-purge.log"
wiring_sums >"$D/snap/wiring.purged"
if diff -u "$D/snap/wiring.before" "$D/snap/wiring.purged" >"$D/diff" 2>&1; then
        pass "after purge every file under /etc/pam.d and /etc/ssh is byte-identical to before the install (sha256)"
else
        fail "after purge /etc/pam.d or /etc/ssh differs from before the install:"
        indent <"$D/diff"
fi
check "the drop-in 50-jit-access.conf is gone" test ! -e "$(groot /etc/ssh/sshd_config.d/50-jit-access.conf)"
guest systemctl restart ssh
check "sshd comes back after the unwiring" wait_for 10 port_open "$PORT"

# ---- 12. reinstall over the kept trust store (the guide's drill) ---------------------------

# The trust store survived the purge; the reinstalled jit.conf is the
# shipped one, all comments. The agent must not start on it, and the
# guide's order (write jit.conf, then systemctl start) must work as written.
since=$(date +%s)
rc=0
guest apt-get install -y --no-install-recommends \
        "/mnt/test/debs/jit-agent_${version}_$arch.deb" "/mnt/test/debs/libpam-jit_${version}_$arch.deb" \
        >"$D/apt-reinstall.log" 2>&1 || rc=$?
check "reinstall over the kept trust store (exit $rc)" test "$rc" = 0
active=$(guest systemctl is-active jit-agent 2>&1 || true)
check "reinstall: jit-agent does not start on the shipped jit.conf (is-active: $active)" test "$active" = inactive
check "… not failed either" sh -c "! nsenter -t $GUEST_PID -m -u -i -n -p -- systemctl -q is-failed jit-agent"
check "… and says why: 'not configured yet'" \
        grep -q 'is not configured yet' <<<"$(guest_journal -u jit-agent --since "@$since")"
check "… no 'started:' from an agent on an empty configuration" \
        bash -c '! grep -q "started: store" <<<"$1"' _ "$(guest_journal -u jit-agent --since "@$since")"
install -m 0644 -o root -g root "$D/jit.conf.good" "$(groot /etc/jit/jit.conf)"
rc=0
guest timeout 60 systemctl start jit-agent >"$D/restart.out" 2>&1 || rc=$?
check "reinstall: after writing jit.conf, the guide's 'systemctl start jit-agent' starts it (exit $rc, $(guest systemctl is-active jit-agent 2>&1))" \
        test "$rc" = 0 -a "$(guest systemctl is-active jit-agent 2>&1)" = active
guest systemctl stop jit-agent
rm -f "$(groot /etc/jit/trust.jwks)"
rc=0
guest apt-get purge -y jit-agent libpam-jit >"$D/apt-purge2.log" 2>&1 || rc=$?
check "purge again, the trust store deleted first (exit $rc)" test "$rc" = 0
file_list >"$D/snap/files.purged"
# Changes the test's own actions and a running system make, unrelated to the
# packages: apt and dpkg bookkeeping, logs, alice's session (logind, systemd
# lingering state), ssh host keys being read, the journal.
noise='^. [0-9]+ [^ ]+ (/var/lib/dpkg/(status|status-old|diversions-old|statoverride-old|triggers/[^ ]*|lock[^ ]*|available)|/var/lib/apt/(extended_states|lists/(lock|partial.*|auxfiles.*))|/var/lib/systemd/(linger|timers|random-seed|catalog|coredump|pstore).*)$'
rc=0
grep -qE "$noise" /dev/null || rc=$?
[[ $rc -le 1 ]] || die "bad noise pattern in the test (grep exit $rc)"
diff <(grep -vE "$noise" "$D/snap/files.before") <(grep -vE "$noise" "$D/snap/files.purged") \
        >"$D/files.diff" || true
if [[ ! -s $D/files.diff ]]; then
        pass "purge left nothing behind: the paths under /etc, /var/lib, /usr, /run/jit are those before the install"
else
        fail "purge left differences under /etc, /var/lib, /usr, /run/jit (< before, > after purge):"
        indent <"$D/files.diff"
fi
# What was filtered as noise, for the log.
diff "$D/snap/files.before" "$D/snap/files.purged" | grep -E '^[<>]' | grep -E "${noise/^/^[<>] }" |
        sed 's/^/(ignored) /' | indent || true

T[end]=$(now)
log "timings: packages $(elapsed "${T[debs]}" "${T[debs_done]}") s, root file system $(elapsed "${T[rootfs]}" "${T[rootfs_done]}") s, boot $(elapsed "${T[boot]}" "${T[booted]}") s, apt install $(elapsed "${T[install]}" "${T[install_done]}") s, systemctl start $(elapsed "${T[start_unit]}" "${T[started]}") s, grant to end of session $(elapsed "${T[grant]}" "${t_exit:-${T[end]}}") s (ttl ${TTL}s), purge $(elapsed "${T[purge]}" "${T[purge_done]}") s, total $(elapsed "${T[start]}" "${T[end]}") s"
summary
