#!/usr/bin/env bash
# The Debian packages, built from the tree (dpkg-buildpackage -us -uc -b,
# in a copy of it), lintian-clean, installed, used as installed (version,
# man page, the systemd unit verified, the example config passing
# proxy --check, a check against the installed policy files, the import
# plugin found by its entry point with its packaged binary) and purged:
# nothing left but the system user, as Debian does. Needs root to install:
# as another user it stops after lintian, with a line saying so (CI runs as
# root and never skips).
cd "$(dirname "$0")/../.."
. tests/lib.sh
need dpkg-buildpackage dh lintian flock || { finish; exit; }
SRC=$TMP/src
mkdir -p "$SRC"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$SRC"
# as Debian builds it: not with the flags of a make that runs this suite (make asan)
( cd "$SRC" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES dpkg-buildpackage -us -uc -b ) >"$TMP/build.log" 2>&1; rc=$?
check "dpkg-buildpackage -us -uc -b builds both packages" test "$rc" -eq 0 -a -f "$TMP/scs-image-hook_0.1.0_amd64.deb" \
	-a -f "$TMP/python3-scs-image-hook-glance_0.1.0_all.deb"
[ "$rc" -eq 0 ] || { tail -30 "$TMP/build.log"; finish; exit 1; }
lintian --no-tag-display-limit "$TMP/scs-image-hook_0.1.0_amd64.changes" >"$TMP/lintian" 2>&1
check "lintian: no error, no warning" sh -c "! grep -E '^[EW]: ' '$TMP/lintian'"
grep -E '^[EW]: ' "$TMP/lintian" | head -10
dpkg-deb -c "$TMP/scs-image-hook_0.1.0_amd64.deb" >"$TMP/contents"
for f in ./usr/bin/scs-image-hook ./usr/share/man/man1/scs-image-hook.1.gz ./usr/share/man/man5/scs-image-hook.yaml.5.gz \
	./usr/share/scs-image-hook/scs-0104-v1-images-v5.yaml ./etc/scs-image-hook/scs-image-hook.yaml \
	./lib/systemd/system/scs-image-hook-proxy.service ./lib/systemd/system/scs-image-hook-sync.service \
	./lib/systemd/system/scs-image-hook-sync.timer ./lib/systemd/system/scs-image-hook-audit.service \
	./lib/systemd/system/scs-image-hook-audit.timer ./etc/logrotate.d/scs-image-hook; do
	check "the package holds $f" grep -q " $f\$" "$TMP/contents"
done
dpkg-deb -f "$TMP/scs-image-hook_0.1.0_amd64.deb" Depends >"$TMP/depends"
check "it depends on librnp0 by name (loaded with dlopen, unseen by dpkg-shlibdeps)" grep -q "librnp0" "$TMP/depends"
dpkg-deb --ctrl-tarfile "$TMP/scs-image-hook_0.1.0_amd64.deb" | tar -xOf - ./conffiles >"$TMP/conffiles"
check "the example config and the logrotate snippet are conffiles" grep -qx /etc/scs-image-hook/scs-image-hook.yaml "$TMP/conffiles"

if [ "$(id -u)" -ne 0 ]; then
	echo "skip: installing needs root (CI runs as root)"
	finish; exit
fi
# One install at a time on this machine (suites of other checkouts may run now).
exec 9>/tmp/scs-image-hook-package-test.lock
flock 9
if dpkg-query -W -f='${Status}' scs-image-hook 2>/dev/null | grep -q "install ok"; then
	fail "scs-image-hook is not installed on this machine before the test" "it is: the test would purge it"
	finish; exit 1
fi
trap 'dpkg --purge python3-scs-image-hook-glance scs-image-hook >/dev/null 2>&1; rm -rf "$TMP"' EXIT
expect "dpkg -i installs both" 0 dpkg -i "$TMP/scs-image-hook_0.1.0_amd64.deb" "$TMP/python3-scs-image-hook-glance_0.1.0_all.deb"
expect "scs-image-hook version" 0 /usr/bin/scs-image-hook version
check "  ... says it" has "scs-image-hook 0.1.0"
expect "man -w scs-image-hook" 0 man -w scs-image-hook
check "  ... finds the installed page" has /usr/share/man/man1/scs-image-hook.1.gz
expect "man -w scs-image-hook.yaml" 0 man -w 5 scs-image-hook.yaml
expect "systemd-analyze verify on the installed unit" 0 systemd-analyze verify /lib/systemd/system/scs-image-hook-proxy.service
check "  ... without a word" test ! -s "$TMP/err"
expect "systemd-analyze verify on sync's service and timer" 0 systemd-analyze verify \
	/lib/systemd/system/scs-image-hook-sync.service /lib/systemd/system/scs-image-hook-sync.timer
check "  ... without a word" test ! -s "$TMP/err"
expect "systemd-analyze verify on the nightly audit's service and timer" 0 systemd-analyze verify \
	/lib/systemd/system/scs-image-hook-audit.service /lib/systemd/system/scs-image-hook-audit.timer
check "  ... without a word" test ! -s "$TMP/err"
expect "proxy --check of the installed example config before the vendors' keys are installed: exit 2" 2 \
	/usr/bin/scs-image-hook proxy --check
check "  ... naming the keyring and what to put there" has \
	"origin.keyring: /etc/scs-image-hook/vendor-keys.gpg: No such file or directory: install there the vendors' keys" "$TMP/err"
# the operator installs a keyring (here a throwaway key: the vendors' own are not reachable offline)
export GNUPGHOME=$TMP/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg -q --batch --passphrase '' --quick-gen-key package-test@example.org ed25519 sign never 2>/dev/null
gpg -q --export package-test@example.org >/etc/scs-image-hook/vendor-keys.gpg
expect "proxy --check of the installed example config with a keyring" 0 /usr/bin/scs-image-hook proxy --check
check "  ... the default path" has "/etc/scs-image-hook/scs-image-hook.yaml: config and policy are valid"
check "  ... naming each vendor key still to install in the keyring" \
	has "origin.keyring /etc/scs-image-hook/vendor-keys.gpg lacks the key" "$TMP/err"
rm -f /etc/scs-image-hook/vendor-keys.gpg
head -1 examples/images.jsonl >"$TMP/good.json"
expect "check against the installed policy files: a compliant image" 0 /usr/bin/scs-image-hook check \
	--policy /usr/share/scs-image-hook/scs-0104-v1-images-v5.yaml --policy /usr/share/scs-image-hook/scs-0104-v2-images.yaml \
	"$TMP/good.json"
echo '{"id":"x","name":"Ubuntu 24.04","visibility":"public","image_source":"https://example.org/x.img"}' >"$TMP/bad.json"
expect "check with the installed config: a bad source is denied" 1 /usr/bin/scs-image-hook check "$TMP/bad.json"
check "  ... by scs-0104/source" has "scs-0104/source"
check "the system user exists" id scs-image-hook
check "it owns /var/log/scs-image-hook (0750)" test "$(stat -c '%U %a' /var/log/scs-image-hook)" = "scs-image-hook 750"
check "the unit is installed, not enabled (it needs credentials first)" test ! -e /etc/systemd/system/multi-user.target.wants/scs-image-hook-proxy.service
check "sync's timer is installed, not enabled (it needs a catalog first)" test ! -e /etc/systemd/system/timers.target.wants/scs-image-hook-sync.timer
check "the audit's timer is installed, not enabled (it needs credentials first)" test ! -e /etc/systemd/system/timers.target.wants/scs-image-hook-audit.timer
if command -v logrotate >/dev/null; then
	expect "logrotate reads the snippet" 0 logrotate -d /etc/logrotate.d/scs-image-hook
fi
expect "the import plugin: found by Glance's entry point (Debian's python3, where Glance is), its binary the packaged one" 0 /usr/bin/python3 -c '
import importlib.metadata as m
eps = [e for e in m.entry_points(group="glance.image_import.plugins") if e.name == "scs_image_hook"]
assert eps, "no entry point: %s" % sorted(e.name for e in m.entry_points(group="glance.image_import.plugins"))
mod = eps[0].load().__module__
import scs_image_hook_glance.plugin as p
assert p.DEFAULT_BINARY == "/usr/bin/scs-image-hook", p.DEFAULT_BINARY
print(eps[0].value, p.__file__)'
check "  ... from dist-packages" has /usr/lib/python3/dist-packages/scs_image_hook_glance/plugin.py
expect "dpkg --purge both" 0 dpkg --purge python3-scs-image-hook-glance scs-image-hook
left=
for f in /usr/bin/scs-image-hook /usr/share/scs-image-hook /etc/scs-image-hook /var/log/scs-image-hook \
	/etc/logrotate.d/scs-image-hook /lib/systemd/system/scs-image-hook-proxy.service \
	/lib/systemd/system/scs-image-hook-sync.service /lib/systemd/system/scs-image-hook-sync.timer \
	/lib/systemd/system/scs-image-hook-audit.service /lib/systemd/system/scs-image-hook-audit.timer \
	/usr/lib/python3/dist-packages/scs_image_hook_glance /usr/share/man/man1/scs-image-hook.1.gz; do
	[ -e "$f" ] && left="$left $f"
done
check "nothing left behind${left:+ (left:$left)}" test -z "$left"
check "but the system user, as Debian keeps users" id scs-image-hook
finish
