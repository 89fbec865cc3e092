#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Interruptions, as they come: Ctrl-C typed into a real terminal (which
# signals the whole foreground process group, the guarded child with its
# parent), the group signalled without a terminal (kill -INT -PGID, or
# systemd's SIGTERM to a unit), the parent alone, the terminal closed, Ctrl-C
# three times, kill -9, Ctrl-Z, and a card that stalls while mtools runs;
# during every phase of prepare, during probe, and during batch with two
# cards.  tests/tools/ptyrun runs each command as a shell runs a job; the
# faulty-card simulator makes each phase last.  After each run: the exit
# status, what it said about the card, verify's verdict, the source's
# SHA-256 (and the card's, when it must not change), and no process of the
# run left behind.
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/helpers/lib.sh
. "$TESTS_SRCDIR/helpers/lib.sh"
# shellcheck source=tests/helpers/cardsim-lib.sh
. "$TESTS_SRCDIR/helpers/cardsim-lib.sh"

PTYRUN=${PTYRUN:-${TESTS_BUILDDIR:-$(pwd)/tests}/tools/ptyrun}
MiB=$((1 << 20))

if [ ! -x "$PTYRUN" ]; then
	echo "1..0 # SKIP no tests/tools/ptyrun (make check builds it)"
	exit 0
fi
if ! why=$(cardsim_usable); then
	echo "1..0 # SKIP $why"
	exit 0
fi

src=$TMP/UPDATE.APP
make_sample "$src" 8M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
src_sha=$(sha256_of "$src")

# A good dload card, and where prepare puts things on a 64 MiB card.
good=$TMP/good.img
"$DLOADCARD" prepare --yes --json --size 64M "$good" "$src" >"$TMP/good.json" ||
	{ echo "Bail out! cannot prepare a card"; exit 1; }
layout() { jq -r ".layout.$1" "$TMP/good.json"; }
part=$(($(layout partition_start) * 512))
fat_at=$((part + $(layout reserved_sectors) * 512))
data_at=$(($(layout data_start) * 512))
cluster=$(layout cluster_bytes)
dload_dir=$((data_at + cluster))	# cluster 3, after the root's
file_at=$(layout file_offset)
good_sha=$(sha256_of "$good")

# --- Helpers ----------------------------------------------------------------------

# interrupted [ptyrun options and steps] -- COMMAND...: runs COMMAND under
# ptyrun.  status; out: what the terminal (or the pipe) showed; sid: the
# session, which every process the run started stays in.
interrupted() {
	"$PTYRUN" --pidfile "$TMP/pid" --timeout 60 "$@" >"$TMP/run.out" 2>"$TMP/run.err"
	status=$?
	out=$(tr '\r' '\n' <"$TMP/run.out" | sed 's/\x1b\[K//g' | grep -v ' ETA ')
	errout=$(cat "$TMP/run.err")	# ptyrun's own account
	read -r _ sid <"$TMP/pid"
}

# The live processes of a session: "PID NAME" (a zombie is dead already,
# its parent reaps it; a process whose threads live on is not).
left_behind() {
	ps -L -o pid=,stat=,comm= -s "$1" 2>/dev/null | awk '$2 !~ /^Z/ { print $1, $3 }' | sort -u
}

# nothing_left what: a moment later (3 s), no process of the last run lives
# on: none writes the card, none holds its lock.
nothing_left() {
	local i left
	for ((i = 0; i < 30; i++)); do
		left=$(left_behind "$sid")
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ]
	ok $? "$1: no dloadcard or mtools process is left"
	[ -z "$left" ] || diag "left: $left"
}

# What a failed run left behind is killed (by pid: this session's only),
# so that the next one starts clean.
reap() {
	local p
	for p in $(left_behind "$sid" | awk '{ print $1 }'); do
		kill -KILL "$p" 2>/dev/null
	done
	sleep 0.2
}

source_kept() {
	[ "$(sha256_of "$src")" = "$src_sha" ]
	ok $? "$1: the source is unchanged"
}

# no_update_app CARD what: verify finds no UPDATE.APP, nor a leftover.
no_update_app() {
	run "$DLOADCARD" verify --quick --json "$1"
	is_status 21 "$2: verify says it is not a dload card"
	[ "$(jq -r .file <<<"$out")" = null ]
	ok $? "$2: the card carries no UPDATE.APP"
	! grep -q UPDATE.TMP <<<"$out"
	ok $? "$2: nor a dload/UPDATE.TMP"
}

# stopped what WHERE: exit 130, the phase and the card's state said, no
# UPDATE.APP nor UPDATE.TMP on the card, the source kept, nothing left.
stopped() {
	is_status 130 "$1: exit 130"
	like "$out" "interrupted $2" "$1: says where it stopped"
	like "$out" "State: the card has no UPDATE.APP" "$1: says the card has no UPDATE.APP"
	source_kept "$1"
	nothing_left "$1"
	no_update_app "$CARD" "$1"
}

# A fresh simulated card: sim NAME [cardsim options]; with --backing
# $TMP/NAME.img, which a caller may fill first.
sim() {
	local name=$1
	shift
	[ -e "$TMP/$name.img" ] || truncate -s 64M "$TMP/$name.img"
	cardsim_start "$TMP/$name" --size 64M --backing "$TMP/$name.img" "$@" ||
		{ echo "Bail out! cardsim does not start"; exit 1; }
}

# --- prepare, phase by phase ------------------------------------------------------
#
# Each phase twice: ^C typed into the terminal, and the group signalled
# without one (SIGINT or SIGTERM, in turn).  The faults make the phase last:
# a stall on the first write of what only that phase writes, or a throttle.
# phase NAME WHEN AFTER [--no-probe] -- CARDSIM OPTIONS
phase_n=0
phase() {
	local name=$1 when=$2 after=$3 popts=() mode sig
	shift 3
	[ "$1" = --no-probe ] && { popts=(--no-probe); shift; }
	[ "$1" = -- ] && shift
	phase_n=$((phase_n + 1))
	sig=$([ $((phase_n % 2)) -eq 0 ] && echo INT || echo TERM)
	for mode in tty group; do
		[ "$name" = wipe ] && cp "$good" "$TMP/$name-$mode.img"
		sim "$name-$mode" "$@"
		if [ $mode = tty ]; then
			interrupted --when "$when" --after "$after" --ctrl-c -- \
				"$DLOADCARD" prepare --yes "${popts[@]}" "$CARD" "$src"
			stopped "Ctrl-C during $name" "during $name"
		else
			interrupted --no-tty --when "$when" --after "$after" --group-signal "$sig" -- \
				"$DLOADCARD" prepare --yes "${popts[@]}" "$CARD" "$src"
			stopped "kill -$sig -PGID during $name" "during $name"
		fi
		reap
		cardsim_stop "$CARDSIM_DIR"
	done
}

# check: the source on a slow disk; the card, a dload card, is not touched.
cardsim_start "$TMP/slowsrc" --size 8M --backing "$src" --name UPDATE.APP --read-speed 2 ||
	{ echo "Bail out! cardsim does not start"; exit 1; }
slow_src=$CARD
for mode in tty group; do
	cp "$good" "$TMP/check.img"
	if [ $mode = tty ]; then
		what="Ctrl-C while checking the source"
		interrupted --after 1 --ctrl-c -- "$DLOADCARD" prepare --yes "$TMP/check.img" "$slow_src"
	else
		what="kill -TERM -PGID while checking the source"
		interrupted --no-tty --after 1 --group-signal TERM -- \
			"$DLOADCARD" prepare --yes "$TMP/check.img" "$slow_src"
	fi
	is_status 130 "$what: exit 130"
	like "$out" "interrupted while checking" "$what: says so"
	like "$out" "Nothing was written to the card" "$what: says the card was not touched"
	[ "$(sha256_of "$TMP/check.img")" = "$good_sha" ]
	ok $? "$what: the card is byte for byte as before"
	source_kept "$what"
	nothing_left "$what"
	reap
done
cardsim_stop "$TMP/slowsrc"

# Each stall lasts 1.5 s; the signal comes 0.3 s into it.
# wipe: the old card's file system signature, in its partition, is the first
# thing wiped (reads pass: prepare looked at it before).
phase wipe "Erasing old" 0.3 -- --stall-on write --stall-at "$part:512" --stall-seconds 1.5
# probe: the last block is one of the places stamped.
phase probe "Probing the card's real" 0.3 -- \
	--stall-on write --stall-at $((64 * MiB - 4096)):4096 --stall-seconds 1.5
# partition: without the probe, the MBR is the first write at offset 0.
phase partition "Writing the partition table" 0.3 --no-probe -- \
	--stall-on write --stall-at 0:512 --stall-seconds 1.5
# format: mformat writes the FAT.
phase format "Formatting FAT32" 0.3 --no-probe -- \
	--stall-on write --stall-at "$fat_at:512" --stall-seconds 1.5
# write, read-back: the card hangs 1 MiB into the file (without the probe,
# whose random places could be there), and only a fatal signal ends that.
# Without a terminal prepare says nothing when the write starts, so the
# signal is timed from the format: the hang is long enough for a loaded
# machine (or a sanitizer build) to have got there; it ends at the signal.
write_hangs=(--stall-on write --stall-at $((file_at + MiB)):4096 --stall-seconds 5 --stall-abort)
phase write "Formatting FAT32" 1.5 --no-probe -- "${write_hangs[@]}"
phase readback "Writing UPDATE.APP: done" 0.3 --no-probe -- \
	--stall-on read --stall-at $((file_at + MiB)):4096 --stall-seconds 1.5
# finish: every write to dload/ takes half a second, the rename's too; a
# stop while renaming takes the name back.
phase finish "identical, byte for byte" 0.15 -- \
	--stall-on write --stall-every --stall-at "$dload_dir:$cluster" --stall-seconds 0.5

# --- prepare: other sources of the signal ----------------------------------------

sim par "${write_hangs[@]}"
interrupted --no-tty --when "Formatting FAT32" --after 1.5 --signal INT -- \
	"$DLOADCARD" prepare --yes --no-probe "$CARD" "$src"
stopped "SIGINT to the parent alone during write" "during write"
reap
cardsim_stop "$CARDSIM_DIR"

sim par2 --stall-on read --stall-at $((file_at + MiB)):4096 --stall-seconds 1.5
interrupted --no-tty --when "Writing UPDATE.APP: done" --after 0.3 --signal TERM -- \
	"$DLOADCARD" prepare --yes --no-probe "$CARD" "$src"
stopped "SIGTERM to the parent alone during readback" "during readback"
reap
cardsim_stop "$CARDSIM_DIR"

sim hup "${write_hangs[@]}"
interrupted --when "Writing UPDATE.APP" --after 0.3 --hangup -- \
	"$DLOADCARD" prepare --yes --no-probe "$CARD" "$src"
is_status 130 "the terminal closed during write: exit 130"
source_kept "the terminal closed during write"
nothing_left "the terminal closed during write"
no_update_app "$CARD" "the terminal closed during write"
reap
cardsim_stop "$CARDSIM_DIR"

# Two quick Ctrl-C: the second is absorbed, the cleanup ends.
sim twice "${write_hangs[@]}"
interrupted --when "Writing UPDATE.APP" --after 0.3 --ctrl-c --after 0.1 --ctrl-c -- \
	"$DLOADCARD" prepare --yes --no-probe "$CARD" "$src"
stopped "Ctrl-C twice during write" "during write"
reap
cardsim_stop "$CARDSIM_DIR"

# Three, while the card hangs in the middle of the file: the cleanup is
# abandoned, and the command says what the card is left with.
sim thrice --stall-on write --stall-at $((file_at + MiB)):4096 --stall-seconds 30 --stall-abort
interrupted --when "Writing UPDATE.APP" --after 0.3 --ctrl-c --after 0.2 --ctrl-c \
	--after 0.2 --ctrl-c -- "$DLOADCARD" prepare --yes --no-probe "$CARD" "$src"
is_status 130 "Ctrl-C three times on a hanging card: exit 130"
like "$out" "interrupted during write, and the cleanup abandoned" \
	"Ctrl-C three times: says the cleanup was abandoned"
like "$out" "State: the card has no UPDATE.APP \(a partial dload/UPDATE.TMP may remain" \
	"Ctrl-C three times: says what the card may hold"
source_kept "Ctrl-C three times"
nothing_left "Ctrl-C three times"
run "$DLOADCARD" verify --quick --json "$CARD"
[ "$(jq -r .file <<<"$out")" = null ]; ok $? "Ctrl-C three times: the card carries no UPDATE.APP"
reap
cardsim_stop "$CARDSIM_DIR"

# kill -9 of the command: the child dies with it (it would write on after the
# card's 5 s hang), and a rerun is not locked out.
sim kill9 --stall-on write --stall-at $((file_at + MiB)):4096 --stall-seconds 5 --stall-abort
interrupted --no-tty --when "Formatting FAT32" --after 1.5 --signal KILL -- \
	"$DLOADCARD" prepare --yes --no-probe "$CARD" "$src"
is_status 137 "kill -9 of prepare during write: killed"
nothing_left "kill -9 of prepare"
run "$DLOADCARD" verify --quick --json "$CARD"
[ "$(jq -r .file <<<"$out")" = null ]; ok $? "kill -9 of prepare: the card carries no UPDATE.APP"
run "$DLOADCARD" prepare --yes --quiet --no-probe "$CARD" "$src"
is_status 0 "kill -9 of prepare: a rerun is not locked out, and makes the card"
reap
cardsim_stop "$CARDSIM_DIR"

# A card that hangs while mformat writes: the stall is reported within the
# timeout, and mformat, which the child ran, does not live on.
sim fstall --stall-on write --stall-at "$fat_at:512" --stall-seconds 30 --stall-abort
interrupted --no-tty --timeout 20 -- \
	"$DLOADCARD" prepare --yes --no-probe --stall-timeout 2 "$CARD" "$src"
is_status 12 "a stall while formatting: exit 12, within the timeout"
like "$out" "stopped responding: no progress for [0-9]+ s during format" \
	"a stall while formatting: says so, and in which phase"
like "$out" "State: the card has no UPDATE.APP" "a stall while formatting: says what the card holds"
nothing_left "a stall while formatting"
reap
cardsim_stop "$CARDSIM_DIR"

# Ctrl-Z for longer than the stall timeout while mformat waits 3 s for the
# card, then fg: the time stopped is no one's stall, the card is made.
sim ctrlz --stall-on write --stall-at "$fat_at:512" --stall-seconds 3
interrupted --when "Formatting FAT32" --after 0.3 --ctrl-z --after 2.2 --group-signal CONT -- \
	"$DLOADCARD" prepare --yes --no-probe --stall-timeout 2 "$CARD" "$src"
is_status 0 "Ctrl-Z for 2.2 s with --stall-timeout 2, then fg: the card is made"
run "$DLOADCARD" verify --quiet --against "$src" "$CARD"
is_status 0 "Ctrl-Z, fg: verify says it is a good dload card"
reap
cardsim_stop "$CARDSIM_DIR"

# Ctrl-C at the question answers it: nothing is written.
cp "$good" "$TMP/ask.img"
interrupted --when 'Type "yes"' --after 0.2 --ctrl-c -- "$DLOADCARD" prepare "$TMP/ask.img" "$src"
is_status 130 "Ctrl-C at the question: exit 130"
like "$out" "interrupted before anything was written" "Ctrl-C at the question: says nothing was written"
[ "$(sha256_of "$TMP/ask.img")" = "$good_sha" ]
ok $? "Ctrl-C at the question: the card is byte for byte as before"

# --- probe ------------------------------------------------------------------------
#
# A dload card whose last block hangs 1.5 s when the probe stamps it, and
# again when the probe puts it back.  Whatever stops the probe, every block
# it wrote is put back before it exits.
probe_card() {	# probe_card NAME
	local last=$((64 * MiB - 4096)):4096
	cp "$good" "$TMP/$1.img"
	sim "$1" --stall-on write --stall-at "$last" --stall-at "$last" --stall-seconds 1.5 \
		--stall-abort
}
probe_kept() {	# probe_kept what
	is_status 130 "$1: exit 130"
	like "$out" "interrupted: every block the probe wrote was put back, the card is as it was" \
		"$1: says the card is as it was"
	[ "$(sha256_of "$TMP/$2.img")" = "$good_sha" ]
	ok $? "$1: the card is byte for byte as before"
	nothing_left "$1"
	run "$DLOADCARD" verify --quick "$CARD"
	is_status 0 "$1: verify still says it is a good dload card"
}

probe_card pr1
interrupted --when "Probing the card" --after 0.3 --ctrl-c -- "$DLOADCARD" probe "$CARD"
probe_kept "probe, Ctrl-C" pr1
reap
cardsim_stop "$CARDSIM_DIR"

probe_card pr2
interrupted --no-tty --after 0.6 --group-signal INT -- "$DLOADCARD" probe "$CARD"
probe_kept "probe, kill -INT -PGID" pr2
reap
cardsim_stop "$CARDSIM_DIR"

probe_card pr3
interrupted --no-tty --after 0.6 --group-signal TERM -- "$DLOADCARD" probe "$CARD"
probe_kept "probe, kill -TERM -PGID" pr3
reap
cardsim_stop "$CARDSIM_DIR"

probe_card pr4
interrupted --when "Probing the card" --after 0.3 --ctrl-c --when "Probing the card: interrupted" --after 0.3 \
	--ctrl-c -- "$DLOADCARD" probe "$CARD"
like "$out" "still stopping: every block the probe wrote is put back first" \
	"probe, Ctrl-C twice: the second says the card is being put back"
probe_kept "probe, Ctrl-C twice" pr4
reap
cardsim_stop "$CARDSIM_DIR"

probe_card pr5
interrupted --when "Probing the card" --after 0.3 --hangup -- "$DLOADCARD" probe "$CARD"
is_status 130 "probe, the terminal closed: exit 130"
[ "$(sha256_of "$TMP/pr5.img")" = "$good_sha" ]
ok $? "probe, the terminal closed: the card is byte for byte as before"
nothing_left "probe, the terminal closed"
reap
cardsim_stop "$CARDSIM_DIR"

# A third Ctrl-C while it puts the card back: it says how much is left undone.
probe_card pr6
interrupted --when "Probing the card" --after 0.3 --ctrl-c --when "Probing the card: interrupted" --after 0.3 \
	--ctrl-c --after 0.1 --ctrl-c -- "$DLOADCARD" probe "$CARD"
is_status 130 "probe, Ctrl-C three times: exit 130"
like "$out" "interrupted, and putting the card back abandoned" \
	"probe, Ctrl-C three times: says putting back was abandoned"
like "$out" "[1-9][0-9]* blocks of 4096 bytes that the probe wrote were not put back" \
	"probe, Ctrl-C three times: says how many blocks are left changed"
nothing_left "probe, Ctrl-C three times"
reap
cardsim_stop "$CARDSIM_DIR"

# kill -9: the child would probe on for seconds.
cp "$good" "$TMP/pr7.img"
sim pr7 --stall-on write --stall-at $((64 * MiB - 4096)):4096 --stall-seconds 5 --stall-abort
interrupted --no-tty --after 0.6 --signal KILL -- "$DLOADCARD" probe "$CARD"
is_status 137 "probe, kill -9: killed"
nothing_left "probe, kill -9"
run "$DLOADCARD" probe --quick --quiet "$CARD"
is_status 0 "probe, kill -9: a rerun is not locked out"
reap
cardsim_stop "$CARDSIM_DIR"

# --- batch, two cards ---------------------------------------------------------------

# batch_stopped what: both cards interrupted, in the summary and the log, and
# neither holds UPDATE.APP or UPDATE.TMP.
batch_stopped() {
	local c
	is_status 130 "$1: exit 130"
	like "$out" "Stopping the 2 cards in progress" "$1: says the cards are stopped"
	[ "$(jq -r .result "$TMP/b.jsonl" | sort -u)" = interrupted ]
	ok $? "$1: both cards logged interrupted"
	[ "$(jq -r '.card_state | test("no UPDATE.APP")' "$TMP/b.jsonl" | sort -u)" = true ]
	ok $? "$1: the log says neither card has UPDATE.APP"
	source_kept "$1"
	nothing_left "$1"
	for c in "${cards[@]}"; do
		no_update_app "$c" "$1, ${c#"$TMP/"}"
	done
}
two_cards() {	# two_cards NAME [cardsim options for both]
	local name=$1
	shift
	cards=()
	sim "${name}a" "$@"
	cards+=("$CARD")
	sim "${name}b" "$@"
	cards+=("$CARD")
	rm -f "$TMP/b.jsonl"
}

two_cards b1 "${write_hangs[@]}"
interrupted --when "Writing UPDATE.APP" --after 0.3 --ctrl-c -- \
	"$DLOADCARD" batch --yes --no-probe --log "$TMP/b.jsonl" "$src" "${cards[@]}"
batch_stopped "Ctrl-C during batch"
reap
cardsim_stop

two_cards b2 "${write_hangs[@]}"
interrupted --no-tty --when "Formatting FAT32" --after 1.5 --group-signal TERM -- \
	"$DLOADCARD" batch --yes --no-probe --log "$TMP/b.jsonl" "$src" "${cards[@]}"
batch_stopped "kill -TERM -PGID during batch"
reap
cardsim_stop

# One card hangs; three Ctrl-C give up on it, saying what it may hold.  (8 s:
# under LeakSanitizer, whose exit waits for the card's thread, stuck in the
# kernel until then; the process's end aborts it otherwise.)
cards=()
sim b3a --stall-on write --stall-at $((file_at + MiB)):4096 --stall-seconds 0.5
cards+=("$CARD")
sim b3b --stall-on write --stall-at $((file_at + MiB)):4096 --stall-seconds 8 --stall-abort
cards+=("$CARD")
hung=$CARD
rm -f "$TMP/b.jsonl"
interrupted --timeout 20 --when "Writing UPDATE.APP" --after 0.3 --ctrl-c --after 0.5 --ctrl-c \
	--after 0.5 --ctrl-c -- "$DLOADCARD" batch --yes --no-probe --log "$TMP/b.jsonl" "$src" \
	"${cards[@]}"
is_status 130 "Ctrl-C three times, a card hanging: batch ends, exit 130"
like "$out" "b3b/mnt/card: INTERRUPTED: interrupted during write, and the cleanup abandoned" \
	"Ctrl-C three times: the hanging card is given up, said so"
[ "$(jq -r --arg d "$hung" 'select(.device == $d) | .card_state' "$TMP/b.jsonl")" != null ]
ok $? "Ctrl-C three times: the hanging card's state is logged"
source_kept "Ctrl-C three times, batch"
nothing_left "Ctrl-C three times, batch"
no_update_app "${cards[0]}" "Ctrl-C three times, batch, the card that answered"
reap
cardsim_stop

# kill -9 while mformat writes the cards: no mtools lives on.
two_cards b4 --stall-on write --stall-at "$fat_at:512" --stall-seconds 30 --stall-abort
interrupted --no-tty --when "Formatting FAT32" --after 0.5 --signal KILL -- \
	"$DLOADCARD" batch --yes --no-probe "$src" "${cards[@]}"
is_status 137 "kill -9 of batch while formatting: killed"
nothing_left "kill -9 of batch while formatting"
reap
cardsim_stop

# A card that hangs while mformat writes it: given up within the timeout,
# its mformat killed, and the command ends.
two_cards b5 --stall-on write --stall-at "$fat_at:512" --stall-seconds 30 --stall-abort
interrupted --no-tty --timeout 20 -- "$DLOADCARD" batch --yes --no-probe --stall-timeout 2 \
	--log "$TMP/b.jsonl" "$src" "${cards[@]}"
is_status 23 "batch, cards that hang while formatting: it ends, exit 23"
like "$out" "stopped responding: no progress for [0-9]+ s during" \
	"batch, cards that hang while formatting: says so"
[ "$(jq -r .exit_code "$TMP/b.jsonl" | sort -u)" = 12 ]; ok $? "both logged with exit code 12"
nothing_left "batch, cards that hang while formatting"
reap
cardsim_stop

# --- prepare of an SD package set ------------------------------------------------
#
# Stopped while the second file is written, and while the names are given:
# no final name of the set is on the card (read with mtools and The Sleuth
# Kit, not our FAT code), no .TMP either, the sources as they were.
set_dir=$TMP/sdset
mkdir -p "$set_dir"
set_files=("$set_dir/update_sd_cust_VOG-L29_hw_eu.zip" "$set_dir/update_sd_preload_VOG-L29_hw_eu_R1.zip"
	"$set_dir/update_sd_base.zip")
for i in 0 1 2; do
	"$MKUPDATEAPP" --size $((i + 2))M --seed $((i + 7)) --zip UPDATE.APP \
		--zip-extra SOFTWARE_VER_LIST.mbn --output "${set_files[$i]}"
done
declare -A set_sha
for f in "${set_files[@]}"; do set_sha[$f]=$(sha256_of "$f"); done
"$DLOADCARD" prepare --yes --no-probe --json --size 64M "$TMP/goodset.img" "${set_files[@]}" \
	>"$TMP/goodset.json" || { echo "Bail out! cannot prepare a card with a set"; exit 1; }
second_at=$(jq -r '.files[1].card_offset' "$TMP/goodset.json")

# set_stopped what WHERE: exit 130 and where, the state in words true for a
# set, the sources kept, nothing left, and none of the set's names on the
# card (nor any .TMP), as mtools and TSK read it.
set_stopped() {
	local f names
	is_status 130 "$1: exit 130"
	like "$out" "interrupted $2" "$1: says where it stopped"
	like "$out" "State: the card has none of the set's SD packages" "$1: says the card has none of the set"
	for f in "${set_files[@]}"; do
		[ "$(sha256_of "$f")" = "${set_sha[$f]}" ] || break
	done
	ok $? "$1: the sources are unchanged"
	nothing_left "$1"
	names=$(MTOOLSRC=/dev/null mdir -b -i "$CARD@@$part" ::dload 2>&1)
	[ -z "$names" ]; ok $? "$1: mtools finds dload/ empty: no name of the set, no .TMP"
	[ -z "$names" ] || diag "dload/: $names"
	if command -v fls >/dev/null; then
		dl=$(fls -o $((part / 512)) "$CARD" | awk '$1 == "d/d" && tolower($3) == "dload" { sub(":", "", $2); print $2 }')
		# Deleted entries are listed with a '*': those are no names.
		[ -n "$dl" ] && ! fls -o $((part / 512)) "$CARD" "$dl" | grep -q '^r/r [0-9]'
		ok $? "$1: The Sleuth Kit finds no file in dload/ (only deleted entries)"
	else
		skip "$1: The Sleuth Kit finds no file in dload/" "not installed (apt-get install sleuthkit)"
	fi
}

sim set1 --stall-on write --stall-at $((second_at + MiB)):4096 --stall-seconds 5 --stall-abort
interrupted --when "Writing update_sd_preload" --after 0.3 --ctrl-c -- \
	"$DLOADCARD" prepare --yes --no-probe "$CARD" "${set_files[@]}"
# The write under way ends once the card answers; the stop is seen there.
set_stopped "Ctrl-C while the second file of a set is written" "during (write|readback)"
reap
cardsim_stop "$CARDSIM_DIR"

# Every write to dload/ takes half a second: the names are given slowly.
sim set2 --stall-on write --stall-every --stall-at "$dload_dir:$cluster" --stall-seconds 0.5
interrupted --when "giving them their names" --after 0.2 --ctrl-c -- \
	"$DLOADCARD" prepare --yes --no-probe "$CARD" "${set_files[@]}"
set_stopped "Ctrl-C while the names of a set are given" "during finish"
reap
cardsim_stop "$CARDSIM_DIR"

done_testing
