#!/bin/sh
# make check-deb: build the Debian package from a copy of the tree (the
# package build runs `make clean`), lint it, install it, check what it
# installed and that it enabled and started nothing, then purge it and
# check that nothing is left. As root, on Debian 12.
set -eu
cd "$(dirname "$0")/../.."
top=$PWD
out=$top/build/deb
fail() { echo "check-deb: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i, adduser)"
if dpkg-query -W -f='${Status}' cungate 2>/dev/null | grep -q "ok installed"; then
	fail "a cungate package is installed already; purge it first"
fi

rm -rf "$out" && mkdir -p "$out/src"
tar -c --exclude=./build --exclude=./.git --exclude=./var \
    --exclude=./cungated --exclude=./cungatectl . | tar -x -C "$out/src"
(cd "$out/src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 ||
	{ tail -40 "$out/build.log"; fail "dpkg-buildpackage failed"; }
deb=$(ls "$out"/cungate_*.deb)
echo "check-deb: built $(basename "$deb")"

lintian --fail-on error,warning --suppress-tags \
    initial-upload-closes-no-bugs "$deb" ||
	fail "lintian found errors or warnings"

dpkg -i "$deb" >/dev/null
trap 'dpkg --purge cungate >/dev/null 2>&1 || true' EXIT
for f in /usr/sbin/cungated /usr/sbin/cungatectl \
    /lib/systemd/system/cungated.service /etc/cungate/cungate.conf \
    /etc/cungate/commands.conf /etc/cungate/messages.zh.conf \
    /usr/share/man/man8/cungated.8.gz /usr/share/man/man5/cungate.conf.5.gz; do
	[ -e "$f" ] || fail "$f not installed"
done
[ "$(/usr/sbin/cungated --version)" = "cungated $(cat VERSION)" ] ||
	fail "cungated --version"
/usr/sbin/cungated -n -c /etc/cungate/cungate.conf >/dev/null ||
	fail "the installed config does not check"
id cungate >/dev/null || fail "no user cungate"
id -nG cungate | grep -qw dialout || fail "cungate is not in group dialout"
[ "$(stat -c %U:%a /var/lib/cungate)" = "cungate:750" ] ||
	fail "/var/lib/cungate: $(stat -c %U:%a /var/lib/cungate)"
[ "$(stat -c %G:%a /etc/cungate/cungate.conf)" = "cungate:640" ] ||
	fail "/etc/cungate/cungate.conf: $(stat -c %G:%a /etc/cungate/cungate.conf)"
# Installed, not enabled by surprise (nor started).
[ ! -e /etc/systemd/system/multi-user.target.wants/cungated.service ] ||
	fail "the service was enabled"
! pgrep -f '^/usr/sbin/cungated' >/dev/null || fail "the service was started"
# The man pages render.
mandoc -Tlint -W warning /usr/share/man/man8/cungated.8.gz ||
	fail "man page"

dpkg --purge cungate >/dev/null
trap - EXIT
for f in /usr/sbin/cungated /etc/cungate /var/lib/cungate \
    /lib/systemd/system/cungated.service; do
	[ ! -e "$f" ] || fail "$f left after purge"
done
! id cungate >/dev/null 2>&1 || fail "user cungate left after purge"
echo "check-deb: installs, enables nothing, purges cleanly"
