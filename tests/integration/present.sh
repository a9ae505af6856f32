#!/usr/bin/env bash
# Present means verified: no image that others can see and use (active,
# public or community, not hidden) holds bytes under a vendor's origin that
# are not the vendor's file, whatever the path to presence. Each way in
# that an attacker's eye found (classes 1 to 8 of the design) is tried
# through the proxy and judged by asking Glance itself: the image's status
# and visibility, its verification record, what another project can
# download. Then the paths that must keep working: a verified upload
# published, a Debian image published on Glance's own sha512, an Ubuntu
# image published after its data was read back, a re-publish that reads
# nothing again.
SUITE=integration-present
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/stack-lib.sh
# Glance with the shipped property protections (only admin writes the
# hook's namespace), and two workers: one serves while the other copies an
# import's data (class 8).
printf '[DEFAULT]\nproperty_protection_file = %s\nproperty_protection_rule_format = roles\n' \
	"$ROOT/deploy/glance/property-protections.conf" >"$TMP/protect.conf"
STACK_GLANCE_EXTRA_CONF=$TMP/protect.conf STACK_GLANCE_WORKERS=2 stack_up

# ---- the vendor mirror (tests/origin: real signatures by a throwaway key) ------------------
. tests/origin/lib.sh
mirror_up 2097152 || { finish; exit 1; }
MIRROR_PORT=${MIRROR_URL##*:}
trap 'mirror_down; kill "${TRICKLE_PID:-}" 2>/dev/null; proxy_stop_all; tests/stack/down "$STACK" >/dev/null 2>&1; rm -rf "$TMP"' EXIT

U=https://cloud-images.ubuntu.com/releases/noble/release-20261101
IMG=ubuntu-24.04-server-cloudimg-amd64.img
UGOOD=$U/$IMG
GOOD_FILE=$TMP/mirror/ubuntu/releases/noble/release-20261101/$IMG
BAD_FILE=$TMP/mirror/tampered/$IMG
GOOD_SHA256=$(sha256sum "$GOOD_FILE" | cut -d' ' -f1)
D=https://cloud.debian.org/images/cloud/trixie/20261101-1234
DEB=debian-13-generic-amd64-20261101-1234.raw
DEB_FILE=$TMP/mirror/debian/images/cloud/trixie/20261101-1234/$DEB
DEB_SHA512=$(sha512sum "$DEB_FILE" | cut -d' ' -f1)
head -c 2097152 /dev/urandom >"$TMP/own.raw"
# the shipped origins (Ubuntu signed, Debian not) with the test vendor's key, fetched from the mirror
ORIGIN=$ORIGIN_CONFIG
export PROXY_POLICIES="$ROOT/policy/scs-0104-v1-images-v5.yaml, $ROOT/policy/scs-0104-v2-images.yaml, $ORIGINS"

# The shipped scope: public and community enforced, private and shared warned.
proxy_start main "mode: enforce" "$ORIGIN"
MAIN_URL=$PROXY_URL MAIN_ADMIN=$PROXY_ADMIN MAIN_LOG=$PROXY_LOG
check "the proxy starts with origins" curl -sf "$PROXY_ADMIN/healthz"

TA=$(token stack-a)
TB=$(token stack-b)
TADMIN=$(token stack-admin)
PATCH21=application/openstack-images-v2.1-json-patch

# ---- helpers: curl through a proxy (or straight at Glance), Glance's word -------------------
# create URL TOKEN JSON: a new image's id
create() {
	curl -s -X POST "$1/v2/images" -H "X-Auth-Token: $2" -H 'Content-Type: application/json' --data-binary "$3" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
# put URL TOKEN ID FILE [file|stage]: upload, prints the status; answer headers in $TMP/hdr
put() {
	curl -s -H 'Accept: application/json' -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' -X PUT "$1/v2/images/$3/${5:-file}" -H "X-Auth-Token: $2" \
		-H 'Content-Type: application/octet-stream' --data-binary @"$4"
}
# patch URL TOKEN ID OPS: a JSON patch, prints the status; answer in $TMP/body
patch() {
	curl -s -H 'Accept: application/json' -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' -X PATCH "$1/v2/images/$3" -H "X-Auth-Token: $2" \
		-H "Content-Type: $PATCH21" --data-binary "$4"
}
# post URL TOKEN PATH [JSON]: prints the status; answer in $TMP/body
post() {
	curl -s -H 'Accept: application/json' -o "$TMP/body" -w '%{http_code}' -X POST "$1/v2/images/$3" -H "X-Auth-Token: $2" \
		-H 'Content-Type: application/json' ${4:+--data-binary "$4"}
}
# glance ID FIELD[/FIELD...]: fields of the image as Glance holds it (admin's view), joined by /
glance() {
	curl -s "$GLANCE_URL/v2/images/$1" -H "X-Auth-Token: $TADMIN" |
		python3 -c 'import json,sys; i = json.load(sys.stdin); print("/".join(str(i.get(k)) for k in sys.argv[1].split("/")))' "$2"
}
# seed TOKEN NAME FILE VISIBILITY SOURCE: an image made straight at Glance, as before the proxy
seed() {
	local id
	id=$(create "$GLANCE_URL" "$1" '{"name":"'"$2"'","disk_format":"raw","container_format":"bare","visibility":"'"$4"'"'"${5:+,\"image_source\":\"$5\"}"'}')
	curl -s -o /dev/null -X PUT "$GLANCE_URL/v2/images/$id/file" -H "X-Auth-Token: $1" \
		-H 'Content-Type: application/octet-stream' --data-binary @"$3"
	echo "$id"
}
readbacks() { curl -s "$MAIN_ADMIN/metrics" | awk '$1 == "scs_image_hook_origin_readbacks_total" { print $2 }'; }
# record_holds ID SHA FILE-SOURCE: the verification record on the image binds what Glance holds
record_holds() {
	curl -s "$GLANCE_URL/v2/images/$1" -H "X-Auth-Token: $TADMIN" | python3 -c '
import json, sys
i = json.load(sys.stdin)
rec = i.get("scs_image_hook_verified") or ""
f = dict(kv.split("=", 1) for kv in rec.split()[1:])
ok = (rec.startswith("v1 ") and f["image"] == i["id"] and f["digest"] == sys.argv[1]
      and f["glance"] == i["os_hash_algo"] + ":" + i["os_hash_value"] and int(f["size"]) == i["size"]
      and f["source"] == i["image_source"] == sys.argv[2] and f["time"].endswith("Z"))
if not ok:
    print(json.dumps(i, indent=1)[:2000], file=sys.stderr)
sys.exit(0 if ok else 1)' "$2" "$3"
}
unverified() { test "$(glance "$1" scs_image_hook_verified/source_sha256sum/source_sha512sum)" = None/None/None; }
# answered WANT GOT [TEXT [FILE]]: the status GOT is WANT, and the answer (FILE) says TEXT
answered() { [ "$2" = "$1" ] && { [ -z "${3:-}" ] || grep -q -- "$3" "${4:-$TMP/body}"; }; }
# all_of A = B [-- CMD...]...: A equals B, and each command after -- succeeds
all_of() {
	[ "$1" = "$3" ] || { echo "'$1' is not '$3'" >&2; return 1; }
	shift 3
	while [ $# -gt 0 ] && [ "$1" = -- ]; do
		shift
		local cmd=()
		while [ $# -gt 0 ] && [ "$1" != -- ]; do cmd+=("$1"); shift; done
		"${cmd[@]}" || return 1
	done
}
mk() { create "$MAIN_URL" "$TA" '{"name":"'"$1"'","disk_format":"raw","container_format":"bare","visibility":"'"$2"'"'"${3:+,\"image_source\":\"$3\"}"'}'; }

# ---- the record is the hook's alone ---------------------------------------------------------
r0=$(mk r0-forge private "$UGOOD")
FORGE='[{"op":"add","path":"/scs_image_hook_verified","value":"v1 forged"}]'
check "namespace: a member cannot write a verification record through the proxy (403)" \
	test "$(patch "$MAIN_URL" "$TA" "$r0" "$FORGE")" = 403
check "namespace: nor straight at Glance, under the shipped property protections (403)" \
	test "$(patch "$GLANCE_URL" "$TA" "$r0" "$FORGE")" = 403
check "namespace: the member's other properties are still theirs (200)" \
	test "$(patch "$GLANCE_URL" "$TA" "$r0" '[{"op":"add","path":"/os_distro","value":"ubuntu"}]')" = 200
check "namespace: Glance holds no record" unverified "$r0"

# ---- class 1: warned while private, then published -----------------------------------------
c1=$(mk c1-warned private "$UGOOD")
check "1: tampered bytes into a private image under Ubuntu's origin: 204, warned" \
	answered 204 "$(put "$MAIN_URL" "$TA" "$c1" "$BAD_FILE")" '^Warning: 299 .*origin/checksum' "$TMP/hdr"
check "1: Glance: active and private, and nothing says verified" all_of "$(glance "$c1" status/visibility)" = active/private -- unverified "$c1"
check "1: publishing it is refused (403, origin/checksum after reading the data back)" \
	answered 403 "$(patch "$MAIN_URL" "$TA" "$c1" '[{"op":"replace","path":"/visibility","value":"community"}]')" origin/checksum
check "1: Glance: still private" test "$(glance "$c1" visibility)" = private
check "1: making it public (as an admin) is refused too" \
	test "$(patch "$MAIN_URL" "$TADMIN" "$c1" '[{"op":"replace","path":"/visibility","value":"public"}]')" = 403
c1s=$(mk c1-staged private "$UGOOD")
check "1: the same bytes staged: 204, warned" test "$(put "$MAIN_URL" "$TA" "$c1s" "$BAD_FILE" stage)" = 204
check "1: glance-direct import into the private image: 202" \
	test "$(post "$MAIN_URL" "$TA" "$c1s/import" '{"method":{"name":"glance-direct"}}')" = 202
for _ in $(seq 100); do [ "$(glance "$c1s" status)" = active ] && break; sleep 0.2; done
check "1: Glance: the imported image is active and private" test "$(glance "$c1s" status/visibility)" = active/private
check "1: publishing the imported image is refused (403)" \
	test "$(patch "$MAIN_URL" "$TA" "$c1s" '[{"op":"replace","path":"/visibility","value":"community"}]')" = 403
check "1: Glance: still private" test "$(glance "$c1s" visibility)" = private

# ---- class 2: own data, then a vendor's name ------------------------------------------------
c2=$(mk c2-own private)
check "2: own data into a private image under no origin: 204" test "$(put "$MAIN_URL" "$TA" "$c2" "$TMP/own.raw")" = 204
check "2: image_source moved onto a Debian file while private: 200, warned" \
	answered 200 "$(patch "$MAIN_URL" "$TA" "$c2" '[{"op":"add","path":"/image_source","value":"'"$D/$DEB"'"}]')" '^Warning: 299' "$TMP/hdr"
check "2: making it community is refused (403, origin/checksum on Glance's sha512)" \
	answered 403 "$(patch "$MAIN_URL" "$TA" "$c2" '[{"op":"replace","path":"/visibility","value":"community"}]')" origin/checksum
check "2: Glance: still private, nothing says verified" all_of "$(glance "$c2" visibility)" = private -- unverified "$c2"

# ---- class 3: the hook's own remedy undone, through a second node ---------------------------
# Node B reaches Glance through tests/integration/hold_patch.py, which holds
# the upload at Glance's door after B decided it under no origin; meanwhile
# image_source moves under Ubuntu's origin through node A (allowed: no data
# yet). B's recheck finds the image present with other bytes.
python3 tests/integration/hold_patch.py "$TMP/hold.port" "$GLANCE_URL" hold-me 2 &
PROXY_PIDS+=("$!")
for _ in $(seq 50); do [ -s "$TMP/hold.port" ] && break; sleep 0.1; done
PROXY_UPSTREAM=http://127.0.0.1:$(cat "$TMP/hold.port") proxy_start nodeb "mode: enforce" "$ORIGIN"
B_URL=$PROXY_URL
PROXY_URL=$MAIN_URL PROXY_LOG=$MAIN_LOG
{ printf hold-me; cat "$TMP/own.raw"; } >"$TMP/held.raw"
c3=$(mk c3-two-nodes community)
put "$B_URL" "$TA" "$c3" "$TMP/held.raw" >"$TMP/c3.code" &
p3=$!
sleep 1
check "3: node A: image_source moved under Ubuntu's origin while queued (200)" \
	test "$(patch "$MAIN_URL" "$TA" "$c3" '[{"op":"add","path":"/image_source","value":"'"$UGOOD"'"}]')" = 200
wait "$p3"
check "3: node B: the upload is answered 409" test "$(cat "$TMP/c3.code")" = 409
check "3: Glance: the image is hidden and deactivated (out of use, not only out of sight)" \
	test "$(glance "$c3" status/os_hidden)" = deactivated/True
check "3: un-hiding it through the proxy leaves it deactivated (200: not present)" \
	all_of "$(patch "$MAIN_URL" "$TA" "$c3" '[{"op":"replace","path":"/os_hidden","value":false}]')/$(glance "$c3" status)" = 200/deactivated
check "3: reactivating it is refused (403)" test "$(post "$MAIN_URL" "$TA" "$c3/actions/reactivate")" = 403
check "3: Glance: still deactivated" test "$(glance "$c3" status)" = deactivated

# ---- class 4: the hook never writes the vendor's claim onto bytes that are not its ---------
proxy_start warnmode "mode: warn" "$ORIGIN"
W_URL=$PROXY_URL
PROXY_URL=$MAIN_URL PROXY_LOG=$MAIN_LOG
c4=$(mk c4-warn-mode community "$UGOOD")
check "4: mode warn, tampered bytes into a community image: 204 with a Warning" \
	answered 204 "$(put "$W_URL" "$TA" "$c4" "$BAD_FILE")" '^Warning: 299 .*origin/checksum' "$TMP/hdr"
check "4: Glance: no verification record, no source_sha256sum" unverified "$c4"
check "4: class 1's warned image carries none either" unverified "$c1"

# ---- class 5: the same vendor URL spelled another way ---------------------------------------
n=0
for src in "https://cloud-images.ubuntu.com:443/releases/noble/release-20261101/$IMG" \
	"https://mirror@cloud-images.ubuntu.com/releases/noble/release-20261101/$IMG" \
	"https://cloud-images.ubuntu.com./releases/noble/release-20261101/$IMG" \
	"https://cloud-images.ubuntu%2Ecom/releases/noble/release-20261101/$IMG" \
	"http://cloud-images.ubuntu.com/releases/noble/release-20261101/$IMG" \
	"https://cloud.debian.org:443/images/cloud/trixie/20261101-1234/$DEB"; do
	n=$((n + 1))
	id=$(mk "c5-spelling-$n" community "$src")
	code=$(put "$MAIN_URL" "$TA" "$id" "$TMP/own.raw")
	check "5: '$src': upload refused (403, origin/unlisted naming the vendor's spelling)" \
		all_of "$code" = 403 -- grep -q 'origin/unlisted' "$TMP/body" -- grep -q 'write it' "$TMP/body"
	check "5: '$src': Glance holds no data (queued)" test "$(glance "$id" status)" = queued
done

# ---- class 6: web-download with the proxy alone ---------------------------------------------
c6=$(mk c6-web-download community "$UGOOD")
check "6: web-download into a community image under Ubuntu's origin is refused (403)" \
	test "$(post "$MAIN_URL" "$TA" "$c6/import" '{"method":{"name":"web-download","uri":"http://127.0.0.1:'"$MIRROR_PORT"'/tampered/'"$IMG"'"}}')" = 403
check "6: the reason says to import privately and publish" grep -q 'Import into a private or hidden image' "$TMP/body"
sleep 1
check "6: Glance: the image stays queued" test "$(glance "$c6" status)" = queued

# ---- class 7: hidden is not unusable; deactivated is -----------------------------------------
h7=$(seed "$TA" c7-hidden "$TMP/own.raw" community)
curl -s -o /dev/null -X PATCH "$GLANCE_URL/v2/images/$h7" -H "X-Auth-Token: $TA" -H "Content-Type: $PATCH21" \
	--data-binary '[{"op":"replace","path":"/os_hidden","value":true}]'
dl() { curl -s -o /dev/null -w '%{http_code}' "$GLANCE_URL/v2/images/$1/file" -H "X-Auth-Token: $2"; }
check "7: another project downloads a hidden community image by its id (200): hidden is usable" \
	test "$(dl "$h7" "$TB")" = 200
check "7: another project cannot download the image class 3 took out of use (403)" test "$(dl "$c3" "$TB")" = 403

# ---- class 8: Glance's import flow saves the whole image after the copy ----------------------
# A web-download source that trickles: the image is importing for seconds.
cat >"$TMP/trickle.py" <<'PY'
import http.server, sys, time
data = open(sys.argv[2], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for i in range(0, len(data), len(data) // 8):
            self.wfile.write(data[i:i + len(data) // 8])
            self.wfile.flush()
            time.sleep(0.75)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
TRICKLE_PORT=$(free_port)
python3 "$TMP/trickle.py" "$TRICKLE_PORT" "$GOOD_FILE" &
TRICKLE_PID=$!
sleep 0.5
c8=$(mk c8-import-private private "$UGOOD")
check "8: web-download into a private image under the origin: 202 (nothing present yet)" \
	test "$(post "$MAIN_URL" "$TA" "$c8/import" '{"method":{"name":"web-download","uri":"http://127.0.0.1:'"$TRICKLE_PORT"'/x.img"}}')" = 202
for _ in $(seq 50); do [ "$(glance "$c8" status)" = importing ] && break; sleep 0.1; done
check "8: while it imports, publishing through the proxy is refused (403: data in flight)" \
	answered 403 "$(patch "$MAIN_URL" "$TA" "$c8" '[{"op":"replace","path":"/visibility","value":"community"}]')" 'data is arriving'
for _ in $(seq 100); do [ "$(glance "$c8" status)" = active ] && break; sleep 0.2; done
check "8: the import ends active and private, and nothing says verified" \
	all_of "$(glance "$c8" status/visibility)" = active/private -- unverified "$c8"
before=$(readbacks)
check "8: publishing it now verifies the vendor's bytes (read back: Glance hashed sha512, the list is sha256): 200" \
	test "$(patch "$MAIN_URL" "$TA" "$c8" '[{"op":"replace","path":"/visibility","value":"community"}]')" = 200
check "8: the data was read back once" test "$(readbacks)" = "$((before + 1))"
check "8: Glance: community, with a verification record that binds what it holds" record_holds "$c8" "$GOOD_SHA256" "$UGOOD"

# The revert itself: the flow's last step loads the image when it starts
# copying the staged data into the store and saves all of it when it is
# done. A change that lands meanwhile (the other worker serves it) is
# undone. Reproduced straight at Glance with data large enough to land in
# the copy; tried up to three times, as the copy's start is seen by polling.
head -c $((256 << 20)) /dev/zero >"$TMP/big.raw"
reverted=
for try in 1 2 3; do
	r8=$(create "$GLANCE_URL" "$TA" '{"name":"c8-revert-'$try'","disk_format":"raw","container_format":"bare"}')
	curl -s -o /dev/null -X PUT "$GLANCE_URL/v2/images/$r8/stage" -H "X-Auth-Token: $TA" \
		-H 'Content-Type: application/octet-stream' -T "$TMP/big.raw"
	curl -s -o /dev/null -X POST "$GLANCE_URL/v2/images/$r8/import" -H "X-Auth-Token: $TA" \
		-H 'Content-Type: application/json' --data-binary '{"method":{"name":"glance-direct"}}'
	for _ in $(seq 500); do [ -e "$STACK/glance/images/local/$r8" ] && break; sleep 0.01; done
	curl -s -o /dev/null -X PATCH "$GLANCE_URL/v2/images/$r8" -H "X-Auth-Token: $TADMIN" -H "Content-Type: $PATCH21" \
		--data-binary '[{"op":"add","path":"/os_hidden","value":true},{"op":"add","path":"/c8_mark","value":"during"}]'
	during=$(glance "$r8" status/os_hidden/c8_mark)
	for _ in $(seq 150); do [ "$(glance "$r8" status)" = active ] && break; sleep 0.2; done
	if [ "$during" = importing/True/during ]; then
		reverted=$(glance "$r8" status/os_hidden/c8_mark)
		break
	fi
done
check "8: a change that landed while Glance copied the import's data (seen: importing/True/during)" \
	test "${during:-}" = importing/True/during
check "8: ... is undone by the import's final save (reproduced: active/False/None)" \
	test "${reverted:-}" = active/False/None
rm -f "$TMP/big.raw"

# ---- what must keep working ---------------------------------------------------------------
v1=$(mk v-upload private "$UGOOD")
check "ok: the vendor's bytes uploaded through the proxy: 204" test "$(put "$MAIN_URL" "$TA" "$v1" "$GOOD_FILE")" = 204
check "ok: the upload is recorded as verified (record and source_sha256sum)" \
	all_of "$(glance "$v1" source_sha256sum)" = "$GOOD_SHA256" -- record_holds "$v1" "$GOOD_SHA256" "$UGOOD"
before=$(readbacks)
check "ok: publishing a verified upload: 200" \
	test "$(patch "$MAIN_URL" "$TA" "$v1" '[{"op":"replace","path":"/visibility","value":"community"}]')" = 200
check "ok: ... without reading anything back" test "$(readbacks)" = "$before"
check "ok: Glance: community and active" test "$(glance "$v1" status/visibility)" = active/community

d1=$(seed "$TA" v-debian "$DEB_FILE" private "$D/$DEB")
before=$(readbacks)
check "ok: a Debian image made before the proxy, published: 200 (Glance's sha512 is the list's algorithm)" \
	test "$(patch "$MAIN_URL" "$TA" "$d1" '[{"op":"replace","path":"/visibility","value":"community"}]')" = 200
check "ok: ... nothing read back" test "$(readbacks)" = "$before"
check "ok: ... and recorded as verified" record_holds "$d1" "$DEB_SHA512" "$D/$DEB"

u1=$(seed "$TA" v-ubuntu "$GOOD_FILE" private "$UGOOD")
check "ok: an Ubuntu image made before the proxy, published after a read-back: 200" \
	test "$(patch "$MAIN_URL" "$TA" "$u1" '[{"op":"replace","path":"/visibility","value":"community"}]')" = 200
check "ok: ... recorded as verified" record_holds "$u1" "$GOOD_SHA256" "$UGOOD"
patch "$MAIN_URL" "$TA" "$u1" '[{"op":"replace","path":"/visibility","value":"private"}]' >/dev/null
before=$(readbacks)
check "ok: re-published: 200" \
	test "$(patch "$MAIN_URL" "$TA" "$u1" '[{"op":"replace","path":"/visibility","value":"community"}]')" = 200
check "ok: ... without reading it back again" test "$(readbacks)" = "$before"

# a deactivated verified image may be reactivated; an unverified one may not
curl -s -o /dev/null -X POST "$GLANCE_URL/v2/images/$v1/actions/deactivate" -H "X-Auth-Token: $TADMIN"
check "ok: reactivating a verified image: 204" test "$(post "$MAIN_URL" "$TA" "$v1/actions/reactivate")" = 204
check "ok: Glance: active" test "$(glance "$v1" status)" = active

# past the read-back bound: refused with what to do
proxy_start small "mode: enforce" "${ORIGIN_CONFIG%\}}, readback: {max_bytes: 1KiB}}"
SMALL_URL=$PROXY_URL
PROXY_URL=$MAIN_URL PROXY_LOG=$MAIN_LOG
u2=$(seed "$TA" v-ubuntu-big "$GOOD_FILE" private "$UGOOD")
check "bound: reading 2 MiB back past origin.readback.max_bytes 1KiB is refused with 409" \
	test "$(patch "$SMALL_URL" "$TA" "$u2" '[{"op":"replace","path":"/visibility","value":"community"}]')" = 409
check "bound: the answer says how to verify it without a bound" grep -q "audit --verify-origin --image $u2" "$TMP/body"
check "bound: Glance: still private" test "$(glance "$u2" visibility)" = private

# a read-back long enough to pass the progress marks (every 64 MiB): 72 MiB
# of a vendor (an unsigned sha256 list on the mirror) that Glance hashes sha512
mkdir -p "$MIRROR/big"
head -c $((72 << 20)) /dev/urandom >"$MIRROR/big/big.img"
(cd "$MIRROR/big" && sha256sum --binary big.img >SHA256SUMS)
{ cat "$ORIGINS"; printf '  - prefix: https://big.example/\n    checksums: {name: SHA256SUMS, algorithm: sha256, lines: gnu}\n    signature: none\n'; } >"$TMP/big-origins.yaml"
PROXY_POLICIES="$ROOT/policy/scs-0104-v1-images-v5.yaml, $TMP/big-origins.yaml" proxy_start big "mode: enforce" \
	"origin: {fetch: {\"https://big.example/\": \"$MIRROR_URL/big/\"}}"
BIG_URL=$PROXY_URL
PROXY_URL=$MAIN_URL PROXY_LOG=$MAIN_LOG
b1=$(seed "$TA" v-big "$MIRROR/big/big.img" private https://big.example/big.img)
check "bound: a 72 MiB image read back and published: 200" \
	test "$(patch "$BIG_URL" "$TA" "$b1" '[{"op":"replace","path":"/visibility","value":"community"}]')" = 200
check "bound: ... and recorded as verified" record_holds "$b1" "$(sha256sum "$MIRROR/big/big.img" | cut -d' ' -f1)" \
	https://big.example/big.img
rm -f "$MIRROR/big/big.img"

# ---- shared with members, where the scope enforces shared images -----------------------------
proxy_start shared "mode: enforce" "visibility: {shared: enforce}" "$ORIGIN"
SH_URL=$PROXY_URL
PROXY_URL=$MAIN_URL PROXY_LOG=$MAIN_LOG
s1=$(seed "$TA" s-shared-bad "$TMP/own.raw" shared "$UGOOD")
check "shared: adding a member to a shared image with other bytes is refused (403)" \
	test "$(post "$SH_URL" "$TA" "$s1/members" '{"member":"'"$CUSTOMER_B_PROJECT_ID"'"}')" = 403
check "shared: Glance: the image has no member" \
	test "$(curl -s "$GLANCE_URL/v2/images/$s1/members" -H "X-Auth-Token: $TADMIN" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["members"]))')" = 0
s2=$(seed "$TA" s-shared-good "$GOOD_FILE" shared "$UGOOD")
check "shared: adding a member to a shared image of the vendor's bytes: 200, verified" \
	all_of "$(post "$SH_URL" "$TA" "$s2/members" '{"member":"'"$CUSTOMER_B_PROJECT_ID"'"}')" = 200 -- record_holds "$s2" "$GOOD_SHA256" "$UGOOD"
check "shared: a members body the proxy cannot parse is refused (400)" \
	test "$(post "$SH_URL" "$TA" "$s2/members" '{"member":"x","member":"y"}')" = 400

# ---- the invariant, asked of Glance ---------------------------------------------------------
check "no image present under an origin without a record that holds (Glance's whole list)" python3 - "$GLANCE_URL" "$TADMIN" <<'PY'
import json, sys, urllib.request
url, tok = sys.argv[1:]
bad = []
for q in ("", "&os_hidden=true"):
    req = urllib.request.Request(url + "/v2/images?limit=1000" + q, headers={"X-Auth-Token": tok})
    for i in json.load(urllib.request.urlopen(req))["images"]:
        src = i.get("image_source") or ""
        under = "ubuntu" in src or "debian" in src
        present = i["status"] == "active" and i["visibility"] in ("public", "community") and not i["os_hidden"]
        rec = i.get("scs_image_hook_verified") or ""
        f = dict(kv.split("=", 1) for kv in rec.split()[1:]) if rec else {}
        holds = f and f.get("glance") == "%s:%s" % (i["os_hash_algo"], i["os_hash_value"]) and f.get("source") == src
        if under and present and not holds:
            bad.append("%s (%s)" % (i["name"], i["id"]))
print("present under an origin, unverified: %s" % (", ".join(bad) or "none"), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
check "the proxies survived" kill -0 "${PROXY_PIDS[@]}"
records_valid "every decision record matches docs/decision-record.schema.json" "${PROXY_LOGS[@]}"
finish
