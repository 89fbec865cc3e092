#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# prepare writes a FAT32 that is exact by Microsoft's FAT specification
# (fatgen103) and the SD Association's layout, at every card size from
# 64 MiB to 2 TiB: each point read here with od and cmp, not with the
# project's FAT code, then fsck.fat, and UPDATE.APP read by three FAT
# implementations we did not write (GRUB, The Sleuth Kit, 7-Zip).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"
. "$TESTS_SRCDIR/helpers/patch-lib.sh"
. "$TESTS_SRCDIR/helpers/cardsim-lib.sh"

src=$TMP/UPDATE.APP
make_sample "$src" 3M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
src_sha=$(sha256_of "$src")

u8() { byte_at "$@"; }	# u8 FILE OFFSET
u16() { od -An -tu2 -j "$2" -N 2 "$1" | tr -d ' '; }
u32() { le32_at "$@"; }
str() { dd if="$1" bs=1 skip="$2" count="$3" status=none; }	# str FILE OFFSET LEN
hex3() { od -An -tx1 -j "$2" -N 3 "$1" | tr -d ' \n'; }

# The SD Association's CHS geometry by capacity: "heads sectors-per-track".
sd_geometry() {	# sd_geometry MiB
	local mib=$1
	if [ "$mib" -le 2 ]; then echo "2 16"
	elif [ "$mib" -le 16 ]; then echo "2 32"
	elif [ "$mib" -le 32 ]; then echo "4 32"
	elif [ "$mib" -le 128 ]; then echo "8 32"
	elif [ "$mib" -le 256 ]; then echo "16 32"
	elif [ "$mib" -le 504 ]; then echo "16 63"
	elif [ "$mib" -le 1008 ]; then echo "32 63"
	elif [ "$mib" -le 2016 ]; then echo "64 63"
	elif [ "$mib" -le 4032 ]; then echo "128 63"
	else echo "255 63"
	fi
}

# An MBR CHS field for sector LBA, as hex bytes; fe ff ff past cylinder 1023.
chs_of() {	# chs_of LBA HEADS SPT
	local lba=$1 h=$2 s=$3 c
	c=$((lba / (h * s)))
	if [ $c -gt 1023 ]; then echo feffff; return; fi
	printf '%02x%02x%02x' $((lba / s % h)) $(((lba % s + 1) | (c >> 2 & 0xc0))) $((c & 0xff))
}

# Clusters of one FAT entry range that are in use: their numbers, from the
# bytes that differ from zero (cmp -l), entries 2..LAST only.
used_clusters() {	# used_clusters IMG FAT-SECTOR FAT-SECTORS LAST
	dd if="$1" bs=512 skip="$2" count="$3" status=none |
		cmp -l - /dev/zero 2>/dev/null |
		awk -v last="$4" '{ c = int(($1 - 1) / 4) } c >= 2 && c <= last && c != prev { print c; prev = c }'
}

# The directory entries of one cluster: "NAME11 ATTR CLUSTER" a line.
dir_entries() {	# dir_entries IMG SECTOR SECTORS
	dd if="$1" bs=512 skip="$2" count="$3" status=none | od -An -v -tx1 -w32 |
		awk 'function hex(s, i, n) {
			for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return n }
		$1 == "00" { exit } $1 != "e5" {
			name = ""; for (i = 1; i <= 11; i++) name = name sprintf("%c", hex($i))
			print name, $12, hex($22 $21 $28 $27) }'
}

missing=
for t in grub-fstest:grub-common fls:sleuthkit icat:sleuthkit 7zz:7zip; do
	command -v "${t%%:*}" >/dev/null || missing="$missing ${t#*:}"
done
[ -z "$missing" ] || missing="not installed (apt-get install$missing)"
readers_here() { [ -z "$missing" ]; }

signatures=
check_size() {	# check_size SIZE what
	local size=$1 what=$2 img=$TMP/card.img bytes mib p type start nsec end heads spt
	local spc reserved fatsz tot clusters data free next used nused last dl loop

	rm -f "$img"
	run "$DLOADCARD" prepare --yes --size "$size" "$img" "$src"
	is_status 0 "$what: prepare succeeds"
	[ "$status" -eq 0 ] || return
	bytes=$(stat -c %s "$img")
	mib=$((bytes >> 20))
	read -r heads spt <<<"$(sd_geometry $mib)"

	# The MBR: one partition at 4 MiB, type by where it ends, CHS fields.
	p=446
	type=$(u8 "$img" $((p + 4)))
	start=$(u32 "$img" $((p + 8)))
	nsec=$(u32 "$img" $((p + 12)))
	end=$((start + nsec))
	[ "$start" -eq 8192 ]; ok $? "$what: the partition starts at sector 8192"
	if [ $end -le 16450560 ]; then
		[ "$type" -eq $((0x0b)) ]; ok $? "$what: MBR type 0x0B, ending within CHS reach (type $type)"
	else
		[ "$type" -eq $((0x0c)) ]; ok $? "$what: MBR type 0x0C, ending past CHS reach (type $type)"
	fi
	[ "$(hex3 "$img" $((p + 1)))" = "$(chs_of "$start" "$heads" "$spt")" ] &&
		[ "$(hex3 "$img" $((p + 5)))" = "$(chs_of $((end - 1)) "$heads" "$spt")" ]
	ok $? "$what: CHS fields in the SD geometry ($heads heads, $spt sectors a track)"
	signatures="$signatures $(u32 "$img" 440)"

	# The boot sector.
	p=$((start * 512))
	[ "$(str "$img" $((p + 3)) 8)" = MSWIN4.1 ]; ok $? "$what: OEM name MSWIN4.1"
	[ "$(u8 "$img" $((p + 64)))" -eq $((0x80)) ]; ok $? "$what: BS_DrvNum 0x80"
	[ "$(u8 "$img" $((p + 21)))" -eq $((0xf8)) ]; ok $? "$what: media 0xF8"
	[ "$(u16 "$img" $((p + 11)))" -eq 512 ] && [ "$(u8 "$img" $((p + 16)))" -eq 2 ] &&
		[ "$(u16 "$img" $((p + 17)))" -eq 0 ] && [ "$(u16 "$img" $((p + 19)))" -eq 0 ] &&
		[ "$(u16 "$img" $((p + 22)))" -eq 0 ] && [ "$(u16 "$img" $((p + 42)))" -eq 0 ] &&
		[ "$(u16 "$img" $((p + 40)))" -eq 0 ] && [ "$(u32 "$img" $((p + 44)))" -eq 2 ] &&
		[ "$(u8 "$img" $((p + 66)))" -eq $((0x29)) ] &&
		[ "$(str "$img" $((p + 82)) 8)" = "FAT32   " ] &&
		[ "$(od -An -tx1 -j $((p + 510)) -N 2 "$img" | tr -d ' ')" = 55aa ]
	ok $? "$what: a FAT32 BPB (512-byte sectors, 2 FATs, version 0.0, root at 2, 0x55AA)"
	[ "$(u32 "$img" $((p + 28)))" -eq "$start" ] && [ "$(u32 "$img" $((p + 32)))" -eq "$nsec" ] &&
		[ "$(u16 "$img" $((p + 24)))" -eq "$spt" ] && [ "$(u16 "$img" $((p + 26)))" -eq "$heads" ]
	ok $? "$what: hidden and total sectors the partition's, the same geometry"
	spc=$(u8 "$img" $((p + 13)))
	reserved=$(u16 "$img" $((p + 14)))
	fatsz=$(u32 "$img" $((p + 36)))
	tot=$(u32 "$img" $((p + 32)))
	[ $((spc * 512)) -le 32768 ]; ok $? "$what: clusters of $((spc * 512)) bytes, never above 32 KiB"
	if [ "$bytes" -ge $((4 << 30)) ]; then
		[ "$spc" -eq 64 ]; ok $? "$what: 32 KiB clusters from 4 GiB up"
	fi
	clusters=$(((tot - reserved - 2 * fatsz) / spc))
	[ $clusters -ge 65525 ]; ok $? "$what: $clusters clusters, at least 65,525 (FAT32 by count)"
	[ $((fatsz * 128)) -ge $((clusters + 2)) ]; ok $? "$what: the FAT ($fatsz sectors) holds every cluster"
	data=$((start + reserved + 2 * fatsz))
	[ $((data % 8192)) -eq 0 ]; ok $? "$what: the data area on a 4 MiB boundary"

	# FSInfo at 1, its free count and next-free hint as the FAT on the card.
	[ "$(u16 "$img" $((p + 48)))" -eq 1 ] && [ "$(u16 "$img" $((p + 50)))" -eq 6 ]
	ok $? "$what: FSInfo at sector 1, backup boot sector at 6"
	[ "$(u32 "$img" $((p + 512)))" -eq $((0x41615252)) ] &&
		[ "$(u32 "$img" $((p + 512 + 484)))" -eq $((0x61417272)) ] &&
		[ "$(u32 "$img" $((p + 512 + 508)))" -eq $((0xaa550000)) ]
	ok $? "$what: FSInfo's three signatures"
	used_clusters "$img" $((start + reserved)) "$fatsz" $((clusters + 1)) >"$TMP/used"
	nused=$(wc -l <"$TMP/used")
	last=$(tail -1 "$TMP/used")
	free=$(u32 "$img" $((p + 512 + 488)))
	next=$(u32 "$img" $((p + 512 + 492)))
	[ "$free" -eq $((clusters - nused)) ]
	ok $? "$what: FSInfo's free count $free is the FAT's ($clusters - $nused in use)"
	[ "$next" -eq "$last" ]; ok $? "$what: FSInfo's next-free hint $next is the last cluster in use ($last)"
	cmp -s <(dd if="$img" bs=512 skip="$start" count=3 status=none) \
		<(dd if="$img" bs=512 skip=$((start + 6)) count=3 status=none)
	ok $? "$what: sectors 6-8 (backup boot sector and FSInfo) identical to 0-2"

	# Short names only: DLOAD in the root, UPDATE.APP in it, no long-name entry.
	dir_entries "$img" "$data" "$spc" >"$TMP/root"
	dl=$(awk '$1 == "DLOAD" && $2 == "10" { print $3 }' "$TMP/root")
	! awk '$2 == "0f"' "$TMP/root" | grep -q . && [ -n "$dl" ]
	ok $? "$what: the root holds DLOAD as an 8.3 name, no long-name entry"
	dir_entries "$img" $((data + (${dl:-2} - 2) * spc)) "$spc" >"$TMP/dload"
	! awk '$2 == "0f"' "$TMP/dload" | grep -q . && grep -q '^UPDATE  APP 20 ' "$TMP/dload" &&
		! grep -q 'TMP ' "$TMP/dload"
	ok $? "$what: DLOAD holds UPDATE.APP as an 8.3 name, no long-name entry"

	loop=$(attach_loop -r -o $((start * 512)) --sizelimit $((nsec * 512)) "$img")
	run fsck.fat -n -v "$loop"
	is_status 0 "$what: fsck.fat -n -v exits 0"
	# as "Free cluster summary wrong", "... differ", "Bad ..."
	if grep -Eqi 'wrong|differ|invalid|bad|corrupt' <<<"$out$errout"; then
		ok 1 "$what: fsck.fat -n -v reports nothing wrong"
		diag "$out$errout"
	else
		ok 0 "$what: fsck.fat -n -v reports nothing wrong"
	fi

	# Three readers we did not write.
	if ! readers_here; then
		skip "$what: GRUB, The Sleuth Kit and 7-Zip read UPDATE.APP" "$missing"
	else
	[ "$(grub-fstest "$img" cat '(loop0,msdos1)/dload/UPDATE.APP' | sha256sum | cut -d' ' -f1)" = "$src_sha" ]
	ok $? "$what: GRUB's FAT driver reads dload/UPDATE.APP with the source's SHA-256"
	dl=$(fls -o "$start" "$img" | awk '$1 == "d/d" && tolower($3) == "dload" { sub(":", "", $2); print $2 }')
	dl=$(fls -o "$start" "$img" "$dl" 2>/dev/null |
		awk '$1 == "r/r" && $3 == "UPDATE.APP" { sub(":", "", $2); print $2 }')
	[ -n "$dl" ] && [ "$(icat -o "$start" "$img" "$dl" | sha256sum | cut -d' ' -f1)" = "$src_sha" ]
	ok $? "$what: The Sleuth Kit (fls, icat) reads it with the source's SHA-256"
	if [ "$bytes" -lt $((2 << 40)) ]; then
		[ "$(7zz e -so "$img" dload/UPDATE.APP 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$src_sha" ]
		ok $? "$what: 7-Zip reads it through the MBR with the source's SHA-256"
	else
		# 7-Zip's MBR reader does not open a 2 TiB disk image: its FAT
		# reader is given the partition.
		[ "$(7zz e -so -tfat "$loop" dload/UPDATE.APP 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$src_sha" ]
		ok $? "$what: 7-Zip reads it from the partition with the source's SHA-256"
	fi
	fi
	detach_loop "$loop"

	run "$DLOADCARD" verify "$img"
	is_status 0 "$what: verify finds a good card"
	! grep -q '^WARN\|^FAIL' <<<"$out"; ok $? "$what: verify has no warning"
	rm -f "$img"
}

# The sanitizer builds run the small sizes: each of the big ones spends its
# time in mformat and the FAT, not in new paths, and the plain build of the
# same run reads them all (the slow cases once, not under every sanitizer).
sizes="64M 1G 8G 31G 33G 64G 128G 2T"
if [ -n "${DLOADCARD_SANITIZERS:-}" ]; then
	sizes="64M 1G 8G"
	diag "sanitizer build: sizes $sizes here; 31G to 2T are read by the plain build"
fi
for size in $sizes; do
	check_size $size "$size"
done

# A random disk signature: no two cards share one.
[ "$(tr ' ' '\n' <<<"$signatures" | grep -c .)" -eq "$(tr ' ' '\n' <<<"$signatures" | grep . | sort -u | wc -l)" ] &&
	! grep -qw 0 <<<"$signatures"
ok $? "each card gets its own disk signature ($signatures)"

# --- verify, on cards that depart from the specification ------------------------
# Each made by patching a good card's bytes (both boot records, so that
# only the point in question differs) or with mkfs.fat; each a WARN saying
# what it risks, FAIL only where a spec-following reader misses the file.
base=$TMP/base.img
run "$DLOADCARD" prepare --yes --quiet --size 64M "$base" "$src"
is_status 0 "a 64 MiB card for verify"
P=$((8192 * 512)) B=$((6 * 512))
poke() {	# poke IMG OFFSET HEX-BYTES
	local i
	for ((i = 0; i < ${#3}; i += 2)); do
		put_byte "$1" $(($2 + i / 2)) $((0x${3:i:2}))
	done
}
patched() {	# patched EXIT CHECK-REGEX what OFFSET=HEX...
	local code=$1 regex=$2 what=$3 img=$TMP/patched.img a before
	shift 3
	cp --sparse=always "$base" "$img"
	for a in "$@"; do poke "$img" "${a%%=*}" "${a#*=}"; done
	before=$(sha256_of "$img")
	run "$DLOADCARD" verify "$img"
	is_status "$code" "verify, $what"
	like "$out" "$regex" "verify, $what: $regex"
	[ "$(sha256_of "$img")" = "$before" ]; ok $? "verify, $what: the card is unchanged"
}
patched 20 'WARN +oem-name +.*"MSWIN4.1".*a strict reader may reject' "OEM name MTOO4032" \
	$((P + 3))=4d544f4f34303332 $((P + B + 3))=4d544f4f34303332
patched 20 'WARN +drive-number +.*0x80.*take the card for a floppy' "BS_DrvNum 0" \
	$((P + 64))=00 $((P + B + 64))=00
patched 20 'WARN +media +.*0xF8' "media 0xF0" $((P + 21))=f0 $((P + B + 21))=f0
patched 20 'WARN +fsinfo-count +FSInfo says 65536 clusters are free, the FAT has [0-9]+: .*Free cluster summary wrong' \
	"a wrong FSInfo free count" $((P + 512 + 488))=00000100 $((P + B + 512 + 488))=00000100
patched 20 'WARN +backup-boot +the backup boot sector .*differs.*falls back' \
	"a backup boot sector that differs" $((P + B + 71))=58
patched 20 'WARN +backup-boot +the backup FSInfo .*differs.*falls back' \
	"a backup FSInfo that differs" $((P + B + 512 + 484))=00000000
# The counts of the copy are hints nobody updates (Linux and Windows write
# the primary only): a card used since it was made is no WARN.
patched 0 'PASS +fat-spec +.*backup boot record identical' "a backup FSInfo whose counts are old" \
	$((P + B + 512 + 488))=00000100
patched 20 'WARN +partition-type +type 0x0c .*within CHS reach.*0x0b' "MBR type 0x0C on 64 MiB" 450=0c
patched 21 'FAIL +fat-type +fewer than 65525 clusters in a volume labelled FAT32: .*FAT16' \
	"57,344 clusters labelled FAT32" $((P + 13))=02 $((P + B + 13))=02

# A card that does not keep its first sectors: the simulator stores the
# boot sector's OEM name with a bit flipped.  Caught when the boot record
# is read back after formatting, before anything else is written.
if why=$(cardsim_usable); then
	cardsim_start "$TMP/sim" --size 64M --flip-write $((P + 3)):1 ||
		{ echo "Bail out! cardsim does not start"; exit 1; }
	run "$DLOADCARD" prepare --yes "$CARD" "$src"
	is_status 9 "a card whose boot sector does not hold: prepare fails"
	like "$errout" "the card does not keep its first sectors: the boot record read back at card offset $P is not what was written" \
		"the boot sector not kept: said so, with where"
	! mdir -i "$CARD@@$P" -b ::dload 2>/dev/null | grep -q UPDATE
	ok $? "the boot sector not kept: nothing copied, no UPDATE.APP or UPDATE.TMP"
	cardsim_stop "$TMP/sim"
else
	skip "a card whose boot sector does not hold" "$why"
fi

# Cards made before this change: 64 KiB clusters (and mformat's names).
old=$TMP/old.img
truncate -s 5G "$old"
printf 'label: dos\nstart=8192, type=c\n' | sfdisk -q "$old" >/dev/null 2>&1
mkfs.fat -F 32 -s 128 -n OLDCARD -h 8192 --offset 8192 "$old" >/dev/null 2>&1 &&
	mmd -i "$old@@$P" ::dload && mcopy -i "$old@@$P" "$src" ::dload/UPDATE.APP
ok $? "a card with 64 KiB clusters (sfdisk, mkfs.fat -s 128, mcopy)"
run "$DLOADCARD" verify "$old"
is_status 20 "verify reads a card with 64 KiB clusters: good, with warnings"
like "$out" 'WARN +cluster-size +64 KiB clusters: .*32 KiB.*some bootloaders cannot read this card' \
	"verify warns about its 64 KiB clusters"
like "$out" 'WARN +oem-name' "verify warns about mkfs.fat's OEM name"
like "$out" 'PASS +container' "verify reads UPDATE.APP on it"

done_testing
