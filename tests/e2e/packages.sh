#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# check recognises packages of every generation (issue 14): an SD package
# (UPDATE.APP at the root of update_sd_*.zip) is said to be kept zipped
# under its name and its root UPDATE.APP is checked; a download zip is
# still extracted; a two-step zip is refused with its list and --member
# chooses one; --extract and --keep-zip override the guess.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

"$MKUPDATEAPP" --size 1M --zip UPDATE.APP --zip-extra SOFTWARE_VER_LIST.mbn \
	--zip-extra META-INF/CERT.RSA --output "$TMP/update_sd_base.zip"
run "$DLOADCARD" check --quiet "$TMP/update_sd_base.zip"
is_status 0 "an SD package: exit 0"
like "$out" "^Recognised: .*update_sd_base.zip: an SD package \(base\), kept as it is in dload/update_sd_base.zip" \
	"an SD package: recognised, kept under its own name"
like "$out" '^File: .*update_sd_base.zip:UPDATE.APP, 1048576 bytes' "an SD package: its root UPDATE.APP is what is checked"
like "$out" '^CRC entry: PASS' "an SD package: its UPDATE.APP's CRC entry passes"
run "$DLOADCARD" check --quiet --json "$TMP/update_sd_base.zip"
[ "$(jq -r '.files[0].package | "\(.kind) \(.role) \(.card_name)"' <<<"$out")" = "sd-package base update_sd_base.zip" ]
ok $? "an SD package: --json package kind, role and card name"

# A member other than UPDATE.APP damaged: the package goes whole, so refused.
mkdir -p "$TMP/bad" && cp "$TMP/update_sd_base.zip" "$TMP/bad/update_sd_base.zip"
perl -0777 -pi -e 's/an extra file\./an extra fild./' "$TMP/bad/update_sd_base.zip"
cmp -s "$TMP/update_sd_base.zip" "$TMP/bad/update_sd_base.zip"; [ $? = 1 ]; ok $? "a member of the SD package patched"
run "$DLOADCARD" check --quiet "$TMP/bad/update_sd_base.zip"
is_status 4 "an SD package with a damaged member: exit 4"
like "$out" "SOFTWARE_VER_LIST.mbn in the zip fails its check" "a damaged member: named"
run "$DLOADCARD" check --quiet --extract "$TMP/bad/update_sd_base.zip"
is_status 0 "the same zip with --extract: only its UPDATE.APP matters, exit 0"

cp "$TMP/update_sd_base.zip" "$TMP/renamed.zip"
run "$DLOADCARD" check --quiet "$TMP/renamed.zip"
is_status 0 "an SD package under another name: still accepted"
like "$out" "^  warning: .*not named update_sd_\*.zip: kept zipped; give --extract" \
	"an SD package under another name: a warning naming --extract"

"$MKUPDATEAPP" --size 1M --zip "S7-721u_fw/dload/UPDATE.APP" \
	--zip-extra "S7-721u_fw/instructions.txt" --output "$TMP/S7-721u.zip"
run "$DLOADCARD" check --quiet "$TMP/S7-721u.zip"
is_status 0 "a download zip: exit 0"
like "$out" "^Recognised: .*S7-721u.zip: a download zip, its S7-721u_fw/dload/UPDATE.APP extracted to dload/UPDATE.APP" \
	"a download zip: its UPDATE.APP is extracted"

run "$DLOADCARD" check --quiet --keep-zip "$TMP/S7-721u.zip"
like "$out" "^Recognised: .*: an SD package, kept as it is in dload/S7-721u.zip" "--keep-zip overrides the guess"
run "$DLOADCARD" check --quiet --extract "$TMP/update_sd_base.zip"
like "$out" "^Recognised: .*: a download zip, its UPDATE.APP extracted to dload/UPDATE.APP" "--extract overrides the guess"

# A two-step zip: two UPDATE.APP in separate folders.
if command -v zip >/dev/null; then
	"$MKUPDATEAPP" --size 64K --output "$TMP/step.app"
	"$MKUPDATEAPP" --size 64K --seed 2 --output "$TMP/step2.app"
	(cd "$TMP" && mkdir -p two/step1/dload two/step2/dload && cp step.app two/step1/dload/UPDATE.APP &&
		cp step2.app two/step2/dload/UPDATE.APP && cd two && zip -q -0 -r ../two.zip step1 step2)
	run "$DLOADCARD" check --quiet "$TMP/two.zip"
	is_status 5 "a two-step zip: refused, exit 5"
	like "$out" "^Recognised: .*two.zip: a two-step zip, refused: it holds 2 UPDATE.APP \(step1/dload/UPDATE.APP, step2/dload/UPDATE.APP\)" \
		"a two-step zip: the list of its UPDATE.APP"
	like "$out" "choose one with --member PATH" "a two-step zip: --member named"
	run "$DLOADCARD" check --quiet --member step2/dload/UPDATE.APP "$TMP/two.zip"
	is_status 0 "--member step2/dload/UPDATE.APP: exit 0"
	like "$out" '^File: .*two.zip:step2/dload/UPDATE.APP' "--member: that UPDATE.APP is checked"
	run "$DLOADCARD" check --quiet --member step3/dload/UPDATE.APP "$TMP/two.zip"
	is_status 2 "--member not in the zip: a usage error"
	like "$errout" "the zip holds no step3/dload/UPDATE.APP" "--member not in the zip: says so"
else
	skip "two-step zip" "the zip command makes it (apt-get install zip)"
fi

# A set: base, cust and preload; models that disagree; two UPDATE.APP.
mkdir -p "$TMP/set"
for n in update_sd_base update_sd_cust_VOG-L29_hw_eu update_sd_preload_VOG-L29_hw_eu_R1; do
	"$MKUPDATEAPP" --size 64K --zip UPDATE.APP --output "$TMP/set/$n.zip"
done
run "$DLOADCARD" check --quiet "$TMP"/set/*.zip
is_status 0 "an SD package set: exit 0"
like "$out" "^As one card's set: possible$" "an SD package set of one model: possible, no warning"
mv "$TMP/set/update_sd_preload_VOG-L29_hw_eu_R1.zip" "$TMP/set/update_sd_preload_ELE-L29_hw_eu_R1.zip"
run "$DLOADCARD" check --quiet --json "$TMP"/set/*.zip
[ "$(jq -r '.card_set | "\(.possible) \(.warnings | length)"' <<<"$out")" = "true 1" ]
ok $? "models that disagree: still possible, one warning"
like "$(jq -r '.card_set.warnings[0]' <<<"$out")" "is for ELE-L29 but .* is for VOG-L29" "the warning names both models"
"$MKUPDATEAPP" --size 64K --output "$TMP/set/UPDATE.APP"
run "$DLOADCARD" check --quiet "$TMP/set/UPDATE.APP" "$TMP/S7-721u.zip"
is_status 0 "two UPDATE.APP checked together: each is checked, exit 0"
like "$out" "^As one card's set: not possible: two files would both be dload/UPDATE.APP" \
	"two UPDATE.APP: not possible as one card's set"

# prepare: the same recognition, said before anything is written.
truncate -s 64M "$TMP/card.img"
card_before=$(sha256_of "$TMP/card.img")
src_before=$(sha256_of "$TMP/update_sd_base.zip")
run "$DLOADCARD" prepare --yes "$TMP/card.img" "$TMP/update_sd_base.zip"
is_status 0 "prepare with an SD package: the card is made, the zip not extracted"
like "$errout" "^Recognised: .*update_sd_base.zip: an SD package \(base\)" "prepare says what it recognised"
[ "$(MTOOLSRC=/dev/null mtype -i "$TMP/card.img@@4194304" ::dload/update_sd_base.zip | sha256sum | cut -d' ' -f1)" = "$src_before" ]
ok $? "prepare: dload/update_sd_base.zip is the zip, byte for byte (the SD package sets: sdset.sh)"
[ "$(sha256_of "$TMP/update_sd_base.zip")" = "$src_before" ]; ok $? "and the package as it was"
truncate -s 0 "$TMP/card.img" && truncate -s 64M "$TMP/card.img"
card_before=$(sha256_of "$TMP/card.img")

if [ -e "$TMP/two.zip" ]; then
	run "$DLOADCARD" prepare --yes --quiet "$TMP/card.img" "$TMP/two.zip"
	is_status 5 "prepare with a two-step zip: refused (exit 5)"
	like "$errout" "choose one with --member PATH" "prepare with a two-step zip: --member named"
	[ "$(sha256_of "$TMP/card.img")" = "$card_before" ]; ok $? "prepare refusing a two-step zip: the card as it was"
	run "$DLOADCARD" prepare --yes --quiet --member step2/dload/UPDATE.APP "$TMP/card.img" "$TMP/two.zip"
	is_status 0 "prepare --member step2/dload/UPDATE.APP: the card is made"
	[ "$(mtype -i "$TMP/card.img@@4194304" ::dload/UPDATE.APP | sha256sum | cut -d' ' -f1)" = "$(sha256_of "$TMP/step2.app")" ]
	ok $? "prepare --member: the card's UPDATE.APP is that member, byte for byte"
	run "$DLOADCARD" verify "$TMP/card.img"
	is_status 0 "and verify calls the card good"
else
	skip "prepare with a two-step zip" "no two-step zip (apt-get install zip)"
fi

# Files that are no zip: an UPDATE.APP, or named for what they are.
"$MKUPDATEAPP" --damage html --output "$TMP/page.html"
run "$DLOADCARD" check --quiet "$TMP/page.html"
is_status 5 "a web page: exit 5"
like "$out" "^Recognised: .*page.html: not an UPDATE.APP but a web page \(HTML\): refused" "a web page: recognised as one"
"$MKUPDATEAPP" --size 64K --output "$TMP/odd.app"
printf '\x33' | dd of="$TMP/odd.app" bs=1 seek=10 conv=notrunc status=none
run "$DLOADCARD" check --quiet "$TMP/odd.app"
is_status 0 "garbage in the leading zeros: still an UPDATE.APP, exit 0"
like "$out" "^Recognised: .*odd.app: an UPDATE.APP, written to dload/UPDATE.APP" "garbage in the leading zeros: recognised as an UPDATE.APP"

# A zip with no UPDATE.APP at all: refused as before.
"$MKUPDATEAPP" --size 64K --zip Firmware/other.bin --output "$TMP/other.zip"
run "$DLOADCARD" check --quiet "$TMP/other.zip"
is_status 5 "a zip with no UPDATE.APP: exit 5"
like "$out" "a zip that holds no UPDATE.APP" "a zip with no UPDATE.APP: recognised as such"

done_testing
