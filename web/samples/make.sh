#!/bin/sh
# Regenerates the dashboard's built-in samples (the "Try the samples" button). Every key is made
# in a temporary directory and deleted; only certificates are kept. The samples are judged as of
# 2026-06-01 (SAMPLE_DATE in web/src/samples.rs), when the good leaf is a month into its 90 days.
# Run from this directory: sh make.sh
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir -p db/new && touch db/index.txt && echo 1000 > db/serial
cat > ca.cnf <<'CNF'
[ca]
default_ca = sample
[sample]
dir = .
database = db/index.txt
new_certs_dir = db/new
serial = db/serial
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
organizationName = optional
[root]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[issuing]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
# One server-certificate profile per sample host.
for host in www api staging legacy; do
  cat >> ca.cnf <<CNF
[$host]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:$host.tlscope.example
CNF
done
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
csr() { openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"; }
# sign NAME ISSUER EXTENSIONS START END DIGEST
sign() {
  openssl ca -batch -config ca.cnf -cert "$2.pem" -keyfile "$2.key" -in "$1.csr" -out "$1.pem" \
    -extensions "$3" -startdate "$4" -enddate "$5" -md "$6" -notext 2>/dev/null
}
key root
csr root "/O=tlscope samples/CN=tlscope Sample Root CA"
openssl ca -batch -config ca.cnf -selfsign -keyfile root.key -in root.csr -out root.pem \
  -extensions root -startdate 20250101000000Z -enddate 20350101000000Z -md sha256 -notext 2>/dev/null
key issuing; csr issuing "/O=tlscope samples/CN=tlscope Sample Issuing CA"
sign issuing root issuing 20260101000000Z 20310101000000Z sha256
key sha1ca; csr sha1ca "/O=tlscope samples/CN=tlscope Sample Legacy CA (SHA-1)"
sign sha1ca root issuing 20260101000000Z 20310101000000Z sha1
key www; csr www "/CN=www.tlscope.example"
sign www issuing www 20260501000000Z 20260730000000Z sha256
key api; csr api "/CN=api.tlscope.example"
sign api issuing api 20260101000000Z 20260331000000Z sha256
key staging; csr staging "/CN=staging.tlscope.example"
sign staging issuing staging 20260501000000Z 20260730000000Z sha256
key legacy; csr legacy "/CN=legacy.tlscope.example"
sign legacy sha1ca legacy 20260501000000Z 20260730000000Z sha256
out=$OLDPWD
pem() { openssl x509 -in "$1.pem"; }
pem root > "$out/root.pem"
{ pem www; pem issuing; } > "$out/good-chain.pem"
{ pem api; pem issuing; } > "$out/expired-leaf.pem"
{ pem staging; pem issuing; } > "$out/wrong-host.pem"
{ pem legacy; pem sha1ca; } > "$out/sha1-intermediate.pem"
