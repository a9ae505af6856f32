#!/usr/bin/env bash
# check --data: an image file verified against its vendor's checksum list,
# as an upload of it would be. The vendor is a mirror built by
# tests/origin/mkmirror (real gpg signatures) served on loopback and
# reached through origin.fetch, as an air-gapped cloud would configure it.
SUITE=cli-origin
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
. tests/origin/lib.sh
trap 'mirror_down; rm -rf "$TMP"' EXIT
mirror_up 262144 || { finish; exit 1; }
V2=policy/scs-0104-v2-images.yaml

# config NAME [YAML...]: $TMP/NAME.yaml with the v2 rules, the origins and the mirror.
config() {
	local name=$1; shift
	{
		echo "policy: [$PWD/$V2, $ORIGINS]"
		echo "$ORIGIN_CONFIG"
		for line in "$@"; do echo "$line"; done
	} >"$TMP/$name.yaml"
}
config main
# image RELEASE [FILE] [EXTRA-JSON]: an image whose image_source is that release's file
image() {
	printf '{"name":"Ubuntu 24.04","visibility":"public","image_source":"%s%s/%s"%s}\n' \
		"$UBUNTU_DIR" "$1" "${2:-$UBUNTU_IMG}" "${3:-}" >"$TMP/image.json"
}
good=$MIRROR/ubuntu/releases/noble/release-20261101/$UBUNTU_IMG
hex=$(sha256sum "$good" | cut -d' ' -f1)
list=${UBUNTU_DIR}20261101/SHA256SUMS

image 20261101
expect "the vendor's exact bytes pass" 0 "$BIN" check --config "$TMP/main.yaml" --data "$good" "$TMP/image.json"
check "text: the list, expected and actual digests, the signer" sh -c "grep -qF 'origin: $list' '$TMP/out' &&
	grep -qF 'sha256 expected $hex' '$TMP/out' && grep -qF 'sha256 actual   $hex' '$TMP/out' &&
	grep -qF 'signer $VENDOR_FPR' '$TMP/out'"
expect "json: the same, as a record" 0 "$BIN" check --config "$TMP/main.yaml" --data "$good" --format json "$TMP/image.json"
check "json: origin field verified" python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read())
o = r["origin"]
assert o == {"list": sys.argv[2], "algorithm": "sha256", "expected": sys.argv[3], "actual": sys.argv[3],
             "signer": sys.argv[4], "verified": True}, o
assert r["decision"] == "allow"
' "$TMP/out" "$list" "$hex" "$VENDOR_FPR"

# --glance-hash: the verification record the import plugin writes, bound to Glance's digest
image 20261101 "$UBUNTU_IMG" ',"id":"6f1e0cb6-9f0a-4f57-b3bb-2c53f16e0d16"'
expect "--glance-hash sha512: verified, with the image's verification record" 0 "$BIN" check --config "$TMP/main.yaml" \
	--data "$good" --glance-hash sha512 --format json "$TMP/image.json"
check "the record binds the vendor's digest, Glance's sha512 and size of the bytes, the file and the list" python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read())
f = dict(kv.split("=", 1) for kv in r["origin"]["record"].split()[1:])
assert r["origin"]["record"].startswith("v1 image=6f1e0cb6-9f0a-4f57-b3bb-2c53f16e0d16 algo=sha256 "), f
assert f["digest"] == sys.argv[2] and f["glance"] == "sha512:" + sys.argv[3] and f["size"] == sys.argv[4], f
assert f["source"] == json.load(open(sys.argv[5]))["image_source"] and f["list"] == sys.argv[6], f
assert f["signer"] == sys.argv[7] and f["time"].endswith("Z"), f
' "$TMP/out" "$hex" "$(sha512sum "$good" | cut -d' ' -f1)" "$(stat -c %s "$good")" "$TMP/image.json" "$list" "$VENDOR_FPR"
expect "--glance-hash sha256 (the list's own): the record's Glance digest is the same" 0 "$BIN" check \
	--config "$TMP/main.yaml" --data "$good" --glance-hash sha256 --format json "$TMP/image.json"
check "glance=sha256:<the vendor's digest>" grep -qF "glance=sha256:$hex " "$TMP/out"
expect "--glance-hash md5 is refused" 2 "$BIN" check --config "$TMP/main.yaml" --data "$good" --glance-hash md5 "$TMP/image.json"
expect "--glance-hash without --data is refused" 2 "$BIN" check --config "$TMP/main.yaml" --glance-hash sha512 "$TMP/image.json"
image 20261101

flipped=$MIRROR/tampered/$UBUNTU_IMG
bad=$(sha256sum "$flipped" | cut -d' ' -f1)
expect "one flipped byte is refused" 1 "$BIN" check --config "$TMP/main.yaml" --data "$flipped" "$TMP/image.json"
check "origin/checksum names the file, both digests and the list" sh -c "grep -qF 'origin/checksum' '$TMP/out' &&
	grep -qF \"the data is not the vendor's '$UBUNTU_IMG': its sha256 is $bad, the vendor's list $list gives $hex\" '$TMP/out'"
expect "json: refused with origin/checksum" 1 "$BIN" check --config "$TMP/main.yaml" --data "$flipped" --glance-hash sha512 --format json "$TMP/image.json"
check "json: the record says why" python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["decision"] == "deny" and [v["rule"] for v in r["violations"]] == ["origin/checksum"], r["violations"]
assert r["violations"][0]["expected"] == [sys.argv[2]]
o = r["origin"]
assert o["verified"] is False and o["actual"] == sys.argv[3] and o["expected"] == sys.argv[2], o
assert "differs" in o["reason"] and "record" not in o, o
' "$TMP/out" "$hex" "$bad"

image 20261102-otherkey
expect "a list signed by another key is refused" 1 "$BIN" check --config "$TMP/main.yaml" --data "$good" "$TMP/image.json"
check "origin/signature, naming the signature" sh -c "grep -qF 'origin/signature' '$TMP/out' && grep -qF 'release-20261102-otherkey/SHA256SUMS.gpg' '$TMP/out'"
image 20261103-tampered
expect "a list changed after signing is refused" 1 "$BIN" check --config "$TMP/main.yaml" --data "$good" "$TMP/image.json"
check "origin/signature" has "origin/signature"
image 20261104-unsigned
expect "a list without its signature is refused" 1 "$BIN" check --config "$TMP/main.yaml" --data "$good" "$TMP/image.json"
check "origin/signature: the vendor publishes none" has "the vendor's list has no signature"

image 20261101 ubuntu-24.04-server-cloudimg-arm64.img
expect "an unlisted file is refused" 1 "$BIN" check --config "$TMP/main.yaml" --data "$good" "$TMP/image.json"
check "origin/unlisted names the list and the file" sh -c "grep -qF 'origin/unlisted' '$TMP/out' &&
	grep -qF \"has no entry for 'ubuntu-24.04-server-cloudimg-arm64.img'\" '$TMP/out'"
image 20261101 "$UBUNTU_IMG?x=1"
expect "an image_source no list can vouch for is refused" 1 "$BIN" check --config "$TMP/main.yaml" --data "$good" "$TMP/image.json"
check "origin/unlisted: it says how the vendor names the file" has "is not written as the vendor names the file: write it '$UBUNTU_DIR"

image 20261101 "$UBUNTU_IMG" ',"source_sha256sum":"'"${bad}"'"'
expect "a declared source_sha256sum that is not the vendor's is refused" 1 "$BIN" check --config "$TMP/main.yaml" --data "$good" "$TMP/image.json"
check "origin/declared" has "origin/declared"
image 20261101 "$UBUNTU_IMG" ',"source_sha256sum":"'"${hex^^}"'"'
expect "the vendor's digest declared (any case) passes" 0 "$BIN" check --config "$TMP/main.yaml" --data "$good" "$TMP/image.json"

deb=$MIRROR/debian/images/cloud/trixie/20261101-1234/$DEBIAN_IMG
printf '{"name":"Debian 13","visibility":"public","image_source":"%s/%s"}\n' "$DEBIAN_DIR" "$DEBIAN_IMG" >"$TMP/deb.json"
expect "Debian: sha512, unsigned, passes" 0 "$BIN" check --config "$TMP/main.yaml" --data "$deb" --format json "$TMP/deb.json"
check "Debian: the record says unsigned and sha512" python3 -c '
import json, sys
o = json.loads(open(sys.argv[1]).read())["origin"]
assert o["signer"] == "unsigned" and o["algorithm"] == "sha512" and o["verified"] is True, o
' "$TMP/out"

# -- an unreachable mirror: failure_policy decides --------------------------------
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed "s#$MIRROR_URL#http://127.0.0.1:$dead#g" "$TMP/main.yaml" >"$TMP/dead.yaml"
image 20261101
expect "unreachable mirror, failure_policy closed (default): refused" 1 "$BIN" check --config "$TMP/dead.yaml" --data "$good" "$TMP/image.json"
check "origin/unavailable names the vendor URL and the mirror" sh -c "grep -qF 'origin/unavailable' '$TMP/out' &&
	grep -qF '$list (fetched from http://127.0.0.1:$dead/ubuntu/' '$TMP/out' && grep -qF 'closed, refused' '$TMP/out'"
echo "failure_policy: open" >>"$TMP/dead.yaml"
expect "unreachable mirror, failure_policy open: admitted" 0 "$BIN" check --config "$TMP/dead.yaml" --data "$good" --log "$TMP/open.log" "$TMP/image.json"
check "open: warned and logged with origin/unavailable" sh -c "grep -q '^WARN ' '$TMP/out' && grep -qF '\"rule\":\"origin/unavailable\"' '$TMP/open.log' && grep -qF '\"decision\":\"warn\"' '$TMP/open.log'"

# -- not under an origin, and usage ------------------------------------------------
printf '{"name":"x","visibility":"private","image_source":"https://example.org/x.img"}\n' >"$TMP/other.json"
expect "image_source under no origin: not compared" 0 "$BIN" check --config "$TMP/main.yaml" --data "$good" "$TMP/other.json"
check "text says the data was not compared" has "lies under no origin: the data was not compared"
cat "$TMP/image.json" "$TMP/image.json" >"$TMP/two.json"
expect "--data with two images is a usage error" 2 "$BIN" check --config "$TMP/main.yaml" --data "$good" "$TMP/two.json"
check "it says so" has "belongs to one image" "$TMP/err"
expect "--data that cannot be read is a usage error" 2 "$BIN" check --config "$TMP/main.yaml" --data "$TMP/nope" "$TMP/image.json"
check "it names the file" has "--data $TMP/nope: cannot open" "$TMP/err"
config badkey 'failure_policy: closed'
sed -i 's/keyring:/keyrin:/' "$TMP/badkey.yaml"
expect "a typo in origin: is a config error" 2 "$BIN" check --config "$TMP/badkey.yaml" --data "$good" "$TMP/image.json"
check "file:line:col and the key" has "$TMP/badkey.yaml:2:" "$TMP/err"
config nokeys
sed -i "s#keyring: $MIRROR/keys/vendor.asc#keyring: $TMP/nokeys.gpg#" "$TMP/nokeys.yaml"
expect "a keyring that cannot be read is a usage error" 2 "$BIN" check --config "$TMP/nokeys.yaml" --data "$good" "$TMP/image.json"
check "it names the keyring" has "$TMP/nokeys.gpg" "$TMP/err"
expect "policy show lists the origins and where lists are fetched" 0 "$BIN" policy show --config "$TMP/main.yaml"
check "show: the Ubuntu origin, its signature and key" has "origin: https://cloud-images.ubuntu.com/ ($ORIGINS:7): sha256 list SHA256SUMS, signed in SHA256SUMS.gpg by $VENDOR_FPR"
check "show: Debian unsigned" has "origin: https://cloud.debian.org/images/cloud/ ($ORIGINS:13): sha512 list SHA512SUMS, unsigned"
check "show: the fetch map" has "origin fetch: https://cloud-images.ubuntu.com/ from $MIRROR_URL/ubuntu/"
expect "policy lint counts them" 0 "$BIN" policy lint "$TMP/main.yaml"
check "lint: 3 origins" has "; 3 origins"
check "the mirror served the lists (not a test that cannot fail)" grep -q 'GET /ubuntu/releases/noble/release-20261101/SHA256SUMS.gpg' "$TMP/mirror.log"

finish
