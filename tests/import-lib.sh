# Helpers for the suites that drive Glance's import flow with the real
# glance client (tests/integration/import.sh, origin-import.sh). Source
# after tests/stack-lib.sh; the image helpers need ADMIN_TOKEN and
# ALICE_TOKEN set (after plugin_stack_up).

# plugin_install: the plugin, installed as the README tells operators (pip
# builds in the source tree, so from a copy), into $TMP/py.
plugin_install() {
	cp -r deploy/glance "$TMP/plugin-src"
	/usr/bin/python3 -m pip install --no-deps --no-build-isolation --no-index --target "$TMP/py" \
		"$TMP/plugin-src" >"$TMP/pip.log" 2>&1
	check "plugin package installs with pip --target" \
		test -f "$TMP/py/scs_image_hook_glance/plugin.py" -a -f "$(ls "$TMP"/py/*.dist-info/entry_points.txt 2>/dev/null | head -1)"
}

# plugin_stack_up: the stack with the plugin enabled, deciding with the
# operator config $TMP/hook.yaml and writing the decision log DLOG. The
# binary is reached through a link the tests can take away while Glance runs.
plugin_stack_up() {
	mkdir -p "$TMP/bin"
	ln -s "$BIN" "$TMP/bin/scs-image-hook"
	DLOG=$TMP/decisions.log
	printf '[scs_image_hook]\nbinary = %s\nconfig = %s\ndecision_log = %s\ntimeout = 20\n' \
		"$TMP/bin/scs-image-hook" "$TMP/hook.yaml" "$DLOG" >"$TMP/glance-hook.conf"
	STACK_IMPORT_PLUGINS=scs_image_hook STACK_PYTHONPATH=$TMP/py STACK_GLANCE_EXTRA_CONF=$TMP/glance-hook.conf stack_up
	check "glance-image-import.conf enables the plugin" grep -q 'image_import_plugins = \[scs_image_hook\]' "$GLANCE_IMPORT_CONFIG"
}

# gl ARGS...: the real glance client, as alice (customer-a, member). Its
# stdin is closed: an open one that is not a terminal is image data to it.
gl() {
	OS_AUTH_URL=$KEYSTONE_AUTH_URL OS_USERNAME=alice OS_PASSWORD=$ALICE_PASSWORD OS_PROJECT_NAME=customer-a \
		OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=$STACK_REGION \
		OS_IMAGE_API_VERSION=2 glance "$@" <&-
}

# image_id: the id in the table the glance client printed ($TMP/out).
image_id() { sed -nE 's/^\| id +\| ([0-9a-f-]{36}) +\|$/\1/p' "$TMP/out" | head -1; }

# settle ID: wait until the import is over (active, or queued again with
# the lock dropped); prints the status.
settle() {
	local i doc
	[ -n "$1" ] || { echo "(no image)"; return; }
	for i in $(seq 150); do
		doc=$(curl -s "$GLANCE_URL/v2/images/$1" -H "X-Auth-Token: $ADMIN_TOKEN")
		if python3 -c '
import json, sys
i = json.loads(sys.argv[1])
sys.exit(0 if i["status"] == "active" or (i["status"] == "queued" and "os_glance_import_task" not in i) else 1)' "$doc" 2>/dev/null; then
			break
		fi
		sleep 0.2
	done
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])["status"])' "$doc"
}

# image_is ID EXPR: a Python expression on i, the image as Glance holds it.
image_is() {
	curl -s "$GLANCE_URL/v2/images/$1" -H "X-Auth-Token: $ADMIN_TOKEN" | python3 -c '
import json, sys
i = json.load(sys.stdin)
ok = eval(sys.argv[1])
if not ok:
    print(json.dumps(i, indent=1), file=sys.stderr)
sys.exit(0 if ok else 1)' "$2"
}

# task_message ID: the message of the image's latest import task, as alice
# sees it (GET /v2/images/ID/tasks).
task_message() {
	curl -s "$GLANCE_URL/v2/images/$1/tasks" -H "X-Auth-Token: $ALICE_TOKEN" | python3 -c '
import json, sys
ts = sorted(json.load(sys.stdin)["tasks"], key=lambda t: t["created_at"])
print(ts[-1]["status"] + ": " + (ts[-1]["message"] or "") if ts else "no task")'
}

# no_stage ID: nothing of the image is left in the staging directory.
no_stage() { ! ls "$STACK_DIR/glance/staging" | grep -q "$1"; }

# logged ID EXPR: the last decision record of image ID satisfies EXPR (on r).
logged() {
	python3 - "$DLOG" "$1" "$2" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
rs = [r for r in rs if r["image"]["id"] == sys.argv[2]]
ok = bool(rs) and eval("(" + sys.argv[3] + ")", {"r": rs[-1]})
if not ok:
    print(json.dumps(rs[-1:], indent=1)[:3000], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}
