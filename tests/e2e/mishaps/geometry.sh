#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Cards whose partition table or boot sector says what cannot be: a
# partition larger than the card, one starting past its end or on the table
# itself, a file system larger than its partition or than the card, FATs
# that fill the file system, a FAT too small for its clusters.  The device
# would read where there is nothing; verify must never call such a card
# GOOD.  Each is made by patching bytes of a good card (or with sfdisk and
# mkfs.fat on an image then cut short), and each gets exit 21 (not a dload
# card) and a FAIL line saying what is wrong; verify changes nothing.
. "${TESTS_SRCDIR:-$(dirname "$0")/../..}/helpers/lib.sh"
# shellcheck source=tests/helpers/patch-lib.sh
. "$TESTS_SRCDIR/helpers/patch-lib.sh"

src=$TMP/UPDATE.APP
make_sample "$src" 4M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
good=$TMP/good.img
run "$DLOADCARD" prepare --yes --quiet --size 64M "$good" "$src"
is_status 0 "a good 64 MiB card"
run "$DLOADCARD" verify --quiet "$good"
is_status 0 "verify calls it good"
like "$out" "PASS +partition-geometry +the partition \(sectors 8192 to 131071\) lies inside the card \(131072 sectors\)" \
	"verify: the partition lies inside the card"

PART=$(part_offset "$good")	# the boot sector, in bytes
MBR_START=454			# first partition entry: start sector
MBR_SIZE=458			# and its sector count

# broken NAME EXIT REGEX "what": verify the card NAME (made by the caller
# in $TMP/NAME.img): exit status, the FAIL line, and the card unchanged.
broken() {
	local img=$TMP/$1.img before
	before=$(sha256_of "$img")
	run "$DLOADCARD" verify --quiet "$img"
	is_status "$2" "$4"
	like "$out" "$3" "$4: $3"
	! grep -q "Verdict: GOOD" <<<"$out"; ok $? "$4: not called good"
	[ "$(sha256_of "$img")" = "$before" ]; ok $? "$4: the card is unchanged"
}

patched() {	# patched NAME OFFSET VALUE: a copy of the good card, one number changed
	cp "$good" "$TMP/$1.img"
	put_le32 "$TMP/$1.img" "$2" "$3"
}

# The issue's card: a partition of 0xFFFFFF00 sectors on 64 MiB.
patched huge-part $MBR_SIZE $((0xFFFFFF00))
broken huge-part 21 "FAIL +partition-geometry +the partition \(4294967040 sectors from sector 8192\) ends [0-9]+ sectors past the end of the card \(131072 sectors\)" \
	"a partition of 0xFFFFFF00 sectors on a 64 MiB card"

# The same, with a file system as large as the card cannot hold (fsck.fat:
# "Failed to read sector").
patched huge-fs $MBR_SIZE $((0xFFFFFF00))
put_le32 "$TMP/huge-fs.img" $((PART + 32)) 200000
broken huge-fs 21 "FAIL +filesystem +FAT32, but it cannot be read: the file system \(102400000 bytes\) is larger than its partition" \
	"a file system larger than the card, in a partition larger still"

patched past-end $MBR_START 1000000
broken past-end 21 "FAIL +partition-geometry +the partition starts at sector 1000000, past the end of the card \(131072 sectors\)" \
	"a partition starting past the end of the card"
! grep -q "UNREADABLE" <<<"$out"; ok $? "a partition past the end is no read error"

patched on-table $MBR_START 0
broken on-table 21 "FAIL +partition-geometry +the partition starts at sector 0, on the partition table itself" \
	"a partition starting on the partition table"

patched fs-too-big $((PART + 32)) 200000
broken fs-too-big 21 "FAIL +filesystem +.*the file system \(102400000 bytes\) is larger than its partition \(62914560 bytes\)" \
	"total sectors larger than the partition"

patched fats-fill $((PART + 36)) $((1 << 20))
broken fats-fill 21 "FAIL +filesystem +.*reserved sectors and FATs \([0-9]+ sectors\) fill the whole file system" \
	"FATs that fill the file system"

patched fat-small $((PART + 36)) 1
broken fat-small 21 "FAIL +filesystem +.*a FAT of 1 sectors cannot hold [0-9]+ clusters" \
	"a FAT too small for the cluster count"

patched root-out $((PART + 44)) $((0x0FFFFFF0))
broken root-out 21 "FAIL +filesystem +.*root directory cluster 268435440 is out of range" \
	"a root directory cluster past the last cluster"

# An image cut short: made by sfdisk and mkfs.fat at 320 MiB, then truncated
# to 200 MiB (a download or a copy that stopped).
cut=$TMP/cut.img
truncate -s 320M "$cut"
printf 'label: dos\nstart=8192, type=c\n' | sfdisk -q "$cut" >/dev/null 2>&1
mkfs.fat -F 32 -s 8 -h 8192 --offset 8192 "$cut" $(((320 * 2048 - 8192) / 2)) >/dev/null 2>&1
mmd -i "$cut@@$((8192 * 512))" ::dload
mcopy -i "$cut@@$((8192 * 512))" "$src" ::dload/UPDATE.APP
run "$DLOADCARD" verify --quiet "$cut"
is_status 20 "the sfdisk + mkfs.fat card before it is cut: good, with warnings"
truncate -s 200M "$cut"
broken cut 21 "FAIL +partition-geometry +the partition \(647168 sectors from sector 8192\) ends 245760 sectors past the end of the card \(409600 sectors\)" \
	"an image cut short: its partition ends past the card"
like "$out" "FAIL +filesystem +.*larger than its partition" "an image cut short: its file system too"

# A superfloppy (no table) cut short: the file system against the card.
sf=$TMP/sf.img
truncate -s 320M "$sf"
mkfs.fat -F 32 -s 8 "$sf" >/dev/null 2>&1
truncate -s 200M "$sf"
broken sf 21 "FAIL +filesystem +.*larger than its partition \(209715200 bytes\)" \
	"a superfloppy cut short: its file system is larger than the card"

run "$DLOADCARD" verify --json "$TMP/past-end.img"
[ "$(jq -r .exit_code <<<"$out")" = 21 ]; ok $? "verify --json: exit_code 21 for a partition past the end"
[ "$(jq -r '[.checks[] | select(.check == "partition-geometry" and .result == "FAIL")] | length' <<<"$out")" = 1 ]
ok $? "verify --json: the partition-geometry check failed"

done_testing
