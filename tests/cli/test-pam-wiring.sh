#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# jitctl pam enable|disable|status against temporary system trees (--root):
# Debian 12's stock PAM and sshd files (tests/cli/fixtures/debian12, and this
# machine's own /etc copied when it has them). Never touches the real /etc.
set -euo pipefail
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../lib/tap.sh"

JITCTL=$(realpath "${1:?usage: test-pam-wiring.sh PATH-TO-JITCTL}")
if [[ ! -x $JITCTL ]]; then
        echo "FAIL - $JITCTL is not an executable" >&2
        exit 1
fi
FIXTURES=$(realpath "$(dirname "$0")/fixtures/debian12")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"

MARKER='# added by jitctl pam enable (jit-access)'
DROPIN=etc/ssh/sshd_config.d/50-jit-access.conf
NOW=$(date +%s)
tap_on_fail() {
        if [[ -s $TMP/out ]]; then sed 's/^/#       stdout: /' "$TMP/out" | head -30; fi
        if [[ -s $TMP/err ]]; then sed 's/^/#       stderr: /' "$TMP/err" | head -20; fi
}

# run ARGS…: jitctl with stdout in $TMP/out, stderr in $TMP/err, exit code in $rc.
run() {
        rc=0
        "$JITCTL" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
}

# expect RC DESCRIPTION -- ARGS…
expect() {
        local want=$1 desc=$2
        shift 3
        run "$@"
        if [[ $rc -eq $want ]]; then pass "$desc (exit $rc)"; else fail "$desc: exit $rc, wanted $want"; fi
}

# contains FILE TEXT DESCRIPTION
contains() {
        if grep -qF -- "$2" "$1"; then pass "$3"; else fail "$3: '$2' not in $1"; fi
}
lacks() {
        if ! grep -qF -- "$2" "$1"; then pass "$3"; else fail "$3: '$2' is in $1"; fi
}

# same FILE1 FILE2 DESCRIPTION: byte-identical
same() {
        if cmp -s "$1" "$2"; then pass "$3"; else
                fail "$3: $1 and $2 differ"
                diff -u "$2" "$1" | head -20 || true
        fi
}

# tree_hash ROOT: one digest of every file's path, mode and bytes
tree_hash() {
        (cd "$1" && find . -type f -printf '%p %m\n' | sort && find . -type f -print0 | sort -z |
                xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

# line_of FILE REGEX: the number of the first line matching (0 if none)
line_of() {
        local n
        n=$(grep -nE -- "$2" "$1" | head -1 | cut -d: -f1)
        echo "${n:-0}"
}

# write_state ROOT BUNDLE_EXP: state_dir/state as jit-agent writes it
write_state() {
        local sha
        sha=$(printf 'a%.0s' {1..64})
        mkdir -p "$1/var/lib/jit"
        chmod 0700 "$1/var/lib/jit"
        printf 'serial 7\nbundle-sha256 %s\nbundle-iat %d\nbundle-exp %d\naccepted %d\nlast-fetch %d\n' \
                "$sha" "$(($2 - 900))" "$2" "$(($2 - 900))" "$(($2 - 900))" >"$1/var/lib/jit/state"
        chmod 0600 "$1/var/lib/jit/state"
}

# make_root DIR [SOURCE]: a system tree from SOURCE (the fixtures by default)
# with a valid trust store, issuers, a break-glass user and a fresh bundle.
make_root() {
        local root=$1 src=${2:-$FIXTURES}
        rm -rf "$root"
        mkdir -p "$root/etc/pam.d" "$root/etc/ssh/sshd_config.d" "$root/etc/jit"
        chmod 0755 "$root"
        cp "$src"/etc/pam.d/{sshd,sudo,sudo-i,common-account,common-auth,common-password} "$root/etc/pam.d/"
        cp "$src"/etc/pam.d/{common-session,common-session-noninteractive} "$root/etc/pam.d/"
        cp "$src/etc/ssh/sshd_config" "$root/etc/ssh/"
        chmod 0644 "$root"/etc/pam.d/* "$root/etc/ssh/sshd_config"
        printf 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n' >"$root/etc/passwd"
        printf 'root:x:0:\nsudo:x:27:alice\n' >"$root/etc/group"
        chmod 0644 "$root/etc/passwd" "$root/etc/group"
        "$JITCTL" keygen --out "$TMP/signer" --force >/dev/null
        cp "$TMP/signer.jwks" "$root/etc/jit/trust.jwks"
        chmod 0644 "$root/etc/jit/trust.jwks"
        cat >"$root/etc/jit/jit.conf" <<-EOF
	issuers = https://jit.example.com
	exempt_users = root
	EOF
        chmod 0644 "$root/etc/jit/jit.conf"
        write_state "$root" $((NOW + 900))
        # The pristine copies every later state is compared with.
        rm -rf "$root.orig"
        cp -a "$root" "$root.orig"
}

# conf ROOT LINE…: replace jit.conf
conf() {
        local root=$1
        shift
        printf '%s\n' "$@" >"$root/etc/jit/jit.conf"
}

echo "# usage"
expect 0 "jitctl pam --help" -- pam --help
contains "$TMP/out" "Usage: jitctl pam enable" "pam --help prints its usage"
contains "$TMP/out" "Exit status" "pam --help documents exit codes"
expect 0 "jitctl pam enable --help" -- pam enable --help
run --help
contains "$TMP/out" "pam " "jitctl --help lists the pam command"
expect 2 "pam without a command" -- pam
expect 2 "pam with an unknown command" -- pam wire sshd
expect 2 "enable without a service" -- pam enable --root "$TMP"
expect 2 "enable with an unknown service" -- pam enable --root "$TMP" ftpd
expect 2 "enable with an unknown option" -- pam enable --bogus sshd
expect 2 "enable with a relative --config" -- pam enable --config jit.conf sshd
expect 2 "disable does not take --force" -- pam disable --force --root "$TMP"
expect 2 "status takes no services" -- pam status --root "$TMP" sshd
expect 2 "--root that does not exist" -- pam status --root "$TMP/nowhere"

echo "# refusals: each missing precondition, and --force only for freshness"
R=$TMP/root
make_root "$R"
h0=$(tree_hash "$R")

# refuse DESCRIPTION TEXT [ARGS…]: enable refused with TEXT, nothing changed
refuse() {
        local desc=$1 text=$2
        shift 2
        expect 1 "$desc" -- pam enable --root "$R" "$@"
        contains "$TMP/err" "$text" "$desc: says why"
        if [[ $(tree_hash "$R") == "$h0" ]]; then pass "$desc: nothing changed"; else
                fail "$desc: the tree changed"
        fi
}

mv "$R/etc/jit/jit.conf" "$TMP/jit.conf.saved"
h0=$(tree_hash "$R")
refuse "no jit.conf" "cannot load the configuration" sshd sudo
mv "$TMP/jit.conf.saved" "$R/etc/jit/jit.conf"

cp "$R/etc/jit/trust.jwks" "$TMP/trust.saved"
rm "$R/etc/jit/trust.jwks"
h0=$(tree_hash "$R")
refuse "no trust store" "no valid trust store" sshd
refuse "no trust store, --force" "no valid trust store" --force sshd
echo '{"keys":[]}' >"$R/etc/jit/trust.jwks"
h0=$(tree_hash "$R")
refuse "a trust store without keys" "no valid trust store" sudo
echo '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA","alg":"EdDSA","kid":"k"}]}' >"$R/etc/jit/trust.jwks"
h0=$(tree_hash "$R")
refuse "a trust store with a broken key" "no valid trust store" sudo
chmod 0666 "$R/etc/jit/trust.jwks"
cp "$TMP/trust.saved" "$R/etc/jit/trust.jwks"
h0=$(tree_hash "$R")
refuse "a world-writable trust store" "writable by group or others" sshd
chmod 0644 "$R/etc/jit/trust.jwks"

conf "$R" "exempt_users = root"
h0=$(tree_hash "$R")
refuse "no issuers" "no issuers" sshd sudo

conf "$R" "issuers = https://jit.example.com"
h0=$(tree_hash "$R")
expect 0 "no break-glass path: enabled, with a warning" -- pam enable --dry-run --root "$R" sshd sudo
contains "$TMP/err" "warning: no break-glass path" "no break-glass path: warns"

echo "# break-glass: each exempt user must exist, and goes onto the PAM line"
conf "$R" "issuers = https://jit.example.com" "exempt_users = root, ghost"
h0=$(tree_hash "$R")
refuse "an exempt user that does not exist" "exempt user ghost does not exist" sshd sudo
refuse "an exempt user that does not exist, --force" "exempt user ghost does not exist" --force sshd
conf "$R" "issuers = https://jit.example.com" "exempt_group = nogroup-here"
h0=$(tree_hash "$R")
refuse "an exempt group that does not exist" "exempt group nogroup-here does not exist" sudo
conf "$R" "issuers = https://jit.example.com" "exempt_users = root, alice" "exempt_group = sudo"
touch -m -d @1000000000 "$R/etc/pam.d/sshd" "$R/etc/pam.d/sudo"
expect 0 "exempt users and group that exist" -- pam enable --root "$R" sshd sudo
contains "$R/etc/pam.d/sshd" "account required pam_jit.so exempt=root,alice exempt_group=sudo" "sshd's account rule carries the break-glass list"
contains "$R/etc/pam.d/sudo" "session required pam_jit.so exempt=root,alice exempt_group=sudo" "sudo's session rule carries it"
expect 0 "disable" -- pam disable --root "$R"
for f in sshd sudo sudo-i; do same "$R/etc/pam.d/$f" "$R.orig/etc/pam.d/$f" "$f restored"; done
# Integrity monitors compare times too: a file given back byte for byte gets its time back.
for f in sshd sudo; do
        t=$(stat -c %Y "$R/etc/pam.d/$f")
        [[ $t == 1000000000 ]] && pass "$f: its modification time restored" || fail "$f: mtime $t, not 1000000000"
done
echo "# rollback: disable names the sudoers rules only pam_jit held back"
mkdir -p "$R/etc/sudoers.d"
printf '%s\n' '# %jit-sudo ALL=(ALL) NOPASSWD: ALL' '%jit-sudo ALL=(ALL) NOPASSWD: ALL' >"$R/etc/sudoers.d/jit-access"
printf '%s\n' 'root ALL=(ALL:ALL) ALL' >"$R/etc/sudoers"
printf '%s\n' 'bob ALL=(ALL) NOPASSWD: ALL' >"$R/etc/sudoers.d/README.txt"
chmod 0440 "$R/etc/sudoers" "$R/etc/sudoers.d/jit-access" "$R/etc/sudoers.d/README.txt"
expect 0 "enable sudo" -- pam enable --root "$R" sudo
expect 0 "disable sudo with a NOPASSWD rule in sudoers.d" -- pam disable --root "$R" sudo
contains "$TMP/err" "/etc/sudoers.d/jit-access:2: '%jit-sudo ALL=(ALL) NOPASSWD: ALL' needs no password" "disable names the NOPASSWD rule and its line"
if grep -q "jit-access:1:\|README.txt\|/etc/sudoers:" "$TMP/err"; then fail "disable named a comment, a file sudo skips, or a rule with a password"; else
        pass "a comment, a file sudo skips and a rule with a password are not named"; fi
rm -r "$R/etc/sudoers.d" "$R/etc/sudoers"
rm "$R/etc/passwd"
expect 0 "a tree without etc/passwd: enabled, with a warning" -- pam enable --dry-run --root "$R" sshd
contains "$TMP/err" "cannot check that exempt user root exists" "a tree without etc/passwd: says it could not check"
cp "$R.orig/etc/passwd" "$R/etc/passwd"
conf "$R" "issuers = https://jit.example.com"
h0=$(tree_hash "$R")

conf "$R" "issuers = https://jit.example.com" "exempt_group = sudo"
h0=$(tree_hash "$R")
rm "$R/var/lib/jit/state"
h0=$(tree_hash "$R")
refuse "no bundle accepted yet" "no bundle accepted yet" sshd sudo
contains "$TMP/err" "--force" "the freshness refusal names --force"

write_state "$R" $((NOW - 2 * 3600)) # past exp + stale_after (1 h)
h0=$(tree_hash "$R")
refuse "a stale bundle" "the accepted bundle is stale" sshd sudo
# stale_after stretches freshness: the same state is fine with a day.
conf "$R" "issuers = https://jit.example.com" "exempt_group = sudo" "stale_after = 1d"
expect 0 "a bundle within stale_after" -- pam enable --dry-run --root "$R" sudo

echo "# several refusals at once are all reported; --force skips only freshness"
conf "$R" "issuers = https://jit.example.com"
rm "$R/var/lib/jit/state"
h0=$(tree_hash "$R")
conf "$R" "issuers = https://jit.example.com" "exempt_users = ghost"
h0=$(tree_hash "$R")
refuse "no bundle and a missing exempt user" "exempt user ghost does not exist" sshd
contains "$TMP/err" "no bundle accepted yet" "…and the missing bundle too"
refuse "no bundle and a missing exempt user, --force" "exempt user ghost does not exist" --force sshd
conf "$R" "issuers = https://jit.example.com" "exempt_users = root"
expect 0 "--force enables without a bundle" -- pam enable --force --root "$R" sudo
contains "$TMP/err" "enabling anyway (--force)" "--force warns"
contains "$R/etc/pam.d/sudo" "account required pam_jit.so" "--force did wire sudo"
expect 0 "disable after --force" -- pam disable --root "$R"
same "$R/etc/pam.d/sudo" "$R.orig/etc/pam.d/sudo" "disable restored sudo"
write_state "$R" $((NOW - 2 * 3600))
expect 0 "--force enables with a stale bundle" -- pam enable --force --root "$R" sudo
expect 0 "disable" -- pam disable --root "$R"

echo "# refusals in the stacks themselves (never overridden by --force)"
make_root "$R"
sed -i '/pam_loginuid.so/d' "$R/etc/pam.d/sshd"
h0=$(tree_hash "$R")
refuse "sshd without pam_loginuid.so" "pam_loginuid.so is not in the session stack" sshd
refuse "sshd without pam_loginuid.so, --force" "pam_loginuid.so" --force sshd
expect 0 "sudo does not need pam_loginuid.so" -- pam enable --dry-run --root "$R" sudo

make_root "$R"
sed -i 's|^Include /etc/ssh/sshd_config.d/\*.conf|#&|' "$R/etc/ssh/sshd_config"
h0=$(tree_hash "$R")
refuse "sshd_config without the Include" "does not include /etc/ssh/sshd_config.d/*.conf" sshd
contains "$TMP/err" "jitctl does not edit sshd_config" "…and says sshd_config is the admin's"

make_root "$R"
sed -i '1i AuthorizedKeysFile .ssh/authorized_keys' "$R/etc/ssh/sshd_config"
h0=$(tree_hash "$R")
refuse "AuthorizedKeysFile before the Include" "sets AuthorizedKeysFile before it includes" sshd

make_root "$R"
sed -i '1i Match User backup\n  PasswordAuthentication no' "$R/etc/ssh/sshd_config"
h0=$(tree_hash "$R")
refuse "the Include only inside a Match block" "before any Match block" sshd

make_root "$R"
echo "AuthorizedKeysFile /etc/ssh/keys/%u" >"$R/etc/ssh/sshd_config.d/10-keys.conf"
h0=$(tree_hash "$R")
refuse "an earlier drop-in sets AuthorizedKeysFile" "10-keys.conf:1 sets AuthorizedKeysFile" sshd
rm "$R/etc/ssh/sshd_config.d/10-keys.conf"
echo "AuthorizedKeysFile /etc/ssh/keys/%u" >"$R/etc/ssh/sshd_config.d/90-keys.conf"
expect 0 "a later drop-in does not matter (sshd keeps the first value)" -- pam enable --dry-run --root "$R" sshd
rm "$R/etc/ssh/sshd_config.d/90-keys.conf"
echo "AuthorizedKeysFile /srv/keys/%u" >"$R/$DROPIN"
h0=$(tree_hash "$R")
refuse "a 50-jit-access.conf jitctl did not write" "was not written by jitctl" sshd
rm "$R/$DROPIN"

make_root "$R"
sed -i 's|^@include common-account|account sufficient pam_succeed_if.so uid < 1000\n&|' "$R/etc/pam.d/sudo"
h0=$(tree_hash "$R")
refuse "a sufficient account rule before the anchor" "could be bypassed" sudo
make_root "$R"
sed -i 's|^@include common-session$|session [success=2 default=ignore] pam_succeed_if.so quiet\n&|' "$R/etc/pam.d/sshd"
h0=$(tree_hash "$R")
refuse "a jump in the session stack before pam_jit" "could be bypassed" sshd
make_root "$R"
rm "$R/etc/pam.d/common-account"
h0=$(tree_hash "$R")
refuse "an included file that is missing" "included from /etc/pam.d/sshd" sshd
lacks "$TMP/err" "is sshd installed" "…and does not call sshd missing"
make_root "$R"
echo "@include common-missing" >>"$R/etc/pam.d/sudo-i"
h0=$(tree_hash "$R")
refuse "sudo-i with a missing include (not skipped as if sudo-i were absent)" "included from /etc/pam.d/sudo-i" sudo
make_root "$R"
sed -i 's|^@include common-account|account requird pam_unix.so\n&|' "$R/etc/pam.d/sudo"
h0=$(tree_hash "$R")
refuse "a line Linux-PAM would not accept" "/etc/pam.d/sudo:7: bad control 'requird'" sudo
make_root "$R"
sed -i 's|^@include common-account|account optional pam_jit.so\n&|' "$R/etc/pam.d/sudo"
h0=$(tree_hash "$R")
refuse "a pam_jit.so rule whose denial would be ignored" "make it 'required'" sudo
make_root "$R"
rm "$R/etc/pam.d/sshd"
h0=$(tree_hash "$R")
refuse "no /etc/pam.d/sshd" "is sshd installed" sshd

# the full cycle, on the fixtures and on a copy of this machine's files
cycle() {
        local name=$1 src=$2 o
        R=$TMP/$name
        make_root "$R" "$src"
        o=$R.orig

        echo "# $name: status before"
        expect 0 "$name: status" -- pam status --root "$R"
        contains "$TMP/out" "sshd: account not wired, session not wired" "$name: sshd not wired"
        contains "$TMP/out" "sudo: account not wired, session not wired" "$name: sudo not wired"
        contains "$TMP/out" "sshd keys: no /etc/ssh/sshd_config.d/50-jit-access.conf" "$name: no drop-in"

        echo "# $name: --dry-run prints a diff and changes nothing"
        h0=$(tree_hash "$R")
        expect 0 "$name: enable --dry-run" -- pam enable --dry-run --root "$R" sshd sudo
        cp "$TMP/out" "$TMP/plan.diff"
        if [[ $(tree_hash "$R") == "$h0" ]]; then pass "$name: dry-run changed nothing"; else
                fail "$name: dry-run changed the tree"
        fi
        contains "$TMP/plan.diff" "--- a/etc/pam.d/sshd" "$name: the diff covers sshd"
        contains "$TMP/plan.diff" "--- a/etc/pam.d/sudo" "$name: the diff covers sudo"
        contains "$TMP/plan.diff" "+++ b/etc/pam.d/sudo-i" "$name: the diff covers sudo-i"
        contains "$TMP/plan.diff" "+++ b/$DROPIN" "$name: the diff creates the drop-in"
        contains "$TMP/plan.diff" "+account required pam_jit.so" "$name: the diff adds the account rule"
        contains "$TMP/plan.diff" "+session required pam_jit.so" "$name: the diff adds the session rule"
        rm -rf "$TMP/patched"
        cp -a "$o" "$TMP/patched"
        if (cd "$TMP/patched" && patch -s -p1 <"$TMP/plan.diff"); then
                pass "$name: the dry-run diff applies with patch -p1"
        else fail "$name: the dry-run diff does not apply"; fi
        [[ ! -e $R/var/lib/jit/pam-backup ]] && pass "$name: dry-run made no backup" ||
                fail "$name: dry-run made a backup"

        echo "# $name: enable"
        expect 0 "$name: enable sshd sudo" -- pam enable --root "$R" sshd sudo
        contains "$TMP/out" "/etc/pam.d/sshd: account and session rules added" "$name: reports sshd"
        for f in etc/pam.d/sshd etc/pam.d/sudo etc/pam.d/sudo-i "$DROPIN"; do
                same "$R/$f" "$TMP/patched/$f" "$name: $f is what --dry-run showed"
        done

        local s=$R/etc/pam.d/sshd acct sess ca cs lu
        acct=$(line_of "$s" '^account required pam_jit\.so exempt=root$')
        sess=$(line_of "$s" '^session required pam_jit\.so exempt=root$')
        ca=$(line_of "$s" '^@include common-account')
        cs=$(line_of "$s" '^@include common-session')
        lu=$(line_of "$s" '^session +required +pam_loginuid\.so')
        [[ $acct -gt 0 && $((acct + 1)) -eq $ca ]] && pass "$name: sshd account rule right before @include common-account" ||
                fail "$name: sshd account rule at $acct, common-account at $ca"
        [[ $sess -gt 0 && $sess -eq $((cs + 2)) ]] && pass "$name: sshd session rule right after @include common-session (and its marker)" ||
                fail "$name: sshd session rule at $sess, common-session at $cs"
        [[ $lu -gt 0 && $lu -lt $sess ]] && pass "$name: sshd session rule after pam_loginuid.so" ||
                fail "$name: pam_loginuid at $lu, pam_jit session at $sess"
        [[ $(sed -n "$((acct - 1))p" "$s") == "$MARKER" && $(sed -n "$((sess - 1))p" "$s") == "$MARKER" ]] &&
                pass "$name: each sshd rule follows the marker" || fail "$name: marker missing in sshd"
        [[ $(grep -c pam_jit "$s") -eq 2 && $(grep -cxF "$MARKER" "$s") -eq 2 ]] &&
                pass "$name: exactly two rules and two markers in sshd" || fail "$name: sshd has $(grep -c pam_jit "$s") pam_jit lines"
        grep -vxF -e "$MARKER" -e "account required pam_jit.so exempt=root" -e "session required pam_jit.so exempt=root" "$s" >"$TMP/stripped"
        same "$TMP/stripped" "$o/etc/pam.d/sshd" "$name: sshd is otherwise unchanged"

        for svc in sudo sudo-i; do
                local f=$R/etc/pam.d/$svc inc
                inc='^@include common-session-noninteractive$'
                [[ $svc == sudo-i ]] && inc='^@include common-session$'
                acct=$(line_of "$f" '^account required pam_jit\.so exempt=root$')
                sess=$(line_of "$f" '^session required pam_jit\.so exempt=root$')
                ca=$(line_of "$f" '^@include common-account')
                cs=$(line_of "$f" "$inc")
                [[ $acct -gt 0 && $((acct + 1)) -eq $ca ]] && pass "$name: $svc account rule right before @include common-account" ||
                        fail "$name: $svc account rule at $acct, common-account at $ca"
                [[ $sess -gt 0 && $sess -eq $((cs + 2)) ]] && pass "$name: $svc session rule right after ${inc//[\^$]/}" ||
                        fail "$name: $svc session rule at $sess, the session include at $cs"
                grep -vxF -e "$MARKER" -e "account required pam_jit.so exempt=root" -e "session required pam_jit.so exempt=root" "$f" >"$TMP/stripped"
                same "$TMP/stripped" "$o/etc/pam.d/$svc" "$name: $svc is otherwise unchanged"
                [[ $(stat -c %a "$f") == 644 ]] && pass "$name: $svc keeps mode 0644" || fail "$name: $svc mode $(stat -c %a "$f")"
        done
        contains "$R/$DROPIN" "AuthorizedKeysFile /run/jit/keys/%u .ssh/authorized_keys" "$name: the drop-in points sshd at the keys files"
        [[ $(stat -c %a "$R/$DROPIN") == 644 ]] && pass "$name: the drop-in has mode 0644" || fail "$name: drop-in mode"
        same "$R/etc/ssh/sshd_config" "$o/etc/ssh/sshd_config" "$name: sshd_config itself is untouched"
        for f in sshd sudo sudo-i; do
                same "$R/var/lib/jit/pam-backup/_etc_pam.d_$f" "$o/etc/pam.d/$f" "$name: backup of $f is the original"
        done

        echo "# $name: enable again is a no-op"
        h0=$(tree_hash "$R")
        expect 0 "$name: enable twice" -- pam enable --root "$R" sshd sudo
        contains "$TMP/out" "/etc/pam.d/sshd: already enabled" "$name: says already enabled"
        [[ $(tree_hash "$R") == "$h0" ]] && pass "$name: the second enable changed nothing" || fail "$name: the second enable changed files"
        expect 0 "$name: enable --dry-run when enabled" -- pam enable --dry-run --root "$R" sshd sudo
        [[ ! -s $TMP/out ]] && pass "$name: no diff when enabled" || fail "$name: a diff when already enabled"

        echo "# $name: status after"
        expect 0 "$name: status" -- pam status --root "$R"
        contains "$TMP/out" "sshd: account wired, session wired" "$name: sshd wired"
        contains "$TMP/out" "sudo: account wired, session wired" "$name: sudo wired"
        contains "$TMP/out" "sudo-i: account wired, session wired" "$name: sudo-i wired"
        contains "$TMP/out" "50-jit-access.conf present (AuthorizedKeysFile /run/jit/keys/%u" "$name: drop-in present"

        echo "# $name: disable"
        h0=$(tree_hash "$R")
        expect 0 "$name: disable --dry-run" -- pam disable --dry-run --root "$R"
        contains "$TMP/out" "-account required pam_jit.so" "$name: the disable diff removes the rule"
        contains "$TMP/out" "+++ /dev/null" "$name: the disable diff removes the drop-in"
        [[ $(tree_hash "$R") == "$h0" ]] && pass "$name: disable --dry-run changed nothing" || fail "$name: disable --dry-run changed files"
        expect 0 "$name: disable" -- pam disable --root "$R"
        for f in sshd sudo sudo-i; do
                same "$R/etc/pam.d/$f" "$o/etc/pam.d/$f" "$name: $f byte-identical after disable"
                [[ $(stat -c %a "$R/etc/pam.d/$f") == 644 ]] && pass "$name: $f mode 0644 after disable" || fail "$name: $f mode"
        done
        [[ ! -e $R/$DROPIN ]] && pass "$name: the drop-in is gone" || fail "$name: the drop-in is still there"
        [[ -z $(ls -A "$R/var/lib/jit/pam-backup") ]] && pass "$name: the matching backups were removed" ||
                fail "$name: backups left: $(ls "$R/var/lib/jit/pam-backup")"
        expect 0 "$name: status" -- pam status --root "$R"
        contains "$TMP/out" "sshd: account not wired, session not wired" "$name: sshd no longer wired"
        expect 0 "$name: disable again" -- pam disable --root "$R"
        contains "$TMP/out" "/etc/pam.d/sshd: not enabled" "$name: says not enabled"
}

cycle fixtures "$FIXTURES"
if [[ -f /etc/pam.d/sshd && -f /etc/pam.d/sudo && -f /etc/ssh/sshd_config && -f /etc/pam.d/common-session-noninteractive ]]; then
        if [[ -f /etc/pam.d/sudo-i ]]; then
                cycle this-machine /
        fi
fi

echo "# sudo alone leaves sshd and its keys alone"
make_root "$R"
expect 0 "enable sudo" -- pam enable --root "$R" sudo
same "$R/etc/pam.d/sshd" "$R.orig/etc/pam.d/sshd" "sshd untouched"
[[ ! -e $R/$DROPIN ]] && pass "no drop-in for sudo alone" || fail "a drop-in for sudo alone"
expect 0 "disable sudo" -- pam disable --root "$R" sudo
same "$R/etc/pam.d/sudo" "$R.orig/etc/pam.d/sudo" "sudo restored"

echo "# cron and atd: their jobs are sessions, gated and recorded like logins"
make_root "$R"
h0=$(tree_hash "$R")
refuse "cron on a host without a cron PAM file" "cron: no PAM file for it" cron
refuse "atd on a host without one" "atd: no PAM file for it" atd
cp "$FIXTURES"/etc/pam.d/{cron,atd} "$R/etc/pam.d/"
chmod 0644 "$R/etc/pam.d/cron" "$R/etc/pam.d/atd"
cp "$R"/etc/pam.d/{cron,atd} "$R.orig/etc/pam.d/"
expect 0 "enable cron atd" -- pam enable --root "$R" cron atd
contains "$TMP/out" "/etc/pam.d/cron: account and session rules added" "reports cron"
contains "$TMP/out" "/etc/pam.d/atd: account and session rules added" "reports atd"
same "$R/etc/pam.d/sshd" "$R.orig/etc/pam.d/sshd" "sshd untouched by cron atd"
[[ ! -e $R/$DROPIN ]] && pass "no drop-in for cron atd" || fail "a drop-in for cron atd"
for svc in cron atd; do
        f=$R/etc/pam.d/$svc
        acct=$(line_of "$f" '^account required pam_jit\.so exempt=root$')
        sess=$(line_of "$f" '^session required pam_jit\.so exempt=root$')
        ca=$(line_of "$f" '^@include common-account')
        lu=$(line_of "$f" '^session +required +pam_loginuid\.so')
        [[ $acct -gt 0 && $((acct + 1)) -eq $ca ]] && pass "$svc account rule right before @include common-account" ||
                fail "$svc account rule at $acct, common-account at $ca"
        [[ $lu -gt 0 && $sess -eq $((lu + 2)) ]] && pass "$svc session rule right after pam_loginuid.so (and its marker)" ||
                fail "$svc session rule at $sess, pam_loginuid at $lu"
done
expect 0 "status" -- pam status --root "$R"
contains "$TMP/out" "cron: account wired, session wired" "status: cron wired"
contains "$TMP/out" "atd: account wired, session wired" "status: atd wired"
contains "$TMP/out" "crond: no /etc/pam.d/crond" "status: no crond (a Debian tree)"
expect 0 "disable (all services)" -- pam disable --root "$R"
for svc in cron atd; do
        same "$R/etc/pam.d/$svc" "$R.orig/etc/pam.d/$svc" "$svc byte-identical after disable"
done
sed -i 's|^session    required     pam_loginuid.so|#&|' "$R/etc/pam.d/cron"
h0=$(tree_hash "$R")
refuse "cron without pam_loginuid.so" "pam_loginuid.so is not in the session stack" cron
mv "$R/etc/pam.d/cron" "$R/etc/pam.d/crond"
sed -i 's|^#\(session    required     pam_loginuid.so\)|\1|' "$R/etc/pam.d/crond"
expect 0 "enable cron wires crond where that is the file (RHEL's cronie)" -- pam enable --root "$R" cron
contains "$R/etc/pam.d/crond" "session required pam_jit.so" "crond wired"

echo "# --config and run_dir reach the rules and the drop-in"
make_root "$R"
mv "$R/etc/jit/jit.conf" "$R/etc/jit/other.conf"
echo "run_dir = /run/jit-test" >>"$R/etc/jit/other.conf"
expect 0 "enable with --config" -- pam enable --root "$R" --config /etc/jit/other.conf sshd sudo
contains "$R/etc/pam.d/sshd" "account required pam_jit.so config=/etc/jit/other.conf exempt=root" "the account rule passes config="
contains "$R/etc/pam.d/sudo" "session required pam_jit.so config=/etc/jit/other.conf exempt=root" "the session rule passes config="
contains "$R/$DROPIN" "AuthorizedKeysFile /run/jit-test/keys/%u .ssh/authorized_keys" "the drop-in uses run_dir"
expect 0 "disable" -- pam disable --root "$R"
for f in sshd sudo sudo-i; do same "$R/etc/pam.d/$f" "$R.orig/etc/pam.d/$f" "$f restored"; done

echo "# a file without its last newline, and a mode other than 0644"
make_root "$R"
printf '%s' "$(cat "$R/etc/pam.d/sudo")" >"$R/etc/pam.d/sudo"
chmod 0640 "$R/etc/pam.d/sudo"
cp -a "$R/etc/pam.d/sudo" "$TMP/sudo.nonl"
expect 0 "enable sudo" -- pam enable --root "$R" sudo
[[ $(tail -n1 "$R/etc/pam.d/sudo") == "session required pam_jit.so exempt=root" ]] && pass "the session rule ends the file" ||
        fail "the session rule does not end the file"
[[ $(stat -c %a "$R/etc/pam.d/sudo") == 640 ]] && pass "mode 0640 kept" || fail "mode $(stat -c %a "$R/etc/pam.d/sudo")"
expect 0 "disable sudo" -- pam disable --root "$R" sudo
same "$R/etc/pam.d/sudo" "$TMP/sudo.nonl" "byte-identical, still without the last newline"

echo "# an included file that is a symlink (RHEL's authselect)"
make_root "$R"
mkdir -p "$R/etc/authselect"
mv "$R/etc/pam.d/common-account" "$R/etc/authselect/common-account"
ln -s /etc/authselect/common-account "$R/etc/pam.d/common-account"
expect 0 "enable sudo through an absolute symlink" -- pam enable --root "$R" sudo
contains "$R/etc/pam.d/sudo" "account required pam_jit.so" "sudo wired"
[[ -L $R/etc/pam.d/common-account ]] && pass "the symlink is left a symlink" || fail "the symlink was replaced"
expect 0 "disable sudo" -- pam disable --root "$R" sudo
make_root "$R"
ln -s ../../../../../../etc/passwd "$R/etc/pam.d/common-evil"
echo "@include common-evil" >>"$R/etc/pam.d/sudo"
h0=$(tree_hash "$R")
refuse "a symlink with .. (it could leave --root)" "(with ..)" sudo

echo "# the owner and group of a PAM file are kept"
if [[ $EUID -eq 0 ]]; then
        make_root "$R"
        chgrp 4 "$R/etc/pam.d/sudo"
        chmod 0640 "$R/etc/pam.d/sudo"
        expect 0 "enable sudo (root:4 0640)" -- pam enable --root "$R" sudo
        [[ $(stat -c %u:%g:%a "$R/etc/pam.d/sudo") == 0:4:640 ]] && pass "enable kept root:4 0640" ||
                fail "enable left $(stat -c %u:%g:%a "$R/etc/pam.d/sudo")"
        expect 0 "disable sudo" -- pam disable --root "$R" sudo
        [[ $(stat -c %u:%g:%a "$R/etc/pam.d/sudo") == 0:4:640 ]] && pass "disable kept root:4 0640" ||
                fail "disable left $(stat -c %u:%g:%a "$R/etc/pam.d/sudo")"
else
        # CI runs as root; without root a file's group cannot be given away.
        echo "# (not root: the owner test needs root)"
fi

echo "# an admin's edits after enable are kept and shown"
make_root "$R"
expect 0 "enable sshd" -- pam enable --root "$R" sshd
echo "session optional pam_echo.so hello" >>"$R/etc/pam.d/sshd"
expect 0 "disable with a later edit" -- pam disable --root "$R"
contains "$TMP/out" "differs from the copy saved before enable" "disable says the file differs from the backup"
contains "$TMP/out" "+session optional pam_echo.so hello" "…and shows the difference"
contains "$R/etc/pam.d/sshd" "pam_echo.so hello" "the admin's line is kept"
lacks "$R/etc/pam.d/sshd" "pam_jit.so" "pam_jit.so is gone"
[[ -f $R/var/lib/jit/pam-backup/_etc_pam.d_sshd ]] && pass "the backup is kept" || fail "the backup was removed"
same "$R/var/lib/jit/pam-backup/_etc_pam.d_sshd" "$R.orig/etc/pam.d/sshd" "the backup still holds the original"

echo "# a pam_jit.so line jitctl did not add"
make_root "$R"
sed -i 's|^@include common-account|account required pam_jit.so debug\n&|' "$R/etc/pam.d/sudo"
cp "$R/etc/pam.d/sudo" "$TMP/sudo.hand"
expect 0 "status" -- pam status --root "$R"
contains "$TMP/out" "sudo: account wired (not by jitctl), session not wired" "status tells it apart"
expect 0 "enable sudo adds only the session rule" -- pam enable --root "$R" sudo
[[ $(grep -c '^account.*pam_jit.so' "$R/etc/pam.d/sudo") -eq 1 ]] && pass "no second account rule" || fail "a second account rule"
contains "$TMP/out" "/etc/pam.d/sudo: session rule added" "reports the session rule only"
expect 1 "disable leaves the hand-made rule and says so" -- pam disable --root "$R" sudo
contains "$TMP/err" "jitctl did not add; left in place" "names the line"
same "$R/etc/pam.d/sudo" "$TMP/sudo.hand" "only jitctl's rule was removed"

echo "# create_users = yes: pam_mkhomedir.so after pam_jit.so in a login's session stack"
make_root "$R"
printf 'create_users = yes\n' >>"$R/etc/jit/jit.conf"
expect 0 "enable with create_users" -- pam enable --root "$R" sshd sudo
jl=$(grep -n '^session required pam_jit.so' "$R/etc/pam.d/sshd" | cut -d: -f1)
ml=$(grep -n '^session required pam_mkhomedir.so umask=0077' "$R/etc/pam.d/sshd" | cut -d: -f1)
[[ -n $jl && -n $ml && $ml -eq $((jl + 2)) ]] && pass "sshd: pam_mkhomedir.so right after pam_jit.so's session rule, marked" ||
        fail "sshd: pam_mkhomedir.so right after pam_jit.so's session rule (pam_jit $jl, mkhomedir $ml)"
[[ $(sed -n "$((ml - 1))p" "$R/etc/pam.d/sshd") == "$MARKER" ]] && pass "sshd: the mkhomedir rule carries the marker" ||
        fail "sshd: the mkhomedir rule carries the marker"
lacks "$R/etc/pam.d/sudo" "pam_mkhomedir.so" "sudo (not a login) gets no pam_mkhomedir.so"
expect 0 "disable after create_users" -- pam disable --root "$R" sshd sudo
same "$R/etc/pam.d/sshd" "$R.orig/etc/pam.d/sshd" "disable removes pam_mkhomedir.so with pam_jit.so"
make_root "$R"
expect 0 "enable without create_users" -- pam enable --root "$R" sshd
lacks "$R/etc/pam.d/sshd" "pam_mkhomedir.so" "create_users off: no pam_mkhomedir.so"
make_root "$R"
printf 'create_users = yes\n' >>"$R/etc/jit/jit.conf"
printf 'session optional pam_mkhomedir.so\n' >>"$R/etc/pam.d/sshd"
expect 0 "enable with create_users and the admin's own pam_mkhomedir" -- pam enable --root "$R" sshd
[[ $(grep -c 'pam_mkhomedir.so' "$R/etc/pam.d/sshd") -eq 1 ]] && pass "the admin's pam_mkhomedir.so is not doubled" ||
        fail "pam_mkhomedir.so doubled"
expect 0 "disable keeps the admin's pam_mkhomedir" -- pam disable --root "$R" sshd
contains "$R/etc/pam.d/sshd" "session optional pam_mkhomedir.so" "the admin's pam_mkhomedir.so stays"

summary
