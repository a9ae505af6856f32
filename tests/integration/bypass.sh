#!/usr/bin/env bash
# The bypass suite: raw HTTP requests that try to leave a non-compliant
# public image behind the proxy (tests/integration/bypass.py), each judged
# by asking Glance itself, around the proxy, what it now holds.
SUITE=integration-bypass
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/stack-lib.sh
stack_up
proxy_start bypass "mode: enforce"
python3 tests/integration/bypass.py "$PROXY_URL" "$GLANCE_URL" "$(token stack-admin)" >"$TMP/results" 2>&1
while IFS= read -r line; do
	case $line in
	PASS\ *) pass "${line#PASS }" ;;
	FAIL\ *) fail "${line#FAIL }" ;;
	*) fail "harness: $line" ;;
	esac
done <"$TMP/results"
check "every case ran" test "$(grep -c '^PASS\|^FAIL' "$TMP/results")" -ge 65
check "the proxy survived them all" kill -0 "$PROXY_PID"
records_valid "every decision record matches docs/decision-record.schema.json" "${PROXY_LOGS[@]}"
finish
