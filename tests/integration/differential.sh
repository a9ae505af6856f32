#!/usr/bin/env bash
# The differential suite: requests generated from the edges of
# Glance's v2 grammar go through the proxy to a capture upstream that
# parses them with Glance's own stack (tests/differential/capture.py) and
# records the controller action Glance would run. Every request that
# reaches a mutating image action must carry a decision for exactly that
# action and image in the proxy's decision log. One check per class of
# requests; a failure prints its offending requests.
#
# DIFF_CASES=N random combinations on top of the edges (default 200; the
# campaign, tests/differential/campaign, runs many more); DIFF_SEED picks
# them. About 2000 requests in all, a minute on two cores.
SUITE=differential
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/stack-lib.sh

# Keystone alone: the capture upstream stands where glance-api would.
STACK=$(STACK_KEYSTONE_ONLY=1 tests/stack/up "$TMP/stack" 2>"$TMP/stack-up.log" | tail -1)
if [ ! -f "$STACK/env" ]; then
	fail "keystone comes up" "$(tail -20 "$TMP/stack-up.log")"
	finish
	exit 1
fi
CAPTURE_PID=
trap '[ -n "$CAPTURE_PID" ] && kill "$CAPTURE_PID" 2>/dev/null; proxy_stop_all; tests/stack/down "$STACK" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
. "$STACK/env"
GLANCE_CLOUDS=$OS_CLIENT_CONFIG_FILE
pass "keystone comes up"

# Glance's interpreter and packages, whatever python3 is first on PATH.
/usr/bin/python3 tests/differential/capture.py "$GLANCE_PORT" "$TMP/captured.jsonl" 2>"$TMP/capture.err" &
CAPTURE_PID=$!
for i in $(seq 100); do
	curl -s -o /dev/null "$GLANCE_URL/versions" && break
	sleep 0.1
done
check "the capture upstream answers as Glance" has '"v2.' <(curl -s "$GLANCE_URL/versions")

proxy_start differential "mode: enforce"
check "the proxy comes up in front of it" kill -0 "$PROXY_PID"

DIFF_CASES=${DIFF_CASES:-200} DIFF_CORPUS=${DIFF_CORPUS:-$ROOT/tests/fuzz/corpus/route} /usr/bin/python3 tests/differential/diff.py \
	"$PROXY_URL" "$GLANCE_URL" "$TMP/captured.jsonl" "$PROXY_LOG" "$(token stack-a)" >"$TMP/results" 2>&1
while IFS= read -r line; do
	case $line in
	PASS\ *) pass "${line#PASS }" ;;
	FAIL\ *) fail "${line#FAIL }" ;;
	SUMMARY\ *) echo "$line" ;;
	*) echo "$line" ;;
	esac
done <"$TMP/results"
check "the checker ran to its summary" grep -q '^SUMMARY ' "$TMP/results"
check "the capture upstream survived them all" kill -0 "$CAPTURE_PID"
check "the proxy survived them all" kill -0 "$PROXY_PID"
records_valid "every decision record matches docs/decision-record.schema.json" "${PROXY_LOGS[@]}"
finish
