#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# verify on cards holding an SD package set, made as the device's owner
# might: dloadcard prepare made the card with an UPDATE.APP, the owner
# deleted it (mdel) and copied the packages in with their long names
# (mcopy).  Each file is judged on its own line, the set as a whole, the
# stray files named with what they risk, --quick, --against with the set,
# --json; and the card is never written.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"
. "$TESTS_SRCDIR/helpers/patch-lib.sh"
. "$TESTS_SRCDIR/helpers/fakesys-lib.sh"
. "$TESTS_SRCDIR/helpers/cardsim-lib.sh"
PTYRUN=${PTYRUN:-${TESTS_BUILDDIR:-$(pwd)/tests}/tools/ptyrun}

base=update_sd_base.zip
cust=update_sd_cust_VOG-L29_hw_eu.zip
pre=update_sd_preload_VOG-L29_hw_eu_R1.zip
mkpkg() {	# mkpkg NAME SIZE SEED [more mkupdateapp options]
	local name=$1 size=$2 seed=$3
	shift 3
	"$MKUPDATEAPP" --size "$size" --seed "$seed" --zip UPDATE.APP \
		--zip-extra SOFTWARE_VER_LIST.mbn --zip-extra META-INF/CERT.RSA "$@" \
		--output "$TMP/$name"
}
mkdir -p "$TMP/other"
# other/$cust: another package of the same name and size (another seed).
mkpkg "$base" 2M 1 && mkpkg "$cust" 1M 2 && mkpkg "$pre" 1M 3 && mkpkg "other/$cust" 1M 4 ||
	{ echo "Bail out! cannot make the packages"; exit 1; }
make_sample "$TMP/UPDATE.APP" 1M || { echo "Bail out! cannot make an UPDATE.APP"; exit 1; }

# The card offset of a file's first byte, from mtools' own view of the FAT.
file_offset() {	# file_offset IMAGE PATH
	local info c r f l first
	info=$(minfo -i "$1@@$P" ::)
	c=$(sed -n 's/^cluster size: \([0-9]*\) sectors/\1/p' <<<"$info")
	r=$(sed -n 's/^reserved (boot) sectors: \([0-9]*\)/\1/p' <<<"$info")
	f=$(sed -n 's/^fats: \([0-9]*\)/\1/p' <<<"$info")
	l=$(sed -n 's/^Big fatlen=\([0-9]*\)/\1/p' <<<"$info")
	first=$(mshowfat -i "$1@@$P" "::$2" | sed -n 's/.*<\([0-9]*\).*/\1/p')
	echo $((P + (r + f * l + (first - 2) * c) * 512))
}

# The owner's card: made by prepare with an UPDATE.APP, which is deleted,
# and the packages copied in (cust, preload, base), long names and all.
card=$TMP/card.img
run "$DLOADCARD" prepare --yes --quiet --size 256M "$card" "$TMP/UPDATE.APP"
is_status 0 "prepare makes the card with an UPDATE.APP"
P=$(part_offset "$card")
mdel -i "$card@@$P" ::dload/UPDATE.APP
mcopy -i "$card@@$P" "$TMP/$cust" "$TMP/$pre" "$TMP/$base" ::dload/
mdir -i "$card@@$P" ::dload | grep -q "UPDATE~1 ZIP .*$cust"
ok $? "mcopy stored the packages under long names with 8.3 aliases"
good=$TMP/good.img
cp "$card" "$good"

# --- A good set -------------------------------------------------------------------
verified "$good" 0 "Verdict: GOOD: a dload card with an SD package set" "a good set: exit 0"
for f in "$base" "$cust" "$pre"; do
	like "$out" "PASS +package +$f, .*: an SD package \((base|cust|preload)\), UPDATE.APP at its root" \
		"a good set: $f recognised from its content"
	like "$out" "PASS +container +$f:UPDATE.APP read back from the card: 12 entries, every CRC right" \
		"a good set: $f's UPDATE.APP checked inside the zip"
	like "$out" "PASS +zip-integrity +$f: 3 files in the zip, every CRC-32 right" \
		"a good set: $f's members checked by their CRC-32"
	like "$out" "INFO +sha256 +SHA-256 of $f as read from the card: $(sha256_of "$TMP/$f")" \
		"a good set: $f's SHA-256 as read from the card"
	like "$out" "PASS +cluster-chain +$f: cluster chain: " "a good set: $f's clusters"
done
like "$out" "PASS +set +3 SD packages, the base among them" "a good set: the set as a whole"

verified "$good" 0 "the packages were not read \(--quick\)" "--quick on a set: exit 0" --quick
like "$out" "SKIP +content +$base not read \(--quick\)" "--quick: no file is read"
like "$out" "PASS +package +$cust, .*: an SD package \(cust\) by its name" "--quick: recognised by the name"

# The set as prepare writes it (contiguous, on 4 MiB boundaries, the base
# last): good, and identical to the files.
made=$TMP/made.img
run "$DLOADCARD" prepare --yes --quiet --size 256M "$made" "$TMP/$base" "$TMP/$cust" "$TMP/$pre"
is_status 0 "prepare writes the set"
verified "$made" 0 "Verdict: GOOD: a dload card with an SD package set" "a set written by prepare: good"
like "$out" "PASS +cluster-chain +$base: cluster chain: [0-9]+ clusters in 1 run" "prepare's set: each file in one run"
verified "$made" 0 "identical to the files given" "a set written by prepare, --against its files" \
	--against "$TMP/$base" "$TMP/$cust" "$TMP/$pre"

# --- --json ---------------------------------------------------------------------
run "$DLOADCARD" verify --json "$good"
is_status 0 "verify --json on a set"
[ "$(jq -r .layout <<<"$out")" = sd-set ]; ok $? "--json: the layout is sd-set"
[ "$(jq -r .file <<<"$out")" = null ]; ok $? "--json: no one-file path on a set"
[ "$(jq -r '[.files[] | "\(.kind) \(.role)"] | sort | join(",")' <<<"$out")" = \
  "sd-package base,sd-package cust,sd-package preload" ]
ok $? "--json: each file's kind and role"
[ "$(jq -r --arg f "$base" '.files[] | select(.name == $f) | .sha256' <<<"$out")" = "$(sha256_of "$TMP/$base")" ]
ok $? "--json: a file's SHA-256 as read from the card"
[ "$(jq -r --arg f "$cust" '.files[] | select(.name == $f) | "\(.short_name) \(.size) \(.container) \(.members_checked) \(.model)"' <<<"$out")" = \
  "UPDATE~1.ZIP $(stat -c %s "$TMP/$cust") valid 3 VOG-L29" ]
ok $? "--json: a file's short name, size, container, members checked and model"
[ "$(jq -r --arg f "$pre" '[.files[] | select(.name == $f) | .checks[].check] | join(",")' <<<"$out")" = \
  "cluster-chain,fat-copies,cross-links,package,container,zip-integrity,sha256" ]
ok $? "--json: each file's checks"
[ "$(jq -r '[.checks[] | select(.check == "set")][0].file' <<<"$out")" = null ]
ok $? "--json: the set's check is about no one file"

# --- Damage -----------------------------------------------------------------------
# One byte of a member flipped on the card: the zip's directory still lists
# it, its CRC-32 does not match.
dmg=$TMP/member.img
cp "$good" "$dmg"
at=$(grep -obUa "an extra file" "$TMP/$cust" | head -1 | cut -d: -f1)
flip_byte "$dmg" $(($(file_offset "$dmg" "dload/$cust") + at))
verified "$dmg" 22 "FAIL +zip-integrity +$cust on the card: .*(SOFTWARE_VER_LIST.mbn|META-INF/CERT.RSA) in the zip fails its check" \
	"a damaged member: FAIL naming the file and the member"
like "$out" "Verdict: DAMAGED: a dload card, but its SD package set is not right" "a damaged member: the verdict"
like "$out" "PASS +container +$cust:UPDATE.APP" "a damaged member: the package's UPDATE.APP is still right"

# One byte of the inner UPDATE.APP flipped.
dmg=$TMP/inner.img
cp "$good" "$dmg"
flip_byte "$dmg" $(($(file_offset "$dmg" "dload/$base") + 300000))
verified "$dmg" 22 "FAIL +container +$base" "a damaged inner UPDATE.APP: FAIL"

# A package cut short (an interrupted copy, a download that stopped 100
# bytes early): its members still read, its central directory is gone.
cut=$TMP/cut.img
cp "$good" "$cut"
mkdir -p "$TMP/cut"
head -c $(($(stat -c %s "$TMP/$base") - 100)) "$TMP/$base" >"$TMP/cut/$base"
mcopy -o -i "$cut@@$P" "$TMP/cut/$base" "::dload/$base"
verified "$cut" 22 "FAIL +zip-integrity +$base on the card: .*the zip is incomplete: it does not end with its list of files" \
	"a package cut short on the card: FAIL, incomplete"
run "$DLOADCARD" check --quiet "$TMP/cut/$base"
is_status 4 "check: a package cut short is damaged"
like "$out$errout" "the zip is incomplete: it does not end with its list of files" "check: it says why"

# --- Incomplete, disagreeing, mixed -----------------------------------------------
nobase=$TMP/nobase.img
cp "$good" "$nobase"
mdel -i "$nobase@@$P" "::dload/$base"
verified "$nobase" 22 "FAIL +set +no base package \(update_sd_base.zip\) beside the cust/preload packages: the device would not start" \
	"base missing: FAIL"

# variant FROM NAME [FILE DLOAD-NAME]...: a copy of the card FROM as
# $TMP/NAME.img, the files copied into its dload/ (over any of that name).
variant() {
	local img=$TMP/$2.img
	cp "$1" "$img"
	shift 2
	while [ $# -ge 2 ]; do
		mcopy -o -i "$img@@$P" "$1" "::dload/$2"
		shift 2
	done
	echo "$img"
}

cp "$TMP/$pre" "$TMP/update_sd_preload_ELE-L29_hw_eu_R1.zip"
models=$(variant "$good" models "$TMP/update_sd_preload_ELE-L29_hw_eu_R1.zip" update_sd_preload_ELE-L29_hw_eu_R1.zip)
mdel -i "$models@@$P" "::dload/$pre"
verified "$models" 20 "WARN +set +update_sd_preload_ELE-L29_hw_eu_R1.zip is for ELE-L29 but .* is for VOG-L29" \
	"models that disagree: WARN"

app=$(variant "$good" app "$TMP/UPDATE.APP" UPDATE.APP)
verified "$app" 22 "FAIL +update-app +dload/UPDATE.APP .* is left beside the SD packages: a device may take this single package instead of the set" \
	"a leftover UPDATE.APP beside the set: FAIL, with its risk"

head -c 100000 "$TMP/$base" >"$TMP/SDPKG1.TMP"
tmpf=$(variant "$good" tmp "$TMP/SDPKG1.TMP" SDPKG1.TMP)
verified "$tmpf" 20 "WARN +leftover +dload/SDPKG1.TMP is left over from an interrupted dloadcard prepare .*: the device ignores it, but the set beside it may be incomplete" \
	"a SDPKG1.TMP beside the set: WARN, with its risk"

echo hello >"$TMP/readme.txt"
stray=$(variant "$good" stray "$TMP/readme.txt" readme.txt)
verified "$stray" 0 "INFO +stray +dload/readme.txt .* is no part of an update: the device ignores it" \
	"an unknown file: INFO, the set still good"

# Zips the device cannot take as SD packages: named as one, a failure; of
# another name, a warning.
"$MKUPDATEAPP" --size 1M --zip fw/dload/UPDATE.APP --output "$TMP/dlzip.zip"
named=$(variant "$good" named "$TMP/dlzip.zip" "$cust")
verified "$named" 22 "FAIL +package +$cust, .*: a download zip, whose UPDATE.APP is in a folder, not at its root: the device does not extract it" \
	"a download zip under an SD package's name: FAIL"
bogus=$(variant "$good" bogus "$TMP/readme.txt" notes.zip)
verified "$bogus" 20 "WARN +zip-integrity +notes.zip is no zip: the device cannot take it as an SD package" \
	"a file named .zip that is no zip, beside the set: WARN"
lone=$(variant "$card" lone)
mdel -i "$lone@@$P" "::dload/*"
mcopy -i "$lone@@$P" "$TMP/readme.txt" ::dload/notes.zip
verified "$lone" 21 "FAIL +set +dload/ holds zips, but no SD package the device can take" \
	"dload/ holding only a zip that is no SD package: not a dload card"

# --- --against --------------------------------------------------------------------
verified "$good" 0 "identical to the files given" "--against the set: exit 0" \
	--against "$TMP/$base" "$TMP/$cust" "$TMP/$pre"
like "$out" "PASS +against +identical to $TMP/$cust, byte for byte" "--against: each package compared byte for byte"
verified "$good" 0 "identical to the files given" "--against given again for each file" \
	--against "$TMP/$base" --against "$TMP/$cust" --against "$TMP/$pre"
verified "$good" 22 "FAIL +against +differs from $TMP/other/$cust: [0-9]+ bytes in [0-9]+ places?, the first at byte [0-9]+ of $cust \(card offset [0-9]+\)" \
	"--against: one file differs, the difference named" --against "$TMP/$base" "$TMP/other/$cust" "$TMP/$pre"
verified "$good" 22 "FAIL +against +dload/$pre is on the card but not among the files given" \
	"--against: a card file not given: FAIL naming it" --against "$TMP/$base" "$TMP/$cust"
verified "$nobase" 22 "FAIL +against +$TMP/$base is not on the card: dload/ holds no $base" \
	"--against: a file given that is not on the card: FAIL naming it" \
	--against "$TMP/$base" "$TMP/$cust" "$TMP/$pre"
run "$DLOADCARD" verify --against "$TMP/$base" "$TMP/UPDATE.APP" "$good"
is_status 2 "--against an UPDATE.APP and SD packages together: a usage error"
like "$errout" "an UPDATE.APP and SD packages given together" "--against: the set rules say why"

before=$(sha256_of "$good")
run "$DLOADCARD" verify --sha256 "$(sha256_of "$TMP/$base")" "$good"
is_status 2 "--sha256 on a card holding SD packages: refused"
like "$errout" "--sha256 is the SHA-256 of one UPDATE.APP, but dload/ holds SD packages: give the packages with --against" \
	"--sha256 on a set: says why and what to give instead"
[ "$(sha256_of "$good")" = "$before" ]; ok $? "--sha256 refused: the card is unchanged"

# The one-file card is judged as before, its leftovers named the same way.
one=$TMP/one.img
cp "$card" "$one"
mdel -i "$one@@$P" "::dload/*"
mcopy -i "$one@@$P" "$TMP/UPDATE.APP" ::dload/UPDATE.APP
mcopy -i "$one@@$P" "$TMP/readme.txt" ::dload/notes.txt
verified "$one" 0 "INFO +stray +dload/notes.txt .* is no part of an update" "an UPDATE.APP card: another file is INFO"
"$MKUPDATEAPP" --size 1M --zip fw/dload/UPDATE.APP --output "$TMP/fw.zip"
mcopy -i "$one@@$P" "$TMP/fw.zip" ::dload/fw.zip
verified "$one" 20 "WARN +stray +dload/fw.zip .* is a zip beside UPDATE.APP: a device that takes SD packages may take it instead" \
	"an UPDATE.APP card with a download zip left beside it: WARN, still an UPDATE.APP card"
like "$out" "PASS +container +UPDATE.APP read back" "... its UPDATE.APP judged as before"
mdel -i "$one@@$P" ::dload/fw.zip
run "$DLOADCARD" verify --json "$one"
[ "$(jq -r '"\(.layout) \(.file) \(.files | length)"' <<<"$out")" = "update-app dload/UPDATE.APP 2" ]
ok $? "an UPDATE.APP card's --json: the one-file keys kept, and the files"

# --- ^C while a package is checked through its zip --------------------------------
# The card on cardsim, its reads throttled so that the check of the first
# package lasts (a second at least); ^C typed into the terminal reaches the
# whole group.  The interruption is said, the set is not judged from what was
# not read, the card is unchanged.
if [ ! -x "$PTYRUN" ]; then
	skip "^C during a set's check" "no tests/tools/ptyrun (make check builds it)"
elif ! why=$(cardsim_usable); then
	skip "^C during a set's check" "$why"
else
	slow=$(variant "$good" slow)
	before=$(sha256_of "$slow")
	cardsim_start "$TMP/slowcard" --size 256M --backing "$slow" --read-speed 2 ||
		{ echo "Bail out! cardsim does not start"; exit 1; }
	"$PTYRUN" --timeout 60 --when "Checking $cust" --after 0.1 --ctrl-c -- \
		"$DLOADCARD" verify "$CARD" >"$TMP/int.out" 2>"$TMP/int.err"
	status=$?
	# The terminal's table wraps its details under their column: unwrapped.
	out=$(tr '\r' '\n' <"$TMP/int.out" | sed 's/\x1b\[K//g' | perl -0pe 's/ *\n+ {27}(?=\S)//g')
	is_status 130 "^C while a package is checked: exit 130"
	like "$out" "FAIL +(container|zip-integrity) +interrupted while reading $cust" "^C: says where it stopped"
	like "$out" "Verdict: UNREADABLE: interrupted" "^C: the verdict says so"
	! grep -Eq "PASS +set|Verdict: GOOD" <<<"$out"
	ok $? "^C: no verdict on the set from what was not read"
	cardsim_stop
	[ "$(sha256_of "$slow")" = "$before" ]; ok $? "^C: the card is unchanged"
fi

# --- list: a card holding a good set is a dload card, an incomplete one damaged --
if have_loop; then
	fake=$TMP/sys
	fakesys_init "$fake"
	devs=()
	for img in "$good" "$nobase"; do
		before=$(sha256_of "$img")
		d=$(attach_loop "$img")
		fakesys_add "$fake" "$d" 1
		devs+=("$d")
	done
	run "$DLOADCARD" list --sysroot "$fake" --json -o DEVICE,DLOAD,STATE
	is_status 0 "list with two set cards"
	[ "$(jq -r --arg d "${devs[0]}" '.disks[] | select(.device == $d) | "\(.dload) \(.state)"' <<<"$out")" = "yes eligible" ]
	ok $? "list: a card holding a good SD package set is a dload card"
	[ "$(jq -r --arg d "${devs[1]}" '.disks[] | select(.device == $d) | .dload' <<<"$out")" = damaged ]
	ok $? "list: a set without its base is a damaged dload card"
	for d in "${devs[@]}"; do detach_loop "$d"; done
	[ "$(sha256_of "$nobase")" = "$before" ]; ok $? "list wrote nothing to the card"

	# batch --watch: a card holding this very set is left alone; one whose
	# package differs from a file given is written.
	fake=$TMP/sys-watch
	fakesys_init "$fake"
	ready=$(variant "$good" ready)
	d=$(attach_loop "$ready")
	fakesys_add "$fake" "$d" 1
	before=$(sha256_of "$ready")
	run "$DLOADCARD" batch --watch --present --copies 1 --yes --sysroot "$fake" \
		"$TMP/$base" "$TMP/$cust" "$TMP/$pre"
	is_status 0 "batch --watch with the set: the card there is taken"
	like "$errout" "ALREADY READY: it holds this SD package set, each read back and verified; left alone" "batch --watch: a card holding this very set is left alone"
	[ "$(sha256_of "$ready")" = "$before" ]; ok $? "batch --watch: not a byte of it changed"
	run "$DLOADCARD" batch --watch --present --copies 1 --yes --sysroot "$fake" \
		"$TMP/$base" "$TMP/other/$cust" "$TMP/$pre"
	is_status 0 "batch --watch with one package unlike the card's: the card is written"
	! grep -q "ALREADY READY" <<<"$errout"; ok $? "batch --watch: that card is not taken for ready"
	[ "$(mtype -i "$ready@@$P" "::dload/$cust" | sha256sum | cut -d' ' -f1)" = "$(sha256_of "$TMP/other/$cust")" ]
	ok $? "batch --watch: the card now holds the package given"
	detach_loop "$d"
else
	skip "list and batch --watch on set cards" "no loop devices here (needs root)"
fi

done_testing
