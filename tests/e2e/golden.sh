#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Golden files (tests/golden/): the --help of dloadcard and of every
# command, and the --json of every command on inputs this test makes (a
# sample UPDATE.APP, image files, a fake system root), each its result and
# a failure or two.  What changes from run to run (times, durations, the
# test's own paths, the probe's random places, mtools' version in the
# boot sector) is normalised with jq before the comparison, never by hand.
# A difference is shown as a diff; when it is meant, regenerate them with
#
#	make update-golden
#
# (this test with GOLDEN_UPDATE=1) and review git diff tests/golden.
# Image files only, no device: it runs as any user.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"
# shellcheck source=tests/helpers/fakesys-lib.sh
. "$TESTS_SRCDIR/helpers/fakesys-lib.sh"

golden=$TESTS_SRCDIR/golden
got=$TMP/got
mkdir -p "$got/help" "$got/json"
cd "$TMP" || exit 99

# json NAME CMD...: the report of a run, normalised, as got/json/NAME.json.
json() {
	local name=$1
	shift
	"$DLOADCARD" "$@" >"$TMP/raw.json" 2>"$TMP/raw.err"
	status=$?
	json_normalise <"$TMP/raw.json" >"$got/json/$name.json" ||
		echo "not JSON: $(cat "$TMP/raw.json")" >"$got/json/$name.json"
	[ "$(jq -r .exit_code "$TMP/raw.json" 2>/dev/null)" = "$status" ]
	ok $? "$name: the report's exit_code is the exit status ($status)"
}

for cmd in "" prepare check verify probe list batch; do
	"$DLOADCARD" $cmd --help >"$got/help/${cmd:-dloadcard}.txt"
done

make_sample UPDATE.APP 4M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
"$MKUPDATEAPP" --size 4K --output page.html --damage html

json check check --json UPDATE.APP page.html
json prepare prepare --json --yes --size 64M card.img UPDATE.APP
json prepare-source prepare --json --yes --size 64M other.img page.html
json prepare-refused prepare --json --yes missing.img UPDATE.APP
json verify verify --json card.img
json verify-missing verify --json missing.img
cp card.img probe.img
json probe probe --json --quick probe.img
json batch batch --json --yes --size 64M UPDATE.APP one.img two.img
json batch-source batch --json --yes --size 64M page.html three.img

# A system root with one card reader, whose device node does not exist:
# list says what sysfs says, and that it could not look inside.
fakesys_init root
d=root/sys/devices/virtual/block/dlcgolden0
mkdir -p "$d"
echo 259:999 >"$d/dev"
echo 15523840 >"$d/size"
echo 1 >"$d/removable"
echo 0 >"$d/ro"
ln -s ../../devices/virtual/block/dlcgolden0 root/sys/dev/block/259:999
ln -s ../../devices/virtual/block/dlcgolden0 root/sys/class/block/dlcgolden0
ln -s ../devices/virtual/block/dlcgolden0 root/sys/block/dlcgolden0
json list list --json --sysroot root
json list-columns list --json --sysroot root -o DEVICE,STATE

if [ -n "${GOLDEN_UPDATE:-}" ]; then
	mkdir -p "$golden/help" "$golden/json"
	cp "$got"/help/*.txt "$golden/help/"
	cp "$got"/json/*.json "$golden/json/"
	diag "updated $golden from this build: review it with git diff"
fi

for f in "$got"/help/*.txt "$got"/json/*.json; do
	rel=${f#"$got"/}
	diff -u "$golden/$rel" "$f" >"$TMP/diff" 2>&1
	ok $? "$rel is as tests/golden/$rel says"
	[ -s "$TMP/diff" ] && diag "$(head -n 40 "$TMP/diff")" &&
		diag "meant? regenerate with 'make update-golden', and review git diff tests/golden"
done
# Every golden file is made by this test: none is left over.
for f in "$golden"/help/*.txt "$golden"/json/*.json; do
	[ -e "$got/${f#"$golden"/}" ]; ok $? "tests/golden/${f#"$golden"/} is still made"
done

done_testing
