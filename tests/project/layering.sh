#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# src/ is layered (HACKING.md): a folder may include its own headers and
# those of the folders below it, never one above or beside it; and only
# src/cmd/ (with main.c) prints for the user or exits.  This test checks the
# tree, then plants a wrong include, a print and an exit in a copy of it to
# show that the check would catch them.
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

# A C file with its comments, strings and character literals blanked out,
# its lines kept, so that a word in a message or a comment is no call.
strip_c() {
	perl -0777 -pe 's{(/\*.*?\*/)|(//[^\n]*)|("(?:\\.|[^"\\\n])*")|('"'"'(?:\\.|[^'"'"'\\\n])*'"'"')}{
		defined $1 ? ($1 =~ tr/\n//cdr) : defined $2 ? "" : defined $3 ? q("") : q('"''"')
	}gse' "$1"
}

# What prints for the user or ends the process: the standard streams, the
# err(3) family, exit(), and writing to any stream, which outside cmd/ only
# lib/json.c does (to the stream it is given: stdout by a command, memory
# for the shop log).  _exit() is not among them: it ends a forked child
# (guard.c, mtools.c), whose parent speaks.
speaks='\b(printf|vprintf|dprintf|puts|putchar|perror|err|errx|verr|verrx|warn|warnx|vwarn|vwarnx|error|exit|abort)[[:space:]]*\(|\b(stdout|stderr)\b'
writes='\b(fprintf|vfprintf|fputs|fputc|putc|fwrite)[[:space:]]*\('

# check_speech SRC: print every place outside cmd/ and main.c that prints
# for the user or exits; fail if any.
check_speech() {
	local src=$1 bad=0 file re
	while IFS= read -r file; do
		re=$speaks
		[ "$file" = "$src/lib/json.c" ] || re="$speaks|$writes"
		strip_c "$file" | grep -nE "$re" | sed "s|^|$file:|" | grep . && bad=1
	done < <(find "$src" -mindepth 2 -name '*.[ch]' ! -path "$src/cmd/*" | sort)
	return $bad
}

src=$TESTS_SRCDIR/../src
check_tree "$src" >"$TMP/report"
ok $? "every folder of src/ includes only its own and lower layers"
[ -s "$TMP/report" ] && diag "$(sed "s|^$src/|src/|" "$TMP/report")"

check_speech "$src" >"$TMP/speech"
ok $? "only src/cmd/ prints for the user or exits (no stdout, stderr, fprintf, err, warn, exit)"
[ -s "$TMP/speech" ] && diag "$(sed "s|^$src/|src/|" "$TMP/speech")"

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
cp "$src/card/card.c" "$TMP/src/card/card.c"

# Planted speech, in the copy: a warning in fat/, an exit in lib/, stderr
# named in station/, a stream written in card/; words in comments and
# messages are not speech.
printf '/* printf("x") and exit(1) */\nstatic const char *m = "err(1, stderr)";\n' \
	>>"$TMP/src/fat/format.c"
check_speech "$TMP/src" >"$TMP/planted"
ok $? "a comment or a message that names printf, exit or stderr is not caught"
[ -s "$TMP/planted" ] && diag "$(cat "$TMP/planted")"
printf 'static void planted(void) { warnx("x"); }\n' >>"$TMP/src/fat/format.c"
printf 'static void planted(void) { exit(1); }\n' >>"$TMP/src/lib/strutils.c"
printf 'static FILE *planted(void) { return stderr; }\n' >>"$TMP/src/station/view.c"
printf 'static void planted(FILE *f) { fputs("x", f); }\n' >>"$TMP/src/card/content.c"
check_speech "$TMP/src" >"$TMP/planted"
[ $? -ne 0 ]; ok $? "a file outside cmd/ that prints or exits is caught"
for f in fat/format.c lib/strutils.c station/view.c card/content.c; do
	grep -q "^$TMP/src/$f:[0-9]*:" "$TMP/planted"
	ok $? "... the planted one in $f is named"
done

done_testing
