# Helpers for the suites that verify origins: a vendor mirror built by
# tests/origin/mkmirror, served on a free loopback port by Python's
# http.server, and the config lines that point the hook at it. Source
# after tests/lib.sh, from the repository root.

MIRROR_PIDS=()

# port_of LOG SED: the port a server just started writes to LOG (SED's
# sed -nE script picks it out), waiting for it up to 10 s.
port_of() {
	local i port
	for i in $(seq 100); do
		port=$(sed -nE "$2" "$1" 2>/dev/null)
		[ -n "$port" ] && { echo "$port"; return 0; }
		sleep 0.1
	done
	return 1
}

# mirror_up [BYTES]: build $TMP/mirror and serve it. Sets MIRROR (the
# directory), MIRROR_URL, VENDOR_FPR, OTHER_FPR, ORIGINS (the shipped
# origins with the mirror's keys) and ORIGIN_CONFIG: the `origin:` config
# line for it (keyring with both test keys, fetch map of every vendor's
# prefix to the mirror).
mirror_up() {
	local port
	MIRROR=$TMP/mirror
	tests/origin/mkmirror "$MIRROR" "${1:-1048576}" >"$TMP/mkmirror.log" 2>&1 || {
		fail "mirror is built" "$(tail -5 "$TMP/mkmirror.log")"
		return 1
	}
	python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$MIRROR" >"$TMP/mirror.log" 2>&1 &
	MIRROR_PIDS+=("$!")
	port=$(port_of "$TMP/mirror.log" 's/^Serving HTTP on [0-9.]+ port ([0-9]+).*/\1/p') ||
		{ fail "mirror is served" "$(cat "$TMP/mirror.log")"; return 1; }
	MIRROR_URL=http://127.0.0.1:$port
	VENDOR_FPR=$(cat "$MIRROR/keys/vendor.fpr")
	OTHER_FPR=$(cat "$MIRROR/keys/other.fpr")
	ORIGIN_FETCH=$(origin_fetch "$MIRROR_URL")
	ORIGIN_CONFIG="origin: {keyring: $MIRROR/keys/vendors.asc, fetch: {$ORIGIN_FETCH}, cache: 1h}"
	# the shipped origins with the test keys in place of the vendors' (mkmirror)
	ORIGINS=$MIRROR/origins.yaml
	curl -sf "$MIRROR_URL/keys/vendor.fpr" >/dev/null
}

# origin_fetch URL: origin.fetch's map (without braces) from every vendor
# host of the shipped origins to its place on a mirror served at URL.
origin_fetch() {
	local m=$1
	printf '"%s": "%s", ' "https://cloud-images.ubuntu.com/" "$m/ubuntu/" \
		"https://cloud.debian.org/images/cloud/" "$m/debian/images/cloud/" \
		"https://download.fedoraproject.org/" "$m/fedora/" "https://repo.almalinux.org/" "$m/almalinux/" \
		"https://dl.rockylinux.org/" "$m/rocky/" "https://cloud.centos.org/" "$m/centos/" \
		"https://download.opensuse.org/" "$m/opensuse/" | sed 's/, $//'
}

# redirect_up TARGET: a server on a free loopback port that answers every
# GET with 302 to TARGET + the path (another host:port than itself, as
# Fedora's and openSUSE's download hosts send clients to mirrors). Sets
# REDIRECT_URL.
redirect_up() {
	local port
	python3 -u -c '
import http.server, sys
class R(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", sys.argv[1] + self.path.lstrip("/"))
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, fmt, *args):
        print("GET " + self.path, flush=True)
s = http.server.HTTPServer(("127.0.0.1", 0), R)
print("port", s.server_address[1], flush=True)
s.serve_forever()
' "$1" >"$TMP/redirect.log" 2>&1 &
	MIRROR_PIDS+=("$!")
	port=$(port_of "$TMP/redirect.log" 's/^port ([0-9]+)$/\1/p') ||
		{ fail "the redirector is up" "$(cat "$TMP/redirect.log")"; return 1; }
	REDIRECT_URL=http://127.0.0.1:$port
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
