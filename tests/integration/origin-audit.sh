#!/usr/bin/env bash
# audit --verify-origin against a real Keystone + Glance (tests/stack):
# images uploaded around the proxy, straight to Glance with the openstack
# CLI, some with tampered bytes, judged against a vendor mirror built by
# tests/origin/mkmirror (real gpg signatures) served on loopback and
# reached through origin.fetch.
SUITE=integration-origin-audit
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/stack-lib.sh
. tests/origin/lib.sh
mirror_up 262144 || { finish; exit 1; }
stack_up
trap 'mirror_down; proxy_stop_all; tests/stack/down "$STACK" >/dev/null 2>&1; rm -rf "$TMP"' EXIT

good=$MIRROR/ubuntu/releases/noble/release-20261101/$UBUNTU_IMG
flipped=$MIRROR/tampered/$UBUNTU_IMG
deb=$MIRROR/debian/images/cloud/trixie/20261101-1234/$DEBIAN_IMG
head -c 262144 /dev/urandom >"$TMP/other.img"
up() {  # NAME SOURCE FILE [ARGS...]: an image with data, straight to Glance
	local name=$1 src=$2 file=$3; shift 3
	OS_CLOUD=stack-admin openstack image create --public --disk-format qcow2 --container-format bare \
		--file "$file" --property image_source="$src" "$@" -f value -c id "$name" 2>>"$TMP/seed.log"
}
ok_u=$(up "Ubuntu 24.04" "${UBUNTU_DIR}20261101/$UBUNTU_IMG" "$good")
bad_u=$(up "Ubuntu 24.04" "${UBUNTU_DIR}20261101/$UBUNTU_IMG" "$flipped")
ok_d=$(up "Debian 13" "$DEBIAN_DIR/$DEBIAN_IMG" "$deb")
bad_d=$(up "Debian 13" "$DEBIAN_DIR/$DEBIAN_IMG" "$TMP/other.img")
unl=$(up "Ubuntu 24.04" "${UBUNTU_DIR}20261101/ubuntu-24.04-server-cloudimg-arm64.img" "$good")
decl=$(up "Debian 13" "$DEBIAN_DIR/$DEBIAN_IMG" "$deb" --property source_sha512sum=$(printf '0%.0s' $(seq 128)))
check "seeded 6 images straight to Glance" test -n "$ok_u" -a -n "$bad_u" -a -n "$ok_d" -a -n "$bad_d" -a -n "$unl" -a -n "$decl"
check "Glance hashes with sha512 (so Ubuntu's sha256 list needs --download)" test "$(glance_field "$ok_u" os_hash_algo)" = sha512

{
	echo "policy: [$ROOT/policy/scs-0104-v2-images.yaml, $ORIGINS]"
	echo "$ORIGIN_CONFIG"
} >"$TMP/hook.yaml"
audit() { "$BIN" audit --os-cloud stack-admin --config "$TMP/hook.yaml" --verify-origin "$@"; }

# -- Glance's own digest where the algorithm is the vendor's (Debian, sha512) --
expect "without --download: violations -> exit 1" 1 audit
check "tampered Debian found by os_hash_value: origin/checksum with its id" sh -c "grep -A1 'id=$bad_d' '$TMP/out' | grep -q 'origin/checksum'"
check "the message names the file, both digests and the list" has "the data is not the vendor's '$DEBIAN_IMG': its sha512 is $(sha512sum "$TMP/other.img" | cut -d' ' -f1), the vendor's list $DEBIAN_DIR/SHA512SUMS gives $(sha512sum "$deb" | cut -d' ' -f1)"
check "the good Debian image is not reported" sh -c "! grep -q 'id=$ok_d' '$TMP/out'"
check "unlisted Ubuntu file: origin/unlisted" sh -c "grep -A1 'id=$unl' '$TMP/out' | grep -q 'origin/unlisted'"
check "declared source_sha512sum that is not the vendor's: origin/declared" sh -c "grep -A1 'id=$decl' '$TMP/out' | grep -q 'origin/declared'"
check "Ubuntu images are listed as not verified (sha512 against sha256), naming --download" sh -c "
	grep -A1 'id=$ok_u' '$TMP/out' | grep -q 'os_hash_algo is sha512, the vendor.s list sha256: --download' &&
	grep -A1 'id=$bad_u' '$TMP/out' | grep -q -- '--download'"
check "summary line" has "origin: 6 images under an origin: 1 verified (0 by a verification record), 3 failing origin rules, 2 not verified"

# -- --download: the data read back from Glance ---------------------------------
expect "--download: violations -> exit 1" 1 audit --download
check "tampered Ubuntu uploaded around the proxy is found: origin/checksum" sh -c "grep -A1 'id=$bad_u' '$TMP/out' | grep -q 'origin/checksum'"
check "its message has the vendor's and the stored digest" has "its sha256 is $(sha256sum "$flipped" | cut -d' ' -f1), the vendor's list ${UBUNTU_DIR}20261101/SHA256SUMS gives $(sha256sum "$good" | cut -d' ' -f1)"
check "the good Ubuntu image is verified and not reported" sh -c "! grep -q 'id=$ok_u' '$TMP/out'"
check "no progress output when stderr is not a terminal" test ! -s "$TMP/err"
check "summary: all compared" has "origin: 6 images under an origin: 2 verified (0 by a verification record), 4 failing origin rules, 0 not verified"

expect "json" 1 audit --download --format json
check "json: origin counts and the violations" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
o = r["origin"]
assert o == {"checked": 6, "verified": 2, "by_record": 0, "failed": 4, "not_verified": [], "newer_build": []}, o
bad = {b["id"]: [v["rule"] for v in b["violations"]] for b in r["violations"]}
assert "origin/checksum" in bad[sys.argv[2]] and "origin/checksum" in bad[sys.argv[3]], bad
assert sys.argv[4] not in bad and sys.argv[5] not in bad, bad
' "$TMP/out" "$bad_u" "$bad_d" "$ok_u" "$ok_d"
json_valid "json: the report matches docs/audit-report.schema.json" "$ROOT/docs/audit-report.schema.json" "$TMP/out"
expect "scs" 1 audit --download --format scs
check "scs: the origin line fails" has "scs-image-hook-origin: FAIL"
check "scs: the ERROR line says why" has "4 image(s) under an origin fail the origin rules" "$TMP/err"
check "scs: ... and names the images' ids" sh -c "grep 'under an origin fail' '$TMP/err' | grep -q 'image $bad_u' &&
	grep 'under an origin fail' '$TMP/err' | grep -q 'image $bad_d'"

# -- --image: one image read back without a bound, its record written -----------
expect "--image, the vendor's Ubuntu bytes: verified (exit 0)" 0 audit --image "$ok_u"
check "it says the record is written" has "image $ok_u: verified: its data is the vendor's file; the verification record is written"
check "Glance: the record binds its digest, size and file" python3 - "$(curl -s "$GLANCE_URL/v2/images/$ok_u" -H "X-Auth-Token: $(token stack-admin)")" "$(sha256sum "$good" | cut -d' ' -f1)" <<'PY'
import json, sys
i = json.loads(sys.argv[1])
f = dict(kv.split("=", 1) for kv in i["scs_image_hook_verified"].split()[1:])
assert f["image"] == i["id"] and f["digest"] == sys.argv[2] == i["source_sha256sum"], f
assert f["glance"] == "sha512:" + i["os_hash_value"] and int(f["size"]) == i["size"], f
assert f["source"] == i["image_source"] and f["list"].endswith("/SHA256SUMS") and len(f["signer"]) == 40, f
PY
expect "--image, tampered bytes: not the vendor's (exit 1)" 1 audit --image "$bad_u"
check "it names origin/checksum" has "(origin/checksum)"
check "Glance: no record on the tampered image" test "$(glance_field "$bad_u" scs_image_hook_verified)" = None
plain=$(up "plain" "https://example.org/plain.img" "$TMP/other.img")
expect "--image under no origin: nothing to verify (exit 2)" 2 audit --image "$plain"
check "it says so" has "lies under no origin" "$TMP/err"
expect "--image without --verify-origin is a usage error" 2 "$BIN" audit --os-cloud stack-admin --config "$TMP/hook.yaml" --image "$ok_u"

# -- origin.trust_records: a record that holds stands for the comparison ---------
sed 's/cache: 1h}/cache: 1h, trust_records: true}/' "$TMP/hook.yaml" >"$TMP/trust.yaml"
check "the config has trust_records" grep -q 'trust_records: true' "$TMP/trust.yaml"
expect "trusted records, no --download: exit 1 (the tampered images)" 1 "$BIN" audit --os-cloud stack-admin --config "$TMP/trust.yaml" --verify-origin
check "the recorded Ubuntu image counts as verified by its record" has "2 verified (1 by a verification record)"
check "the tampered Ubuntu image without a record is still not verified" sh -c "grep -A1 'id=$bad_u' '$TMP/out' | grep -q -- '--download'"
expect "untrusted records (the default): the recorded image still needs --download" 1 audit
check "... so it is listed as not verified" sh -c "grep -A1 'id=$ok_u' '$TMP/out' | grep -q -- '--download'"

# the tampered images gone: the origin line passes (a test that can fail both ways)
for id in "$bad_u" "$bad_d" "$unl" "$decl" "$plain"; do OS_CLOUD=stack-admin openstack image delete "$id" 2>>"$TMP/seed.log"; done
expect "only the vendor's bytes left: scs origin line passes" 0 audit --download --format scs scs-image-hook-origin
check "scs: PASS" has "scs-image-hook-origin: PASS"

# -- --record: a cloud whose images predate the proxy, recorded in one run --------
# (exit 1 stays for what else the policy finds, as above: no origin rule fails)
expect "--download --record over the vendor's images" 1 audit --download --record
check "no origin rule fails, none unverified" has "2 verified (0 by a verification record), 0 failing origin rules, 0 not verified"
check "it says how many records it wrote" has "origin: 2 verification records written"
check "Glance: the Debian image now carries its record" test "$(glance_field "$ok_d" scs_image_hook_verified)" != None
expect "trusted, no --download: every image verified by its record" 1 "$BIN" audit --os-cloud stack-admin --config "$TMP/trust.yaml" --verify-origin
check "... 2 of 2 by a record, nothing failing or unverified" has "2 verified (2 by a verification record), 0 failing origin rules, 0 not verified"
expect "--record without --verify-origin is a usage error" 2 "$BIN" audit --os-cloud stack-admin --config "$TMP/hook.yaml" --record

# -- a moving directory (Debian's latest/): the vendor publishes a newer build ------
latest=$MIRROR/debian/images/cloud/trixie/latest
LATEST=https://cloud.debian.org/images/cloud/trixie/latest/$DEBIAN_IMG
rec=$(up "Debian 13" "$LATEST" "$latest/$DEBIAN_IMG")
norec=$(up "Debian 13" "$LATEST" "$latest/$DEBIAN_IMG")
expect "latest/: verified now, its record written" 0 audit --image "$rec"
head -c 262144 /dev/urandom >"$latest/$DEBIAN_IMG"          # the vendor republishes latest/
(cd "$latest" && sha512sum "$DEBIAN_IMG" debian-13-generic-amd64-20261101-1234.raw >SHA512SUMS)
expect "after the vendor's next build (exit 1 for what else the policy finds)" 1 audit --format json
check "json: the recorded image is of an earlier build, the other not verified, neither not the vendor's" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
o = r["origin"]
assert [i["id"] for i in o["newer_build"]] == [sys.argv[2]], o
assert "the vendor has published a newer build under \x27latest\x27" in o["newer_build"][0]["reason"], o
nv = {i["id"]: i["reason"] for i in o["not_verified"]}          # Ubuntu (sha256) is there too: no --download
assert "cannot be told from bytes that are not" in nv[sys.argv[3]] and sys.argv[2] not in nv, o
bad = {b["id"] for b in r["violations"] if any(v["rule"].startswith("origin/") for v in b["violations"])}
assert sys.argv[2] not in bad and sys.argv[3] not in bad, bad
' "$TMP/out" "$rec" "$norec"
expect "text" 1 audit
check "text: its own section, and the summary counts it" sh -c "grep -q 'ORIGIN: THE VENDOR HAS PUBLISHED A NEWER BUILD' '$TMP/out' &&
	grep -A1 'id=$rec' '$TMP/out' | grep -q 'these bytes were the vendor.s .$DEBIAN_IMG. when verified at' &&
	grep -q 'not verified, 1 of an earlier build of the vendor.s' '$TMP/out'"
expect "--image, the recorded one: verified by its record (exit 0)" 0 audit --image "$rec"
check "it says the vendor has published a newer build" has "image $rec: verified by its record: the vendor has published a newer build"
expect "--image, no record: not verified (exit 2)" 2 audit --image "$norec"
check "it says why" has "which the vendor republishes" "$TMP/err"
for id in "$rec" "$norec"; do OS_CLOUD=stack-admin openstack image delete "$id" 2>>"$TMP/seed.log"; done

# -- the mirror unreachable: not verified, exit 2 with the reason, never a violation
# (docs/origin.md, the one table of outcomes: an outage is no verdict on the bytes)
sed "s#$MIRROR_URL#http://127.0.0.1:$(free_port)#g" "$TMP/hook.yaml" >"$TMP/dead.yaml"
expect "mirror unreachable: unverified -> exit 2" 2 "$BIN" audit --os-cloud stack-admin --config "$TMP/dead.yaml" --verify-origin
check "no origin/unavailable violation, no origin rule failing" sh -c "! grep -q 'origin/unavailable' '$TMP/out' &&
	grep -q '0 failing origin rules, 2 not verified' '$TMP/out'"
check "each remaining image is listed as not verified, with the reason" test "$(grep -c "the vendor's list could not be fetched" "$TMP/out")" -eq 2
check "stderr says why the audit is incomplete, naming an image" grep -q "could not be verified now (unverified, not judged): image .*: the vendor's list could not be fetched" "$TMP/err"
expect "mirror unreachable, json: exit 2" 2 "$BIN" audit --os-cloud stack-admin --config "$TMP/dead.yaml" --verify-origin --format json
json_valid "  ... the report matches the schema" "$ROOT/docs/audit-report.schema.json" "$TMP/out"
check "  ... not_verified, incomplete, and no origin violation" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
o = r["origin"]
assert o["failed"] == 0 and len(o["not_verified"]) == 2 and all(i["incomplete"] for i in o["not_verified"]), o
assert not any(v["rule"].startswith("origin/") for b in r["violations"] for v in b["violations"]), r["violations"]' "$TMP/out"
expect "mirror unreachable, scs: the origin line is ABORT, exit 2" 2 "$BIN" audit --os-cloud stack-admin --config "$TMP/dead.yaml" \
	--verify-origin --format scs scs-image-hook-origin
check "  ... ABORT, not FAIL" has "scs-image-hook-origin: ABORT"

expect "--download without --verify-origin is a usage error" 2 "$BIN" audit --os-cloud stack-admin --config "$TMP/hook.yaml" --download
printf 'policy: [%s]\n' "$ROOT/policy/scs-0104-v2-images.yaml" >"$TMP/noorigins.yaml"
expect "--verify-origin without origins in the policy is a usage error" 2 "$BIN" audit --os-cloud stack-admin --config "$TMP/noorigins.yaml" --verify-origin
check "it says what to add" has "scs-origins.yaml" "$TMP/err"

finish
