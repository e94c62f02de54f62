#!/bin/sh
# Make the demo and test PKI into OUTDIR at build time, so that no private
# key is ever committed.  Everything is EC P-256; validity is long enough that
# a build tree does not expire under its user.
#
#   ca.crt ca.key              root CA trusted by the demo and tests
#   server.crt server.key      CN=localhost, SAN localhost/127.0.0.1, serverAuth;
#                              server.key is encrypted (PKCS#8, AES-256) with
#                              the random password in server.pass (mode 0600)
#   server-plain.key           the same key, unencrypted
#   client.crt client.key      CN=sslplug-client, clientAuth
#   other-ca.crt other-ca.key  a CA nobody trusts
#   rogue.crt rogue.key        CN=localhost issued by other-ca
#   self.crt self.key          self-signed CN=localhost
#   int-ca.crt int-ca.key      intermediate CA issued by ca (pathlen 0)
#   client-int.crt .key        CN=sslplug-chain-client, clientAuth, issued by int-ca;
#                              client-int-chain.pem = leaf + int-ca (what a client sends)
#   alt.crt alt.key            CN=alt.example, SAN alt.example, serverAuth, issued by ca
#                              (a second virtual host for SNI tests)
#   server.ocsp.der alt.ocsp.der  DER OCSP responses, "good", signed by ca and
#                              valid for 10 years: the staples the
#                              ocsp_staple_file example serves
#
# Leaves issued by ca that each break one verification rule (verify_* plugin
# tests); subject O=sslplug policy, CN=localhost, SAN localhost/127.0.0.1,
# serverAuth, 10 years, EC P-256, SHA-256, unless said otherwise:
#   expired.crt .key           valid 2020-01-01 to 2021-01-01 only
#   rsa1024.crt .key           an RSA-1024 key
#   sha1.crt .key              signed with ecdsa-with-SHA1
#   long.crt .key              valid exactly 1826 days (5 years) from 00:00 UTC
#                              of the build day
#   noeku.crt .key             no extendedKeyUsage extension at all
#   svc.crt .key               CN=api.svc.local (O=sslplug demo), SAN
#                              api.svc.local, localhost, 127.0.0.1
#   client2.crt .key           CN=sslplug-client2 (O=sslplug demo), clientAuth,
#                              SAN DNS:client2.example.com, IP:10.0.0.2,
#                              email:client2@example.com,
#                              URI:spiffe://example.com/client2
set -eu
out=$1
openssl=${OPENSSL:-openssl}
mkdir -p "$out"
cd "$out"
umask 077

days=3650
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256"

cat > ext.cnf <<'CNF'
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[alt]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:alt.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

mkca() { # name subject
    $openssl req -x509 -new $ec -nodes -keyout "$1.key" -out "$1.crt" \
        -subj "$2" -days $days -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

mkleaf() { # name subject issuer extsection
    $openssl req -new $ec -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
    $openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
        -out "$1.crt" -days $days -extfile ext.cnf -extensions "$4" 2>/dev/null
    rm -f "$1.csr"
}

mkca ca "/O=sslplug demo/CN=sslplug demo CA"
mkca other-ca "/O=sslplug elsewhere/CN=untrusted CA"
mkleaf server "/O=sslplug demo/CN=localhost" ca server
mkleaf client "/O=sslplug demo/CN=sslplug-client" ca client
mkleaf rogue "/O=sslplug elsewhere/CN=localhost" other-ca server
$openssl req -x509 -new $ec -nodes -keyout self.key -out self.crt \
    -subj "/O=sslplug self/CN=localhost" -days $days \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null

mkleaf int-ca "/O=sslplug demo/CN=sslplug intermediate CA" ca intermediate
mkleaf client-int "/O=sslplug demo/CN=sslplug-chain-client" int-ca client
cat client-int.crt int-ca.crt > client-int-chain.pem
mkleaf alt "/O=sslplug demo/CN=alt.example" ca alt

# A "good" OCSP response for each server leaf, made the way an operator
# makes one: openssl ocsp answering a request from the CA's database.
mkstaple() { # name
    serial=$($openssl x509 -in "$1.crt" -noout -serial | sed 's/^serial=//')
    subject=$($openssl x509 -in "$1.crt" -noout -subject -nameopt compat | sed 's/^subject=//')
    printf 'V\t%s\t\t%s\tunknown\t%s\n' "$($openssl x509 -in "$1.crt" -noout -enddate |
        sed 's/^notAfter=//' | xargs -I{} date -u -d {} +%y%m%d%H%M%SZ)" "$serial" "$subject" \
        > ocsp-index.txt
    $openssl ocsp -issuer ca.crt -cert "$1.crt" -no_nonce -reqout ocsp-req.der 2>/dev/null
    $openssl ocsp -index ocsp-index.txt -rsigner ca.crt -rkey ca.key -CA ca.crt \
        -reqin ocsp-req.der -respout "$1.ocsp.der" -ndays $days >/dev/null 2>&1
    rm -f ocsp-index.txt ocsp-req.der
}
mkstaple server
mkstaple alt

# The server key is kept encrypted with a random password.
$openssl rand -base64 18 | tr -d '\n' > server.pass
mv server.key server-plain.key
$openssl pkcs8 -topk8 -v2 aes-256-cbc -in server-plain.key -out server.key \
    -passout file:server.pass
chmod 600 server.pass
chmod 644 ./*.crt ./*.pem ./*.ocsp.der
rm -f ./*.srl ext.cnf

# Leaves that break one verification rule each, for the verify_* plugin
# tests.  Issued by ca with `openssl ca` and a throwaway database, which can
# set exact start and end dates (x509 -days cannot backdate).
cat > policy.cnf <<'CNF'
[ca]
default_ca = ca_policy
[ca_policy]
database = policy-db/index.txt
serial = policy-db/serial
new_certs_dir = policy-db
default_md = sha256
policy = ca_anything
unique_subject = no
[ca_anything]
commonName = supplied
organizationName = optional
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[noeku]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[svc]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:api.svc.local, DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client2]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:client2.example.com, IP:10.0.0.2, email:client2@example.com, URI:spiffe://example.com/client2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
rm -rf policy-db
mkdir policy-db
: > policy-db/index.txt
echo 1000 > policy-db/serial

# name subject extsection keyopts startdate enddate [digest]
mkpolicy() {
    $openssl req -new $4 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
    $openssl ca -batch -config policy.cnf -cert ca.crt -keyfile ca.key -in "$1.csr" \
        -out "$1.crt" -extfile policy.cnf -extensions "$3" -startdate "$5" -enddate "$6" \
        -md "${7:-sha256}" -preserveDN -notext 2>/dev/null
    rm -f "$1.csr"
}

today=$(date -u +%Y%m%d000000Z)
mkpolicy expired "/O=sslplug policy/CN=localhost" server "$ec" 20200101000000Z 20210101000000Z
mkpolicy rsa1024 "/O=sslplug policy/CN=localhost" server "-newkey rsa:1024" "$today" \
    "$(date -u -d '+3650 days' +%Y%m%d000000Z)"
mkpolicy sha1 "/O=sslplug policy/CN=localhost" server "$ec" "$today" \
    "$(date -u -d '+3650 days' +%Y%m%d000000Z)" sha1
mkpolicy long "/O=sslplug policy/CN=localhost" server "$ec" "$today" \
    "$(date -u -d '+1826 days' +%Y%m%d000000Z)"
mkpolicy noeku "/O=sslplug policy/CN=localhost" noeku "$ec" "$today" \
    "$(date -u -d '+3650 days' +%Y%m%d000000Z)"
mkpolicy svc "/O=sslplug demo/CN=api.svc.local" svc "$ec" "$today" \
    "$(date -u -d '+3650 days' +%Y%m%d000000Z)"
mkpolicy client2 "/O=sslplug demo/CN=sslplug-client2" client2 "$ec" "$today" \
    "$(date -u -d '+3650 days' +%Y%m%d000000Z)"
chmod 644 expired.crt rsa1024.crt sha1.crt long.crt noeku.crt svc.crt client2.crt
rm -rf policy-db policy.cnf

# vhosts/: NAME.crt and NAME.key pairs, the directory the cert_select_sni
# example serves from (config/examples/cert-select-sni.json).
mkdir -p vhosts
cp server.crt vhosts/localhost.crt
cp server-plain.key vhosts/localhost.key
cp alt.crt vhosts/alt.crt
cp alt.key vhosts/alt.key
chmod 644 vhosts/*.crt
