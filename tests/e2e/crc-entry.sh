#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# check and the CRC entry (doc/updateapp-format.md): a container whose CRC
# entry is of the layout passes with a PASS line; cut at any entry boundary
# after the CRC entry (which every other check passes) it is refused with
# exit 4, naming the cut and the bytes missing; a CRC entry of another
# layout is reported as not understood and the file still accepted; and
# prepare refuses a cut file before it writes anything.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

"$MKUPDATEAPP" --size 1M --list --output "$TMP/full.app" 2>"$TMP/layout"
# Where each entry starts, and where the last one ends.
mapfile -t starts < <(awk '$1 ~ /^[0-9]+$/ { print $3 }' "$TMP/layout")
crc_entry=$(awk '$2 == "CRC" { print $1 }' "$TMP/layout")
[ "$crc_entry" = 1 ]; ok $? "the sample's CRC entry is entry 1"

run "$DLOADCARD" check --quiet "$TMP/full.app"
is_status 0 "the whole file: exit 0"
like "$out" '^CRC entry: PASS, 40 checksums of 32 KiB pieces match' "the whole file: a PASS line"
like "$out" 'Verdict: valid: every check passed' "the whole file: valid"
run "$DLOADCARD" check --quiet --json "$TMP/full.app"
[ "$(jq -r '.files[0].crc_entry | "\(.result) \(.entry) \(.listed) \(.pieces) \(.matched)"' <<<"$out")" = "pass 1 40 40 40" ]
ok $? "the whole file: --json crc_entry pass, 40 listed, 40 present, 40 matched"

# Cut at every entry boundary after the CRC entry: each a whole number of
# entries, so the container itself looks complete.
for ((i = crc_entry + 1; i < ${#starts[@]}; i++)); do
	at=${starts[i]}
	head -c "$at" "$TMP/full.app" >"$TMP/cut.app"
	run "$DLOADCARD" check --quiet "$TMP/cut.app"
	is_status 4 "cut before entry $i (byte $at): exit 4"
	like "$out" "^  error    crc-entry-cut, the file, byte $at " "cut before entry $i: a crc-entry-cut error at byte $at"
	like "$out" "The file ends at byte $at, at an entry boundary after entry $((i - 1))" \
		"cut before entry $i: names the boundary"
	like "$out" "up to [0-9]+ bytes of entry data \([0-9]+ pieces\)" "cut before entry $i: says how many bytes are missing"
	like "$out" '^CRC entry: the file was cut' "cut before entry $i: the CRC entry line says cut"
	run "$DLOADCARD" check --quiet --json "$TMP/cut.app"
	missing=$(jq -r '[.files[0].findings[] | select(.kind == "crc-entry-cut")][0].value' <<<"$out")
	# The bytes missing are at most the pieces' 32 KiB each, and at least
	# the data of the entries cut off.
	data_cut=$(awk -v i="$i" '$1 ~ /^[0-9]+$/ && $1 >= i { s += $6 } END { print s }' "$TMP/layout")
	[ "$missing" -ge "$data_cut" ] && [ "$missing" -le $((data_cut + 32768 * (${#starts[@]} - i))) ]
	ok $? "cut before entry $i: $missing bytes missing, for $data_cut bytes of data cut off"
	[ "$(jq -r '.files[0].verdict' <<<"$out")" = damaged ]; ok $? "cut before entry $i: --json verdict damaged"
done

# A CRC entry of another layout: an info line, never an error.
"$MKUPDATEAPP" --size 1M --crc foreign --list --output "$TMP/foreign.app" 2>"$TMP/flayout"
run "$DLOADCARD" check --quiet "$TMP/foreign.app"
is_status 0 "a foreign CRC entry: exit 0"
like "$out" '^  info     crc-entry-unknown, entry 1 \(CRC\)' "a foreign CRC entry: an info finding"
like "$out" 'not understood, not judged' "a foreign CRC entry: says not understood, not judged"
like "$out" 'Verdict: valid: every check passed' "a foreign CRC entry: valid, no warning"
head -c "$(awk '$1 == 5 { print $3 }' "$TMP/flayout")" "$TMP/foreign.app" >"$TMP/foreign-cut.app"
run "$DLOADCARD" check --quiet "$TMP/foreign-cut.app"
is_status 0 "a foreign CRC entry, cut at a boundary: not judged by it (exit 0)"

# No CRC entry: nothing said about one.
"$MKUPDATEAPP" --size 1M --crc none --output "$TMP/none.app"
run "$DLOADCARD" check --quiet "$TMP/none.app"
is_status 0 "no CRC entry: exit 0"
! grep -q 'crc-entry' <<<"$out"; ok $? "no CRC entry: no crc-entry finding"

# Damaged data: the block checksums say it, the CRC entry adds nothing.
"$MKUPDATEAPP" --size 1M --damage block-crc:2 --output "$TMP/bad.app"
run "$DLOADCARD" check --quiet --json "$TMP/bad.app"
is_status 4 "a damaged block: exit 4"
[ "$(jq -r '[.files[0].findings[] | select(.severity != "info") | .kind] | join(" ")' <<<"$out")" = block-crc ]
ok $? "a damaged block: one block-crc error, nothing from the CRC entry"
[ "$(jq -r '.files[0].crc_entry.result' <<<"$out")" = not-judged ]; ok $? "a damaged block: the CRC entry not judged"

# prepare runs the same check: a cut file never reaches the card.
head -c "${starts[7]}" "$TMP/full.app" >"$TMP/cut.app"
truncate -s 64M "$TMP/card.img"
before=$(sha256_of "$TMP/card.img")
src_before=$(sha256_of "$TMP/cut.app")
run "$DLOADCARD" prepare --yes --quiet "$TMP/card.img" "$TMP/cut.app"
is_status 4 "prepare with a file cut at an entry boundary: exit 4"
like "$errout" "at an entry boundary" "prepare names the cut"
[ "$(sha256_of "$TMP/card.img")" = "$before" ]; ok $? "prepare refusing a cut file leaves the card as it was"
[ "$(sha256_of "$TMP/cut.app")" = "$src_before" ]; ok $? "and the source as it was"

done_testing
