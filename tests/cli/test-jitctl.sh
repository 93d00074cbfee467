#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# End-to-end tests of the jitctl CLI: keygen, issue, verify, publish, revoke,
# exit codes and --help. Time is always passed with --now so the results do
# not depend on the wall clock.
set -euo pipefail
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../lib/tap.sh"

JITCTL=$(realpath "${1:?usage: test-jitctl.sh PATH-TO-JITCTL}")
if [[ ! -x $JITCTL ]]; then
        echo "FAIL - $JITCTL is not an executable" >&2
        exit 1
fi
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"

NOW=1800000000 # 2027-01-15 08:00:00 UTC
ISS=https://jit.example.com
tap_on_fail() {
        if [[ -s out ]]; then sed 's/^/#       stdout: /' out | head -20; fi
        if [[ -s err ]]; then sed 's/^/#       stderr: /' err | head -20; fi
}

# run CMD…: runs jitctl with stdout in ./out and stderr in ./err; rc in $rc.
run() {
        rc=0
        "$JITCTL" "$@" >out 2>err || rc=$?
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

# mode FILE OCTAL
mode() {
        local m
        m=$(stat -c %a "$1" 2>/dev/null) || m=missing
        if [[ $m == "$2" ]]; then pass "$1 has mode $2"; else fail "$1 has mode $m, wanted $2"; fi
}

# json FILE PYTHON-EXPR DESCRIPTION: the expression sees the parsed object as j (and os).
json() {
        if "$PY" -c 'import json,os,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>pyerr; then
                pass "$3"
        else
                fail "$3: $2 is false"
                cat pyerr
        fi
}

# The grant most tests use: alice, 30 min from NOW, ssh and sudo.
# keygen was given --kid ed-1, which a PEM key cannot remember: name it.
ISSUE=(issue --key ed.key --kid ed-1 --iss "$ISS" --sub alice --aud env=prod,role=db --scope ssh
        --scope sudo --ttl 30m --ticket INC-4211 --approver bob --reason "disk full" --now "$NOW")

echo "# help, version, usage errors"
for cmd in keygen issue publish revoke verify; do
        expect 0 "jitctl $cmd --help" -- "$cmd" --help
        contains out "Usage: jitctl $cmd" "$cmd --help prints its usage"
        contains out "Exit status" "$cmd --help documents exit codes"
        expect 2 "jitctl $cmd with an unknown option" -- "$cmd" --no-such-option
done
expect 0 "jitctl --help" -- --help
contains out "Exit status" "jitctl --help documents exit codes"
expect 0 "jitctl --version" -- --version
contains out "jitctl " "--version prints the version"
expect 2 "unknown command" -- frobnicate
expect 2 "no command" --
expect 2 "unknown global option" -- --bogus

echo "# keygen"
expect 0 "keygen EdDSA" -- keygen --out ed --kid ed-1
contains out "ed-1" "keygen prints the kid"
mode ed.key 600
mode ed.jwks 644
contains ed.key "BEGIN PRIVATE KEY" "ed.key is PKCS#8 PEM"
json ed.jwks 'j["keys"][0]["kid"]=="ed-1" and j["keys"][0]["alg"]=="EdDSA" and j["keys"][0]["crv"]=="Ed25519" and "d" not in j["keys"][0]' "ed.jwks holds the public Ed25519 key with kid and alg"
expect 0 "keygen ES256 with the thumbprint kid" -- keygen --alg ES256 --out es
mode es.key 600
mode es.jwks 644
eskid=$(head -1 out)
json es.jwks "j['keys'][0]['kid']=='$eskid' and j['keys'][0]['alg']=='ES256' and j['keys'][0]['crv']=='P-256' and 'd' not in j['keys'][0]" "es.jwks holds the P-256 key under the printed kid"
sum=$(sha256sum ed.key ed.jwks)
expect 2 "keygen refuses to overwrite" -- keygen --out ed --kid ed-1
contains err "already exists" "keygen says the file exists"
if [[ $(sha256sum ed.key ed.jwks) == "$sum" ]]; then pass "refused keygen left the files alone"; else fail "refused keygen changed the files"; fi
cp ed.key ed-old.key
expect 0 "keygen a second pair" -- keygen --out ed2 --kid ed-2
expect 0 "keygen --force replaces an existing pair" -- keygen --force --out ed2 --kid ed-2b
json ed2.jwks 'j["keys"][0]["kid"]=="ed-2b"' "--force wrote the new JWKS"
expect 2 "keygen with an unknown alg" -- keygen --alg HS256 --out hs
expect 2 "keygen without --out" -- keygen

echo "# issue and verify a grant"
run "${ISSUE[@]}" --jti grant-1 --out g1.jwt
if [[ $rc -eq 0 ]]; then pass "issue a grant"; else fail "issue a grant: exit $rc"; fi
G1=$(cat g1.jwt)
mode g1.jwt 644
# The token works as a password (prompt): --out keeps it off the terminal.
if grep -qF "$G1" out; then fail "--out also printed the token"; else pass "--out does not print the token"; fi
if grep -qx "g1.jwt: grant grant-1 written" out; then pass "--out says where the grant went"; else fail "--out printed: $(cat out)"; fi
run "${ISSUE[@]}" --jti grant-1
if [[ $(cat out) == *.*.* && $(cat out) != *" "* ]]; then pass "without --out, the token is printed"; else fail "without --out: $(cat out)"; fi
hdr=$(cut -d. -f1 <<<"$G1")
"$PY" - "$hdr" >hdr.json <<'PYEOF'
import base64, sys
s = sys.argv[1]
print(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).decode())
PYEOF
json hdr.json 'j=={"alg":"EdDSA","typ":"jit-grant+jwt","kid":"ed-1"}' "grant header is {alg EdDSA, typ jit-grant+jwt, kid of the key}"

V=(verify --trust ed.jwks --iss "$ISS" --now $((NOW + 60)))
expect 0 "verify a fresh grant" -- "${V[@]}" "$G1"
contains out "VALID" "verify says VALID"
contains out "alice" "verify names the user"
contains out "INC-4211" "verify shows the ticket"
contains out "approved by bob" "verify shows the approver"
expect 0 "verify with matching facts" -- "${V[@]}" --fact env=prod --fact role=db --fact host=pay-db-1 "$G1"
contains out "matches this host's facts" "verify says the host matches"
expect 1 "verify with facts of another host" -- "${V[@]}" --fact env=staging --fact role=db "$G1"
contains out "not for this host" "verify says the grant is not for this host"
printf 'env=prod\nrole=db\n' >facts
expect 0 "verify with a facts file" -- "${V[@]}" --facts-file facts "$G1"
# Cloud tags: not selectable by default (selector_facts), as on a host.
run "${ISSUE[@]}" --jti grant-tag --aud aws.account=123456789012,aws.tag.role=db --out gtag.jwt
GT=$(cat gtag.jwt)
expect 1 "verify: a tag selector does not match by default (selector_facts)" -- "${V[@]}" --fact aws.account=123456789012 --fact aws.tag.role=db "$GT"
printf 'selector_facts = aws.\n' >tags.conf
expect 0 "verify: a tag selector matches where selector_facts allows tags" -- "${V[@]}" --config "$PWD/tags.conf" --fact aws.account=123456789012 --fact aws.tag.role=db "$GT"
expect 0 "verify reads the token from a file" -- "${V[@]}" --file g1.jwt
run "${V[@]}" - <g1.jwt
if [[ $rc -eq 0 ]]; then pass "verify reads the token from stdin"; else fail "verify from stdin: exit $rc"; fi

expect 1 "verify after exp" -- verify --trust ed.jwks --iss "$ISS" --now $((NOW + 3600)) "$G1"
contains out "INVALID" "expired grant is INVALID"
contains out "expired at" "verify says when it expired"
expect 1 "verify a grant issued in the future" -- verify --trust ed.jwks --iss "$ISS" --now $((NOW - 3600)) "$G1"
contains out "in the future" "verify says it was issued in the future"
"$JITCTL" "${ISSUE[@]}" --not-before +2h >later.jwt
expect 1 "verify before nbf" -- "${V[@]}" --file later.jwt
contains out "not valid before" "verify says it is not yet valid"

sig=${G1##*.}
first=${sig:0:1}
if [[ $first == A ]]; then repl=B; else repl=A; fi
TAMPERED=${G1%.*}.$repl${sig:1}
expect 1 "verify a token with a flipped signature character" -- "${V[@]}" "$TAMPERED"
contains out "signature" "verify blames the signature"
expect 1 "verify with another issuer trusted" -- verify --trust ed.jwks --iss https://other.example --now $((NOW + 60)) "$G1"
expect 1 "verify against a trust store without the key" -- verify --trust es.jwks --iss "$ISS" --now $((NOW + 60)) "$G1"
expect 1 "verify garbage" -- "${V[@]}" "not.a.token"
printf 'issuers = %s\ntrust_store = %s\n' "$ISS" "$TMP/ed.jwks" >jit.conf
expect 0 "verify with trust and issuers from --config" -- verify --config jit.conf --now $((NOW + 60)) "$G1"
expect 1 "--iss overrides the config's issuers" -- verify --config jit.conf --iss https://other.example --now $((NOW + 60)) "$G1"
expect 1 "--max-ttl below the grant's ttl" -- "${V[@]}" --max-ttl 10m "$G1"
expect 3 "verify with an unreadable trust store" -- verify --trust missing.jwks --iss "$ISS" "$G1"
printf 'no_such_key = 1\n' >bad.conf
expect 3 "verify with a config that does not parse" -- verify --config bad.conf "$G1"

run "${V[@]}" --json "$G1"
[[ $rc -eq 0 ]] && pass "verify --json of a valid grant (exit 0)" || fail "verify --json exit $rc"
cp out valid.json
json valid.json 'j["kind"]=="grant" and j["valid"] is True and j["reason"]=="ok"' "--json: kind grant, valid, reason ok"
json valid.json 'j["claims"]["sub"]=="alice" and j["claims"]["jti"]=="grant-1" and j["claims"]["iss"]=="'"$ISS"'"' "--json: claims sub, jti, iss"
json valid.json 'j["claims"]["exp"]-j["claims"]["nbf"]==1800 and j["claims"]["iat"]=='"$NOW" "--json: exp = nbf + ttl, iat = --now"
json valid.json 'sorted(j["claims"]["scope"])==["ssh","sudo"] and j["claims"]["runas"]==["root"] and j["claims"]["aud"]==["env=prod,role=db"]' "--json: scope, runas default, aud"
json valid.json 'j["claims"]["ticket"]=="INC-4211" and j["claims"]["approver"]=="bob" and j["claims"]["reason"]=="disk full"' "--json: ticket, approver, reason"
run verify --trust ed.jwks --iss "$ISS" --now $((NOW + 3600)) --json "$G1"
cp out expired.json
[[ $rc -eq 1 ]] && pass "verify --json of an expired grant (exit 1)" || fail "verify --json expired exit $rc"
json expired.json 'j["valid"] is False and j["reason"]=="expired" and j["claims"]["sub"]=="alice"' "--json: expired grant has reason expired and its claims"
run "${V[@]}" --json "$TAMPERED"
cp out tampered.json
json tampered.json 'j["valid"] is False and j["reason"]=="signature" and "claims" not in j' "--json: tampered grant has reason signature and no claims"

run issue --key es.key --iss "$ISS" --sub bob --aud host=pay-db-1 --scope ssh --ttl 1h \
        --ticket CHG-1 --approver carol --now "$NOW"
ESG=$(cat out)
expect 0 "verify an ES256 grant" -- verify --trust es.jwks --iss "$ISS" --now $((NOW + 60)) --json "$ESG"
json out 'j["alg"]=="ES256" and j["claims"]["sub"]=="bob"' "ES256 grant carries alg ES256"

echo "# issue refuses what hosts would reject"
B=(issue --key ed.key --kid ed-1 --iss "$ISS" --ttl 30m --now "$NOW")
OK=(--sub alice --aud env=prod --scope ssh --ticket T-1 --approver bob)
expect 0 "the base issue command is accepted" -- "${B[@]}" "${OK[@]}"
expect 2 "issue with sub ../x" -- "${B[@]}" --sub ../x --aud env=prod --scope ssh --ticket T-1 --approver bob
expect 2 "issue with aud *" -- "${B[@]}" --sub alice --aud '*' --scope ssh --ticket T-1 --approver bob
expect 2 "issue with scope root" -- "${B[@]}" --sub alice --aud env=prod --scope root --ticket T-1 --approver bob
expect 2 "issue without --ticket" -- "${B[@]}" --sub alice --aud env=prod --scope ssh --approver bob
expect 2 "issue without --approver" -- "${B[@]}" --sub alice --aud env=prod --scope ssh --ticket T-1
expect 2 "issue without --aud" -- "${B[@]}" --sub alice --scope ssh --ticket T-1 --approver bob
expect 2 "issue with --runas ../root" -- "${B[@]}" "${OK[@]}" --scope sudo --runas ../root
expect 2 "issue with a ttl over --max-ttl" -- issue --key ed.key --kid ed-1 --iss "$ISS" --now "$NOW" "${OK[@]}" --ttl 2h --max-ttl 1h
expect 2 "issue with a ttl over the default max_grant_ttl (12h)" -- issue --key ed.key --kid ed-1 --iss "$ISS" --now "$NOW" "${OK[@]}" --ttl 13h
expect 0 "issue with a 13h ttl under --max-ttl 1d" -- issue --key ed.key --kid ed-1 --iss "$ISS" --now "$NOW" "${OK[@]}" --ttl 13h --max-ttl 1d
expect 2 "issue with a bad duration" -- issue --key ed.key --kid ed-1 --iss "$ISS" --now "$NOW" "${OK[@]}" --ttl 30x
expect 2 "issue with --bind other" -- "${B[@]}" "${OK[@]}" --bind other
ssh-keygen -q -t ed25519 -N '' -C alice@laptop -f sshkey
SSHKEY=$(cat sshkey.pub)
expect 0 "issue with a valid ssh key" -- "${B[@]}" "${OK[@]}" --ssh-key "$SSHKEY" --ssh-key-file sshkey.pub
T=$(cat out)
run verify --trust ed.jwks --iss "$ISS" --now $((NOW + 60)) --json "$T"
export SSHKEY
json out 'j["claims"]["keys"]==[os.environ["SSHKEY"]]*2' "the ssh keys from --ssh-key and --ssh-key-file are in the grant"
expect 2 "issue with an ssh key containing a newline" -- "${B[@]}" "${OK[@]}" --ssh-key "$SSHKEY"$'\n'"$SSHKEY"
expect 2 "issue with an ssh key with options" -- "${B[@]}" "${OK[@]}" --ssh-key "command=\"/bin/sh\" $SSHKEY"
printf '%s\n%s\n' "$SSHKEY" "$SSHKEY" >two.pub
expect 2 "issue with a two-line ssh key file" -- "${B[@]}" "${OK[@]}" --ssh-key-file two.pub
expect 3 "issue with an unreadable key" -- issue --key missing.key --iss "$ISS" --ttl 30m "${OK[@]}"

echo "# revoke"
mkdir -p store/grants
expect 2 "revoke an invalid jti" -- revoke --store store 'bad jti'
expect 2 "revoke with --until in the past" -- revoke --store store --now "$NOW" --until $((NOW - 1)) x
"$JITCTL" "${ISSUE[@]}" --jti grant-revoked --out store/grants/revoked.jwt >/dev/null
expect 0 "revoke a grant" -- revoke --store store --now "$NOW" grant-revoked
contains out "grant-revoked revoked" "revoke says what it did"
contains out "jitctl publish" "revoke says to publish"
expect 0 "revoke the same grant again" -- revoke --store store --now "$NOW" grant-revoked
n=$(grep -c '^grant-revoked ' store/revoked)
if [[ $n == 1 ]]; then pass "revoking twice keeps one line"; else fail "revoking twice left $n lines"; fi
until_=$(awk '$1=="grant-revoked"{print $2}' store/revoked)
if [[ $until_ == $((NOW + 1800 + 3600)) ]]; then pass "revocation kept until the grant's exp + 1h"; else fail "revocation until $until_"; fi
expect 0 "revoke an unknown grant" -- revoke --store store --now "$NOW" ghost-1
if [[ $(awk '$1=="ghost-1"{print $2}' store/revoked) == $((NOW + 30 * 86400)) ]]; then pass "unknown grant revoked for 30 days"; else fail "ghost-1 until wrong"; fi
expect 0 "revoke with an explicit --until" -- revoke --store store --now $((NOW - 100)) --until $((NOW - 10)) old-1
if [[ $(awk '$1=="old-1"{print $2}' store/revoked) == $((NOW - 10)) ]]; then pass "--until is kept"; else fail "old-1 until wrong"; fi
echo "# a comment" >>store/revoked

echo "# publish"
"$JITCTL" "${ISSUE[@]}" --jti grant-ok --out store/grants/ok.jwt >/dev/null
"$JITCTL" "${ISSUE[@]}" --jti grant-expired --now $((NOW - 7200)) --out store/grants/expired.jwt >/dev/null
"$JITCTL" "${ISSUE[@]}" --jti grant-later --not-before +2h --out store/grants/later.jwt >/dev/null
echo "garbage.token.here" >store/grants/bad.jwt
"$JITCTL" issue --key es.key --iss "$ISS" --sub eve --aud env=prod --scope ssh --ttl 30m --ticket T --approver A \
        --now "$NOW" --out store/grants/untrusted.jwt >/dev/null
echo "not a grant" >store/grants/README.txt
P=(publish --store store --key ed.key --kid ed-1 --iss "$ISS" --trust ed.jwks --now "$NOW")
expect 0 "publish serial 1" -- "${P[@]}"
contains out "head serial 1:" "first head has serial 1"
contains out "3 grants in 1 shard (1 new)" "publish counts grants and shards (one bin: env=prod)"
contains out "2 revoked, 1 expired dropped, 2 invalid skipped" "publish counts revoked, expired, invalid"
contains out "1 revoked grant kept" "publish keeps the revoked grant (its id listed as revoked)"
contains err "dropped expired grant grant-expired (alice, expired at" "publish reports the expired grant"
contains err "skipping grants/bad.jwt" "publish names the invalid grant file"
contains err "skipping grants/untrusted.jwt" "publish names the grant signed by an untrusted key"
if grep -q README err; then fail "publish read README.txt"; else pass "publish ignores files not named *.jwt"; fi
mkdir -p one/grants
cp store/grants/ok.jwt one/grants/
expect 0 "publish a store with one grant" -- publish --store one --key ed.key --kid ed-1 --iss "$ISS" --trust ed.jwks --now "$NOW"
contains out "head serial 1: 1 grant in 1 shard (" "one grant is '1 grant', not '1 grants'"
mode store/head.jwt 644
[[ -e store/grants/expired.jwt ]] && pass "without --prune the expired file stays" || fail "expired file deleted without --prune"
objs_named_by_digest() { for f in store/objects/*; do [[ $(sha256sum <"$f" | cut -c1-64) == $(basename "$f") ]] || return 1; done; }
objs_named_by_digest && pass "every object is named by the SHA-256 of its bytes" || fail "an object is not named by its digest"
mode "$(ls store/objects/* | head -1)" 644
obj_has() { grep -qF "$(cat "store/grants/$1")" store/objects/*; }
obj_has ok.jwt && obj_has later.jwt && obj_has revoked.jwt && pass "the shards hold the valid, the not-yet-valid and the revoked grant" || fail "a grant is missing from the shards"
obj_has expired.jwt && fail "the expired grant is in a shard" || pass "the expired grant is in no shard"
run verify --trust ed.jwks --iss "$ISS" --now $((NOW + 60)) --json --file store/head.jwt
cp out head1.json
[[ $rc -eq 0 ]] && pass "verify the head (exit 0)" || fail "verify head exit $rc"
json head1.json 'j["kind"]=="head" and j["valid"] is True and j["serial"]==1 and j["fresh"] is True and j["shards"]==1 and j["bins"]==64' "head is valid, fresh, serial 1, one shard in 64 bins"
json head1.json 'j["revoked"]==["ghost-1","grant-revoked"]' "head lists revocations in effect (old-1 ended before NOW)"
json head1.json 'j["exp"]-j["iat"]==900' "head is fresh for 15 min by default"
"$PY" - store/head.jwt "$NOW" <<'EOF' && pass "each revocation is listed with its time (the grant's exp + 1 h; ghost-1 30 days)" || fail "revocation times in the head"
import base64, json, sys
t = open(sys.argv[1]).read().split(".")[1]
c = json.loads(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)))
now = int(sys.argv[2])
r = dict(c["revoked"])
sys.exit(0 if r["ghost-1"] == now + 30 * 86400 and r["grant-revoked"] == now + 1800 + 3600 else 1)
EOF
expect 0 "verify the head in words" -- verify --trust ed.jwks --iss "$ISS" --now $((NOW + 60)) --file store/head.jwt --fact env=prod --fact host=h1
contains out "head serial 1" "human output names the head serial"
contains out "this host   fetches 1 shards" "verify with facts says which shards the host fetches"
expect 1 "verify a stale head" -- verify --trust ed.jwks --iss "$ISS" --now $((NOW + 3600)) --file store/head.jwt
contains out "stale" "verify says the head is stale"
printf 'host=h1,env=prod\nhost=h2,env=dev\n# a comment\n\nhost=h3,env=prod,role=db\n' >facts.txt
expect 0 "store plan" -- store plan --store store --facts-file facts.txt
OBJ1=$(basename store/objects/*)
HEAD_SIZE=$(stat -c %s store/head.jwt)
OBJ_SIZE=$(stat -c %s "store/objects/$OBJ1")
contains out "1 head.jwt:$HEAD_SIZE $OBJ1:$OBJ_SIZE" "plan: an env=prod host fetches the head and the env=prod shard"
contains out "2 head.jwt:$HEAD_SIZE" "plan: an env=dev host fetches the head"
if grep -q "^2 .*$OBJ1" out; then fail "plan: the env=dev host fetches the env=prod shard"; else pass "plan: the env=dev host does not fetch the env=prod shard"; fi
contains out "5 head.jwt:$HEAD_SIZE $OBJ1:$OBJ_SIZE" "plan: line numbers count comments and blank lines"
expect 0 "store plan --totals" -- store plan --store store --facts-file facts.txt --totals
contains out "1 2 $((HEAD_SIZE + OBJ_SIZE))" "plan --totals: objects and bytes per host"
printf 'host=h1,env\n' >facts-bad.txt
expect 3 "store plan refuses a malformed facts line" -- store plan --store store --facts-file facts-bad.txt
contains err "facts-bad.txt:1:" "plan names the file and line"

expect 0 "publish serial 2 with --prune" -- "${P[@]}" --prune --head-ttl 1h
contains out "head serial 2:" "second head has serial 2"
[[ ! -e store/grants/expired.jwt ]] && pass "--prune deleted the expired grant file" || fail "--prune kept the expired file"
[[ -e store/grants/ok.jwt && -e store/grants/bad.jwt ]] && pass "--prune kept the other files" || fail "--prune deleted too much"
run verify --trust ed.jwks --iss "$ISS" --now $((NOW + 60)) --json --file store/head.jwt
json out 'j["serial"]==2 and j["exp"]-j["iat"]==3600' "head 2 verifies with serial 2 and the given head ttl"

rm store/grants/bad.jwt store/grants/untrusted.jwt
expect 0 "publish with only good grants" -- "${P[@]}"
contains out "head serial 3: 3 grants in 1 shard (0 new)" "serial 3: the same grants, the same shard, nothing new written"
contains out "2 revoked, 0 expired dropped, 0 invalid skipped" "serial 3 counts"

# A grant goes: its shard is rewritten; the old object is retired, kept for
# the grace, then pruned.
OLD_OBJ=$(basename store/objects/*)
mv store/grants/later.jwt later.jwt.keep
expect 0 "publish without one grant" -- "${P[@]}"
contains out "1 retired object kept for the grace, 0 pruned" "the superseded object is kept"
[[ -e store/objects/$OLD_OBJ ]] && pass "the old object is still served (hosts may be fetching it)" || fail "old object gone at once"
grep -q "^$OLD_OBJ $NOW\$" store/retired && pass "store/retired notes when it was retired" || fail "store/retired: $(cat store/retired)"
expect 0 "publish --prune within the grace" -- "${P[@]}" --prune
[[ -e store/objects/$OLD_OBJ ]] && pass "--prune keeps an object retired less than --grace ago" || fail "--prune removed an object inside the grace"
expect 0 "publish --prune after the grace" -- publish --store store --key ed.key --kid ed-1 --iss "$ISS" --trust ed.jwks --now $((NOW + 601)) --grace 10m --prune
contains out "0 retired objects kept for the grace, 1 pruned" "--prune deletes the object retired longer than --grace ago"
[[ ! -e store/objects/$OLD_OBJ ]] && pass "the retired object is gone" || fail "retired object kept after the grace"
[[ $(ls store/objects | wc -l) -eq 1 ]] && pass "the head's own object stays" || fail "objects: $(ls store/objects)"
mv later.jwt.keep store/grants/later.jwt

# Web servers make a folder's ETag of mtime seconds and size: two heads of
# one size in one second must still differ in mtime, or hosts get a 304.
expect 0 "publish again (same grants)" -- "${P[@]}"
m1=$(stat -c %Y store/head.jwt)
s1=$(stat -c %s store/head.jwt)
expect 0 "publish again within the same second" -- "${P[@]}"
m2=$(stat -c %Y store/head.jwt)
s2=$(stat -c %s store/head.jwt)
if ((s1 == s2 && m2 > m1)); then pass "a head of the same size gets a later mtime ($m1 -> $m2)"; else fail "head mtime $m1 -> $m2, size $s1 -> $s2"; fi

cp store/head.jwt good-head.jwt
echo "corrupt" >store/head.jwt
expect 3 "publish refuses when head.jwt is corrupt" -- "${P[@]}"
contains err "rollback" "publish explains why it refuses"
if [[ $(cat store/head.jwt) == corrupt ]]; then pass "the corrupt head.jwt was not replaced"; else fail "corrupt head.jwt replaced"; fi
cp good-head.jwt store/head.jwt

cp store/revoked revoked.bak
echo "this line is wrong" >>store/revoked
expect 3 "publish refuses a malformed revoked file" -- "${P[@]}"
contains err "revoked:" "publish names the revoked file and line"
cp revoked.bak store/revoked

expect 3 "publish when the signing key is not in --trust" -- publish --store store --key es.key --iss "$ISS" --trust ed.jwks --now "$NOW"
contains err "does not verify as hosts would" "publish's self-check catches a key hosts do not trust"
run verify --trust ed.jwks --iss "$ISS" --now $((NOW + 700)) --json --file store/head.jwt
json out 'j["serial"]==8' "the failed publish left head serial 8 in place"
expect 2 "publish without --trust" -- publish --store store --key ed.key --iss "$ISS"

summary
