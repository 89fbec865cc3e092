# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# What bench/measure uses: clean-up whatever happens, timed runs, and the
# raw measurements, written as JSON by jq (never by hand), one file a run
# and one a fact, put together at the end by measurements_write.
#
# Set before sourcing: T (the private temporary directory), keep (1 to
# keep it) and, before settle is called, src (the sample).  Every function
# says why it fails on stderr; none exits but die.
# shellcheck disable=SC2154

runs=$T/runs		# NAME.out, NAME.err, NAME.time of each run; NAME.json, its record
facts=$T/facts		# one JSON object a fact
mkdir -p "$runs" "$facts"

say() { printf '%s\n' "$*" >&2; }

die() {	# die STATUS MESSAGE
	printf 'bench: %s\n' "$2" >&2
	exit "$1"
}

calc() {	# calc EXPR [FORMAT]: awk arithmetic on numbers we produced
	awk "BEGIN { printf \"${2:-%.6f}\", ($1) }"
}

# ---- clean-up, whatever happens ------------------------------------------------

my_loops=()	# loop devices attached here
bg_pids=()	# background jobs started here
RUN_PID=	# the measured command running now (run_timed)

detach_loop() {	# detach_loop DEVICE: only one of ours
	local dev=$1 i kept=() l
	for ((i = 0; i < 20; i++)); do
		losetup -d "$dev" 2>/dev/null && break
		sleep 0.1
	done
	for l in "${my_loops[@]}"; do
		[ "$l" = "$dev" ] || kept+=("$l")
	done
	my_loops=("${kept[@]}")
}

# kill_tree and cleanup run from the EXIT trap, which shellcheck cannot follow.
# shellcheck disable=SC2317
kill_tree() {	# kill_tree PID: the process and its children, by id
	local pid=$1 c kids=()
	read -r -a kids < <(cat "/proc/$pid/task/"*/children 2>/dev/null)
	for c in "${kids[@]}"; do
		kill_tree "$c"
	done
	kill -TERM "$pid" 2>/dev/null
}

# shellcheck disable=SC2317
cleanup() {
	local p l mounted
	trap - EXIT INT TERM
	[ -n "$RUN_PID" ] && kill -0 "$RUN_PID" 2>/dev/null && bg_pids+=("$RUN_PID")
	for p in "${bg_pids[@]}"; do
		kill -0 "$p" 2>/dev/null && kill_tree "$p"
	done
	for p in "${bg_pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	for l in "${my_loops[@]}"; do
		detach_loop "$l"
	done
	declare -F cardsim_cleanup >/dev/null && cardsim_cleanup
	mounted=$(awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts)
	if [ -n "$mounted" ]; then
		printf 'bench: still mounted, %s kept: %s\n' "$T" "$mounted" >&2
	elif [ "$keep" = 1 ]; then
		printf 'bench: kept %s\n' "$T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the machine's state ---------------------------------------------------------

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

warm() {	# warm FILE: into the page cache
	cat "$1" >/dev/null
}

# Before each measured step: the card cold (nothing of it cached), the
# source warm (as right after a download).
settle() {
	drop_caches
	warm "$src"
}

# ---- raw measurements ------------------------------------------------------------

# fact KEY VALUE: a string; fact_json KEY JSON: a number, true, an array...
fact() {
	jq -n --arg k "$1" --arg v "$2" '{($k): $v}' >"$facts/$1.json"
}
fact_json() {
	jq -n --arg k "$1" --argjson v "$2" '{($k): $v}' >"$facts/$1.json"
}

# run_timed NAME CMD...: runs CMD under /usr/bin/time -v, its output in
# $runs/NAME.out and .err; sets RC and writes the run's record,
# $runs/NAME.json: start and end (epoch seconds), wall, user, sys, rss_kib,
# rc, the output (parsed when it is JSON, else its first lines), the last
# lines of stderr, the phase ($PHASE) and, for the manual baseline, its
# steps ($STEPS, a file of "STEP EPOCH" lines).  Safe in a background
# subshell.  The command runs in the background so that a signal reaches
# the trap at once, not when the command is done.
run_timed() {
	local name=$1 t0 t1 tf user sys rss
	shift
	tf=$runs/$name.time
	t0=$EPOCHREALTIME
	/usr/bin/time -v -o "$tf" "$@" >"$runs/$name.out" 2>"$runs/$name.err" </dev/null &
	RUN_PID=$!
	wait "$RUN_PID"
	RC=$?
	RUN_PID=
	t1=$EPOCHREALTIME
	read -r user sys rss < <(awk -F': ' '
		/User time \(seconds\)/ { u = $2 }
		/System time \(seconds\)/ { s = $2 }
		/Maximum resident set size/ { m = $2 }
		END { printf "%s %s %s\n", u + 0, s + 0, m + 0 }' "$tf" 2>/dev/null)
	[ -n "${STEPS:-}" ] && [ -r "$STEPS" ] || STEPS=/dev/null
	jq -n --arg name "$name" --arg phase "${PHASE:-}" \
		--argjson t0 "$t0" --argjson t1 "$t1" --argjson wall "$(calc "$t1 - $t0")" \
		--argjson user "${user:-0}" --argjson sys "${sys:-0}" --argjson rss "${rss:-0}" \
		--argjson rc "$RC" --rawfile out "$runs/$name.out" \
		--rawfile err "$runs/$name.err" --rawfile steps "$STEPS" '
		($out | try fromjson catch null) as $json
		| { name: $name, phase: $phase, start: $t0, "end": $t1, wall: $wall,
		    user: $user, sys: $sys, rss_kib: $rss, rc: $rc, output: $json,
		    output_text: (if $json == null then $out | split("\n")[:4] | join("\n")
				  else null end),
		    stderr_tail: ($err | rtrimstr("\n") | split("\n") | .[-2:]) }
		+ if $steps == "" then {} else
			{ steps: [$steps | rtrimstr("\n") | split("\n")[] | split(" ")
				  | { step: .[0], at: (.[1] | tonumber) }] } end' \
		>"$runs/$name.json"
	STEPS=
	return "$RC"
}

# jget NAME FILTER: a value from the JSON that the run NAME printed.
jget() {
	jq -r ".output | $2 // empty" "$runs/$1.json" 2>/dev/null | head -n 1
}

# measurements_write FILE: the facts, and the runs in the order they started.
measurements_write() {
	jq -n --slurpfile facts <(cat "$facts"/*.json) \
		--slurpfile runs <(cat "$runs"/*.json) '
		($facts | add) + { runs: ($runs | sort_by(.start)) }' >"$1.tmp" &&
		mv "$1.tmp" "$1"
}
