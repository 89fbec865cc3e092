#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# list: the disks a card could be on, what each holds, and why one would be
# refused; read on a fake sysfs in which a loop device the test attached
# plays a card, a fixed disk, a write-protected or a mounted card.  list
# writes nothing: every image is byte for byte the same afterwards.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"
# shellcheck source=tests/helpers/fakesys-lib.sh
. "$TESTS_SRCDIR/helpers/fakesys-lib.sh"

run "$DLOADCARD" list --help
is_status 0 "list --help"
like "$out" 'REASON' "--help names the columns"

run "$DLOADCARD" list -o NOSUCH
is_status 2 "an unknown column is a usage error"

# The machine's own disks: whatever they are, list reads them and succeeds.
run "$DLOADCARD" list --all --json
is_status 0 "list --all on this machine"
jq -e '.disks | type == "array"' <<<"$out" >/dev/null
ok $? "list --all --json is JSON with a disks array"

# No model is a bare vendor number (a virtual machine's virtio disk: 0x1af4).
jq -r '.disks[].model // empty' <<<"$out" >"$TMP/models"
! grep -Eq '^0[xX][0-9a-fA-F]+$' "$TMP/models"
ok $? "no MODEL of this machine's disks is a bare vendor id ($(paste -sd, "$TMP/models"))"

# No card: a line says so, and how to see every disk; stdout stays the table
# (nothing) or the JSON (an empty array), for scripts.
empty=$TMP/empty
fakesys_init "$empty"
run "$DLOADCARD" list --sysroot "$empty"
is_status 0 "list with no card succeeds"
[ -z "$out" ]; ok $? "with nothing on stdout (no header over an empty table)"
like "$errout" '^No card found.*dloadcard list --all' "stderr says no card was found, and names --all"
run "$DLOADCARD" list --sysroot "$empty" --json
is_status 0 "list --json with no card succeeds"
jq -e '.disks == []' <<<"$out" >/dev/null; ok $? "stdout is the JSON alone, an empty disks array"
like "$errout" '^No card found' "and the line is on stderr"
run "$DLOADCARD" list --sysroot "$empty" --all
like "$errout" '^No disk found' "with --all and no disk at all: no disk found"

if ! have_loop; then
	skip "list on a fake sysfs" "no loop devices here (needs root)"
	done_testing
fi

src=$TMP/UPDATE.APP
make_sample "$src" 4M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }

img=$TMP/card.img
truncate -s 64M "$img"
dev=$(attach_loop "$img")
fixed_img=$TMP/fixed.img
truncate -s 64M "$fixed_img"
fixed=$(attach_loop "$fixed_img")

fake=$TMP/sys
fakesys_init "$fake"
fakesys_add "$fake" "$dev" 1
fakesys_add "$fake" "$fixed" 0
before=$(sha256_of "$img")
before_fixed=$(sha256_of "$fixed_img")

# jq over the JSON row of one device.
row() {	# row DEVICE FILTER
	jq -r --arg d "$1" ".disks[] | select(.device == \$d) | $2" <<<"$out"
}

run "$DLOADCARD" list --sysroot "$fake" --json
is_status 0 "list on the fake sysfs"
[ "$(row "$dev" .state)" = eligible ]; ok $? "a removable card is eligible"
[ "$(row "$dev" .dload)" = no ]; ok $? "an empty card is not a dload card"
[ "$(row "$dev" .size)" = $((64 << 20)) ]; ok $? "its size in bytes in JSON"
[ "$(row "$dev" .ro)" = false ]; ok $? "ro is a JSON boolean"
[ -z "$(row "$fixed" .device)" ]; ok $? "a fixed disk is not shown without --all"

run "$DLOADCARD" list --sysroot "$fake" --all --json
[ "$(row "$fixed" .state)" = "protected (fixed)" ]; ok $? "--all shows a fixed disk, protected"
like "$(row "$fixed" .reason)" 'fixed disk.*--allow-fixed' "and says why it would be refused"

run "$DLOADCARD" list --sysroot "$fake"
is_status 0 "list as a table"
like "$out" "^DEVICE +SIZE" "a header line"
like "$out" "$dev .*eligible" "the card's line says eligible"
[ -z "$errout" ]; ok $? "and no 'no card' line when there is one"

# For scripts (and the shell's completion): one space between columns, no header.
run "$DLOADCARD" list --sysroot "$fake" -o DEVICE,STATE --raw --noheadings
is_status 0 "list -o DEVICE,STATE --raw --noheadings"
[ "$out" = "$dev eligible" ]; ok $? "one line: the device and its state"
run "$DLOADCARD" list --sysroot "$fake" --all -o DEVICE,STATE -r -n
[ "$(grep "^$fixed " <<<"$out")" = "$fixed protected\\x20(fixed)" ]
ok $? "-r -n: a space inside a cell is written \\x20, so each line splits in two"
run "$DLOADCARD" list --sysroot "$fake" -o DEVICE,STATE --raw
[ "$(head -1 <<<"$out")" = "DEVICE STATE" ]; ok $? "--raw alone keeps the header"

# A dload card is recognised.
run "$DLOADCARD" prepare --yes --allow-fixed "$dev" "$src"
is_status 0 "prepare the card"
before=$(sha256_of "$img")
run "$DLOADCARD" list --sysroot "$fake" --json
[ "$(row "$dev" .dload)" = yes ]; ok $? "list recognises a dload card"
like "$(row "$dev" .content)" '^dos: vfat FAT32 "DLOAD"' "and shows its partition and file system"

# Write-protected, then mounted: refused, with the reason.
fakesys_remove "$fake" "$dev"
fakesys_add "$fake" "$dev" 1 1
run "$DLOADCARD" list --sysroot "$fake" --json
[ "$(row "$dev" .state)" = "refused (read-only)" ]; ok $? "a write-protected card is refused"
[ "$(row "$dev" .ro)" = true ]; ok $? "and shown read-only"

fakesys_remove "$fake" "$dev"
fakesys_add "$fake" "$dev" 1
fakesys_mount "$fake" "$dev" /media/card
run "$DLOADCARD" list --sysroot "$fake" --json -o DEVICE,STATE,MOUNTED,REASON
[ "$(row "$dev" .state)" = "refused (mounted)" ]; ok $? "a mounted card is refused"
like "$(row "$dev" .mounted)" '/media/card' "MOUNTED says where"
like "$(row "$dev" .reason)" 'unmount' "REASON says what to do"
[ "$(jq '.disks[0] | keys | length' <<<"$out")" -le 4 ]; ok $? "-o picks the columns"

[ "$(sha256_of "$img")" = "$before" ]; ok $? "list wrote nothing to the card"
[ "$(sha256_of "$fixed_img")" = "$before_fixed" ]; ok $? "nor to the fixed disk"

done_testing
