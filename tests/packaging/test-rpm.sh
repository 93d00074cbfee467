#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build the RPMs with packaging/build-rpm (Debian's rpm, --nodeps) and
# compare `rpm -qlp` with the RHEL/Fedora layout: %{_libdir}/security,
# %{_unitdir}, %{_tmpfilesdir}, %config(noreplace) jit.conf, systemd
# scriptlets, no scriptlet that changes PAM or sshd configuration.
#
# Usage: test-rpm.sh SOURCE_ROOT [OUTDIR]
set -euo pipefail

src=$(cd "${1:?usage: test-rpm.sh SOURCE_ROOT [OUTDIR]}" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/expected-layout.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jit-test-rpm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=${2:-$tmp/out}
mkdir -p "$out"

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../lib/tap.sh"
bad() { fail "$@"; }
ok() { pass "$@"; }

start=$SECONDS
"$src/packaging/build-rpm" "$out" || { die "packaging/build-rpm"; }
echo "build-rpm took $((SECONDS - start)) s"

main=$(ls "$out"/jit-access-0*.x86_64.rpm 2>/dev/null | head -n1)
pam=$(ls "$out"/pam_jit-0*.x86_64.rpm 2>/dev/null | head -n1)
srpm=$(ls "$out"/jit-access-*.src.rpm 2>/dev/null | head -n1)
[[ -f $main && -f $pam && -f $srpm ]] || { bad "RPMs missing in $out"; exit 1; }

# Files without build-id links (rpm's debuginfo plumbing) and without a
# compression suffix on man pages (Fedora gzips them, Debian's rpm does not).
list_of() { rpm -qlp "$1" | grep -v '^/usr/lib/\.build-id' | sed 's/\.gz$//' | sort; }
check_list() { # NAME RPM EXPECTED...
        local name=$1 rpmf=$2
        shift 2
        local want got
        want=$(printf '%s\n' "$@" | sort)
        got=$(list_of "$rpmf")
        if [[ $want == "$got" ]]; then
                ok "$name holds exactly the expected files"
        else
                bad "$name file list differs (- expected, + found):"
                diff <(echo "$want") <(echo "$got") | grep '^[<>]' | sed 's/^</  -/; s/^>/  +/'
        fi
}
mapfile -t agent_man < <(man_pages_for "$src" agent | sed 's|^|/usr/share/man/|')
mapfile -t pam_man < <(man_pages_for "$src" pam | sed 's|^|/usr/share/man/|')

check_list jit-access "$main" \
        /etc/jit \
        /etc/jit/jit.conf \
        /usr/bin/jitctl \
        /usr/lib/systemd/system/jit-agent.service \
        /usr/lib/tmpfiles.d/jit.conf \
        /usr/libexec/jit-access \
        /usr/libexec/jit-access/jit-fetch \
        /usr/sbin/jit-agent \
        "${agent_man[@]}"
check_list pam_jit "$pam" \
        /usr/lib64/security/pam_jit.so \
        "${pam_man[@]}"

# %config(noreplace): flags "cn".
flags=$(rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$main" | awk '$1 == "/etc/jit/jit.conf" { print $2 }')
[[ $flags == cn ]] || bad "/etc/jit/jit.conf flags '$flags', want cn (%config(noreplace))"
rpm -qp --configfiles "$pam" | grep -q . && bad "pam_jit has config files"

# The packaged unit is the tree's, with the RPM path of the binary.
x=$tmp/x
mkdir -p "$x"
rpm2archive - <"$main" | tar -C "$x" -xzf -
cmp -s "$x/usr/lib/systemd/system/jit-agent.service" "$src/systemd/jit-agent.service" ||
        bad "packaged unit differs from systemd/jit-agent.service"

# Scriptlets: enable/disable/restart through systemctl, never touch PAM/sshd.
scripts=$(rpm -qp --scripts "$main")
for want in 'postinstall' 'preuninstall' 'postuninstall'; do
        grep -q "^$want scriptlet" <<<"$scripts" || bad "no $want scriptlet"
done
grep -q 'systemctl.*preset.*jit-agent.service' <<<"$scripts" || bad "%post does not preset the unit"
grep -q 'systemctl.*disable --now jit-agent.service\|systemctl.*--no-reload disable.*jit-agent.service' <<<"$scripts" ||
        bad "%preun does not stop and disable the unit"
grep -q 'systemctl.*try-restart jit-agent.service' <<<"$scripts" || bad "%postun does not restart on upgrade"
grep -q 'systemd-tmpfiles.*--create.*jit.conf' <<<"$scripts" || bad "%post does not create /run/jit"
for r in "$main" "$pam"; do
        s=$(rpm -qp --scripts "$r" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep -vE '^[[:space:]]*#' || true)
        while IFS= read -r line; do
                [[ $line =~ ^[[:space:]]*(if[[:space:]]+)?grep\ -qs ]] &&
                        ! [[ $line =~ (sed|rm|mv|cp|tee|ln|install|truncate)\  ]] &&
                        ! [[ $line =~ \>[^\&] ]] ||
                        bad "$(basename "$r") scriptlet touches PAM/sshd configuration: $line"
        done < <(grep -E '/etc/(pam\.d|ssh)' <<<"$s" || true)
done
((failed)) || ok "config flags, unit, scriptlets"

summary
