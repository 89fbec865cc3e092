#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# verify on cards made by prepare, by an independent script (sfdisk,
# mkfs.fat, mcopy), and broken in every way the issue lists; each gives its
# own line and exit code, and the card is never modified.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

src=$TMP/UPDATE.APP
make_sample "$src" 6M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }

# A card made without dloadcard: partition at 1 MiB, FAT32 with 4 KiB
# clusters (mkfs.fat), files copied with mtools.  FAT32 needs 65525
# clusters, so with 4 KiB clusters a card of at least 300 MiB (sparse).
PART=2048
mkcard() {	# mkcard IMG SIZE-MiB [sfdisk-label]
	local img=$1 size=$2 label=${3:-dos}
	rm -f "$img"
	truncate -s "${size}M" "$img"
	printf 'label: %s\nstart=%s, type=%s\n' "$label" "$PART" \
		"$([ "$label" = gpt ] && echo EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 || echo c)" |
		sfdisk -q "$img" >/dev/null 2>&1
	mkfs.fat -F 32 -s 8 -n OWNCARD -h "$PART" --offset "$PART" "$img" $(((size * 2048 - PART) / 2)) >/dev/null 2>&1
}
M() { echo "-i $1@@$((PART * 512))"; }

# --- Made by prepare ----------------------------------------------------------
good=$TMP/good.img
run "$DLOADCARD" prepare --yes --quiet --size 256M "$good" "$src"
is_status 0 "a card made by prepare"
verified "$good" 0 "Verdict: GOOD: a dload card" "verify: a card made by prepare is good"
like "$out" "PASS +container +UPDATE.APP read back from the card" "verify: the content is read and checked"
verified "$good" 0 "identical to $src" "verify --against the source" --against "$src"
verified "$good" 0 "UPDATE.APP was not read \(--quick\)" "verify --quick says it did not read" --quick
run "$DLOADCARD" verify --json "$good"
[ "$(jq -r .sha256 <<<"$out")" = "$(sha256_of "$src")" ]; ok $? "verify --json: the SHA-256 read from the card"
[ "$(jq -r '[.checks[] | select(.result == "FAIL")] | length' <<<"$out")" = 0 ]
ok $? "verify --json: every check, none failed"
if have_loop; then
	dev=$(attach_loop -r "$good")
	run "$DLOADCARD" verify "$dev"
	is_status 0 "verify on a (read-only) loop device"
	detach_loop "$dev"
else
	skip "verify on a loop device" "no loop devices here (needs root)"
fi

# --- Made by an independent script ---------------------------------------------
own=$TMP/own.img
mkcard "$own" 320
mmd $(M "$own") ::dload ::photos
mcopy $(M "$own") "$src" ::dload/UPDATE.APP
echo hello >"$TMP/readme.txt"
mcopy $(M "$own") "$TMP/readme.txt" ::README.TXT
mcopy $(M "$own") "$TMP/readme.txt" ::photos/a.txt
verified "$own" 20 "WARN +partition-alignment +the partition starts at sector 2048, not on a 4 MiB" \
	"a card from sfdisk+mkfs.fat+mcopy (1 MiB, 4 KiB clusters): good with warnings"
like "$out" "PASS +container" "own card: the content passes"
like "$out" "FAT32, 4 KiB clusters" "own card: 4 KiB clusters seen"
verified "$own" 20 "PASS +against +identical" "own card --against the source" --against "$src"

# Superfloppy: FAT32 on the whole card, no partition table.
sf=$TMP/superfloppy.img
truncate -s 320M "$sf"
mkfs.fat -F 32 -s 8 "$sf" >/dev/null 2>&1
mmd -i "$sf" ::dload
mcopy -i "$sf" "$src" ::dload/UPDATE.APP
verified "$sf" 20 "WARN +partition-table +no partition table: a file system fills the whole card \(\"superfloppy\"\)" \
	"a superfloppy: a warning"

# exFAT, and nothing at all.
ex=$TMP/exfat.img
mkcard "$ex" 320
if command -v mkfs.exfat >/dev/null; then
	truncate -s 60M "$TMP/part.img"
	mkfs.exfat "$TMP/part.img" >/dev/null 2>&1
	dd if="$TMP/part.img" of="$ex" bs=512 seek="$PART" conv=notrunc status=none
	verified "$ex" 21 "FAIL +filesystem +exFAT: the device needs FAT32.*run dloadcard prepare" "an exFAT card"
else
	skip "an exFAT card" "mkfs.exfat is missing (apt-get install exfatprogs)"
fi
blank=$TMP/blank.img
truncate -s 64M "$blank"
printf 'label: dos\nstart=2048, type=c\n' | sfdisk -q "$blank" >/dev/null 2>&1
verified "$blank" 21 "FAIL +filesystem +nothing: the partition holds no file system" "a partition with no file system"
empty=$TMP/nothing.img
truncate -s 64M "$empty"
verified "$empty" 21 "no partition table and no file system" "a blank card"
ext=$TMP/ext4.img
truncate -s 64M "$ext"
mkfs.ext4 -q -F "$ext" >/dev/null 2>&1
verified "$ext" 21 "FAIL +partition-table +no partition table: ext4 fills the whole card" "an ext4 card"

# GPT.
gpt=$TMP/gpt.img
mkcard "$gpt" 320 gpt
mmd $(M "$gpt") ::dload
mcopy $(M "$gpt") "$src" ::dload/UPDATE.APP
verified "$gpt" 21 "FAIL +partition-table +a GPT partition table: the device's recovery looks for an MBR" "a GPT card"

# Several partitions.
two=$TMP/two.img
truncate -s 400M "$two"
printf 'label: dos\nstart=8192, size=300M, type=c\n,,83\n' | sfdisk -q "$two" >/dev/null 2>&1
mkfs.fat -F 32 -s 8 -h 8192 --offset 8192 "$two" $((300 * 1024)) >/dev/null 2>&1
mmd -i "$two@@4194304" ::dload
mcopy -i "$two@@4194304" "$src" ::dload/UPDATE.APP
verified "$two" 20 "WARN +partition-table +MBR with 2 partitions: the device reads the first" "two partitions"

# --- dload/ and UPDATE.APP -----------------------------------------------------
c=$TMP/c.img
mkcard "$c" 320
verified "$c" 21 "FAIL +dload +no dload folder at the root" "no dload folder"
mcopy $(M "$c") "$src" ::UPDATE.APP
verified "$c" 21 "UPDATE.APP is at the root, not in dload/" "UPDATE.APP at the root"
mmd $(M "$c") ::DLOAD
verified "$c" 21 "dload/ holds no UPDATE.APP, but UPDATE.APP is at the root" "dload/ empty, UPDATE.APP at the root"
mdel $(M "$c") ::UPDATE.APP
: >"$TMP/empty.APP"
mcopy $(M "$c") "$TMP/empty.APP" ::DLOAD/UPDATE.APP
verified "$c" 22 "FAIL +update-app +DLOAD/UPDATE.APP is empty" "an empty UPDATE.APP"
mdel $(M "$c") ::DLOAD/UPDATE.APP
mcopy $(M "$c") "$src" ::DLOAD/UPDATE.APP
mcopy $(M "$c") "$TMP/readme.txt" ::DLOAD/UPDATE.TMP
verified "$c" 20 "stored as \"DLOAD\"; FAT ignores case" "an upper-case DLOAD is noted, not failed"
like "$out" "WARN +leftover +dload/UPDATE.TMP is left over from an interrupted dloadcard prepare" \
	"a leftover temporary file is named"

# --- Damage inside the file system ----------------------------------------------
# The file's first cluster and the geometry, from mtools and the boot sector.
flipped=$TMP/flipped.img
cp "$own" "$flipped"
off=$((PART * 512))
spc=$(od -An -tu1 -j $((off + 13)) -N1 "$flipped" | tr -d ' ')
res=$(od -An -tu2 -j $((off + 14)) -N2 "$flipped" | tr -d ' ')
fatsz=$(od -An -tu4 -j $((off + 36)) -N4 "$flipped" | tr -d ' ')
first=$(mshowfat $(M "$flipped") ::dload/UPDATE.APP | sed -n 's/.*<\([0-9]*\)[-,>].*/\1/p' | head -1)
data=$((off + (res + 2 * fatsz) * 512))
byte=$((3 * 1024 * 1024 + 12345))	# inside the file's first run
cardpos=$((data + (first - 2) * spc * 512 + byte))
printf '\x5a' | dd of="$flipped" bs=1 seek="$cardpos" conv=notrunc status=none
verified "$flipped" 22 "FAIL +container +UPDATE.APP on the card is damaged" "one byte flipped on the card"
verified "$flipped" 22 "the first at byte $byte of UPDATE.APP \(card offset $cardpos\)" \
	"one byte flipped: --against names the byte in the file and on the card" --against "$src"

# The second FAT disagrees with the first over the file's first cluster.
fats=$TMP/fats.img
cp "$own" "$fats"
printf '\x00\x00\x00\x00' | dd of="$fats" bs=1 seek=$((off + (res + fatsz) * 512 + first * 4)) conv=notrunc status=none
verified "$fats" 22 "FAIL +fat-copies +the FAT copies disagree" "the two FATs disagree"

# A chain cut short: the first FAT ends the file after its first cluster.
short=$TMP/short.img
cp "$own" "$short"
for f in 0 1; do
	printf '\xff\xff\xff\x0f' | dd of="$short" bs=1 seek=$((off + (res + f * fatsz) * 512 + first * 4)) conv=notrunc status=none
done
verified "$short" 22 "FAIL +cluster-chain +UPDATE.APP's cluster chain is broken" "a chain shorter than the size"

done_testing
