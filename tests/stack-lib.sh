# Helpers for the suites against the real stack (tests/stack): bring it
# up, and for the proxy suites start and stop proxies, with a clouds.yaml
# whose image endpoint is the proxy, for the openstack CLI.
# Source after tests/lib.sh, from the repository root.

# stack_up: start Keystone + Glance (STACK, and its env sourced); exits
# the suite when they do not come up.
stack_up() {
	STACK=$(tests/stack/up "$TMP/stack" 2>"$TMP/stack-up.log" | tail -1)
	if [ ! -f "$STACK/env" ]; then
		fail "stack comes up" "$(tail -20 "$TMP/stack-up.log")"
		finish
		exit 1
	fi
	trap 'proxy_stop_all; tests/stack/down "$STACK" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
	. "$STACK/env"
	GLANCE_CLOUDS=$OS_CLIENT_CONFIG_FILE
	pass "stack comes up"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

PROXY_PIDS=()
PROXY_LOGS=()    # every proxy's decision log, for records_valid

# proxy_start NAME [YAML...]: write $TMP/NAME.yaml (listeners, upstream,
# keystone, log, the v5.1 + v2 policy or PROXY_POLICIES, and the YAML
# lines given), start the proxy, wait for /healthz. Sets PROXY_URL,
# PROXY_ADMIN, PROXY_PID, PROXY_LOG (the decision log) and PROXY_CLOUDS
# (clouds.yaml through it). PROXY_PORT: its port (default a free one);
# PROXY_LOGCONF: its log: value (default {file: $TMP/NAME.log}).
proxy_start() {
	local name=$1; shift
	local port admin i
	port=${PROXY_PORT:-$(free_port)}; admin=$(free_port)
	{
		echo "policy: [${PROXY_POLICIES:-$ROOT/policy/scs-0104-v1-images-v5.yaml, $ROOT/policy/scs-0104-v2-images.yaml}]"
		echo "listen: 127.0.0.1:$port"
		echo "admin_listen: 127.0.0.1:$admin"
		echo "upstream: ${PROXY_UPSTREAM:-$GLANCE_URL}"
		echo "keystone: {cloud: stack-service}"
		echo "log: ${PROXY_LOGCONF:-{file: $TMP/$name.log\}}"
		for line in "$@"; do echo "$line"; done
	} >"$TMP/$name.yaml"
	OS_CLIENT_CONFIG_FILE=$GLANCE_CLOUDS "$BIN" proxy --config "$TMP/$name.yaml" 2>"$TMP/$name.err" &
	PROXY_PID=$!
	PROXY_PIDS+=("$PROXY_PID")
	PROXY_URL=http://127.0.0.1:$port
	PROXY_ADMIN=http://127.0.0.1:$admin
	PROXY_LOG=$TMP/$name.log
	PROXY_LOGS+=("$PROXY_LOG")
	for i in $(seq 100); do
		curl -sf "$PROXY_ADMIN/healthz" >/dev/null 2>&1 && break
		sleep 0.1
	done
	sed "s#^    identity_api_version: 3#    identity_api_version: 3\n    image_endpoint_override: $PROXY_URL#" \
		"$GLANCE_CLOUDS" >"$TMP/$name-clouds.yaml"
	PROXY_CLOUDS=$TMP/$name-clouds.yaml
	curl -sf "$PROXY_ADMIN/healthz" >/dev/null
}

proxy_stop() {
	kill "$1" 2>/dev/null && wait "$1" 2>/dev/null
	return 0
}

# reload PID ERR: SIGHUP the proxy PID and wait (up to 30 s) until its
# stderr ERR says the reload took effect or was refused: a reload proves
# the service credentials first, which takes its time on a loaded machine.
reload() {
	local n
	n=$(grep -cE "policy reloaded|reload refused" "$2")
	kill -HUP "$1"
	for _ in $(seq 300); do
		[ "$(grep -cE "policy reloaded|reload refused" "$2")" -gt "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

proxy_stop_all() {
	local p
	for p in "${PROXY_PIDS[@]}"; do proxy_stop "$p"; done
}

# os CLOUD ARGS...: the openstack CLI through the current proxy.
os() {
	local cloud=$1; shift
	OS_CLIENT_CONFIG_FILE=$PROXY_CLOUDS OS_CLOUD=$cloud openstack "$@"
}

# direct CLOUD ARGS...: the openstack CLI straight to Glance (seeding what
# existed before the proxy, and checking what Glance really holds).
direct() {
	local cloud=$1; shift
	OS_CLIENT_CONFIG_FILE=$GLANCE_CLOUDS OS_CLOUD=$cloud openstack "$@"
}

token() {
	direct "$1" token issue -f value -c id
}

# records N: the decision log has exactly N lines, each valid JSON.
records() {
	python3 - "$PROXY_LOG" "$1" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for l in lines:
    json.loads(l)
sys.exit(0 if len(lines) == int(sys.argv[2]) else 1)
PY
}

# last_record EXPR [METHOD]: a Python expression on r, the last decision
# record (of that method).
last_record() {
	python3 - "$PROXY_LOG" "$1" "${2:-}" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
rs = [r for r in rs if not sys.argv[3] or r["method"] == sys.argv[3]]
r = rs[-1]
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps(r, indent=1)[:3000], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

# glance_create TOKEN JSON: create an image straight at Glance (no data,
# status queued), as if made before the proxy; prints its id.
glance_create() {
	curl -s -X POST "$GLANCE_URL/v2/images" -H "X-Auth-Token: $1" -H 'Content-Type: application/json' \
		--data-binary "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

# glance_field ID FIELD: a field of an image as Glance holds it (admin's view).
glance_field() {
	curl -s "$GLANCE_URL/v2/images/$1" -H "X-Auth-Token: $(token stack-admin)" |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1]))' "$2"
}

# settled ID: Glance's status once the image is no longer saving (an aborted upload unwinds).
settled() {
	local st i
	for i in $(seq 50); do
		st=$(glance_field "$1" status)
		[ "$st" != saving ] && break
		sleep 0.2
	done
	echo "$st"
}
