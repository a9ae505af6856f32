# Shared helpers for the shell test suites. Each suite sources this, runs
# its cases with `expect`/`check`, and ends with `finish`, which prints the
# line tests/run adds up: "suite: N passed, N failed".
set -u
PASSED=0
FAILED=0
SUITE=${SUITE:-$(basename "$0" .sh)}
BIN=${BIN:-$(pwd)/build/scs-image-hook}
SPECS=${SCS_SPEC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/policy}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$1"; [ -n "${2:-}" ] && printf '     %s\n' "$2"; return 0; }

# check NAME CONDITION...: passes when the command succeeds.
check() {
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name" "failed: $*"; fi
}

# run STATUS CMD...: run CMD with stdout in $TMP/out, stderr in $TMP/err,
# and fail unless it exits with STATUS. Returns 0/1 for chaining.
run() {
	local want=$1; shift
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	local got=$?
	if [ "$got" -ne "$want" ]; then
		LAST_ERR="exit $got, wanted $want: $(head -c 600 "$TMP/err")"
		return 1
	fi
	return 0
}

# expect NAME STATUS CMD...: a case that passes when CMD exits with STATUS.
expect() {
	local name=$1 want=$2; shift 2
	LAST_ERR=
	if run "$want" "$@"; then pass "$name"; else fail "$name" "$LAST_ERR"; fi
}

# need TOOL...: 0 when every tool is there; else a skip line, or under
# CI (where make deps installed everything) a failure, and 1
need() {
	local t
	for t; do
		command -v "$t" >/dev/null && continue
		if [ -n "${CI:-}" ]; then fail "$t is installed (make deps)" "missing in CI"; else
			echo "skip: $t is not installed here (make deps installs it; CI never skips)"; fi
		return 1
	done
}

has() { grep -qF -- "$1" "${2:-$TMP/out}"; }

finish() {
	printf '%s: %d passed, %d failed\n' "$SUITE" "$PASSED" "$FAILED"
	[ "$FAILED" -eq 0 ]
}

# records_valid NAME FILE...: every line of the decision logs FILE... is a
# decision record as docs/decision-record.schema.json describes it (and
# there is at least one). Suites that write decision logs end with it.
RECORD_SCHEMA=${RECORD_SCHEMA:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/docs/decision-record.schema.json}
records_valid() {
	local name=$1 out f files=(); shift
	for f; do [ -f "$f" ] && files+=("$f"); done    # a proxy that decided nothing wrote no log
	if out=$(python3 - "$RECORD_SCHEMA" "${files[@]}" 2>&1 <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
n = 0
for path in sys.argv[2:]:
    for i, line in enumerate(open(path, encoding="utf-8"), 1):
        n += 1
        errs = sorted(v.iter_errors(json.loads(line)), key=lambda e: list(e.path))
        if errs:
            e = errs[0]
            where = "/".join(str(p) for p in e.absolute_path) or "(record)"
            sys.exit("%s:%d: %s: %s" % (path, i, where, e.message[:300]))
if n == 0:
    sys.exit("no decision records to check")
print("%d records" % n)
PY
	); then
		pass "$name ($out)"
	else
		fail "$name" "$out"
	fi
}

# json_valid NAME SCHEMA FILE...: each FILE is one JSON document that the
# JSON Schema SCHEMA (draft 7) accepts: the audit report against
# docs/audit-report.schema.json.
json_valid() {
	local name=$1 schema=$2 out; shift 2
	if out=$(python3 - "$schema" "$@" 2>&1 <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
for path in sys.argv[2:]:
    errs = sorted(v.iter_errors(json.load(open(path, encoding="utf-8"))), key=lambda e: list(e.path))
    if errs:
        e = errs[0]
        sys.exit("%s: %s: %s" % (path, "/".join(str(p) for p in e.absolute_path) or "(document)", e.message[:300]))
print("%d documents" % (len(sys.argv) - 2))
PY
	); then
		pass "$name ($out)"
	else
		fail "$name" "$out"
	fi
}
