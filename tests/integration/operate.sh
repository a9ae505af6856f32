#!/usr/bin/env bash
# Operating the proxy as the shipped recipes set it up, against the real
# stack: the distributed import of kolla and OSISM (two glance-api
# processes sharing one database, each with staging of its own and its
# worker_self_reference_url on its node's proxy: an import sent to the
# other node is replayed through this node's proxy, decided a second time,
# without a second reservation or a double count); the decision log on a
# full disk (log.on_error refuse|admit); anchors; every metric the alert
# rules and the Grafana dashboard name exported by the proxy; and the
# dashboard's queries evaluated by Prometheus against scrapes of it.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/stack-lib.sh
ROOT=$(pwd)
RULES=deploy/prometheus/scs-image-hook.rules.yml
DASH=deploy/grafana/scs-image-hook.json

# Node A is the stack's glance-api, node B a second one started here; each
# glance-api refers others to its own node's proxy.
PA=$(free_port); PB=$(free_port)
printf '[DEFAULT]\nworker_self_reference_url = http://127.0.0.1:%s\n' "$PA" >"$TMP/node-a.conf"
export STACK_GLANCE_EXTRA_CONF=$TMP/node-a.conf
stack_up
GB_PORT=$(free_port)
mkdir -p "$TMP/staging-b"
sed -e "s#^bind_port = .*#bind_port = $GB_PORT#" \
    -e "/^\[os_glance_staging_store\]/,/^\[/ s#^filesystem_store_datadir = .*#filesystem_store_datadir = $TMP/staging-b#" \
    "$GLANCE_CONFIG" >"$TMP/node-b.conf"
printf '[DEFAULT]\nworker_self_reference_url = http://127.0.0.1:%s\n' "$PB" >"$TMP/node-b-self.conf"
setsid glance-api --config-file "$TMP/node-b.conf" --config-file "$GLANCE_IMPORT_CONFIG" --config-file "$TMP/node-b-self.conf" \
	>"$TMP/glance-b.log" 2>&1 </dev/null &
GB_PID=$!
trap 'kill -- -$GB_PID ${PROM_PID:-} 2>/dev/null; proxy_stop_all; tests/stack/down "$STACK" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
for i in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$GB_PORT/versions" && break; sleep 0.2; done
check "a second glance-api (node B) on the same database, staging of its own" curl -sf -o /dev/null "http://127.0.0.1:$GB_PORT/versions"

QUOTA='quota: {default: {max_concurrent_uploads: 1, max_images: 20}}'
PROXY_PORT=$PA PROXY_LOGCONF="{file: $TMP/a.log, anchor: 2}" proxy_start a "mode: enforce" "$QUOTA"
A_URL=$PROXY_URL; A_ADMIN=$PROXY_ADMIN; A_LOG=$TMP/a.log
PROXY_PORT=$PB PROXY_UPSTREAM=http://127.0.0.1:$GB_PORT proxy_start b "mode: enforce" "$QUOTA"
B_URL=$PROXY_URL; B_LOG=$PROXY_LOG
ALICE=$(token stack-a)
UBUNTU=https://cloud-images.ubuntu.com/releases/noble/release/ubuntu-24.04-server-cloudimg-amd64.img

# ---- distributed import ------------------------------------------------------------
head -c 65536 /dev/urandom >"$TMP/disk.img"
curl -s -X POST "$A_URL/v2/images" -H "X-Auth-Token: $ALICE" -H 'Content-Type: application/json' \
	-d "{\"name\":\"Ubuntu 24.04\",\"visibility\":\"private\",\"disk_format\":\"qcow2\",\"container_format\":\"bare\",\"image_source\":\"$UBUNTU\",\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\"}" >"$TMP/created"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/created" 2>/dev/null)
check "create through node A's proxy" test -n "$ID"
stage=$(curl -s -D "$TMP/stage.h" -o /dev/null -w '%{http_code}' -X PUT "$A_URL/v2/images/$ID/stage" -H "X-Auth-Token: $ALICE" \
	-H 'Content-Type: application/octet-stream' --data-binary @"$TMP/disk.img")
check "stage on node A (its proxy reserves the bytes)" test "$stage" = 204
STAGE_REQ=$(awk 'tolower($1)=="x-openstack-request-id:"{print $2}' "$TMP/stage.h" | tr -d '\r')
check "the data is in node A's staging, not node B's" test -s "$STACK/glance/staging/$ID" -a ! -e "$TMP/staging-b/$ID"
imp=$(curl -s -o "$TMP/import.out" -w '%{http_code}' -X POST "$B_URL/v2/images/$ID/import" -H "X-Auth-Token: $ALICE" \
	-H 'Content-Type: application/json' -d '{"method":{"name":"glance-direct"}}')
check "the import sent to node B is accepted (202)" test "$imp" = 202 || cat "$TMP/import.out"
check "node B's Glance replayed it to node A's proxy (worker_self_reference_url)" \
	grep -q "Proxying POST request to host http://127.0.0.1:$PA" "$TMP/glance-b.log"
for i in $(seq 150); do
	st=$(curl -s "$A_URL/v2/images/$ID" -H "X-Auth-Token: $ALICE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
	[ "$st" = active ] && break; sleep 0.2
done
check "the image becomes active, imported by node A from its staging" test "$st" = active
imports() { python3 - "$1" "$ID" <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["path"] == "/v2/images/%s/import" % sys.argv[2]:
        assert r["decision"] == "allow", r
        n += 1
print(n)
PY
}
check "node B's proxy decided the import (allow)" test "$(imports "$B_LOG")" = 1
check "node A's proxy decided the replayed import a second time (allow, not refused as a second import)" \
	test "$(imports "$A_LOG")" = 1
check "one reservation: the marker is the stage's, none written for either import" python3 - "$(curl -s "$GLANCE_URL/v2/images/$ID" -H "X-Auth-Token: $(token stack-admin)")" "$STAGE_REQ" <<'PY'
import json, sys
img = json.loads(sys.argv[1])
marks = [k for k in img if k.startswith("scs_image_hook_upload")]
assert marks == ["scs_image_hook_upload"], marks
assert "req=" + sys.argv[2] in img["scs_image_hook_upload"], (img["scs_image_hook_upload"], sys.argv[2])
PY

# ---- the decision log on a full disk -------------------------------------------------
create() {   # create URL NAME: the status of a create
	curl -s -o /dev/null -w '%{http_code}' -X POST "$1/v2/images" -H "X-Auth-Token: $ALICE" -H 'Content-Type: application/json' \
		-d "{\"name\":\"$2\",\"visibility\":\"private\",\"disk_format\":\"qcow2\",\"container_format\":\"bare\",\"image_source\":\"$UBUNTU\",\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\"}"
}
bad_create() {
	curl -s -o /dev/null -w '%{http_code}' -X POST "$1/v2/images" -H "X-Auth-Token: $ALICE" -H 'Content-Type: application/json' \
		-d '{"name":"Ubuntu 24.04","visibility":"public","image_source":"https://example.org/x.img"}'
}
PROXY_LOGCONF="{file: /dev/full, on_error: refuse}" proxy_start full-refuse "mode: enforce"
check "log.on_error refuse, the log on a full disk (/dev/full): a create is refused 503" test "$(create "$PROXY_URL" 'Ubuntu 24.04')" = 503
check "  ... a line on stderr names the decision and the failure" grep -q "not logged: decision log /dev/full: write: No space left on device" "$TMP/full-refuse.err"
curl -s "$PROXY_ADMIN/metrics" >"$TMP/m1"
check "  ... counted in scs_image_hook_log_write_errors_total" grep -q '^scs_image_hook_log_write_errors_total 1$' "$TMP/m1"
check "  ... and the 503 in scs_image_hook_responses_total" grep -q '^scs_image_hook_responses_total{code="503"} 1$' "$TMP/m1"
PROXY_LOGCONF="{file: /dev/full, on_error: admit}" proxy_start full-admit "mode: enforce"
check "log.on_error admit: the create is admitted (201)" test "$(create "$PROXY_URL" 'Ubuntu 24.04')" = 201
check "  ... the loss counted" sh -c "curl -s '$PROXY_ADMIN/metrics' | grep -q '^scs_image_hook_log_write_errors_total 1$'"
PROXY_LOGCONF="{file: /dev/full}" proxy_start full-default "mode: enforce"
check "no on_error, failure_policy closed (default): refused" test "$(create "$PROXY_URL" 'Ubuntu 24.04')" = 503

# ---- anchors and metrics, on node A's proxy ---------------------------------------------
for i in 1 2; do create "$A_URL" 'Ubuntu 24.04' >/dev/null; bad_create "$A_URL" >/dev/null; done
grep "decision log anchor" "$TMP/a.err" >"$TMP/anchors"
check "anchors: every 2 records the chain's head on the proxy's stderr" test "$(wc -l <"$TMP/anchors")" -ge 2
expect "  ... the log verifies against them" 0 "$BIN" log --verify --anchors "$TMP/anchors" "$A_LOG"
curl -s "$A_ADMIN/metrics" >"$TMP/metrics"
check "/metrics ends in a whole line (no text cut off)" test "$(tail -c1 "$TMP/metrics" | od -An -c | tr -d ' ')" = '\n'
python3 - "$RULES" "$DASH" >"$TMP/named" <<'PY'
import json, re, sys
names = set()
scan = lambda e: names.update(re.findall(r"\b(scs_image_hook_[a-z0-9_]+|up)\b(?=\s*[{\[(=!<>)]|\s*$)", e))
for line in open(sys.argv[1]):
    scan(line)
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            scan(v) if k in ("expr", "definition") and isinstance(v, str) else walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(json.load(open(sys.argv[2])))
print("\n".join(sorted(names)))
PY
check "the rules and the dashboard name metrics ($(wc -l <"$TMP/named"))" test "$(wc -l <"$TMP/named")" -gt 15
exported=$(awk '/^# TYPE/{print $3; if ($4=="histogram") {print $3"_bucket"; print $3"_sum"; print $3"_count"}}' "$TMP/metrics")
missing=
for n in $(cat "$TMP/named"); do
	[ "$n" = up ] && continue       # Prometheus' own, for each target it scrapes
	grep -qx "$n" <<<"$exported" || missing="$missing $n"
done
check "every metric the rules and the dashboard name is exported by the running proxy${missing:+ (missing:$missing)}" test -z "$missing"
# ---- the dashboard's queries, evaluated by Prometheus on scrapes of that proxy -------
if need prometheus; then
	pport=$(free_port)
	cat >"$TMP/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [$ROOT/$RULES]
scrape_configs:
  - job_name: scs-image-hook
    static_configs: [{targets: ["${A_ADMIN#http://}"]}]
YML
	prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
		--web.listen-address="127.0.0.1:$pport" >"$TMP/prometheus.log" 2>&1 &
	PROM_PID=$!
	# until three scrapes of the proxy are in (rate() needs two)
	for i in $(seq 150); do
		n=$(curl -s "http://127.0.0.1:$pport/api/v1/query" --data-urlencode 'query=count_over_time(up{job="scs-image-hook"}[1m])' |
			python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)' 2>/dev/null)
		[ "${n:-0}" -ge 3 ] 2>/dev/null && break
		sleep 0.2
	done
	for i in 1 2; do create "$A_URL" 'Ubuntu 24.04' >/dev/null; bad_create "$A_URL" >/dev/null; sleep 1.1; done
	check "Prometheus scrapes the proxy" test "${n:-0}" -ge 3
	python3 - "$DASH" "http://127.0.0.1:$pport" >"$TMP/evaluated" 2>&1 <<'PY'
import json, sys, urllib.parse, urllib.request
dash, base = json.load(open(sys.argv[1])), sys.argv[2]
bad = 0
for p in dash["panels"]:
    for t in p.get("targets", []):
        q = t["expr"].replace("$__rate_interval", "1m").replace("$instance", ".*").replace("$job", "scs-image-hook")
        url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
        r = json.load(urllib.request.urlopen(url))
        res = r.get("data", {}).get("result", [])
        vals = ", ".join("%s=%s" % (",".join("%s=%s" % kv for kv in sorted(s["metric"].items()) if kv[0] != "__name__") or "-", s["value"][1]) for s in res[:6])
        print("%-45s %-14s %s" % (p["title"][:45], t["legendFormat"][:14], vals or "(no series)"))
        if r["status"] != "success" or not res:
            bad += 1
print("%d queries without a series" % bad)
sys.exit(1 if bad else 0)
PY
	rc=$?
	cat "$TMP/evaluated"
	check "every query of the dashboard evaluates to a series" test "$rc" -eq 0
	curl -s "http://127.0.0.1:$pport/api/v1/rules" >"$TMP/rules.json"
	check "Prometheus loaded the alert rules (10)" python3 -c '
import json,sys; g=json.load(open(sys.argv[1]))["data"]["groups"]; assert sum(len(x["rules"]) for x in g)==10' "$TMP/rules.json"
fi

records_valid "every record of the proxies matches the schema" "$A_LOG" "$B_LOG"
finish
