#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# cardsim-selftest: every fault of cardsim (tests/tools/cardsim.c), end to end,
# through dd with O_DIRECT, mtools and loop devices.  TAP on stdout.
#
# Needs root (FUSE mounts, loop devices) and /dev/fuse; skips without them.
# Works only in lib.sh's temporary directory ($TMP, under ${TMPDIR:-/tmp},
# removed at exit with every card and loop device); never on a disk.

# The helpers below run through check(), which shellcheck cannot follow.
# shellcheck disable=SC2317
# shellcheck source=tests/helpers/lib.sh
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"
# shellcheck source=tests/helpers/cardsim-lib.sh
. "$TESTS_SRCDIR/helpers/cardsim-lib.sh"

MiB=1048576
T=$TMP

# check DESCRIPTION COMMAND...: one test line from a command's status.
check() {
	local what=$1
	shift
	"$@"
	ok $? "$what"
}

# show FILE: a file's lines as TAP comments.
show() { sed 's/^/# /' "$1"; }

if ! why=$(cardsim_usable); then
	echo "1..0 # SKIP $why"
	exit 0
fi
loop_ok=0
have_loop && loop_ok=1

export MTOOLS_SKIP_CHECK=1

# Test data: A, B and C are 1 MiB of random bytes each.
for f in A B C; do
	head -c $MiB /dev/urandom >"$T/$f"
done
head -c $MiB /dev/zero >"$T/zero"

# put FILE TARGET OFFSET: write FILE at byte OFFSET with O_DIRECT.
put() {
	dd if="$1" of="$2" bs=64K seek="$3" oflag=direct,seek_bytes \
		conv=notrunc status=none
}

# get SOURCE OFFSET LENGTH OUT: read LENGTH bytes at OFFSET with O_DIRECT.
get() {
	dd if="$1" of="$4" bs=64K skip="$2" count="$3" \
		iflag=direct,skip_bytes,count_bytes status=none
}

# raw FILE OFFSET LENGTH OUT: the same from a plain file (the backing store).
raw() {
	dd if="$1" of="$4" bs=64K skip="$2" count="$3" \
		iflag=skip_bytes,count_bytes status=none
}

# same A B: the files are equal.
same() { cmp -s "$1" "$2"; }

# not COMMAND...: the command fails.
not() { ! "$@"; }

mounted() { _cardsim_mounted "$@"; }

# fails_with MESSAGE COMMAND...: the command fails and says MESSAGE.
fails_with() {
	local msg=$1
	shift
	if "$@" 2>"$T/err"; then
		return 1
	fi
	grep -q "$msg" "$T/err" || { show "$T/err"; return 1; }
}

now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }

# between LOW HIGH START END: LOW <= END - START <= HIGH (seconds).
between() {
	awk -v lo="$1" -v hi="$2" -v s="$3" -v e="$4" \
		'BEGIN { d = e - s; printf "# took %.2f s\n", d; exit !(d >= lo && d <= hi) }'
}

# The number of bytes that differ, each in bit 0 only, or -1.
xor1_bytes() {
	cmp -l "$1" "$2" | awk '
		function dec(o,  i, v) {
			for (i = 1; i <= length(o); i++)
				v = v * 8 + substr(o, i, 1)
			return v
		}
		{ a = dec($2); b = dec($3); n++ }
		a - a % 2 != b - b % 2 { bad = 1 }
		END { print bad ? -1 : n + 0 }'
}

# start NAME OPTIONS...: a card in $T/NAME; a card that does not start ends
# the run (its log is on stderr).
start() {
	local name=$1
	shift
	cardsim_start "$T/$name" "$@" || {
		echo "Bail out! cardsim $* does not start"
		exit 1
	}
}

# ---- a good card -----------------------------------------------------------

start good --size 64M
check "good: the announced size is reported" \
	test "$(stat -c %s "$CARD")" = $((64 * MiB))
put "$T/A" "$CARD" $((8 * MiB)) && get "$CARD" $((8 * MiB)) $MiB "$T/out"
check "good: O_DIRECT write and read back" same "$T/A" "$T/out"
before=$(cardsim_stat bytes_read)
get "$CARD" $((8 * MiB)) $MiB "$T/out"
after=$(cardsim_stat bytes_read)
check "good: an O_DIRECT read reaches the card ($before -> $after bytes)" \
	test "$((after - before))" = $MiB
dd if="$T/B" of="$CARD" bs=1M seek=9 oflag=direct conv=notrunc status=none
dd if="$CARD" of=/dev/null bs=1M count=4 iflag=direct status=none
check "good: 1 MiB requests reach the daemon whole" \
	test "$(cardsim_stat largest_read) $(cardsim_stat largest_write)" = "$MiB $MiB"
mformat -i "$CARD" -F -T $((64 * 2048)) -h 64 -s 32 -v CARDSIM :: 2>"$T/err" &&
	mcopy -i "$CARD" "$T/C" ::/C.BIN 2>>"$T/err" &&
	mcopy -i "$CARD" ::/C.BIN "$T/out" 2>>"$T/err" &&
	echo hello | mcopy -i "$CARD" - ::/HELLO.TXT 2>>"$T/err"
check "good: mformat and mcopy round trip" same "$T/C" "$T/out"
check "good: mtype reads a file back" \
	test "$(mtype -i "$CARD" ::/HELLO.TXT 2>>"$T/err")" = hello
check "good: truncate is refused" fails_with "Invalid argument" truncate -s 1M "$CARD"
check "good: the size stays" test "$(stat -c %s "$CARD")" = $((64 * MiB))
check "good: an open with O_TRUNC is refused" \
	fails_with "Invalid argument" dd if="$T/A" of="$CARD" bs=4K count=1 status=none
check "good: writing past the end fails with ENOSPC" \
	fails_with "No space left" put "$T/A" "$CARD" $((64 * MiB))
get "$CARD" $((64 * MiB)) 4096 "$T/out"
check "good: reading at the end returns nothing" test ! -s "$T/out"
check "good: an O_DIRECT read of part of a sector fails with EINVAL" \
	fails_with "Invalid argument" dd if="$CARD" of=/dev/null bs=100 count=1 \
	iflag=direct status=none
check "good: so does an O_DIRECT write at an odd offset" \
	fails_with "Invalid argument" put "$T/A" "$CARD" 100
check "good: fsync succeeds" \
	dd if="$T/A" of="$CARD" bs=1M oflag=direct conv=notrunc,fsync status=none
check "good: fsync reached the daemon" test "$(cardsim_stat fsync_calls)" -ge 1

if [ $loop_ok = 1 ] && cardsim_loop 2>"$T/err"; then
	check "loop: attached with direct I/O (LOOP_DIO=$LOOP_DIO)" test "$LOOP_DIO" = 1
	put "$T/B" "$LOOPDEV" $((16 * MiB)) && get "$CARD" $((16 * MiB)) $MiB "$T/out"
	check "loop: an O_DIRECT write through the loop reaches the card" same "$T/B" "$T/out"
	put "$T/C" "$CARD" $((17 * MiB)) && get "$LOOPDEV" $((17 * MiB)) $MiB "$T/out"
	check "loop: an O_DIRECT read through the loop comes from the card" same "$T/C" "$T/out"
	check "loop: detached" cardsim_unloop
else
	show "$T/err"
	for what in "direct I/O" write read detach; do
		skip "loop: $what" "no loop device"
	done
fi

pid=$CARDSIM_PID dir=$CARDSIM_DIR
kill -TERM "$pid"
wait "$pid"
rc=$?
check "stop: SIGTERM ends the daemon with status 0 (got $rc)" test $rc = 0
check "stop: the mount is gone" not mounted "$dir/mnt"
check "stop: the ready file is removed" test ! -e "$dir/ready"
check "stop: the daemon printed nothing" test ! -s "$dir/cardsim.log"
show "$dir/cardsim.log"
cardsim_stop

# ---- fake capacity -----------------------------------------------------------

# A 64 GiB card with 4 GiB real: a sparse backing file, cheap on disk.
G4=$((4096 * MiB))
start wrap --size 64G --real 4G --fake wrap --backing "$T/wrap.img"
check "wrap: a 64 GiB card is announced" test "$(stat -c %s "$CARD")" = $((65536 * MiB))
check "wrap: the backing file is 4 GiB" test "$(stat -c %s "$T/wrap.img")" = $G4
check "wrap: and sparse (under 1 MiB on disk)" \
	test "$(du -k "$T/wrap.img" | cut -f1)" -lt 1024
put "$T/A" "$CARD" $((G4 + 4 * MiB)) && get "$CARD" $((4 * MiB)) $MiB "$T/out"
check "wrap: data written at real+X reads back at X" same "$T/A" "$T/out"
get "$CARD" $((13 * G4 + 4 * MiB)) $MiB "$T/out"
check "wrap: and at 13*real+X" same "$T/A" "$T/out"
check "wrap: the wrapped bytes are counted" test "$(cardsim_stat wrapped_bytes)" = $MiB
cardsim_stop

R16=$((16 * MiB))
start dropzero --size 64M --real 16M --fake drop-zero
put "$T/A" "$CARD" $((R16 + 4 * MiB)) &&
	get "$CARD" $((R16 + 4 * MiB)) $MiB "$T/out"
check "drop-zero: a write beyond the real part reads back as zeros" same "$T/zero" "$T/out"
put "$T/B" "$CARD" $((R16 - MiB)) && get "$CARD" $((R16 - MiB)) $MiB "$T/out"
check "drop-zero: the last real MiB keeps its data" same "$T/B" "$T/out"
put "$T/C" "$CARD" $((R16 - MiB / 2)) && get "$CARD" $((R16 - MiB / 2)) $MiB "$T/out"
head -c $((MiB / 2)) "$T/C" >"$T/want" && head -c $((MiB / 2)) "$T/zero" >>"$T/want"
check "drop-zero: a write across the limit keeps its real half only" same "$T/want" "$T/out"
check "drop-zero: the dropped bytes are counted" \
	test "$(cardsim_stat dropped_bytes)" = $((MiB + MiB / 2))
cardsim_stop

start stale --size 64M --real 16M --fake drop-stale
put "$T/A" "$CARD" $((R16 + 4 * MiB)) &&
	get "$CARD" $((R16 + 4 * MiB)) $MiB "$T/out" &&
	get "$CARD" $((R16 + 4 * MiB)) $MiB "$T/out2"
check "drop-stale: a write beyond does not read back" not same "$T/A" "$T/out"
check "drop-stale: nor as zeros" not same "$T/zero" "$T/out"
check "drop-stale: the stale data is the same on every read" same "$T/out" "$T/out2"
cardsim_stop

# ---- bit flips ---------------------------------------------------------------

start flipr --size 64M --flip-read $((MiB + 4096)):4096 --backing "$T/flipr.img"
put "$T/A" "$CARD" $MiB && get "$CARD" $MiB $MiB "$T/out"
check "flip-read: 4096 bytes read back with bit 0 flipped" \
	test "$(xor1_bytes "$T/A" "$T/out")" = 4096
raw "$T/flipr.img" $MiB $MiB "$T/out"
check "flip-read: the stored data is intact" same "$T/A" "$T/out"
put "$T/B" "$CARD" $((3 * MiB)) && get "$CARD" $((3 * MiB)) $MiB "$T/out"
check "flip-read: reads elsewhere are intact" same "$T/B" "$T/out"
cardsim_stop

start flipw --size 64M --flip-write $((MiB + 100)):3 --backing "$T/flipw.img"
put "$T/A" "$CARD" $MiB && raw "$T/flipw.img" $MiB $MiB "$T/out"
check "flip-write: 3 bytes are stored with bit 0 flipped" \
	test "$(xor1_bytes "$T/A" "$T/out")" = 3
get "$CARD" $MiB $MiB "$T/out2"
check "flip-write: and read back so" same "$T/out" "$T/out2"
put "$T/B" "$CARD" $((3 * MiB)) && get "$CARD" $((3 * MiB)) $MiB "$T/out"
check "flip-write: writes elsewhere are intact" same "$T/B" "$T/out"
check "flip-write: the hit is counted" test "$(cardsim_stat flip_write)" = 1
cardsim_stop

# ---- I/O errors --------------------------------------------------------------

start eio --size 64M --eio-write $((2 * MiB + 512)) --eio-read $((6 * MiB)):4096
check "eio-write: a write touching the offset fails with EIO" \
	fails_with "Input/output error" put "$T/A" "$CARD" $((2 * MiB))
check "eio-write: a write next to it succeeds" \
	put "$T/A" "$CARD" $((3 * MiB))
check "eio-write: reads there succeed" get "$CARD" $((2 * MiB)) $MiB "$T/out"
check "eio-read: writing the bad read spot succeeds" put "$T/B" "$CARD" $((6 * MiB))
check "eio-read: a read touching the offset fails with EIO" \
	fails_with "Input/output error" get "$CARD" $((6 * MiB + 3584)) 512 "$T/out"
get "$CARD" $((6 * MiB + 4096)) $((MiB - 4096)) "$T/out"
tail -c $((MiB - 4096)) "$T/B" >"$T/want"
check "eio-read: a read next to it succeeds" same "$T/want" "$T/out"
check "eio: the hits are counted" \
	test "$(cardsim_stat eio_write) $(cardsim_stat eio_read)" = "1 1"
cardsim_stop

# ---- unplugged ---------------------------------------------------------------

start vanish --size 64M --vanish-after 3M --vanish-count write
exec 3<"$CARD"
check "vanish: the first 2 MiB are written" \
	dd if=/dev/zero of="$CARD" bs=1M count=2 oflag=direct conv=notrunc status=none
check "vanish: the write across 3 MiB fails with ENODEV" \
	fails_with "No such device" dd if=/dev/zero of="$CARD" bs=1M count=2 seek=2 \
	oflag=direct conv=notrunc status=none
check "vanish: exactly 3 MiB were stored" test "$(cardsim_stat bytes_written)" = $((3 * MiB))
check "vanish: a new open fails with ENODEV" \
	fails_with "No such device" get "$CARD" 0 4096 "$T/out"
check "vanish: a descriptor opened before fails to read" \
	fails_with "No such device" dd of=/dev/null bs=4K count=1 iflag=direct status=none <&3
exec 3<&-
check "vanish: the card still has its size" test "$(stat -c %s "$CARD")" = $((64 * MiB))
check "vanish: the stats say vanished" test "$(cardsim_stat vanished)" = true
cardsim_stop

start vanish2 --size 64M --vanish-after 1M --vanish-errno EIO
get "$CARD" 0 $MiB "$T/out" 2>/dev/null   # close() fails: the card is gone
check "vanish EIO: reads count too; the next read fails with EIO" \
	fails_with "Input/output error" get "$CARD" 0 4096 "$T/out"
cardsim_stop

# ---- stalls --------------------------------------------------------------------

start stall --size 64M --stall-at $((2 * MiB)) --stall-seconds 2
t0=$(now); get "$CARD" $((4 * MiB)) 4096 "$T/out"; t1=$(now)
check "stall: a read elsewhere is quick" between 0 1 "$t0" "$t1"
t0=$(now); get "$CARD" $((2 * MiB)) 4096 "$T/out"; t1=$(now)
check "stall: a read at the offset takes 2 s" between 1.5 6 "$t0" "$t1"
t0=$(now); get "$CARD" $((2 * MiB)) 4096 "$T/out"; t1=$(now)
check "stall: only once by default" between 0 1 "$t0" "$t1"
cardsim_stop

start stall2 --size 64M --stall-at 0 --stall-seconds 0.4 --stall-every
t0=$(now); get "$CARD" 0 4096 "$T/out"; get "$CARD" 0 4096 "$T/out"; t1=$(now)
check "stall: --stall-every stalls each time (2 x 0.4 s)" between 0.7 4 "$t0" "$t1"
cardsim_stop

# ---- throttling ----------------------------------------------------------------

start speed --size 64M --write-speed 10 --read-speed 40
t0=$(now)
dd if=/dev/zero of="$CARD" bs=1M count=20 oflag=direct conv=notrunc status=none
t1=$(now)
check "throttle: 20 MiB written at 10 MB/s in about 2.1 s" between 1.9 5 "$t0" "$t1"
t0=$(now)
dd if="$CARD" of=/dev/null bs=1M count=20 iflag=direct status=none
t1=$(now)
check "throttle: 20 MiB read at 40 MB/s in about 0.5 s" between 0.45 2 "$t0" "$t1"
cardsim_stop

# ---- lock switch ---------------------------------------------------------------

cp "$T/A" "$T/ro.img"
start ro --size 1M --read-only --backing "$T/ro.img"
check "read-only: opening for writing fails with EROFS" \
	fails_with "Read-only file system" put "$T/B" "$CARD" 0
get "$CARD" 0 $MiB "$T/out"
check "read-only: reads work" same "$T/A" "$T/out"
if [ $loop_ok = 1 ] && cardsim_loop "$CARD" 2>"$T/err"; then
	check "read-only: the loop device is read-only" \
		test "$(blockdev --getro "$LOOPDEV")" = 1
	cardsim_unloop
else
	skip "read-only: the loop device is read-only" "no loop device"
fi
check "read-only: the backing file is untouched" same "$T/A" "$T/ro.img"
cardsim_stop

# ---- fusermount3 -u ------------------------------------------------------------

start fu --size 1M
pid=$CARDSIM_PID
fusermount3 -u "$CARDSIM_DIR/mnt"
wait "$pid"
rc=$?
check "fusermount3 -u: the daemon exits with status 0 (got $rc)" test $rc = 0
cardsim_stop

cat "$T"/*/cardsim.log >"$T/logs"
check "no daemon wrote anything on stderr" test ! -s "$T/logs"
show "$T/logs"

done_testing
