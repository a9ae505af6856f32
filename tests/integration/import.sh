#!/usr/bin/env bash
# The Glance import plugin (deploy/glance) inside the real Glance import
# flow: installed with pip as an operator would, enabled in
# glance-image-import.conf, driven with the real glance and openstack
# clients. glance-direct and web-download (from a loopback HTTP server),
# refusals that leave the image queued without staged data, the reason in
# the task and the decision log, retries, and failing closed.
SUITE=import
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/stack-lib.sh
export PATH=/usr/bin:/bin:$PATH

. tests/import-lib.sh
plugin_install

# ---- a loopback web server for web-download, and a spec that allows it
mkdir -p "$TMP/www/releases/noble" "$TMP/www/elsewhere" "$TMP/bin"
head -c 65536 /dev/urandom >"$TMP/disk.img"
cp "$TMP/disk.img" "$TMP/www/releases/noble/noble.img"
cp "$TMP/disk.img" "$TMP/www/elsewhere/noble.img"
HTTP_PORT=$(free_port)
WWW=http://127.0.0.1:$HTTP_PORT
UBUNTU=https://cloud-images.ubuntu.com/releases/noble/release/ubuntu-24.04-server-cloudimg-amd64.img
cat >"$TMP/spec.yaml" <<EOF
# SCS v1 format; the second source is this test's web server
images:
- name: "Ubuntu 24.04"
  source:
  - https://cloud-images.ubuntu.com/releases/noble/
  - $WWW/releases/noble/
  status: mandatory
EOF
cat >"$TMP/hook.yaml" <<EOF
policy: [spec.yaml]
mode: enforce
EOF
cp "$TMP/hook.yaml" "$TMP/hook.yaml.good"
plugin_stack_up

(cd "$TMP/www" && exec /usr/bin/python3 -m http.server --bind 127.0.0.1 "$HTTP_PORT") >"$TMP/http.log" 2>&1 &
HTTP_PID=$!
trap 'kill "$HTTP_PID" 2>/dev/null; tests/stack/down "$STACK" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
for i in $(seq 50); do curl -sf -o /dev/null "$WWW/releases/noble/noble.img" && break; sleep 0.1; done

# Plain PUT /file never passes through import plugins: the README's
# policy.yaml line leaves customers only the import path. (oslo.policy
# reads the policy directory again when it changes.)
printf '# uploads only through the import flow, where scs-image-hook decides\n"upload_image": "role:admin"\n' \
	>"$GLANCE_POLICY_DIR/scs-image-hook.yaml"

ADMIN_TOKEN=$(token stack-admin)
ALICE_TOKEN=$(token stack-a)

create_direct() { # NAME SOURCE: glance-direct import of disk.img by alice
	gl image-create-via-import --name "$1" --disk-format raw --container-format bare \
		--visibility community --property image_source="$2" --file "$TMP/disk.img" --import-method glance-direct
}

# ---- glance-direct ------------------------------------------------------
expect "glance-direct, compliant: image-create-via-import" 0 create_direct "Ubuntu 24.04" "$UBUNTU"
ok_id=$(image_id)
check "glance-direct, compliant: active" test "$(settle "$ok_id")" = active
check "glance-direct, compliant: allow recorded with caller, roles and method" logged "$ok_id" \
	'r["decision"] == "allow" and r["source"] == "import" and r["import"]["method"] == "glance-direct" and
	 r["project_id"] == "'"$CUSTOMER_A_PROJECT_ID"'" and r["user_id"] == "'"$ALICE_USER_ID"'" and "member" in r["roles"]'

expect "glance-direct, wrong source: the client's calls succeed (the import is asynchronous)" 0 \
	create_direct "Ubuntu 24.04" "https://mirror.example.org/noble.img"
bad_id=$(image_id)
check "glance-direct, wrong source: refused, image queued" test "$(settle "$bad_id")" = queued
check "glance-direct, refused: no importing stores, no import lock left" image_is "$bad_id" \
	'not i.get("os_glance_importing_to_stores") and "os_glance_import_task" not in i'
check "glance-direct, refused: no staged data left" no_stage "$bad_id"
msg=$(task_message "$bad_id")
check "glance-direct, refused: the task failed with the reason" \
	grep -q "^failure: scs-image-hook refused the import of image $bad_id: image_source 'https://mirror.example.org/noble.img' does not start with any source allowed for 'Ubuntu 24.04'" <<<"$msg"
expect "glance-direct, refused: the glance client shows the reason (image-tasks)" 0 gl image-tasks "$bad_id"
check "glance-direct, refused: ... in its output" has "does not start with any source allowed"
check "glance-direct, refused: deny in the decision log" logged "$bad_id" \
	'r["decision"] == "deny" and [v["rule"] for v in r["violations"]] == ["scs-0104/source"] and r["request_id"]'

# the user fixes the property and imports again: stage and import anew
expect "retry: image-update fixes image_source" 0 gl image-update --property image_source="$UBUNTU" "$bad_id"
expect "retry: stage again (the image is queued)" 0 gl image-stage --file "$TMP/disk.img" "$bad_id"
expect "retry: import again" 0 gl image-import --import-method glance-direct "$bad_id"
check "retry: active" test "$(settle "$bad_id")" = active
check "retry: allow in the decision log" logged "$bad_id" 'r["decision"] == "allow"'
check "retry: the data is the data" test "$(curl -s "$GLANCE_URL/v2/images/$bad_id/file" -H "X-Auth-Token: $ALICE_TOKEN" | sha256sum)" = "$(sha256sum <"$TMP/disk.img")"

# ---- web-download --------------------------------------------------------
expect "web-download, from the allowed source: image-create-via-import" 0 \
	gl image-create-via-import --name "Ubuntu 24.04" --disk-format raw --container-format bare --visibility community \
	--property image_source="$WWW/releases/noble/noble.img" --import-method web-download --uri "$WWW/releases/noble/noble.img"
web_id=$(image_id)
check "web-download, allowed: active" test "$(settle "$web_id")" = active
check "web-download, allowed: the URI is in the record" logged "$web_id" \
	'r["decision"] == "allow" and r["import"] == {"method": "web-download", "uri": "'"$WWW/releases/noble/noble.img"'"}'

expect "web-download, from elsewhere: image-create-via-import" 0 \
	gl image-create-via-import --name "Ubuntu 24.04" --disk-format raw --container-format bare --visibility community \
	--property image_source="$WWW/releases/noble/noble.img" --import-method web-download --uri "$WWW/elsewhere/noble.img"
wbad_id=$(image_id)
check "web-download, elsewhere: refused, image queued" test "$(settle "$wbad_id")" = queued
check "web-download, elsewhere: no staged data left" no_stage "$wbad_id"
check "web-download, elsewhere: the task names the URI rule's reason" \
	grep -q "web-download URI '$WWW/elsewhere/noble.img' is not under any source allowed for 'Ubuntu 24.04'" <<<"$(task_message "$wbad_id")"
check "web-download, elsewhere: import/download-uri in the decision log" logged "$wbad_id" \
	'r["decision"] == "deny" and [v["rule"] for v in r["violations"]] == ["import/download-uri"]'
expect "web-download retry from the right URI" 0 gl image-import --import-method web-download --uri "$WWW/releases/noble/noble.img" "$wbad_id"
check "web-download retry: active" test "$(settle "$wbad_id")" = active

# Dotted URIs under the allowed prefix that the server resolves elsewhere:
# compared in canonical form, so refused (the old byte-wise prefix passed them).
for dotted in "$WWW/releases/noble/../../elsewhere/noble.img" "$WWW/releases/noble/%2e%2e/%2E%2e/elsewhere/noble.img"; do
	expect "web-download, dotted ($dotted): image-create-via-import" 0 \
		gl image-create-via-import --name "Ubuntu 24.04" --disk-format raw --container-format bare --visibility community \
		--property image_source="$WWW/releases/noble/noble.img" --import-method web-download --uri "$dotted"
	dot_id=$(image_id)
	check "web-download, dotted: refused, image queued" test "$(settle "$dot_id")" = queued
	check "web-download, dotted: the task shows the canonical form" \
		grep -q "(canonical form '$WWW/elsewhere/noble.img') is not under any source allowed" <<<"$(task_message "$dot_id")"
done

# ---- plain uploads are closed by policy.yaml --------------------------------
expect "PUT /file by a customer: refused by Glance's policy (openstack image create --file)" 1 \
	env OS_CLIENT_CONFIG_FILE="$GLANCE_CLOUDS" OS_CLOUD=stack-a openstack image create --disk-format raw \
	--container-format bare --file "$TMP/disk.img" --property image_source=https://mirror.example.org/x.img "Ubuntu 24.04"
check "PUT /file: Glance says forbidden" grep -qi "forbidden\|403" "$TMP/err"

# ---- failing closed -----------------------------------------------------------
rm "$TMP/bin/scs-image-hook"
expect "binary missing: a compliant import is started" 0 create_direct "Ubuntu 24.04" "$UBUNTU"
nobin_id=$(image_id)
check "binary missing: refused, image queued" test "$(settle "$nobin_id")" = queued
check "binary missing: the task says the binary cannot run" \
	grep -q "cannot run $TMP/bin/scs-image-hook: No such file or directory" <<<"$(task_message "$nobin_id")"
check "binary missing: no staged data left" no_stage "$nobin_id"
ln -s "$BIN" "$TMP/bin/scs-image-hook"

# A hook that never answers: Debian's glance-api runs under eventlet, whose
# green subprocess raises its own timeout; the task must still say why.
rm "$TMP/bin/scs-image-hook"
printf '#!/bin/sh\nexec sleep 120\n' >"$TMP/bin/scs-image-hook"
chmod +x "$TMP/bin/scs-image-hook"
expect "hook silent: a compliant import is started" 0 create_direct "Ubuntu 24.04" "$UBUNTU"
slow_id=$(image_id)
check "hook silent: refused, image queued" test "$(settle "$slow_id")" = queued
check "hook silent: the task says no decision came within the timeout ($(task_message "$slow_id"))" \
	grep -q "gave no decision within 20s" <<<"$(task_message "$slow_id")"
rm "$TMP/bin/scs-image-hook"
ln -s "$BIN" "$TMP/bin/scs-image-hook"

echo "policy: [spec.yaml]
mode: enforce
import: {download_uri: sometimes}" >"$TMP/hook.yaml"
expect "broken policy: a compliant import is started" 0 create_direct "Ubuntu 24.04" "$UBUNTU"
broken_id=$(image_id)
check "broken policy: refused, image queued" test "$(settle "$broken_id")" = queued
check "broken policy: the task carries the hook's error (file:line:col)" \
	grep -q "the check failed (exit 2): scs-image-hook: $TMP/hook.yaml:3:24: import.download_uri must be one of prefix|equal|off" <<<"$(task_message "$broken_id")"
cp "$TMP/hook.yaml.good" "$TMP/hook.yaml"

# ---- import.download_uri: equal, read on the next decision ---------------------
printf 'import: {download_uri: equal}\n' >>"$TMP/hook.yaml"
expect "equal: web-download from an allowed URI other than image_source is started" 0 \
	gl image-create-via-import --name "Ubuntu 24.04" --disk-format raw --container-format bare --visibility community \
	--property image_source="$WWW/releases/noble/other.img" --import-method web-download --uri "$WWW/releases/noble/noble.img"
eq_id=$(image_id)
check "equal: refused, image queued" test "$(settle "$eq_id")" = queued
check "equal: the task says what was expected" \
	grep -q "is not the image's image_source: expected '$WWW/releases/noble/other.img'" <<<"$(task_message "$eq_id")"

records_valid "every decision record matches docs/decision-record.schema.json" "$DLOG"
finish
