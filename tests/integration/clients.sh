#!/usr/bin/env bash
# Refusals every client shows: python-glanceclient (`glance`, which
# Horizon's image panels use too), openstackclient, openstacksdk and
# gophercloud (Debian's 0.12, a Go program built here) each driven against
# the real stack through the proxy, and what each prints read: the reason,
# the rule id, the decision id, and what would be right, for 403 (the
# policy), 409 (Glance's answer violates after a concurrent change), 413
# (fair use) and 503 (Keystone gone from the proxy: the message names no
# internal URL or account).
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/lib.sh
. tests/stack-lib.sh
stack_up

BAD=https://evil.example/x.img
PATCH21=application/openstack-images-v2.1-json-patch
GOOD=https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img
TADMIN=$(token stack-admin)
head -c 4096 /dev/urandom >"$TMP/big.img"

# gophercloud: Debian's package, built with Debian's Go (GOPATH mode)
gophercloud_version=$(dpkg-query -W -f='${Version}' golang-github-gophercloud-gophercloud-dev 2>/dev/null)
if GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$TMP/gocache GOFLAGS= \
	go build -o "$TMP/gophercloud_client" tests/integration/gophercloud_client.go >"$TMP/go.log" 2>&1; then
	pass "gophercloud $gophercloud_version client builds ($(go version | cut -d' ' -f3))"
else
	fail "gophercloud client builds" "$(tail -5 "$TMP/go.log")"
fi

# The proxies: one that refuses by policy and quota, one in front of a
# Glance that holds a PATCH (the 409 race), one whose Keystone goes away.
proxy_start main "mode: enforce" "quota: {default: {max_image_size: 1KiB}}"
MAIN=$PROXY_URL; MAIN_CLOUDS=$PROXY_CLOUDS; MAIN_LOG=$PROXY_LOG
python3 tests/integration/hold_patch.py "$TMP/hold.port" "$GLANCE_URL" hold-me 3 &
PROXY_PIDS+=("$!")
for _ in $(seq 50); do [ -s "$TMP/hold.port" ] && break; sleep 0.1; done
PROXY_UPSTREAM=http://127.0.0.1:$(cat "$TMP/hold.port") proxy_start held "mode: enforce"
HELD=$PROXY_URL; HELD_CLOUDS=$PROXY_CLOUDS
python3 tests/integration/relay.py "$TMP/relay.port" 127.0.0.1 "$KEYSTONE_PORT" &
RELAY=$!
for _ in $(seq 50); do [ -s "$TMP/relay.port" ] && break; sleep 0.1; done
# the proxy's own cloud (stack-service) reaches Keystone through the relay
/usr/bin/python3 - "$GLANCE_CLOUDS" "$TMP/relayed-clouds.yaml" "$(cat "$TMP/relay.port")" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
auth = doc["clouds"]["stack-service"]["auth"]
auth["auth_url"] = "http://127.0.0.1:%s/v3" % sys.argv[3]
yaml.safe_dump(doc, open(sys.argv[2], "w"))
PY
chmod 600 "$TMP/relayed-clouds.yaml"
GLANCE_CLOUDS=$TMP/relayed-clouds.yaml proxy_start down "mode: enforce"
DOWN=$PROXY_URL; DOWN_CLOUDS=$PROXY_CLOUDS
kill "$RELAY"; wait "$RELAY" 2>/dev/null
PROXY_LOG=$MAIN_LOG

# The clients, as alice of customer-a. Each prints into $TMP/out.
export OS_AUTH_URL=$KEYSTONE_AUTH_URL OS_USERNAME=alice OS_PASSWORD=$ALICE_PASSWORD OS_PROJECT_NAME=customer-a \
	OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IMAGE_API_VERSION=2
# (stdin closed: glanceclient reads image data from a stdin that is not a tty)
glance_cli() { local url=$1; shift; glance --os-image-url "$url" "$@" >"$TMP/out" 2>&1 0<&-; }
osc() { local clouds=$1; shift; OS_CLIENT_CONFIG_FILE=$clouds openstack --os-cloud stack-a "$@" >"$TMP/out" 2>&1; }
sdk() { OS_CLIENT_CONFIG_FILE=$1 /usr/bin/python3 - "${@:2}" >"$TMP/out" 2>&1 <<'PY'
import sys
import openstack
conn = openstack.connect(cloud="stack-a")
op, args = sys.argv[1], sys.argv[2:]
try:
    if op == "create":
        conn.image.create_image(name=args[0], visibility=args[1], image_source=args[2], disk_format="raw",
                                container_format="bare")
    elif op == "update":
        conn.image.update_image(args[0], description=args[1])
    elif op == "upload":
        conn.create_image(args[0], filename=args[1], disk_format="raw", container_format="bare", wait=True)
    print("no error")
except Exception as e:
    print("%s: %s" % (type(e).__name__, e))
PY
}
gopher() { "$TMP/gophercloud_client" "$@" >"$TMP/out" 2>&1; }
# shows NAME TEXT...: what the client printed has every TEXT
shows() {
	local name=$1 t; shift
	for t; do
		if ! grep -qF -- "$t" "$TMP/out"; then
			fail "$name" "no '$t' in: $(head -c 700 "$TMP/out")"
			return
		fi
	done
	pass "$name"
	printf '     | %s\n' "$(grep -m1 -F -- "$1" "$TMP/out" | head -c 400)"
}
private_image() {   # a compliant private image of alice's, straight at Glance
	glance_create "$(token stack-a)" '{"name":"'"$1"'","visibility":"private","disk_format":"raw","container_format":"bare"}'
}

# -- 403: the policy, with what would be right -----------------------------------------------------
REASON="does not start with any source allowed for 'Ubuntu 24.04' (scs-0104/source): allowed sources: 'https://cloud-images.ubuntu.com/releases/noble/', 'https://cloud-images.ubuntu.com/noble/'"
glance_cli "$MAIN" image-create --name "Ubuntu 24.04" --visibility community --property image_source=$BAD \
	--disk-format raw --container-format bare
shows "403, glance image-create: the reason, the rule, what is allowed, the decision" "HTTP 403 Forbidden" "$REASON" "[decision "
check "403, glance: no \"'str' object has no attribute\"" sh -c "! grep -q 'has no attribute' '$TMP/out'"
glance_cli "$MAIN" image-create-via-import --name "Ubuntu 24.04" --visibility community \
	--property image_source=$BAD --disk-format raw --container-format bare --import-method web-download \
	--uri http://127.0.0.1:1/noble.img
shows "403, glance image-create-via-import" "HTTP 403 Forbidden" "$REASON" "[decision "
osc "$MAIN_CLOUDS" image create --community --property image_source=$BAD "Ubuntu 24.04"
shows "403, openstack image create" "403" "$REASON" "[decision "
sdk "$MAIN_CLOUDS" create "Ubuntu 24.04" community "$BAD"
shows "403, openstacksdk create_image" "HttpException" "$REASON" "[decision "
gopher "$MAIN" create "Ubuntu 24.04" community "$BAD"
shows "403, gophercloud images.Create" "Request forbidden" "does not start with any source allowed for 'Ubuntu 24.04' (scs-0104/source): allowed sources:" "[decision "
check "403: every refusal is logged with its status and user agent" python3 -c '
import json, sys
rs = [r for r in map(json.loads, open(sys.argv[1])) if r["decision"] == "deny" and r["method"] == "POST"]
agents = " ".join(r.get("user_agent") or "" for r in rs)
ok = len(rs) >= 5 and all(r["status"] == 403 for r in rs) and all(a in agents for a in
         ("python-glanceclient", "openstacksdk", "gophercloud"))
if not ok:
    print([(r["status"], r.get("user_agent")) for r in rs])
sys.exit(0 if ok else 1)' "$MAIN_LOG"

# -- 413: fair use ---------------------------------------------------------------------------------
LIMIT="exceeds the limit of 1 KiB per image (max_image_size"
id=$(private_image client-413-glance)
glance_cli "$MAIN" image-upload --file "$TMP/big.img" "$id"
shows "413, glance image-upload" "413" "$LIMIT" "(quota/image-size)" "[decision "
osc "$MAIN_CLOUDS" image create --private --disk-format raw --file "$TMP/big.img" client-413-osc
shows "413, openstack image create --file" "413" "$LIMIT" "[decision "
sdk "$MAIN_CLOUDS" upload client-413-sdk "$TMP/big.img"
shows "413, openstacksdk create_image with data" "413" "$LIMIT" "[decision "
id=$(private_image client-413-go)
gopher "$MAIN" upload "$id" "$TMP/big.img"
shows "413, gophercloud imagedata.Upload" "413" "$LIMIT" "[decision "

# -- 409: Glance's answer violates (a concurrent change through another node) ---------------------
# race CLIENT...: the PATCH "hold-me" is held for 2 s at Glance's door while
# the image turns public with a bad source straight at Glance
race() {
	local id pid
	id=$(glance_create "$TADMIN" '{"name":"Ubuntu 24.04","visibility":"private","image_source":"'$GOOD'","owner":"'$CUSTOMER_A_PROJECT_ID'"}')
	rm -f "$TMP/hold.port.held"
	"$@" "$id" &
	pid=$!
	for _ in $(seq 300); do [ -e "$TMP/hold.port.held" ] && break; sleep 0.1; done
	curl -s -o /dev/null -X PATCH "$GLANCE_URL/v2/images/$id" -H "X-Auth-Token: $TADMIN" -H "Content-Type: $PATCH21" \
		--data '[{"op":"replace","path":"/image_source","value":"'$BAD'"},{"op":"replace","path":"/visibility","value":"community"}]'
	wait "$pid"
}
CONFLICT="changed by a concurrent request"
glance_409() { glance_cli "$HELD" image-update --property description=hold-me "$1"; }
race glance_409
shows "409, glance image-update" "409" "$CONFLICT" "(scs-0104/source)" "[decision "
osc_409() { osc "$HELD_CLOUDS" image set --property description=hold-me "$1"; }
race osc_409
shows "409, openstack image set" "409" "$CONFLICT" "[decision "
sdk_409() { sdk "$HELD_CLOUDS" update "$1" hold-me; }
race sdk_409
shows "409, openstacksdk update_image" "409" "$CONFLICT" "[decision "
go_409() { gopher "$HELD" update "$1" hold-me; }
race go_409
shows "409, gophercloud images.Update" "409" "$CONFLICT" "[decision "

# -- 503: Keystone gone from the proxy; no internal URL or account shown ----------------------------
UNAVAILABLE="The image policy could not be checked: a service it depends on did not answer; try again later"
no_internals() {
	check "$1: names neither the proxy's Keystone nor its account" \
		sh -c "! grep -qE '$(cat "$TMP/relay.port")|scs-hook|service user' '$TMP/out'"
}
glance_cli "$DOWN" image-create --name x --disk-format raw --container-format bare
shows "503, glance image-create" "503" "$UNAVAILABLE" "[decision "
no_internals "503, glance"
osc "$DOWN_CLOUDS" image create x
shows "503, openstack image create" "503" "$UNAVAILABLE" "[decision "
no_internals "503, openstack"
sdk "$DOWN_CLOUDS" create x private "$GOOD"
shows "503, openstacksdk create_image" "503" "$UNAVAILABLE" "[decision "
no_internals "503, openstacksdk"
gopher "$DOWN" create x private "$GOOD"
shows "503, gophercloud: its error text is fixed; the body holds the reason" "temporary" "$UNAVAILABLE" "[decision "
no_internals "503, gophercloud"
PROXY_LOG=$TMP/down.log
check "503: the record keeps the request as it was and the reason with the internals" last_record \
	'r["status"] == 503 and r["image"]["name"] == "x" and r["image"]["visibility"] == "private" and "'"$(cat "$TMP/relay.port")"'" in r["error"]'

records_valid "every decision record matches docs/decision-record.schema.json" "${PROXY_LOGS[@]}"
finish
