#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build the .deb packages with packaging/build-deb and check them: lintian
# has no error and only the warnings of lintian-allowed; each package holds
# exactly the expected files; /etc/jit/jit.conf is a conffile and parses;
# no maintainer script changes /etc/pam.d or the sshd configuration.
#
# Usage: test-deb.sh SOURCE_ROOT [OUTDIR]
# With OUTDIR the packages are kept there (the nspawn install test reuses
# them); otherwise a temporary folder is used and removed.
set -euo pipefail

src=$(cd "${1:?usage: test-deb.sh SOURCE_ROOT [OUTDIR]}" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/expected-layout.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jit-test-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=${2:-$tmp/out}
mkdir -p "$out"

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../lib/tap.sh"
bad() { fail "$@"; }
ok() { pass "$@"; }

start=$SECONDS
"$src/packaging/build-deb" "$out" || { die "packaging/build-deb"; }
echo "build-deb took $((SECONDS - start)) s"
version=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

# --- lintian -------------------------------------------------------------------
grep -E '^E: ' "$out/lintian.txt" && bad "lintian errors"
allowed=$(grep -vE '^(#|$)' "$here/lintian-allowed" || true)
while read -r tag; do
        grep -qxF -- "$tag" <<<"$allowed" || bad "lintian warning not explained in lintian-allowed: $tag"
done < <(sed -n 's/^W: [^:]*: \([^ ]*\).*/\1/p' "$out/lintian.txt" | sort -u)
((failed)) || ok "lintian: no errors, only explained warnings"

# --- file lists ------------------------------------------------------------------
files_of() { # regular files and links, without the leading "."
        dpkg-deb -c "$1" | awk '$1 !~ /^d/ { print $6 }' | sed 's/^\.//' | sort
}
check_list() { # NAME DEB EXPECTED...
        local name=$1 deb=$2
        shift 2
        local want got
        want=$(printf '%s\n' "$@" | sort)
        got=$(files_of "$deb")
        if [[ $want == "$got" ]]; then
                ok "$name holds exactly the expected files"
        else
                bad "$name file list differs (- expected, + found):"
                diff <(echo "$want") <(echo "$got") | grep '^[<>]' | sed 's/^</  -/; s/^>/  +/'
        fi
}

agent_deb=$out/jit-agent_${version}_$arch.deb
pam_deb=$out/libpam-jit_${version}_$arch.deb
[[ -f $agent_deb && -f $pam_deb ]] || { bad "packages missing in $out"; exit 1; }

mapfile -t agent_man < <(man_pages_for "$src" agent | sed 's|^|/usr/share/man/|; s|$|.gz|')
mapfile -t pam_man < <(man_pages_for "$src" pam | sed 's|^|/usr/share/man/|; s|$|.gz|')
[[ " ${pam_man[*]} " == *" /usr/share/man/man8/pam_jit.8.gz "* ]] || bad "no pam_jit(8) source in docs/"
[[ " ${agent_man[*]} " == *" /usr/share/man/man5/jit.conf.5.gz "* ]] || bad "no jit.conf(5) source in docs/"

check_list jit-agent "$agent_deb" \
        /etc/jit/jit.conf \
        /lib/systemd/system/jit-agent.service \
        /usr/bin/jitctl \
        /usr/lib/tmpfiles.d/jit.conf \
        /usr/libexec/jit-access/jit-fetch \
        /usr/sbin/jit-agent \
        /usr/share/doc/jit-agent/changelog.Debian.gz \
        /usr/share/doc/jit-agent/copyright \
        /usr/share/lintian/overrides/jit-agent \
        "${agent_man[@]}"
check_list libpam-jit "$pam_deb" \
        "/usr/lib/$multiarch/security/pam_jit.so" \
        /usr/share/doc/libpam-jit/changelog.Debian.gz \
        /usr/share/doc/libpam-jit/copyright \
        /usr/share/lintian/overrides/libpam-jit \
        "${pam_man[@]}"

# --- contents ---------------------------------------------------------------------
x=$tmp/x
dpkg-deb -x "$agent_deb" "$x"
dpkg-deb -x "$pam_deb" "$x"
cmp -s "$x/lib/systemd/system/jit-agent.service" "$src/systemd/jit-agent.service" ||
        bad "packaged unit differs from systemd/jit-agent.service"
cmp -s "$x/usr/lib/tmpfiles.d/jit.conf" "$src/systemd/tmpfiles.d/jit.conf" ||
        bad "packaged tmpfiles.d entry differs from systemd/tmpfiles.d/jit.conf"
file -b "$x/usr/lib/$multiarch/security/pam_jit.so" 2>/dev/null | grep -q 'shared object' ||
        [[ $(head -c4 "$x/usr/lib/$multiarch/security/pam_jit.so" | od -An -c | tr -d ' ') == 177ELF ]] ||
        bad "pam_jit.so is not an ELF shared object"

# The default config must parse (an unknown key would make pam_jit deny
# everyone): jitctl verify reads it, then judges a token. Exit 1 means the
# config was accepted and the token rejected; 3 means the config failed.
jitctl=$x/usr/bin/jitctl
cfgdir=$tmp/cfg
install -d -m 0755 "$cfgdir"
install -m 0644 "$x/etc/jit/jit.conf" "$cfgdir/jit.conf"
"$jitctl" keygen --out "$cfgdir/k" >/dev/null
rc=0
echo not-a-token | "$jitctl" verify --config "$cfgdir/jit.conf" --trust "$cfgdir/k.jwks" --iss x - \
        >"$tmp/verify.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || bad "default jit.conf does not parse (jitctl verify exit $rc): $(cat "$tmp/verify.out")"
# ... and so does every example in it, uncommented.
sed -E 's/^# ([a-z_]+ = )/\1/' "$x/etc/jit/jit.conf" >"$cfgdir/all.conf"
chmod 0644 "$cfgdir/all.conf"
n=$(grep -cE '^[a-z_]+ = ' "$cfgdir/all.conf")
rc=0
echo not-a-token | "$jitctl" verify --config "$cfgdir/all.conf" --trust "$cfgdir/k.jwks" --iss x - \
        >"$tmp/verify.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || bad "the $n examples in jit.conf do not parse (exit $rc): $(cat "$tmp/verify.out")"
# The probe can fail: a typo is refused.
printf 'isuers = x\n' >"$cfgdir/typo.conf"
rc=0
echo not-a-token | "$jitctl" verify --config "$cfgdir/typo.conf" --trust "$cfgdir/k.jwks" --iss x - \
        >/dev/null 2>&1 || rc=$?
[[ $rc -eq 3 ]] || bad "a config with an unknown key was not refused (exit $rc): the probe is blind"
((failed)) || ok "default jit.conf and its $n examples parse"

# --- conffiles and maintainer scripts -----------------------------------------------
for deb in "$agent_deb" "$pam_deb"; do
        name=$(dpkg-deb -f "$deb" Package)
        ctl=$tmp/ctl-$name
        dpkg-deb -e "$deb" "$ctl"
        conffiles=$(cat "$ctl/conffiles" 2>/dev/null || true)
        case $name in
        jit-agent) [[ $conffiles == /etc/jit/jit.conf ]] || bad "jit-agent conffiles: '$conffiles'" ;;
        *) [[ -z $conffiles ]] || bad "$name has conffiles: $conffiles" ;;
        esac
        for s in preinst postinst prerm postrm; do
                [[ -f $ctl/$s ]] || continue
                # Join continued lines, drop comments; every line that names
                # the PAM or sshd configuration must be a read (grep -qs...).
                logical=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$ctl/$s" | grep -vE '^[[:space:]]*#' || true)
                while IFS= read -r line; do
                        [[ $line =~ ^[[:space:]]*grep\ -qs ]] &&
                                ! [[ $line =~ (sed|rm|mv|cp|tee|ln|install|truncate)\  ]] &&
                                ! [[ $line =~ \>[^\&] ]] ||
                                bad "$name $s touches PAM/sshd configuration: $line"
                done < <(grep -E '/etc/(pam\.d|ssh)' <<<"$logical" || true)
                grep -qE 'pam-auth-update|ucf|sshd_config.*(>|sed)' <<<"$logical" &&
                        bad "$name $s runs a configuration tool on PAM/sshd"
        done
done
grep -q 'dh_installsystemd' "$tmp/ctl-jit-agent/postinst" ||
        bad "jit-agent postinst does not enable the unit"
grep -q 'rm -rf /var/lib/jit /run/jit' "$tmp/ctl-jit-agent/postrm" ||
        bad "jit-agent postrm does not remove /var/lib/jit and /run/jit on purge"
((failed)) || ok "conffiles; maintainer scripts leave /etc/pam.d and sshd alone"

# --- removal is refused while pam_jit is wired (nobody is locked out) -------------
# Run the prerm scripts in a private mount namespace whose /etc/pam.d and
# /etc/ssh are empty tmpfs folders: the machine's own files are never seen.
if [[ $(id -u) -eq 0 ]]; then
        res=$(unshare -m --propagation private bash -c '
                mount -t tmpfs tmpfs /etc/pam.d && mount -t tmpfs tmpfs /etc/ssh || exit 9
                r() { sh "$1" "$2" "$3" >/dev/null 2>&1; printf "%s " "$?"; }
                P=$0/ctl-libpam-jit/prerm A=$0/ctl-jit-agent/prerm
                echo "# account required pam_jit.so" >/etc/pam.d/sshd
                r "$P" remove
                echo "account [default=die success=ok] pam_jit.so" >/etc/pam.d/sudo
                r "$P" remove; r "$A" remove; r "$P" upgrade 0.1.0-2
                rm /etc/pam.d/sudo
                echo "AuthorizedKeysFile .ssh/authorized_keys /run/jit/keys/%u" >/etc/ssh/sshd_config
                r "$P" remove; r "$A" remove' "$tmp")
        # commented line: allowed; wired stack: refused by both; an upgrade
        # is never refused; wired sshd: refused by both.
        [[ $res == "0 1 1 0 1 1 " ]] || bad "prerm refusals: got '$res', want '0 1 1 0 1 1 '"
        ((failed)) || ok "removal refused while pam_jit or its key folder is wired"
fi

summary
