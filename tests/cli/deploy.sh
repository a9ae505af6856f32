#!/usr/bin/env bash
# What operators deploy beside the binary, checked with the tools they
# run: the alert rules (promtool check and test), the kolla HAProxy
# override (haproxy -c), the kolla-build template override rendered with
# jinja2 against a stand-in parent, and the import plugin installed into a
# fresh venv and imported, as kolla's Glance venv gets it. (The metrics the
# rules and the dashboard name, and the dashboard's queries evaluated by
# Prometheus against a real proxy: tests/integration/operate.sh.) A tool
# that is missing is a skip with a line saying so, but never in CI
# (CI=true): there it fails.
cd "$(dirname "$0")/../.."
. tests/lib.sh
ROOT=$(pwd)
RULES=deploy/prometheus/scs-image-hook.rules.yml
DASH=deploy/grafana/scs-image-hook.json

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

# ---- alert rules ------------------------------------------------------------------
if need promtool; then
	expect "promtool check rules" 0 promtool check rules "$RULES"
	check "  ... every rule found" has "SUCCESS: 10 rules found"
	expect "promtool test rules: each alert fires on trouble, none on a healthy proxy" 0 \
		promtool test rules deploy/prometheus/scs-image-hook.rules.test.yml
fi

# ---- kolla-ansible / OSISM ------------------------------------------------------
if need haproxy; then
	expect "haproxy -c on the kolla HAProxy override" 0 haproxy -c -f deploy/kolla/haproxy/glance-api.cfg
fi
# kolla's glance-api Dockerfile.j2, reduced to what the override uses: its
# footer block and the venv path (kolla: /var/lib/kolla/venv)
mkdir -p "$TMP/kolla"
cat >"$TMP/kolla/parent.j2" <<'J2'
FROM kolla/glance-base:stand-in
{% block glance_api_header %}{% endblock %}
RUN echo glance-api from the parent
{% block glance_api_footer %}{% endblock %}
USER glance
J2
if /usr/bin/python3 - "$TMP/kolla" deploy/kolla/template-overrides.j2 >"$TMP/Dockerfile" 2>"$TMP/jinja.err" <<'PY'
import os, sys, jinja2
env = jinja2.Environment(loader=jinja2.FileSystemLoader([sys.argv[1], os.path.dirname(sys.argv[2])]),
                         undefined=jinja2.StrictUndefined)
print(env.get_template(os.path.basename(sys.argv[2])).render(parent_template="parent.j2", venv_path="/var/lib/kolla/venv"))
PY
then pass "the kolla-build template override renders against a stand-in parent (jinja2)"
else fail "the kolla-build template override renders against a stand-in parent (jinja2)" "$(cat "$TMP/jinja.err")"; fi
check "  ... the parent's lines kept" grep -q "glance-api from the parent" "$TMP/Dockerfile"
check "  ... the binary from its .deb" grep -q "apt-get install -y --no-install-recommends /additions/scs-image-hook/scs-image-hook_" "$TMP/Dockerfile"
check "  ... the plugin into kolla's venv, without dependencies" grep -q "/var/lib/kolla/venv/bin/pip --no-cache-dir install --no-deps /additions/scs-image-hook/glance" "$TMP/Dockerfile"

# the plugin into a fresh venv, --no-deps, as into kolla's: Glance and its
# libraries come from the system here (--system-site-packages), as from
# kolla's venv there
if need /usr/bin/python3; then
	/usr/bin/python3 -m venv --system-site-packages "$TMP/venv" >"$TMP/venv.log" 2>&1 &&
		"$TMP/venv/bin/pip" install -q --no-deps --no-build-isolation --no-index ./deploy/glance >>"$TMP/venv.log" 2>&1
	check "pip install --no-deps of the plugin into a fresh venv" test -f "$TMP/venv/bin/python" -a $? -eq 0
	expect "  ... imported there, found by Glance's entry point" 0 "$TMP/venv/bin/python" -c '
import importlib.metadata as m, scs_image_hook_glance.plugin as p
eps = [e.value for e in m.entry_points(group="glance.image_import.plugins") if e.name == "scs_image_hook"]
assert eps == ["scs_image_hook_glance.plugin:get_flow"], eps
print(p.__file__)'
	check "  ... from the venv" has "$TMP/venv/lib/"
fi
finish
