#!/usr/bin/env bash
# The shipped example config (policy/scs-image-hook.yaml) is the
# compliance config: a public image under every SCS-0104 entry and
# testcase name with a bad source is refused through a proxy running it,
# `audit --format scs` then finds no source testcase failing, origin
# verification is on and `--check` names the vendor key still to install.
# Exemptions by project name: resolved through Keystone where the config
# has credentials, an error naming the entry where it has none. Warnings
# where users look: warn mode's finding as a property on the image, gone
# once the image is compliant.
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/lib.sh
. tests/stack-lib.sh
. tests/origin/lib.sh
stack_up
mirror_up 4096 || { finish; exit 1; }

BAD=https://evil.example/x.img
GOOD=https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img
TADMIN=$(token stack-admin)

# -- the example config -----------------------------------------------------------------------------
# as shipped, with its files at their absolute paths, this stack's keyring
# (the test vendor's key, not Ubuntu's) and the service keys of a proxy
port=$(free_port); admin=$(free_port)
sed -e "s#^  - \(scs-.*\.yaml\)#  - $ROOT/policy/\1#" -e "s#^  keyring: .*#  keyring: $MIRROR/keys/vendor.asc#" \
	policy/scs-image-hook.yaml >"$TMP/example.yaml"
cat >>"$TMP/example.yaml" <<EOF
listen: 127.0.0.1:$port
admin_listen: 127.0.0.1:$admin
upstream: $GLANCE_URL
keystone: {cloud: stack-service}
log: {file: $TMP/example.log}
EOF
export OS_CLIENT_CONFIG_FILE=$GLANCE_CLOUDS
expect "example config: proxy --check passes" 0 "$BIN" proxy --check --config "$TMP/example.yaml"
check "example config: origin verification is on (scs-origins.yaml, origin.keyring)" \
	sh -c "grep -q '^  - scs-origins.yaml' policy/scs-image-hook.yaml && grep -q '^  keyring: ' policy/scs-image-hook.yaml"
check "--check names the vendor key still to install in origin.keyring" has \
	"origin.keyring $MIRROR/keys/vendor.asc lacks the key D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81 that signs the lists of https://cloud-images.ubuntu.com/" "$TMP/err"
sed 's/^/     | /' "$TMP/err"
"$BIN" proxy --config "$TMP/example.yaml" 2>"$TMP/example.err" &
PROXY_PIDS+=("$!")
PROXY_LOGS+=("$TMP/example.log")
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$admin/healthz" && break; sleep 0.1; done
EXAMPLE=http://127.0.0.1:$port

# A name for every SCS-0104 entry of the certificate's spec and of the
# official test's list: its name, or one its name_scheme takes (as the
# test selects by it); checked against the files, so an entry added there
# fails here until it is tried.
NAMES=("Ubuntu 24.04" "Ubuntu 22.04" "Ubuntu 20.04" "Debian 13" "Debian 12" "Debian 11" "Debian 10"
	"ubuntu-capi-image-v1.30.2" "ubuntu-capi-image v1.30.2")
check "the names tried select every entry of the spec and the test's list" /usr/bin/python3 - \
	policy/scs-0104-v1-images-v5.yaml policy/scs-0104-testcases.yaml "${NAMES[@]}" <<'PY'
import re, sys, yaml
tried = sys.argv[3:]
missing = [e["name"] for f in sys.argv[1:3] for e in yaml.safe_load(open(f))["images"]
           if not any(re.match(e["name_scheme"], n) if "name_scheme" in e else n == e["name"] for n in tried)]
print("not tried:", missing) if missing else None
sys.exit(1 if missing else 0)
PY
refused=0
for n in "${NAMES[@]}"; do
	code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$EXAMPLE/v2/images" -H "X-Auth-Token: $TADMIN" \
		-H 'Content-Type: application/json' -H 'Accept: application/json' \
		--data '{"name":"'"$n"'","visibility":"public","image_source":"'$BAD'"}')
	if [ "$code" = 403 ] && grep -q 'scs-0104/source' "$TMP/body"; then
		refused=$((refused + 1))
	else
		fail "public '$n' with a bad source is refused (scs-0104/source)" "HTTP $code: $(head -c 300 "$TMP/body")"
	fi
done
check "example config: a public image with a bad source is refused under all ${#NAMES[@]} names ($refused)" \
	test "$refused" = "${#NAMES[@]}"
"$BIN" audit --config "$TMP/example.yaml" --os-cloud stack-admin --format scs >"$TMP/audit" 2>"$TMP/audit.err"
check "audit --format scs: no source testcase fails" sh -c "grep -q '^scs-0104-source-' '$TMP/audit' && ! grep -q '^scs-0104-source-.*FAIL' '$TMP/audit'"

# -- exemptions by name -------------------------------------------------------------------------------
printf 'policy: [%s]\nexemptions:\n  - {project: customer-a, reason: "named, not an id"}\n' \
	"$ROOT/policy/scs-0104-v1-images-v5.yaml" >"$TMP/named.yaml"
IMG='{"id":"11111111-0000-4000-8000-000000000001","name":"Ubuntu 24.04","visibility":"public","image_source":"'$BAD'"}'
run 2 "$BIN" check --config "$TMP/named.yaml" --project "$CUSTOMER_A_PROJECT_ID" - <<<"$IMG" 2>/dev/null
expect "check: an exemption by name without keystone credentials is an error" 2 sh -c \
	"echo '$IMG' | '$BIN' check --config '$TMP/named.yaml' --project '$CUSTOMER_A_PROJECT_ID' -"
check "check: ... naming the entry (file:line:col, the project)" grep -q "named.yaml:3:.*project 'customer-a'.*no keystone credentials" "$TMP/err"
sed 's/^/     | /' "$TMP/err"
expect "policy lint: the same error" 2 "$BIN" policy lint "$TMP/named.yaml"
check "policy lint: ... naming the entry" grep -q "named.yaml:3:.*project 'customer-a'" "$TMP/err"
echo "keystone: {cloud: stack-admin}" >>"$TMP/named.yaml"
expect "check: with keystone credentials, the name is resolved" 0 sh -c \
	"echo '$IMG' | '$BIN' check --config '$TMP/named.yaml' --project '$CUSTOMER_A_PROJECT_ID' --format json -"
check "check: ... and the exemption applies to the project" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["exempted"] and r["exemption"]["project"] == "customer-a" else 1)' "$TMP/out"

# -- warnings where users look ----------------------------------------------------------------------
proxy_start warn "mode: warn"
WARN_CLOUDS=$PROXY_CLOUDS
OS_CLIENT_CONFIG_FILE=$WARN_CLOUDS openstack --os-cloud stack-a image create --private \
	--property image_source=$BAD "Ubuntu 24.04" -f value -c id >"$TMP/id" 2>"$TMP/create.err"
id=$(cat "$TMP/id")
note() { glance_field "$id" scs_image_hook_warning; }
check "warn: the create is admitted ($id)" test -n "$id"
check "warn: the image carries what is wrong and what would be right" sh -c \
	"n=\"\$(curl -s '$GLANCE_URL/v2/images/$id' -H 'X-Auth-Token: $TADMIN')\"; echo \"\$n\" | grep -q 'scs_image_hook_warning.*scs-0104/source.*allowed sources'"
OS_CLIENT_CONFIG_FILE=$WARN_CLOUDS openstack --os-cloud stack-a image show "$id" -f json 2>&1 |
	python3 -c 'import json,sys; print("     | openstack image show: scs_image_hook_warning:", json.load(sys.stdin)["properties"]["scs_image_hook_warning"][:300])'
OS_CLIENT_CONFIG_FILE=$WARN_CLOUDS openstack --os-cloud stack-a image set --property image_source=$GOOD "$id" 2>"$TMP/set.err"
check "warn: once compliant (a good source), the note is gone" test "$(note)" = None
check "warn: the note is the hook's: a client may not write it" test "$(curl -s -o /dev/null -w '%{http_code}' \
	-X PATCH "$PROXY_URL/v2/images/$id" -H "X-Auth-Token: $(token stack-a)" \
	-H 'Content-Type: application/openstack-images-v2.1-json-patch' \
	--data '[{"op":"add","path":"/scs_image_hook_warning","value":"x"}]')" = 403

records_valid "every decision record matches docs/decision-record.schema.json" "${PROXY_LOGS[@]}"
mirror_down
finish
