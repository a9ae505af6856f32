#!/usr/bin/env bash
# What operators deploy beside the binary, checked with the tools they
# run: the alert rules (promtool check and test), every metric the rules
# and the Grafana dashboard name exported by a running proxy, the
# dashboard's queries evaluated by Prometheus against scrapes of that
# proxy, the proxy's decision log on a full disk (log.on_error), the
# kolla HAProxy override (haproxy -c), the kolla-build template override
# rendered with jinja2 against a stand-in parent, and the import plugin
# installed into a fresh venv and imported. A tool that is missing is a
# skip with a line saying so, but never in CI (CI=true): there it fails.
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/stack-lib.sh
ROOT=$(pwd)
RULES=deploy/prometheus/scs-image-hook.rules.yml
DASH=deploy/grafana/scs-image-hook.json

# need TOOL...: 0 when every tool is there; else a skip line (a failure in CI)
need() {
	local t
	for t; do
		command -v "$t" >/dev/null && continue
		if [ -n "${CI:-}" ]; then fail "$t is installed (make deps)" "missing in CI"; else
			echo "skip: $t is not installed here (make deps installs it; CI never skips)"; fi
		return 1
	done
}
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

# ---- alert rules ------------------------------------------------------------------
if need promtool; then
	expect "promtool check rules" 0 promtool check rules "$RULES"
	check "  ... every rule found" has "SUCCESS: 10 rules found"
	expect "promtool test rules: each alert fires on trouble, none on a healthy proxy" 0 \
		promtool test rules deploy/prometheus/scs-image-hook.rules.test.yml
fi

# ---- a proxy without Keystone, in front of a Glance that is not there ---------------
# proxy NAME YAML...: start one; sets P_URL, P_ADMIN
proxy() {
	local name=$1 port admin i; shift
	port=$(free_port); admin=$(free_port)
	{
		echo "policy: [$ROOT/policy/scs-0104-v1-images-v5.yaml]"
		echo "listen: 127.0.0.1:$port"
		echo "admin_listen: 127.0.0.1:$admin"
		echo "upstream: http://127.0.0.1:$(free_port)"
		printf '%s\n' "$@"
	} >"$TMP/$name.yaml"
	"$BIN" proxy --config "$TMP/$name.yaml" 2>"$TMP/$name.err" &
	PIDS+=($!)
	P_URL=http://127.0.0.1:$port
	P_ADMIN=http://127.0.0.1:$admin
	for i in $(seq 100); do curl -sf "$P_ADMIN/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
}
create() {   # create NAME: the status of a create through the proxy
	curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d "{\"name\":\"$1\",\"visibility\":\"public\",\"image_source\":\"https://cloud-images.ubuntu.com/releases/noble/x.img\",\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\"}" \
		"$P_URL/v2/images"
}
bad_create() {
	curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d '{"name":"Ubuntu 24.04","visibility":"public","image_source":"https://example.org/x.img"}' "$P_URL/v2/images"
}

proxy full-refuse "log: {file: /dev/full, on_error: refuse}"
check "log.on_error refuse, the log on a full disk: a create is refused 503" test "$(create 'Ubuntu 24.04')" = 503
check "  ... a line on stderr names the decision and the failure" grep -q "not logged: decision log /dev/full: write: No space left on device" "$TMP/full-refuse.err"
curl -s "$P_ADMIN/metrics" >"$TMP/m1"
check "  ... counted in scs_image_hook_log_write_errors_total" grep -q '^scs_image_hook_log_write_errors_total 1$' "$TMP/m1"
check "  ... and the 503 in scs_image_hook_responses_total" grep -q '^scs_image_hook_responses_total{code="503"} 1$' "$TMP/m1"
proxy full-admit "log: {file: /dev/full, on_error: admit}"
check "log.on_error admit: the create goes on to Glance (here: none, 502)" test "$(create 'Ubuntu 24.04')" = 502
check "  ... the loss counted" sh -c "curl -s '$P_ADMIN/metrics' | grep -q '^scs_image_hook_log_write_errors_total 1$'"
proxy default-open "log: {file: /dev/full}" "failure_policy: open"
check "no on_error, failure_policy open: admitted" test "$(create 'Ubuntu 24.04')" = 502
proxy default-closed "log: {file: /dev/full}"
check "no on_error, failure_policy closed: refused" test "$(create 'Ubuntu 24.04')" = 503

# the proxy the metrics and the dashboard are checked against
proxy metrics "log: {file: $TMP/metrics.log, anchor: 2}"
for i in 1 2 3; do create 'Ubuntu 24.04' >/dev/null; bad_create >/dev/null; done
curl -s "$P_ADMIN/metrics" >"$TMP/metrics"
check "the proxy's anchors: every 2 records a chain head on stderr" grep -q "decision log anchor: log=$TMP/metrics.log seq=6 sha256=" "$TMP/metrics.err"
grep "decision log anchor" "$TMP/metrics.err" >"$TMP/anchors"
expect "  ... and the log verifies against them" 0 "$BIN" log --verify --anchors "$TMP/anchors" "$TMP/metrics.log"
check "  ... 3 anchors met" has "3 anchors met"
check "/metrics ends in a whole line (no text cut off)" test "$(tail -c1 "$TMP/metrics" | od -An -c | tr -d ' ')" = '\n'

# every scs_image_hook_* (and up) the rules and the dashboard name
python3 - "$RULES" "$DASH" >"$TMP/named" <<'PY'
import json, re, sys
names = set()
def scan(expr):
    for m in re.findall(r"\b(scs_image_hook_[a-z0-9_]+|up)\b(?=\s*[{\[(]|\s*[=!<>)]|\s*$)", expr):
        names.add(m)
text = open(sys.argv[1]).read()
for line in text.splitlines():
    if "expr:" in line or line.startswith("          ") :
        scan(line)
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ("expr", "definition") and isinstance(v, str): scan(v)
            else: walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(json.load(open(sys.argv[2])))
print("\n".join(sorted(names)))
PY
check "the rules and the dashboard name metrics" test "$(wc -l <"$TMP/named")" -gt 15
missing=
exported=$(awk '/^# TYPE/{print $3; if ($4=="histogram") {print $3"_bucket"; print $3"_sum"; print $3"_count"}}' "$TMP/metrics")
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
    static_configs: [{targets: ["${P_ADMIN#http://}"]}]
YML
	prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
		--web.listen-address="127.0.0.1:$pport" >"$TMP/prometheus.log" 2>&1 &
	PIDS+=($!)
	# until three scrapes of the proxy are in (rate() needs two)
	for i in $(seq 150); do
		n=$(curl -s "http://127.0.0.1:$pport/api/v1/query" --data-urlencode 'query=count_over_time(up{job="scs-image-hook"}[1m])' |
			python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)' 2>/dev/null)
		[ "${n:-0}" -ge 3 ] 2>/dev/null && break
		sleep 0.2
	done
	for i in 1 2; do create 'Ubuntu 24.04' >/dev/null; bad_create >/dev/null; sleep 1.1; done
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

records_valid "the proxy's records match the schema" "$TMP/metrics.log"
finish
