#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The message catalogues (po/): every source file with marked messages is
# in po/POTFILES.in; the template po/dloadcard.pot holds every message of
# src/ (a template extracted now, with the options of po/Makevars, has no
# message the committed one lacks, and the committed one none that is gone);
# every translation translates every message, none fuzzy, and passes
# msgfmt --check (its conversions those of the English, its header whole).
# After a change to a message: make update-po, then translate.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

top=$(cd "$TESTS_SRCDIR/.." && pwd)
po=$top/po

missing=()
for t in xgettext msgfmt msgcmp; do
	command -v "$t" >/dev/null || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "1..0 # SKIP no ${missing[*]} here (apt-get install gettext)"
	exit 0
fi

# --- POTFILES.in -------------------------------------------------------------------
listed=$(grep -v '^#' "$po/POTFILES.in" | sed '/^$/d' | sort)
marked=$(cd "$top" && grep -lE '\b(N?_|P_)\(' -r src --include='*.c' --include='*.h' |
	grep -v '^src/lib/nls\.h$' | sort)
unlisted=$(comm -13 <(echo "$listed") <(echo "$marked"))
[ -z "$unlisted" ]
ok $? "every source file with marked messages is in po/POTFILES.in"
[ -z "$unlisted" ] || diag "not listed: $unlisted"
gone=$(cd "$top" && for f in $listed; do [ -f "$f" ] || echo "$f"; done)
[ -z "$gone" ]
ok $? "po/POTFILES.in names only files that exist"
[ -z "$gone" ] || diag "gone: $gone"

# --- the template --------------------------------------------------------------------
# XGETTEXT_OPTIONS of po/Makevars, its continued lines joined.
options=$(sed -n '/^XGETTEXT_OPTIONS *=/,/[^\\]$/p' "$po/Makevars" |
	sed 's/^XGETTEXT_OPTIONS *=//; s/\\$//' | tr '\n' ' ')
# shellcheck disable=SC2086
(cd "$top" && xgettext --default-domain=dloadcard --language=C $options \
	--files-from=po/POTFILES.in -o "$TMP/fresh.pot") 2>"$TMP/xgettext.err"
ok $? "xgettext extracts the messages of src/"
[ -s "$TMP/xgettext.err" ] && diag "$(cat "$TMP/xgettext.err")"

msgcmp --use-untranslated "$po/dloadcard.pot" "$TMP/fresh.pot" >"$TMP/new" 2>&1
ok $? "po/dloadcard.pot holds every message of src/ (else: make update-po)"
[ -s "$TMP/new" ] && diag "$(head -n 20 "$TMP/new")"
msgcmp --use-untranslated "$TMP/fresh.pot" "$po/dloadcard.pot" >"$TMP/old" 2>&1
ok $? "po/dloadcard.pot holds no message that src/ no longer has (else: make update-po)"
[ -s "$TMP/old" ] && diag "$(head -n 20 "$TMP/old")"

# --- the translations --------------------------------------------------------------
for lang in $(grep -v '^#' "$po/LINGUAS"); do
	f=$po/$lang.po
	[ -f "$f" ]
	ok $? "po/$lang.po exists (po/LINGUAS names $lang)"
	[ -f "$f" ] || continue
	msgfmt --check --statistics -o /dev/null "$f" >"$TMP/stats" 2>&1
	ok $? "po/$lang.po passes msgfmt --check"
	stats=$(cat "$TMP/stats")
	! grep -qE 'fuzzy|untranslated' <<<"$stats"
	ok $? "po/$lang.po: every message translated, none fuzzy ($stats)"
	msgcmp "$f" "$TMP/fresh.pot" >"$TMP/cmp" 2>&1
	ok $? "po/$lang.po translates every message of src/ as it is now"
	[ -s "$TMP/cmp" ] && diag "$(head -n 20 "$TMP/cmp")"
done

done_testing
