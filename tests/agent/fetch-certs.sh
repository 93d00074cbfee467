#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Test PKI for test-fetch: a CA, a server certificate for IP 127.0.0.1, a
# client certificate from the same CA, and an unrelated CA. Also the curl
# pins ("sha256//…") of the server key and of the other CA's key.
set -eu
dir=$1
openssl=${OPENSSL:-openssl}
cd "$dir"

days=2
"$openssl" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout ca.key -out ca.pem -days $days -subj "/CN=jit test CA" 2>/dev/null
"$openssl" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout other-ca.key -out other-ca.pem -days $days -subj "/CN=jit other CA" 2>/dev/null

printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
"$openssl" req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
"$openssl" x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
        -days $days -extfile server.ext -out server.pem 2>/dev/null

printf 'extendedKeyUsage=clientAuth\n' >client.ext
"$openssl" req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout client.key -out client.csr -subj "/CN=jit test host" 2>/dev/null
"$openssl" x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
        -days $days -extfile client.ext -out client.pem 2>/dev/null

pin() {
        printf 'sha256//%s' "$("$openssl" pkey -in "$1" -pubout |
                "$openssl" pkey -pubin -outform der |
                "$openssl" dgst -sha256 -binary | base64 -w0)"
}
pin server.key >pin-server
pin other-ca.key >pin-other
