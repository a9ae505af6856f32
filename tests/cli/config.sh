#!/usr/bin/env bash
# The operator config as each command reads it: policy lint, proxy --check
# (the reading of proxy start and SIGHUP) and check --config accept and
# refuse the same files, with the same file:line:col.
SUITE=cli-config
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export OS_CLIENT_CONFIG_FILE=$TMP/clouds.yaml OS_CLIENT_SECURE_FILE=$TMP/secure.yaml HOME=$TMP
unset OS_CLOUD
echo '{"name":"x","visibility":"private"}' >"$TMP/img.json"

# cfg NAME LINE...: a proxy config with the shipped policy and the lines given.
cfg() {
	local name=$1; shift
	{
		echo "policy: [$ROOT/policy/scs-0104-v1-images-v5.yaml]"
		for line in "$@"; do echo "$line"; done
	} >"$TMP/$name.yaml"
}
# agree NAME WANT: every reader refuses $TMP/NAME.yaml with WANT on stderr.
agree() {
	local name=$1 want=$2
	expect "$name: policy lint refuses" 2 "$BIN" policy lint "$TMP/$name.yaml"
	check "$name: lint says where and why" has "$TMP/$name.yaml:$want" "$TMP/err"
	expect "$name: proxy --check refuses" 2 "$BIN" proxy --check --config "$TMP/$name.yaml"
	check "$name: --check says the same" has "$TMP/$name.yaml:$want" "$TMP/err"
	expect "$name: check --config refuses" 2 "$BIN" check --config "$TMP/$name.yaml" "$TMP/img.json"
	check "$name: check says the same" has "$TMP/$name.yaml:$want" "$TMP/err"
}

KS="keystone: {auth_url: http://127.0.0.1:9/v3, username: hook, password: pw, project_name: service}"
cfg good "listen: 127.0.0.1:9393" "upstream: http://127.0.0.1:9292" "$KS" "quota: {default: {max_images: 5}}"
expect "a good proxy config: lint ok" 0 "$BIN" policy lint "$TMP/good.yaml"
check "lint names the listener and the upstream" has "; proxy: 127.0.0.1:9393 to http://127.0.0.1:9292"
# --check proves the credentials too (creds.c; no Keystone here): the
# config passed when the error is the credentials' and names their URL
expect "a good proxy config: proxy --check reaches the credentials" 2 "$BIN" proxy --check --config "$TMP/good.yaml"
check "--check: the config passed, Keystone (none here) is what fails" \
	has "service credentials: cannot authenticate with Keystone: http://127.0.0.1:9/v3/auth/tokens" "$TMP/err"

# The three that lint used to accept and the proxy refused.
cfg badport "listen: not-a-port" "upstream: http://127.0.0.1:9292"
agree badport "2:9: listen must be HOST:PORT with a port from 1 to 65535, not 'not-a-port'"
cfg banana "listen: 9393" "upstream: http://127.0.0.1:9292" "timeouts: {connect: banana}"
agree banana "4:21: connect must be a duration like 30s"
cfg nokeystone "listen: 9393" "upstream: http://127.0.0.1:9292" "quota: {default: {max_images: 5}}"
agree nokeystone "4:1: quota needs a 'keystone' key"

# What only the proxy needs: listen and upstream.
cfg policyonly "mode: warn"
expect "a config without listen: lint ok (check and the import plugin use it)" 0 "$BIN" policy lint "$TMP/policyonly.yaml"
expect "... but the proxy cannot start with it" 2 "$BIN" proxy --check --config "$TMP/policyonly.yaml"
check "... and says what is missing" has "the proxy's config needs a 'listen' key" "$TMP/err"

# keystone: {cloud:} is looked up by lint as by the proxy.
printf 'clouds:\n  other: {auth: {auth_url: http://127.0.0.1:9/v3, username: u, password: p}}\n' >"$TMP/clouds.yaml"
cfg nocloud "listen: 9393" "upstream: http://127.0.0.1:9292" "keystone: {cloud: hook}"
expect "unknown keystone cloud: lint refuses" 2 "$BIN" policy lint "$TMP/nocloud.yaml"
check "unknown keystone cloud: lint names the clouds there" has "$TMP/nocloud.yaml:4:19: keystone cloud 'hook': cloud 'hook' not found in $TMP/clouds.yaml (it defines: other)" "$TMP/err"
expect "unknown keystone cloud: proxy --check refuses" 2 "$BIN" proxy --check --config "$TMP/nocloud.yaml"

# clouds.yaml as openstacksdk reads it: anchors, aliases, merge keys.
cat >"$TMP/clouds.yaml" <<'Y'
common: &common {auth: &auth {auth_url: http://127.0.0.1:9/v3, username: u, password: p, project_name: s}}
clouds:
  base: *common
  hook:
    <<: *common
    region_name: RegionTwo
Y
expect "clouds.yaml with anchors and merge keys: lint ok" 0 "$BIN" policy lint "$TMP/nocloud.yaml"
expect "clouds.yaml with anchors and merge keys: proxy --check reaches the credentials" 2 "$BIN" proxy --check --config "$TMP/nocloud.yaml"
check "clouds.yaml with anchors and merge keys: the credentials are the merged entry's" \
	has "service credentials: cannot authenticate with Keystone: http://127.0.0.1:9/v3/auth/tokens" "$TMP/err"
printf 'clouds:\n  hook: {<<: *nothing}\n' >"$TMP/clouds.yaml"
expect "an alias to no anchor: refused" 2 "$BIN" proxy --check --config "$TMP/nocloud.yaml"
check "an alias to no anchor: says where" has "$TMP/clouds.yaml:2:14: alias '*nothing' names no anchor before it" "$TMP/err"
echo "policy: [$ROOT/policy/scs-0104-v1-images-v5.yaml, &x $ROOT/policy/scs-0104-v2-images.yaml]" >"$TMP/anchored.yaml"
expect "the operator config stays strict: anchors refused" 2 "$BIN" policy lint "$TMP/anchored.yaml"
check "... with the place" has "$TMP/anchored.yaml:1:" "$TMP/err"

finish
