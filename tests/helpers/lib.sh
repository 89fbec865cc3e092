# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# Helpers for the end-to-end tests: TAP output, a private temporary folder,
# loop devices that are always detached, and small assertions.  A test
# sources this file, calls tests whose names say what users rely on, and
# ends with `done_testing`.
#
# Nothing here touches a disk of the machine: images live in $TMP, and the
# only block devices used are loop devices attached by the test itself.

set -u

DLOADCARD=${DLOADCARD:-$(pwd)/src/dloadcard}
MKUPDATEAPP=${MKUPDATEAPP:-$(pwd)/tests/tools/mkupdateapp}
TESTS_SRCDIR=${TESTS_SRCDIR:-$(dirname "${BASH_SOURCE[0]}")/..}
export MTOOLSRC=/dev/null
# The tests read the program's English words, as the golden files hold
# them: the C locale, whatever the machine's (e2e/locale.sh runs others).
export LC_ALL=C
unset LANGUAGE

_tap_n=0
_tap_failed=0

echo "TAP version 13"

ok() {	# ok CONDITION-EXIT-STATUS "description"
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $2"
	fi
}

skip() {	# skip "description" "reason"
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

diag() {
	sed 's/^/# /' <<<"$*"
}

# Run a command, keeping its stdout, stderr and exit status for assertions.
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	status=$?
	out=$(cat "$TMP/out")
	errout=$(cat "$TMP/err")
	return 0
}

# is_status EXPECTED "description": the last run's exit status.
is_status() {
	local rc=0
	[ "$status" -eq "$1" ] || rc=1
	ok $rc "$2 (exit $status, expected $1)"
	if [ $rc -ne 0 ]; then
		diag "stdout: $out"
		diag "stderr: $errout"
	fi
}

# like TEXT REGEX "description"
like() {
	local rc=0
	grep -Eq -- "$2" <<<"$1" || rc=1
	ok $rc "$3"
	[ $rc -eq 0 ] || diag "no match for /$2/ in: $1"
}

# A JSON report on stdin without what changes from run to run (times,
# durations, the test's own paths, the probe's random places, mtools'
# version in the boot sector), for golden.sh and locale.sh.
json_normalise() {
	jq --arg tmp "$TMP/" '
		walk(if type == "string" then split($tmp) | join("") else . end)
		| walk(if type == "string" then
			gsub("MTOO[0-9]+"; "MTOOnnnn")
			| gsub("\\([0-9]+ places checked\\)"; "(N places checked)")
		  else . end)
		| walk(if type == "object" then
			with_entries(
				if (.key | test("^(seconds|time|started)$")) and .value != null
				then .value = (if (.value | type) == "object"
					then (.value | map_values(0)) else "VOLATILE" end)
				elif (.key | test("^(samples|blocks_written|blocks_read)$"))
				then .value = 0
				else . end)
		  else . end)'
}

# openssl is about five times faster than coreutils' sha256sum here.
sha256_of() {
	openssl dgst -sha256 -r "$1" | cut -d' ' -f1
}

# verify on an image: its exit status, a line of its report, and the image
# unchanged (verify never writes).  verify.sh, verify-sets.sh.
verified() {	# verified IMAGE EXIT REGEX "description" [verify options]
	local img=$1 code=$2 regex=$3 what=$4 before
	shift 4
	before=$(sha256_of "$img")
	run "$DLOADCARD" verify "$@" "$img"
	is_status "$code" "$what"
	like "$out" "$regex" "$what: $regex"
	[ "$(sha256_of "$img")" = "$before" ]; ok $? "$what: the card is unchanged"
}

# A loop device on FILE (extra losetup options may follow), detached at exit.
# Tests call it as dev=$(attach_loop ...), a subshell: the list of devices
# to detach is kept in a file, not in a variable that would be lost.
attach_loop() {
	local dev
	dev=$(losetup -f --show "$@") || return 1
	echo "$dev" >>"$TMP/.loops"
	echo "$dev"
}

detach_loop() {
	losetup -d "$1" 2>/dev/null
	return 0
}

_cleanup() {
	local d
	if [ -n "${TMP:-}" ] && [ -f "$TMP/.loops" ]; then
		while read -r d; do
			# Only if it is still ours: the number may have been reused.
			losetup -l -n -O BACK-FILE "$d" 2>/dev/null | grep -q "^$TMP/" &&
				losetup -d "$d" 2>/dev/null
		done <"$TMP/.loops"
	fi
	declare -F cardsim_cleanup >/dev/null && cardsim_cleanup
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dloadcard-test.XXXXXX") || exit 99
trap _cleanup EXIT
trap 'exit 130' INT TERM

# Can this machine attach loop devices (root, /dev/loop-control)?
have_loop() {
	[ "$(id -u)" -eq 0 ] && [ -e /dev/loop-control ] && losetup -f >/dev/null 2>&1
}

# A sample UPDATE.APP of about SIZE (mkupdateapp's own size syntax).
make_sample() {	# make_sample PATH SIZE [extra mkupdateapp options]
	local path=$1 size=$2
	shift 2
	"$MKUPDATEAPP" --size "$size" --output "$path" "$@"
}

# The partition's offset in bytes, from sfdisk's view of an image or disk.
part_offset() {
	sfdisk -J "$1" | jq '.partitiontable.partitions[0].start * 512'
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
	exit $?
}
