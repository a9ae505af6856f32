#!/usr/bin/env bash
# The documents against the code: the man pages render without warnings
# and name every option and config key the code accepts (docs-drift.py),
# real decision records match docs/decision-record.schema.json and the
# schema refuses what the code does not write, the README stays the short
# entry point and every link in the documents leads somewhere. Each drift
# check is also shown to fail once on a broken copy.
SUITE=cli-docs
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DRIFT=tests/cli/docs-drift.py
MAN1=man/scs-image-hook.1
MAN5=man/scs-image-hook.yaml.5
V5=policy/scs-0104-v1-images-v5.yaml

# ---- the man pages render --------------------------------------------------------------------
for page in "$MAN1" "$MAN5"; do
	expect "$page: groff -ww finds nothing" 0 groff -ww -man -z "$page"
	check "$page: no warnings from groff" test ! -s "$TMP/err"
	expect "$page: man -l renders it" 0 env MANWIDTH=80 man --warnings -l "$page"
	check "$page: no warnings from man" test ! -s "$TMP/err"
done
expect "scs-image-hook(1): every command has a section" 0 env MANWIDTH=80 man -l "$MAN1"
for cmd in check audit proxy policy help version; do
	check "scs-image-hook(1) renders the section '$cmd'" grep -qx "   $cmd" "$TMP/out"
done

# ---- options: getopt tables, help CMD and scs-image-hook(1) agree -------------------------------
expect "options: source, help and man page agree" 0 python3 "$DRIFT" options "$BIN" "$MAN1"
check "options: every command was compared" test "$(grep -c 'options agree' "$TMP/out")" -ge 4

sed '/^\.BI \\-\\-user " ID"$/,+1d' "$MAN1" >"$TMP/no-user.1"
expect "options drift: an option missing from the page is found" 1 python3 "$DRIFT" options "$BIN" "$TMP/no-user.1"
check "options drift: it names check --user" has "check --user: accepted, not in the man page" "$TMP/out"
sed 's/^\.B \\-\\-all\\-visibilities$/.B \\-\\-all\\-the\\-things/' "$MAN1" >"$TMP/extra.1"
expect "options drift: an option the command lacks is found" 1 python3 "$DRIFT" options "$BIN" "$TMP/extra.1"
check "options drift: it names audit --all-the-things" has "audit --all-the-things: in the man page, not accepted" "$TMP/out"
fresh_hook() { rm -rf "$TMP/hook" && cp -r hook "$TMP/hook"; }
fresh_hook
sed -i 's/{ "quiet", no_argument, NULL, .q. },/& { "shiny", no_argument, NULL, 1 },/' "$TMP/hook/cmd/cmd_check.c"
expect "options drift: a new getopt option without help or man is found" 1 \
	env HOOK_DIR="$TMP/hook" python3 "$DRIFT" options "$BIN" "$MAN1"
check "options drift: it names check --shiny for help and man" \
	test "$(grep -c 'check --shiny' "$TMP/out")" -eq 2

# ---- config keys: every loader table in scs-image-hook.yaml(5) ---------------------------------
expect "keys: every key the loaders accept is in the page" 0 python3 "$DRIFT" keys "$MAN5"
check "keys: the tables were found" grep -qE '^keys: [0-9]{3,} keys of [0-9]{2,} tables' "$TMP/out"

fresh_hook
sed -i 's/"connect", "upstream", "decision", "client", NULL/"connect", "upstream", "decision", "client", "linger", NULL/' \
	"$TMP/hook/io/config.c"
expect "keys drift: a new key in a loader table is found" 1 env HOOK_DIR="$TMP/hook" python3 "$DRIFT" keys "$MAN5"
check "keys drift: it names timeouts' linger with file and line" has "key 'linger' of timeouts is not a bold term" "$TMP/out"
fresh_hook
sed -i 's/POLICY_SERVICE_KEYS "listen", "admin_listen",/POLICY_SERVICE_KEYS "listen", "metrics_listen", "admin_listen",/' \
	"$TMP/hook/core/policy.h"
expect "keys drift: a key added through POLICY_SERVICE_KEYS is found" 1 \
	env HOOK_DIR="$TMP/hook" python3 "$DRIFT" keys "$MAN5"
check "keys drift: it names metrics_listen" has "key 'metrics_listen' of the config" "$TMP/out"
mkdir -p "$TMP/nohook"
expect "keys drift: a hook/ with no sources fails, not passes" 1 env HOOK_DIR="$TMP/nohook" python3 "$DRIFT" keys "$MAN5"
check "keys drift: it says nothing was found" has "no hook/**/*.c found" "$TMP/out"
expect "options drift: a hook/ with no commands fails" 1 env HOOK_DIR="$TMP/nohook" python3 "$DRIFT" options "$BIN" "$MAN1"
sed 's/^\.B failure_policy$/.B failure_mode/' "$MAN5" >"$TMP/renamed.5"
expect "keys drift: a config key renamed in the page is found both ways" 1 python3 "$DRIFT" keys "$TMP/renamed.5"
check "keys drift: failure_policy missing" has "key 'failure_policy' of the config is not a bold term" "$TMP/out"
check "keys drift: failure_mode documented but refused" has "config key 'failure_mode', which the loader refuses" "$TMP/out"

# ---- the decision record: real records against the schema --------------------------------------
expect "schema: a valid JSON Schema draft 7" 0 python3 -c '
import json, sys, jsonschema
jsonschema.Draft7Validator.check_schema(json.load(open(sys.argv[1])))' docs/decision-record.schema.json

cat >"$TMP/hook.yaml" <<EOF
policy: [$ROOT/$V5, $ROOT/policy/scs-0104-v2-images.yaml, $ROOT/policy/scs-0102-v1-image-metadata.yaml]
mode: enforce
visibility: {private: warn}
exemptions:
  - {project: 0c4e939acacf4376bdcd1129f1a054ad, rules: ["scs-0104/*"], expires: 2099-12-31, reason: "legacy, OPS-1"}
  - {project: 1d5f0a4bcbdf4487ceed2230b165e5be, reason: "no expiry"}
EOF
cat >"$TMP/images.jsonl" <<'EOF'
{"id":"11111111-0000-4000-8000-000000000001","name":"Ubuntu 24.04","visibility":"public","image_source":"https://mirror.example.org/noble.img","os_distro":"ubuntu","os_version":"24.04"}
{"id":"11111111-0000-4000-8000-000000000002","name":"Debian 12","visibility":"private","os_distro":"debian","os_version":"12"}
{"name":"x\u2028y\"\\\u0001","visibility":"community","os_hidden":true,"image_source":"https://cloud-images.ubuntu.com/releases/noble/../../evil"}
{"id":"11111111-0000-4000-8000-000000000004","name":"ubuntu-capi-image-v1.31.4","properties":{"image_source":"ftp://x","os_purpose":"k8snode"}}
EOF
R=$TMP/records.jsonl
expect "records: check --format json over a mixed input" 1 "$BIN" check --config "$TMP/hook.yaml" --format json \
	--log "$TMP/log.jsonl" "$TMP/images.jsonl"
cp "$TMP/out" "$R"
expect "records: exempted, with roles, user and request id" 1 "$BIN" check --config "$TMP/hook.yaml" --format json \
	--project 0c4e939acacf4376bdcd1129f1a054ad --user u1 --roles member,reader --request-id req-1 --now 2026-12-01 \
	"$TMP/images.jsonl"
cat "$TMP/out" >>"$R"
expect "records: an exemption without expiry, of every rule" 0 "$BIN" check --config "$TMP/hook.yaml" --format json \
	--project 1d5f0a4bcbdf4487ceed2230b165e5be "$TMP/images.jsonl"
cat "$TMP/out" >>"$R"
expect "records: a web-download import, as the import plugin asks" 1 "$BIN" check --config "$TMP/hook.yaml" \
	--format json --source import --uri "https://mirror.example.org/x.img" "$TMP/images.jsonl"
cat "$TMP/out" >>"$R"
expect "records: a glance-direct import in dry-run" 0 "$BIN" check --config "$TMP/hook.yaml" --format json \
	--source import --import-method glance-direct --mode dry-run "$TMP/images.jsonl"
cat "$TMP/out" >>"$R"
check "records: the mix has exemptions, roles, imports and an allow" python3 - "$R" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
seen = lambda f: any(f(r) for r in rs)
sys.exit(0 if all([seen(lambda r: r["exempted"]), seen(lambda r: r["exemption"] and r["exemption"]["expires"] is None),
                   seen(lambda r: "roles" in r), seen(lambda r: r.get("import", {}).get("uri")),
                   seen(lambda r: r.get("import", {}).get("method") == "glance-direct"),
                   seen(lambda r: r["decision"] == "allow"), seen(lambda r: r["decision"] == "warn"),
                   seen(lambda r: any(v.get("exempted") for v in r["violations"])),
                   seen(lambda r: r["image"]["id"] is None)]) else 1)
PY
records_valid "records: every record matches the schema" "$R" "$TMP/log.jsonl"

# The schema must be able to fail: a schema that lost a field refuses
# the real records, and hand-broken records are refused.
python3 - docs/decision-record.schema.json "$TMP/broken.schema.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
del s["properties"]["roles"]
json.dump(s, open(sys.argv[2], "w"))
PY
(RECORD_SCHEMA=$TMP/broken.schema.json records_valid "real records against a schema without roles" "$R") >"$TMP/neg"
check "schema drift: a schema without 'roles' refuses the real records" grep -q "^FAIL.*roles" "$TMP/neg"
check "schema drift: and says which record and why" grep -q "records.jsonl:[0-9]*: .*'roles' was unexpected" "$TMP/neg"

head -1 "$R" >"$TMP/one.json"
mutate() {
	local name=$1 expr=$2
	python3 - "$TMP/one.json" "$expr" >"$TMP/mut-$name.jsonl" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
exec(sys.argv[2])
print(json.dumps(r))
PY
	(records_valid "mutant $name" "$TMP/mut-$name.jsonl") >"$TMP/neg"
	check "schema refuses a record with $name" grep -q "^FAIL" "$TMP/neg"
}
mutate "no decision_id" 'del r["decision_id"]'
mutate "an unknown field" 'r["verdict"] = "deny"'
mutate "an unknown image field" 'r["image"]["owner"] = "x"'
mutate "decision 'refuse'" 'r["decision"] = "refuse"'
mutate "a string latency" 'r["latency_us"] = "12"'
mutate "a short policy hash" 'r["policy"]["sha256"] = "abc"'
mutate "a violation without rule" 'r["violations"].append({"spec": None, "message": "m", "expected": []})'
mutate "exempted false on a violation" 'r["violations"].append({"rule": "a/b", "spec": None, "message": "m", "expected": [], "exempted": False})'
mutate "a negative quota figure" 'r["violations"].append({"rule": "quota/image-count", "spec": None, "message": "m", "expected": [], "limit": 1, "usage": -1})'
mutate "an origin without reason, not verified" \
	'r["origin"] = {"list": "https://v/SHA256SUMS", "algorithm": "sha256", "expected": "ab", "actual": "cd", "signer": "unsigned", "verified": False}'
mutate "an origin with reason, verified" \
	'r["origin"] = {"list": "https://v/SHA256SUMS", "algorithm": "sha256", "expected": "ab", "actual": "ab", "signer": "unsigned", "verified": True, "reason": "x"}'
mutate "an origin signed by a short fingerprint" \
	'r["origin"] = {"list": "https://v/SHA256SUMS", "algorithm": "sha256", "expected": None, "actual": None, "signer": "7DB87C81", "verified": False, "reason": "x"}'
mutate "an origin with md5" \
	'r["origin"] = {"list": "https://v/MD5SUMS", "algorithm": "md5", "expected": None, "actual": None, "signer": None, "verified": False, "reason": "x"}'
python3 - "$TMP/one.json" >"$TMP/origins.jsonl" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
u = "https://cloud-images.ubuntu.com/releases/noble/release-20261101/SHA256SUMS"
for o in [{"list": u, "algorithm": "sha256", "expected": "ab" * 32, "actual": "ab" * 32,
           "signer": "D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81", "verified": True},
          {"list": u, "algorithm": "sha512", "expected": "ab" * 64, "actual": "cd" * 64, "signer": "unsigned",
           "verified": False, "reason": "the bytes' digest differs from the vendor's entry"},
          {"list": u, "algorithm": "sha256", "expected": None, "actual": None, "signer": None, "verified": False,
           "reason": "the list could not be fetched"}]:
    o.update(stable=o["signer"] != "unsigned", signed_only=False)
    r["origin"] = o
    print(json.dumps(r))
PY
records_valid "schema accepts the origin object (verified, mismatch, unavailable)" "$TMP/origins.jsonl"

# ---- README and the links between the documents -----------------------------------------------
check "README.md is the short entry point (<= 150 lines, $(wc -l <README.md))" test "$(wc -l <README.md)" -le 150
# the README's examples of the built binary run as written from a clone
# (exit 0, or 1 where an example image is denied)
n=0
while IFS= read -r line; do
	n=$((n + 1))
	( cd "$TMP" && ln -sfn "$(dirname "$BIN")" build && ln -sfn "$OLDPWD/policy" policy &&
	  ln -sfn "$OLDPWD/examples" examples &&
	  bash -c "$(printf '%s' "${line%%#*}" | sed "s#/tmp/decisions.log#$TMP/decisions.log#g")" >/dev/null 2>"$TMP/readme.err" ); rc=$?
	check "README example runs: ${line%%  *}" test "$rc" -le 1 -a ! -s "$TMP/readme.err"
done < <(sed -n '/^```sh$/,/^```$/p' README.md | grep '^build/scs-image-hook ')
check "README: its examples were found ($n)" test "$n" -ge 6
for page in docs/*.md deploy/glance/README.md; do
	check "README.md links to $page" grep -qF "($page)" README.md
done
check "every relative link in the documents leads to a file" python3 - README.md docs/*.md deploy/glance/README.md <<'PY'
import os, re, sys
bad = []
for path in sys.argv[1:]:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", open(path).read()):
        if "://" not in target and not os.path.exists(os.path.join(os.path.dirname(path), target)):
            bad.append("%s: %s" % (path, target))
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
check "docs/architecture.md names every source file of hook/" python3 - <<'PY'
import glob, os, sys
doc = open("docs/architecture.md").read()
srcs = glob.glob("hook/**/*.c", recursive=True)
missing = [os.path.basename(f) for f in srcs if "`%s`" % os.path.basename(f) not in doc]
print(" ".join(missing) if srcs else "no sources found under hook/", file=sys.stderr)
sys.exit(1 if missing or len(srcs) < 40 else 0)
PY

# ---- make install puts the man pages where man finds them ---------------------------------------
if [ -d "$(dirname "$BIN")" ] && [ -f Makefile ]; then
	expect "make install-man DESTDIR=..." 0 make -s install-man DESTDIR="$TMP/inst" PREFIX=/usr
	check "installed: man1/scs-image-hook.1" cmp -s "$MAN1" "$TMP/inst/usr/share/man/man1/scs-image-hook.1"
	check "installed: man5/scs-image-hook.yaml.5" cmp -s "$MAN5" "$TMP/inst/usr/share/man/man5/scs-image-hook.yaml.5"
	expect "installed page renders" 0 env MANWIDTH=80 man -l "$TMP/inst/usr/share/man/man5/scs-image-hook.yaml.5"
	check "installed page is the config's page" grep -q "scs-image-hook.yaml *- *the operator config" "$TMP/out"
fi

finish
