#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The libFuzzer targets (tests/fuzz/), built with clang under AddressSanitizer
# and UndefinedBehaviorSanitizer and run for a bounded time each on a copy of
# their seed corpus: the parsers of untrusted bytes (an UPDATE.APP, a card's
# FAT32) must not crash, leak or hit undefined behaviour on any input.
#
# FUZZ_SECONDS (default 20) bounds each run.  A crash leaves its input in the
# build directory (tests/fuzz-NAME-crash-*) to reproduce it:
#   clang -g -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/NAME.c ... -o NAME
#   ./NAME tests/fuzz-NAME-crash-...
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

CLANG=${CLANG:-}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
fuzzdir=$TESTS_SRCDIR/fuzz
srcdir=$TESTS_SRCDIR/../src
artifacts=${TESTS_BUILDDIR:-$TMP}
# config.h is in the build's top directory.
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -fno-omit-frame-pointer -I"$srcdir" -I"${TESTS_BUILDDIR:-.}/..")

# clang alone is not enough: Debian ships the fuzzer runtime separately.
have_fuzzer() {
	[ -n "$CLANG" ] && command -v "$CLANG" >/dev/null || return 1
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
		>"$TMP/probe.c"
	"$CLANG" "${flags[@]}" "$TMP/probe.c" -o "$TMP/probe" >"$TMP/probe.log" 2>&1
}

# fuzz NAME CORPUS SOURCES...: build, then run for FUZZ_SECONDS.
fuzz() {
	local name=$1 corpus=$2 bin=$TMP/$1 runs
	shift 2
	if ! "$CLANG" "${flags[@]}" "$@" -o "$bin" >"$TMP/$name.build" 2>&1; then
		ok 1 "$name: builds with $CLANG"
		diag "$(tail -20 "$TMP/$name.build")"
		return
	fi
	ok 0 "$name: builds with $CLANG and the sanitizers"
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/fuzz-$name-" \
		"$corpus" >"$TMP/$name.log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/$name.log")
	ok $status "$name: ${runs:-?} inputs in $FUZZ_SECONDS s, no crash, leak or undefined behaviour"
	[ $status -eq 0 ] || diag "$(grep -v '^#' "$TMP/$name.log" | tail -40)"
}

if ! have_fuzzer; then
	why="clang's libFuzzer runtime is missing (apt-get install clang libclang-rt-14-dev)"
	skip "fuzz_updateapp" "$why"
	skip "fuzz_fat" "$why"
	done_testing
fi

# A copy, writable (make distcheck's source tree is not): libFuzzer adds to it.
cp -R "$fuzzdir/corpus" "$TMP/corpus-updateapp"
chmod -R u+w "$TMP/corpus-updateapp"
fuzz fuzz_updateapp "$TMP/corpus-updateapp" \
	"$fuzzdir/fuzz_updateapp.c" "$srcdir"/firmware/updateapp{,_crc,_header,_names,_sniff}.c \
	"$srcdir/firmware/crc16.c"

mkdir -p "$TMP/corpus-fat"
sh "$fuzzdir/fuzz_fat-seeds.sh" "$TMP/corpus-fat" >"$TMP/seeds.log" 2>&1 ||
	diag "no FAT32 seeds (mtools or mkfs.fat missing?): fuzz_fat starts from nothing"
# The FAT32 reader and its allocator (src/fat/fat_private.h lists the files).
fuzz fuzz_fat "$TMP/corpus-fat" "$fuzzdir/fuzz_fat.c" \
	"$srcdir"/fat/{identify,boot,fatio,table,dir,lfn,tree,extents,alloc}.c \
	"$srcdir/lib/errmsg.c"

done_testing
