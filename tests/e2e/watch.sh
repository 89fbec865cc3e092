#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# batch --watch: cards plugged in while it runs are prepared; a card already
# right is left alone; fixed and refused disks are never touched; --copies
# and Ctrl-C end it.  The disks are loop devices this test attaches, made to
# look like cards in a reader through a fake sysfs (tests/fakesys-lib.sh):
# the watcher's rescan of that tree is the polling path; a uevent the test
# makes the kernel send is the netlink path.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"
# shellcheck source=tests/helpers/fakesys-lib.sh
. "$TESTS_SRCDIR/helpers/fakesys-lib.sh"

run "$DLOADCARD" batch --watch --yes --allow-fixed "$TMP/x"
is_status 2 "--allow-fixed is refused with --watch"
run "$DLOADCARD" batch --watch --yes "$TMP/x" /dev/null
is_status 2 "--watch takes no cards on the command line"
run "$DLOADCARD" batch --copies 2 --yes "$TMP/x" "$TMP/y"
is_status 2 "--copies goes with --watch"

if ! have_loop; then
	skip "batch --watch on loop devices" "no loop devices here (needs root)"
	done_testing
fi

src=$TMP/UPDATE.APP
make_sample "$src" 4M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
src_sha=$(sha256_of "$src")
fake=$TMP/sys
fakesys_init "$fake"

is_dload_card() {
	"$DLOADCARD" verify --quiet --against "$src" "$1" >/dev/null 2>&1
}

# Each watch gets fresh output files (a stale one would match at once).
n=0
watch_bg() {	# watch_bg ARGS...: starts batch --watch, sets pid
	n=$((n + 1))
	w_out=$TMP/w$n.out
	w_err=$TMP/w$n.err
	"$DLOADCARD" batch --watch --yes --sysroot "$fake" "$@" >"$w_out" 2>"$w_err" &
	pid=$!
}
wait_for() {	# wait_for REGEX FILE [tenths]: default 30 s
	local i
	for ((i = 0; i < ${3:-300}; i++)); do
		grep -Eq -- "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}
# Waits for the watch to end by itself, or stops it (then fails).
finish_watch() {	# finish_watch [tenths]
	local i
	for ((i = 0; i < ${1:-300}; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		diag "the watch did not end: stopping it"
		kill -TERM "$pid"
	fi
	wait "$pid"
	status=$?
	out=$(cat "$w_out")
	errout=$(cat "$w_err")
}
new_card() {	# new_card NAME: an image and its loop device, in $card_dev
	truncate -s 64M "$TMP/$1.img"
	card_dev=$(attach_loop "$TMP/$1.img")
}

# --- Polling: a card appears in the (fake) sysfs while it runs -----------------
log=$TMP/shop.jsonl
watch_bg --copies 1 --log "$log" "$src"
wait_for 'Waiting for cards' "$w_err"; ok $? "the watch waits for cards"
new_card one
one=$card_dev
fakesys_add "$fake" "$one" 1
finish_watch
is_status 0 "a card plugged in is prepared, and --copies 1 ends the watch"
like "$errout" "${one#/dev/}: new card" "the new card is announced"
like "$errout" "${one#/dev/}: READY: .*pull it out" "and said ready to pull out"
like "$out" "$one +.* ok " "the summary lists it ok"
is_dload_card "$one"; ok $? "it is a dload card holding the source"
[ "$(jq -r .result "$log")" = ok ]; ok $? "log: one line, ok"
[ "$(jq -r .card_sha256 "$log")" = "$src_sha" ]; ok $? "log: the card's SHA-256"
[ "$(jq -r .card.backing_file "$log")" = "$TMP/one.img" ]; ok $? "log: the card's identity"

# --- Already right: left alone, unless --redo ----------------------------------------
before=$(sha256_of "$TMP/one.img")
watch_bg --present --copies 1 "$src"
finish_watch
is_status 0 "--present: a card already there is taken"
like "$errout" 'ALREADY READY.*left alone' "a card already holding this UPDATE.APP is left alone"
like "$out" "$one +.* already " "the summary says already"
[ "$(sha256_of "$TMP/one.img")" = "$before" ]; ok $? "and not a byte of it changed"

watch_bg --present --redo --copies 1 "$src"
finish_watch
is_status 0 "--redo: prepared again"
like "$out" "$one +.* ok " "the summary says ok"
[ "$(sha256_of "$TMP/one.img")" != "$before" ]; ok $? "the card was rewritten (new volume serial)"
is_dload_card "$one"; ok $? "and is a dload card"

# --- Cards present at start are left alone without --present -----------------------
before=$(sha256_of "$TMP/one.img")
watch_bg "$src"
wait_for 'already plugged in is left alone' "$w_err"; ok $? "a card there at start is named left alone"
sleep 2
kill -INT "$pid"
finish_watch
is_status 0 "Ctrl-C with no card in progress: exit 0"
like "$out" 'No card was prepared' "the summary says no card was prepared"
[ "$(sha256_of "$TMP/one.img")" = "$before" ]; ok $? "the card there at start is untouched"
fakesys_remove "$fake" "$one"

# --- Fixed and refused disks are never touched ------------------------------------------
new_card fixed
fixed=$card_dev
new_card locked
locked=$card_dev
new_card two
two=$card_dev
fixed_sha=$(sha256_of "$TMP/fixed.img")
locked_sha=$(sha256_of "$TMP/locked.img")
watch_bg --copies 1 "$src"
wait_for 'Waiting for cards' "$w_err"
fakesys_add "$fake" "$fixed" 0
fakesys_add "$fake" "$locked" 1 1
sleep 2.5
fakesys_add "$fake" "$two" 1
finish_watch
is_status 0 "among a fixed, a write-protected and a good card, the good one is made"
like "$errout" "${locked#/dev/}: not touched: .*write-protected" "the write-protected card is named, once"
! grep -q "${fixed#/dev/}" "$w_err"; ok $? "the fixed disk is not even mentioned"
[ "$(sha256_of "$TMP/fixed.img")" = "$fixed_sha" ]; ok $? "the fixed disk is untouched"
[ "$(sha256_of "$TMP/locked.img")" = "$locked_sha" ]; ok $? "the write-protected card is untouched"
is_dload_card "$two"; ok $? "the good card is a dload card"
fakesys_remove "$fake" "$fixed"
fakesys_remove "$fake" "$locked"
fakesys_remove "$fake" "$two"

# --- Two copies; the removal of a card is told --------------------------------------------
new_card three
three=$card_dev
new_card four
four=$card_dev
watch_bg --copies 2 --log "$TMP/two.jsonl" "$src"
wait_for 'Waiting for cards' "$w_err"
fakesys_add "$fake" "$three" 1
wait_for "${three#/dev/}: READY" "$w_err"; ok $? "the first card is made"
fakesys_remove "$fake" "$three"
wait_for "${three#/dev/}: card removed" "$w_err" 50; ok $? "its removal is noticed"
fakesys_add "$fake" "$four" 1
finish_watch
is_status 0 "--copies 2: two cards, then the watch ends"
[ "$(jq -r .result "$TMP/two.jsonl" | sort | uniq -c | tr -s ' ')" = " 2 ok" ]
ok $? "log: two lines, both ok"
fakesys_remove "$fake" "$four"

# --- Netlink: no polling; the kernel's uevent makes it look -----------------------------------
new_card five
five=$card_dev
watch_bg --poll 0 --copies 1 "$src"
wait_for 'Waiting for cards' "$w_err"
if grep -q 'no kernel events here' "$w_err"; then
	kill -TERM "$pid"
	finish_watch
	skip "the netlink path" "no uevent socket here"
else
	fakesys_add "$fake" "$five" 1
	# The same event a card reader sends when a card goes in.
	if echo change >"/sys/block/${five#/dev/}/uevent" 2>/dev/null; then
		finish_watch 200
		is_status 0 "--poll 0: a uevent makes the watch find the card"
		like "$errout" "${five#/dev/}: READY" "the card is made"
		is_dload_card "$five"; ok $? "and is a dload card"
	else
		kill -TERM "$pid"
		finish_watch
		skip "the netlink path" "cannot make the kernel send a uevent here"
	fi
fi
fakesys_remove "$fake" "$five"

# --- Ctrl-C while a card is in progress: it stops cleanly -----------------------------------
# (tests/mishaps/interrupt.sh times it on a slow card; this card is fast, and
# may be done before the signal comes: then it is a dload card.)
new_card six
six=$card_dev
watch_bg --log "$TMP/six.jsonl" "$src"
wait_for 'Waiting for cards' "$w_err"
fakesys_add "$fake" "$six" 1
wait_for "${six#/dev/}: new card" "$w_err"
kill -INT "$pid"
finish_watch
result=$(jq -r .result "$TMP/six.jsonl")
case $result/$status in
interrupted/130) ! is_dload_card "$six" ;;
ok/0) is_dload_card "$six" ;;
*) false ;;
esac
ok $? "Ctrl-C during a card: it stops cleanly without UPDATE.APP, or was done (logged $result, exit $status)"

done_testing
