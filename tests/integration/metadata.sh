#!/usr/bin/env bash
# SCS-0102 image metadata against a real Keystone + Glance (tests/stack),
# seeded with the real openstack CLI: audit in its three formats (the
# per-property lines, recency and uniqueness), and the proxy refusing a
# public image without the mandatory properties while warning for a
# private one. docs/scs-0102.md says what the rules are and where from.
SUITE=integration-metadata
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
M=$ROOT/policy/scs-0102-v1-image-metadata.yaml

. tests/stack-lib.sh
stack_up

# Dates relative to today: Glance stamps created_at now, and a build date
# may not be later. Recency is judged with --now today (midnight UTC).
TODAY=$(date -u +%F)
RECENT=$(date -u -d '-3 days' +%F)
OLD=2024-01-01
# Every v1 property but the build date and the ones a case changes.
props() {
	local p=(--property architecture=x86_64 --min-disk 1 --min-ram 512 --property os_distro=ubuntu
		--property os_version=24.04 --property hw_disk_bus=scsi --property image_original_user=ubuntu
		--property image_source=https://cloud-images.ubuntu.com/noble/x.img
		--property image_description=https://ubuntu.com/cloud --property replace_frequency=monthly
		--property provided_until=2030-12-31 --property uuid_validity=last-3)
	printf '%s\n' "${p[@]}"
}
mk() {
	local cloud=$1; shift
	local -a base
	mapfile -t base < <(props)
	OS_CLOUD=$cloud openstack image create --file /dev/null -f value -c id "${base[@]}" "$@" 2>>"$TMP/seed.log"
}

# compliant and current, and its predecessor renamed with its date
mk stack-admin --public --property os_purpose=generic --property image_build_date=$RECENT "Ubuntu 24.04" >/dev/null
mk stack-admin --public --property os_purpose=oldgeneric --property image_build_date=$OLD "Ubuntu 24.04 20240101" >/dev/null
# outdated, not marked, no replacement: recency fails
mk stack-admin --public --property os_distro=debian --property os_version=12 --property os_purpose=generic \
	--property image_build_date=$OLD "Debian 12" >/dev/null
# outdated but hidden: not present, not counted
hidden=$(mk stack-admin --public --property os_distro=debian --property os_version=11 --property image_build_date=$OLD "Debian 11")
OS_CLOUD=stack-admin openstack image set --hidden "$hidden" 2>>"$TMP/seed.log"
# a second public generic Ubuntu 24.04 x86_64: uniqueness fails
dup=$(mk stack-admin --public --property os_purpose=generic --property image_build_date=$RECENT "Ubuntu Noble")
# wrong values: architecture, hotfix_hours, uuid_validity; provided_until not a v1 form (the test only asks it set)
mk stack-admin --public --property architecture=amd64 --property hotfix_hours=48h --property uuid_validity=last-x \
	--property provided_until=someday --property os_purpose=custom --property image_build_date=$RECENT "Custom Box" >/dev/null
# community, without a build date: the official test does not list it, audit counts it
mk stack-admin --community --property os_purpose=custom "Community Box" >/dev/null
check "seeded 7 images with the openstack CLI" test "$(OS_CLOUD=stack-admin openstack image list --long -f value -c ID 2>/dev/null | wc -l)" -ge 5

audit() { "$BIN" audit --os-cloud stack-admin --now "$TODAY" --policy "$M" "$@"; }

expect "scs: failing lines -> exit 1" 1 audit --format scs
cp "$TMP/out" "$TMP/scs.out"
line() { check "scs: $1: $2" has "$1: $2" "$TMP/scs.out"; }
line scs-0102-prop-architecture FAIL
line scs-0102-prop-hash_algo PASS
line scs-0102-prop-min_disk PASS
line scs-0102-prop-min_ram PASS
line scs-0102-prop-os_version PASS
line scs-0102-prop-os_distro PASS
line scs-0102-prop-os_purpose PASS
line scs-0102-prop-hw_disk_bus PASS
line scs-0102-prop-hypervisor_type PASS
line scs-0102-prop-hw_rng_model PASS
line scs-0102-prop-image_build_date FAIL          # the community image (not listed by the official test)
line scs-0102-prop-image_original_user PASS
line scs-0102-prop-image_source PASS
line scs-0102-prop-image_description PASS
line scs-0102-prop-replace_frequency PASS
line scs-0102-prop-provided_until PASS
line scs-0102-prop-uuid_validity FAIL
line scs-0102-prop-hotfix_hours FAIL
line scs-0102-image-recency FAIL
line scs-0102-os_purpose-uniqueness FAIL
check "scs: 20 lines, one per testcase" test "$(grep -cE '^scs-0102-[a-z_-]+: (PASS|FAIL)$' "$TMP/scs.out")" -eq 20
check "scs: an ERROR line says why, for each FAIL" test "$(grep -c '^ERROR: ' "$TMP/err")" -eq 6

expect "text: not compliant -> exit 1" 1 audit
check "text: architecture names value and what is allowed" has "property architecture 'amd64' is not accepted; scs-0102/architecture requires one of: x86_64, aarch64, risc-v"
check "text: the stricter provided_until reading under its own id" has "scs-0102/provided_until-format"
check "text: recency names the image and what to do" has "FAIL scs-0102-image-recency: Debian 12"
check "text: recency says provide a replacement" has "without a replacement: provide a current image under the name without its last word"
check "text: unmarked outdated image warned: hide or rename" has "WARN scs-0102-image-recency: Debian 12"
check "text: the renamed predecessor is fine" sh -c "! grep -q 'image-recency: Ubuntu 24.04 20240101' '$TMP/out'"
check "text: the hidden outdated image is not judged" sh -c "! grep -q 'image-recency: Debian 11' '$TMP/out'"
check "text: uniqueness names both images" sh -c "grep -q 'os_purpose-uniqueness: Ubuntu 24.04 id=' '$TMP/out' && grep -q 'os_purpose-uniqueness: Ubuntu Noble' '$TMP/out'"
check "text: uniqueness says what to do" has "keep one, hide the others or give them another os_purpose"

expect "json: not compliant -> exit 1" 1 audit --format json
check "json: cloud findings and property violations" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
cloud = {(c["testcase"], c["name"], c["fail"]) for c in r["cloud"]}
assert ("scs-0102-image-recency", "Debian 12", True) in cloud, cloud
assert ("scs-0102-os_purpose-uniqueness", "Ubuntu Noble", True) in cloud, cloud
bad = {v["name"]: [x["rule"] for x in v["violations"]] for v in r["violations"]}
assert "scs-0102/architecture" in bad["Custom Box"] and "scs-0102/hotfix_hours" in bad["Custom Box"], bad
assert "scs-0102/image_build_date" in bad["Community Box"], bad
assert "Ubuntu 24.04" not in bad, bad
assert r["summary"]["compliant"] is False
' "$TMP/out"
json_valid "json: the report (metadata rules, whole-cloud findings) matches docs/audit-report.schema.json" \
	"$ROOT/docs/audit-report.schema.json" "$TMP/out"

# hide the duplicate: uniqueness passes
OS_CLOUD=stack-admin openstack image set --hidden "$dup" 2>>"$TMP/seed.log"
expect "scs: after hiding the duplicate, uniqueness passes" 0 audit --format scs scs-0102-os_purpose-uniqueness scs-0102-prop-min_ram
check "scs: uniqueness PASS" has "scs-0102-os_purpose-uniqueness: PASS"
check "scs: only the lines asked for, in order" test "$(cat "$TMP/out")" = "scs-0102-os_purpose-uniqueness: PASS
scs-0102-prop-min_ram: PASS"

# -- the proxy, with the operator's config listing the 0102 file ---------------------
PROXY_POLICIES=$M proxy_start meta "mode: enforce"
check "proxy with the 0102 policy starts" curl -sf "$PROXY_ADMIN/healthz"
expect "proxy: public image without the mandatory properties refused" 1 \
	os stack-admin image create --file /dev/null --public "Bare Public"
check "proxy: the CLI says which property" has "scs-0102/architecture" "$TMP/err"
check "proxy: 403" has "403" "$TMP/err"
check "proxy: Glance never saw it" test -z "$(direct stack-admin image list --name 'Bare Public' -f value -c ID)"
check "proxy: record deny with scs-0102 rules" last_record 'r["decision"] == "deny" and any(v["rule"] == "scs-0102/image_source" for v in r["violations"])' POST
expect "proxy: private image without them admitted with a warning" 0 \
	os stack-a image create --file /dev/null --private "Bare Private"
check "proxy: private: record warn" last_record 'r["decision"] == "warn" and r["image"]["visibility"] == "private"' POST
check "proxy: private: exists in Glance" test -n "$(direct stack-a image list --private --name 'Bare Private' -f value -c ID)"
mapfile -t base < <(props)
expect "proxy: public image with every mandatory property accepted" 0 \
	os stack-admin image create --file /dev/null --public "${base[@]}" --property image_build_date=$RECENT "Full Public"
id=$(tail -1 "$TMP/out" | awk '{print $NF}')
check "proxy: Full Public exists in Glance" test -n "$(direct stack-admin image list --name 'Full Public' -f value -c ID)"
full=$(direct stack-admin image list --name 'Full Public' -f value -c ID)
expect "proxy: PATCH removing architecture from a public image refused" 1 \
	os stack-admin image unset --property architecture "$full"
check "proxy: PATCH refused names the rule" has "scs-0102/architecture" "$TMP/err"
check "proxy: Glance still has the architecture" test "$(direct stack-admin image show "$full" -f json -c properties | python3 -c 'import json,sys; print(json.load(sys.stdin)["properties"].get("architecture"))')" = x86_64

# -- by hand: the official test side by side (SCS_UPSTREAM_TESTS=<export of
# upstream's Tests>); it refuses admin clouds, so both read as stack-a. The
# community image is the one documented difference (the test does not list it).
if [ -n "${SCS_UPSTREAM_TESTS:-}" ]; then
	ids=$(grep -oE '^scs-0102-[a-z_-]+' "$TMP/scs.out" | tr '\n' ' ')
	OS_CLIENT_CONFIG_FILE=$GLANCE_CLOUDS "$BIN" audit --os-cloud stack-a --policy "$M" --format scs $ids \
		>"$TMP/ours.out" 2>/dev/null
	(cd "$SCS_UPSTREAM_TESTS/iaas" && OS_CLIENT_CONFIG_FILE=$GLANCE_CLOUDS /usr/bin/python3 openstack_test.py \
		-c stack-a $ids >"$TMP/theirs.out" 2>"$TMP/theirs.err")
	echo "--- official test (stack-a) vs audit (stack-a):"
	paste -d' ' <(grep -E '^scs-0102' "$TMP/theirs.out") <(grep -E '^scs-0102' "$TMP/ours.out") | tee "$TMP/side.out"
	check "official: every line but image_build_date (community) agrees" sh -c \
		"grep -E '^scs-0102' '$TMP/theirs.out' | grep -v image_build_date >'$TMP/t'; grep -E '^scs-0102' '$TMP/ours.out' | grep -v image_build_date >'$TMP/o'; cmp -s '$TMP/t' '$TMP/o'"
fi

records_valid "every decision record matches docs/decision-record.schema.json" "${PROXY_LOGS[@]}"
finish
