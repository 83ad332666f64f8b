#!/bin/sh
# make run: the daemon on config/cungate.conf with a dummy-phone modem in
# var/modem/ and a demo village seeded once.
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
echo "Send it a text:  ./cungatectl -c $conf simulate +8613900000001 \"帮助\""
echo "See the reply:   ./cungatectl -c $conf outbox"
exec ./cungated -c $conf
