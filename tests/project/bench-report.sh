#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench/report on a measurement made up here, whose figures are worked out
# by hand: the ratios it prints, the targets it judges, its exit status and
# its JSON.  No root, no build: bench/measure is what needs those.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

report=$TESTS_SRCDIR/../bench/report
if ! command -v python3 >/dev/null || ! command -v jq >/dev/null; then
	skip "bench/report" "python3 or jq is missing (apt-get install python3 jq)"
	done_testing
fi

# rec NAME PHASE WALL USER SYS RSS_KIB RC [OUTPUT_JSON [OUTPUT_TEXT]]: a run.
runs=()
rec() {
	runs+=("$(jq -nc --arg n "$1" --arg p "$2" --argjson w "$3" --argjson u "$4" \
		--argjson s "$5" --argjson m "$6" --argjson rc "$7" --argjson o "${8:-null}" \
		--arg t "${9:-}" --argjson at "$((${#runs[@]} * 100))" '
		{ name: $n, phase: $p, start: $at, "end": ($at + $w), wall: $w, user: $u,
		  sys: $s, rss_kib: $m, rc: $rc, output: $o,
		  output_text: (if $o == null then $t else null end), stderr_tail: [] }')")
}
phases() {	# phases WRITE [HASH_WAIT [HASH]]: prepare's --json, its seconds and layout
	echo "{\"seconds\": {\"check\": 0.2, \"probe\": 0.03, \"format\": 0.07, \"write\": $1,
		\"readback\": 0.9, \"hash_wait\": ${2:-0}, \"finish\": 0.01, \"hash\": ${3:-0.8}},
		\"layout\": {\"file_offset\": 12582912, \"cluster_bytes\": 32768}}"
}
steps='[{"step": "sfdisk", "at": 100}, {"step": "mformat", "at": 100.3},
	{"step": "mcopy", "at": 100.4}, {"step": "end", "at": 116}]'

sha=0123456789abcdef
# 1 GiB, so that per-GiB figures are the figures themselves.
rec sha256sum_1 hashing 4.0 3.9 0.1 2000 0 null "$sha  /tmp/UPDATE.APP"
rec openssl_1 hashing 1.0 0.9 0.1 3000 0 null "SHA2-256(/tmp/UPDATE.APP)= $sha"
rec check_1 hashing 0.8 1.0 0.2 11000 0 "{\"source\": {\"sha256\": \"$sha\"}}"
rec openssl_2 hashing 1.1 1.0 0.1 3000 0
rec check_2 hashing 0.9 1.0 0.2 11200 0
rec sha256sum_2 hashing 4.2 4.1 0.1 2000 0
rec check_3 hashing 1.0 1.0 0.2 10900 0
rec sha256sum_3 hashing 3.8 3.7 0.1 2000 0
rec openssl_3 hashing 0.9 0.8 0.1 3000 0
# A warm-up that failed: a card that failed, though the benchmark went on.
rec loop_warmup_1 loop 0.5 0.1 0.1 9000 1 '{"error": "the card vanished"}'
rec loop_warmup_2 loop 2.3 1.0 0.5 13000 0 "$(phases 1.0)"
# Rounds (raw, prepare): (2.0, 2.2), (2.5, 3.0), (2.0, 2.6): per round 1.1,
# 1.2, 1.3, whose median 1.2 is the figure; the medians' ratio is 1.3.
rec loop_raw_1_w loop 1.0 0.0 0.1 1000 0
rec loop_raw_1_r loop 1.0 0.0 0.1 1000 0
rec loop_prepare_1 loop 2.2 1.0 0.5 13000 0 "$(phases 1.0)"
rec loop_baseline_1 loop 16.0 10.0 4.0 5000 0
rec loop_prepare_2 loop 3.0 1.0 0.5 17000 0 "$(phases 1.4)"
rec loop_raw_2_w loop 1.2 0.0 0.1 1000 0
rec loop_raw_2_r loop 1.3 0.0 0.1 1000 0
rec loop_raw_3_w loop 1.0 0.0 0.1 1000 0
rec loop_raw_3_r loop 1.0 0.0 0.1 1000 0
rec loop_prepare_3 loop 2.6 1.0 0.5 13100 0 "$(phases 1.2)"
# On the card, the SHA-256 beside the device took longer than it: 1 s waited.
rec card_prepare_1 card 42.0 1.0 1.0 13500 0 "$(phases 27.0 1.0 29.0)"
rec card_raw_w card 27.0 0.0 0.5 1000 0
rec card_raw_r card 13.5 0.0 0.5 1000 0
rec card_baseline card 50.0 10.0 4.0 5000 0
card='{"exit_code": 0, "seconds": {"total": 43.0}}'
rec batch batch 44.0 4.0 2.0 30000 0 "{\"cards\": [$card, $card, $card, $card]}"

raw=$TMP/measurements.json
jq -n --argjson runs "[$(IFS=,; echo "${runs[*]}")]" --argjson steps "$steps" '
	{ date: "2026-12-01T00:00:00Z", cpu: "Test CPU", cores: 2, kernel: "6.1",
	  memory_mib: 1024, load_average_start: "0.00 0.00 0.00",
	  load_average_end: "0.10 0.10 0.10", dloadcard_version: "dloadcard 0.1.0",
	  commit: "abc1234", tmpdir_fstype: "ext4", have_check: true, have_batch: true,
	  size: "1G", reps: 3, baseline_reps: 1, quick: 0, write_speed_mbps: "40",
	  read_speed_mbps: "80", card_size: "8G", big_size: "3.5G", skip_throttled: 0,
	  skip_batch: 0, skip_big: 1, prepare_opts: [], size_bytes: 1073741824,
	  loop_bytes: 4294967296, loop_dio: 1, loop_file_offset: 12582912,
	  card_sim_cpu_s: 3.5, batch_sim_cpu_s: 14.0,
	  runs: ($runs | map(if .name == "loop_baseline_1" then . + { steps: $steps } else . end)) }' \
	>"$raw"

run python3 "$report" --json "$TMP/results.json" --text "$TMP/latest.txt" "$raw"
is_status 1 "a target missed: exit 1"
t=$out
like "$t" 'loop: prepare / raw limit +1\.20 +<= 1\.15 +FAIL' \
	"prepare / raw limit is the median of the per-round ratios, and misses its target"
like "$t" 'prepare / raw, each round +1\.10 1\.20 1\.30' "the ratio of each round"
like "$t" 'loop: prepare / manual baseline +0\.16 +<= 0\.80 +PASS' "prepare / baseline, medians"
like "$t" 'card: prepare <= 1\.05 x ideal \+ 2 s +42\.0 s +<= 44\.3 s +PASS  \(ideal 40\.3 s\)' \
	"the card's limit follows from the sample's size and the card's speeds"
like "$t" 'peak memory: prepare, 1 GiB +16\.6 MiB +< 16\.0 MiB +FAIL' \
	"peak memory is the largest of the prepares'"
like "$t" 'peak memory: check, 1 GiB +10\.9 MiB +< 16\.0 MiB +PASS' "check's peak memory"
like "$t" 'check \(CRCs \+ SHA-256\), warm +1\.193 GB/s +>= 1\.000 GB/s +PASS' \
	"check's speed from its median time"
like "$t" 'CPU per GiB per card: batch of 4 +1\.50 s/GiB +<= 1\.50 s/GiB +PASS' \
	"CPU per GiB per card: (user + sys) / 4 / GiB; the limit itself passes"
like "$t" 'batch of 4 cards / one card +1\.05 +<= 1\.10 +PASS' "the batch against one card"
like "$t" 'peak memory: prepare, 3\.5G +- +< 16\.0 MiB +SKIP  \(skipped\)' "a skipped step: SKIP"
like "$t" 'cards that failed \(prepare, batch\) +1 +<= 0 +FAIL  \(of 10 runs\)' \
	"every prepare and batch card counts, a failed warm-up too"
like "$t" '^  6 pass, 3 fail, 2 skipped$' "the count"
like "$t" 'prepare phases, loop \(median s\): check 0\.20, probe 0\.03, format 0\.07, write 1\.20, readback 0\.90, hash_wait 0\.00, finish 0\.01' \
	"each phase of the loop's prepares, their median"
like "$t" 'where the time goes, loop \(median s\): device 2\.20 \(probe\+format\+write\+readback; raw dd 2\.00\), hash 0\.80 beside it \(then waited 0\.00\), check 0\.20, finish 0\.01; slowest: device$' \
	"where the loop's time goes: the device's phases (median of their sums), the hash beside them"
like "$t" 'where the time goes, card \(s\): device 28\.00 \(probe\+format\+write\+readback; raw dd 40\.50\), hash 29\.00 beside it \(then waited 1\.00\), check 0\.20, finish 0\.01; slowest: hash$' \
	"a hash slower than the card: named the slowest"
like "$t" 'baseline steps, loop \(s\): sfdisk 0\.3, mformat 0\.1, mcopy 15\.6$' \
	"the manual baseline's steps, from its marks"
like "$t" 'Hashing 1 GiB, warm: sha256sum 0\.268 GB/s, openssl dgst -sha256 1\.074 GB/s' \
	"the hashing tools' speeds"
like "$t" '^  loop_warmup_1: exit 1: the card vanished$' "a failure is said, with prepare's own words"

cmp -s "$TMP/out" "$TMP/latest.txt"
ok $? "latest.txt holds what was printed"
jq -e '.fail == 3 and .pass == 6 and .skipped == 2 and (.targets | length) == 11 and
	.figures.loop_prepare_vs_raw == 1.2 and .figures.loop_prepare_vs_raw_of_medians == 1.3 and
	(.targets[] | select(.id == "prepare_verified") | .measured == 1 and .result == "FAIL")' \
	"$TMP/results.json" >/dev/null
ok $? "results.json: the same figures and targets, as JSON"

run python3 "$report" --report-only --json "" --text "" "$raw"
is_status 0 "--report-only: exit 0 though targets are missed"

printf '{"runs": [' >"$TMP/broken.json"
run python3 "$report" --json "" --text "" "$TMP/broken.json"
is_status 2 "measurements that are not JSON: exit 2"
like "$errout" 'broken\.json: cannot be reported' "and say which file"

done_testing
