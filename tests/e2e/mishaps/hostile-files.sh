#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sources that are not what they seem, or do not hold still: a FIFO, a
# directory or a device given as UPDATE.APP; a file that shrinks or is
# rewritten while dloadcard reads it (during check, during prepare's copy,
# during its read-back); a stored zip member whose CRC-32 is wrong.  Each
# gets its own one-line error and exit status, nothing hangs, nothing
# crashes, the card never looks ready, and a refusal leaves the card and
# the source byte for byte as they were.
. "${TESTS_SRCDIR:-$(dirname "$0")/../..}/helpers/lib.sh"
# shellcheck source=tests/helpers/cardsim-lib.sh
. "$TESTS_SRCDIR/helpers/cardsim-lib.sh"
# shellcheck source=tests/helpers/patch-lib.sh
. "$TESTS_SRCDIR/helpers/patch-lib.sh"

MiB=$((1 << 20))
src=$TMP/UPDATE.APP
make_sample "$src" 16M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
src_sha=$(sha256_of "$src")
img=$TMP/card.img
truncate -s 64M "$img"
printf 'label: dos\nstart=8192, type=c\n' | sfdisk -q "$img" >/dev/null 2>&1

# A command that would hang is stopped: 124 is timeout's status.
run_limited() {
	run timeout 20 "$DLOADCARD" "$@"
}

# refused_source EXIT REGEX "what" SOURCE: check, prepare and verify
# --against refuse it with the same words; the card is unchanged.
refused_source() {
	local code=$1 regex=$2 what=$3 source=$4 before
	before=$(sha256_of "$img")
	run_limited check "$source"
	is_status "$code" "check $what"
	like "$out" "Verdict: not checked: $regex" "check $what: names the file and what it is"
	run_limited prepare --yes "$img" "$source"
	is_status "$code" "prepare $what"
	like "$errout" "dloadcard: $regex" "prepare $what: names the file and what it is"
	like "$errout" "Nothing was written to the card" "prepare $what: says the card is untouched"
	run_limited prepare --yes --size 64M "$TMP/new.img" "$source"
	is_status "$code" "prepare --size $what"
	[ ! -e "$TMP/new.img" ]; ok $? "prepare --size $what: no image is created"
	run_limited verify --against "$source" "$img"
	is_status "$code" "verify --against $what"
	like "$errout" "dloadcard: --against: $regex" "verify --against $what: names it"
	[ "$(sha256_of "$img")" = "$before" ]; ok $? "$what: the card is unchanged"
}

# --- Not a file -------------------------------------------------------------------

mkfifo "$TMP/fifo.APP"
refused_source 5 "$TMP/fifo.APP is a FIFO \(a named pipe\), not a file" "a FIFO" "$TMP/fifo.APP"
mkdir "$TMP/dir.APP"
refused_source 5 "$TMP/dir.APP is a directory, not a file" "a directory" "$TMP/dir.APP"
refused_source 5 "/dev/null is a character device, not a file" "a character device" /dev/null
if have_loop; then
	dev=$(attach_loop -r "$src")
	refused_source 5 "$dev is a block device \(a disk\), not a file" "a block device" "$dev"
	detach_loop "$dev"
else
	skip "a block device as the source" "no loop devices here (needs root)"
fi
run_limited verify --json --against "$TMP/fifo.APP" "$img"
[ "$(jq -r .exit_code <<<"$out")" = 5 ]; ok $? "verify --json --against a FIFO: the error as JSON"
[ "$(sha256_of "$src")" = "$src_sha" ]; ok $? "the source is unchanged"

# --- A card that is not there ---------------------------------------------------------

for cmd in verify probe; do
	run "$DLOADCARD" "$cmd" --json "$TMP/missing.img"
	[ "$(jq -r .exit_code <<<"$out" 2>/dev/null)" = "$status" ] && [ "$status" -ne 0 ]
	ok $? "$cmd --json, no such card: a JSON error object with the exit status ($status)"
	like "$(jq -r .error <<<"$out" 2>/dev/null)" "missing.img does not exist: give a card" \
		"$cmd --json, no such card: the error names it"
	[ ! -e "$TMP/missing.img" ]; ok $? "$cmd, no such card: nothing is created"
done
run "$DLOADCARD" verify "$TMP/missing.img"
like "$errout" "missing.img does not exist" "verify, no such card: says so"
! grep -q -- "--size" <<<"$errout"; ok $? "verify, no such card: no --size, which verify does not have"

# --- A stored zip member with a wrong CRC-32 -----------------------------------------

zip=$TMP/fw.zip
make_sample "$zip" 2M --zip Firmware/dload/UPDATE.APP || { echo "Bail out! no zip"; exit 1; }
run "$DLOADCARD" check "$zip"
is_status 0 "a good stored zip is valid"
cd_off=$(grep -obUaP 'PK\x01\x02' "$zip" | head -n 1 | cut -d: -f1)
[ "$(le32_at "$zip" 14)" = "$(le32_at "$zip" $((cd_off + 16)))" ]
ok $? "the zip's local header and central directory hold the same CRC-32"
flip_byte "$zip" 14		# the local header's CRC-32
flip_byte "$zip" $((cd_off + 16))	# the central directory's
zip_sha=$(sha256_of "$zip")
before=$(sha256_of "$img")
run "$DLOADCARD" check "$zip"
is_status 4 "a stored member with a wrong CRC-32 is damaged"
like "$out" "ZIP bad CRC.*the zip is damaged" "check: says the CRC is wrong"
run "$DLOADCARD" prepare --yes "$img" "$zip"
is_status 4 "prepare refuses a stored member with a wrong CRC-32"
like "$errout" "Nothing was written to the card" "prepare: the card is untouched"
[ "$(sha256_of "$img")" = "$before" ]; ok $? "bad CRC: the card is byte for byte as it was"
[ "$(sha256_of "$zip")" = "$zip_sha" ]; ok $? "bad CRC: the zip is unchanged"

# --- Shrinking while check reads it ---------------------------------------------------

# A sparse file of 2 GiB takes a second or so to check; it is cut to 1 MiB
# once 32 MiB were read (/proc/PID/io), or after 0.2 s: a reader that maps
# the file instead is not counted there.
big=$TMP/big.APP
truncate -s 2G "$big"
"$DLOADCARD" check "$big" >"$TMP/out" 2>"$TMP/err" &
pid=$!
t0=$(date +%s%N)
while kill -0 "$pid" 2>/dev/null; do
	rchar=$(awk '$1 == "rchar:" { print $2 }' "/proc/$pid/io" 2>/dev/null)
	if [ "${rchar:-0}" -gt $((32 * MiB)) ] || [ $(($(date +%s%N) - t0)) -gt 200000000 ]; then
		truncate -s 1M "$big"
		break
	fi
	sleep 0.01
done
wait "$pid"
status=$?
out=$(cat "$TMP/out")
if [ "$status" -eq 5 ] && grep -q "All 2147483648 bytes" <<<"$out"; then
	skip "a file shrinking during check" "the check ended before the file could be cut"
else
	is_status 4 "a file shrinking during check: the error of a changed source, no crash"
	like "$out" "$big changed while dloadcard was using it \((it shrank from 2147483648 to 1048576 bytes|its size changed)\)" \
		"shrinking during check: says the file changed, and how"
fi
rm -f "$big"

# --- Shrinking or rewritten during prepare's copy and read-back ------------------------

if ! why=$(cardsim_usable); then
	skip "a source changing during prepare" "$why"
	done_testing
fi

# Where prepare puts the file on a 256 MiB card: learned from a good run.
cardsim_start "$TMP/good" --size 256M || { echo "Bail out! cardsim does not start"; exit 1; }
run "$DLOADCARD" prepare --yes --no-probe --json "$CARD" "$src"
is_status 0 "a good simulated card is prepared"
file_off=$(jq -r .layout.file_offset <<<"$out")
cardsim_stop "$TMP/good"

# wait_stalls N: until the card has stalled N times (each stall lasts 3 s).
wait_stalls() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(cardsim_stat stalls)" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# changed_during WHAT STALL-AT STALLS ACTION: prepare a simulated card that
# stalls at STALL-AT; at its STALLS-th stall, ACTION changes the source.
changed_during() {
	local what=$1 at=$2 stalls=$3 action=$4 pid
	shift 4
	cp "$src" "$TMP/changing.APP"
	cardsim_start "$TMP/$what" --size 256M --stall-at "$at" --stall-every --stall-seconds 3 ||
		{ echo "Bail out! cardsim does not start"; exit 1; }
	"$DLOADCARD" prepare --yes --no-probe "$CARD" "$TMP/changing.APP" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	if wait_stalls "$stalls"; then
		$action "$TMP/changing.APP"
	else
		diag "the card never stalled $stalls times"
	fi
	wait "$pid"
	status=$?
	out=$(cat "$TMP/out")
	errout=$(cat "$TMP/err")
}

# The card never looks ready, and no UPDATE.TMP is left.
not_ready() {	# not_ready what
	run "$DLOADCARD" verify --quick --json "$CARD"
	is_status 21 "$1: verify says it is not a dload card"
	[ "$(jq -r .file <<<"$out")" = null ]; ok $? "$1: the card carries no UPDATE.APP"
	! grep -q UPDATE.TMP <<<"$out"; ok $? "$1: no dload/UPDATE.TMP is left either"
}

# The actions run through changed_during, which shellcheck cannot follow.
# shellcheck disable=SC2317
shrink() { truncate -s 1M "$1"; }
# shellcheck disable=SC2317
rewrite_byte() { flip_byte "$1" $((15 * MiB + 1000)); }

# The 5th MiB of the file stalls while written: the copy has read 4 MiB
# ahead and reads the rest once the card moves again.
changed_during copy $((file_off + 4 * MiB)) 1 shrink
is_status 4 "the source shrinks during the copy: the error of a changed source"
like "$errout" "changing.APP changed while dloadcard was using it \(it shrank from $((16 * MiB)) to $MiB bytes\), while it was copied to the card" \
	"shrinking during the copy: says the file changed, and how"
like "$errout" "State: the card has no UPDATE.APP" "shrinking during the copy: names the card's state"
not_ready "shrinking during the copy"
cardsim_stop

# The last sector of the file stalls twice: written, then read back.
last=$((file_off + 16 * MiB - 512))
changed_during readback-shrink "$last" 2 shrink
is_status 4 "the source shrinks during the read-back: the error of a changed source"
like "$errout" "changing.APP changed while dloadcard was using it \(it shrank from $((16 * MiB)) to $MiB bytes\), while the card's copy was compared with it" \
	"shrinking during the read-back: says the file changed"
like "$errout" "State: the card has no UPDATE.APP" "shrinking during the read-back: names the card's state"
not_ready "shrinking during the read-back"
cardsim_stop

changed_during readback-rewrite "$last" 2 rewrite_byte
is_status 4 "the source rewritten during the read-back: a changed source, not a faulty card"
like "$errout" "changing.APP changed while dloadcard was using it \(it was modified\), while the card's copy was compared with it" \
	"rewritten during the read-back: says the file changed"
! grep -q "other bytes\|faulty" <<<"$errout"; ok $? "rewritten during the read-back: the card is not blamed"
not_ready "rewritten during the read-back"
cardsim_stop

[ "$(sha256_of "$src")" = "$src_sha" ]; ok $? "the original source is byte for byte as it was"

done_testing
