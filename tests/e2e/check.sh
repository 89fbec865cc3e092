#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# check, end to end: valid containers pass with no warning; each kind of
# damage tests/mkupdateapp can make gets its own message, exit code, entry
# and byte offset; firmware zips are read through; digests; --json; and
# prepare runs the same check before it touches a card.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

# The layout of a generated file, from mkupdateapp --list.
layout() {	# layout SIZE [options]: writes $TMP/layout
	local size=$1
	shift
	"$MKUPDATEAPP" --size "$size" --list "$@" --output /dev/null 2>"$TMP/layout"
}
header_at() { awk -v i="$1" '$1 == i { print $3 }' "$TMP/layout"; }
data_at() { awk -v i="$1" '$1 == i { print $5 }' "$TMP/layout"; }
container_size() { awk '/^container size/ { print $3 }' "$TMP/layout"; }

# A finding of the last --json run: "ENTRY OFFSET VALUE" of the first of KIND.
finding() {
	jq -r --arg k "$1" '[.files[0].findings[] | select(.kind == $k)][0] |
		"\(.entry) \(.offset) \(.value)"' <<<"$out"
}

# --- Valid files ------------------------------------------------------------
valid() {	# valid "what" mkupdateapp-options...
	local what=$1 f=$TMP/valid.app
	shift
	"$MKUPDATEAPP" --output "$f" "$@"
	run "$DLOADCARD" check --quiet "$f"
	is_status 0 "valid, $what: exit 0"
	like "$out" 'Verdict: valid: every check passed' "valid, $what: the verdict says valid"
	! grep -Eqi 'warning|error' <<<"$out"; ok $? "valid, $what: no warning, no error"
	run "$DLOADCARD" check --quiet --json "$f"
	[ "$(jq -r '.files[0] | "\(.verdict) \(.warnings) \(.errors)"' <<<"$out")" = "valid 0 0" ]
	ok $? "valid, $what: --json says valid, 0 warnings, 0 errors"
}
valid "4 KiB, 12 entries" --size 4K
valid "64 KiB" --size 64K
valid "1 MiB, seed 7" --size 1M --seed 7
valid "24 MiB" --size 24M
valid "3 entries" --size 1M --entries 3
valid "2 entries, the last one without pad" --size 100K --entries 2 --no-last-pad
valid "no pad after the last entry" --size 1M --no-last-pad
valid "an odd size" --size 777777

# What the table shows: the 17-character name, the empty entry, the versions.
f=$TMP/v.app
"$MKUPDATEAPP" --size 1M --output "$f"
layout 1M
run "$DLOADCARD" check --quiet "$f"
like "$out" '^INDEX +NAME +HWID +SIZE +DATE +OFFSET +RESULT' "the entries table has its columns"
like "$out" "^ +9 ERECOVERY_RAMDISK +HW7x25 +16389 +2015\.03\.22 +$(header_at 9) +ok" \
	"a 17-character name, its size, date and offset"
like "$out" "^ +10 RESERVED +HW7x25 +0 .* ok" "an empty entry is listed, ok"
like "$out" "^ +0 SHA256RSA .*signature, not judged" "the signature entry is reported, not judged"
like "$out" '^Package: for S7-721u, S7-721w, S7-722u' "the products the package names"
like "$out" '^  CURVER +S7-721uV100R001C00B008' "the CURVER text is shown"
like "$out" '^ +S7-722u V100R001C00B008' "every line of VERLIST is shown"
like "$out" "^SHA-256: $(sha256_of "$f")" "the SHA-256 of the file"
! grep -q '^MD5' <<<"$out"; ok $? "no MD5 unless asked for"

# --- Damage: each kind its message, exit code, entry and offset --------------
# damaged KIND EXIT REGEX [mkupdateapp options]: the file is 64 KiB, damage on
# the last entry (11, SYSTEM) unless -e says otherwise.
damaged() {
	local kind=$1 code=$2 regex=$3 f=$TMP/damaged.app
	shift 3
	"$MKUPDATEAPP" --size 64K --output "$f" "$@" --damage "$kind" ||
		{ ok 1 "$kind: mkupdateapp"; return; }
	run "$DLOADCARD" check --quiet "$f"
	is_status "$code" "$kind: exit $code"
	like "$out" "$regex" "$kind: says /$regex/"
	like "$out" 'Advice: ' "$kind: one line of advice"
	run "$DLOADCARD" check --quiet --json "$f"
}

layout 64K
last=11 h=$(header_at 11) d=$(data_at 11) end=$(container_size)

damaged header-crc 4 "header checksum is 0x[0-9A-F]{4} but the header computes to"
[ "$(finding header-crc)" = "$last $((h + 92)) 0" ]; ok $? "header-crc: entry $last, byte $((h + 92))"
like "$(jq -r .files[0].error <<<"$out")" "Entry 11 \(SYSTEM\) at byte $h" "header-crc: the error names the entry and its byte"

damaged block-crc 4 "Entry 11 \(SYSTEM\): 1 of [0-9]+ data blocks fail their checksum, the first at byte $d"
[ "$(finding block-crc)" = "$last $d 1" ]; ok $? "block-crc: entry $last, byte $d, 1 bad block"

damaged block-crc:3 4 "the first at byte $((d + 3 * 4096))"
[ "$(finding block-crc)" = "$last $((d + 3 * 4096)) 1" ]; ok $? "block-crc in block 3: its offset"

layout 1M
damaged block-crc:5 4 "Entry 7 \(BOOT\): 1 of 9 data blocks fail" --size 1M --entry 7
[ "$(finding block-crc)" = "7 $(($(data_at 7) + 5 * 4096)) 1" ]; ok $? "block-crc in entry 7 of 12: entry and offset"
damaged block-crc 4 "Entry 9 \(ERECOVERY_RAMDISK\): 1 of 5 data blocks fail" --size 1M --entry 9
[ "$(finding block-crc)" = "9 $(data_at 9) 1" ]; ok $? "block-crc in the 17-character entry"
damaged block-crc:4 4 "Entry 9 \(ERECOVERY_RAMDISK\): 1 of 5 data blocks fail" --size 1M --entry 9
[ "$(finding block-crc)" = "9 $(($(data_at 9) + 4 * 4096)) 1" ]; ok $? "block-crc in a partial last block (5 bytes)"
layout 64K

damaged bad-magic 4 "Entry 11 at byte $h \(0x[0-9A-F]+\) does not start with 55 AA 5A A5"
[ "$(finding bad-magic)" = "$last $h 0" ]; ok $? "bad-magic: entry $last, byte $h"

damaged bad-magic 4 "The first entry should start at byte 92 .* not 55 AA 5A A5" --entry 0
[ "$(finding bad-magic)" = "0 92 0" ]; ok $? "bad-magic on the first entry: byte 92"

damaged bad-header-length 4 "the header length [0-9]+ is not 98 \+ 2 x [0-9]+ blocks"
[ "$(finding bad-header-length | cut -d' ' -f1-2)" = "$last $((h + 4))" ]; ok $? "bad-header-length: entry $last, byte $((h + 4))"

damaged bad-const 4 "holds 0x00000002 where every UPDATE.APP has 1"
[ "$(finding bad-const)" = "$last $((h + 8)) 2" ]; ok $? "bad-const: entry $last, byte $((h + 8))"

damaged zero-block-size 4 "the block size is 0"
[ "$(finding zero-block-size)" = "$last $((h + 94)) 0" ]; ok $? "zero-block-size: entry $last, byte $((h + 94))"

damaged truncate:1000 4 "The file ends at byte $((end - 1000)), inside entry 11 \(SYSTEM\), which needs 1000 more bytes"
[ "$(finding truncated)" = "$last $((end - 1000)) 1000" ]; ok $? "truncated: 1000 bytes missing, at byte $((end - 1000))"
damaged truncate:12345 4 "needs 12345 more bytes"
damaged truncate:$((end - h - 48)) 4 "The file ends at byte $((h + 48)), inside entry 11, which needs $((end - h - 48)) more bytes"
[ "$(finding truncated)" = "$last $((h + 48)) $((end - h - 48))" ]; ok $? "truncated in a header: what is missing"

damaged trailing:100 4 "100 extra bytes follow the end of the last entry, entry 11 \(SYSTEM\), at byte $end"
[ "$(finding trailing)" = "null $end 100" ]; ok $? "trailing: 100 bytes at byte $end"
damaged trailing-zeros:64 4 "64 extra bytes follow .* \(all of them zero\)"

# Not an UPDATE.APP at all: named for what it is.
damaged html 5 "is a web page \(HTML\), not firmware"
[ "$(finding html)" = "null 0 0" ]; ok $? "html: the whole file"
damaged empty 5 "The file is empty \(0 bytes\)"
damaged zeros 5 "All 65536 bytes of the file are zero"
damaged updatebin 5 "HarmonyOS/OpenHarmony update.bin package \(product ABC-AL00"
damaged text 5 "plain text, not firmware \(it begins \"Error 403: Forbidden"
damaged rar 5 "is a RAR archive, not an UPDATE.APP"

# Heuristics: warnings only, exit 0, said as such.
warned() {	# warned KIND FINDING-KIND REGEX [mkupdateapp options]
	local kind=$1 fkind=$2 regex=$3 f=$TMP/warned.app
	shift 3
	"$MKUPDATEAPP" --size 64K --output "$f" "$@" --damage "$kind"
	run "$DLOADCARD" check --quiet "$f"
	is_status 0 "$kind: a warning, exit 0"
	like "$out" "^  warning  $fkind, " "$kind: a warning of kind $fkind"
	like "$out" "$regex" "$kind: says /$regex/"
	like "$out" 'Verdict: valid, with 1 warning: every certain check passed \(exit status 0\)' \
		"$kind: the verdict says valid, with the warning"
}
warned padding padding "Entry 2 \(CURVER\): the pad bytes after its data, at byte [0-9]+, are not zero"
warned hardware-id hardware-id "the hardware id \"XY1234\" does not have the usual form"
warned date date "the date \"2015-03-22\" is not of the form YYYY.MM.DD"
warned time time "the time \"25.61.00\" is not of the form HH.MM.SS"
warned name name "the entry name is empty or holds unprintable bytes"
warned no-signature signature-position "Entry 0 \(CERT\) comes first, not a signature entry"
warned leading-zeros:50 leading-zeros "starts with 50 zero bytes before the first entry"

# --- Firmware zips ------------------------------------------------------------
plain=$TMP/plain.app
"$MKUPDATEAPP" --size 2M --seed 3 --output "$plain"
plain_sha=$(sha256_of "$plain")
for inner in Firmware/dload/UPDATE.APP "S7-721u V100R001C00B008/Software/dload/UPDATE.APP" \
	     a/b/c/DLOAD/update.app; do
	zip=$TMP/fw.zip
	"$MKUPDATEAPP" --size 2M --seed 3 --output "$zip" --zip "$inner" \
		--zip-extra Firmware/readme.txt --zip-extra "Firmware/update_sd.app"
	run "$DLOADCARD" check --quiet --json "$zip"
	is_status 0 "zip with $inner: valid"
	[ "$(jq -r .files[0].zip_entry <<<"$out")" = "$inner" ]; ok $? "zip with $inner: the entry found"
	[ "$(jq -r .files[0].sha256 <<<"$out")" = "$plain_sha" ]; ok $? "zip with $inner: the SHA-256 of the plain file"
done
run "$DLOADCARD" check --quiet "$zip"
like "$out" "^File: $zip:a/b/c/DLOAD/update.app, 2097152 bytes" "zip: the file is named zip:path"

"$MKUPDATEAPP" --size 64K --output "$zip" --zip Firmware/other.bin --zip-extra Firmware/readme.txt
run "$DLOADCARD" check --quiet "$zip"
is_status 5 "a zip without UPDATE.APP: exit 5"
like "$out" "the zip holds no dload/UPDATE.APP\. It holds 2 files: Firmware/readme.txt, Firmware/other.bin" \
	"a zip without UPDATE.APP: says so and lists what it holds"

"$MKUPDATEAPP" --size 64K --output "$zip" --zip a/dload/UPDATE.APP --zip-extra b/dload/UPDATE.APP
run "$DLOADCARD" check --quiet "$zip"
is_status 5 "a zip with two UPDATE.APP: exit 5"
like "$out" "the zip holds 2 dload/UPDATE.APP files \(b/dload/UPDATE.APP, a/dload/UPDATE.APP\)" \
	"a zip with two UPDATE.APP: names both"

"$MKUPDATEAPP" --size 64K --output "$zip" --zip dload/UPDATE.APP --damage block-crc
run "$DLOADCARD" check --quiet "$zip"
is_status 4 "a zip holding a damaged UPDATE.APP: exit 4"
like "$out" "Entry 11 \(SYSTEM\): 1 of [0-9]+ data blocks fail" "a zip holding a damaged UPDATE.APP: the damage"

"$MKUPDATEAPP" --size 64K --output "$zip" --damage zip
run "$DLOADCARD" check --quiet "$zip"
is_status 0 "mkupdateapp's unextracted zip is read through"

"$MKUPDATEAPP" --size 1M --output "$TMP/big.zip" --zip dload/UPDATE.APP
head -c 300000 "$TMP/big.zip" >"$zip"
run "$DLOADCARD" check --quiet "$zip"
[ "$status" -eq 4 ] || [ "$status" -eq 5 ]; ok $? "a truncated zip fails (exit $status)"
like "$out" "damaged or incomplete" "a truncated zip: says damaged or incomplete"

# --- Digests ------------------------------------------------------------------
md5=$(openssl dgst -md5 -r "$plain" | cut -d' ' -f1)
zero64=$(printf '0%.0s' $(seq 64))
run "$DLOADCARD" check --quiet --sha256 "$plain_sha" "$plain"
is_status 0 "--sha256 right: exit 0"
like "$out" "^SHA-256: $plain_sha  \(matches the one given\)" "--sha256 right: says it matches"
run "$DLOADCARD" check --quiet --sha256 "$zero64" "$plain"
is_status 6 "--sha256 wrong: exit 6"
like "$out" "Verdict: a valid UPDATE.APP, but not the file expected: .*its SHA-256 is $plain_sha, not the $zero64 given" \
	"--sha256 wrong: says which is which"
run "$DLOADCARD" check --quiet --md5 "$md5" "$plain"
is_status 0 "--md5 right: exit 0"
like "$out" "^MD5: +$md5  \(matches the one given\)" "--md5 right: the MD5 is shown and matches"
run "$DLOADCARD" check --quiet --md5 "${zero64:0:32}" "$plain"
is_status 6 "--md5 wrong: exit 6"
like "$out" "its MD5 is $md5, not the ${zero64:0:32} given" "--md5 wrong: says which is which"
run "$DLOADCARD" check --quiet --json --sha256 "$plain_sha" --md5 "$md5" "$TMP/big.zip"
[ "$(jq -r '.files[0] | "\(.sha256_match) \(.md5_match)"' <<<"$out")" = "false false" ]
ok $? "--json: sha256_match and md5_match"
"$MKUPDATEAPP" --size 64K --output "$TMP/bad.app" --damage block-crc
run "$DLOADCARD" check --quiet --sha256 "$(sha256_of "$TMP/bad.app")" "$TMP/bad.app"
is_status 4 "a damaged file with its own SHA-256: still damaged (exit 4)"
run "$DLOADCARD" check --quiet --sha256 abc "$plain"
is_status 2 "a malformed --sha256: usage error"

# --- --model ------------------------------------------------------------------
run "$DLOADCARD" check --quiet --model s7-721W "$plain"
is_status 0 "--model named in VERLIST: exit 0"
like "$out" "The package names s7-721W: entry 3 \(VERLIST\) says \"S7-721w V100R001C00B008\"" \
	"--model: where the package names it"
like "$out" 'Verdict: valid: every check passed' "--model named: no warning"
run "$DLOADCARD" check --quiet --model ELE-L29 "$plain"
is_status 0 "--model of another product: a warning, exit 0"
like "$out" "This package is for S7-721u, S7-721w, S7-722u, not ELE-L29" "--model of another product: says for which"
like "$out" 'Verdict: valid, with 1 warning' "--model of another product: counted as a warning"
"$MKUPDATEAPP" --size 64K --entries 2 --output "$TMP/notext.app"
run "$DLOADCARD" check --quiet --json --model ELE-L29 "$TMP/notext.app"
[ "$(jq -r '.files[0].findings[] | select(.kind == "model-unknown") | .severity' <<<"$out")" = info ]
ok $? "--model without product text: nothing is known, said as information"

# --- Several files, --json ----------------------------------------------------
run "$DLOADCARD" check --quiet "$plain" "$TMP/bad.app"
is_status 4 "a valid and a damaged file: exit 4, the worst"
[ "$(grep -c '^Verdict:' <<<"$out")" -eq 2 ]; ok $? "two files: two verdicts"
"$MKUPDATEAPP" --size 4K --output "$TMP/page.html" --damage html
run "$DLOADCARD" check --quiet --json "$TMP/bad.app" "$plain" "$TMP/page.html"
is_status 5 "damaged, valid and HTML: exit 5, the worst"
jq -e . <<<"$out" >/dev/null; ok $? "--json: one JSON document"
[ "$(jq -r '[.command, .exit_code, (.files | length)] | join(" ")' <<<"$out")" = "check 5 3" ]
ok $? "--json: command, worst exit code, one object per file"
[ "$(jq -r '[.files[] | .verdict] | join(" ")' <<<"$out")" = "damaged valid not-updateapp" ]
ok $? "--json: each file's verdict"
[ "$(jq -r '[.files[] | .exit_code] | join(" ")' <<<"$out")" = "4 0 5" ]; ok $? "--json: each file's exit code"
[ "$(jq -r '.files[1].entries | length' <<<"$out")" = 12 ]; ok $? "--json: the entries"
[ "$(jq -r '.files[1].entries[3] | "\(.name) \(.size) \(.result)"' <<<"$out")" = "VERLIST 72 ok" ]
ok $? "--json: an entry's facts"
like "$(jq -r '.files[1].entries[2].text' <<<"$out")" '^S7-721uV100R001C00B008$' "--json: the text of a text entry"
[ "$(jq -r '.files[0].findings[] | select(.severity == "error") | "\(.kind) \(.entry)"' <<<"$out")" = "block-crc 11" ]
ok $? "--json: a finding's severity, kind, entry"
[ "$(jq -r '.files[1].sha256' <<<"$out")" = "$plain_sha" ]; ok $? "--json: the SHA-256"

run "$DLOADCARD" check
is_status 2 "no file: usage error"
run "$DLOADCARD" check --help
is_status 0 "--help"
like "$out" '^ +6  the file.s SHA-256 or MD5 differs' "--help lists the exit codes"

# --- prepare runs the same check ----------------------------------------------
img=$TMP/card.img
"$MKUPDATEAPP" --size 3M --seed 5 --output "$plain"
"$MKUPDATEAPP" --size 3M --seed 5 --output "$zip" --zip "Firmware/x/dload/UPDATE.APP" \
	--zip-extra Firmware/readme.txt
run "$DLOADCARD" prepare --yes --quiet --size 256M "$img" "$zip"
is_status 0 "prepare from a firmware zip"
[ "$(mtype -i "$img@@4194304" ::dload/UPDATE.APP | sha256sum | cut -d' ' -f1)" = "$(sha256_of "$plain")" ]
ok $? "prepare from a zip: the card's UPDATE.APP is the file inside the zip"

before=$(sha256_of "$img")
"$MKUPDATEAPP" --size 3M --output "$TMP/bad.app" --damage block-crc:7
run "$DLOADCARD" prepare --yes --quiet "$img" "$TMP/bad.app"
is_status 4 "prepare refuses a damaged file: exit 4"
like "$errout" "1 of [0-9]+ data blocks fail their checksum" "prepare names what is wrong"
like "$errout" "Nothing was written to the card" "prepare says nothing was written"
[ "$(sha256_of "$img")" = "$before" ]; ok $? "prepare refusing a damaged file leaves the card unchanged"

run "$DLOADCARD" prepare --yes --quiet "$img" "$TMP/page.html"
is_status 5 "prepare refuses an HTML page: exit 5"
like "$errout" "web page \(HTML\)" "prepare names the HTML page"
[ "$(sha256_of "$img")" = "$before" ]; ok $? "prepare refusing an HTML page leaves the card unchanged"

"$MKUPDATEAPP" --size 64K --output "$zip" --zip Firmware/other.bin
run "$DLOADCARD" prepare --yes --quiet "$img" "$zip"
is_status 5 "prepare refuses a zip without UPDATE.APP: exit 5"
like "$errout" "the zip holds no dload/UPDATE.APP" "prepare says the zip holds none"
[ "$(sha256_of "$img")" = "$before" ]; ok $? "prepare refusing a zip without UPDATE.APP leaves the card unchanged"

run "$DLOADCARD" prepare --yes --quiet --size 256M "$TMP/new.img" "$TMP/bad.app"
is_status 4 "prepare --size with a damaged file: exit 4"
[ ! -e "$TMP/new.img" ]; ok $? "prepare --size with a damaged file creates no image"

done_testing
