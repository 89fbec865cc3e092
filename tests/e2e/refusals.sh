#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Every refusal of prepare: the right exit code, a message naming the thing
# and the fix, and the target byte for byte as it was.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"
# shellcheck source=tests/helpers/fakesys-lib.sh
. "$TESTS_SRCDIR/helpers/fakesys-lib.sh"

src=$TMP/UPDATE.APP
make_sample "$src" 4M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }

# refused EXIT TARGET REGEX "what" [prepare options...]: refused, unchanged.
refused() {
	local code=$1 target=$2 regex=$3 what=$4 before
	shift 4
	before=$(sha256_of "$target")
	run "$DLOADCARD" prepare "$@"
	is_status "$code" "$what: refused"
	like "$errout" "$regex" "$what: the message says why and what to do"
	[ "$(sha256_of "$target")" = "$before" ]; ok $? "$what: the target is unchanged"
}

img=$TMP/card.img
truncate -s 64M "$img"
printf 'label: dos\n,,c\n' | sfdisk -q "$img" >/dev/null 2>&1

refused 3 "$img" 'not confirmed.*--yes' "no --yes and no terminal" "$img" "$src" </dev/null

small=$TMP/small.img
truncate -s 20M "$small"
refused 3 "$small" 'too small: it holds 20.0 MiB.*at least' "a card too small for the file" \
	--yes "$small" "$src"

big=$TMP/big.APP
truncate -s 4G "$big"
refused 5 "$img" '4 GiB|FAT32' "a file over FAT32's 4 GiB - 1 limit" --yes "$img" "$big"
rm -f "$big"

html=$TMP/html.APP
printf '<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n' >"$html"
refused 5 "$img" '[Hh][Tt][Mm][Ll]' "a web page saved as UPDATE.APP" --yes "$img" "$html"

refused 2 "$img" 'label' "a label FAT cannot hold" --yes --label 'TOO LONG LABEL' "$img" "$src"

run "$DLOADCARD" prepare --yes "$TMP/missing.img" "$src"
is_status 3 "a missing image without --size is refused"
[ ! -e "$TMP/missing.img" ]; ok $? "and is not created"

if have_loop; then
	dev=$(attach_loop -P "$img")
	name=${dev#/dev/}
	partx -a "$dev" 2>/dev/null
	if [ -b "${dev}p1" ]; then
		refused 3 "$img" "is a partition: give the whole card, $dev" "a partition node" \
			--yes --allow-fixed "${dev}p1" "$src"
	else
		skip "a partition node is refused" "partx could not create ${dev}p1"
	fi
	partx -d "$dev" 2>/dev/null
	detach_loop "$dev"

	# Mounted: the kernel here mounts ext4, not vfat, which is all we need;
	# read-only, so that the mount itself does not change the image.
	ext=$TMP/ext.img
	truncate -s 64M "$ext"
	mkfs.ext4 -q -F "$ext" >/dev/null 2>&1
	dev=$(attach_loop "$ext")
	mkdir -p "$TMP/mnt"
	if mount -o ro,noload "$dev" "$TMP/mnt" 2>/dev/null; then
		before=$(sha256_of "$ext")
		run "$DLOADCARD" prepare --yes --allow-fixed "$dev" "$src"
		is_status 3 "a mounted card: refused"
		like "$errout" "is mounted .*on $TMP/mnt.*unmount" "the message names the mount point and umount"
		umount "$TMP/mnt"
		[ "$(sha256_of "$ext")" = "$before" ]; ok $? "a mounted card: unchanged"
	else
		skip "a mounted card is refused" "cannot mount ext4 here"
	fi
	detach_loop "$dev"

	# The system disk and a fixed disk, through a fake sysfs and mount table
	# (--sysroot).
	dev=$(attach_loop "$img")
	name=${dev#/dev/}
	majmin=$(cat "/sys/block/$name/dev")
	fake=$TMP/root
	fakesys_init "$fake"
	fakesys_add "$fake" "$dev" 1
	echo "22 1 $majmin / / rw,relatime shared:1 - ext4 $dev rw" >"$fake/proc/self/mountinfo"
	refused 3 "$img" "is a system disk \(it holds /\)" "the disk that holds /" \
		--sysroot "$fake" --yes --allow-fixed "$dev" "$src"

	echo "22 1 $majmin / /boot/efi rw,relatime shared:1 - vfat $dev rw" >"$fake/proc/self/mountinfo"
	refused 3 "$img" "system disk \(it holds /boot/efi\)" "the disk that holds /boot/efi" \
		--sysroot "$fake" --yes --allow-fixed "$dev" "$src"

	: >"$fake/proc/self/mountinfo"
	echo 1 >"$fake/sys/devices/virtual/block/$name/ro"
	refused 3 "$img" "write-protected.*lock switch" "a write-protected card" \
		--sysroot "$fake" --yes "$dev" "$src"

	echo 0 >"$fake/sys/devices/virtual/block/$name/ro"
	echo 0 >"$fake/sys/devices/virtual/block/$name/removable"
	refused 3 "$img" "fixed disk.*--allow-fixed" "a fixed disk without --allow-fixed" \
		--sysroot "$fake" --yes "$dev" "$src"

	# Only --sysroot moves the rules: the variables that once did are ignored.
	echo 1 >"$fake/sys/devices/virtual/block/$name/removable"
	DLOADCARD_SYSFS=$fake/sys DLOADCARD_MOUNTINFO=$fake/proc/self/mountinfo \
		DLOADCARD_SWAPS=$fake/proc/swaps \
		refused 3 "$img" "fixed disk.*--allow-fixed" "DLOADCARD_SYSFS changes no rule" \
		--yes "$dev" "$src"

	# Locked by another program (another dloadcard, sfdisk, udev's rule).
	flock "$dev" sleep 30 &
	locker=$!
	sleep 0.3
	refused 3 "$img" "locked by another program" "a card another program has locked" \
		--yes --allow-fixed "$dev" "$src"
	kill "$locker" 2>/dev/null
	wait "$locker" 2>/dev/null
	detach_loop "$dev"
else
	skip "partition node, mounted, system disk, read-only and fixed refusals" \
		"no loop devices here (needs root)"
fi

done_testing
