#!/usr/bin/env bash
# scs-image-hook audit against a real Keystone + Glance (tests/stack),
# seeded with the real openstack CLI.
SUITE=integration-audit
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
V5=$SPECS/scs-0104-v1-images-v5.yaml
V4=$SPECS/scs-0104-v1-images.yaml
V2=$ROOT/policy/scs-0104-v2-images.yaml
SCHEMA=$ROOT/docs/audit-report.schema.json

. tests/stack-lib.sh
stack_up

U=https://cloud-images.ubuntu.com
D=https://cloud.debian.org/images/cloud
CAPI=https://nbg1.your-objectstorage.com/osism/openstack-k8s-capi-images
# One openstack call per image (its interactive batch mode cannot quote
# names with spaces); --file /dev/null keeps it from reading stdin.
mk() { local cloud=$1; shift; OS_CLOUD=$cloud openstack image create --file /dev/null -f value -c id "$@" 2>>"$TMP/seed.log"; }
mk stack-admin --public --property image_source=$U/releases/noble/x.img "Ubuntu 24.04" >/dev/null
deb_bad=$(mk stack-admin --public --property image_source=https://mirror.example.org/debian-12.qcow2 "Debian 12")
mk stack-admin --community --property image_source=$D/bookworm/latest/x.qcow2 "Debian 12" >/dev/null
mk stack-admin --community --property image_source=https://evil.example/capi.qcow2 ubuntu-capi-image-v1.31.4 >/dev/null
hidden=$(mk stack-admin --public --property image_source=https://evil.example/jammy.img "Ubuntu 22.04")
OS_CLOUD=stack-admin openstack image set --hidden "$hidden" 2>>"$TMP/seed.log"
mk stack-admin --public --property image_source=$U/resolute/current/x.img --property os_distro=ubuntu \
	--property os_version=26.04 --property os_purpose=generic noble-successor >/dev/null
mk stack-admin --public --property image_source=$U/releases/questing/x.img --property os_distro=ubuntu \
	--property os_version=25.10 --property os_purpose=generic ubuntu-interim >/dev/null
alice_img=$(mk stack-a --private --property image_source=https://evil.example/x "Ubuntu 24.04")
check "seeded 8 images with the openstack CLI" test "$(OS_CLOUD=stack-admin openstack image list --long -f value -c ID 2>/dev/null | wc -l)" -ge 4

audit() { "$BIN" audit --os-cloud stack-admin --now 2026-11-21 "$@"; }

# -- v5.1 spec ---------------------------------------------------------------------
expect "v5.1: violations -> exit 1" 1 audit --policy "$V5"
check "v5.1: counts public, community and hidden" has "7 images listed: 5 public, 2 community; 1 of them hidden"
check "v5.1: the bad Debian 12 is reported" has "image_source 'https://mirror.example.org/debian-12.qcow2' does not start with any source allowed for 'Debian 12'"
check "v5.1: the community CAPI image is reported" has "image_source 'https://evil.example/capi.qcow2'"
check "v5.1: the hidden image is reported as hidden" grep -q "Ubuntu 22.04  \[public, hidden: not counted by the SCS testcases\]" "$TMP/out"
check "v5.1: the private image is not audited" sh -c "! grep -q 'evil.example/x' '$TMP/out'"
check "v5.1: nothing mandatory missing" has "0 mandatory and 0 recommended images missing: NOT COMPLIANT"

expect "scs format" 1 audit --policy "$V5" --format scs
check "scs: source of Ubuntu 24.04 passes" has "scs-0104-source-ubuntu-2404: PASS"
check "scs: source of Debian 12 fails (every image of a name counts)" has "scs-0104-source-debian-12: FAIL"
check "scs: CAPI source fails (community listed)" has "scs-0104-source-ubuntu-capi-image: FAIL"
check "scs: Ubuntu 24.04 present" has "scs-0104-image-ubuntu-2404: PASS"
check "scs: Debian 12 present (community counts)" has "scs-0104-image-debian-12: PASS"
check "scs: a hidden image's wrong source does not fail its line (not present in the standard's sense)" has "scs-0104-source-ubuntu-2204: PASS"
check "scs: the ERROR line names the image's id" has "ERROR: an image of 'Debian 12' has an image_source outside its allowed sources: image $deb_bad" "$TMP/err"
check "scs: one line per testcase" test "$(grep -cE '^scs-0104-[a-z0-9-]+: (PASS|FAIL)$' "$TMP/out")" -eq "$(wc -l <"$TMP/out")"

expect "json format" 1 audit --policy "$V5" --format json
check "json: report with counts" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["images"]["listed"] == 7 and r["images"]["public"] == 5 and r["images"]["community"] == 2, r["images"]
assert r["images"]["hidden"] == 1
assert r["summary"]["images_with_violations"] == 3, r["summary"]
assert r["summary"]["compliant"] is False
names = sorted(v["name"] for v in r["violations"])
assert names == ["Debian 12", "Ubuntu 22.04", "ubuntu-capi-image-v1.31.4"], names
present = {v["name"]: (v["os_hidden"], v["scs_present"]) for v in r["violations"]}
assert present["Ubuntu 22.04"] == (True, False) and present["Debian 12"] == (False, True), present
' "$TMP/out"
json_valid "json: the report matches docs/audit-report.schema.json" "$SCHEMA" "$TMP/out"
check "json: a violation names its owner (project id and name), mode, scope, action and what would be right" \
	python3 - "$TMP/out" "$ADMIN_PROJECT_ID" "$deb_bad" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
b = {i["id"]: i for i in r["violations"]}[sys.argv[3]]
assert b["owner"] == {"id": sys.argv[2], "name": "admin"}, b["owner"]
assert (b["mode"], b["scope"], b["action"]) == ("enforce", {"visibility": "public", "mode": "enforce"}, "deny"), b
v = b["violations"][0]
assert v["rule"] == "scs-0104/source" and v["expected"], v
# what would be right: the allowed sources, in the words of the proxy's refusal
assert v["hint"].startswith("allowed source") and "'%s'" % v["expected"][0] in v["hint"], v
PY
lookups() { grep -c "GET /v3/projects/$ADMIN_PROJECT_ID " "$STACK/log/keystone.log"; }
before=$(lookups)
expect "text: the same" 1 audit --policy "$V5"
check "  ... the owner of its 3 violating images asked of Keystone once, not per image" test "$(($(lookups) - before))" -eq 1
check "text: owner, mode and scope of the bad Debian 12, and the allowed sources" sh -c "
	grep -q 'id=$deb_bad; owner admin ($ADMIN_PROJECT_ID); mode enforce, public scope enforce: the proxy would deny' '$TMP/out' &&
	grep -A2 'id=$deb_bad' '$TMP/out' | grep -q 'allowed source'"

# an owner's name Keystone does not give this token is said, never fatal
expect "a member's token: owners it may not read" 1 "$BIN" audit --os-cloud stack-a --now 2026-11-21 --policy "$V5" --format json
json_valid "  ... the report still matches the schema" "$SCHEMA" "$TMP/out"
check "  ... owner name null, with Keystone's reason" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
o = {i["id"]: i for i in r["violations"]}[sys.argv[2]]["owner"]
assert o["id"] == sys.argv[3] and o["name"] is None and "Keystone" in o["reason"], o' "$TMP/out" "$deb_bad" "$ADMIN_PROJECT_ID"

# --output and --textfile: written whole, and a failed run leaves the last report
expect "--output FILE --textfile FILE" 1 audit --policy "$V5" --format json --output "$TMP/report.json" --textfile "$TMP/audit.prom"
check "  ... stdout empty, the report in FILE" sh -c "test ! -s '$TMP/out' && test ! -e '$TMP/report.json.tmp'"
json_valid "  ... FILE matches the schema" "$SCHEMA" "$TMP/report.json"
check "  ... the figures: images, violations by rule, missing, exit status, time" sh -c "
	grep -qx 'scs_image_hook_audit_images{visibility=\"public\"} 5' '$TMP/audit.prom' &&
	grep -qx 'scs_image_hook_audit_violations{rule=\"scs-0104/source\"} 3' '$TMP/audit.prom' &&
	grep -qx 'scs_image_hook_audit_missing_images{status=\"mandatory\"} 0' '$TMP/audit.prom' &&
	grep -qx 'scs_image_hook_audit_exit_status 1' '$TMP/audit.prom' &&
	grep -qE '^scs_image_hook_audit_timestamp_seconds [0-9]{10}$' '$TMP/audit.prom'"
if command -v promtool >/dev/null; then
	check "  ... promtool check metrics accepts them" sh -c "promtool check metrics <'$TMP/audit.prom'"
fi
cp "$TMP/report.json" "$TMP/report.before"
expect "a run that cannot list the cloud, with --output: exit 2" 2 audit --os-cloud nosuch --policy "$V5" --format json \
	--output "$TMP/report.json" --textfile "$TMP/audit.prom"
check "  ... FILE is the last report, untouched, no FILE.tmp left" sh -c "cmp -s '$TMP/report.before' '$TMP/report.json' &&
	test ! -e '$TMP/report.json.tmp'"
check "  ... the figures say it failed, and nothing else" sh -c "grep -qx 'scs_image_hook_audit_exit_status 2' '$TMP/audit.prom' &&
	! grep -q 'audit_images' '$TMP/audit.prom'"
expect "--output into a directory that does not exist: exit 2 before listing" 2 audit --policy "$V5" --output "$TMP/nosuch/r.json"
check "  ... it says so" has "cannot write $TMP/nosuch/r.json.tmp" "$TMP/err"

# Only a hidden image (or a private one) has a wrong source: text and json
# report it, the SCS lines pass, and the exit status agrees with each.
printf 'images:\n- name: "Ubuntu 22.04"\n  source: %s/releases/jammy/\n- name: "Ubuntu 24.04"\n  source: %s/releases/noble/\n' "$U" "$U" >"$TMP/hidden.yaml"
expect "hidden only: text reports it -> exit 1" 1 audit --policy "$TMP/hidden.yaml"
check "hidden only: text names the hidden image" has "image_source 'https://evil.example/jammy.img'"
expect "hidden only: the source lines pass -> exit 0" 0 audit --policy "$TMP/hidden.yaml" --format scs \
	scs-0104-source-ubuntu-2204 scs-0104-source-ubuntu-2404
check "hidden only: scs-0104-source-ubuntu-2204 passes" has "scs-0104-source-ubuntu-2204: PASS"
expect "hidden only: the image line of 22.04 fails -> exit 1" 1 audit --policy "$TMP/hidden.yaml" --format scs
check "hidden only: not present" has "scs-0104-image-ubuntu-2204: FAIL"
expect "private too (--all-visibilities): source lines pass -> exit 0" 0 audit --policy "$TMP/hidden.yaml" --format scs \
	--all-visibilities scs-0104-source-ubuntu-2404
check "private too: scs-0104-source-ubuntu-2404 passes" has "scs-0104-source-ubuntu-2404: PASS"

# -- the official testcases, called as the SCS compliance runner calls openstack_test.py --
# The runner (Tests/scs-compliance-check.py) runs the scope file's
# `executable` with `args: -c {os_cloud} {testcases}` (testcases sorted),
# takes from stdout the lines "ID: VERDICT" (split at the last ':') of the
# ids it asked for, counts stdout and stderr lines that start with
# info/warning/error/critical (case-insensitive), and prints stderr when
# the exit status is not 0. runner_reads replays those rules.
runner_reads() {
	python3 - "$@" <<'P'
import json, os, shlex, subprocess, sys
exe, cloud, *testcases = sys.argv[1:]
args = shlex.split("-c {os_cloud} {testcases}".format(os_cloud=cloud, testcases=" ".join(sorted(testcases))))
p = subprocess.run([exe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="UTF-8")
verdicts = {"PASS": 1, "ABORT": 0, "FAIL": -1}
results, stray = {}, []
for line in p.stdout.splitlines():
    parts = line.rsplit(":", 1)
    v = verdicts.get(parts[1].strip().upper()) if len(parts) == 2 else None
    if v is None or parts[0].strip() not in testcases:
        stray.append(line)
        continue
    results[parts[0].strip()] = v
signals = {s: sum(1 for l in p.stderr.splitlines() + p.stdout.splitlines() if l.lower().startswith(s))
           for s in ("info", "warning", "error", "critical")}
json.dump({"rc": p.returncode, "results": results, "stray": stray, "signals": signals, "stderr": p.stderr},
          sys.stdout)
P
}
IDS="capi-1 capi-2 ubuntu-2404 ubuntu-2204 ubuntu-2004 debian-13 debian-12 debian-11 debian-10"
ALL=$(for id in $IDS; do echo "scs-0104-source-$id scs-0104-image-$id"; done)
export SCS_IMAGE_HOOK_BIN=$BIN
expect "runner: the official SCS-0104 testcases, called like openstack_test.py" 0 "$ROOT/deploy/scs/scs-0104-test" -c stack-admin $ALL
check "runner: 18 lines, each with its verdict" test "$(grep -cE '^scs-0104-(source|image)-[a-z0-9-]+: (PASS|FAIL)$' "$TMP/out")" -eq 18
runner_reads "$ROOT/deploy/scs/scs-0104-test" stack-admin $ALL >"$TMP/runner.json"
check "runner: verdicts on the seeded cloud" python3 - "$TMP/runner.json" <<'P'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["rc"] == 0 and not r["stray"], r
# like the official test, each FAIL says why in an ERROR: line the runner counts
assert r["signals"]["error"] == sum(1 for v in r["results"].values() if v < 0) and r["signals"]["critical"] == 0, r
assert "ERROR: Missing image 'Debian 11'" in r["stderr"], r["stderr"]
P, F = 1, -1
want = {
    # capi-2 and debian-12: stricter than the official test (community images
    # are seen; every image of a duplicated name counts); 22.04 only hidden
    "source-capi-1": P, "source-capi-2": F, "source-ubuntu-2404": P, "source-ubuntu-2204": P,
    "source-ubuntu-2004": P, "source-debian-13": P, "source-debian-12": F, "source-debian-11": P,
    "source-debian-10": P,
    "image-capi-1": F, "image-capi-2": P, "image-ubuntu-2404": P, "image-ubuntu-2204": F,
    "image-ubuntu-2004": F, "image-debian-13": F, "image-debian-12": P, "image-debian-11": F, "image-debian-10": F,
}
got = {k[len("scs-0104-"):]: v for k, v in r["results"].items()}
assert got == want, {k: (got.get(k), want[k]) for k in want if got.get(k) != want[k]}
P
runner_reads "$ROOT/deploy/scs/scs-0104-test" stack-admin scs-0104-source-ubuntu-2404 scs-0104-image-nosuch >"$TMP/runner.json"
check "runner: a testcase the spec does not define is ABORT, the others still judged" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["rc"] == 0 and r["results"] == {"scs-0104-source-ubuntu-2404": 1, "scs-0104-image-nosuch": 0}, r
assert r["signals"]["error"] == 0 and r["signals"]["critical"] == 0, r' "$TMP/runner.json"
runner_reads "$ROOT/deploy/scs/scs-0104-test" nosuch scs-0104-source-ubuntu-2404 scs-0104-image-debian-12 >"$TMP/runner.json"
check "runner: a cloud that cannot be read: every testcase ABORT, one CRITICAL line, exit 1" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["rc"] == 1 and r["results"] == {"scs-0104-source-ubuntu-2404": 0, "scs-0104-image-debian-12": 0}, r
assert r["signals"]["critical"] == 1 and "cloud '"'"'nosuch'"'"' not found" in r["stderr"], r' "$TMP/runner.json"
expect "runner: an argument that is no testcase id is ignored with a warning" 0 "$ROOT/deploy/scs/scs-0104-test" \
	--os-cloud=stack-admin foo scs-0104-image-ubuntu-2404
check "runner: ... the warning" has "WARNING: ignoring unknown testcase: foo" "$TMP/err"
check "runner: ... only the testcase asked for" test "$(cat "$TMP/out")" = "scs-0104-image-ubuntu-2404: PASS"
unset SCS_IMAGE_HOOK_BIN

expect "all visibilities: private images too" 1 audit --policy "$V5" --all-visibilities
check "all visibilities: alice's private image is listed and flagged" has "image_source 'https://evil.example/x' does not start"
check "all visibilities: counts" has "8 images listed: 5 public, 2 community, 0 shared, 1 private; 1 of them hidden"
expect "all visibilities, json" 1 audit --policy "$V5" --all-visibilities --format json
check "  ... alice's image: owner customer-a by name, under the private scope" python3 -c '
import json, sys
b = {i["id"]: i for i in json.load(open(sys.argv[1]))["violations"]}[sys.argv[2]]
assert b["owner"]["name"] == "customer-a" and b["scope"]["visibility"] == "private", b' "$TMP/out" "$alice_img"
expect "all visibilities with a token that lacks admin: exit 2, nothing audited" 2 "$BIN" audit --os-cloud stack-a \
	--policy "$V5" --all-visibilities
check "  ... it names the missing role and the token's roles" has "--all-visibilities needs the admin role" "$TMP/err"
check "  ... ... and the roles it has" grep -q "has roles: .*member" "$TMP/err"
check "  ... no report" test ! -s "$TMP/out"

# -- v4 spec: Ubuntu 22.04 is mandatory, and the only one is hidden ---------------
expect "v4: missing mandatory -> exit 1" 1 audit --policy "$V4"
check "v4: says what is missing" grep -qE "mandatory +an image named 'Ubuntu 22.04'" "$TMP/out"

# -- v2 rules: presence by date, unknown versions -----------------------------------
expect "v2: violations -> exit 1" 1 audit --policy "$V2" --format json
check "v2: 26.04 present, 24.04 (tagged) and Debian missing, 25.10 unknown" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
exp = {e["id"]: (e["status"], e["present"]) for e in r["expected"]}
assert exp["v2-image-ubuntu-2604"] == ("mandatory", True), exp
assert exp["v2-image-ubuntu-2404"] == ("recommended", False), exp
assert exp["v2-image-debian-13"] == ("recommended", False), exp
rules = [v["rule"] for img in r["violations"] for v in img["violations"]]
assert "scs-0104/unknown-version" in rules, rules
assert r["summary"]["missing_mandatory"] == 0
' "$TMP/out"
expect "v2 before 26.04 counts: 24.04 mandatory and missing" 1 "$BIN" audit --os-cloud stack-admin --policy "$V2" --now 2026-04-29
check "v2 (April 29): mandatory missing" grep -qE "mandatory +os_distro=ubuntu os_version=24.04 os_purpose=generic" "$TMP/out"

# -- a compliant cloud for a narrow spec ------------------------------------------------
printf 'images:\n- name: "Ubuntu 24.04"\n  source: %s/releases/noble/\n  status: mandatory\n' "$U" >"$TMP/narrow.yaml"
expect "compliant -> exit 0" 0 audit --policy "$TMP/narrow.yaml"
check "compliant: says so" has ": compliant"

# -- errors: exit 2 with a message that says what is wrong -----------------------------------
sed "s/password: $ADMIN_PASSWORD/password: wrong/" "$OS_CLIENT_CONFIG_FILE" >"$TMP/wrong.yaml"
expect "wrong password -> 2" 2 env OS_CLIENT_CONFIG_FILE="$TMP/wrong.yaml" "$BIN" audit --os-cloud stack-admin --policy "$V5"
check "wrong password: Keystone refused" has "Keystone refused the credentials of stack-admin (HTTP 401)" "$TMP/err"
expect "unknown cloud -> 2" 2 "$BIN" audit --os-cloud nosuch --policy "$V5"
check "unknown cloud: names the clouds there" has "stack-admin" "$TMP/err"
sed "s#auth_url: .*#auth_url: http://127.0.0.1:9/v3#" "$OS_CLIENT_CONFIG_FILE" >"$TMP/nokeystone.yaml"
expect "Keystone unreachable -> 2" 2 env OS_CLIENT_CONFIG_FILE="$TMP/nokeystone.yaml" "$BIN" audit --os-cloud stack-admin --policy "$V5"
check "Keystone unreachable: cannot connect" has "127.0.0.1:9/v3/auth/tokens: cannot connect" "$TMP/err"
kill "$GLANCE_PID" 2>/dev/null; sleep 1
expect "Glance stopped -> 2" 2 audit --policy "$V5"
check "Glance stopped: cannot connect" has "cannot connect" "$TMP/err"

finish
