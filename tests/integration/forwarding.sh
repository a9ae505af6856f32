#!/usr/bin/env bash
# Forwarding done right, and the facts platform teams ask of a record:
# X-Forwarded-For/Proto/Host/Prefix and Forwarded reach Glance only from a
# configured trusted front (Glance, with enable_proxy_headers_parsing as
# behind a TLS-terminating HAProxy, then links https://), anyone else's
# are removed; the record holds the client's address (after a trusted
# front), its user agent, the import method and URI, and the status the
# client got.
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/lib.sh
. tests/stack-lib.sh
printf '[oslo_middleware]\nenable_proxy_headers_parsing = true\n' >"$TMP/proxy-headers.conf"
export STACK_GLANCE_EXTRA_CONF=$TMP/proxy-headers.conf
stack_up

TADMIN=$(token stack-admin)
proxy_start plain "mode: enforce"
PLAIN=$PROXY_URL; PLAIN_LOG=$PROXY_LOG
proxy_start trusting "mode: enforce" "trusted_fronts: [127.0.0.1/32, '::1', 192.0.2.0/24]"
TRUSTING=$PROXY_URL

# href ENDPOINT HEADER...: the first link of Glance's version document
href() {
	local url=$1; shift
	curl -s "$url/versions" "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["versions"][0]["links"][0]["href"])'
}
h=$(href "$TRUSTING" -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-Host: images.example.org')
check "trusted front: Glance links with its scheme and host ($h)" test "${h#https://images.example.org/}" != "$h"
h=$(href "$TRUSTING" -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-Host: images.example.org' -H 'X-Forwarded-Prefix: /image')
check "trusted front: ... and its prefix ($h)" test "${h#https://images.example.org/image/v2}" != "$h"
h=$(href "$TRUSTING" -H 'Forwarded: proto=https;host=fwd.example.org')
check "trusted front: Forwarded reaches Glance too ($h)" test "${h#https://fwd.example.org/}" != "$h"
h=$(href "$PLAIN" -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-Host: evil.example' -H 'Forwarded: proto=https;host=evil.example')
check "untrusted peer: its forwarding fields are removed ($h)" test "${h#"$PLAIN"/}" != "$h"
code=$(curl -s -o /dev/null -w '%{http_code}' "$TRUSTING/versions" -H 'X-Forwarded-Proto: gopher')
check "X-Forwarded-Proto other than http or https: 400 (HTTP $code)" test "$code" = 400
code=$(curl -s -o /dev/null -w '%{http_code}' "$TRUSTING/versions" -H 'X-Forwarded-For: 198.51.100.1' -H 'X-Forwarded-For: 203.0.113.7')
check "X-Forwarded-For repeated (a chain of fronts): taken (HTTP $code)" test "$code" = 200

# -- the record -------------------------------------------------------------------------------------
create() { curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$1/v2/images" -H "X-Auth-Token: $TADMIN" \
	-H 'Content-Type: application/json' -H 'User-Agent: forwarding-test/1.0' "${@:3}" --data "$2"; }
code=$(create "$TRUSTING" '{"name":"fwd-a","visibility":"private"}' -H 'X-Forwarded-For: 198.51.100.9, 203.0.113.7')
check "trusted front: created (HTTP $code)" test "$code" = 201
check "record: the client named by the trusted front, its user agent, the status" last_record \
	'r["client"] == "203.0.113.7" and r["user_agent"] == "forwarding-test/1.0" and r["status"] == 201' POST
code=$(create "$TRUSTING" '{"name":"fwd-b","visibility":"private"}' -H 'X-Forwarded-For: 203.0.113.7, 192.0.2.44')
check "record: trusted fronts in the chain are skipped (HTTP $code)" last_record 'r["client"] == "203.0.113.7"' POST
PROXY_LOG=$PLAIN_LOG
code=$(create "$PLAIN" '{"name":"Ubuntu 24.04","visibility":"public","image_source":"https://evil.example/x.img"}' \
	-H 'X-Forwarded-For: 203.0.113.7')
check "untrusted peer: refused (HTTP $code)" test "$code" = 403
check "record: the peer's own address, the refusal's status" last_record \
	'r["client"] == "127.0.0.1" and r["status"] == 403 and r["decision"] == "deny"' POST
id=$(glance_create "$TADMIN" '{"name":"fwd-import","visibility":"private","disk_format":"raw","container_format":"bare"}')
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$PLAIN/v2/images/$id/import" -H "X-Auth-Token: $TADMIN" \
	-H 'Content-Type: application/json' --data '{"method":{"name":"web-download","uri":"http://127.0.0.1:1/fwd.img"}}')
check "web-download import through the proxy (HTTP $code)" test "$code" = 202
check "record: the import's method and URI, and the status" last_record \
	'r["import"] == {"method": "web-download", "uri": "http://127.0.0.1:1/fwd.img"} and r["status"] == 202' POST

# -- the TLS listener ----------------------------------------------------------------------------------
# a test CA; two server certificates (the second replaces the first on
# SIGHUP) and a client's
mkdir -p "$TMP/tls"
key() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/tls/$1.key" "${@:2}" 2>/dev/null; }
key ca -x509 -out "$TMP/tls/ca.pem" -days 2 -subj /CN=test-ca
leaf() {
	key "$1" -out "$TMP/tls/$1.csr" -subj "/CN=$1"
	printf 'subjectAltName=IP:127.0.0.1\n' >"$TMP/tls/ext"
	openssl x509 -req -in "$TMP/tls/$1.csr" -CA "$TMP/tls/ca.pem" -CAkey "$TMP/tls/ca.key" -CAcreateserial \
		-out "$TMP/tls/$1.pem" -days 2 -extfile "$TMP/tls/ext" 2>/dev/null
}
leaf first; leaf second; leaf client
cp "$TMP/tls/first.pem" "$TMP/tls/server.pem"; cp "$TMP/tls/first.key" "$TMP/tls/server.key"
proxy_start tls "mode: enforce" "tls: {certificate: $TMP/tls/server.pem, key: $TMP/tls/server.key}"
TLS=https://127.0.0.1:${PROXY_URL##*:}; TLS_PID=$PROXY_PID
check "TLS listener: the start line says so" grep -q "listening on 127.0.0.1:${PROXY_URL##*:} (TLS)" "$TMP/tls.err"
subject() { curl -sv -o /dev/null --cacert "$TMP/tls/ca.pem" "$TLS/versions" 2>&1 | sed -n 's/^\*  subject: //p'; }
check "TLS listener: answers over TLS with its certificate ($(subject))" test "$(subject)" = "CN=first"
check "TLS listener: plain HTTP is not answered" sh -c "! curl -sf -o /dev/null 'http://127.0.0.1:${PROXY_URL##*:}/versions'"
id=$(glance_create "$TADMIN" '{"name":"tls-upload","visibility":"private","disk_format":"raw","container_format":"bare"}')
head -c 3000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --limit-rate 1M --cacert "$TMP/tls/ca.pem" \
	-X PUT "$TLS/v2/images/$id/file" -H "X-Auth-Token: $TADMIN" -H 'Content-Type: application/octet-stream' \
	-T - >"$TMP/tls-upload.code" &
UPLOAD=$!
sleep 1
cp "$TMP/tls/second.pem" "$TMP/tls/server.pem"; cp "$TMP/tls/second.key" "$TMP/tls/server.key"
kill -HUP "$TLS_PID"
for _ in $(seq 50); do grep -q "TLS certificate reloaded" "$TMP/tls.err" && break; sleep 0.1; done
check "SIGHUP: new connections get the new certificate ($(subject))" test "$(subject)" = "CN=second"
wait "$UPLOAD"
check "SIGHUP: the upload open meanwhile was not dropped (HTTP $(cat "$TMP/tls-upload.code"))" \
	test "$(cat "$TMP/tls-upload.code")" = 204
check "... and Glance holds all of it" test "$(glance_field "$id" size)" = 3000000
proxy_start tlsca "mode: enforce" "tls: {certificate: $TMP/tls/first.pem, key: $TMP/tls/first.key, client_ca: $TMP/tls/ca.pem}"
TLSCA=https://127.0.0.1:${PROXY_URL##*:}
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/tls/ca.pem" "$TLSCA/v2/images" -H "X-Auth-Token: $TADMIN")
check "client CA: a client without a certificate is refused (HTTP $code)" test "$code" = 403
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/tls/ca.pem" --cert "$TMP/tls/client.pem" \
	--key "$TMP/tls/client.key" "$TLSCA/v2/images" -H "X-Auth-Token: $TADMIN")
check "client CA: a client with a certificate it signed is served (HTTP $code)" test "$code" = 200

records_valid "every decision record matches docs/decision-record.schema.json" "${PROXY_LOGS[@]}"
finish
