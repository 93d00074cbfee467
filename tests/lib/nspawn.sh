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
