#!/bin/sh
# make run: the daemon on config/cungate.conf with a dummy-phone modem in
# var/modem/, a demo village seeded once, and the status pages on
# loopback with a demo county account.
set -e
cd "$(dirname "$0")/.."
conf=config/cungate.conf
mkdir -p var/modem
if [ ! -f var/.seeded ]; then
	./cungatectl -c $conf township add MZ 米脂镇 --supervisor +8613900000009 >/dev/null
	./cungatectl -c $conf village add LJZ 刘家庄 --township MZ >/dev/null
	./cungatectl -c $conf resident import config/demo.csv
	touch var/.seeded
fi
# The demo's login for the pages; a real county makes its own accounts.
if ! ./cungatectl -c $conf user list | grep -q '^demo '; then
	echo demo-county | ./cungatectl -c $conf user add demo --role county >/dev/null
fi
url=http://$(sed -n 's/^listen *= *//p' $conf | head -n 1)/
echo "Send it a text:  ./cungatectl -c $conf simulate +8613900000001 \"帮助\""
echo "See the reply:   ./cungatectl -c $conf outbox"
echo "Status pages:    $url  (log in as demo, password demo-county)"
exec ./cungated -c $conf
