#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# batch, end to end: four cards made by one command, one of them faulty (the
# simulator), with the summary, the exit code and the shop's log read with
# jq; then refusals, the question, Ctrl-C, and a card that stalls.  Cards
# are image files, loop devices this test attaches, and simulated cards.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"
# shellcheck source=tests/helpers/cardsim-lib.sh
. "$TESTS_SRCDIR/helpers/cardsim-lib.sh"

src=$TMP/UPDATE.APP
make_sample "$src" 8M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
src_sha=$(sha256_of "$src")

sim_why=$(cardsim_usable)
have_sim() { [ -z "$sim_why" ]; }

# On a 64 MiB card the data area starts at 8 MiB and UPDATE.APP at the next
# 4 MiB boundary past the dload/ folder's cluster: 12 MiB.  13 MiB is inside.
FAULT_AT=13M

# The card in an image (or on a device) holds UPDATE.APP = the source.
is_dload_card() {	# is_dload_card TARGET
	"$DLOADCARD" verify --quiet --against "$src" "$1" >/dev/null 2>&1
}

# jq over the log line of one device.
logged() {	# logged LOG DEVICE FILTER
	jq -r --arg d "$2" "select(.device == \$d) | $3" "$1"
}

# --- Four cards, one faulty ---------------------------------------------------
c1=$TMP/c1.img
c2=$TMP/c2.img
truncate -s 64M "$c1" "$c2"
targets=("$c1" "$c2")
if have_loop; then
	truncate -s 64M "$TMP/loop.img"
	dev=$(attach_loop "$TMP/loop.img")
	targets+=("$dev")
else
	truncate -s 64M "$TMP/c3.img"
	targets+=("$TMP/c3.img")
fi
faulty=""
if have_sim && cardsim_start "$TMP/sim" --size 64M --flip-read "$FAULT_AT:4096"; then
	faulty=$CARD
	targets+=("$faulty")
else
	truncate -s 64M "$TMP/c4.img"
	targets+=("$TMP/c4.img")
fi
log=$TMP/shop.jsonl
echo '{"earlier": "line"}' >"$log"

run "$DLOADCARD" batch --yes --allow-fixed --log "$log" "$src" "${targets[@]}"
if [ -n "$faulty" ]; then
	is_status 23 "four cards, one faulty: exit 23 (some cards failed)"
	like "$out" "$faulty +.* failed .*other bytes" "the summary names the faulty card and why"
	like "$out" '3 ready, 1 failed' "the summary counts 3 ready and 1 failed"
	like "$errout" "card: FAILED: the card gave back other bytes" "the failure is shown as it happens"
else
	is_status 0 "four cards: exit 0"
	skip "a faulty card among them" "$sim_why"
fi
for t in "$c1" "$c2" "${targets[2]}"; do
	like "$out" "$t +.* ok " "the summary says $t is ok"
	is_dload_card "$t"; ok $? "$t is a dload card holding the source (verify --against)"
done
like "$errout" "READY: dload card written and verified.*pull it out" "each good card is announced as ready to pull"

[ "$(wc -l <"$log")" -eq 5 ]; ok $? "the log has its earlier line and one line per card"
[ "$(wc -l <"$log")" -eq 5 ] || diag "$(cut -c1-200 "$log")"
jq -e . "$log" >/dev/null; ok $? "every log line is JSON (jq)"
[ "$(head -1 "$log")" = '{"earlier": "line"}' ]; ok $? "the log is appended to"
[ "$(tail -n 4 "$log" | jq -r .source.sha256 | sort -u)" = "$src_sha" ]
ok $? "every line has the source's SHA-256"
for t in "$c1" "$c2" "${targets[2]}"; do
	[ "$(logged "$log" "$t" .result)" = ok ]; ok $? "log: $t ok"
	[ "$(logged "$log" "$t" .card_sha256)" = "$src_sha" ]; ok $? "log: $t's card SHA-256 is the source's"
done
[ "$(tail -n 4 "$log" | jq -r '.seconds.total | type' | sort -u)" = number ]
ok $? "log: every line has its durations"
[ "$(tail -n 4 "$log" | jq -r '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' | sort -u)" = true ]
ok $? "log: every line has an ISO 8601 time"
if [ -n "$faulty" ]; then
	[ "$(logged "$log" "$faulty" .result)" = failed ]; ok $? "log: the faulty card failed"
	[ "$(logged "$log" "$faulty" .exit_code)" = 9 ]; ok $? "log: exit code 9 (read back differs)"
	like "$(logged "$log" "$faulty" .diagnosis)" 'other bytes.*card offset' "log: the diagnosis says where"
	like "$(logged "$log" "$faulty" .card_state)" 'no UPDATE.APP' "log: the card holds no UPDATE.APP"
	! mdir -i "$faulty@@$((8192 * 512))" -b ::dload 2>/dev/null | grep -q UPDATE.APP
	ok $? "the faulty card really holds no UPDATE.APP"
	cardsim_stop
fi
if have_loop; then
	[ "$(logged "$log" "$dev" .card.backing_file)" = "$TMP/loop.img" ]
	ok $? "log: a loop device's identity names its file"
	detach_loop "$dev"
fi

# --- --json ---------------------------------------------------------------------
run "$DLOADCARD" batch --yes --json "$src" "$c1" "$c2"
is_status 0 "batch --json, two good cards"
[ "$(jq -r .ready <<<"$out")" = 2 ]; ok $? "--json: ready 2"
[ "$(jq -r '[.cards[].result] | unique | join(",")' <<<"$out")" = ok ]; ok $? "--json: both ok"
[ "$(jq -r .source.sha256 <<<"$out")" = "$src_sha" ]; ok $? "--json: the source's SHA-256"

# A wrong --sha256 (computed while the cards are written): no card gets the
# file, none keeps its temporary copy, and batch says the file is to blame.
# The hash may also finish before a card starts: then that card is not
# touched at all (its earlier, verified content stays, byte for byte).
wrong_sha=$(printf '%s' "$src_sha" | tr 0-9a-f 1-9a-f0)
c1_before=$(sha256_of "$c1") c2_before=$(sha256_of "$c2")
run "$DLOADCARD" batch --yes --log "$TMP/digest.jsonl" --sha256 "$wrong_sha" "$src" "$c1" "$c2"
is_status 6 "a wrong --sha256: exit 6"
like "$errout" "its SHA-256 is $src_sha, not the $wrong_sha given" "... says which is which"
for t in "$c1" "$c2"; do
	[ "$t" = "$c1" ] && before=$c1_before || before=$c2_before
	[ "$(sha256_of "$t")" = "$before" ] ||
		! mdir -i "$t@@$((8192 * 512))" -b ::dload 2>/dev/null | grep -q 'UPDATE\.\(APP\|TMP\)'
	ok $? "a wrong --sha256: $t untouched, or holding no UPDATE.APP nor UPDATE.TMP"
done
[ "$(jq -r .result "$TMP/digest.jsonl" | sort -u)" = failed ]; ok $? "... both logged failed"
[ "$(jq -r .exit_code "$TMP/digest.jsonl" | sort -u)" = 6 ]; ok $? "... with exit code 6"
[ "$(sha256_of "$src")" = "$src_sha" ]; ok $? "... the source is unchanged"
run "$DLOADCARD" batch --yes --sha256 "$src_sha" "$src" "$c1"
is_status 0 "the right --sha256: the card is made"
is_dload_card "$c1"; ok $? "... and holds the source"

# --- Refusals, the question, a bad source ---------------------------------------------
truncate -s 20M "$TMP/small.img"
run "$DLOADCARD" batch --yes "$src" "$TMP/missing.img" "$TMP/small.img"
is_status 3 "every card refused: exit 3"
like "$out" 'missing.img .*refused' "the summary says refused"
[ ! -e "$TMP/missing.img" ]; ok $? "a missing image is not created without --size"

before=$(sha256_of "$c1")
run "$DLOADCARD" batch --yes --log "$TMP/mixed.jsonl" "$src" "$TMP/small.img" "$TMP/new.img" --size 64M
is_status 23 "one refused, one made: exit 23"
is_dload_card "$TMP/new.img"; ok $? "--size creates and makes the new image"
[ "$(jq -r 'select(.result == "refused") | .diagnosis' "$TMP/mixed.jsonl")" != "" ]
ok $? "log: the refused card and why"

run "$DLOADCARD" batch "$src" "$c1" "$c2" </dev/null
is_status 3 "no --yes and no terminal: refused"
like "$errout" 'not confirmed.*--yes' "the message names --yes"
[ "$(sha256_of "$c1")" = "$before" ]; ok $? "and nothing was written"

printf '<html>404</html>\n' >"$TMP/page.APP"
run "$DLOADCARD" batch --yes "$TMP/page.APP" "$c1" "$c2"
is_status 5 "a web page as UPDATE.APP: exit 5"
[ "$(sha256_of "$c1")" = "$before" ]; ok $? "and no card was touched"

run "$DLOADCARD" batch --yes "$src" "$c1" "$TMP/../$(basename "$TMP")/c1.img"
is_status 23 "the same card twice: made once, the second name refused"
run "$DLOADCARD" batch --yes "$src"
is_status 2 "no card is a usage error"

# --- Ctrl-C, a stalled card -----------------------------------------------------------
if ! have_sim; then
	skip "Ctrl-C and stalls" "$sim_why"
	done_testing
fi

# SIGINT to a background job: bash leaves it ignored there, dloadcard catches it.
# Fresh files each time: an old one would let wait_for match at once, and
# the signal arrive before dloadcard catches it.
bg_n=0
batch_bg() {	# batch_bg LOG ARGS...: starts batch, sets pid, bg_err
	bg_n=$((bg_n + 1))
	bg_out=$TMP/bg$bg_n.out
	bg_err=$TMP/bg$bg_n.err
	"$DLOADCARD" batch --yes --log "$@" >"$bg_out" 2>"$bg_err" &
	pid=$!
}
wait_for() {	# wait_for REGEX FILE: up to 20 s
	local i
	for ((i = 0; i < 200; i++)); do
		grep -Eq -- "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}
finish_bg() {
	wait "$pid"
	status=$?
	out=$(cat "$bg_out")
	errout=$(cat "$bg_err")
}

# A slow card (2 MB/s): Ctrl-C stops it cleanly, no UPDATE.APP on it
# (tests/mishaps/interrupt.sh has every way of interrupting).
cardsim_start "$TMP/slow" --size 64M --write-speed 2 || { echo "Bail out! cardsim"; exit 1; }
slow=$CARD
batch_bg "$TMP/int1.jsonl" "$src" "$slow"
wait_for 'card: Writing the partition table' "$bg_err"; ok $? "the slow card is under way"
kill -INT "$pid"
finish_bg
is_status 130 "Ctrl-C: the card in progress stops, exit 130"
like "$errout" 'Stopping the 1 card in progress at the next step: it will hold no UPDATE.APP' \
	"Ctrl-C says what happens"
like "$out" "$slow +.* interrupted " "the summary follows, the card interrupted"
[ "$(jq -r .result "$TMP/int1.jsonl")" = interrupted ]; ok $? "logged interrupted"
! mdir -i "$slow@@$((8192 * 512))" -b ::dload 2>/dev/null | grep -q UPDATE
ok $? "the interrupted card holds no UPDATE.APP, nor UPDATE.TMP"

# Ctrl-C twice: the second is absorbed, the card still stops cleanly.
batch_bg "$TMP/int2.jsonl" "$src" "$slow"
wait_for 'card: Writing the partition table' "$bg_err"
kill -INT "$pid"
wait_for 'Stopping the 1 card' "$bg_err"
kill -INT "$pid"
finish_bg
is_status 130 "Ctrl-C twice: the card stops, exit 130"
like "$out" "$slow +.* interrupted " "the summary says interrupted"
[ "$(jq -r .result "$TMP/int2.jsonl")" = interrupted ]; ok $? "logged interrupted"
! mdir -i "$slow@@$((8192 * 512))" -b ::dload 2>/dev/null | grep -q UPDATE
ok $? "the interrupted card holds no UPDATE.APP, nor UPDATE.TMP"
cardsim_stop

# A card that stops answering for 6 s, with --stall-timeout 2.
cardsim_start "$TMP/stall" --size 64M --stall-at "$FAULT_AT:4096" --stall-seconds 6 ||
	{ echo "Bail out! cardsim"; exit 1; }
run "$DLOADCARD" batch --yes --stall-timeout 2 --log "$TMP/stall.jsonl" "$src" "$c1" "$CARD"
is_status 23 "a stalled card fails, the other is made: exit 23"
like "$out" "$CARD +.* failed .*stopped responding: no progress for 2 s" "the summary says it stalled"
[ "$(logged "$TMP/stall.jsonl" "$CARD" .exit_code)" = 12 ]; ok $? "logged with exit code 12"
[ "$(logged "$TMP/stall.jsonl" "$c1" .result)" = ok ]; ok $? "the other card is ok"
cardsim_stop

done_testing
