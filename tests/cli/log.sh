#!/usr/bin/env bash
# The decision log as an audit trail, and the log command: records chained
# across processes and rotation, verified (a deletion, a change, a move, a
# cut end each found with file and line), never a partial line on a full
# disk or past a file size limit, and read back filtered, as a table, JSON
# lines or a summary, plain or .gz, malformed lines skipped.
cd "$(dirname "$0")/../.."
. tests/lib.sh
CONFIG=policy/scs-image-hook.yaml
IMAGES=examples/images.jsonl
L=$TMP/decisions.log
chk() { "$BIN" check --config "$CONFIG" --log "$1" "$IMAGES" >/dev/null 2>"$TMP/chk.err"; }

# ---- the chain --------------------------------------------------------------
chk "$L"; chk "$L"
n=$(wc -l <"$L")
expect "two check runs append to one chain" 0 "$BIN" log --verify "$L"
check "  ... every record of both, seq 1 to $n" has "verified: $n chained records in 1 file, seq 1 to $n"
check "the first record has prev null, the next the hash of the line before" python3 - "$L" <<'PY'
import hashlib, json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
recs = [json.loads(l) for l in lines]
assert recs[0]["prev"] is None and recs[0]["seq"] == 1
for i in range(1, len(lines)):
    assert recs[i]["seq"] == i + 1
    assert recs[i]["prev"] == hashlib.sha256(lines[i - 1]).hexdigest()
PY

# concurrent writers (processes) never fork the chain
C=$TMP/concurrent.log
for i in 1 2 3 4 5 6; do chk "$C" & done; wait
expect "six check processes at once: one chain" 0 "$BIN" log --verify "$C"
check "  ... and every record of them" has "verified: $(( $(wc -l <"$IMAGES") * 6 )) chained records"

sed '3d' "$L" >"$TMP/deleted.log"
expect "a deleted record: exit 1" 1 "$BIN" log --verify "$TMP/deleted.log"
check "  ... named with file and line" has "$TMP/deleted.log:3: seq 4 follows seq 2: 1 record deleted before it"
sed '2s/"source":"check"/"source":"chekk"/' "$L" >"$TMP/changed.log"
expect "a changed record: exit 1" 1 "$BIN" log --verify "$TMP/changed.log"
check "  ... found at the record after it" has "$TMP/changed.log:3: seq 3 does not name the line before it: that line was changed"
awk 'NR==2{l=$0;next} NR==3{print;print l;next}{print}' "$L" >"$TMP/moved.log"
expect "two records swapped: exit 1" 1 "$BIN" log --verify "$TMP/moved.log"
check "  ... named" has "records reordered or repeated"
{ head -2 "$L"; echo '{"time": "broken'; tail -n +3 "$L"; } >"$TMP/inserted.log"
expect "a line inserted that is no record: exit 1" 1 "$BIN" log --verify "$TMP/inserted.log"
check "  ... named as no record" has "$TMP/inserted.log:3: not a record"

# rotation: F.1 (delaycompress), then older files compressed
R=$TMP/rot.log
chk "$R"; mv "$R" "$R.1"; chk "$R"; gzip -c "$R.1" >"$R.2.gz"; mv "$R" "$R.1"; chk "$R"
expect "after two rotations the chain goes on through F.2.gz, F.1 and F" 0 "$BIN" log --verify "$R" "$R.1" "$R.2.gz"
check "  ... read oldest first whatever the order given" has "in 3 files, seq 1 to $(( $(wc -l <"$IMAGES") * 3 ))"
check "  ... the new file's first record names F.1's last line" python3 - "$R.1" "$R" <<'PY'
import hashlib, json, sys
last = open(sys.argv[1], "rb").read().split(b"\n")[-2]
first = json.loads(open(sys.argv[2], "rb").readline())
assert first["prev"] == hashlib.sha256(last).hexdigest(), first["prev"]
PY
expect "a rotated file missing in between: exit 1" 1 "$BIN" log --verify "$R" "$R.2.gz"
check "  ... names the records missing" has "records deleted before it"

# anchors: the chain's head in the journal finds a log rewritten or cut
A=$TMP/anchored.log
for i in 1 2 3 4; do printf 'Dec 07 10:00:0%s host scs-image-hook[1]: scs-image-hook: decision log anchor: log=/var/log/scs-image-hook/anchored.log seq=%s sha256=%s\n' \
	"$i" "$(( i * 2 ))" "$(sed -n "$(( i * 2 ))p" "$L" | tr -d '\n' | sha256sum | cut -d' ' -f1)"; done >"$TMP/journal"
head -8 "$L" >"$A"
expect "the anchors of a log met" 0 "$BIN" log --verify --anchors "$TMP/journal" "$A"
check "  ... each" has "4 anchors met"
head -6 "$L" >"$A"
expect "a log cut at its end is found by an anchor past it" 1 "$BIN" log --verify --anchors "$TMP/journal" "$A"
check "  ... said" has "the log ends at seq 6, but the journal anchored seq 8"
python3 - "$L" "$A" <<'PY'
import hashlib, json, sys
# rewrite the whole log consistently, with one decision changed: the chain holds, the anchor does not
lines = open(sys.argv[1], "rb").read().split(b"\n")[:8]
out, prev = [], None
for i, l in enumerate(lines):
    r = json.loads(l)
    if i == 3: r["source"] = "proxy"
    r["prev"] = prev
    t = json.dumps(r, separators=(",", ":")).encode()
    out.append(t); prev = hashlib.sha256(t).hexdigest()
open(sys.argv[2], "wb").write(b"\n".join(out) + b"\n")
PY
expect "a log rewritten whole keeps its chain" 0 "$BIN" log --verify "$A"
expect "  ... but not its anchors: exit 1" 1 "$BIN" log --verify --anchors "$TMP/journal" "$A"
check "  ... named" has "is not the record the journal anchored"

# ---- no silent loss, never a partial line -------------------------------------
expect "a full disk (/dev/full): check fails" 2 "$BIN" check --config "$CONFIG" --log /dev/full "$IMAGES"
check "  ... saying so" has "decision log /dev/full: write: No space left on device" "$TMP/err"
F=$TMP/limit.log
# a limit the first record fits under and the second does not
"$BIN" check --config "$CONFIG" --log "$TMP/whole.log" "$IMAGES" >/dev/null 2>&1
blocks=$(( $(head -1 "$TMP/whole.log" | wc -c) / 1024 + 1 ))
( ulimit -f "$blocks"; "$BIN" check --config "$CONFIG" --log "$F" "$IMAGES" >/dev/null 2>"$TMP/limit.err" ); rc=$?
check "past a file size limit (ulimit -f): check fails, not killed" test "$rc" -eq 2
check "  ... saying the short write was removed" has "short write, the part written was removed" "$TMP/limit.err"
check "  ... the file ends in a whole line" test "$(tail -c1 "$F" | od -An -c | tr -d ' ')" = '\n'
expect "  ... and what it holds verifies" 0 "$BIN" log --verify "$F"
printf '{"time":"2026-01-01T00:00:00.000000Z","decision":"al' >>"$F"
chk "$F"
check "a writer that died mid-line: the next record starts on a line of its own" \
	python3 -c 'import json,sys; json.loads(open(sys.argv[1]).read().split("\n")[-2])' "$F"
expect "  ... and --verify names the broken line" 1 "$BIN" log --verify "$F"
check "  ... by its number" has "$F:2: not a record"

# ---- reading -------------------------------------------------------------------
G=$TMP/read.log
cp "$L" "$G"; echo 'garbage' >>"$G"; gzip -c "$L" >"$TMP/read.log.1.gz"
expect "log reads a table" 0 "$BIN" log "$G"
check "  ... one row per record" test "$(wc -l <"$TMP/out")" -eq "$n"
check "  ... a malformed line reported with file and line, skipped" has "$G:$((n + 1)): not JSON" "$TMP/err"
expect "--format json prints the records as written" 0 "$BIN" log --format json "$L"
check "  ... byte for byte" cmp "$TMP/out" "$L"
expect ".gz and plain together" 0 "$BIN" log --format json "$G" "$TMP/read.log.1.gz"
check "  ... both" test "$(wc -l <"$TMP/out")" -eq $((2 * n))
expect "--decision deny --rule 'scs-0104/*'" 0 "$BIN" log --format json --decision deny --rule 'scs-0104/*' "$L"
check "  ... only denials under that rule" python3 -c '
import json,sys
rs=[json.loads(l) for l in open(sys.argv[1])]
assert rs and all(r["decision"]=="deny" and any(v["rule"].startswith("scs-0104/") for v in r["violations"]) for r in rs)' "$TMP/out"
expect "--image by name glob, --project, --mode, --source" 0 "$BIN" log --format json --image 'Debian*' --project admin-project --mode enforce --source check "$L"
check "  ... matching all" python3 -c '
import json,sys
rs=[json.loads(l) for l in open(sys.argv[1])]
assert rs and all(r["image"]["name"].startswith("Debian") and r["project_id"]=="admin-project" for r in rs)' "$TMP/out"
expect "--since in the future: nothing" 0 "$BIN" log --since 2999-01-01 "$L"
check "  ... empty" test ! -s "$TMP/out"
expect "--until a day long past: nothing" 0 "$BIN" log --until 2000-01-01 "$L"
check "  ... empty" test ! -s "$TMP/out"
expect "--summary" 0 "$BIN" log --summary "$L"
check "  ... counts records and what enforce would have refused" has "enforce would have refused:"
check "  ... by rule" has "scs-0104/source"
expect "--summary --format json" 0 "$BIN" log --summary --format json "$L"
check "  ... one object, the counts adding up" python3 -c '
import json,sys
s=json.load(open(sys.argv[1])); d=s["decisions"]
assert s["records"]==d["allow"]+d["warn"]+d["deny"]==int(sys.argv[2]) and s["days"] and s["rules"]' "$TMP/out" "$n"
expect "a bad --since: usage" 2 "$BIN" log --since yesterday "$L"
expect "--verify with a filter: usage" 2 "$BIN" log --verify --decision deny "$L"
expect "a missing file: exit 2" 2 "$BIN" log "$TMP/none.log"
expect "standard input" 0 sh -c "\"$BIN\" log --format json <\"$L\""
check "  ... read" test "$(wc -l <"$TMP/out")" -eq "$n"

records_valid "every record written here matches the schema" "$L" "$C" "$R"
finish
