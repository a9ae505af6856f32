#!/usr/bin/env bash
# The house: every tracked file lies where docs/architecture.md's layout
# block says files go, no fuzzer output is tracked outside the kept
# regression inputs, shipped text speaks of the product and not of its
# issue tracker, and no source file is over 700 lines. Each check is also
# shown to fail on a tree that breaks it.
SUITE=cli-house
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
MAX_LINES=700

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	fail "the tree is a git checkout (these checks read what git tracks)"
	finish
	exit 1
fi
git ls-files >"$TMP/tracked"

# layout DOC LIST: every file of LIST matches a pattern of DOC's ```layout block,
# and every pattern matches a file.
cat >"$TMP/layout.py" <<'PY'
import re, sys
doc = open(sys.argv[1]).read()
m = re.search(r"^```layout\n(.*?)^```", doc, re.S | re.M)
if not m:
    sys.exit("%s: no ```layout block" % sys.argv[1])
patterns = [l.split("#", 1)[0].strip() for l in m.group(1).splitlines()]
patterns = [p for p in patterns if p]
def regex(p):
    out, i = "", 0
    while i < len(p):
        if p.startswith("**", i):
            out, i = out + ".*", i + 2
        elif p[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif p[i] == "[":
            j = p.index("]", i)
            out, i = out + p[i:j + 1], j + 1
        else:
            out, i = out + re.escape(p[i]), i + 1
    return re.compile(out + r"\Z")
res = [(p, regex(p)) for p in patterns]
files = [f for f in open(sys.argv[2]).read().splitlines() if f]
used, bad = set(), []
for f in files:
    hit = [p for p, r in res if r.match(f)]
    if not hit:
        bad.append("%s: in no place of the layout" % f)
    used.update(hit)
bad += ["layout pattern %s matches no tracked file" % p for p in patterns if p not in used]
print("\n".join(bad) or "%d files in %d places" % (len(files), len(patterns)))
sys.exit(1 if bad or not files else 0)
PY
layout() { run "$1" python3 "$TMP/layout.py" "${2:-docs/architecture.md}" "${3:-$TMP/tracked}"; }

if layout 0; then pass "layout: every tracked file is in a place docs/architecture.md lists ($(cat "$TMP/out"))"
else fail "layout: every tracked file is in a place docs/architecture.md lists" "$(cat "$TMP/out") $LAST_ERR"; fi
{ cat "$TMP/tracked"; echo leak-1f9e01c4ff28ac0b0f7720abf07c7e1d31299cf8; echo hook/notes.txt; } >"$TMP/stray"
layout 1 docs/architecture.md "$TMP/stray"
check "layout: a stray file at the root is found" has "leak-1f9e01c4ff28ac0b0f7720abf07c7e1d31299cf8: in no place of the layout"
check "layout: a file of the wrong kind in a layer is found" has "hook/notes.txt: in no place of the layout"
sed '/^deploy\/systemd/d' docs/architecture.md >"$TMP/arch.md"
layout 1 "$TMP/arch.md"
check "layout: a place the block lacks is found" has "deploy/systemd/scs-image-hook-proxy.service: in no place"
{ sed -n '1,/^```layout/p' docs/architecture.md; echo 'no-such-place/**'; sed -n '/^```layout/,$p' docs/architecture.md | tail -n +2; } >"$TMP/arch2.md"
layout 1 "$TMP/arch2.md"
check "layout: a place with no file is found" has "layout pattern no-such-place/** matches no tracked file"
grep -v '^```layout' docs/architecture.md >"$TMP/arch3.md"
expect "layout: a document without the block fails" 1 python3 "$TMP/layout.py" "$TMP/arch3.md" "$TMP/tracked"
: >"$TMP/none"
layout 1 docs/architecture.md "$TMP/none"
check "layout: no files at all fails, not passes" test -s "$TMP/out"

# ---- fuzzer outputs -------------------------------------------------------------------------------
FUZZ_OUT='(^|/)(leak|crash|timeout|oom|slow-unit)-[0-9a-f]{8,}$'
strays() { grep -v '^tests/fuzz/regressions/' "$1" | grep -E "$FUZZ_OUT"; }
if strays "$TMP/tracked" >"$TMP/out"; then fail "no fuzzer output is tracked outside tests/fuzz/regressions" "$(cat "$TMP/out")"
else pass "no fuzzer output is tracked outside tests/fuzz/regressions"; fi
check "fuzzer outputs: one at the root would be found" eval 'strays "$TMP/stray" >/dev/null'
check "fuzzer outputs: .gitignore keeps them out of the root" git check-ignore -q crash-0123456789abcdef
check "fuzzer outputs: .gitignore keeps them out of a folder" git check-ignore -q hook/core/leak-0123456789abcdef
check "fuzzer outputs: a kept regression input is not ignored" \
	test "$(git check-ignore tests/fuzz/regressions/uri/crash-0123456789abcdef)" = ""

# ---- shipped text speaks of the product ---------------------------------------------------------
ISSUE_RE='\bissues? ?#?[0-9]+'
if git grep -niE "$ISSUE_RE" -- . ':!tests' >"$TMP/out"; then
	fail "shipped text names no issue numbers" "$(head -5 "$TMP/out")"
else
	pass "shipped text names no issue numbers"
fi
printf 'fixed in issue 16\nsee Issue #8\nissues 3 and 4\nopenstack-image-manager #1206\n' >"$TMP/issues.txt"
check "issue numbers: the pattern finds each spelling" test "$(grep -ciE "$ISSUE_RE" "$TMP/issues.txt")" -eq 3

# ---- rooms of a readable size --------------------------------------------------------------------
big() { awk -v max="$MAX_LINES" 'FNR == 1 && NR > 1 && n > max { print prev " (" n " lines)" }
	{ n = FNR; prev = FILENAME } END { if (n > max) print prev " (" n " lines)" }' "$@"; }
mapfile -t sources < <(grep -E '^hook/.*\.[ch]$' "$TMP/tracked")
check "sources found under hook/" test "${#sources[@]}" -ge 40
big "${sources[@]}" >"$TMP/out"
if [ -s "$TMP/out" ]; then fail "no source file over $MAX_LINES lines" "$(tr '\n' ' ' <"$TMP/out")"
else pass "no source file over $MAX_LINES lines (${#sources[@]} files)"; fi
seq 701 >"$TMP/long.c"; seq 700 >"$TMP/ok.c"
big "$TMP/ok.c" "$TMP/long.c" "$TMP/ok.c" >"$TMP/out"
check "size: a file of 701 lines is found, one of 700 is not" test "$(cat "$TMP/out")" = "$TMP/long.c (701 lines)"

finish
