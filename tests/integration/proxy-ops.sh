#!/usr/bin/env bash
# scs-image-hook proxy in operation: races between concurrent requests,
# faults of Keystone, Glance and clients, /metrics and /healthz, SIGHUP
# reloads and the connection limit, against the real stack.
SUITE=integration-proxy-ops
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/stack-lib.sh
stack_up

GOOD=https://cloud-images.ubuntu.com/releases/noble/x.img
BAD=https://evil.example/x.img
PATCH21=application/openstack-images-v2.1-json-patch
TADMIN=$(token stack-admin)
TA=$(token stack-a)

proxy_start one "mode: enforce" "timeouts: {upstream: 3s, decision: 3s, client: 3s}" "limits: {max_connections: 4}"
ONE=$PROXY_URL; ONE_ADMIN=$PROXY_ADMIN; ONE_PID=$PROXY_PID; ONE_LOG=$PROXY_LOG
proxy_start two "mode: enforce"
TWO=$PROXY_URL

patch_to() { curl -s -o /dev/null -w '%{http_code}' -X PATCH "$1/v2/images/$2" -H "X-Auth-Token: $TADMIN" -H "Content-Type: $PATCH21" --data "$3"; }
# compliant_or_hidden ID: the image is never public, compliant-looking and bad at once.
state() { curl -s "$GLANCE_URL/v2/images/$1" -H "X-Auth-Token: $TADMIN" | python3 -c '
import json, sys
i = json.load(sys.stdin)
bad = i["visibility"] in ("public", "community") and not i.get("image_source", "").startswith("https://cloud-images.ubuntu.com/") and not i["os_hidden"]
print("VIOLATING" if bad else "fine", i["visibility"], i.get("image_source"), i["os_hidden"])'; }

# -- races ---------------------------------------------------------------------------------------
# Two PATCHes, each harmless alone (publish a compliant private image; change
# the source of a private image), sent at once, 8 rounds through one proxy
# and 8 rounds through two proxies (a race the per-image lock cannot see).
violations=0; refused=0
for round in $(seq 16); do
	second=$ONE; [ "$round" -gt 8 ] && second=$TWO
	id=$(glance_create "$TADMIN" '{"name":"Ubuntu 24.04","visibility":"private","image_source":"'$GOOD'"}')
	patch_to "$ONE" "$id" '[{"op":"replace","path":"/visibility","value":"public"}]' >"$TMP/a" & pa=$!
	patch_to "$second" "$id" '[{"op":"replace","path":"/image_source","value":"'$BAD'"}]' >"$TMP/b" & pb=$!
	wait "$pa" "$pb"
	[ "$(cat "$TMP/a")" != 200 ] || [ "$(cat "$TMP/b")" != 200 ] && refused=$((refused + 1))
	s=$(state "$id"); echo "     round $round: A $(cat "$TMP/a") B $(cat "$TMP/b"): $s"
	case $s in VIOLATING*) violations=$((violations + 1)) ;; esac
done
check "races: no round leaves a public, visible image with a bad source" test "$violations" -eq 0
check "races: through one proxy the second PATCH is decided on the first's result" test "$refused" -ge 8

# The re-check: an image that is already in violation when Glance answers
# (here: made so behind the proxy's back, then patched harmlessly through it).
id=$(glance_create "$TADMIN" '{"name":"Ubuntu 24.04","visibility":"public","image_source":"'$BAD'"}')
PROXY_LOG=$ONE_LOG
check "a PATCH whose result violates is refused (403)" test "$(patch_to "$ONE" "$id" '[{"op":"add","path":"/description","value":"x"}]')" = 403

# The race made certain: tests/integration/hold_patch.py holds a harmless
# PATCH (a description) for 2 s at Glance's door after the hook decided on
# a compliant private image; meanwhile the image gets a bad source and goes
# public straight at Glance, so only Glance's answer shows the violation.
python3 tests/integration/hold_patch.py "$TMP/hold.port" "$GLANCE_URL" hold-me 2 &
PROXY_PIDS+=("$!")
for _ in $(seq 50); do [ -s "$TMP/hold.port" ] && break; sleep 0.1; done
HOLD=http://127.0.0.1:$(cat "$TMP/hold.port")
PROXY_UPSTREAM=$HOLD proxy_start held-enforce "mode: enforce"
HELD_ENFORCE=$PROXY_URL
PROXY_UPSTREAM=$HOLD proxy_start held-warn "mode: warn"
HELD_WARN=$PROXY_URL
PROXY_UPSTREAM=$HOLD proxy_start held-dry-run "mode: dry-run"
HELD_DRY=$PROXY_URL
# held_race MODE URL: the image's id into $id; the PATCH's code, headers, body in $TMP/held-MODE.*
held_race() {
	local pid
	id=$(glance_create "$TADMIN" '{"name":"Ubuntu 24.04","visibility":"private","image_source":"'$GOOD'"}')
	curl -s -o "$TMP/held-$1.body" -D "$TMP/held-$1.hdr" -w '%{http_code}' -X PATCH "$2/v2/images/$id" \
		-H "X-Auth-Token: $TADMIN" -H "Content-Type: $PATCH21" \
		--data '[{"op":"add","path":"/description","value":"hold-me"}]' >"$TMP/held-$1.code" &
	pid=$!
	sleep 1
	patch_to "$GLANCE_URL" "$id" '[{"op":"replace","path":"/image_source","value":"'$BAD'"},{"op":"replace","path":"/visibility","value":"public"}]' >/dev/null
	wait "$pid"
}
held_race enforce "$HELD_ENFORCE"
PROXY_LOG=$TMP/held-enforce.log
check "held race, enforce: Glance's answer violates, the client gets 409 (got $(cat "$TMP/held-enforce.code"))" \
	test "$(cat "$TMP/held-enforce.code")" = 409
check "held race, enforce: the image is hidden" test "$(glance_field "$id" os_hidden)" = True
check "held race, enforce: the record names the rule and the concurrent change" last_record \
	'r["decision"] == "deny" and r["image"]["id"] == "'"$id"'" and "concurrent" in r["error"] and any(v["rule"] == "scs-0104/source" for v in r["violations"])' PATCH
held_race warn "$HELD_WARN"
PROXY_LOG=$TMP/held-warn.log
check "held race, warn: the PATCH goes through (got $(cat "$TMP/held-warn.code"))" test "$(cat "$TMP/held-warn.code")" = 200
check "held race, warn: the client gets a Warning naming what the decision did not see" \
	grep -qi '^Warning: 299 scs-image-hook ".*scs-0104/source.*did not see' "$TMP/held-warn.hdr"
check "held race, warn: the violation Glance's answer shows is logged" last_record \
	'r["decision"] == "warn" and r["image"]["id"] == "'"$id"'" and "did not see" in r["error"] and any(v["rule"] == "scs-0104/source" for v in r["violations"])' PATCH
check "held race, warn: the admission record came first (nothing seen then)" python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if sys.argv[2] in l]
sys.exit(0 if len(rs) == 2 and not rs[0]["violations"] and rs[1]["violations"] else 1)' "$PROXY_LOG" "$id"
held_race dry-run "$HELD_DRY"
PROXY_LOG=$TMP/held-dry-run.log
check "held race, dry-run: the PATCH goes through, no Warning (got $(cat "$TMP/held-dry-run.code"))" \
	sh -c "test \"\$(cat '$TMP/held-dry-run.code')\" = 200 && ! grep -qi '^Warning:' '$TMP/held-dry-run.hdr'"
check "held race, dry-run: the violation Glance's answer shows is logged" last_record \
	'r["decision"] == "allow" and r["mode"] == "dry-run" and r["image"]["id"] == "'"$id"'" and "did not see" in r["error"] and any(v["rule"] == "scs-0104/source" for v in r["violations"])' PATCH
PROXY_LOG=$ONE_LOG

# -- observability ------------------------------------------------------------------------------
curl -s "$ONE_ADMIN/metrics" >"$TMP/metrics"
check "/healthz answers ok" test "$(curl -s "$ONE_ADMIN/healthz")" = ok
check "/metrics: decisions by action" grep -qE '^scs_image_hook_decisions_total\{action="deny"\} [1-9]' "$TMP/metrics"
check "/metrics: violations by rule" grep -qE '^scs_image_hook_violations_total\{rule="scs-0104/source"\} [1-9]' "$TMP/metrics"
check "/metrics: duration histogram" grep -qE '^scs_image_hook_request_duration_seconds_bucket\{le="\+Inf"\} [1-9]' "$TMP/metrics"
check "/metrics: token cache hits" grep -qE '^scs_image_hook_token_cache_hits_total [1-9]' "$TMP/metrics"
check "/metrics: token cache misses" grep -qE '^scs_image_hook_token_cache_misses_total [1-9]' "$TMP/metrics"
check "/metrics: upstream errors and reloads are there" grep -q '^scs_image_hook_policy_reloads_total 0' "$TMP/metrics"

# -- SIGHUP -------------------------------------------------------------------------------------------
cp "$TMP/one.yaml" "$TMP/one.good"
echo "mode: [broken" >>"$TMP/one.yaml"
reload "$ONE_PID" "$TMP/one.err"
check "broken policy on reload: refused, and said so" grep -q "reload refused: keeping the policy in force" "$TMP/one.err"
post_one() { curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$ONE/v2/images" -H "X-Auth-Token: $TADMIN" -H 'Content-Type: application/json' --data "$1"; }
check "broken reload: the old policy still refuses" test "$(post_one '{"name":"Ubuntu 24.04","visibility":"public","image_source":"'$BAD'"}')" = 403
# A file that is valid YAML, with a policy that would admit, but that the
# proxy could not start with: the reload reads it as a start would.
sed 's/^mode: enforce/mode: warn/; s/^listen: .*/listen: not-a-port/' "$TMP/one.good" >"$TMP/one.yaml"
reload "$ONE_PID" "$TMP/one.err"
check "reload with a bad listen: refused, saying where and why" grep -q "reload refused: keeping the policy in force: $TMP/one.yaml:2:9: listen must be HOST:PORT" "$TMP/one.err"
check "reload with a bad listen: the old policy still refuses" test "$(post_one '{"name":"Ubuntu 24.04","visibility":"public","image_source":"'$BAD'"}')" = 403
sed 's/^mode: enforce/mode: warn/; s/timeouts: {upstream: 3s/timeouts: {upstream: 4s/' "$TMP/one.good" >"$TMP/one.yaml"
reload "$ONE_PID" "$TMP/one.err"
check "good reload: the new policy applies (warn admits)" test "$(post_one '{"name":"Ubuntu 24.04","visibility":"public","image_source":"'$BAD'"}')" = 201
check "good reload: a changed service key is named, it waits for a restart" grep -q "reload: timeouts changed in $TMP/one.yaml" "$TMP/one.err"
check "reloads counted" sh -c "curl -s '$ONE_ADMIN/metrics' | grep -q '^scs_image_hook_policy_reloads_total 1'"
check "failed reloads counted" sh -c "curl -s '$ONE_ADMIN/metrics' | grep -q '^scs_image_hook_policy_reload_failures_total 2'"
mv "$PROXY_LOG" "$PROXY_LOG.1"
reload "$ONE_PID" "$TMP/one.err"
post_one '{"name":"x","visibility":"private"}' >/dev/null
check "SIGHUP reopens the log (logrotate)" test -s "$PROXY_LOG"
cp "$TMP/one.good" "$TMP/one.yaml"; reload "$ONE_PID" "$TMP/one.err"

# -- connection limit --------------------------------------------------------------------------------
holders=()
for i in 1 2 3 4 5; do
	python3 -c 'import socket,time,sys; s=socket.create_connection(("127.0.0.1", int(sys.argv[1]))); time.sleep(10)' "${ONE##*:}" &
	holders+=($!)
done
for _ in $(seq 50); do   # until the proxy has seen all five
	curl -s "$ONE_ADMIN/metrics" | grep -q '^scs_image_hook_connections [5-9]' && break
	sleep 0.1
done
check "beyond max_connections: 503" test "$(curl -s -o /dev/null -w '%{http_code}' "$ONE/v2/images" -H "X-Auth-Token: $TADMIN")" = 503
wait "${holders[@]}"
check "after the load: answers again" test "$(curl -s -o /dev/null -w '%{http_code}' "$ONE/v2/images" -H "X-Auth-Token: $TADMIN")" = 200

# -- SIGTERM -------------------------------------------------------------------------------------------
# An idle keep-alive client does not hold the proxy up; an upload in flight
# gets a grace period (10 s), then is aborted: the image never becomes
# active with part of its data, and the proxy exits, never hangs.
proxy_start term "mode: enforce"
TERM_URL=$PROXY_URL; TERM_PID=$PROXY_PID
python3 -c '
import http.client, sys, time, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
c.request("GET", "/v2/images", headers={"X-Auth-Token": sys.argv[2]})
c.getresponse().read()
time.sleep(20)   # the connection stays open, idle
' "$TERM_URL" "$TA" & idle=$!
sleep 1
t0=$(date +%s%N)
kill -TERM "$TERM_PID"; wait "$TERM_PID"; trc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "SIGTERM with an idle keep-alive client: exit 0 at once (${ms} ms)" test "$trc" -eq 0 -a "$ms" -lt 3000
kill "$idle" 2>/dev/null; wait "$idle" 2>/dev/null

proxy_start term2 "mode: enforce"
TERM_URL=$PROXY_URL; TERM_PID=$PROXY_PID
id=$(glance_create "$TA" '{"name":"slow","disk_format":"raw","container_format":"bare"}')
head -c 20M /dev/zero >"$TMP/slow"
curl -s -o /dev/null --limit-rate 200K -X PUT "$TERM_URL/v2/images/$id/file" -H "X-Auth-Token: $TA" \
	-H 'Content-Type: application/octet-stream' --data-binary @"$TMP/slow" & up=$!
sleep 2
t0=$(date +%s%N)
kill -TERM "$TERM_PID"; wait "$TERM_PID"; trc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "$up"
check "SIGTERM during a slow upload: exit 0 after the grace period (${ms} ms)" test "$trc" -eq 0 -a "$ms" -ge 9000 -a "$ms" -lt 20000
st=$(settled "$id")
check "the upload cut short by shutdown left the image without data (status $st)" test "$st" = queued
rm -f "$TMP/slow"

# -- TLS towards Glance ---------------------------------------------------------------------------------
# Glance behind HTTPS with a private CA: the streamed exchange uses the same
# TLS settings (the cloud's cacert) as the proxy's other calls.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/tls.key" -out "$TMP/tls.pem" -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
TLS_PORT=$(free_port)
python3 - "$TLS_PORT" "$GLANCE_PORT" "$TMP/tls.pem" "$TMP/tls.key" <<'PY' &
import socket, ssl, sys, threading
port, glance, cert, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
lst = socket.create_server(("127.0.0.1", port))
def pipe(a, b):
    try:
        while (d := a.recv(65536)):
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def serve(c):
    try:
        t = ctx.wrap_socket(c, server_side=True)
    except (ssl.SSLError, OSError):
        return c.close()
    g = socket.create_connection(("127.0.0.1", glance))
    threading.Thread(target=pipe, args=(g, t), daemon=True).start()
    pipe(t, g)
while True:
    c, _ = lst.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
TLS_PID=$!
sleep 0.5
sed "s#^\(    region_name: .*\)\$#\1\n    cacert: $TMP/tls.pem#" "$GLANCE_CLOUDS" >"$TMP/ca-clouds.yaml"
PLAIN_CLOUDS=$GLANCE_CLOUDS PLAIN_URL=$GLANCE_URL
GLANCE_URL=https://127.0.0.1:$TLS_PORT
# without the CA the proxy does not start: its credentials are proven on
# Glance at start (creds.c), and Glance's certificate is not trusted
printf 'policy: [%s]\nlisten: 127.0.0.1:1\nupstream: %s\nkeystone: {cloud: stack-service}\n' \
	"$ROOT/policy/scs-0104-v1-images-v5.yaml" "$GLANCE_URL" >"$TMP/tls-untrusted.yaml"
OS_CLIENT_CONFIG_FILE=$PLAIN_CLOUDS "$BIN" proxy --check --config "$TMP/tls-untrusted.yaml" >/dev/null 2>"$TMP/tls-untrusted.err"
GLANCE_CLOUDS=$TMP/ca-clouds.yaml
proxy_start tls "mode: enforce"
GLANCE_CLOUDS=$PLAIN_CLOUDS GLANCE_URL=$PLAIN_URL
code=$(curl -s -o "$TMP/body" -w '%{http_code}' "$PROXY_URL/v2/images?limit=1" -H "X-Auth-Token: $TADMIN")
check "HTTPS Glance with the cloud's cacert: a read streams (HTTP $code)" test "$code" = 200
id=$(glance_create "$TADMIN" '{"name":"tls","visibility":"private"}')
code=$(patch_to "$PROXY_URL" "$id" '[{"op":"add","path":"/note","value":"x"}]')
check "HTTPS Glance with the cloud's cacert: a decided PATCH passes (HTTP $code)" test "$code" = 200
check "HTTPS Glance without the CA: not trusted, the proxy does not start" \
	grep -q "cannot list images at Glance (https://.*certificate" "$TMP/tls-untrusted.err"
kill "$TLS_PID"

# -- faults ----------------------------------------------------------------------------------------------
# A client that vanishes mid-upload: the upload to Glance is aborted.
id=$(glance_create "$TA" '{"name":"half","disk_format":"raw","container_format":"bare"}')
(head -c 200M /dev/zero | curl -s -o /dev/null --limit-rate 20M -X PUT "$ONE/v2/images/$id/file" -H "X-Auth-Token: $TA" \
	-H 'Content-Type: application/octet-stream' -H 'Transfer-Encoding: chunked' -T - ) & cpid=$!
sleep 2; kill "$cpid" 2>/dev/null; pkill -f "limit-rate 20M" 2>/dev/null; sleep 3
st=$(glance_field "$id" status)
check "client gone mid-upload: the image is not active (status $st)" test "$st" != active
check "client gone mid-upload: the proxy still serves" test "$(curl -s -o /dev/null -w '%{http_code}' "$ONE/v2/images" -H "X-Auth-Token: $TADMIN")" = 200

# An idle client is dropped after timeouts.client (3 s here).
check "an idle client is disconnected after the client timeout" python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t = time.time()
s.settimeout(15)
s.recv(1)                          # returns b"" when the proxy closes
sys.exit(0 if 2 <= time.time() - t <= 8 else 1)' "${ONE##*:}"
# ... and so is one that sends half a request and stalls.
check "a stalled half request is dropped too" python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /v2/images HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"na")
t = time.time()
s.settimeout(15)
while s.recv(4096):
    pass
sys.exit(0 if time.time() - t <= 8 else 1)' "${ONE##*:}"

# Glance stopped (SIGSTOP): no answer within the timeout.
fds_before=$(ls "/proc/$ONE_PID/fd" | wc -l)
kill -STOP -- "-$GLANCE_PID"   # glance-api and its workers (their own process group)
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --max-time 20 "$ONE/v2/images" -H "X-Auth-Token: $TADMIN" \
	-H 'Accept: application/json')
check "Glance silent past the timeout: 504" test "$code" = 504
check "504 in Glance's shape, saying why" grep -q '"code":"504 Gateway Timeout"' "$TMP/body"
code=$(post_one '{"name":"Ubuntu 24.04","visibility":"public","image_source":"'$GOOD'"}')
check "Glance silent during a decision: 503 (failure_policy closed) or 504" test "$code" = 503 -o "$code" = 504
kill -CONT -- "-$GLANCE_PID"
# Glance dies in the middle of a download: the client sees a broken
# transfer (never a hang, never a complete-looking one), the proxy goes on.
id=$(glance_create "$TA" '{"name":"big","disk_format":"raw","container_format":"bare"}')
head -c 300M /dev/zero | curl -s -o /dev/null -X PUT "$ONE/v2/images/$id/file" -H "X-Auth-Token: $TA" \
	-H 'Content-Type: application/octet-stream' -T -
curl -s -o "$TMP/partial" --limit-rate 10M --max-time 60 "$ONE/v2/images/$id/file" -H "X-Auth-Token: $TA" & dl=$!
sleep 2
kill -KILL -- "-$GLANCE_PID"   # Glance and its workers, mid-transfer
wait "$dl"; rc=$?
size=$(stat -c %s "$TMP/partial" 2>/dev/null || echo 0)
check "upstream reset mid-download: the client's transfer fails (curl exit $rc, $size bytes)" test "$rc" -ne 0 -a "$rc" -ne 28
check "upstream reset mid-download: less than the whole image arrived" test "$size" -lt $((300 * 1024 * 1024))
# Glance gone: nobody listens.
sleep 1
check "Glance down: 502" test "$(curl -s -o "$TMP/body" -w '%{http_code}' "$ONE/v2/images" -H "X-Auth-Token: $TADMIN")" = 502
check "502 says Glance could not be reached" grep -q "could not be reached" "$TMP/body"
sleep 1
fds_after=$(ls "/proc/$ONE_PID/fd" | wc -l)
check "no descriptor leaked over the faults ($fds_before before, $fds_after after)" test "$fds_after" -le "$fds_before"
check "the proxy survived every fault" kill -0 "$ONE_PID"

records_valid "every decision record matches docs/decision-record.schema.json" "${PROXY_LOGS[@]}"
finish
