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
contains out "bundle serial 1:" "first bundle has serial 1"
contains out "3 grants, 2 revoked, 1 expired dropped, 2 invalid skipped" "publish counts grants, revoked, expired, invalid"
contains out "1 revoked grant kept" "publish keeps the revoked grant (its id listed as revoked)"
contains err "dropped expired grant grant-expired (alice, expired at" "publish reports the expired grant"
contains err "skipping grants/bad.jwt" "publish names the invalid grant file"
contains err "skipping grants/untrusted.jwt" "publish names the grant signed by an untrusted key"
if grep -q README err; then fail "publish read README.txt"; else pass "publish ignores files not named *.jwt"; fi
mkdir -p one/grants
cp store/grants/ok.jwt one/grants/
expect 0 "publish a store with one grant" -- publish --store one --key ed.key --kid ed-1 --iss "$ISS" --trust ed.jwks --now "$NOW"
contains out "bundle serial 1: 1 grant, 0 revoked" "one grant is '1 grant', not '1 grants'"
mode store/bundle.jwt 644
[[ -e store/grants/expired.jwt ]] && pass "without --prune the expired file stays" || fail "expired file deleted without --prune"
run verify --trust ed.jwks --iss "$ISS" --now $((NOW + 60)) --json --file store/bundle.jwt
cp out bundle1.json
[[ $rc -eq 0 ]] && pass "verify the bundle (exit 0)" || fail "verify bundle exit $rc"
json bundle1.json 'j["kind"]=="bundle" and j["valid"] is True and j["serial"]==1 and j["fresh"] is True' "bundle is valid, fresh, serial 1"
json bundle1.json 'sorted(g["jti"] for g in j["grants"])==["grant-later","grant-ok","grant-revoked"]' "bundle holds the valid, the not-yet-valid and the revoked grant, not the expired one"
json bundle1.json 'all(g["reason"]=="revoked" and not g["valid"] for g in j["grants"] if g["jti"]=="grant-revoked") and "grant-revoked" in j["revoked"]' "the revoked grant is listed as revoked and reported so"
json bundle1.json 'j["revoked"]==["ghost-1","grant-revoked"]' "bundle lists revocations in effect (old-1 ended before NOW)"
json bundle1.json '[g["valid"] for g in j["grants"] if g["jti"]=="grant-later"]==[False] and [g["reason"] for g in j["grants"] if g["jti"]=="grant-later"]==["not-yet-valid"]' "verify explains the not-yet-valid grant inside the bundle"
json bundle1.json 'j["exp"]-j["iat"]==900' "bundle is fresh for 15 min by default"
expect 0 "verify the bundle in words" -- verify --trust ed.jwks --iss "$ISS" --now $((NOW + 60)) --file store/bundle.jwt
contains out "bundle serial 1" "human output names the bundle serial"
expect 1 "verify a stale bundle" -- verify --trust ed.jwks --iss "$ISS" --now $((NOW + 3600)) --file store/bundle.jwt
contains out "stale" "verify says the bundle is stale"

expect 0 "publish serial 2 with --prune" -- "${P[@]}" --prune --bundle-ttl 1h
contains out "bundle serial 2:" "second bundle has serial 2"
[[ ! -e store/grants/expired.jwt ]] && pass "--prune deleted the expired grant file" || fail "--prune kept the expired file"
[[ -e store/grants/ok.jwt && -e store/grants/bad.jwt ]] && pass "--prune kept the other files" || fail "--prune deleted too much"
run verify --trust ed.jwks --iss "$ISS" --now $((NOW + 60)) --json --file store/bundle.jwt
json out 'j["serial"]==2 and j["exp"]-j["iat"]==3600' "bundle 2 verifies with serial 2 and the given bundle ttl"

rm store/grants/bad.jwt store/grants/untrusted.jwt
expect 0 "publish with only good grants" -- "${P[@]}"
contains out "bundle serial 3: 3 grants, 2 revoked, 0 expired dropped, 0 invalid skipped" "serial 3 counts"

cp store/bundle.jwt good-bundle.jwt
echo "corrupt" >store/bundle.jwt
expect 3 "publish refuses when bundle.jwt is corrupt" -- "${P[@]}"
contains err "rollback" "publish explains why it refuses"
if [[ $(cat store/bundle.jwt) == corrupt ]]; then pass "the corrupt bundle.jwt was not replaced"; else fail "corrupt bundle.jwt replaced"; fi
cp good-bundle.jwt store/bundle.jwt

cp store/revoked revoked.bak
echo "this line is wrong" >>store/revoked
expect 3 "publish refuses a malformed revoked file" -- "${P[@]}"
contains err "revoked:" "publish names the revoked file and line"
cp revoked.bak store/revoked

expect 3 "publish when the signing key is not in --trust" -- publish --store store --key es.key --iss "$ISS" --trust ed.jwks --now "$NOW"
contains err "does not verify as hosts would" "publish's self-check catches a key hosts do not trust"
run verify --trust ed.jwks --iss "$ISS" --now $((NOW + 60)) --json --file store/bundle.jwt
json out 'j["serial"]==3' "the failed publish left bundle serial 3 in place"
expect 2 "publish without --trust" -- publish --store store --key ed.key --iss "$ISS"

summary
