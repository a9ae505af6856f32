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
             "signer": sys.argv[4], "stable": True, "signed_only": False, "verified": True}, o
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
# the one table of outcomes: verified 0, not the vendor's or invalid 1, could not be checked 2
expect "unreachable mirror, failure_policy closed (default): refused, could not be checked (exit 2)" 2 \
	"$BIN" check --config "$TMP/dead.yaml" --data "$good" "$TMP/image.json"
check "origin/unavailable names the vendor URL and the mirror" sh -c "grep -qF 'origin/unavailable' '$TMP/out' &&
	grep -qF '$list (fetched from http://127.0.0.1:$dead/ubuntu/' '$TMP/out' && grep -qF 'closed, refused' '$TMP/out'"
check "stderr says it could not be checked (the import plugin shows it)" has \
	"the origin of '$UBUNTU_IMG' could not be checked: cannot fetch the vendor's checksum list" "$TMP/err"
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
sed -i "s#keyring: $MIRROR/keys/vendors.asc#keyring: $TMP/nokeys.gpg#" "$TMP/nokeys.yaml"
expect "a keyring that cannot be read is a usage error" 2 "$BIN" check --config "$TMP/nokeys.yaml" --data "$good" "$TMP/image.json"
check "it names the keyring" has "$TMP/nokeys.gpg" "$TMP/err"
expect "policy show lists the origins and where lists are fetched" 0 "$BIN" policy show --config "$TMP/main.yaml"
check "show: the Ubuntu origin, its list, signature, key and moving directories" has "origin: https://cloud-images.ubuntu.com/ ($ORIGINS:24): sha256 list SHA256SUMS, gnu lines, signed in SHA256SUMS.gpg by $VENDOR_FPR; moving: current, release"
check "show: Debian unsigned" has "origin: https://cloud.debian.org/images/cloud/ ($ORIGINS:31): sha512 list SHA512SUMS, gnu lines, unsigned (HTTPS is the only protection); moving: latest"
check "show: Fedora's pattern, clearsigned" has "origin: https://download.fedoraproject.org/pub/fedora/linux/releases/43/Cloud/ ($ORIGINS:46): sha256 list *-CHECKSUM (the one name the directory's index matches), bsd lines and '#' comments, clearsigned by $OTHER_FPR"
check "show: openSUSE's list per image" has "sha256 list {file}.sha256 (one per image), gnu lines, signed in {list}.asc by $VENDOR_FPR"
check "show: the fetch map" has "origin fetch: https://cloud-images.ubuntu.com/ from $MIRROR_URL/ubuntu/"
expect "policy lint counts them" 0 "$BIN" policy lint "$TMP/main.yaml"
check "lint: 16 origins" has "; 16 origins"
# -- every vendor's format, through the shipped origins -----------------------------
# vendor NAME SOURCE: $TMP/NAME.json, a public image whose image_source is SOURCE
vendor() { printf '{"name":"%s","visibility":"public","image_source":"%s"}\n' "$1" "$2" >"$TMP/$1.json"; }
# verified NAME SOURCE FILE SIGNER [STABLE]: the mirror's FILE passes as SOURCE's, its record
# naming the signer and whether the URL is stable; another file's bytes are origin/checksum
verified() {
	local name=$1 source=$2 file=$MIRROR/$3 signer=$4 stable=${5:-True}
	vendor "$name" "$source"
	expect "$name: the vendor's bytes pass" 0 "$BIN" check --config "$TMP/main.yaml" --data "$file" --format json \
		"$TMP/$name.json"
	check "$name: verified, signed by $signer, stable $stable" python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read())
o = r["origin"]
assert r["decision"] == "allow" and o["verified"] is True and o["signer"] == sys.argv[2], o
assert o["expected"] == o["actual"] == sys.argv[3] and o["stable"] is (sys.argv[4] == "True"), o
' "$TMP/out" "$signer" "$(sha256sum "$file" | cut -d' ' -f1)" "$stable"
	expect "$name: other bytes are refused" 1 "$BIN" check --config "$TMP/main.yaml" --data "$flipped" "$TMP/$name.json"
	check "$name: origin/checksum" has "origin/checksum"
}
# refused NAME SOURCE RULE WORDS [STATUS]: check --data refuses SOURCE with RULE, saying WORDS
refused() {
	vendor "$1" "$2"
	expect "$1: refused" "${5:-1}" "$BIN" check --config "$TMP/main.yaml" --data "$flipped" "$TMP/$1.json"
	check "$1: $3, saying why" sh -c "grep -qF '    $3 (' '$TMP/out' && grep -qF -- \"$4\" '$TMP/out'"
}
FED=https://download.fedoraproject.org/pub/fedora/linux/releases
F42=Fedora-Cloud-Base-Generic-42-1.1.x86_64.qcow2
ALMA=https://repo.almalinux.org/almalinux/9/cloud
ROCKY=https://dl.rockylinux.org/pub/rocky
R9=Rocky-9-GenericCloud-Base-9.5-20241118.0.x86_64.qcow2
SUSE=https://download.opensuse.org/distribution/leap/15.6/appliances/openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud
CENTOS=https://cloud.centos.org/centos/9-stream/x86_64/images/CentOS-Stream-GenericCloud-9-20241118.0.x86_64.qcow2

verified fedora "$FED/42/Cloud/x86_64/images/$F42" "fedora/pub/fedora/linux/releases/42/Cloud/x86_64/images/$F42" "$VENDOR_FPR"
check "fedora: the list the directory's index named" has "$FED/42/Cloud/x86_64/images/Fedora-Cloud-42-1.1-x86_64-CHECKSUM"
verified fedora43 "$FED/43/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2" \
	"fedora/pub/fedora/linux/releases/43/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2" "$OTHER_FPR"
verified almalinux "$ALMA/x86_64/images/AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2" \
	"almalinux/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2" "$VENDOR_FPR"
verified almalinux-latest "$ALMA/x86_64/images/AlmaLinux-9-GenericCloud-latest.x86_64.qcow2" \
	"almalinux/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-latest.x86_64.qcow2" "$VENDOR_FPR" False
verified rocky8 "$ROCKY/8/images/x86_64/Rocky-8-GenericCloud-Base-8.10-20240528.0.x86_64.qcow2" \
	"rocky/pub/rocky/8/images/x86_64/Rocky-8-GenericCloud-Base-8.10-20240528.0.x86_64.qcow2" "$VENDOR_FPR"
verified rocky9 "$ROCKY/9/images/x86_64/$R9" "rocky/pub/rocky/9/images/x86_64/$R9" unsigned
verified rocky9-latest "$ROCKY/9/images/x86_64/Rocky-9-GenericCloud-Base.latest.x86_64.qcow2" \
	"rocky/pub/rocky/9/images/x86_64/Rocky-9-GenericCloud-Base.latest.x86_64.qcow2" unsigned False
verified centos-crlf "$CENTOS" "centos/centos/9-stream/x86_64/images/${CENTOS##*/}" unsigned
verified opensuse-v3 "$SUSE-Build1.1.qcow2" \
	"opensuse/distribution/leap/15.6/appliances/openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud-Build1.1.qcow2" "$VENDOR_FPR"
verified ubuntu-release "${UBUNTU_DIR%-}/$UBUNTU_IMG" "ubuntu/releases/noble/release/$UBUNTU_IMG" "$VENDOR_FPR" False
vendor moving "${UBUNTU_DIR%-}/$UBUNTU_IMG"
expect "a moving directory: verified now" 0 "$BIN" check --config "$TMP/main.yaml" --data "$good" "$TMP/moving.json"
check "text: the URL is not stable, the dated one is" has "not stable: image_source lies under 'release', which the vendor republishes"

refused opensuse-unversioned "$SUSE.qcow2" origin/unlisted \
	"is for 'openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud-Build1.1.qcow2' only: name that file in image_source"
refused fedora-other-release-key "$FED/42/Cloud/aarch64/images/$F42" origin/signature \
	"signed by $OTHER_FPR, which is not one of the accepted keys"
refused fedora-text-after "$FED/42/Cloud/s390x/images/$F42" origin/list-invalid \
	"is to be clearsigned, but it is text after the signature block"
refused fedora-text-before "$FED/42/Cloud/ppc64le/images/$F42" origin/list-invalid "text before the signed part"
refused fedora-not-signed "$FED/42/Cloud/armhfp/images/$F42" origin/signature "no signature covers it"
refused fedora-two-lists "$FED/42/Cloud/i686/images/$F42" origin/list-invalid \
	"names more than one file matching '*-CHECKSUM'"
refused rocky-comment-digest "$ROCKY/9/images/aarch64/$R9" origin/list-invalid "a comment line carrying a digest"
refused almalinux-bsd-lines "$ALMA/aarch64/images/AlmaLinux-9-GenericCloud-9.5-20241120.x86_64.qcow2" \
	origin/list-invalid "not a GNU-style line"
vendor fedora41 "$FED/41/Cloud/x86_64/images/$F42"
expect "fedora 41 (no origin shipped: the release is the prefix)" 0 "$BIN" check --config "$TMP/main.yaml" \
	--data "$flipped" "$TMP/fedora41.json"
check "fedora 41: under no origin, nothing compared" has "lies under no origin: the data was not compared"
{ cat "$TMP/main.yaml"; echo "failure_policy: open"; } >"$TMP/open.yaml"
vendor invalid-open "$FED/42/Cloud/s390x/images/$F42"
expect "list-invalid binds under failure_policy open (it covers reachability only)" 1 "$BIN" check \
	--config "$TMP/open.yaml" --data "$flipped" "$TMP/invalid-open.json"

# -- origin.signed_only: what no signature vouches for is refused --------------------
{ echo "policy: [$PWD/$V2, $ORIGINS]"; echo "${ORIGIN_CONFIG%\}}, signed_only: true}"; } >"$TMP/signed.yaml"
expect "signed_only: Debian (unsigned) is refused" 1 "$BIN" check --config "$TMP/signed.yaml" --data "$deb" --format json "$TMP/deb.json"
check "signed_only: origin/signature, and the record says signed_only applied" python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert [v["rule"] for v in r["violations"]] == ["origin/signature"], r["violations"]
o = r["origin"]
assert o["signed_only"] is True and o["signer"] == "unsigned" and o["verified"] is False and "signed_only" in o["reason"], o
' "$TMP/out"
expect "signed_only: a signed vendor still passes" 0 "$BIN" check --config "$TMP/signed.yaml" --data "$good" "$TMP/image.json"
check "signed_only: text says so" has "signer $VENDOR_FPR (origin.signed_only)"

# -- origins alone are a policy ------------------------------------------------------
{ echo "policy: [$ORIGINS]"; echo "$ORIGIN_CONFIG"; } >"$TMP/only.yaml"
expect "a config whose policy is origins alone is accepted" 0 "$BIN" policy lint "$TMP/only.yaml"
expect "origins alone: the vendor's bytes pass" 0 "$BIN" check --config "$TMP/only.yaml" --data "$good" "$TMP/image.json"
expect "origins alone: other bytes are refused" 1 "$BIN" check --config "$TMP/only.yaml" --data "$flipped" "$TMP/image.json"

# -- a redirect to another host: followed for a signed list, never for an unsigned one --
redirect_up "http://localhost:${MIRROR_URL##*:}/" || { finish; exit 1; }
{ echo "policy: [$ORIGINS]"; echo "origin: {keyring: $MIRROR/keys/vendors.asc, fetch: {$(origin_fetch "$REDIRECT_URL")}}"; } \
	>"$TMP/redirect.yaml"
vendor fedora-redirected "$FED/42/Cloud/x86_64/images/$F42"
expect "redirected: a clearsigned list from another host verifies" 0 "$BIN" check --config "$TMP/redirect.yaml" \
	--data "$MIRROR/fedora/pub/fedora/linux/releases/42/Cloud/x86_64/images/$F42" "$TMP/fedora-redirected.json"
check "the redirector sent the index and the list elsewhere" sh -c "grep -q 'GET /fedora/pub/fedora/linux/releases/42/Cloud/x86_64/images/\$' '$TMP/redirect.log' && grep -q 'GET /fedora/.*-CHECKSUM' '$TMP/redirect.log'"
vendor rocky-redirected "$ROCKY/9/images/x86_64/$R9"
expect "redirected: an unsigned list is not taken from another host (could not be checked)" 2 "$BIN" check \
	--config "$TMP/redirect.yaml" --data "$MIRROR/rocky/pub/rocky/9/images/x86_64/$R9" "$TMP/rocky-redirected.json"
check "it names the redirect and why it is not followed" has "HTTP 302, a redirect to http://localhost:${MIRROR_URL##*:}/rocky/pub/rocky/9/images/x86_64/CHECKSUM, not followed: the list is unsigned"

check "the mirror served the lists (not a test that cannot fail)" grep -q 'GET /ubuntu/releases/noble/release-20261101/SHA256SUMS.gpg' "$TMP/mirror.log"

finish
