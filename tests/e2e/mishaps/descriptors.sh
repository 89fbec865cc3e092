#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Closed standard descriptors and a full standard output.  A program started
# with 1 closed gets, from its first open(), descriptor 1: unless dloadcard
# makes 0-2 safe first, the card it opens is "standard output" and its
# report lands on the card.  And a report that cannot be written must not
# end in success: the result is lost.  prepare and batch say the card is
# ready anyway, with their own exit status (25).
. "${TESTS_SRCDIR:-$(dirname "$0")/../..}/helpers/lib.sh"
# shellcheck source=tests/helpers/cardsim-lib.sh
. "$TESTS_SRCDIR/helpers/cardsim-lib.sh"

src=$TMP/UPDATE.APP
make_sample "$src" 4M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
src_sha=$(sha256_of "$src")

# Nothing dloadcard prints may be found on a card.
no_text_on() {	# no_text_on IMAGE what
	! grep -aqE '"command"|Writing UPDATE.APP|Erasing old|Done: |Verdict|GOOD: ' "$1"
	ok $? "$2: nothing printed landed on the card"
}

# The image is a dload card holding the source, says verify.
good_card() {	# good_card IMAGE what
	run "$DLOADCARD" verify --quiet --against "$src" "$1"
	is_status 0 "$2: verify says the card is good and holds the source"
}

# --- Closed descriptors ----------------------------------------------------------

# The issue's case: probe's JSON report went over the MBR (exit 0).
img=$TMP/probe.img
truncate -s 64M "$img"
printf 'label: dos\nstart=8192, type=c\n' | sfdisk -q "$img" >/dev/null 2>&1
before=$(sha256_of "$img")
"$DLOADCARD" probe --quick --json "$img" >&- 2>"$TMP/err"
status=$?
[ "$status" -eq 1 ]; ok $? "probe --json with stdout closed: exit 1, the report is lost (exit $status)"
like "$(cat "$TMP/err")" "write error on standard output: it is closed" "probe >&-: says so"
[ "$(sha256_of "$img")" = "$before" ]; ok $? "probe >&-: the card is byte for byte as it was"

"$DLOADCARD" probe --quick "$img" <&- >&- 2>&-
status=$?
[ "$status" -eq 1 ]; ok $? "probe with 0, 1 and 2 closed: exit 1 (exit $status)"
[ "$(sha256_of "$img")" = "$before" ]; ok $? "probe <&- >&- 2>&-: the card is byte for byte as it was"

# prepare with stdout, then stdout and stderr closed: the card is made, and
# holds nothing of what was printed; the exit status says the report is lost.
new=$TMP/new.img
"$DLOADCARD" prepare --yes --json --size 64M "$new" "$src" >&- 2>"$TMP/err"
status=$?
[ "$status" -eq 25 ]; ok $? "prepare --json >&-: exit 25, the card is ready but the report is lost (exit $status)"
like "$(cat "$TMP/err")" "write error on standard output: it is closed: the card is ready.*report of it is lost" \
	"prepare >&-: says the card is ready and the report lost"
no_text_on "$new" "prepare >&-"
good_card "$new" "prepare >&-"

"$DLOADCARD" prepare --yes "$new" "$src" >&- 2>&-
status=$?
[ "$status" -eq 25 ]; ok $? "prepare >&- 2>&-: exit 25 (exit $status)"
no_text_on "$new" "prepare >&- 2>&-"
good_card "$new" "prepare >&- 2>&-"

"$DLOADCARD" prepare --yes "$new" "$src" 2>&- >"$TMP/out"
status=$?
[ "$status" -eq 0 ]; ok $? "prepare 2>&-: exit 0, the report was written (exit $status)"
like "$(cat "$TMP/out")" "Done: .* is a dload card" "prepare 2>&-: the report is on stdout"
no_text_on "$new" "prepare 2>&-"
good_card "$new" "prepare 2>&-"

# No terminal to ask on (stdin closed): refused, the card untouched.
before=$(sha256_of "$new")
"$DLOADCARD" prepare "$new" "$src" <&- >"$TMP/out" 2>"$TMP/err"
status=$?
[ "$status" -eq 3 ]; ok $? "prepare <&- without --yes: refused (exit $status)"
like "$(cat "$TMP/err")" "not confirmed \(no terminal to ask on: add --yes\)" "prepare <&-: says why"
[ "$(sha256_of "$new")" = "$before" ]; ok $? "prepare <&-: the card is unchanged"

# batch: two cards, stdout closed.
c1=$TMP/c1.img
c2=$TMP/c2.img
truncate -s 64M "$c1" "$c2"
"$DLOADCARD" batch --yes "$src" "$c1" "$c2" >&- 2>"$TMP/err"
status=$?
[ "$status" -eq 25 ]; ok $? "batch >&-: exit 25 (exit $status)"
like "$(cat "$TMP/err")" "write error on standard output.*every card is ready" "batch >&-: says the cards are ready"
for c in "$c1" "$c2"; do
	no_text_on "$c" "batch >&- ($(basename "$c"))"
	good_card "$c" "batch >&- ($(basename "$c"))"
done

# The commands that only read: a lost result is an error, and the card (or
# the file) is unchanged.
before=$(sha256_of "$new")
for cmd in "check --json $src" "check $src" "verify --json $new" "verify $new" "list --all --json"; do
	# shellcheck disable=SC2086
	"$DLOADCARD" $cmd >&- 2>"$TMP/err"
	status=$?
	[ "$status" -eq 1 ]; ok $? "$cmd >&-: exit 1 (exit $status)"
	like "$(cat "$TMP/err")" "write error on standard output" "$cmd >&-: says so"
done
[ "$(sha256_of "$new")" = "$before" ]; ok $? "verify >&-: the card is unchanged"
[ "$(sha256_of "$src")" = "$src_sha" ]; ok $? "check >&-: the source is unchanged"

# --- A full standard output ------------------------------------------------------

for cmd in "check --json $src" "check $src" "verify $new" "verify --json $new" \
	"list --all --json" "probe --quick $img" "probe --quick --json $img"; do
	# shellcheck disable=SC2086
	"$DLOADCARD" $cmd >/dev/full 2>"$TMP/err"
	status=$?
	[ "$status" -eq 1 ]; ok $? "$cmd >/dev/full: exit 1 (exit $status)"
	like "$(cat "$TMP/err")" "write error on standard output" "$cmd >/dev/full: says so"
done

"$DLOADCARD" prepare --yes --json "$new" "$src" >/dev/full 2>"$TMP/err"
status=$?
[ "$status" -eq 25 ]; ok $? "prepare -j >/dev/full: exit 25 (exit $status)"
like "$(cat "$TMP/err")" "write error on standard output.*: the card is ready: dload/UPDATE.APP is written and verified, but this report of it is lost" \
	"prepare -j >/dev/full: the card is ready, the report lost"
good_card "$new" "prepare -j >/dev/full"

"$DLOADCARD" batch --yes --json "$src" "$c1" "$c2" >/dev/full 2>"$TMP/err"
status=$?
[ "$status" -eq 25 ]; ok $? "batch -j >/dev/full: exit 25 (exit $status)"

# A failure stays the failure it is when its report is lost too.
"$DLOADCARD" prepare --yes --json "$new" "$TMP/missing.APP" >/dev/full 2>"$TMP/err"
status=$?
[ "$status" -eq 5 ]; ok $? "a failed prepare with its report lost keeps its exit status (exit $status)"

for cmd in "" prepare check verify probe list batch; do
	# shellcheck disable=SC2086
	"$DLOADCARD" $cmd --help >/dev/full 2>"$TMP/err"
	status=$?
	[ "$status" -eq 1 ]; ok $? "dloadcard ${cmd:+$cmd }--help >/dev/full: exit 1 (exit $status)"
	like "$(cat "$TMP/err")" "write error on standard output: No space left on device" \
		"dloadcard ${cmd:+$cmd }--help >/dev/full: says why"
done
"$DLOADCARD" --version >/dev/full 2>/dev/null
status=$?
[ "$status" -eq 1 ]; ok $? "dloadcard --version >/dev/full: exit 1 (exit $status)"

# A reader that went away is not an error (util-linux's close_stdout).
"$DLOADCARD" check --json "$src" 2>"$TMP/err" | head -c 1 >/dev/null
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || [ "$status" -eq 141 ]
ok $? "check | head: no error for a reader that left (exit $status)"
! grep -q "write error" "$TMP/err"; ok $? "check | head: no write error said"

[ "$(sha256_of "$src")" = "$src_sha" ]; ok $? "the source is byte for byte as it was"

# --- A reader that goes away -----------------------------------------------------
#
# `dloadcard probe CARD 2>&1 | head -1`: the pipe closes while the card is
# being worked on.  SIGPIPE used to end the run there, a probe with its
# blocks not put back; now the write fails and the run goes on to its end
# (and, as in util-linux, a reader that stopped reading is no error).
if why=$(cardsim_usable); then
	truncate -s 64M "$TMP/pipe.img"
	printf 'label: dos\nstart=8192, type=c\n' | sfdisk -q "$TMP/pipe.img" >/dev/null 2>&1
	before=$(sha256_of "$TMP/pipe.img")
	cardsim_start "$TMP/pipe" --size 64M --backing "$TMP/pipe.img" --write-speed 4 ||
		{ echo "Bail out! cardsim does not start"; exit 1; }
	"$DLOADCARD" probe "$CARD" 2>&1 | head -c 1 >/dev/null
	status=${PIPESTATUS[0]}
	[ "$status" -eq 0 ]; ok $? "probe 2>&1 | head -c 1: the probe runs to its end (exit $status)"
	cardsim_stop "$CARDSIM_DIR"
	[ "$(sha256_of "$TMP/pipe.img")" = "$before" ]
	ok $? "probe 2>&1 | head -c 1: the card is byte for byte as it was"

	rm -f "$TMP/pipe.img"
	truncate -s 64M "$TMP/pipe.img"
	cardsim_start "$TMP/pipe" --size 64M --backing "$TMP/pipe.img" --write-speed 8 ||
		{ echo "Bail out! cardsim does not start"; exit 1; }
	"$DLOADCARD" prepare --yes "$CARD" "$src" 2>&1 | head -c 1 >/dev/null
	status=${PIPESTATUS[0]}
	[ "$status" -eq 0 ]; ok $? "prepare 2>&1 | head -c 1: prepare runs to its end (exit $status)"
	cardsim_stop "$CARDSIM_DIR"
	good_card "$TMP/pipe.img" "prepare 2>&1 | head -c 1"
else
	for t in "probe | head" "probe | head: card unchanged" "prepare | head" "prepare | head: card good"; do
		skip "$t" "$why"
	done
fi

done_testing
