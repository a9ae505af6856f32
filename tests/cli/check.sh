#!/usr/bin/env bash
# scs-image-hook check and policy, as operators and pipelines call them.
SUITE=cli-check
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
V5=$SPECS/scs-0104-v1-images-v5.yaml
V4=$SPECS/scs-0104-v1-images.yaml
V2=policy/scs-0104-v2-images.yaml
EX=examples/images.jsonl

# -- the bundled examples, each with its expected decision -----------------
expect "examples: some denied -> exit 1" 1 "$BIN" check --policy "$V5" --format json "$EX"
check "examples: one record per image" test "$(wc -l <"$TMP/out")" -eq "$(wc -l <"$EX")"
decisions=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["image"]["id"][-1], r["decision"], ",".join(v["rule"] for v in r["violations"]))
' "$TMP/out")
check "examples: decisions are right" test "$decisions" = "1 allow 
2 deny scs-0104/source
3 deny scs-0104/source
4 allow 
5 warn scs-0104/source
6 allow "
check "record has every field of the design" python3 -c '
import json, sys
want = ["time","decision_id","request_id","source","method","path","project_id","user_id","image","mode",
        "decision","exempted","violations","policy","latency_us"]
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert all(k in r for k in want), [k for k in want if k not in r]
    assert set(r["image"]) >= {"id","name","visibility","os_hidden","image_source","os_distro","os_version","os_purpose"}
    assert r["source"] == "check" and len(r["policy"]["sha256"]) == 64
    for v in r["violations"]:
        assert set(v) >= {"rule","spec","message","expected"}
' "$TMP/out"

expect "text output names rule, entry, value and prefixes" 1 "$BIN" check --policy "$V5" "$EX"
check "text: rule and entry" has "scs-0104/source ($V5:3, entry 'Ubuntu 24.04')"
check "text: actual value" has "image_source 'https://mirror.example.org/noble.img' does not start with any source allowed for 'Ubuntu 24.04'"
check "text: expected prefixes" has "allowed:  https://cloud-images.ubuntu.com/releases/noble/"
check "text: summary" has "6 images: 3 allowed, 1 warned, 2 denied"

# -- exit codes ----------------------------------------------------------------
good='{"name":"Ubuntu 24.04","visibility":"public","image_source":"https://cloud-images.ubuntu.com/noble/x"}'
bad='{"name":"Ubuntu 24.04","visibility":"public","image_source":"https://evil.example/x"}'
echo "$good" >"$TMP/good.json"
echo "$bad" >"$TMP/bad.json"
expect "compliant image -> 0" 0 "$BIN" check --policy "$V5" "$TMP/good.json"
expect "violating public image -> 1" 1 "$BIN" check --policy "$V5" "$TMP/bad.json"
expect "stdin with -" 1 sh -c "echo '$bad' | '$BIN' check --policy '$V5' -"
expect "warn mode admits -> 0" 0 "$BIN" check --policy "$V5" --mode warn "$TMP/bad.json"
expect "dry-run admits -> 0" 0 "$BIN" check --policy "$V5" --mode dry-run --format json "$TMP/bad.json"
check "dry-run still records the violation" has '"decision":"allow","exempted":false,"exemption":null,"violations":[{"rule":"scs-0104/source"'
expect "v4 spec: Ubuntu 24.04 is not in it" 0 "$BIN" check --policy "$V4" "$TMP/bad.json"
expect "both spec files at once" 1 "$BIN" check --policy "$V4" --policy "$V5" "$TMP/bad.json"

# every image of a duplicated name is checked, not only the last
printf '%s\n%s\n%s\n' "$bad" "$good" "$good" >"$TMP/dups.jsonl"
expect "duplicated names: each image checked" 1 "$BIN" check --policy "$V5" --format json "$TMP/dups.jsonl"
check "duplicated names: first one denied" test "$(grep -c '"decision":"deny"' "$TMP/out")" -eq 1

# the openstack CLI shape and a JSON array
cat >"$TMP/osc.json" <<'J'
[{"id":"a","name":"Debian 12","visibility":"public","properties":{"image_source":"https://cloud.debian.org/images/cloud/bookworm/x","os_hidden":false}},
 {"id":"b","name":"Debian 12","visibility":"community","properties":{"os_hidden":true}}]
J
expect "openstack image show shape in an array" 1 "$BIN" check --policy "$V5" --format json "$TMP/osc.json"
check "osc shape: nested image_source seen" test "$(grep -c '"decision":"allow"' "$TMP/out")" -eq 1

# -- input errors: exit 2 and a message naming file and line ----------------------
printf '%s\n{"name": 42}\n' "$good" >"$TMP/nonstring.jsonl"
expect "non-string name -> 2" 2 "$BIN" check --policy "$V5" "$TMP/nonstring.jsonl"
check "non-string name: file and line" has "$TMP/nonstring.jsonl:2: image 2: field 'name' must be a string" "$TMP/err"
printf '%s\n{"name": "x",\n' "$good" >"$TMP/trunc.jsonl"
expect "truncated JSON -> 2" 2 "$BIN" check --policy "$V5" "$TMP/trunc.jsonl"
check "truncated JSON: message" has "unexpected end of input inside an image" "$TMP/err"
printf '{"name":"ok","name":"Ubuntu 24.04","visibility":"public"}\n' >"$TMP/dupkey.json"
expect "duplicate keys -> 2" 2 "$BIN" check --policy "$V5" "$TMP/dupkey.json"
check "duplicate keys: named" has "duplicate key 'name'" "$TMP/err"
printf '{"name":"\xff"}\n' >"$TMP/utf8.json"
expect "invalid UTF-8 -> 2" 2 "$BIN" check --policy "$V5" "$TMP/utf8.json"
expect "empty input -> 2" 2 "$BIN" check --policy "$V5" /dev/null
check "empty input: says so" has "no images in the input" "$TMP/err"
expect "missing input file -> 2" 2 "$BIN" check --policy "$V5" "$TMP/nope.json"
expect "no policy -> 2" 2 env SCS_IMAGE_HOOK_CONFIG=/nonexistent "$BIN" check "$TMP/good.json"
expect "unknown option -> 2" 2 "$BIN" check --policy "$V5" --frobnicate "$TMP/good.json"
expect "bad --now -> 2" 2 "$BIN" check --policy "$V5" --now 2026-13-01 "$TMP/good.json"
printf 'images:\n- name: x\n  name_scheme: "a(b"\n  source: https://x/\n' >"$TMP/badre.yaml"
expect "bad regex in policy -> 2" 2 "$BIN" check --policy "$TMP/badre.yaml" "$TMP/good.json"
check "bad regex: file:line:col, pattern, offset" has "$TMP/badre.yaml:3:16: name_scheme 'a(b' is not a valid regex: missing closing parenthesis at offset 3" "$TMP/err"
printf 'images:\n- name: x\n  source: https://x/\n  staus: mandatory\n' >"$TMP/typo.yaml"
expect "typo in policy -> 2" 2 "$BIN" check --policy "$TMP/typo.yaml" "$TMP/good.json"
check "typo: named with position" has "$TMP/typo.yaml:4:3: unknown key 'staus'" "$TMP/err"
printf 'images:\n- name: x\n  source: [https://x/\n' >"$TMP/broken.yaml"
expect "malformed YAML -> 2" 2 "$BIN" check --policy "$TMP/broken.yaml" "$TMP/good.json"
check "malformed YAML: syntax error with position" grep -qE "broken.yaml:[0-9]+:[0-9]+: YAML syntax error" "$TMP/err"

# -- config: exemptions and scope --------------------------------------------------
cat >"$TMP/hook.yaml" <<Y
policy: [$V5]
visibility: {private: enforce}
exemptions:
  - {project: 0123456789abcdef0123456789abcdef, rules: [scs-0104/source], expires: 2026-12-31, reason: "OPS-1 migration"}
Y
echo '{"name":"Ubuntu 24.04","visibility":"private","owner":"p","image_source":"https://x/"}' >"$TMP/priv.json"
expect "scope: private enforced by config" 1 "$BIN" check --config "$TMP/hook.yaml" "$TMP/priv.json"
expect "exemption applies before it expires" 0 "$BIN" check --config "$TMP/hook.yaml" --project 0123456789abcdef0123456789abcdef --now 2026-12-31 --format json "$TMP/priv.json"
check "exemption is logged with its reason" has '"exempted":true,"exemption":{"project":"0123456789abcdef0123456789abcdef","reason":"OPS-1 migration","expires":"2026-12-31"}'
expect "exemption ends after expiry" 1 "$BIN" check --config "$TMP/hook.yaml" --project 0123456789abcdef0123456789abcdef --now 2027-01-01 "$TMP/priv.json"
# by name, without keystone credentials to resolve it: an error naming the entry, never inert
sed -i 's/project: 0123456789abcdef0123456789abcdef/project: legacy/' "$TMP/hook.yaml"
expect "exemption by name without keystone: check refuses the config" 2 "$BIN" check --config "$TMP/hook.yaml" --project legacy "$TMP/priv.json"
check "exemption by name without keystone: the error names the entry" has "hook.yaml:4:15: project 'legacy' could not be looked up: it is a name" "$TMP/err"
expect "exemption by name without keystone: policy lint refuses it too" 2 "$BIN" policy lint "$TMP/hook.yaml"

# -- the decision log --------------------------------------------------------------
python3 - "$TMP/hostile.jsonl" <<'P'
import json, sys
names = ['Ubuntu 24.04"\n{"decision":"allow"}', "a\u2028b\u0001\u001b[31mred", "Debian 12\\", "x" * (1 << 20), "\U0001F427 émoji"]
with open(sys.argv[1], "w") as f:
    for n in names:
        f.write(json.dumps({"name": n, "visibility": "public", "image_source": n}) + "\n")
P
expect "hostile names: decided" 0 "$BIN" check --policy "$V5" --log "$TMP/decisions.log" -q "$TMP/hostile.jsonl"
expect "log appends" 1 "$BIN" check --policy "$V5" --log "$TMP/decisions.log" "$TMP/bad.json"
check "log: one valid JSON object per line, names intact" python3 - "$TMP/decisions.log" <<'P'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[-1] == "" and len(lines) == 7, len(lines)
recs = [json.loads(l) for l in lines[:-1]]
assert recs[0]["image"]["name"] == 'Ubuntu 24.04"\n{"decision":"allow"}'
assert len(recs[3]["image"]["name"]) == 1 << 20
assert recs[4]["image"]["name"] == "\U0001F427 émoji"
assert recs[5]["decision"] == "deny"
P
check "text output escapes control characters" sh -c "! grep -q \$'\\x1b' '$TMP/out'"

# -- policy lint and show ----------------------------------------------------------------
expect "lint: shipped and upstream files" 0 "$BIN" policy lint policy/scs-0104-v1-images.yaml policy/scs-0104-v1-images-v5.yaml "$V2" policy/scs-image-hook.yaml policy/scs-0104-testcases.yaml "$V4" "$V5"
expect "lint: broken file -> 2" 2 "$BIN" policy lint "$V5" "$TMP/typo.yaml"
check "lint: reports the good one too" has "$V5: ok (7 spec entries"
expect "show: v2 rules and presence" 0 "$BIN" policy show --config policy/scs-image-hook.yaml --now 2026-05-01
check "show: codenames" has "26.04  resolute   released 2026-04-23  LTS"
check "show: presence by date" has "ubuntu LTS: latest mandatory -> 26.04; previous recommended -> 24.04"
expect "help" 0 "$BIN" check --help
check "help teaches" has "Exit status: 0 every image allowed"
expect "top-level help" 0 "$BIN" --help
expect "unknown command -> 2" 2 "$BIN" frobnicate

# -- what the Glance import plugin passes: roles, import method, web-download URI --
NOBLE='{"id":"i1","name":"Ubuntu 24.04","visibility":"public","owner":"p1","image_source":"https://cloud-images.ubuntu.com/releases/noble/x.img"}'
echo "$NOBLE" >"$TMP/noble.json"
expect "import: URI under an allowed source -> 0" 0 "$BIN" check --policy "$V5" --format json --source import \
	--roles member,reader --request-id req-1 --import-method web-download --uri https://cloud-images.ubuntu.com/noble/y.img "$TMP/noble.json"
check "import: record has roles and the import" python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["source"] == "import" and r["roles"] == ["member", "reader"] and r["request_id"] == "req-1", r
assert r["import"] == {"method": "web-download", "uri": "https://cloud-images.ubuntu.com/noble/y.img"}, r' "$TMP/out"
expect "import: URI elsewhere -> 1" 1 "$BIN" check --policy "$V5" --uri https://evil.example/x.img "$TMP/noble.json"
check "import: rule import/download-uri with the allowed prefixes" has "import/download-uri"
check "import: says where it may come from" has "allowed:  https://cloud-images.ubuntu.com/releases/noble/"
expect "import: --uri with glance-direct -> 2" 2 "$BIN" check --policy "$V5" --import-method glance-direct --uri https://x/ "$TMP/noble.json"
check "import: says why" has "--uri is only for --import-method web-download" "$TMP/err"
expect "import: web-download without --uri -> 2" 2 "$BIN" check --policy "$V5" --import-method web-download "$TMP/noble.json"
expect "import: unknown method -> 2" 2 "$BIN" check --policy "$V5" --import-method ftp "$TMP/noble.json"
printf 'policy: [%s]\nimport: {download_uri: equal}\n' "$V5" >"$TMP/equal.yaml"
expect "import equal: another allowed URI -> 1" 1 "$BIN" check --config "$TMP/equal.yaml" --uri https://cloud-images.ubuntu.com/noble/y.img "$TMP/noble.json"
check "import equal: the message says what was expected" has "expected 'https://cloud-images.ubuntu.com/releases/noble/x.img'"
expect "import equal: the image_source itself -> 0" 0 "$BIN" check --config "$TMP/equal.yaml" --uri https://cloud-images.ubuntu.com/releases/noble/x.img "$TMP/noble.json"
printf 'policy: [%s]\nimport: {download_uri: off}\n' "$V5" >"$TMP/off.yaml"
expect "import off: any URI -> 0" 0 "$BIN" check --config "$TMP/off.yaml" --uri https://evil.example/x.img "$TMP/noble.json"

# -- SCS-0102 image metadata (policy/scs-0102-v1-image-metadata.yaml) ----------
M=policy/scs-0102-v1-image-metadata.yaml
META='"architecture":"x86_64","os_hash_algo":"sha512","min_disk":5,"min_ram":512,"size":1048576,"os_distro":"ubuntu","os_version":"24.04","os_purpose":"generic","hw_disk_bus":"scsi","image_build_date":"2024-05-01","created_at":"2024-05-02T10:00:00Z","image_original_user":"ubuntu","image_source":"https://cloud-images.ubuntu.com/noble/x.img","image_description":"https://ubuntu.com/cloud","replace_frequency":"monthly","provided_until":"none","uuid_validity":"last-3"'
echo "{\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\",$META}" >"$TMP/meta-good.json"
echo "{\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\",${META/x86_64/amd64}}" >"$TMP/meta-arch.json"
echo "{\"name\":\"Ubuntu 24.04\",\"visibility\":\"private\",${META/x86_64/amd64}}" >"$TMP/meta-private.json"
echo "{\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\",$META,\"hw_rng_model\":\"none\"}" >"$TMP/meta-rec.json"
expect "0102: policy lint counts the metadata rules" 0 "$BIN" policy lint "$M"
check "0102: 21 metadata rules" has "21 metadata rules"
expect "0102: policy show lists rules with their testcase" 0 "$BIN" policy show --policy "$M"
check "0102: show names rule, property and testcase" has "testcase scs-0102-prop-hw_disk_bus"
expect "0102: compliant public image -> 0" 0 "$BIN" check --policy "$M" "$TMP/meta-good.json"
expect "0102: public image with a wrong architecture -> 1" 1 "$BIN" check --policy "$M" "$TMP/meta-arch.json"
check "0102: message names property, value and what is allowed" has "property architecture 'amd64' is not accepted; scs-0102/architecture requires one of: x86_64, aarch64, risc-v"
check "0102: one violation only" test "$(grep -c '^    scs-0102/' "$TMP/out")" -eq 1
expect "0102: private image is warned -> 0" 0 "$BIN" check --policy "$M" --format json "$TMP/meta-private.json"
check "0102: private: decision warn, rule id" has '"decision":"warn"'
check "0102: private: rule scs-0102/architecture" has '"rule":"scs-0102/architecture"'
expect "0102: a recommended property wrong warns even when public -> 0" 0 "$BIN" check --policy "$M" "$TMP/meta-rec.json"
check "0102: recommended: says recommends" has "scs-0102/hw_rng_model recommends one of: virtio"
echo "{\"name\":\"Ubuntu 24.04\",\"visibility\":\"public\",${META/cloud-images.ubuntu.com/evil.example}}" >"$TMP/meta-evil.json"
expect "0102 with the 0104 spec: both apply" 1 "$BIN" check --policy "$V5" --policy "$M" "$TMP/meta-evil.json"
check "0102+0104: the 0104 source rule refuses" has "scs-0104/source"
check "0102+0104: 0102 accepts any http(s) URL" sh -c "! grep -q 'scs-0102/' '$TMP/out'"
printf 'policy: [%s]\nvisibility: {public: warn}\n' "$PWD/$M" >"$TMP/meta-warn.yaml"
expect "0102: config scope public: warn -> 0" 0 "$BIN" check --config "$TMP/meta-warn.yaml" "$TMP/meta-arch.json"
check "0102: warned" has "WARN"
echo "{\"name\":\"x\",\"visibility\":\"public\"}" >"$TMP/meta-bare.json"
expect "0102: nothing set -> 1" 1 "$BIN" check --policy "$M" "$TMP/meta-bare.json"
check "0102: unset property named" has "property image_source is not set; scs-0102/image_source requires one of: private; or a URL (http, https, ftp, ftps)"
check "0102: every violation shown (no '... more')" sh -c "! grep -q 'more violations' '$TMP/out'"

records_valid "every decision record matches docs/decision-record.schema.json" "$TMP/decisions.log"
finish
