#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# dloadcard in Spanish: check and prepare on an image file speak the
# user's language (the catalogue po/es.po, as the build made it), while
# what programs read stays as it is: --json byte for byte the C locale's
# (after the golden files' normalisation of times), the exit codes, and the
# options of --help (the bash completion reads them).
#
# The program looks for its catalogue where make install puts it, in
# LOCALEDIR, compiled in; this test does not install anything there.  It
# runs each command in a private mount namespace (unshare) where a tmpfs
# over the nearest existing parent of LOCALEDIR holds the catalogue this
# build made: the binary under test, unchanged, finds it by its own path,
# and the machine's files are neither touched nor seen changed by anyone
# else.  Image files only, no device.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

if [ "${USE_NLS:-yes}" != yes ]; then
	echo "1..0 # SKIP built without NLS (configure --disable-nls)"
	exit 0
fi
gmo=$TESTS_SRCDIR/../po/es.gmo
if [ -z "${LOCALEDIR:-}" ] || [ ! -f "$gmo" ]; then
	echo "1..0 # SKIP no LOCALEDIR or no po/es.gmo: run it through make check"
	exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! unshare --mount true 2>/dev/null; then
	echo "1..0 # SKIP needs root for a private mount namespace (unshare --mount)"
	exit 0
fi

# The nearest existing parent of LOCALEDIR, which the tmpfs covers: it must
# hold nothing the test runs.
top=$LOCALEDIR
while [ ! -d "$top" ]; do top=$(dirname "$top"); done
for p in "$DLOADCARD" "$MKUPDATEAPP" "$TMP" "$(command -v mformat)" "$(command -v jq)"; do
	case $p in
	"$top"/* | "$top")
		echo "1..0 # SKIP $p lies under $top, which the test would cover with the catalogue"
		exit 0 ;;
	esac
done
if [ "$top" = / ]; then
	echo "1..0 # SKIP no parent of $LOCALEDIR exists but /"
	exit 0
fi

# Spanish as a technician has it, es_ES.UTF-8 (its decimal comma included:
# --json must keep the point): the machine's when locale-gen made it, else
# made here with localedef into $TMP (LOCPATH; package locales has the
# sources).  Without either, LANGUAGE=es over C.UTF-8, which every Debian 12
# has: gettext takes LANGUAGE whenever the locale is not plain C.
if locale -a 2>/dev/null | grep -qix 'es_ES\.utf-\?8'; then
	spanish=(env LC_ALL=es_ES.UTF-8)
elif mkdir -p "$TMP/locales" &&
	localedef -i es_ES -f UTF-8 "$TMP/locales/es_ES.UTF-8" >/dev/null 2>&1; then
	spanish=(env LOCPATH="$TMP/locales" LC_ALL=es_ES.UTF-8)
elif locale -a 2>/dev/null | grep -qix 'C\.utf-\?8'; then
	spanish=(env LC_ALL=C.UTF-8 LANGUAGE=es)
else
	echo "1..0 # SKIP no es_ES.UTF-8 locale, none can be made, and no C.UTF-8 (apt-get install locales)"
	exit 0
fi
diag "Spanish as: ${spanish[*]}"

# es CMD...: dloadcard CMD in Spanish, with this build's catalogue at
# LOCALEDIR in a namespace of its own; stdout, stderr and status as run().
es() {
	unshare --mount --propagation private bash -c '
		top=$1 dir=$2 gmo=$3
		shift 3
		mount -t tmpfs dloadcard-locale "$top" || exit 99
		mkdir -p "$dir/es/LC_MESSAGES" &&
			cp "$gmo" "$dir/es/LC_MESSAGES/dloadcard.mo" || exit 99
		exec "$@"' es "$top" "$LOCALEDIR" "$gmo" "${spanish[@]}" "$DLOADCARD" "$@" \
		</dev/null >"$TMP/out" 2>"$TMP/err"
	status=$?
	out=$(cat "$TMP/out")
	errout=$(cat "$TMP/err")
}

cd "$TMP" || exit 99
make_sample UPDATE.APP 4M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
"$MKUPDATEAPP" --size 4K --output page.html --damage html
make_sample damaged.APP 1M --damage block-crc

# --- check -----------------------------------------------------------------------
es check UPDATE.APP
is_status 0 "check in Spanish: a valid UPDATE.APP"
like "$out" '^Veredicto: válido: se superaron todas las comprobaciones\.$' \
	"check in Spanish: the verdict is in Spanish"
like "$out" '^Archivo: UPDATE\.APP, [0-9]+ bytes' "check in Spanish: the file line too"

es check damaged.APP
is_status 4 "check in Spanish: a damaged UPDATE.APP exits as in C"
like "$out" '^Veredicto: dañado \(1 error\)' "check in Spanish: the damaged verdict, with its count"

es check page.html
is_status 5 "check in Spanish: a web page exits as in C"
like "$out" 'página web' "check in Spanish: the finding says what the file is, in Spanish"

"$DLOADCARD" check --json UPDATE.APP page.html >c.json 2>/dev/null
c_status=$?
es check --json UPDATE.APP page.html
[ "$status" -eq "$c_status" ]
ok $? "check --json in Spanish: the exit status of the C locale ($status, $c_status)"
json_normalise <c.json >c.norm
json_normalise <"$TMP/out" >es.norm
cmp -s c.norm es.norm
ok $? "check --json in Spanish: the same JSON as in the C locale, byte for byte"
[ -s "$TMP/out" ] && [ -z "$errout" ]
ok $? "check --json in Spanish: nothing on stderr either"

# --- prepare ---------------------------------------------------------------------
es prepare --yes --size 64M es.img UPDATE.APP
is_status 0 "prepare in Spanish: an image file"
like "$out" '^Hecho: es\.img es una tarjeta dload\.$' "prepare in Spanish: the result is in Spanish"
like "$out" 'Apague el dispositivo por completo' "prepare in Spanish: so are the steps on the device"
"$DLOADCARD" verify es.img >/dev/null 2>&1
ok $? "the card prepared in Spanish verifies (in C)"

# Asked with no terminal: refused, in Spanish, with the exit code of C, and
# the image as it was.
before=$(sha256_of es.img)
es prepare es.img UPDATE.APP
is_status 3 "prepare in Spanish without --yes and without a terminal: refused"
like "$errout" 'no se ha borrado: no confirmado' "prepare in Spanish: the refusal is in Spanish"
[ "$(sha256_of es.img)" = "$before" ]
ok $? "prepare in Spanish, refused: the image is as it was"

"$DLOADCARD" prepare --json --yes --size 64M c.img UPDATE.APP >c.json 2>/dev/null
c_status=$?
es prepare --json --yes --size 64M es2.img UPDATE.APP
[ "$status" -eq "$c_status" ] && [ "$status" -eq 0 ]
ok $? "prepare --json in Spanish: the exit status of the C locale ($status, $c_status)"
# The reports name their own image: the same name for both.
sed 's/es2\.img/c.img/g' "$TMP/out" | json_normalise >es.norm
json_normalise <c.json >c.norm
cmp -s c.norm es.norm
ok $? "prepare --json in Spanish: the same JSON as in the C locale, byte for byte"
[ $? -eq 0 ] || diag "$(diff c.norm es.norm | head -20)"

es prepare --json --yes missing.img UPDATE.APP
json_normalise <"$TMP/out" >es.norm
"$DLOADCARD" prepare --json --yes missing.img UPDATE.APP >c.json 2>/dev/null
c_status=$?
json_normalise <c.json >c.norm
[ "$status" -eq "$c_status" ] && [ "$status" -eq 3 ] && cmp -s c.norm es.norm
ok $? "prepare --json in Spanish, refused: the C locale's report and exit status ($status)"

# --- help --------------------------------------------------------------------------
# The options, and the values of a fixed set (<a|b>), as the completion reads them.
opts='(^| )-(-[a-z0-9-]+|[a-zA-Z])\b|<[^ >]*\|[^ >]*>'
for cmd in prepare check verify probe list batch; do
	es "$cmd" --help
	grep -oE -- "$opts" "$TMP/out" | sort -u >es.opts
	"$DLOADCARD" "$cmd" --help | grep -oE -- "$opts" |
		sort -u >c.opts
	grep -q '^Uso:' "$TMP/out" && cmp -s c.opts es.opts
	ok $? "$cmd --help in Spanish: translated, with the options and their values of C"
	[ $? -eq 0 ] || diag "$(diff c.opts es.opts)"
done

# LANGUAGE alone does not make the C locale speak Spanish.
es_c() { spanish=(env LC_ALL=C LANGUAGE=es); es "$@"; }
es_c check UPDATE.APP
like "$out" '^Verdict: valid: every check passed\.$' "LC_ALL=C with LANGUAGE=es: English, as always"

done_testing
