# Helpers for the suites that verify origins: a vendor mirror built by
# tests/origin/mkmirror, served on a free loopback port by Python's
# http.server, and the config lines that point the hook at it. Source
# after tests/lib.sh, from the repository root.

MIRROR_PIDS=()

# mirror_up [BYTES]: build $TMP/mirror and serve it. Sets MIRROR (the
# directory), MIRROR_URL, VENDOR_FPR, and ORIGIN_CONFIG: the `origin:`
# config line for it (keyring with the vendor key, fetch map of both
# vendors' prefixes to the mirror).
mirror_up() {
	local i port
	MIRROR=$TMP/mirror
	tests/origin/mkmirror "$MIRROR" "${1:-1048576}" >"$TMP/mkmirror.log" 2>&1 || {
		fail "mirror is built" "$(tail -5 "$TMP/mkmirror.log")"
		return 1
	}
	python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$MIRROR" >"$TMP/mirror.log" 2>&1 &
	MIRROR_PIDS+=("$!")
	for i in $(seq 100); do
		port=$(sed -nE 's/^Serving HTTP on [0-9.]+ port ([0-9]+).*/\1/p' "$TMP/mirror.log")
		[ -n "$port" ] && break
		sleep 0.1
	done
	MIRROR_URL=http://127.0.0.1:$port
	VENDOR_FPR=$(cat "$MIRROR/keys/vendor.fpr")
	ORIGIN_CONFIG="origin: {keyring: $MIRROR/keys/vendor.asc, fetch: {\"https://cloud-images.ubuntu.com/\": \"$MIRROR_URL/ubuntu/\", \"https://cloud.debian.org/images/cloud/\": \"$MIRROR_URL/debian/images/cloud/\"}, cache: 1h}"
	# the shipped origins with the test vendor's key in place of Ubuntu's
	sed "s/D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81/$VENDOR_FPR/" policy/scs-origins.yaml >"$TMP/origins.yaml"
	ORIGINS=$TMP/origins.yaml
	curl -sf "$MIRROR_URL/keys/vendor.fpr" >/dev/null
}

mirror_down() {
	local p
	for p in "${MIRROR_PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	return 0
}

UBUNTU_DIR=https://cloud-images.ubuntu.com/releases/noble/release-
UBUNTU_IMG=ubuntu-24.04-server-cloudimg-amd64.img
DEBIAN_DIR=https://cloud.debian.org/images/cloud/trixie/20261101-1234
DEBIAN_IMG=debian-13-generic-amd64-20261101-1234.qcow2
