#!/usr/bin/env bash
# Origin verification in the Glance import flow: the plugin
# (deploy/glance) hands the staged data to `check --data`, so a
# glance-direct stage and a web-download whose bytes are not the vendor's
# file are refused before they reach a store. The vendor is a mirror built
# by tests/origin/mkmirror, served on loopback; Glance web-downloads from
# it, the hook fetches the lists from it through origin.fetch.
SUITE=origin-import
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/stack-lib.sh
. tests/origin/lib.sh
export PATH=/usr/bin:/bin:$PATH

. tests/import-lib.sh
plugin_install
mirror_up 262144 || { finish; exit 1; }

good=$MIRROR/ubuntu/releases/noble/release-20261101/$UBUNTU_IMG
flipped=$MIRROR/tampered/$UBUNTU_IMG
SOURCE=${UBUNTU_DIR}20261101/$UBUNTU_IMG
cat >"$TMP/hook.yaml" <<EOF
policy: [$ROOT/policy/scs-0104-v2-images.yaml, $ORIGINS]
mode: enforce
visibility: {private: enforce, shared: enforce}
# the data comes from the test mirror, not from the image_source's host
import: {download_uri: off}
$ORIGIN_CONFIG
EOF
plugin_stack_up
trap 'mirror_down; tests/stack/down "$STACK" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
ADMIN_TOKEN=$(token stack-admin)
ALICE_TOKEN=$(token stack-a)

direct() { # FILE: glance-direct import of FILE, image_source the vendor's file
	gl image-create-via-import --name "Ubuntu 24.04" --disk-format raw --container-format bare \
		--property image_source="$SOURCE" --file "$1" --import-method glance-direct
}
web() { # URI: web-download import from URI, image_source the vendor's file
	gl image-create-via-import --name "Ubuntu 24.04" --disk-format raw --container-format bare \
		--property image_source="$SOURCE" --import-method web-download --uri "$1"
}
hex=$(sha256sum "$good" | cut -d' ' -f1)
bad=$(sha256sum "$flipped" | cut -d' ' -f1)

# ---- glance-direct -----------------------------------------------------------
expect "glance-direct, the vendor's bytes: import" 0 direct "$good"
id=$(image_id)
check "glance-direct, the vendor's bytes: active" test "$(settle "$id")" = active
check "glance-direct: the record has the verified origin" logged "$id" \
	'r["decision"] == "allow" and r["origin"]["verified"] and r["origin"]["actual"] == "'"$hex"'" and r["import"]["method"] == "glance-direct"'
# record_holds ID [HEX]: Glance's image carries the verification record the plugin
# wrote, and it binds what Glance then computed of the stored bytes
record_holds() {
	curl -s "$GLANCE_URL/v2/images/$1" -H "X-Auth-Token: $ADMIN_TOKEN" | python3 -c '
import json, sys
i = json.load(sys.stdin)
f = dict(kv.split("=", 1) for kv in (i.get("scs_image_hook_verified") or "v0").split()[1:])
ok = (f and f["image"] == i["id"] and f["digest"] == sys.argv[1] == i.get("source_sha256sum")
      and f["glance"] == i["os_hash_algo"] + ":" + i["os_hash_value"] and int(f["size"]) == i["size"]
      and f["source"] == i["image_source"])
if not ok:
    print(json.dumps(i, indent=1)[:2000], file=sys.stderr)
sys.exit(0 if ok else 1)' "${2:-$hex}"
}
check "glance-direct: the plugin wrote the verification record, and it binds Glance's sha512 and size" record_holds "$id"

expect "glance-direct, a tampered stage: import (asynchronous)" 0 direct "$flipped"
id=$(image_id)
check "glance-direct, tampered: refused, image queued" test "$(settle "$id")" = queued
check "glance-direct, tampered: no staged data left" no_stage "$id"
check "glance-direct, tampered: the task names file, digests and list" grep -qF \
	"the data is not the vendor's '$UBUNTU_IMG': its sha256 is $bad, the vendor's list ${UBUNTU_DIR}20261101/SHA256SUMS gives $hex" \
	<<<"$(task_message "$id")"
check "glance-direct, tampered: origin/checksum in the decision log" logged "$id" \
	'r["decision"] == "deny" and [v["rule"] for v in r["violations"]] == ["origin/checksum"] and not r["origin"]["verified"]'

# ---- web-download ------------------------------------------------------------
expect "web-download of the vendor's file: import" 0 web "$MIRROR_URL/ubuntu/releases/noble/release-20261101/$UBUNTU_IMG"
id=$(image_id)
check "web-download, the vendor's bytes: active" test "$(settle "$id")" = active
check "web-download: verified in the record" logged "$id" 'r["decision"] == "allow" and r["origin"]["verified"]'
check "web-download: the verification record binds what Glance stored" record_holds "$id"

expect "web-download of tampered bytes: import (asynchronous)" 0 web "$MIRROR_URL/tampered/$UBUNTU_IMG"
id=$(image_id)
check "web-download, tampered: refused, image queued" test "$(settle "$id")" = queued
check "web-download, tampered: no verification record" \
	test "$(curl -s "$GLANCE_URL/v2/images/$id" -H "X-Auth-Token: $ADMIN_TOKEN" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("scs_image_hook_verified"))')" = None
check "web-download, tampered: no staged data left" no_stage "$id"
check "web-download, tampered: the task says origin/checksum's reason" grep -qF "its sha256 is $bad" <<<"$(task_message "$id")"
check "web-download, tampered: deny logged with the URI and origin/checksum" logged "$id" \
	'r["decision"] == "deny" and r["import"]["uri"].endswith("/tampered/'"$UBUNTU_IMG"'") and [v["rule"] for v in r["violations"]] == ["origin/checksum"]'

# ---- Fedora's clearsigned list, found by the directory's index -------------------
FED=https://download.fedoraproject.org/pub/fedora/linux/releases/42/Cloud
F42=Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2
FEDFILE=$MIRROR/fedora/pub/fedora/linux/releases/42/Cloud/x86_64/images/$F42
SOURCE=$FED/x86_64/images/$F42
expect "glance-direct, Fedora's bytes (a clearsigned list): import" 0 direct "$FEDFILE"
id=$(image_id)
check "glance-direct, Fedora: active" test "$(settle "$id")" = active
check "glance-direct, Fedora: the verification record binds what Glance stored" record_holds "$id" "$(sha256sum "$FEDFILE" | cut -d' ' -f1)"
SOURCE=$FED/s390x/images/$F42
expect "glance-direct, Fedora, text after the signed part: import (asynchronous)" 0 direct "$FEDFILE"
id=$(image_id)
check "text after the signed part: refused, image queued" test "$(settle "$id")" = queued
check "text after the signed part: the task says why" grep -qF "is to be clearsigned, but it is text after the signature block" \
	<<<"$(task_message "$id")"
check "text after the signed part: origin/list-invalid logged" logged "$id" '[v["rule"] for v in r["violations"]] == ["origin/list-invalid"]'
SOURCE=${UBUNTU_DIR}20261101/$UBUNTU_IMG

# ---- the mirror's list gone: unavailable, closed refuses -----------------------
mv "$MIRROR/ubuntu/releases/noble/release-20261101/SHA256SUMS" "$TMP/SHA256SUMS.away"
expect "list unavailable: import (asynchronous)" 0 direct "$good"
id=$(image_id)
check "list unavailable, failure_policy closed: refused" test "$(settle "$id")" = queued
check "list unavailable: origin/unavailable logged" logged "$id" '[v["rule"] for v in r["violations"]] == ["origin/unavailable"]'
mv "$TMP/SHA256SUMS.away" "$MIRROR/ubuntu/releases/noble/release-20261101/SHA256SUMS"

records_valid "every decision record matches docs/decision-record.schema.json" "$DLOG"
finish
