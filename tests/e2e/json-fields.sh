#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The --json output of every command, described field by field in the man
# page (JSON OUTPUT): each command runs on made cards and files, good and
# bad, and every field it prints must be listed in its section, with a type
# that admits the value printed, so that the page and the program cannot
# drift apart.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"
# shellcheck source=tests/helpers/fakesys-lib.sh
. "$TESTS_SRCDIR/helpers/fakesys-lib.sh"

man=$TESTS_SRCDIR/../man/dloadcard.1

# The fields of section TITLE of JSON OUTPUT, "PATH<TAB>TYPE" lines: each
# field is ".TP", ".B PATH", then "TYPE: meaning".
documented() {	# documented TITLE
	awk -v want="$1" '
		/^\.SH / { injson = ($0 == ".SH JSON OUTPUT"); next }
		!injson { next }
		/^\.SS / { sec = substr($0, 5); gsub(/"/, "", sec); gsub(/\\-/, "-", sec); next }
		sec != want { next }
		/^\.TP/ { tp = 1; next }
		tp == 1 && /^\.B / { path = substr($0, 4); tp = 2; next }
		tp == 2 { type = $0; sub(/:.*/, "", type); print path "\t" type; tp = 0; next }
		{ tp = 0 }' "$man"
}

# Every field of a JSON document (or of each line of a JSON Lines file), as
# "PATH<TAB>TYPE" with jq's paths: .files[].entries[].name, .disks[]."maj:min".
# An element of an array of scalars is its array's business.
fields() {	# fields FILE
	jq -r 'paths as $p | select($p[-1] | type == "string") |
		($p | map(if type == "number" then "[]"
			elif test("^[a-z_][a-z0-9_]*$") then "." + .
			else ".\"" + . + "\"" end) | join("")) + "\t" + (getpath($p) | type)' "$1" | sort -u
}

# Whether a documented type ("string or null", "array of objects") admits a
# JSON type.
admits() {	# admits DOCTYPE JSONTYPE
	local t
	while read -r t; do
		case $t in
		"array of"*) t=array ;;
		esac
		[ "$t" = "$2" ] && return 0
	done < <(sed 's/ or /\n/g' <<<"$1")
	return 1
}

# check_fields "description" FILE PREFIX:TITLE...: every field of FILE is
# documented in one of the sections (a PREFIX puts a section under a path:
# batch's .cards[] are the lines of --log).
check_fields() {
	local what=$1 file=$2 spec docs=$TMP/docs bad=() path type doctype n
	shift 2
	: >"$docs"
	for spec in "$@"; do
		documented "${spec#*:}" | sed "s|^|${spec%%:*}|" >>"$docs"
	done
	n=0
	while IFS=$'\t' read -r path type; do
		n=$((n + 1))
		doctype=$(awk -F'\t' -v p="$path" '$1 == p { print $2; exit }' "$docs")
		if [ -z "$doctype" ]; then
			bad+=("$path ($type) is not in the man page")
		elif ! admits "$doctype" "$type"; then
			bad+=("$path is $type, the man page says $doctype")
		fi
	done < <(fields "$file")
	[ $n -gt 0 ] && [ ${#bad[@]} -eq 0 ]
	ok $? "$what: its $n fields are in the man page, with their types"
	[ ${#bad[@]} -eq 0 ] || diag "$(printf '%s\n' "${bad[@]}")"
}

# jsonrun NAME COMMAND...: run, keep stdout in $TMP/NAME.json, and check
# that it is one JSON document.
jsonrun() {
	local name=$1
	shift
	"$@" >"$TMP/$name.json" 2>"$TMP/$name.err"
	jq -e 'type == "object"' "$TMP/$name.json" >/dev/null
	ok $? "$name: $(basename "$1") ${*:2:1} prints one JSON object"
}

# --- The man page itself -------------------------------------------------------------
sections=("A failure, with --json" "check --json" "prepare --json"
	"verify --json" "probe --json" "list --json" "batch --json" "batch --log")
for s in "${sections[@]}"; do
	docs=$(documented "$s")
	untyped=$(awk -F'\t' '$2 !~ /^(string|number|boolean|object|array( of [a-z]+)?)( or (null|string|number|boolean))*$/' <<<"$docs")
	[ -n "$docs" ] && [ -z "$untyped" ]
	ok $? "man page, JSON OUTPUT, \"$s\": $(wc -l <<<"$docs") fields, each with a type"
	[ -z "$untyped" ] || diag "$untyped"
done

# --- Files and cards -------------------------------------------------------------------
src=$TMP/UPDATE.APP
make_sample "$src" 2M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
make_sample "$TMP/fw.zip" 2M --zip dload/UPDATE.APP || { echo "Bail out! cannot make a zip"; exit 1; }
make_sample "$TMP/bad.APP" 2M --damage block-crc || { echo "Bail out! cannot make a damaged file"; exit 1; }
sha=$(sha256_of "$src")
md5=$(openssl dgst -md5 -r "$src" | cut -d' ' -f1)
truncate -s 64M "$TMP/blank.img"

jsonrun check1 "$DLOADCARD" check --json --sha256 "$sha" --md5 "$md5" --model S7-721u \
	"$src" "$TMP/fw.zip" "$TMP/bad.APP" "$TMP/missing.APP"
check_fields "check: good, zipped, damaged and missing files, with --sha256, --md5, --model" \
	"$TMP/check1.json" ":check --json"
jsonrun check2 "$DLOADCARD" check --json --model NOSUCH "$TMP/fw.zip"
check_fields "check: a package for another model" "$TMP/check2.json" ":check --json"

jsonrun prepare1 "$DLOADCARD" prepare --json --yes --size 64M "$TMP/card.img" "$src"
check_fields "prepare: an image file made" "$TMP/prepare1.json" ":prepare --json"
jsonrun prepare5 "$DLOADCARD" prepare --json --yes --md5 "$md5" --size 64M "$TMP/md5.img" "$src"
check_fields "prepare: --md5" "$TMP/prepare5.json" ":prepare --json"
make_sample "$TMP/update_sd_base.zip" 1M --zip UPDATE.APP --zip-extra SOFTWARE_VER_LIST.mbn
make_sample "$TMP/update_sd_cust_VOG-L29_hw_eu.zip" 1M --seed 2 --zip UPDATE.APP
jsonrun prepare6 "$DLOADCARD" prepare --json --yes --size 64M "$TMP/set.img" \
	"$TMP/update_sd_base.zip" "$TMP/update_sd_cust_VOG-L29_hw_eu.zip"
check_fields "prepare: an SD package set" "$TMP/prepare6.json" ":prepare --json"
jsonrun prepare2 "$DLOADCARD" prepare --json --yes --size 64M "$TMP/other.img" "$TMP/bad.APP"
check_fields "prepare: a damaged source" "$TMP/prepare2.json" ":A failure, with --json" \
	":prepare --json"
jsonrun prepare3 "$DLOADCARD" prepare --json --yes "$TMP/missing.img" "$src"
check_fields "prepare: a card that does not exist" "$TMP/prepare3.json" ":prepare --json"

jsonrun verify1 "$DLOADCARD" verify --json --against "$src" "$TMP/card.img"
check_fields "verify: a good card, --against" "$TMP/verify1.json" ":verify --json"
jsonrun verify2 "$DLOADCARD" verify --json "$TMP/blank.img"
check_fields "verify: a blank card" "$TMP/verify2.json" ":verify --json"
jsonrun verify3 "$DLOADCARD" verify --json "$TMP/missing.img"
check_fields "verify: a card that does not exist" "$TMP/verify3.json" \
	":A failure, with --json" ":verify --json"
# A card holding an SD package set (the owner's way: prepare's UPDATE.APP
# deleted, the packages copied in), one of them unlike its file given.
mkdir -p "$TMP/o"
for z in update_sd_base.zip:1 o/update_sd_base.zip:2 update_sd_cust_VOG-L29_hw_eu.zip:3; do
	"$MKUPDATEAPP" --size 1M --seed "${z#*:}" --zip UPDATE.APP --zip-extra SOFTWARE_VER_LIST.mbn \
		--output "$TMP/${z%:*}" || { echo "Bail out! cannot make an SD package"; exit 1; }
done
cp "$TMP/card.img" "$TMP/set.img"
p=$(part_offset "$TMP/set.img")
mdel -i "$TMP/set.img@@$p" ::dload/UPDATE.APP
mcopy -i "$TMP/set.img@@$p" "$TMP/update_sd_cust_VOG-L29_hw_eu.zip" "$TMP/update_sd_base.zip" ::dload/
jsonrun verify4 "$DLOADCARD" verify --json --against "$TMP/o/update_sd_base.zip" \
	"$TMP/update_sd_cust_VOG-L29_hw_eu.zip" "$TMP/set.img"
check_fields "verify: an SD package set, --against, one package unlike its file" \
	"$TMP/verify4.json" ":verify --json"

jsonrun probe1 "$DLOADCARD" probe --json --quick "$TMP/card.img"
check_fields "probe --quick: a good card" "$TMP/probe1.json" ":probe --json"
jsonrun probe2 "$DLOADCARD" probe --json "$TMP/missing.img"
check_fields "probe: a card that does not exist" "$TMP/probe2.json" \
	":A failure, with --json" ":probe --json"

jsonrun batch1 "$DLOADCARD" batch --json --yes --size 64M --log "$TMP/shop.jsonl" "$src" \
	"$TMP/b1.img" "$TMP/b2.img" "$src"
jq -e '.ready == 2 and .refused == 1' "$TMP/batch1.json" >/dev/null
ok $? "batch: two cards made, the source refused as a card"
check_fields "batch: made and refused cards" "$TMP/batch1.json" ":batch --json" ".cards[]:batch --log"
check_fields "batch --log: its lines" "$TMP/shop.jsonl" ":batch --log"
jsonrun batch3 "$DLOADCARD" batch --json --yes --size 64M "$TMP/update_sd_base.zip" \
	"$TMP/update_sd_cust_VOG-L29_hw_eu.zip" "$TMP/bs1.img" "$TMP/bs2.img"
check_fields "batch: an SD package set" "$TMP/batch3.json" ":batch --json" ".cards[]:batch --log"
jsonrun batch2 "$DLOADCARD" batch --json --yes --size 64M "$TMP/bad.APP" "$TMP/b3.img"
check_fields "batch: a damaged source" "$TMP/batch2.json" ":A failure, with --json" \
	":batch --json" ".cards[]:batch --log"

empty=$TMP/empty
fakesys_init "$empty"
jsonrun list1 "$DLOADCARD" list --json --sysroot "$empty"
check_fields "list: no disk" "$TMP/list1.json" ":list --json"

if ! have_loop; then
	skip "list and prepare on a disk" "no loop devices here (needs root)"
	done_testing
fi
fake=$TMP/sys
fakesys_init "$fake"
dev=$(fakesys_card "$fake" "$TMP/loop.img" 1) || { echo "Bail out! cannot attach a loop device"; exit 1; }
fakesys_card "$fake" "$TMP/fixed.img" 0 >/dev/null || { echo "Bail out! cannot attach a loop device"; exit 1; }

jsonrun prepare4 "$DLOADCARD" prepare --json --yes --sysroot "$fake" "$dev" "$src"
jq -e '.card | has("model") and has("serial")' "$TMP/prepare4.json" >/dev/null
ok $? "prepare on a disk names its model and serial"
check_fields "prepare: a disk (a loop device playing a card)" "$TMP/prepare4.json" ":prepare --json"
jsonrun list2 "$DLOADCARD" list --json --all --sysroot "$fake"
jq -e '.disks | length == 2' "$TMP/list2.json" >/dev/null
ok $? "list --all: the card and the fixed disk"
check_fields "list --all: a dload card and a fixed disk, every column" "$TMP/list2.json" ":list --json"

done_testing
