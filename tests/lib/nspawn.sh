# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# A Debian 12 guest booted with systemd-nspawn, for the tests that need a real
# systemd and logind (tests/logind, tests/install; docs/testing.md).
# Sourced, not run. The sourcing script defines log and die, and sets D (its
# temp folder), NSPAWN_PID (systemd-nspawn, once started) and GUEST_PID (the
# guest's init, from find_guest_pid).
#
# The guest's root file system is debootstrapped once and cached as a
# tarball for 7 days (JIT_LOGIND_CACHE, default /var/cache/jit-tests), shared
# by both tests; JIT_LOGIND_MIRROR overrides the mirror this machine's apt
# uses.
#
# A test of the built programs in the guest (tests/logind), with the issuer
# of tests/lib/issuer.sh:
#
#   guest_require AGENT HINT PATH…
#                            root, the tools (HINT says what to install), and
#                            an AGENT that can run in the guest
#   guest_tmp NAME           D = ${JIT_LOGIND_TMPDIR:-/var/tmp}/NAME.XXXXXX,
#                            its EXIT trap (guest_cleanup); R = $D/rootfs,
#                            $D/keys and $D/client (0700), the store
#                            $D/share/store (the guest's /mnt/test/store)
#   guest_install_jit PAM_JIT_SO AGENT [JITCTL]
#                            the programs into $R, every library they need there
#   guest_trust              the issuer's key, the guest's /etc/jit/trust.jwks
#   guest_unit UNIT [LINES]  jit-agent.service, enabled, its drop-in naming the
#                            fetch helper (and [Service] LINES)
#   guest_pam_jit SERVICE SESSION_INCLUDE
#                            pam_jit in the guest's /etc/pam.d/SERVICE
#   guest_boot NAME PORT     boots the guest, waits for its sshd on PORT
#   guest CMD…               CMD inside the guest; guest_journal ARGS…
#   guest_unit_wait UNIT     waits until UNIT is active or failed, prints which
#   wait_output FILE REGEX PID
#                            waits until FILE (an ssh client's output) has a
#                            line matching REGEX, while PID runs
#
# guest_cleanup ends the PIDs in the variables named in CLEANUP_PIDS, runs
# CLEANUP_HOOK, and when the test failed shows the guest's journal of the
# units in GUEST_UNITS; then the guest's poweroff and temp_remove.

CACHE_DIR=${JIT_LOGIND_CACHE:-/var/cache/jit-tests}
# systemd-journal-remote: the guest forwards its journal (tests/logind/test-audit.sh).
# libnss-systemd, systemd-userdbd: accounts from grants (tests/logind/test-users.sh).
PACKAGES=systemd,systemd-sysv,dbus,libpam-systemd,openssh-server,sudo,procps,libjson-c5,libcurl4,libssl3,libsystemd0,systemd-journal-remote,libnss-systemd,systemd-userdbd
# The cache is named by its package list: a list that changes builds a new one.
CACHE_TAR=$CACHE_DIR/rootfs-bookworm-$(printf '%s' "$PACKAGES" | sha256sum | cut -c1-12).tar

# The guest's files as the guest sees them (its /run is its own tmpfs).
groot() { echo "/proc/$GUEST_PID/root$1"; }

# The nspawn child whose PID in its own namespace is 1: the guest's systemd.
find_guest_pid() {
        local s pid
        for s in /proc/[0-9]*/status; do
                pid=${s#/proc/}
                pid=${pid%/status}
                if awk -v pp="$NSPAWN_PID" '
                        $1 == "PPid:" && $2 == pp { p = 1 }
                        $1 == "NSpid:" && NF >= 3 && $NF == 1 { n = 1 }
                        END { exit !(p && n) }' "$s" 2>/dev/null; then
                        echo "$pid"
                        return 0
                fi
        done
        return 1
}

# The mirror this machine uses, not a hard-coded host.
mirror() {
        if [[ -n ${JIT_LOGIND_MIRROR:-} ]]; then
                echo "$JIT_LOGIND_MIRROR"
                return
        fi
        local m=
        if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
                m=$(awk 'BEGIN { RS = ""; FS = "\n" }
                        {
                                uri = ""; ok = 0
                                for (i = 1; i <= NF; i++) {
                                        n = split($i, w, /[ \t]+/)
                                        if (w[1] == "URIs:") uri = w[2]
                                        if (w[1] == "Suites:")
                                                for (j = 2; j <= n; j++) if (w[j] == "bookworm") ok = 1
                                }
                                if (ok && uri != "") { print uri; exit }
                        }' /etc/apt/sources.list.d/debian.sources)
        fi
        if [[ -z $m && -r /etc/apt/sources.list ]]; then
                m=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
        fi
        [[ -n $m ]] || die "no bookworm mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list (set JIT_LOGIND_MIRROR)"
        echo "$m"
}

# rootfs_make DIR: the guest's root file system in DIR, from the cache or by
# debootstrap (then cached as it came out, before any test changes it). One
# builder at a time per machine; the others wait and then reuse it. Sets
# ROOTFS_HOW.
# shellcheck disable=SC2034 # ROOTFS_HOW is the caller's to log
rootfs_make() {
        local root=$1 mirror
        mkdir -p "$CACHE_DIR"
        exec 9>"$CACHE_DIR/.lock"
        flock 9
        if [[ -f $CACHE_TAR && -n $(find "$CACHE_TAR" -mtime -7 2>/dev/null) ]]; then
                tar -C "$root" --numeric-owner -xpf "$CACHE_TAR"
                ROOTFS_HOW="unpacked from $CACHE_TAR"
        else
                mirror=$(mirror)
                log "debootstrap bookworm from $mirror (no cache younger than 7 days in $CACHE_DIR)"
                if ! debootstrap --variant=minbase --include="$PACKAGES" bookworm "$root" "$mirror" \
                        >"$D/debootstrap.log" 2>&1; then
                        tail -30 "$D/debootstrap.log" | sed 's/^/#   /'
                        die "debootstrap failed"
                fi
                tar -C "$root" --numeric-owner -cpf "$CACHE_TAR.tmp.$$" .
                mv -f "$CACHE_TAR.tmp.$$" "$CACHE_TAR"
                ROOTFS_HOW="debootstrap, cached as $CACHE_TAR"
        fi
        flock -u 9
        exec 9>&-
}

# nspawn_poweroff: an orderly poweroff of the guest (nspawn turns SIGTERM
# into one), SIGKILL after 10 s; reaps nspawn.
nspawn_poweroff() {
        [[ -n $NSPAWN_PID ]] && kill -0 "$NSPAWN_PID" 2>/dev/null || return 0
        kill -TERM "$NSPAWN_PID"
        for _ in $(seq 100); do
                kill -0 "$NSPAWN_PID" 2>/dev/null || break
                sleep 0.1
        done
        if kill -0 "$NSPAWN_PID" 2>/dev/null; then
                echo "# nspawn $NSPAWN_PID still there after 10 s: SIGKILL"
                kill -KILL "$NSPAWN_PID"
        fi
        wait "$NSPAWN_PID" 2>/dev/null
}

# temp_remove: D removed, after its nspawn console when RC is not 0. nspawn
# mounts in its own namespace; anything that leaked into ours is unmounted
# first, and a tree with something still mounted is left alone.
temp_remove() {
        local rc=$1 m
        [[ -n $D && -d $D ]] || return 0
        if [[ $rc -ne 0 && -s $D/nspawn.log ]]; then
                echo "# --- nspawn console (last 20 lines)"
                tail -20 "$D/nspawn.log" | sed 's/^/#   /'
        fi
        while read -r m; do
                umount -l "$m" 2>/dev/null
        done < <(awk -v d="$D" '$5 == d || index($5, d "/") == 1 { print $5 }' \
                /proc/self/mountinfo | sort -r)
        if [[ -n ${KEEP_TMP:-} ]]; then
                echo "# kept $D"
        elif awk -v d="$D" '$5 == d || index($5, d "/") == 1 { f = 1 } END { exit !f }' \
                /proc/self/mountinfo; then
                echo "# not removing $D: something is still mounted under it"
        else
                rm -rf --one-file-system "$D"
        fi
}

# ---- a test of the built programs in the guest ------------------------------

CLEANUP_PIDS=()
CLEANUP_HOOK=
GUEST_UNITS=(jit-agent ssh)

guest_require() {
        local agent=$1 hint=$2 p
        shift 2
        [[ $(id -u) -eq 0 ]] || die "this test runs as root (debootstrap, systemd-nspawn)"
        for p in /usr/sbin/debootstrap /usr/bin/systemd-nspawn /usr/bin/nsenter /usr/bin/ssh "$@"; do
                [[ -x $p ]] || die "$p missing ($hint)"
        done
        # The guest is Debian 12 with its own libraries: a sanitizer build
        # cannot run there (meson registers these tests only without b_sanitize).
        if LC_ALL=C ldd "$agent" | grep -q 'libasan\|libubsan'; then
                die "$agent is a sanitizer build: it cannot run in the guest"
        fi
}

guest_tmp() {
        trap guest_cleanup EXIT
        trap 'exit 130' INT TERM
        # /var/tmp, not /tmp: the guest's tree is ~300 MB and /tmp may be a small tmpfs.
        D=$(mktemp -d "${JIT_LOGIND_TMPDIR:-/var/tmp}/$1.XXXXXX")
        chmod 0755 "$D"
        umask 022
        R=$D/rootfs
        mkdir -p "$R" "$D/share/store/grants" "$D/keys" "$D/client"
        chmod 0700 "$D/keys" "$D/client"
        # shellcheck disable=SC2034 # the store of tests/lib/issuer.sh
        ISSUER_STORE=$D/share/store
        log "temp dir $D"
}

guest_cleanup() {
        local rc=$? v u units=()
        set +e
        for v in "${CLEANUP_PIDS[@]}"; do
                if [[ -n ${!v} ]] && kill -0 "${!v}" 2>/dev/null; then
                        kill "${!v}"
                        wait "${!v}" 2>/dev/null
                fi
        done
        [[ -z $CLEANUP_HOOK ]] || $CLEANUP_HOOK "$rc"
        if [[ -n $NSPAWN_PID ]] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
                if [[ $rc -ne 0 && -n $GUEST_PID ]]; then
                        for u in "${GUEST_UNITS[@]}"; do units+=(-u "$u"); done
                        echo "# --- guest journal: ${GUEST_UNITS[*]} (last 50 lines)"
                        guest_journal "${units[@]}" | tail -50 | sed 's/^/# /'
                fi
                nspawn_poweroff
        fi
        temp_remove "$rc"
        exit "$rc"
}

guest_install_jit() {
        local secdir f files
        secdir=$(dirname "$(find "$R/usr/lib" -path '*/security/pam_unix.so' -print -quit)")
        [[ $secdir == "$R"/usr/lib/*/security ]] || die "no pam_unix.so in the guest"
        install -m 0644 -o root -g root "$1" "$secdir/pam_jit.so"
        install -m 0755 -o root -g root "$2" "$R/usr/sbin/jit-agent"
        # The fetch helper of the build tree sits next to its agent; in the
        # guest it goes where the packages put it, and the unit's drop-in
        # names it.
        install -D -m 0755 -o root -g root "${JIT_FETCH_HELPER:-$(dirname "$2")/../jit-fetch/jit-fetch}" \
                "$R/usr/libexec/jit-access/jit-fetch"
        files=("${secdir#"$R"}/pam_jit.so" /usr/sbin/jit-agent /usr/libexec/jit-access/jit-fetch)
        if [[ -n ${3:-} ]]; then
                install -m 0755 -o root -g root "$3" "$R/usr/bin/jitctl"
                files+=(/usr/bin/jitctl)
        fi
        for f in "${files[@]}"; do
                if chroot "$R" /usr/bin/ldd "$f" | grep 'not found'; then
                        die "$f needs libraries the guest lacks"
                fi
        done
}

guest_trust() {
        issuer_init
        install -d -m 0755 -o root -g root "$R/etc/jit"
        install -m 0644 -o root -g root "$D/keys/signing.jwks" "$R/etc/jit/trust.jwks"
}

# networking.service fails in the guest: masked.
guest_unit() {
        install -m 0644 "$1" "$R/etc/systemd/system/jit-agent.service"
        ln -sf /etc/systemd/system/jit-agent.service "$R/etc/systemd/system/multi-user.target.wants/jit-agent.service"
        install -d "$R/etc/systemd/system/jit-agent.service.d"
        printf '[Service]\nEnvironment=JIT_FETCH_HELPER=/usr/libexec/jit-access/jit-fetch\n%s' "${2:+$2
}" >"$R/etc/systemd/system/jit-agent.service.d/jit-test.conf"
        ln -sf /dev/null "$R/etc/systemd/system/networking.service"
}

# guest_pam_jit SERVICE SESSION_INCLUDE: account before common-account;
# session after SESSION_INCLUDE (common-session: after pam_loginuid.so and
# pam_systemd.so, which makes the logind session).
guest_pam_jit() {
        sed -i -e 's/^@include common-account$/account    required     pam_jit.so\n&/' \
                -e "s/^@include $2\$/&\nsession    required     pam_jit.so/" "$R/etc/pam.d/$1"
}

# guest_boot NAME PORT: machine NAME-$$ with $D/share as /mnt/test; the
# guest shares the host's network, its sshd listens on 127.0.0.1:PORT.
guest_boot() {
        local up=0
        systemd-nspawn -D "$R" -b --register=no --keep-unit -M "$1-$$" \
                --bind="$D/share:/mnt/test" --console=passive >"$D/nspawn.log" 2>&1 &
        NSPAWN_PID=$!
        for _ in $(seq 300); do
                kill -0 "$NSPAWN_PID" 2>/dev/null || die "systemd-nspawn exited"
                if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then
                        up=1
                        break
                fi
                sleep 0.1
        done
        [[ $up -eq 1 ]] || die "the guest's sshd is not listening on 127.0.0.1:$2 after 30 s"
        GUEST_PID=$(find_guest_pid) || die "no guest init under nspawn $NSPAWN_PID"
}

# guest CMD…: run CMD inside the guest (all its namespaces; no machinectl
# without --register=yes and a system bus on the host).
guest() {
        nsenter -t "$GUEST_PID" -m -u -i -n -p -- "$@"
}

# guest_journal ARGS…: the guest's journal (-o short-precise unless ARGS
# give another -o: the last one counts), never failing.
guest_journal() {
        guest journalctl --no-pager -o short-precise "$@" 2>&1 || true
}

# guest_unit_wait UNIT: up to 15 s; a notify service is active only after READY=1.
guest_unit_wait() {
        local state=
        for _ in $(seq 150); do
                state=$(guest systemctl is-active "$1" 2>/dev/null || true)
                [[ $state == active || $state == failed ]] && break
                sleep 0.1
        done
        echo "$state"
}

# wait_output FILE REGEX PID: up to 15 s.
wait_output() {
        for _ in $(seq 150); do
                grep -q -- "$2" "$1" && return 0
                kill -0 "$3" 2>/dev/null || break
                sleep 0.1
        done
        grep -q -- "$2" "$1"
}
