#!/usr/bin/env bash
# scs-image-hook sync against the real Keystone + Glance and a loopback
# vendor mirror the test grows build by build (tests/sync/vendor: a
# simplestreams stream read through its clearsigned .sjson files, Debian
# per-build JSON, signed SHA256SUMS, SHA512SUMS, an AlmaLinux-like
# checksum-list directory with a signed CHECKSUM). Judged by asking
# Glance: the first sync publishes each
# image with its metadata and verification record, and audit's SCS
# testcase lines pass for them; an unchanged mirror changes nothing; a new
# build is published and the old image renamed and hidden; a tampered
# build, a stream whose signed text was changed, an older one, a stream
# pointing outside the vendor's tree and (origin.signed_only) an unsigned
# build change nothing visible; a run killed mid-download leaves nothing visible
# and the next converges; two runs at once publish once; --dry-run writes
# nothing; and all of it through the proxy too.
SUITE=integration-sync
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/stack-lib.sh
stack_up
TADMIN=$(token stack-admin)

M=$TMP/mirror
tests/sync/vendor "$M" init
D0=$(date -u -d '-3 day' +%Y%m%d) D1=$(date -u -d '-2 day' +%Y%m%d) D2=$(date -u -d '-1 day' +%Y%m%d)
tests/sync/vendor "$M" ubuntu "$D0"
tests/sync/vendor "$M" debian "$D0-0001"
tests/sync/vendor "$M" alma "4-$D0" --mib 1
tests/sync/vendor "$M" alma "5-$D1" --mib 1
check "the vendor mirror is built" test -s "$M/ubuntu/releases/noble/release-$D0/SHA256SUMS.gpg"

# a static server for the mirror, fast, and one that trickles (the kill test)
cat >"$TMP/serve.py" <<'PY'
import functools, http.server, sys, time
class Slow(http.server.SimpleHTTPRequestHandler):
    def copyfile(self, src, dst):
        while True:
            b = src.read(256 << 10)
            if not b:
                break
            try:
                dst.write(b)
            except (BrokenPipeError, ConnectionResetError):
                return      # sync stops reading once it has what it needs (a --dry-run's sniff, a refusal)
            time.sleep(float(sys.argv[3]))
    def log_message(self, *a):
        pass
h = functools.partial(Slow, directory=sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), h).serve_forever()
PY
FAST_PORT=$(free_port) SLOW_PORT=$(free_port)
python3 "$TMP/serve.py" "$FAST_PORT" "$M" 0 &
SERVE_PIDS="$!"
python3 "$TMP/serve.py" "$SLOW_PORT" "$M" 0.05 &
SERVE_PIDS="$SERVE_PIDS $!"
trap 'kill $SERVE_PIDS 2>/dev/null; proxy_stop_all; tests/stack/down "$STACK" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$FAST_PORT/keys/vendor.fpr" >/dev/null && break; sleep 0.1; done

FPR=$(cat "$M/keys/vendor.fpr")
sed -e "s/D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81/$FPR/" -e "s/BF18AC2876178908D6E71267D36CB86CB86B3716/$FPR/" \
	policy/scs-origins.yaml >"$TMP/origins.yaml"
U=https://cloud-images.ubuntu.com/releases
A=https://repo.almalinux.org/almalinux/9/cloud/x86_64/images
DEB=https://cloud.debian.org/images/cloud
props='os_purpose: generic, min_ram: 512, hw_disk_bus: virtio, provided_until: none, uuid_validity: none, replace_frequency: weekly'
# config NAME PORT [CLOUD]: the operator config, the mirror at PORT, the credentials of CLOUD
config() {
	cat >"$TMP/$1.yaml" <<EOF
policy: [$ROOT/policy/scs-0104-v1-images-v5.yaml, $ROOT/policy/scs-0104-v2-images.yaml,
         $ROOT/policy/scs-0102-v1-image-metadata.yaml, $TMP/origins.yaml]
mode: enforce
keystone: {cloud: ${3:-stack-admin}}
log: {file: $TMP/$1.log}
origin:
  keyring: $M/keys/vendor.asc
  fetch: {"https://cloud-images.ubuntu.com/": "http://127.0.0.1:$2/ubuntu/", "$DEB/": "http://127.0.0.1:$2/debian/images/cloud/",
          "https://repo.almalinux.org/": "http://127.0.0.1:$2/almalinux/"}
sync:
  previous: rename-and-hide
  sources:
    simplestreams-v1: {index: "$U/streams/v1/index.sjson", keys: ["$FPR"], base: "$U/",
                       rewrite: {from: "server/releases/", to: ""}}
    debian-build-json: {base: "$DEB/"}
  images:
    - name: "Ubuntu 24.04"
      source: {format: simplestreams-v1, product: "com.ubuntu.cloud:server:24.04:amd64"}
      visibility: public
      properties: {os_distro: ubuntu, os_version: "24.04", image_original_user: ubuntu,
                   image_description: "Ubuntu 24.04 LTS", $props}
    - name: "Debian 12"
      source: {format: debian-build-json, release: bookworm, vendor: generic, arch: amd64}
      visibility: public
      properties: {os_distro: debian, os_version: "12", image_original_user: debian,
                   image_description: "Debian 12 bookworm", $props}
    - name: "AlmaLinux 9"
      source: {format: checksum-list, dir: "$A/", match: 'AlmaLinux-9-GenericCloud-9\.(\d+)-(\d+)\.x86_64\.qcow2'}
      visibility: public
      properties: {os_distro: almalinux, os_version: "9", image_original_user: almalinux, architecture: x86_64,
                   image_description: "AlmaLinux 9", $props}
EOF
}
config hook "$FAST_PORT"
sync() { OS_CLIENT_CONFIG_FILE=$GLANCE_CLOUDS "$BIN" sync --config "$TMP/hook.yaml" "$@"; }
# images NAME: "id status visibility hidden name build" of every image named NAME* (admin's view)
images() {
	curl -s "$GLANCE_URL/v2/images?limit=200" -H "X-Auth-Token: $TADMIN" >"$TMP/l1"
	curl -s "$GLANCE_URL/v2/images?limit=200&os_hidden=true" -H "X-Auth-Token: $TADMIN" >"$TMP/l2"
	python3 - "$1" "$TMP/l1" "$TMP/l2" <<'PY'
import json, sys
seen = {}
for f in sys.argv[2:]:
    for i in json.load(open(f))["images"]:
        if i["name"].startswith(sys.argv[1]):
            seen[i["id"]] = i
for i in sorted(seen.values(), key=lambda i: i["created_at"]):
    print(i["id"], i["status"], i["visibility"], i["os_hidden"], i["name"].replace(" ", "_"), i.get("scs_sync"))
PY
}
# public NAME: the one public, visible image of that name (fails when not exactly one)
public() { images "$1" | awk -v n="${1// /_}" '$3 == "public" && $4 == "False" && $5 == n' >"$TMP/pub"; test "$(wc -l <"$TMP/pub")" -eq 1 && cut -d' ' -f1 "$TMP/pub"; }
field() { curl -s "$GLANCE_URL/v2/images/$1" -H "X-Auth-Token: $TADMIN" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1]))' "$2"; }
record_holds() {   # ID DIGEST SOURCE
	curl -s "$GLANCE_URL/v2/images/$1" -H "X-Auth-Token: $TADMIN" | python3 -c '
import json, sys
i = json.load(sys.stdin)
f = dict(kv.split("=", 1) for kv in (i.get("scs_image_hook_verified") or "v0").split()[1:])
ok = f and f["digest"] == sys.argv[1] and f["glance"] == "%s:%s" % (i["os_hash_algo"], i["os_hash_value"]) \
    and int(f["size"]) == i["size"] and f["source"] == i["image_source"] == sys.argv[2]
sys.exit(0 if ok else 1)' "$2" "$3"
}
usha() { sha256sum "$M/ubuntu/releases/noble/release-$1/ubuntu-24.04-server-cloudimg-amd64.img" | cut -d' ' -f1; }
dsha() { sha512sum "$M/debian/images/cloud/bookworm/$1/debian-12-generic-amd64-$1.qcow2" | cut -d' ' -f1; }
# has NAME TEXT: an image of that name whose line says TEXT
has_image() { images "$1" | grep -q -- "$2"; }
no_image() { ! has_image "$@"; }
snapshot() { curl -s "$GLANCE_URL/v2/images?limit=200&sort=id:asc" -H "X-Auth-Token: $TADMIN" | python3 -c '
import json, sys
print("\n".join("%s %s" % (i["id"], i["updated_at"]) for i in json.load(sys.stdin)["images"]))'; }

# ---- --check and --dry-run --------------------------------------------------------------------
expect "--check: the catalog is valid against the policy" 0 sync --check
check "--check says so" has "the sync catalog (3 images) is valid against the policy"
sed 's/os_distro: debian, os_version: "12"/os_distro: debian/' "$TMP/hook.yaml" >"$TMP/bad.yaml"
expect "--check: an entry the policy would refuse is a config error" 2 "$BIN" sync --config "$TMP/bad.yaml" --check
check "... naming the file, the line and the rule" grep -qE "bad.yaml:[0-9]+: sync image 'Debian 12' would be refused by the policy: .*os_version" "$TMP/err"
sed "s#dir: \"$A/\"#dir: \"https://download.opensuse.org/distribution/leap/15.6/appliances/\"#" "$TMP/hook.yaml" >"$TMP/bad.yaml"
expect "--check: a checksum-list dir whose origin lists per image is a config error" 2 "$BIN" sync --config "$TMP/bad.yaml" --check
check "... naming the file and the line" grep -qE "bad.yaml:[0-9]+: sync image 'AlmaLinux 9': .*whose lists are per image" "$TMP/err"
before=$(snapshot)
expect "--dry-run: exit 0" 0 sync --dry-run
check "--dry-run prints the plan" sh -c "grep -q \"create 'Ubuntu 24.04' private and hidden from $U/noble/release-$D0/\" '$TMP/out' && grep -q \"publish 'Debian 12' as public\" '$TMP/out'"
check "--dry-run: Glance unchanged" test "$(snapshot)" = "$before"

# ---- the first sync ---------------------------------------------------------------------------
expect "first sync: exit 0" 0 sync
sed "s/^/     | /" "$TMP/out"
check "it published all three" sh -c "grep -q '^published: Ubuntu 24.04: published build $D0' '$TMP/out' && grep -q '^published: Debian 12: published build $D0-0001' '$TMP/out' && grep -q '^published: AlmaLinux 9: published build 5-$D1 ' '$TMP/out'"
u0=$(public "Ubuntu 24.04") d0=$(public "Debian 12") a0=$(public "AlmaLinux 9")
check "Glance: one public Ubuntu 24.04 and one public Debian 12" test -n "$u0" -a -n "$d0"
check "Ubuntu: image_source is the vendor's dated file" test "$(field "$u0" image_source)" = "$U/noble/release-$D0/ubuntu-24.04-server-cloudimg-amd64.img"
check "Ubuntu: the verification record binds Glance's digest to the vendor's" record_holds "$u0" "$(usha "$D0")" "$U/noble/release-$D0/ubuntu-24.04-server-cloudimg-amd64.img"
check "Ubuntu: source_sha256sum, build date, architecture, min_disk from the build" \
	test "$(field "$u0" source_sha256sum)/$(field "$u0" image_build_date)/$(field "$u0" architecture)/$(field "$u0" min_disk)/$(field "$u0" disk_format)" = \
	"$(usha "$D0")/${D0:0:4}-${D0:4:2}-${D0:6:2}/x86_64/2/qcow2"
check "Ubuntu: the catalog's properties" test "$(field "$u0" os_distro)/$(field "$u0" os_version)/$(field "$u0" replace_frequency)" = "ubuntu/24.04/weekly"
check "Debian: the dated file, the record, sha512 from the per-build JSON" \
	record_holds "$d0" "$(dsha "$D0-0001")" "$DEB/bookworm/$D0-0001/debian-12-generic-amd64-$D0-0001.qcow2"
check "AlmaLinux: the newest build the signed CHECKSUM names (not the older one, not the latest alias), recorded" \
	record_holds "$a0" "$(sha256sum "$M/almalinux/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-9.5-$D1.x86_64.qcow2" | cut -d' ' -f1)" \
	"$A/AlmaLinux-9-GenericCloud-9.5-$D1.x86_64.qcow2"
check "AlmaLinux: the build date from the name" test "$(field "$a0" image_build_date)" = "${D1:0:4}-${D1:4:2}-${D1:6:2}"
check "the decision log has a record per action, valid against the schema" \
	test "$(grep -c '"source":"sync"' "$TMP/hook.log")" -ge 8
records_valid "sync records match docs/decision-record.schema.json" "$TMP/hook.log"
printf 'policy: [%s]\n' "$ROOT/policy/scs-0104-v1-images-v5.yaml, $ROOT/policy/scs-0102-v1-image-metadata.yaml" >"$TMP/audit.yaml"
expect "audit --format scs over the synced images: exit 0" 0 "$BIN" audit --os-cloud stack-admin --config "$TMP/audit.yaml" \
	--format scs scs-0104-source-ubuntu-2404 scs-0104-source-debian-12 scs-0102-prop-architecture \
	scs-0102-prop-min_disk scs-0102-prop-image_build_date scs-0102-prop-image_source scs-0102-prop-replace_frequency \
	scs-0102-prop-uuid_validity scs-0102-image-recency
check "audit: the SCS-0104 source lines pass for them" sh -c "grep -q 'scs-0104-source-ubuntu-2404: PASS' '$TMP/out' && grep -q 'scs-0104-source-debian-12: PASS' '$TMP/out'"
check "audit: every SCS-0102 line asked passes" test "$(grep -c '^scs-0102-.*: PASS' "$TMP/out")" -eq 7

# ---- nothing new: nothing written -------------------------------------------------------------
before=$(snapshot) lines=$(wc -l <"$TMP/hook.log")
expect "unchanged mirror: exit 0" 0 sync
sed "s/^/     | /" "$TMP/out"
check "it says up to date" test "$(grep -c '^up to date:' "$TMP/out")" -eq 3
check "Glance unchanged, no record written (no write at all)" test "$(snapshot)/$(wc -l <"$TMP/hook.log")" = "$before/$lines"

# ---- a new build: published, the old one renamed and hidden ------------------------------------
tests/sync/vendor "$M" ubuntu "$D1"
expect "a new Ubuntu build: exit 0" 0 sync "Ubuntu 24.04"
sed "s/^/     | /" "$TMP/out"
u1=$(public "Ubuntu 24.04")
check "the new build is the public Ubuntu 24.04" test -n "$u1" -a "$u1" != "$u0" -a "$(field "$u1" image_source)" = "$U/noble/release-$D1/ubuntu-24.04-server-cloudimg-amd64.img"
check "the old one is renamed 'Ubuntu 24.04 $D0' and hidden, still active (servers that use it keep working)" \
	test "$(field "$u0" name)/$(field "$u0" os_hidden)/$(field "$u0" status)" = "Ubuntu 24.04 $D0/True/active"
check "Debian was not asked for and is unchanged" test "$(public "Debian 12")" = "$d0"

# ---- refused: tampered, a changed signed stream, older, outside the tree ------------------------
sed -i 's/"updated": "Mon/"updated": "Tue/' "$M/ubuntu/releases/streams/v1/index.sjson"
before=$(snapshot)
expect "a signed stream whose text changed after signing: exit 1" 1 sync "Ubuntu 24.04"
sed "s/^/     | /" "$TMP/err"
check "it says the stream does not verify" grep -q "index.sjson does not verify" "$TMP/err"
check "Glance unchanged" test "$(snapshot)" = "$before"
tests/sync/vendor "$M" resign
tests/sync/vendor "$M" ubuntu "$D2" --tamper
expect "a tampered new build: exit 1" 1 sync "Ubuntu 24.04"
sed "s/^/     | /" "$TMP/out"
sed "s/^/     | /" "$TMP/err"
check "it names the digests" grep -q "are not the vendor's file" "$TMP/err"
check "nothing visible changed: the public Ubuntu 24.04 is still the last good build" test "$(public "Ubuntu 24.04")" = "$u1"
check "no image of the tampered build is left" no_image "Ubuntu 24.04" "build=$D2"
python3 - "$M" "$D2" <<'PY'
import json, sys
f = sys.argv[1] + "/ubuntu/releases/streams/v1/com.ubuntu.cloud:released:download.json"
d = json.load(open(f))
del d["products"]["com.ubuntu.cloud:server:24.04:amd64"]["versions"][sys.argv[2]]
json.dump(d, open(f, "w"))
PY
python3 - "$M" "$D0" <<'PY'
import json, sys
f = sys.argv[1] + "/ubuntu/releases/streams/v1/com.ubuntu.cloud:released:download.json"
d = json.load(open(f))
v = d["products"]["com.ubuntu.cloud:server:24.04:amd64"]["versions"]
del v[max(v)]                    # the stream rolled back: its newest is the old build
json.dump(d, open(f, "w"))
PY
tests/sync/vendor "$M" resign
expect "a stale stream (its newest older than what is published): exit 1" 1 sync "Ubuntu 24.04"
check "it says older, nothing changed" grep -q "is older than the one published" "$TMP/err"
check "the public Ubuntu 24.04 is unchanged" test "$(public "Ubuntu 24.04")" = "$u1"
tests/sync/vendor "$M" ubuntu "$D2" --path "server/releases/../../../evil/x.img"
expect "a stream naming a path outside the vendor's tree: exit 1" 1 sync "Ubuntu 24.04"
check "it says so" grep -q "not a plain path under" "$TMP/err"
tests/sync/vendor "$M" ubuntu "$D2"

# ---- killed mid-download, then run again -------------------------------------------------------
config slow "$SLOW_PORT"
tests/sync/vendor "$M" debian "$D2-0001" --mib 24
sed 's/^origin:$/origin:\n  signed_only: true/' "$TMP/hook.yaml" >"$TMP/signed.yaml"
before=$(snapshot)
expect "origin.signed_only: a new unsigned Debian build: exit 1" 1 env OS_CLIENT_CONFIG_FILE="$GLANCE_CLOUDS" \
	"$BIN" sync --config "$TMP/signed.yaml" "Debian 12"
check "it says why" grep -q "origin.signed_only refuses" "$TMP/err"
check "Glance unchanged" test "$(snapshot)" = "$before"
OS_CLIENT_CONFIG_FILE=$GLANCE_CLOUDS "$BIN" sync --config "$TMP/slow.yaml" "Debian 12" >"$TMP/kill.out" 2>&1 &
kp=$!
for _ in $(seq 200); do images "Debian 12" | grep -q "state=uploading" && break; sleep 0.1; done
kill -KILL "$kp"; wait "$kp" 2>/dev/null
check "killed mid-download: a half-made image is there, private and hidden" \
	has_image "Debian 12" " private True Debian_12 v1 build=$D2-0001 state=uploading"
check "killed mid-download: the public Debian 12 is still the old one" test "$(public "Debian 12")" = "$d0"
expect "the next run converges: exit 0" 0 sync "Debian 12"
check "it deleted what the killed run left" grep -q "left unfinished by an earlier run" "$TMP/out"
d2=$(public "Debian 12")
check "the new Debian build is public, verified" record_holds "$d2" "$(dsha "$D2-0001")" "$DEB/bookworm/$D2-0001/debian-12-generic-amd64-$D2-0001.qcow2"
check "no half-made image is left" no_image "Debian 12" "state=uploading"

# ---- two runs at once publish once -------------------------------------------------------------
tests/sync/vendor "$M" ubuntu "$(date -u +%Y%m%d)"
sync "Ubuntu 24.04" >"$TMP/r1.out" 2>&1 &
p1=$!
sync "Ubuntu 24.04" >"$TMP/r2.out" 2>&1 &
p2=$!
wait "$p1"; r1=$?; wait "$p2"; r2=$?
check "two runs at once: both exit 0" test "$r1/$r2" = 0/0
check "exactly one published; the other held back or found it done" \
	test "$(cat "$TMP/r1.out" "$TMP/r2.out" | grep -c '^published:')" -eq 1
check "Glance: one public Ubuntu 24.04, the newest build" \
	test "$(field "$(public "Ubuntu 24.04")" image_source)" = "$U/noble/release-$(date -u +%Y%m%d)/ubuntu-24.04-server-cloudimg-amd64.img"
check "no lock is left" no_image "scs-image-hook sync lock" .

# ---- through the proxy: its writes pass the same policy, the proxy records the digest -----------
export PROXY_POLICIES="$ROOT/policy/scs-0104-v1-images-v5.yaml, $ROOT/policy/scs-0104-v2-images.yaml, $TMP/origins.yaml"
proxy_start front "mode: enforce" "origin: {keyring: $M/keys/vendor.asc, fetch: {\"https://cloud-images.ubuntu.com/\": \"http://127.0.0.1:$FAST_PORT/ubuntu/\", \"$DEB/\": \"http://127.0.0.1:$FAST_PORT/debian/images/cloud/\"}}"
sed "s#^    identity_api_version: 3#    identity_api_version: 3\n    image_endpoint_override: $PROXY_URL#" \
	"$GLANCE_CLOUDS" >"$TMP/via-proxy.yaml"
tests/sync/vendor "$M" debian "$(date -u +%Y%m%d)-0001"
expect "sync through the proxy: exit 0" 0 env OS_CLIENT_CONFIG_FILE="$TMP/via-proxy.yaml" "$BIN" sync \
	--config "$TMP/hook.yaml" "Debian 12"
dp=$(public "Debian 12")
check "the proxy decided sync's upload and verified it as it streamed" python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if any(r["method"] == "PUT" and (r.get("origin") or {}).get("verified") and sys.argv[2] in r["path"]
                  for r in rs) else 1)' "$PROXY_LOG" "$dp"
check "the proxy's verification record holds on the published image" \
	record_holds "$dp" "$(dsha "$(date -u +%Y%m%d)-0001")" "$DEB/bookworm/$(date -u +%Y%m%d)-0001/debian-12-generic-amd64-$(date -u +%Y%m%d)-0001.qcow2"
check "the proxies survived" kill -0 "${PROXY_PIDS[@]}"
finish
