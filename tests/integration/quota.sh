#!/usr/bin/env bash
# Fair-use quotas through the proxy, against the real stack: each limit
# refused at the right moment with the right words, uploads just under a
# limit pass, a body over the cap is cut while it streams (the image stays
# without data), an exempt project passes and is logged, and two proxies
# on one Glance enforce one count.
SUITE=integration-quota
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/stack-lib.sh
stack_up

TA=$(token stack-a)
TB=$(token stack-b)
TADMIN=$(token stack-admin)
QUOTA='quota: {default: {max_image_size: 1MiB, max_images: 3, max_total_size: 2MiB, uploads_per_window: {count: 3, window: 1h}, max_concurrent_uploads: 1}, projects: {customer-b: {max_images: 50, max_image_size: 4MiB, max_total_size: 8MiB, uploads_per_window: {count: 2, window: 1h}}}, exempt: [{project: admin, reason: operator images, expires: 2099-12-31}, {project: '"$ADMIN_PROJECT_ID"', reason: by id}]}'
proxy_start one "mode: enforce" "$QUOTA"
ONE=$PROXY_URL; ONE_CLOUDS=$PROXY_CLOUDS; LOG_ONE=$PROXY_LOG; ONE_ADMIN=$PROXY_ADMIN
proxy_start two "mode: enforce" "$QUOTA"
TWO=$PROXY_URL; LOG_TWO=$PROXY_LOG
PROXY_URL=$ONE; PROXY_CLOUDS=$ONE_CLOUDS; PROXY_LOG=$LOG_ONE

head -c 1048000 /dev/urandom >"$TMP/under"        # just under 1 MiB
head -c 1048577 /dev/urandom >"$TMP/over"         # 1 MiB and a byte
head -c 3000000 /dev/urandom >"$TMP/big"          # ~2.9 MiB
head -c 2000 /dev/urandom >"$TMP/small"

# create URL TOKEN NAME: a private image through a proxy; prints "CODE ID".
create() {
	curl -s -o "$TMP/create.json" -w '%{http_code}' -X POST "$1/v2/images" -H "X-Auth-Token: $2" \
		-H 'Content-Type: application/json' \
		--data '{"name":"'"$3"'","disk_format":"raw","container_format":"bare","visibility":"private"}'
	printf ' %s\n' "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("id",""))' "$TMP/create.json" 2>/dev/null)"
}
# put URL TOKEN ID FILE [file|stage] [chunked]: the answer body in $TMP/put.json; prints the code.
put() {
	local extra=()
	[ "${6:-}" = chunked ] && extra=(-H 'Transfer-Encoding: chunked')
	curl -s -H 'Accept: application/json' -o "$TMP/put.json" -w '%{http_code}' -X PUT "$1/v2/images/$3/${5:-file}" -H "X-Auth-Token: $2" \
		-H 'Content-Type: application/octet-stream' "${extra[@]}" --data-binary @"$4"
}

# -- customer-a, defaults: one image 1 MiB, 3 images, 2 MiB in all ------------------------------------
read -r code a1 < <(create "$ONE" "$TA" qa1)
check "create under the count passes ($code)" test "$code" = 201
check "an upload just under max_image_size passes" test "$(put "$ONE" "$TA" "$a1" "$TMP/under")" = 204
check "that image is active" test "$(glance_field "$a1" status)" = active

# The openstack CLI: Content-Length is known, so the refusal comes before any data.
OS_CLIENT_CONFIG_FILE=$PROXY_CLOUDS OS_CLOUD=stack-a openstack image create --disk-format raw \
	--container-format bare --file "$TMP/over" qa-cli >"$TMP/out" 2>"$TMP/err"
check "openstack image create over max_image_size fails" test $? -ne 0
check "the CLI prints the 413 naming the limit and the size" \
	grep -q '413.*exceeds the limit of 1 MiB per image (max_image_size, default)' "$TMP/err"
check "the CLI message names the size in bytes" grep -q '1048577 bytes' "$TMP/err"
check "the refusal is logged as quota/image-size" \
	last_record 'r["decision"] == "deny" and r["violations"][0]["rule"] == "quota/image-size" and r["violations"][0]["size"] == 1048577' PUT
python3 - "$GLANCE_URL" "$TADMIN" <<'PY' >"$TMP/cli-left"
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/v2/images?name=qa-cli", headers={"X-Auth-Token": sys.argv[2]})
print(" ".join(i["status"] for i in json.load(urllib.request.urlopen(req))["images"]))
PY
check "no qa-cli image is active ($(cat "$TMP/cli-left"))" bash -c "! grep -q active '$TMP/cli-left'"
# The SDK may leave the created image behind; remove it so the counts below are exact.
python3 - "$GLANCE_URL" "$TADMIN" <<'PY'
import json, sys, urllib.request
h = {"X-Auth-Token": sys.argv[2]}
for i in json.load(urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/v2/images?name=qa-cli", headers=h)))["images"]:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/v2/images/" + i["id"], headers=h, method="DELETE"))
PY

# Chunked: no size up front; the body is cut at the cap as it streams.
read -r code a2 < <(create "$ONE" "$TA" qa2)
code=$(put "$ONE" "$TA" "$a2" "$TMP/over" file chunked)
check "a chunked body over max_image_size is refused with 413 ($code)" test "$code" = 413
check "the 413 names the limit and what arrived" \
	grep -qE 'image data \(more than 1\.0 MiB \([0-9]+ bytes\)\) exceeds the limit of 1 MiB per image \(max_image_size, default\)' "$TMP/put.json"
check "the 413 is in Glance's error shape with the decision" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["code"].startswith("413") and d["title"] and d["decision"]["violations"][0]["rule"]=="quota/image-size"' "$TMP/put.json"
st=$(settled "$a2")
check "the cut image is left without data (status $st)" test "$st" = queued
check "the cut image has no size" test "$(glance_field "$a2" size)" = None
check "the cut is logged with the bytes received" \
	last_record 'r["decision"] == "deny" and r["violations"][0]["rule"] == "quota/image-size" and r["violations"][0]["received"] > 1048576' PUT

# A body that goes on long past the cut is not read forever: the connection is closed.
head -c $((70 << 20)) /dev/zero >"$TMP/huge"
code=$(put "$ONE" "$TA" "$a2" "$TMP/huge" file chunked)
# (curl reports 000, or 100 when the interim 100 Continue was all it got)
check "a body 64 MiB past the cut ends with the connection closed (HTTP $code)" test "$code" = 000 -o "$code" = 100
st=$(settled "$a2")
check "that image is still without data (status $st)" test "$st" = queued
check "the proxy still serves after closing it" test "$(curl -s -o /dev/null -w '%{http_code}' "$ONE/v2/images" -H "X-Auth-Token: $TA")" = 200
rm -f "$TMP/huge"

# Total: qa1 holds 1048000 bytes; 1048000 more fits 2 MiB (2097152), then 2000 more do not.
check "an upload that just fits max_total_size passes" test "$(put "$ONE" "$TA" "$a2" "$TMP/under")" = 204
read -r code a3 < <(create "$TWO" "$TA" qa3)
check "the third image may be created (through the second proxy)" test "$code" = 201
code=$(put "$ONE" "$TA" "$a3" "$TMP/small")
check "an upload past max_total_size is refused ($code)" test "$code" = 413
check "the message names usage, limit and size" \
	bash -c "grep -q 'stores 2.0 MiB (2096000 bytes) of its 2 MiB (max_total_size, default); 2.0 KiB (2000 bytes) more would exceed it' '$TMP/put.json'"
check "the image refused for the total is still queued" test "$(glance_field "$a3" status)" = queued

# Count: three images now; neither proxy lets a fourth be created.
read -r code _ < <(create "$ONE" "$TA" qa4)
check "a fourth image is refused with 413 through proxy one ($code)" test "$code" = 413
check "the refusal names the count and the limit" \
	grep -q 'project customer-a has 3 images; the limit is 3 (max_images, default)' "$TMP/create.json"
read -r code _ < <(create "$TWO" "$TA" qa4)
check "and through proxy two: one shared count ($code)" test "$code" = 413
PROXY_LOG=$LOG_TWO
check "proxy two logs its own refusal as quota/image-count" \
	last_record 'r["decision"] == "deny" and r["violations"][0]["rule"] == "quota/image-count" and r["violations"][0]["usage"] == 3' POST
PROXY_LOG=$LOG_ONE
curl -s -o /dev/null -X DELETE "$TWO/v2/images/$a3" -H "X-Auth-Token: $TA"
read -r code _ < <(create "$ONE" "$TA" qa5)
check "after a delete through proxy two, proxy one admits a create ($code)" test "$code" = 201

# -- customer-b, overrides: 2 uploads per hour, 1 at a time ------------------------------------------
read -r _ b1 < <(create "$ONE" "$TB" qb1)
read -r _ b2 < <(create "$ONE" "$TB" qb2)
check "staging data (an upload in progress until imported) passes" test "$(put "$ONE" "$TB" "$b1" "$TMP/small" stage)" = 204
code=$(put "$ONE" "$TB" "$b2" "$TMP/small")
check "a second upload while one is staged is refused ($code)" test "$code" = 413
check "the message names the uploads in progress and the limit" \
	grep -q 'project customer-b has 1 uploads or imports in progress; the limit is 1 (max_concurrent_uploads, customer-b)' "$TMP/put.json"
curl -s -o /dev/null -X DELETE "$ONE/v2/images/$b1" -H "X-Auth-Token: $TB"
check "with the staged image gone, the upload passes" test "$(put "$ONE" "$TB" "$b2" "$TMP/small")" = 204
read -r _ b3 < <(create "$ONE" "$TB" qb3)
check "the second upload within the hour passes" test "$(put "$ONE" "$TB" "$b3" "$TMP/small")" = 204
read -r _ b4 < <(create "$ONE" "$TB" qb4)
code=$(put "$ONE" "$TB" "$b4" "$TMP/small")
check "a third upload within the hour is refused ($code)" test "$code" = 413
check "the message names the window" grep -q 'started 2 uploads in the last 1h; the limit is 2 per 1h (uploads_per_window, customer-b)' "$TMP/put.json"
code=$(curl -s -o "$TMP/put.json" -w '%{http_code}' -X POST "$ONE/v2/images/$b4/import" -H "X-Auth-Token: $TB" \
	-H 'Content-Type: application/json' --data '{"method":{"name":"glance-direct"}}')
check "an import is held to the same rate ($code)" test "$code" = 413
check "the import refusal is logged as quota/upload-rate" \
	last_record 'r["decision"] == "deny" and r["violations"][0]["rule"] == "quota/upload-rate"' POST

# -- admin: exempt, and still logged ----------------------------------------------------------------
read -r code x1 < <(create "$ONE" "$TADMIN" qx1)
check "the exempt project uploads past max_image_size" test "$(put "$ONE" "$TADMIN" "$x1" "$TMP/big")" = 204
check "its image is active" test "$(glance_field "$x1" status)" = active
check "the exempted violation is logged" \
	last_record 'r["decision"] == "allow" and r["exempted"] and r["exemption"]["reason"] == "operator images" and any(v["rule"] == "quota/image-size" and v.get("exempted") for v in r["violations"])' PUT
read -r code x2 < <(create "$ONE" "$TADMIN" qx2)
check "an exempt chunked upload past the cap streams on" test "$(put "$ONE" "$TADMIN" "$x2" "$TMP/big" file chunked)" = 204
check "and becomes active" test "$(glance_field "$x2" status)" = active

# -- projects by id: a name in another domain, or a name that is another's id, is not the project ---
eval "$(python3 tests/integration/quota_race.py setup OTHER:admin:elsewhere "LOOK:$ADMIN_PROJECT_ID")"
for who in OTHER LOOK; do
	tok=${who}_TOKEN
	read -r code img < <(create "$ONE" "${!tok}" q$who)
	code=$(put "$ONE" "${!tok}" "$img" "$TMP/big")
	check "a project named like the exempt one ($who) is held to max_image_size ($code)" test "$code" = 413
	check "Glance: its image got no data" test "$(settled "$img")" = queued
	check "the record names no exemption" last_record 'not r["exempted"] and r["violations"][0]["rule"] == "quota/image-size"' PUT
done
printf '%s\n' "$(cat "$TMP/one.yaml")" | sed 's/reason: operator images/reason: x}, {project: elsewhere\/nobody, reason: y/' >"$TMP/bad.yaml"
OS_CLIENT_CONFIG_FILE=$GLANCE_CLOUDS "$BIN" proxy --config "$TMP/bad.yaml" --check >"$TMP/out" 2>"$TMP/err"
check "proxy --check: a project that does not resolve is a config error (exit $?)" grep -q "bad.yaml:[0-9]*:[0-9]*: project 'elsewhere/nobody': no such project in domain 'elsewhere'" "$TMP/err"

# -- metrics -------------------------------------------------------------------------------------
curl -s "$ONE_ADMIN/metrics" >"$TMP/metrics"
for rule in image-size image-count total-size upload-rate concurrent-uploads; do
	check "/metrics counts quota/$rule" grep -qE "^scs_image_hook_violations_total\\{rule=\"quota/$rule\"\\} [1-9]" "$TMP/metrics"
done
check "the proxies survived" kill -0 "${PROXY_PIDS[0]}" "${PROXY_PIDS[1]}"

# -- races: decisions under the project's gate, reservations in Glance ---------------------------
# Fresh projects: C for count, concurrency and total, D for the rate.
race() { python3 tests/integration/quota_race.py "$@"; }
eval "$(race setup C D)"
RACE="quota: {default: {max_images: 100}, projects: {$C_ID: {max_images: 5, max_concurrent_uploads: 2, max_total_size: 1536KiB}, $D_ID: {uploads_per_window: {count: 2, window: 6s}}}}"
proxy_start three "mode: enforce" "$RACE"; THREE=$PROXY_URL; LOG_THREE=$PROXY_LOG
proxy_start four "mode: enforce" "$RACE"; FOUR=$PROXY_URL
PROXY_LOG=$LOG_THREE
# gl EXPR: a Python expression on g, what Glance holds for project C.
gl() { race glance "${2:-$C_ID}" >"$TMP/g.json"; python3 -c 'import json,sys; g=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/g.json" "$1" || { cat "$TMP/g.json"; return 1; }; }

codes=$(race creates 12 "$C_TOKEN" "$THREE")
check "12 creates at once through one proxy: 5 pass ($codes)" test "$(tr ' ' '\n' <<<"$codes" | grep -c '^201$')" = 5
check "Glance holds exactly 5 images of the project (max_images 5)" gl 'g["count"] == 5'
race clean "$C_ID"
codes=$(race creates 12 "$C_TOKEN" "$THREE" "$FOUR")
n=$(tr ' ' '\n' <<<"$codes" | grep -c '^201$')
check "12 creates at once through two proxies: at most 5 pass ($codes)" test "$n" -ge 1 -a "$n" -le 5
check "Glance holds at most 5 images, one per 201 answered" gl "g['count'] == $n"
race clean "$C_ID"

# concurrency: 5 uploads at once (each ~3 s), at most 2 in progress.
ids=(); for i in 1 2 3 4 5; do read -r _ id < <(create "$THREE" "$C_TOKEN" qc$i); ids+=("$id"); done
codes=$(race uploads "$C_TOKEN" 3 100000 "$THREE" "${ids[@]}")
check "5 uploads at once through one proxy: 2 pass ($codes)" test "$(tr ' ' '\n' <<<"$codes" | grep -c '^204$')" = 2
check "Glance: 2 images active, the others without data" gl 'g["active"] == 2 and g["statuses"].count("queued") == 3'
check "a refusal names the uploads in progress" grep -q 'quota/concurrent-uploads' "$LOG_THREE"
check "each admitted upload left its reservation marker in Glance" \
	gl 'sum(1 for m in g["markers"] if m and m.startswith("v1 start=")) == 2'
race clean "$C_ID"
ids=(); for i in 1 2 3 4 5; do read -r _ id < <(create "$THREE" "$C_TOKEN" qd$i); ids+=("$id"); done
codes=$(race uploads "$C_TOKEN" 3 100000 "$THREE" "$FOUR" "${ids[@]}")
n=$(tr ' ' '\n' <<<"$codes" | grep -c '^204$')
check "5 uploads at once through two proxies: at most 2 pass ($codes)" test "$n" -ge 1 -a "$n" -le 2
check "Glance: at most 2 images got data" gl "g['active'] == $n"
race clean "$C_ID"

# total: 1.5 MiB; two overlapping 1 MiB uploads (Glance sets size only at the end).
for mode in 1048576 chunked:1048576; do
	for urls in "$THREE" "$THREE $FOUR"; do
		ids=(); for i in 1 2; do read -r _ id < <(create "$THREE" "$C_TOKEN" qt$i); ids+=("$id"); done
		codes=$(race uploads "$C_TOKEN" 3 "$mode" $urls "${ids[@]}")
		n=$(tr ' ' '\n' <<<"$codes" | grep -c '^204$')
		# one node decides them in turn: exactly one passes; two nodes that
		# see each other's reservation may both refuse, never both pass
		[ "$(wc -w <<<"$urls")" = 1 ] && want=1 || want="[01]"
		check "two overlapping uploads ($mode, via $(wc -w <<<"$urls") proxies): $want passes ($codes)" \
			bash -c "[[ $n == $want ]]"
		check "Glance stores at most 1.5 MiB for the project, one image per 204" \
			gl "g['total'] <= 1572864 and g['active'] == $n"
		race clean "$C_ID"
	done
done

# The window two nodes contend in: one upload decision, from the first
# usage read through the marker to the second read (the record's latency).
python3 - "$LOG_THREE" "$C_ID" <<'PY'
import json, sys
ls = sorted(r["latency_us"] / 1000 for r in map(json.loads, open(sys.argv[1])) if r["method"] == "PUT" and r["project_id"] == sys.argv[2])
print("     upload decisions of the race project: %d, latency p50 %.1f ms, max %.1f ms" % (len(ls), ls[len(ls) // 2], ls[-1]))
PY

# rate by upload start: images created, then uploaded after the window has passed.
ids=(); for i in 1 2 3; do read -r _ id < <(create "$THREE" "$D_TOKEN" qr$i); ids+=("$id"); done
sleep 7
codes=""; for id in "${ids[@]}"; do codes+="$(put "$THREE" "$D_TOKEN" "$id" "$TMP/small") "; done
check "created before the window, uploaded within it: the third upload is refused ($codes)" test "$codes" = "204 204 413 "
check "Glance: 2 of the 3 images have data" gl 'g["active"] == 2' "$D_ID"
check "the refusal counts upload starts" grep -q 'started 2 uploads in the last 6s' "$TMP/put.json"

# The reservation namespace is the hook's: clients cannot write, change or remove it.
read -r _ m1 < <(create "$THREE" "$D_TOKEN" qm1)
code=$(curl -s -o "$TMP/out" -w '%{http_code}' -X PATCH "$THREE/v2/images/$m1" -H "X-Auth-Token: $D_TOKEN" \
	-H 'Content-Type: application/openstack-images-v2.1-json-patch' \
	--data '[{"op":"add","path":"/scs_image_hook_upload","value":"v1 start=0 bytes=0 until=0"}]')
check "a PATCH writing the reservation marker is refused ($code)" test "$code" = 403
check "Glance has no marker on that image" test "$(glance_field "$m1" scs_image_hook_upload)" = None
code=$(curl -s -o "$TMP/out" -w '%{http_code}' -X PATCH "$THREE/v2/images/${ids[0]}" -H "X-Auth-Token: $D_TOKEN" \
	-H 'Content-Type: application/openstack-images-v2.1-json-patch' \
	--data '[{"op":"remove","path":"/SCS_image_hook_upload"},{"op":"remove","path":"/scs_image_hook_upload"}]')
check "a PATCH removing a marker is refused ($code)" test "$code" = 403
check "Glance still has that marker" bash -c "[[ '$(glance_field "${ids[0]}" scs_image_hook_upload)' == 'v1 start='* ]]"
code=$(curl -s -o "$TMP/out" -w '%{http_code}' -X POST "$THREE/v2/images" -H "X-Auth-Token: $D_TOKEN" \
	-H 'Content-Type: application/json' --data '{"name":"qm2","scs_image_hook_x":"1"}')
check "a create carrying the namespace is refused ($code)" test "$code" = 403
check "and names the reserved attribute" grep -q "Attribute 'scs_image_hook_x' is reserved" "$TMP/out"

# -- provenance in canonical form --------------------------------------------------------------------
NOBLE=https://cloud-images.ubuntu.com/releases/noble
code=$(curl -s -o "$TMP/out" -w '%{http_code}' -X POST "$ONE/v2/images" -H "X-Auth-Token: $TADMIN" \
	-H 'Content-Type: application/json' \
	--data '{"name":"Ubuntu 24.04","visibility":"community","disk_format":"raw","container_format":"bare","image_source":"'$NOBLE'/../noble/x.img"}')
check "an image_source with dot segments is refused ($code)" test "$code" = 403
check "the refusal shows the canonical form (scs-0104/source-canonical)" \
	grep -q "not in canonical form (canonical form '$NOBLE/x.img')" "$TMP/out"
code=$(curl -s -o "$TMP/out" -w '%{http_code}' -X POST "$ONE/v2/images" -H "X-Auth-Token: $TADMIN" \
	-H 'Content-Type: application/json' \
	--data '{"name":"Ubuntu 24.04","visibility":"community","disk_format":"raw","container_format":"bare","image_source":"'$NOBLE'/x.img"}')
good=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/out")
check "a canonical image_source is admitted ($code)" test "$code" = 201
for dotted in "$NOBLE/../../evil/x.img" "$NOBLE/%2e%2e/%2E%2E/evil/x.img" "$NOBLE/..%2fevil/x.img" "https://u@cloud-images.ubuntu.com/releases/noble/x.img"; do
	code=$(curl -s -o "$TMP/out" -w '%{http_code}' -X POST "$ONE/v2/images/$good/import" -H "X-Auth-Token: $TADMIN" \
		-H 'Content-Type: application/json' --data '{"method":{"name":"web-download","uri":"'"$dotted"'"}}')
	check "web-download from $dotted is refused ($code)" test "$code" = 403
done
check "Glance: the image is still queued, with no import task" \
	bash -c "[ \"\$(curl -s '$GLANCE_URL/v2/images/$good' -H 'X-Auth-Token: $TADMIN' | python3 -c 'import json,sys; i=json.load(sys.stdin); print(i[\"status\"], i.get(\"os_glance_import_task\"))')\" = 'queued None' ]"
records_valid "every decision record matches docs/decision-record.schema.json" "${PROXY_LOGS[@]}"
finish
