#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# prepare with an SD package set (issue 14 part 3): base, cust and preload
# zips go to dload/ as they are, under their own long names, each
# contiguous from a 4 MiB boundary, the base last; read back here with
# readers we did not write (mtools with long names, The Sleuth Kit, GRUB,
# 7-Zip, fsck.fat), never with the project's FAT code.  A set that cannot
# be one card's, one with a damaged member, or one too big for the card is
# refused with the card and the sources as they were.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

BU=$((4 << 20))
cust=update_sd_cust_VOG-L29_hw_eu.zip
preload=update_sd_preload_VOG-L29_hw_eu_R1.zip
base=update_sd_base.zip
mkdir -p "$TMP/set"
"$MKUPDATEAPP" --size 3M --zip UPDATE.APP --zip-extra SOFTWARE_VER_LIST.mbn \
	--zip-extra META-INF/CERT.RSA --output "$TMP/set/$base"
"$MKUPDATEAPP" --size 1M --seed 2 --zip UPDATE.APP --zip-extra SOFTWARE_VER_LIST.mbn \
	--zip-extra META-INF/MANIFEST.MF --output "$TMP/set/$cust"
"$MKUPDATEAPP" --size 2M --seed 3 --zip UPDATE.APP --zip-extra SOFTWARE_VER_LIST.mbn \
	--output "$TMP/set/$preload"
declare -A sha
for f in "$base" "$cust" "$preload"; do
	sha[$f]=$(sha256_of "$TMP/set/$f")
done

# The environment of mtools for the test's own reading: long names on.
mt() { env -u MTOOLS_NO_VFAT MTOOLSRC=/dev/null "$@"; }

missing=
for t in grub-fstest:grub-common fls:sleuthkit istat:sleuthkit icat:sleuthkit 7zz:7zip; do
	command -v "${t%%:*}" >/dev/null || missing="$missing ${t#*:}"
done

# Every check of a card made from the set, on an image or a device.
check_card() {	# check_card IMG-OR-DEVICE what
	local img=$1 what=$2 off start names f ino first n bad part

	off=$(part_offset "$img")
	start=$((off / 512))
	names=$(mt mdir -b -i "$img@@$off" ::dload | sed 's|^::/dload/||' | sort)
	[ "$names" = "$(printf '%s\n' "$base" "$cust" "$preload" | sort)" ]
	ok $? "$what: dload/ holds exactly the three long names, no UPDATE.APP, no .TMP"
	[ $? = 0 ] || diag "dload/: $names"
	for f in "$base" "$cust" "$preload"; do
		[ "$(mt mcopy -n -i "$img@@$off" "::dload/$f" - | sha256sum | cut -d' ' -f1)" = "${sha[$f]}" ]
		ok $? "$what: mtools (mcopy, long names) reads dload/$f: the zip, byte for byte"
	done
	# DLOAD stays 8.3 with no long-name entry (issue 13): mdir shows it
	# by its short name (lower-cased by its flag), with no long name after.
	mt mdir -i "$img@@$off" :: | grep -q '^dload  *<DIR>  *[0-9-]*  *[0-9:]* *$'
	ok $? "$what: DLOAD is an 8.3 name with no long name beside it"

	if [ -n "$missing" ]; then
		skip "$what: The Sleuth Kit, GRUB and 7-Zip read the set" \
			"not installed (apt-get install$missing)"
		return
	fi
	dl=$(fls -o "$start" "$img" | awk '$1 == "d/d" && tolower($3) == "dload" { sub(":", "", $2); print $2 }')
	prev=0
	for f in "$cust" "$preload" "$base"; do
		ino=$(fls -o "$start" "$img" "$dl" | awk -v n="$f" '$1 == "r/r" && $3 == n { sub(":", "", $2); print $2 }')
		[ -n "$ino" ] && [ "$(icat -o "$start" "$img" "$ino" | sha256sum | cut -d' ' -f1)" = "${sha[$f]}" ]
		ok $? "$what: The Sleuth Kit (fls, icat) reads $f by its long name, byte for byte"
		# Its sectors, as TSK follows the FAT chain: one run, from a
		# 4 MiB boundary of the card, after the file before it.
		read -r first n bad < <(istat -o "$start" "$img" "$ino" | sed -n '/^Sectors:/,$p' |
			tr -s ' \n' '\n' | grep '^[0-9]' |
			awk 'NR == 1 { first = $1 } NR > 1 && $1 != last + 1 { bad++ } { last = $1 }
			     END { print first, NR, bad + 0 }')
		[ "$bad" = 0 ] && [ "$n" -eq $((($(stat -c %s "$TMP/set/$f") + 511) / 512)) ]
		ok $? "$what: $f lies in one run of sectors (istat: $n sectors, $bad breaks)"
		[ $(((start + first) * 512 % BU)) = 0 ] && [ $(((start + first) * 512)) -gt "$prev" ]
		ok $? "$what: $f starts on a 4 MiB boundary of the card ($(((start + first) * 512)) bytes), after the file before it"
		prev=$(((start + first) * 512))
		[ "$(grub-fstest "$img" cat "(loop0,msdos1)/dload/$f" | sha256sum | cut -d' ' -f1)" = "${sha[$f]}" ]
		ok $? "$what: GRUB's FAT driver reads dload/$f, byte for byte"
		[ "$(7zz e -so "$img" "dload/$f" 2>/dev/null | sha256sum | cut -d' ' -f1)" = "${sha[$f]}" ]
		ok $? "$what: 7-Zip reads dload/$f through the MBR, byte for byte"
	done
	part=$TMP/part.img
	dd if="$img" of="$part" bs=1M skip=$((off >> 20)) status=none
	fsck.fat -n "$part" >"$TMP/fsck" 2>&1
	ok $? "$what: fsck.fat -n finds nothing wrong"
	! grep -qi 'differ\|wrong\|lost\|invalid' "$TMP/fsck"; ok $? "$what: ... and says nothing of it"
	rm -f "$part"
}

# --- the set on an image, base given first: written last ------------------------
img=$TMP/card.img
run "$DLOADCARD" prepare --yes --json --size 64M "$img" "$TMP/set/$base" "$TMP/set/$cust" \
	"$TMP/set/$preload"
is_status 0 "a set of base, cust and preload: the card is made"
[ "$(jq -r '[.files[].card_name] | join(" ")' <<<"$out")" = "$cust $preload $base" ]
ok $? "--json: the files in the order written, the base last"
for f in "$base" "$cust" "$preload"; do
	[ "$(jq -r --arg n "$f" '.files[] | select(.card_name == $n) |
		"\(.kind) \(.size) \(.sha256) \(.card_sha256) \(.verified) \(.card_offset % 4194304)"' <<<"$out")" = \
		"sd-package $(stat -c %s "$TMP/set/$f") ${sha[$f]} ${sha[$f]} true 0" ]
	ok $? "--json: $f with its kind, size and SHA-256 as sha256sum's, verified, on a 4 MiB boundary"
done
[ "$(jq -r '[.files[].role] | join(" ")' <<<"$out")" = "cust preload base" ]
ok $? "--json: each file's role"
for f in "$base" "$cust" "$preload"; do
	[ "$(sha256_of "$TMP/set/$f")" = "${sha[$f]}" ]; ok $? "the source $f as it was"
done
check_card "$img" "an image"

# --- on a loop device -------------------------------------------------------------
if have_loop; then
	truncate -s 64M "$TMP/loop.img"
	dev=$(attach_loop "$TMP/loop.img")
	run "$DLOADCARD" prepare --yes --allow-fixed "$dev" "$TMP/set/$cust" "$TMP/set/$preload" \
		"$TMP/set/$base"
	is_status 0 "a set on a loop device: the card is made"
	[ "$(grep -c '^Recognised: .*an SD package' <<<"$errout")" = 3 ] &&
		[ "$(grep -n '^Recognised' <<<"$errout" | tail -1 | cut -d: -f1)" -lt \
		  "$(grep -n '^Erasing' <<<"$errout" | cut -d: -f1)" ]
	ok $? "each file recognised and said in one line, before anything is written"
	detach_loop "$dev"
	check_card "$TMP/loop.img" "a loop device"
else
	skip "a set on a loop device" "no loop devices here (root and /dev/loop-control)"
fi

# --- a download zip is still extracted ------------------------------------------------
"$MKUPDATEAPP" --size 1M --seed 5 --output "$TMP/app"
"$MKUPDATEAPP" --size 1M --seed 5 --zip "S7-721u_fw/dload/UPDATE.APP" \
	--zip-extra "S7-721u_fw/instructions.txt" --output "$TMP/S7-721u.zip"
run "$DLOADCARD" prepare --yes --size 64M "$TMP/dl.img" "$TMP/S7-721u.zip"
is_status 0 "a download zip: the card is made"
[ "$(mt mdir -b -i "$TMP/dl.img@@4194304" ::dload)" = "::/dload/UPDATE.APP" ] &&
	[ "$(mt mcopy -n -i "$TMP/dl.img@@4194304" ::dload/UPDATE.APP - | sha256sum | cut -d' ' -f1)" = "$(sha256_of "$TMP/app")" ]
ok $? "a download zip: its UPDATE.APP extracted to dload/UPDATE.APP, and nothing else"

# --- refusals: the card (a made one) and the sources as they were ---------------------
card_before=$(sha256_of "$img")
refused() {	# refused CODE what FILE...
	local code=$1 what=$2 f
	declare -A src_before
	shift 2
	for f in "$@"; do src_before[$f]=$(sha256_of "$f"); done
	run "$DLOADCARD" prepare --yes "$img" "$@"
	is_status "$code" "$what: refused"
	[ "$(sha256_of "$img")" = "$card_before" ]; ok $? "$what: the card as it was, every byte"
	for f in "$@"; do
		[ "$(sha256_of "$f")" = "${src_before[$f]}" ] || return 1
	done
	ok 0 "$what: the sources as they were"
}
refused 5 "an UPDATE.APP beside SD packages" "$TMP/app" "$TMP/set/$base"
like "$errout" "cannot go on one card: an UPDATE.APP and SD packages given together" "... and said why"
mkdir -p "$TMP/two" && cp "$TMP/set/$base" "$TMP/two/$base"
refused 5 "two files of one name" "$TMP/set/$base" "$TMP/two/$base"
like "$errout" "two files would both be dload/$base" "... and said why"

# A member of the cust package damaged: found before anything is written.
mkdir -p "$TMP/bad" && cp "$TMP/set/$cust" "$TMP/bad/$cust"
perl -0777 -pi -e 's/an extra file\./an extra fild./' "$TMP/bad/$cust"
cmp -s "$TMP/set/$cust" "$TMP/bad/$cust"; [ $? = 1 ]; ok $? "a member of the cust package patched"
refused 4 "a set with a damaged member" "$TMP/bad/$cust" "$TMP/set/$base"
like "$errout" "SOFTWARE_VER_LIST.mbn in the zip fails its check" "... the member named"
! grep -q "Erasing" <<<"$errout"; ok $? "... before the card was touched"

# Too big for the card as a set, though each file fits alone.
mkdir -p "$TMP/big"
for s in 1 2 3; do
	"$MKUPDATEAPP" --size 19M --seed $s --zip UPDATE.APP --output "$TMP/big/s$s.zip"
done
mv "$TMP/big/s1.zip" "$TMP/big/$base"
mv "$TMP/big/s2.zip" "$TMP/big/$cust"
mv "$TMP/big/s3.zip" "$TMP/big/$preload"
refused 3 "a set too big for the card" "$TMP/big/$cust" "$TMP/big/$preload" "$TMP/big/$base"
like "$errout" "too small: it holds 64.0 MiB.*this set of 3 files \(19.0 MiB \+ 19.0 MiB \+ 19.0 MiB; 59.0 MiB with each on its 4 MiB boundary\) needs a card of at least 72.0 MiB" \
	"... naming each size, the whole, and the card's"
run "$DLOADCARD" prepare --yes --size 64M "$TMP/one.img" "$TMP/big/$base"
is_status 0 "... where one of them alone fits"

# --- batch: the set on two images, one hash per file for both ---------------------------
run "$DLOADCARD" batch --yes --size 64M --log "$TMP/shop.jsonl" "$TMP/set/$base" "$TMP/set/$cust" \
	"$TMP/set/$preload" "$TMP/b1.img" "$TMP/b2.img"
is_status 0 "batch with a set on two images: both made"
for b in b1 b2; do
	names=$(mt mdir -b -i "$TMP/$b.img@@4194304" ::dload | sed 's|^::/dload/||' | sort)
	[ "$names" = "$(printf '%s\n' "$base" "$cust" "$preload" | sort)" ]
	ok $? "batch, $b: dload/ holds exactly the three long names"
	for f in "$base" "$cust" "$preload"; do
		[ "$(mt mcopy -n -i "$TMP/$b.img@@4194304" "::dload/$f" - | sha256sum | cut -d' ' -f1)" = "${sha[$f]}" ] || break
	done
	ok $? "batch, $b: each file the zip given, byte for byte (mtools)"
	[ "$(jq -r --arg d "$TMP/$b.img" 'select(.device == $d) | [.files[] |
		"\(.card_name) \(.sha256) \(.card_sha256) \(.verified) \(.card_offset % 4194304)"] | join(",")' "$TMP/shop.jsonl")" = \
		"$cust ${sha[$cust]} ${sha[$cust]} true 0,$preload ${sha[$preload]} ${sha[$preload]} true 0,$base ${sha[$base]} ${sha[$base]} true 0" ]
	ok $? "batch, $b: the shop log lists every file, the base last, with its SHA-256 as sha256sum's, verified, on a 4 MiB boundary"
done

done_testing
