#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# prepare, end to end: the real binary on image files and loop devices,
# checked with tools we did not write (sfdisk, blkid, fsck.fat, mtools).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

src=$TMP/UPDATE.APP
make_sample "$src" 24M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
src_sha=$(sha256_of "$src")

# Everything users rely on in a prepared card, checked independently.
check_card() {	# check_card IMAGE-OR-DEVICE LABEL what
	local img=$1 label=$2 what=$3 dump off loop spc boot hidden reserved fats fatsz size type

	dump=$(sfdisk -d "$img" 2>/dev/null)
	like "$dump" 'label: dos' "$what: a DOS (MBR) partition table"
	[ "$(grep -c '^/' <<<"$dump")" -eq 1 ]; ok $? "$what: exactly one partition"
	# The SD layout's type: 0x0B within CHS reach (sector 16,450,560), 0x0C past it.
	size=$(sed -n 's/.*start= *8192, size= *\([0-9]*\),.*/\1/p' <<<"$dump")
	type=c
	[ $((8192 + ${size:-0})) -le 16450560 ] && type=b
	like "$dump" "start= *8192, size= *[0-9]+, type=$type\$" "$what: type $type (FAT32) at sector 8192"
	off=$((8192 * 512))

	run blkid -p -O "$off" "$img"
	like "$out" 'TYPE="vfat"' "$what: blkid finds vfat in the partition"
	like "$out" 'VERSION="FAT32"' "$what: blkid says FAT32"
	like "$out" "LABEL=\"$label\"" "$what: label $label"

	# The boot sector, read with od: hidden sectors and the data area.
	boot=$(od -An -tu4 -j $((off + 28)) -N 4 "$img" | tr -d ' ')
	hidden=$boot
	reserved=$(od -An -tu2 -j $((off + 14)) -N 2 "$img" | tr -d ' ')
	fats=$(od -An -tu1 -j $((off + 16)) -N 1 "$img" | tr -d ' ')
	fatsz=$(od -An -tu4 -j $((off + 36)) -N 4 "$img" | tr -d ' ')
	spc=$(od -An -tu1 -j $((off + 13)) -N 1 "$img" | tr -d ' ')
	[ "$hidden" -eq 8192 ]; ok $? "$what: hidden sectors equal the partition start ($hidden)"
	[ $(((8192 + reserved + fats * fatsz) % 8192)) -eq 0 ]
	ok $? "$what: data area on a 4 MiB boundary (sector $((8192 + reserved + fats * fatsz)))"

	loop=$(attach_loop -o "$off" -r "$img")
	run fsck.fat -n "$loop"
	is_status 0 "$what: fsck.fat -n finds nothing wrong"
	detach_loop "$loop"

	run mdir -i "$img@@$off" -b ::dload
	like "$out" '::/dload/UPDATE.APP' "$what: dload/UPDATE.APP is on the card"
	! grep -q 'UPDATE.TMP' <<<"$out"; ok $? "$what: no temporary file is left"
	[ "$(mtype -i "$img@@$off" ::dload/UPDATE.APP | sha256sum | cut -d' ' -f1)" = "$src_sha" ]
	ok $? "$what: the file read with mtools has the source's SHA-256"
	echo "$spc" >"$TMP/spc"
}

# --- An image file created by prepare ---------------------------------------
img=$TMP/card.img
run "$DLOADCARD" prepare --yes --size 8G "$img" "$src"
is_status 0 "prepare makes an 8 GiB image file"
like "$out" 'Done: .* is a dload card' "the result says the card is ready"
like "$out" 'Volume Up \+ Volume Down' "the last lines say what to do on the device"
[ "$(stat -c %s "$img")" -eq $((8 << 30)) ]; ok $? "the image has the size asked for"
[ "$(du -k "$img" | cut -f1)" -lt $((200 * 1024)) ]; ok $? "the image is sparse"
check_card "$img" DLOAD "8 GiB image"
[ "$(cat "$TMP/spc")" -eq 64 ]; ok $? "8 GiB image: 32 KiB clusters (SDHC)"

# --json: one object, with the facts.
rm -f "$img"
run "$DLOADCARD" prepare --yes --json --size 8G --label RESCUE "$img" "$src"
is_status 0 "prepare --json succeeds"
[ "$(jq -r .result <<<"$out")" = ok ]; ok $? "--json: result ok"
[ "$(jq -r .source.sha256 <<<"$out")" = "$src_sha" ]; ok $? "--json: the source's SHA-256"
[ "$(jq -r .card.sha256 <<<"$out")" = "$src_sha" ]; ok $? "--json: the card's SHA-256, read back"
[ "$(jq -r .card.verified <<<"$out")" = true ]; ok $? "--json: verified"
[ "$(jq -r .layout.partition_start <<<"$out")" = 8192 ]; ok $? "--json: the layout"
[ $(($(jq -r .layout.data_start <<<"$out") % 8192)) -eq 0 ]; ok $? "--json: data start aligned"
check_card "$img" RESCUE "--label RESCUE"

# An existing image is reused, whatever it held (here: a GPT card).
old=$TMP/old.img
truncate -s 1G "$old"
printf 'label: gpt\n,,L\n' | sfdisk -q "$old" >/dev/null 2>&1
run "$DLOADCARD" prepare --yes "$old" "$src"
is_status 0 "prepare over an old GPT card"
run blkid -p "$old"
! grep -q 'gpt' <<<"$out"; ok $? "no GPT signature is left, backup included"
! tail -c 512 "$old" | grep -q 'EFI PART'; ok $? "the GPT backup header at the end is gone"
check_card "$old" DLOAD "1 GiB ex-GPT image"
[ "$(cat "$TMP/spc")" -eq 16 ]; ok $? "1 GiB image: 8 KiB clusters (FAT32 needs 65525)"

# A used card: every byte holds old data, which must not show through
# (mformat leaves parts of FSInfo as they were).  As a file that is no disk
# image, it is erased only with --force.
used=$TMP/used.img
yes stale | head -c $((300 << 20)) >"$used"
run "$DLOADCARD" prepare --yes --force "$used" "$src"
is_status 0 "prepare over a card full of old data"
check_card "$used" DLOAD "300 MiB used card"
run "$DLOADCARD" verify "$used"
is_status 0 "verify: the used card is good, no warning (FSInfo rewritten)"

# --- The vendor's checksum (--sha256, --md5) ---------------------------------
# It is computed while the card is written: a file with another one never
# becomes the card's UPDATE.APP, nor is its temporary copy left behind.
no_dload_file() {	# no_dload_file IMAGE what
	run mdir -i "$1@@$((8192 * 512))" -b ::dload
	! grep -q 'UPDATE\.\(APP\|TMP\)' <<<"$out"; ok $? "$2: no UPDATE.APP nor UPDATE.TMP on the card"
}
src_md5=$(md5sum "$src" | cut -d' ' -f1)
wrong_sha=$(printf '%s' "$src_sha" | tr 0-9a-f 1-9a-f0)
img=$TMP/digest.img
run "$DLOADCARD" prepare --yes --size 1G --sha256 "$src_sha" --md5 "$src_md5" "$img" "$src"
is_status 0 "the right --sha256 and --md5: a dload card"
check_card "$img" DLOAD "the right --sha256"
run "$DLOADCARD" prepare --yes --json --size 1G --sha256 "$wrong_sha" "$img" "$src"
is_status 6 "a wrong --sha256: exit 6"
[ "$(jq -r .error <<<"$out")" = "$src: its SHA-256 is $src_sha, not the $wrong_sha given" ]
ok $? "... the error says which is which"
[ "$(jq -r .card.sha256 <<<"$out")" = null ]; ok $? "... no card SHA-256 is claimed"
no_dload_file "$img" "a wrong --sha256"
[ "$(sha256_of "$src")" = "$src_sha" ]; ok $? "... the source is unchanged"
run "$DLOADCARD" prepare --yes --size 1G --md5 "${wrong_sha:0:32}" "$img" "$src"
is_status 6 "a wrong --md5: exit 6"
like "$errout" "its MD5 is $src_md5, not the ${wrong_sha:0:32} given" "... says which is which"
no_dload_file "$img" "a wrong --md5"

# --- Loop devices ------------------------------------------------------------
if have_loop; then
	back=$TMP/loop.img
	truncate -s 2G "$back"
	dev=$(attach_loop "$back")
	run "$DLOADCARD" prepare --yes "$dev" "$src"
	is_status 3 "a loop device is a fixed disk: refused without --allow-fixed"
	like "$errout" 'fixed disk.*--allow-fixed' "the refusal names --allow-fixed"
	run "$DLOADCARD" prepare --yes --allow-fixed "$dev" "$src"
	is_status 0 "prepare on a loop device with --allow-fixed"
	detach_loop "$dev"
	check_card "$back" DLOAD "loop device"
else
	skip "prepare on a loop device" "no loop devices here (needs root)"
fi

done_testing
