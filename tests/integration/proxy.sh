#!/usr/bin/env bash
# scs-image-hook proxy in front of a real Keystone + Glance, driven by the
# real openstack CLI (and curl where the CLI cannot say what we test).
SUITE=integration-proxy
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/stack-lib.sh
stack_up

U=https://cloud-images.ubuntu.com/releases/noble
GOOD=$U/x.img
BAD=https://evil.example/x.img
PATCH21=application/openstack-images-v2.1-json-patch
PATCH20=application/openstack-images-v2.0-json-patch

proxy_start enforce "mode: enforce" \
	"exemptions:" \
	"  - {project: customer-b, rules: [scs-0104/*], expires: 2099-12-31, reason: migration OPS-1}" \
	"  - {project: customer-a, expires: 2020-01-01, reason: expired long ago}"
check "proxy starts and answers /healthz" curl -sf "$PROXY_ADMIN/healthz"
mk() { local cloud=$1; shift; os "$cloud" image create --file /dev/null -f value -c id "$@"; }

# -- create ------------------------------------------------------------------------------
expect "compliant public image: accepted" 0 mk stack-admin --public --property image_source=$GOOD "Ubuntu 24.04"
good_id=$(cat "$TMP/out")
check "compliant public image: exists in Glance, public" test "$(direct stack-admin image show "$good_id" -f value -c visibility 2>/dev/null)" = public
check "compliant: record allow for the create" last_record 'r["decision"] == "allow" and r["source"] == "proxy" and r["image"]["name"] == "Ubuntu 24.04"' POST
check "compliant: record allow for the upload" last_record 'r["decision"] == "allow" and r["image"]["id"] == "'"$good_id"'"' PUT

expect "non-compliant public image: refused" 1 mk stack-admin --public --property image_source=$BAD "Ubuntu 24.04"
check "refused: the CLI prints the reason" has "Refused by the image policy: image_source 'https://evil.example/x.img' does not start with any source allowed for 'Ubuntu 24.04' (scs-0104/source)" "$TMP/err"
check "refused: the CLI shows 403" has "403" "$TMP/err"
check "refused: Glance never saw it" test "$(direct stack-admin image list --public -f value -c ID | wc -l)" -eq 1
check "refused: record deny with the violation" last_record 'r["decision"] == "deny" and r["mode"] == "enforce" and r["violations"][0]["rule"] == "scs-0104/source" and r["violations"][0]["expected"] == ["https://cloud-images.ubuntu.com/releases/noble/", "https://cloud-images.ubuntu.com/noble/"]'
check "refused: the message names the decision id of the record" python3 -c '
import json, re, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert r["decision_id"] in open(sys.argv[2]).read()' "$PROXY_LOG" "$TMP/err"

expect "non-compliant private image: admitted (warn scope)" 0 mk stack-a --private --property image_source=$BAD "Ubuntu 24.04"
priv_id=$(cat "$TMP/out")
check "private: record warn" last_record 'r["decision"] == "warn" and r["mode"] == "warn" and r["image"]["visibility"] == "private" and r["project_id"] == "'"$CUSTOMER_A_PROJECT_ID"'" and r["user_id"] == "'"$ALICE_USER_ID"'"'

TA=$(token stack-a)
TADMIN=$(token stack-admin)
TB=$(token stack-b)
post() { curl -s -D "$TMP/hdr" -o "$TMP/body" -w '%{http_code}' -X POST "$PROXY_URL/v2/images" -H "X-Auth-Token: $1" -H 'Content-Type: application/json' "${@:3}" --data-binary "$2"; }
check "warn over curl: 201 with a Warning: 299 header" test "$(post "$TA" '{"name":"Ubuntu 24.04","image_source":"'$BAD'"}')" = 201
check "warn over curl: the Warning names the rule" grep -qi '^Warning: 299 scs-image-hook ".*scs-0104/source' "$TMP/hdr"
check "request id: generated, logged and sent to Glance as the global id" last_record 'r["request_id"].startswith("req-") and len(r["request_id"]) == 40'
rid=req-11111111-2222-4333-8444-555555555555
post "$TADMIN" '{"name":"Ubuntu 24.04","visibility":"public","image_source":"'$BAD'"}' -H "x-openstack-request-id: $rid" -H 'Accept: application/json' >/dev/null
check "request id: a client's id is kept in the record" last_record 'r["request_id"] == "'$rid'"'
check "error body: Glance's shape with the record" python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))
assert b["code"] == "403 Forbidden" and b["title"] == "Forbidden", b
assert b["message"].startswith("Refused by the image policy"), b["message"]
assert b["decision"]["decision"] == "deny" and b["decision"]["request_id"] == sys.argv[2], b["decision"]' "$TMP/body" "$rid"
check "refusal carries the request id header" grep -qi "^x-openstack-request-id: $rid" "$TMP/hdr"
check "error for a plain-text client: plain text" sh -c "curl -s -H 'Accept: text/plain' -H 'X-Auth-Token: $TADMIN' -H 'Content-Type: application/json' -X POST '$PROXY_URL/v2/images' --data '{\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\"}' | grep -q '^403 Forbidden'"
check "error for an HTML client: webob's page" sh -c "curl -s -H 'Accept: text/html' -H 'X-Auth-Token: $TADMIN' -H 'Content-Type: application/json' -X POST '$PROXY_URL/v2/images' --data '{\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\"}' | grep -q '^  <h1>403 Forbidden</h1>'"
check "default visibility is shared (warned, not refused)" test "$(post "$TA" '{"name":"Debian 12","image_source":"'$BAD'"}')" = 201
check "default visibility: record says shared" last_record 'r["image"]["visibility"] == "shared" and r["decision"] == "warn"'

# -- limits and identity --------------------------------------------------------------------
big=$(python3 -c 'print("{\"name\":\"x\",\"pad\":\"" + "a" * 70000 + "\"}")')
check "a JSON body over 64 KiB: 413" test "$(post "$TA" "$big")" = 413
check "a chunked JSON body over 64 KiB: 413 (after the body)" test "$(post "$TA" "$big" -H 'Transfer-Encoding: chunked')" = 413
check "no token: 401" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$PROXY_URL/v2/images" -H 'Content-Type: application/json' --data '{"name":"x"}')" = 401
check "a token Keystone does not know: 401" test "$(post not-a-token '{"name":"x"}')" = 401
check "identity headers from the client are not trusted" test "$(post not-a-token '{"name":"x"}' -H 'X-Identity-Status: Confirmed' -H "X-Project-Id: $ADMIN_PROJECT_ID" -H 'X-Roles: admin')" = 401

# -- PATCH --------------------------------------------------------------------------------------
misc_id=$(direct stack-admin image create --file /dev/null --public --property image_source=$BAD my-tools -f value -c id)
expect "PATCH: renaming a public image into a spec name with a bad source is refused" 1 os stack-admin image set --name "Ubuntu 24.04" "$misc_id"
check "PATCH rename: the CLI prints the reason" has "Refused by the image policy" "$TMP/err"
check "PATCH rename: the name is unchanged in Glance" test "$(direct stack-admin image show "$misc_id" -f value -c name)" = my-tools
check "PATCH rename: record of the patched result" last_record 'r["method"] == "PATCH" and r["image"]["name"] == "Ubuntu 24.04" and r["image"]["id"] == "'"$misc_id"'" and r["decision"] == "deny"'
expect "PATCH: a harmless change to another image passes" 0 os stack-admin image set --property description=tools "$misc_id"
expect "PATCH: changing image_source of a compliant image to a bad one is refused" 1 os stack-admin image set --property image_source=$BAD "$good_id"
check "PATCH source: Glance still has the good source" has "$GOOD" <(direct stack-admin image show "$good_id" -f json)
expect "PATCH: a new compliant source passes" 0 os stack-admin image set --property image_source=https://cloud-images.ubuntu.com/noble/y.img "$good_id"
expect "PATCH: making the private bad image community is refused" 1 os stack-a image set --community "$priv_id"
check "PATCH visibility: still private" test "$(direct stack-a image show "$priv_id" -f value -c visibility)" = private
hidden_id=$(direct stack-admin image create --file /dev/null --public --property image_source=$BAD "Debian 12" -f value -c id)
direct stack-admin image set --hidden "$hidden_id"
expect "PATCH: un-hiding a bad public image (made before the proxy) is refused" 1 os stack-admin image set --unhidden "$hidden_id"
check "PATCH os_hidden: still hidden" test "$(glance_field "$hidden_id" os_hidden)" = True
patch() { curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' -X PATCH "$PROXY_URL/v2/images/$2" -H "X-Auth-Token: $1" -H "Content-Type: $3" --data-binary "$4"; }
check "PATCH v2.0 format: refused too" test "$(patch "$TADMIN" "$misc_id" $PATCH20 '[{"replace": "/name", "value": "Ubuntu 24.04"}]')" = 403
check "PATCH pointer with Unicode space (Glance strips it): refused" test "$(patch "$TADMIN" "$good_id" $PATCH21 '[{"op": "replace", "path": "/image_source\u3000", "value": "'$BAD'"}]')" = 403
check "PATCH with application/json: 415 with Accept-Patch" test "$(patch "$TADMIN" "$misc_id" application/json '[]')" = 415
check "PATCH 415: Accept-Patch lists Glance's types" grep -qi "^Accept-Patch: .*v2.1-json-patch" "$TMP/hdr"
check "PATCH of a missing image: Glance's 404" test "$(patch "$TADMIN" 00000000-0000-0000-0000-000000000000 $PATCH21 '[]')" = 404

# Glance gets the proxy's writing of what it decided (compact ASCII JSON),
# not the client's bytes: escapes, white space and UTF-8 arrive as decided.
code=$(post "$TA" $'{ "n\\u0061me" :\t"scs-sent \u00fc\\u00e9",\n "disk_format": "raw", "container_format": "bare", "visibility": "private" }')
sent_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("id", ""))' "$TMP/body" 2>/dev/null || true)
check "create in a client's spelling: 201" test "$code" = 201
check "create in a client's spelling: Glance holds the name decided" test "$(glance_field "$sent_id" name)" = "scs-sent üé"
check "create in a client's spelling: the record has that name" last_record 'r["image"]["name"] == "scs-sent üé"' POST
check "patch in a client's spelling: 200" test "$(patch "$TA" "$sent_id" $PATCH21 $'[ {"op":"add", "path" : "/os_d\\u0069stro",\n"value":"\u00fcbuntu"} ]')" = 200
check "patch in a client's spelling: Glance holds the property decided" test "$(glance_field "$sent_id" os_distro)" = "übuntu"

# -- upload, stage, import ----------------------------------------------------------------------
queued_bad=$(glance_create "$TADMIN" '{"name":"Ubuntu 24.04","visibility":"public","disk_format":"raw","container_format":"bare","image_source":"'$BAD'"}')
head -c 4096 /dev/urandom >"$TMP/small.img"
put() { curl -s -o "$TMP/body" -w '%{http_code}' -X PUT "$PROXY_URL/v2/images/$2/$3" -H "X-Auth-Token: $1" -H 'Content-Type: application/octet-stream' --data-binary @"$4"; }
check "PUT /file to a bad public image: refused" test "$(put "$TADMIN" "$queued_bad" file "$TMP/small.img")" = 403
check "PUT /file refused: the image stays queued" test "$(glance_field "$queued_bad" status)" = queued
check "PUT /stage to a bad public image: refused" test "$(put "$TADMIN" "$queued_bad" stage "$TMP/small.img")" = 403
queued_good=$(glance_create "$TADMIN" '{"name":"Ubuntu 24.04","visibility":"public","disk_format":"raw","container_format":"bare","image_source":"'$GOOD'"}')
imp() { curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$PROXY_URL/v2/images/$2/import" -H "X-Auth-Token: $1" -H 'Content-Type: application/json' --data "$3"; }
check "import web-download from outside the allowed sources: refused" test "$(imp "$TADMIN" "$queued_good" '{"method":{"name":"web-download","uri":"'$BAD'"}}')" = 403
check "import: the rule is import/download-uri" last_record 'any(v["rule"] == "import/download-uri" for v in r["violations"])'
# The stack's Glance only downloads from loopback: its own refusal shows the request got there.
check "import web-download from an allowed source: passed on to Glance" test "$(imp "$TADMIN" "$queued_good" '{"method":{"name":"web-download","uri":"'$U'/noble.img"}}')" = 400
check "import passed on: Glance's own answer (its URI filter)" has "does not pass filtering" "$TMP/body"

# -- exemptions -----------------------------------------------------------------------------------
expect "exemption in force: customer-b's bad community image is admitted" 0 mk stack-b --community --property image_source=$BAD "Ubuntu 24.04"
check "exemption: logged as exempted with the reason" last_record 'r["exempted"] and r["decision"] == "allow" and r["exemption"]["reason"] == "migration OPS-1" and r["violations"][0]["exempted"]'
expect "expired exemption: customer-a's bad community image is refused" 1 mk stack-a --community --property image_source=$BAD "Ubuntu 24.04"

# -- streaming: 1 GiB up and down ---------------------------------------------------------------------
head -c 1G /dev/urandom >"$TMP/big.img"
want=$(sha512sum "$TMP/big.img" | cut -d' ' -f1)
rm_big() { rm -f "$TMP/big.img"; }
expect "1 GiB upload through the proxy with the CLI" 0 os stack-a image create --file "$TMP/big.img" --disk-format raw --container-format bare --private big -f value -c id
big_id=$(cat "$TMP/out")
rm_big
got=$(curl -s -H "X-Auth-Token: $TA" "$PROXY_URL/v2/images/$big_id" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("os_hash_value"))')
check "1 GiB: Glance's os_hash_value is the sha512 of what was sent" test "$got" = "$want"
check "1 GiB: download through the proxy is intact" test "$(curl -s -H "X-Auth-Token: $TA" "$PROXY_URL/v2/images/$big_id/file" | sha512sum | cut -d' ' -f1)" = "$want"
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$PROXY_PID/status")
echo "     proxy peak RSS after 1 GiB up and down: $((hwm / 1024)) MiB"
# ASan's shadow memory and quarantine raise the floor: `make asan` says 256.
check "1 GiB: proxy peak RSS under ${RSS_LIMIT_MIB:-64} MiB" test "$hwm" -lt $((${RSS_LIMIT_MIB:-64} * 1024))

# -- every decision logged once ---------------------------------------------------------------------
n=$(wc -l <"$PROXY_LOG")
os stack-a image list >/dev/null 2>&1
check "reads are not decisions: no record for a list" test "$(wc -l <"$PROXY_LOG")" -eq "$n"
check "every record is one valid JSON line" records "$n"

# -- dry-run ----------------------------------------------------------------------------------------
proxy_stop "$PROXY_PID"
proxy_start dryrun "mode: dry-run"
expect "dry-run: a bad public image is admitted" 0 mk stack-admin --public --property image_source=$BAD "Ubuntu 24.04"
check "dry-run: logged with its violation" last_record 'r["mode"] == "dry-run" and r["decision"] == "allow" and r["violations"][0]["rule"] == "scs-0104/source"'

# -- failure policy ----------------------------------------------------------------------------------
kill "$KEYSTONE_PID" 2>/dev/null; sleep 0.5
check "Keystone down, failure_policy closed: 503" test "$(post "$TB" '{"name":"x"}')" = 503
check "Keystone down: the message says why" grep -q "could not be checked" "$TMP/body"
check "Keystone down: the refusal is logged" last_record 'r["decision"] == "deny" and "error" in r'

records_valid "every decision record matches docs/decision-record.schema.json" "${PROXY_LOGS[@]}"
finish
