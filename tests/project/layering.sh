#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# src/ is layered (HACKING.md): a folder may include its own headers and
# those of the folders below it, never one above or beside it.  This test
# checks the tree, then plants a wrong include in a copy of it to show that
# the check would catch one.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

# The layers, bottom up; folders on one line are side by side and
# independent of each other.
layers=(
	"lib"
	"card firmware"
	"fat"
	"pipeline"
	"station"
	"cmd"
)

rank_of() {	# rank_of FOLDER: its layer's index, or nothing
	local i f
	for i in "${!layers[@]}"; do
		for f in ${layers[$i]}; do
			[ "$f" = "$1" ] && { echo "$i"; return; }
		done
	done
}

# check_tree SRC: print every include that breaks the rule; fail if any.
check_tree() {
	local src=$1 bad=0 file dir inc target r t
	while IFS= read -r file; do
		dir=${file#"$src"/}
		dir=${dir%%/*}
		r=$(rank_of "$dir")
		if [ -z "$r" ]; then
			echo "$file: src/$dir/ is not a layer of HACKING.md's map"
			bad=1
			continue
		fi
		while IFS= read -r inc; do
			target=${inc%%/*}
			t=$(rank_of "$target")
			if [ -z "$t" ]; then
				echo "$file includes \"$inc\": src/$target/ is not a layer"
				bad=1
			elif [ "$target" != "$dir" ] && [ "$t" -ge "$r" ]; then
				echo "$file includes \"$inc\": src/$dir/ may not use src/$target/"
				bad=1
			fi
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z]*\/[^"]*\)".*/\1/p' "$file")
	done < <(find "$src" -mindepth 2 -name '*.[ch]' | sort)
	return $bad
}

src=$TESTS_SRCDIR/../src
check_tree "$src" >"$TMP/report"
ok $? "every folder of src/ includes only its own and lower layers"
[ -s "$TMP/report" ] && diag "$(sed "s|^$src/|src/|" "$TMP/report")"

# Every file belongs to a folder but main.c.
extra=$(find "$src" -maxdepth 1 -type f -name '*.[ch]' ! -name main.c)
[ -z "$extra" ]; ok $? "src/ holds only main.c at its top"
[ -z "$extra" ] || diag "$extra"

# A planted wrong include, in a copy, must be caught.
cp -R "$src" "$TMP/src"
chmod -R u+w "$TMP/src"
printf '#include "pipeline/prepare.h"\n' >>"$TMP/src/card/card.c"
check_tree "$TMP/src" >"$TMP/planted"
[ $? -ne 0 ] && grep -q 'card/card.c includes "pipeline/prepare.h"' "$TMP/planted"
ok $? "a card/ file that includes pipeline/ is caught"
cp "$src/card/card.c" "$TMP/src/card/card.c"
printf '#include "firmware/source.h"\n' >>"$TMP/src/card/card.c"
check_tree "$TMP/src" >"$TMP/planted"
[ $? -ne 0 ]; ok $? "card/ and firmware/, side by side, may not use each other"

done_testing
