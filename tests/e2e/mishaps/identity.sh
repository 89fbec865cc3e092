#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# One card, many names.  A card given by a path mtools could misread, the
# source given as the card under another name, an image behind a mounted or
# busy loop device, a loop device and its file prepared at once, a file that
# is no disk image, a card above 2 TiB, a host file system that fills up:
# dloadcard writes the card it was given or nothing, and says why.  Every
# refusal is checked for its exit status, its one line, and the target, the
# source and any decoy byte for byte as they were.
. "${TESTS_SRCDIR:-$(dirname "$0")/../..}/helpers/lib.sh"
# shellcheck source=tests/helpers/fakesys-lib.sh
. "$TESTS_SRCDIR/helpers/fakesys-lib.sh"

src=$TMP/UPDATE.APP
make_sample "$src" 4M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
# A firmware zip large enough to be taken for a card: UPDATE.APP and more
# (a manual), as vendors ship them.  Without zip(1), mkupdateapp's own zip,
# which is too small to be erased at all: the tests of the source as the
# card then pass whatever dloadcard does, and say so.
zip=$TMP/fw.zip
if command -v zip >/dev/null; then
	mkdir -p "$TMP/fw/dload"
	cp "$src" "$TMP/fw/dload/UPDATE.APP"
	head -c 60M /dev/urandom >"$TMP/fw/manual.pdf"
	(cd "$TMP/fw" && zip -q -0 -r "$TMP/fw.orig" .) || { echo "Bail out! zip failed"; exit 1; }
	rm -rf "$TMP/fw"
	big_zip=""
else
	make_sample "$TMP/fw.orig" 4M --zip Firmware/dload/UPDATE.APP ||
		{ echo "Bail out! cannot make a sample firmware zip"; exit 1; }
	big_zip=" (zip(1) missing: a small zip, proves little)"
fi
# Each case gets the zip afresh: one that destroyed it must not hide the next.
fresh_zip() {
	cp "$TMP/fw.orig" "$zip"
}

# What the test mounted, unmounted before lib.sh removes $TMP.
mounts=()
mishap_cleanup() {
	local m
	for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
}
trap 'mishap_cleanup; _cleanup' EXIT

# hash_all FILE...: remember their SHA-256; same_hashes "what": unchanged.
hash_all() {
	local f
	hashed=("$@")
	hashes=()
	for f in "$@"; do hashes+=("$(sha256_of "$f")"); done
}
same_hashes() {
	local i rc=0
	for i in "${!hashed[@]}"; do
		if [ "$(sha256_of "${hashed[$i]}")" != "${hashes[$i]}" ]; then
			rc=1
			diag "changed: ${hashed[$i]}"
		fi
	done
	ok $rc "$1"
}

# one_line REGEX "what": the error is one line of its own, saying why.
one_line() {
	local n
	n=$(grep -cE -- "^dloadcard: .*($1)" <<<"$errout")
	[ "$n" -eq 1 ]
	ok $? "$2"
	[ "$n" -eq 1 ] || diag "no single line /$1/ in: $errout"
}

# refused CODE REGEX "what" FILE... -- COMMAND...: refused, nothing changed.
refused() {
	local code=$1 regex=$2 what=$3 files=()
	shift 3
	while [ "$1" != -- ]; do
		files+=("$1")
		shift
	done
	shift
	hash_all "${files[@]}"
	run "$@"
	is_status "$code" "$what: refused"
	one_line "$regex" "$what: one line says why and what to do"
	same_hashes "$what: the card, the source and the decoy are byte for byte as they were"
}

is_dload_card() {
	"$DLOADCARD" verify --quiet --against "$src" "$1" >/dev/null 2>&1
}

# A pseudo-terminal (script(1)) for the question: ask CMD... and answer
# from the FIFO $TMP/answer; its output goes to $TMP/tty.out.  A command
# that ended before its answer must not take the test with it (SIGPIPE).
trap '' PIPE
ask_bg() {
	rm -f "$TMP/answer" "$TMP/tty.out"
	mkfifo "$TMP/answer"
	script -qfec "$(printf '%q ' "$@")" /dev/null <"$TMP/answer" >"$TMP/tty.out" 2>&1 &
	tty_pid=$!
	exec 7>"$TMP/answer"
}
wait_question() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q 'Type "yes"' "$TMP/tty.out" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
answer() {	# answer TEXT: and wait for the command to end
	printf '%s\n' "$1" >&7 2>/dev/null	# it may have ended already
	exec 7>&-
	wait "$tty_pid"
	tty_status=$?
}

# --- Paths that mtools would misread (finding 3) --------------------------------
# mtools splits "-i FILE@@OFFSET" at the first "@@": victim@@0.img was once
# read as the file "victim" at offset 0, which mformat then formatted.  Each
# name gets its decoy, the part before "@@", full of data; the names are
# given as typed in the folder (after "--", for the one that starts with -).
names=('victim@@0.img' 'with space@@0 x.img' $'new\nline@@0.img' '-dash@@0.img'
       'co:lon@@1:2.img' $'\xff\xfe bytes@@0.img')
for name in "${names[@]}"; do
	label=$(printf '%q' "$name")
	decoy=$TMP/${name%%@@*}
	head -c 64M /dev/urandom >"$decoy"
	hash_all "$decoy" "$src"
	run env -C "$TMP" "$DLOADCARD" prepare --yes --size 64M -- "$name" "$src"
	is_status 0 "$label: prepared"
	is_dload_card "$TMP/$name"; ok $? "$label: it is a dload card, verified"
	same_hashes "$label: the decoy ${decoy##*/} and the source are untouched"
	rm -f "$decoy" "$TMP/$name"
done

# --- The source as the card (finding 6) --------------------------------------------
fresh_zip
refused 3 'fw.zip is the source itself: give the card first' "prepare fw.zip fw.zip$big_zip" \
	"$zip" -- "$DLOADCARD" prepare --yes "$zip" "$zip"
! grep -qE 'someone|changed while' <<<"$errout"
ok $? "prepare fw.zip fw.zip: nobody else is blamed for changing it"

fresh_zip
ln "$zip" "$TMP/hard.zip"
refused 3 'hard.zip is the source .*fw.zip.*same file' "a hard link of the source" \
	"$zip" -- "$DLOADCARD" prepare --yes "$TMP/hard.zip" "$zip"
fresh_zip
ln -s fw.zip "$TMP/sym.zip"
refused 3 'sym.zip is the source .*fw.zip' "a symlink to the source" \
	"$zip" -- "$DLOADCARD" prepare --yes "$TMP/sym.zip" "$zip"
fresh_zip
refused 3 'is the source .*same file' "the source as the card, the source through a symlink" \
	"$zip" -- "$DLOADCARD" prepare --yes "$zip" "$TMP/sym.zip"

mkdir -p "$TMP/bind"
if [ "$(id -u)" -eq 0 ] && mount --bind "$TMP" "$TMP/bind" 2>/dev/null; then
	mounts+=("$TMP/bind")
	fresh_zip
	refused 3 'bind/fw.zip is the source .*same file' "the source through a bind mount" \
		"$zip" -- "$DLOADCARD" prepare --yes "$TMP/bind/fw.zip" "$zip"
	umount "$TMP/bind"
else
	skip "the source through a bind mount is refused" "cannot bind-mount here (needs root)"
fi

if have_loop; then
	fresh_zip
	dev=$(attach_loop "$zip" 2>/dev/null)
	refused 3 "$dev is the source .*$dev is a loop device on .*fw.zip" \
		"a loop device on the source" \
		"$zip" -- "$DLOADCARD" prepare --yes --allow-fixed "$dev" "$zip"

	img=$TMP/card.img
	truncate -s 64M "$img"
	ldev=$(attach_loop "$img")
	refused 5 "$ldev is a block device" "a loop device on the card as the source" \
		"$img" -- "$DLOADCARD" prepare --yes "$img" "$ldev"
	detach_loop "$ldev"
	detach_loop "$dev"
	rm -f "$img"
else
	skip "a loop device on the source is refused" "no loop devices here (needs root)"
fi

# --- Files that are no disk image (finding 5) ----------------------------------------
# A tar of 60 MiB, a document: not erased under --yes without a word.
head -c 60M /dev/urandom >"$TMP/payload"
tar -C "$TMP" -cf "$TMP/backup.tar" payload
rm -f "$TMP/payload"
refused 3 'backup.tar holds 60.* of data, not a disk image: .*--force' "a 60 MiB tar" \
	"$TMP/backup.tar" "$src" -- "$DLOADCARD" prepare --yes "$TMP/backup.tar" "$src"
{ printf '%%PDF-1.7\n'; head -c 64M /dev/urandom; } >"$TMP/report.pdf"
refused 3 'report.pdf holds .* of data, not a disk image' "a document" \
	"$TMP/report.pdf" "$src" -- "$DLOADCARD" prepare --yes "$TMP/report.pdf" "$src"
truncate -s 64M "$TMP/fs.img"
mkfs.ext4 -q -F "$TMP/fs.img" >/dev/null 2>&1
refused 3 'fs.img holds an ext4 file system, not a disk image' "an ext4 file system image" \
	"$TMP/fs.img" "$src" -- "$DLOADCARD" prepare --yes "$TMP/fs.img" "$src"

# The question says what the file holds.
if command -v script >/dev/null; then
	hash_all "$TMP/report.pdf"
	ask_bg "$DLOADCARD" prepare --force "$TMP/report.pdf" "$src"
	wait_question; ok $? "--force without --yes: the question is asked"
	answer no
	[ "$tty_status" -eq 3 ]; ok $? "answered no: refused (exit $tty_status)"
	like "$(cat "$TMP/tty.out")" 'Everything on .*report.pdf, which holds .* of data, not a disk image, will be erased' \
		"the question says what the file holds"
	same_hashes "answered no: the document is untouched"
else
	skip "the question says what the file holds" "no script(1) for a terminal"
fi

run "$DLOADCARD" prepare --yes --force "$TMP/report.pdf" "$src"
is_status 0 "--force: a document is erased all the same"
one_line 'note: .*report.pdf holds .* of data, not a disk image: erased all the same \(--force\)' \
	"--force --yes: a word about what it held"
is_dload_card "$TMP/report.pdf"; ok $? "--force: and made a dload card"

# What may be erased without --force: blank files and disk images.
truncate -s 64M "$TMP/blank.img"
run "$DLOADCARD" prepare --yes "$TMP/blank.img" "$src"
is_status 0 "a blank (sparse) file is a card image"
head -c 64M /dev/zero >"$TMP/zeros.img"
run "$DLOADCARD" prepare --yes "$TMP/zeros.img" "$src"
is_status 0 "a file of zeros is a card image"
truncate -s 64M "$TMP/gpt.img"
printf 'label: gpt\n,,L\n' | sfdisk -q "$TMP/gpt.img" >/dev/null 2>&1
run "$DLOADCARD" prepare --yes "$TMP/gpt.img" "$src"
is_status 0 "a disk image (GPT) is a card image"
rm -f "$TMP/blank.img" "$TMP/zeros.img" "$TMP/gpt.img" "$TMP/backup.tar" "$TMP/report.pdf"

# --- Loop devices: mounted, busy, and two names for one card (5, 11) ------------------
if have_loop; then
	# A disk image (a partition table, an ext4 file system in its
	# partition), mounted through a loop device on its partition.
	ext=$TMP/ext.img
	truncate -s 64M "$ext"
	printf 'label: dos\n,,83\n' | sfdisk -q "$ext" >/dev/null 2>&1
	dev=$(attach_loop -o $((2048 * 512)) "$ext")
	mkfs.ext4 -q -F "$dev" >/dev/null 2>&1
	mkdir -p "$TMP/mnt"
	if mount -o ro,noload "$dev" "$TMP/mnt" 2>/dev/null; then
		mounts+=("$TMP/mnt")
		refused 3 "ext.img is the backing file of $dev, and $dev is mounted .*unmount" \
			"an image behind a mounted loop device" \
			"$ext" "$src" -- "$DLOADCARD" prepare --yes "$ext" "$src"
		refused 3 "ext.img is the backing file of $dev, and $dev is mounted" \
			"probe of an image behind a mounted loop device" \
			"$ext" -- "$DLOADCARD" probe --quick "$ext"
		umount "$TMP/mnt"
	else
		skip "an image behind a mounted loop device is refused" "cannot mount ext4 here"
	fi
	detach_loop "$dev"

	img=$TMP/card.img
	truncate -s 64M "$img"
	dev=$(attach_loop "$img")
	# Opened exclusively by another program (as mdadm or cryptsetup do).
	perl -MFcntl -e 'sysopen(my $f, $ARGV[0], O_RDONLY | O_EXCL) or die "$!\n";
		$| = 1; print "held\n"; sleep 30' "$dev" >"$TMP/held" 2>&1 &
	holder=$!
	for ((i = 0; i < 50; i++)); do grep -q held "$TMP/held" && break; sleep 0.1; done
	refused 3 "card.img is the backing file of $dev, and $dev is in use \(mounted, or opened by another program\)" \
		"an image behind a loop device another program holds" \
		"$img" "$src" -- "$DLOADCARD" prepare --yes "$img" "$src"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null

	# Held by device mapper (LVM on the image): seen in sysfs, here a fake
	# one (--sysroot) since this kernel may have no device mapper.
	fakesys_init "$TMP/root"
	fakesys_add "$TMP/root" "$dev" 1
	mkdir -p "$TMP/root/sys/block/${dev#/dev/}/holders/dm-7"
	refused 3 "card.img is the backing file of $dev, and $dev is in use by dm-7" \
		"an image behind a loop device held by device mapper" \
		"$img" "$src" -- "$DLOADCARD" prepare --sysroot "$TMP/root" --yes "$img" "$src"

	# One batch, both names: made once, the second name refused.
	log=$TMP/batch.jsonl
	run "$DLOADCARD" batch --yes --allow-fixed --log "$log" "$src" "$img" "$dev"
	is_status 23 "batch of an image and its loop device: one made, one refused"
	like "$out" "$dev +.* refused .*same card as .*card.img" "the summary names the second as the same card"
	[ "$(jq -r 'select(.result == "failed") | .device' "$log")" = "" ]
	ok $? "log: no card failed (none was called faulty or fake)"
	is_dload_card "$img"; ok $? "the card is made, and verified"
	dev2=$(attach_loop "$img")
	run "$DLOADCARD" batch --yes --allow-fixed "$src" "$dev" "$dev2"
	like "$out" "$dev2 +.* refused .*loop devices on the same file" \
		"two loop devices on one file are one card"
	detach_loop "$dev2"

	# Two commands: the first holds the card (waiting at its question);
	# the second, given the other name, is refused as locked.
	if command -v script >/dev/null; then
		ask_bg "$DLOADCARD" prepare --allow-fixed "$img" "$src"
		wait_question; ok $? "the first command waits at its question"
		refused 3 "$dev is locked by another program \(another dloadcard\?\)" \
			"the loop device while its file is being prepared" \
			"$img" "$src" -- "$DLOADCARD" prepare --yes --allow-fixed "$dev" "$src"
		refused 3 "$dev is locked by another program" \
			"probe of the loop device meanwhile" \
			"$img" -- "$DLOADCARD" probe --quick --allow-fixed "$dev"
		answer no

		ask_bg "$DLOADCARD" prepare --allow-fixed "$dev" "$src"
		wait_question
		refused 3 "card.img is locked by another program \(another dloadcard\?\)" \
			"the file while its loop device is being prepared" \
			"$img" "$src" -- "$DLOADCARD" prepare --yes "$img" "$src"
		answer no
	else
		skip "a second command on another name is refused as locked" "no script(1)"
	fi
	detach_loop "$dev"
	rm -f "$img" "$ext"
else
	skip "images behind mounted or busy loop devices, one card under two names" \
		"no loop devices here (needs root)"
fi

# --- Above 2 TiB (finding 9) ----------------------------------------------------------
# The first 2 TiB are laid out (an MBR partition ends within 2^32 sectors),
# and the user is told; the probe still covers the whole card.
huge=$TMP/huge.img
if truncate -s 2560G "$huge" 2>/dev/null; then
	run "$DLOADCARD" prepare --yes "$huge" "$src"
	is_status 0 "a 2.5 TiB card is made"
	one_line 'note: only the first 2.0 TiB of .*huge.img.s 2.5 TiB are used: an MBR' \
		"the note before erasing says only 2 TiB are used"
	like "$out" 'only the first 2.0 TiB of the card are used' "the report says so too"
	end=$(sfdisk -J "$huge" | jq '.partitiontable.partitions[0] | .start + .size')
	[ "$end" -le $((1 << 32)) ]; ok $? "the partition ends within 2^32 sectors ($end)"
	is_dload_card "$huge"; ok $? "and it is a dload card, verified"
	rm -f "$huge"
else
	skip "a card above 2 TiB" "this file system cannot hold a 2.5 TiB sparse file"
fi

# --- Labels, sizes, a full host file system (finding 16) -------------------------------
lab=$TMP/label.img
run "$DLOADCARD" prepare --yes --size 64M --label dload "$lab" "$src"
is_status 0 "--label dload"
off=$(part_offset "$lab")
[ "$(dd if="$lab" bs=1 skip=$((off + 71)) count=11 2>/dev/null)" = "DLOAD      " ]
ok $? "the boot sector's label is DLOAD"
[ "$(MTOOLSRC=/dev/null mlabel -s -i "$lab@@$off" :: | sed 's/ *$//')" = " Volume label is DLOAD" ]
ok $? "the root directory's label is DLOAD"
dd if="$lab" of="$TMP/part" bs=1M skip=$((off >> 20)) 2>/dev/null
run fsck.fat -n "$TMP/part"
is_status 0 "fsck.fat finds nothing wrong (one label in both places)"
rm -f "$TMP/part"

refused 2 "invalid --label ' ': a label cannot start with a space" "--label ' '" \
	"$lab" -- "$DLOADCARD" prepare --yes --label ' ' "$lab" "$src"

run "$DLOADCARD" prepare --yes --size 40M "$TMP/small.img" "$src"
is_status 3 "--size 40M is too small for the file: refused"
[ ! -e "$TMP/small.img" ]; ok $? "and the file it created is gone"
truncate -s 64M "$TMP/old.img"
run "$DLOADCARD" batch --size 64M "$src" "$TMP/new.img" "$TMP/old.img" </dev/null
is_status 3 "batch, not confirmed: refused"
[ ! -e "$TMP/new.img" ]; ok $? "and the image it created for it is gone"
rm -f "$TMP/old.img"
run "$DLOADCARD" prepare --yes --size 100M "$lab" "$src"
is_status 0 "an existing 64 MiB image with --size 100M is used as it is"
one_line 'note: .*label.img already exists, of 64.0 MiB: --size 100.0 MiB is for a new file' \
	"and that --size is not used is said"

mkdir -p "$TMP/full"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=3M tmpfs "$TMP/full" 2>/dev/null; then
	mounts+=("$TMP/full")
	run "$DLOADCARD" prepare --yes --size 64M "$TMP/full/card.img" "$src"
	is_status 7 "an image on a full file system: a write error"
	one_line 'the file system that holds .*full/card.img is full' "named as the host file system's"
	! grep -qE 'faulty or worn|[Uu]se another card' <<<"$errout"; ok $? "not blamed on the card"
	umount "$TMP/full"
else
	skip "an image on a full file system" "cannot mount a tmpfs here (needs root)"
fi

done_testing
