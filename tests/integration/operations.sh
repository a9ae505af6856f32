#!/usr/bin/env bash
# Day one in production, against the real stack: service credentials
# proven at --check, start and reload (the role that is missing named);
# liveness, readiness and Glance's own /healthcheck, and HAProxy (Debian's)
# taking a node out of its pool when that node's Glance stops; roll-outs
# measured (what enforce would have refused, by mode) and the mode and
# policy hash in the start and reload lines.
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/lib.sh
. tests/stack-lib.sh
stack_up

BAD=https://evil.example/x.img
TADMIN=$(token stack-admin)
V5=$ROOT/policy/scs-0104-v1-images-v5.yaml

# -- credentials ------------------------------------------------------------------------------------
# users the proxy must not run as: only member; service but not admin
OS_CLOUD=stack-admin openstack >"$TMP/users.log" 2>&1 <<EOF
role create --or-show service
user create --or-show --domain Default --project customer-a --password pw-member only-member
role add --project customer-a --user only-member member
user create --or-show --domain Default --project customer-a --password pw-service only-service
role add --project customer-a --user only-service member
role add --project customer-a --user only-service service
EOF
# creds NAME USER PASSWORD: a proxy config with inline credentials
creds() {
	printf 'policy: [%s]\nlisten: 127.0.0.1:%s\nupstream: %s\nkeystone: {auth_url: %s, username: %s, password: %s, project_name: %s, user_domain_name: Default, project_domain_name: Default}\nlog: {file: %s}\n' \
		"$V5" "$(free_port)" "$GLANCE_URL" "$KEYSTONE_AUTH_URL" "$2" "$3" "${4:-customer-a}" "$TMP/$1.log" >"$TMP/$1.yaml"
}
creds member only-member pw-member
expect "--check: a service user with only member fails" 2 "$BIN" proxy --check --config "$TMP/member.yaml"
check "--check: ... naming identity:validate_token and the role to add" has \
	"Keystone lets only the role 'service' or 'admin' validate other users' tokens (identity:validate_token): openstack role add --user only-member --project customer-a service" "$TMP/err"
sed 's/^/     | /' "$TMP/err"
creds service only-service pw-service
expect "--check: a service user without Glance's admin fails" 2 "$BIN" proxy --check --config "$TMP/service.yaml"
check "--check: ... naming Glance's admin role" has "for an admin: without the role 'admin' on its project" "$TMP/err"
check "--check: ... and the command that adds it" has "openstack role add --user only-service --project customer-a admin" "$TMP/err"
sed 's/^/     | /' "$TMP/err"
creds wrong scs-hook not-the-password service
expect "--check: a wrong password fails" 2 "$BIN" proxy --check --config "$TMP/wrong.yaml"
check "--check: ... saying Keystone refused the credentials" has "cannot authenticate with Keystone" "$TMP/err"
creds good scs-hook "$SCS_HOOK_PASSWORD" service
expect "--check: the stack's service user (admin) passes" 0 "$BIN" proxy --check --config "$TMP/good.yaml"
check "--check: ... and says its credentials are proven" has "service credentials proven" "$TMP/out"
expect "--check --write-probe: create, upload, deactivate, delete" 0 "$BIN" proxy --check --write-probe --config "$TMP/good.yaml"
check "--write-probe: says writes were proven" has "writes included" "$TMP/out"
check "--write-probe: leaves no image behind" test "$(curl -s "$GLANCE_URL/v2/images?name=scs-image-hook-write-probe" \
	-H "X-Auth-Token: $TADMIN" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["images"]))')" = 0
expect "--write-probe only with --check (never at start or reload)" 2 "$BIN" proxy --write-probe --config "$TMP/good.yaml"
expect "start: a service user with only member does not start" 2 timeout 30 "$BIN" proxy --config "$TMP/member.yaml"

# reload: a config whose credentials fail keeps the one in force
proxy_start live "mode: enforce"
LIVE=$PROXY_PID
check "start line: the mode and the policy's hash" \
	grep -qE '^scs-image-hook proxy: listening on .*, mode enforce, policy sha256 [0-9a-f]{64}, ' "$TMP/live.err"
sed -i "s#^keystone: .*#keystone: {auth_url: $KEYSTONE_AUTH_URL, username: scs-hook, password: wrong, project_name: service, user_domain_name: Default, project_domain_name: Default}#" "$TMP/live.yaml"
reload "$LIVE" "$TMP/live.err"
check "reload with credentials that fail: refused, naming why" grep -q "reload refused: keeping the policy in force: service credentials: cannot authenticate" "$TMP/live.err"
check "reload refused: the proxy still serves" test "$(curl -s -o /dev/null -w '%{http_code}' "$PROXY_URL/v2/images" -H "X-Auth-Token: $TADMIN")" = 200
sed -i "s/^keystone: .*/keystone: {cloud: stack-service}/; s/^mode: enforce/mode: dry-run/" "$TMP/live.yaml"
reload "$LIVE" "$TMP/live.err"
check "reload line: the mode now in force and the policy's hash" \
	grep -qE '^scs-image-hook proxy: policy reloaded: mode dry-run, policy sha256 [0-9a-f]{64}$' "$TMP/live.err"
grep -E "listening on|reload" "$TMP/live.err" | sed 's/^/     | /'

# -- roll-outs measured -------------------------------------------------------------------------------
post() { curl -s -o /dev/null -w '%{http_code}' -X POST "$1/v2/images" -H "X-Auth-Token: $TADMIN" \
	-H 'Content-Type: application/json' --data '{"name":"Ubuntu 24.04","visibility":"public","image_source":"'$BAD'"}'; }
would() { curl -s "$1/metrics" | awk -v k="scs_image_hook_would_refuse_total{mode=\"$2\",rule=\"scs-0104/source\"}" '$1 == k { print $2 }'; }
check "dry-run: the bad public image is admitted" test "$(post "$PROXY_URL")" = 201
check "dry-run: counted as what enforce would have refused" test "$(would "$PROXY_ADMIN" dry-run)" = 1
proxy_start warn "mode: warn"
check "warn: the bad public image is admitted" test "$(post "$PROXY_URL")" = 201
check "warn: counted under warn" test "$(would "$PROXY_ADMIN" warn)" = 1
check "warn: nothing counted under dry-run" test "$(would "$PROXY_ADMIN" dry-run)" = 0
curl -s "$PROXY_ADMIN/metrics" | grep 'would_refuse_total{mode="warn",rule="scs-0104/source"}' | sed 's/^/     | /'

# -- health: liveness, readiness, Glance's own ------------------------------------------------------------
check "/healthz: live" test "$(curl -s "$PROXY_ADMIN/healthz")" = ok
check "/readyz: ready while Glance answers its /healthcheck" curl -sf -o /dev/null "$PROXY_ADMIN/readyz"
check "Glance's /healthcheck passes through the proxy" test "$(curl -s "$PROXY_URL/healthcheck")" = OK

# A second node: its own glance-api (same database and stores) and proxy.
G2=$(free_port)
printf '[DEFAULT]\nbind_port = %s\n' "$G2" >"$TMP/glance2.conf"
setsid glance-api --config-file "$GLANCE_CONFIG" --config-file "$GLANCE_IMPORT_CONFIG" \
	--config-file "$TMP/glance2.conf" >"$TMP/glance2.log" 2>&1 </dev/null &
GLANCE2=$!
for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$G2/healthcheck" && break; sleep 0.2; done
check "node 2: its own glance-api answers" curl -sf -o /dev/null "http://127.0.0.1:$G2/healthcheck"
proxy_start node1 "mode: enforce"
N1=$PROXY_URL; N1_ADMIN=$PROXY_ADMIN
PROXY_UPSTREAM=http://127.0.0.1:$G2 proxy_start node2 "mode: enforce"
N2=$PROXY_URL; N2_ADMIN=$PROXY_ADMIN
FE=$(free_port); ST=$(free_port)
cat >"$TMP/haproxy.cfg" <<EOF
global
    log stderr format short local0 notice
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend glance_api
    bind 127.0.0.1:$FE
    default_backend glance_api_hook
frontend stats
    bind 127.0.0.1:$ST
    stats enable
    stats uri /stats
backend glance_api_hook
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 1
    server node1 ${N1#http://} check port ${N1_ADMIN##*:}
    server node2 ${N2#http://} check port ${N2_ADMIN##*:}
EOF
haproxy -v | head -1 | sed 's/^/     | /'
haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
HAPROXY=$!
PROXY_PIDS+=("$HAPROXY")
# state NODE: HAProxy's status of the node (UP, DOWN, ...), from its stats CSV
state() { curl -s "http://127.0.0.1:$ST/stats;csv" | awk -F, -v n="$1" '$1 == "glance_api_hook" && $2 == n { print $18 }'; }
for _ in $(seq 100); do [ "$(state node1)" = UP ] && [ "$(state node2)" = UP ] && break; sleep 0.1; done
check "HAProxy: both nodes in the pool (node1 $(state node1), node2 $(state node2))" \
	test "$(state node1) $(state node2)" = "UP UP"
kill -- "-$GLANCE2" 2>/dev/null; wait "$GLANCE2" 2>/dev/null
t0=$SECONDS
for _ in $(seq 200); do [ "$(state node2)" = DOWN ] && break; sleep 0.1; done
check "node 2's Glance stopped: HAProxy takes node 2 out ($(state node2) after $((SECONDS - t0)) s)" test "$(state node2)" = DOWN
check "... and keeps node 1 ($(state node1))" test "$(state node1)" = UP
code=$(curl -s -o /dev/null -w '%{http_code}' "$N2_ADMIN/readyz")
check "node 2's /readyz: 503 (HTTP $code), its /healthz still ok" sh -c "test $code = 503 && test \"\$(curl -s '$N2_ADMIN/healthz')\" = ok"
curl -s "$N2_ADMIN/readyz" | sed 's/^/     | readyz: /'
grep -i "node2" "$TMP/haproxy.log" | head -3 | sed 's/^/     | /'
ok=0
for _ in 1 2 3 4; do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FE/v2/images?limit=1" -H "X-Auth-Token: $TADMIN")" = 200 ] && ok=$((ok + 1))
done
check "through HAProxy every request is served (node 1) ($ok of 4)" test "$ok" = 4
check "Keystone is not readiness: /metrics shows it (keystone_up)" sh -c "curl -s '$N1_ADMIN/metrics' | grep -q '^scs_image_hook_keystone_up 1'"

records_valid "every decision record matches docs/decision-record.schema.json" "${PROXY_LOGS[@]}"
finish
