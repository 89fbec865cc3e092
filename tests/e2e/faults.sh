#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Every way a card fails, on the faulty-card simulator: each has its own
# diagnosis and exit code, nothing hangs, and a card that failed never
# carries dload/UPDATE.APP.  Interruptions: tests/mishaps/interrupt.sh.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"
. "$TESTS_SRCDIR/helpers/cardsim-lib.sh"

if ! why=$(cardsim_usable); then
	echo "1..0 # SKIP $why"
	exit 0
fi

src=$TMP/UPDATE.APP
make_sample "$src" 24M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
MiB=$((1 << 20))

# Where prepare puts the file on a 256 MiB card: learned from a good run.
cardsim_start "$TMP/good" --size 256M || { echo "Bail out! cardsim does not start"; exit 1; }
run "$DLOADCARD" prepare --yes --json "$CARD" "$src"
is_status 0 "a good simulated card is prepared"
file_off=$(jq -r .layout.file_offset <<<"$out")
[ "$file_off" -gt 0 ] && [ $((file_off % (4 * MiB))) -eq 0 ]
ok $? "the file starts on a 4 MiB boundary (at $((file_off / MiB)) MiB)"
cardsim_stop "$TMP/good"

# no_update_app CARD what: verify finds no UPDATE.APP and no leftover.
no_update_app() {
	run "$DLOADCARD" verify --quick --json "$1"
	is_status 21 "$2: verify says it is not a dload card"
	[ "$(jq -r .file <<<"$out")" = null ]; ok $? "$2: the card carries no UPDATE.APP"
	! grep -q UPDATE.TMP <<<"$out"; ok $? "$2: no temporary file is left either"
}

at=$((file_off + 8 * MiB))

cardsim_start "$TMP/w" --size 256M --eio-write "$at"
run "$DLOADCARD" prepare --yes "$CARD" "$src"
is_status 7 "write error"
like "$errout" "the card failed while writing at $((at / MiB)) MiB" "write error: says where, in MiB"
like "$errout" "use another card" "write error: says what to do"
no_update_app "$CARD" "write error"
cardsim_stop "$TMP/w"

cardsim_start "$TMP/r" --size 256M --eio-read "$at"
run "$DLOADCARD" prepare --yes "$CARD" "$src"
is_status 8 "read error during the read-back"
like "$errout" "the card failed while reading at $((at / MiB)) MiB" "read error: says where"
cardsim_stop "$TMP/r"

# Reads come back flipped while the stored data is right: only a read
# that reaches the card sees it.
cardsim_start "$TMP/f" --size 256M --flip-read "$((at + 100)):3"
run "$DLOADCARD" prepare --yes --json "$CARD" "$src"
is_status 9 "bits flipped on read: read-back mismatch"
like "$(jq -r .error <<<"$out")" "3 bytes differ in 1 range, the first at byte $((8 * MiB + 100)) of UPDATE.APP \(card offset $((at + 100))" \
	"mismatch: which bytes of UPDATE.APP, and where on the card"
like "$(jq -r .advice <<<"$out")" "faulty or fake.*another reader" "mismatch: what it means, what to do"
[ "$(jq -r '.differences[0].file_offset' <<<"$out")" = $((8 * MiB + 100)) ]
ok $? "mismatch: --json lists the differing range"
[ "$(jq -r .card.verified <<<"$out")" = false ]; ok $? "mismatch: not verified"
no_update_app "$CARD" "read-back mismatch"
cardsim_stop "$TMP/f"

cardsim_start "$TMP/fw" --size 256M --flip-write "$((at + 4096)):1"
run "$DLOADCARD" prepare --yes "$CARD" "$src"
is_status 9 "bits flipped on write: read-back mismatch"
like "$errout" "1 bytes differ in 1 range, the first at byte $((8 * MiB + 4096)) of UPDATE.APP" \
	"flip on write: the byte named"
no_update_app "$CARD" "flip on write"
cardsim_stop "$TMP/fw"

for e in ENODEV EIO; do
	cardsim_start "$TMP/v$e" --size 256M --vanish-after $((file_off + 6 * MiB)) --vanish-errno "$e"
	run "$DLOADCARD" prepare --yes "$CARD" "$src"
	is_status 11 "the card vanishes while writing ($e)"
	like "$errout" "the card went away .*unplugged, or the reader reset" "vanished ($e): named as such"
	[ "$(grep -c 'dloadcard:' <<<"$errout")" -eq 1 ]; ok $? "vanished ($e): one error, no cascade"
	cardsim_stop "$TMP/v$e"
done

cardsim_start "$TMP/s" --size 256M --stall-at "$at" --stall-seconds 120
t0=$(date +%s)
run "$DLOADCARD" prepare --yes --stall-timeout 3 "$CARD" "$src"
t1=$(date +%s)
is_status 12 "a card that stops answering"
like "$errout" "$CARD stopped responding: no progress for [0-9]+ s during write" "stall: names the device and the phase"
[ $((t1 - t0)) -lt 20 ]; ok $? "stall: the command returns in $((t1 - t0)) s, long before the card would"
cardsim_stop "$TMP/s"

# The read-back reads the card: a card whose reads flip bits is caught by
# verify too, once the good data is on it.
cardsim_start "$TMP/vf" --size 256M --backing "$TMP/vf.img"
run "$DLOADCARD" prepare --yes "$CARD" "$src"
is_status 0 "a card for verify is prepared"
cardsim_stop "$TMP/vf"
cardsim_start "$TMP/vf" --size 256M --backing "$TMP/vf.img" --flip-read "$((at + 7)):1"
run "$DLOADCARD" verify "$CARD"
is_status 22 "verify: a card that flips bits on read has damaged content"
like "$out" "FAIL +container +UPDATE.APP on the card is damaged" "verify: the container check fails"
blk=$(sed -n 's/.*FAIL *container.*(card offset \([0-9]*\)).*/\1/p' <<<"$out")
[ -n "$blk" ] && [ "$blk" -le $((at + 7)) ] && [ $((at + 7 - blk)) -lt 4096 ]
ok $? "verify: the damaged 4 KiB block is located on the card (at ${blk:-?})"
run "$DLOADCARD" verify --against "$src" "$CARD"
is_status 22 "verify --against: damaged"
like "$out" "the first at byte $((8 * MiB + 7)) of UPDATE.APP \(card offset $((at + 7))\)" \
	"verify --against: the exact byte, in the file and on the card"
cardsim_stop "$TMP/vf"

done_testing
