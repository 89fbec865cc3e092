#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The command line, one way for every command (cmd/cli.h): an unknown
# option or a missing value is getopt's word and a hint to --help, exit 2;
# --help and --version print and exit 0; a bad value or argument is one
# line that names the option and says what to give, then the same hint.
# Nothing here touches a card: the targets do not exist.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

commands="prepare check verify probe list batch"

# usage_error CMD MESSAGE-REGEX "description" ARGS...: exit 2, the message
# on the first line of stderr, the hint on the second, nothing on stdout.
usage_error() {
	local cmd=$1 msg=$2 what=$3 hint
	shift 3
	run "$DLOADCARD" "$@"
	is_status 2 "$what"
	hint="Try 'dloadcard ${cmd:+$cmd }--help' for more information."
	[ "$(sed -n 1p <<<"$errout")" != "" ] && grep -Eq -- "$msg" <<<"$(sed -n 1p <<<"$errout")" &&
		[ "$(sed -n 2p <<<"$errout")" = "$hint" ] && [ -z "$out" ]
	ok $? "$what: says so, then \"$hint\""
	[ $? -eq 0 ] || diag "stderr: $errout"
}

for cmd in $commands; do
	usage_error "$cmd" "^dloadcard $cmd: unrecognized option '--bogus'$" \
		"$cmd --bogus" "$cmd" --bogus
	usage_error "$cmd" "^dloadcard $cmd: invalid option -- 'Z'$" "$cmd -Z" "$cmd" -Z

	for h in -h --help; do
		run "$DLOADCARD" "$cmd" $h
		is_status 0 "$cmd $h"
		[ "$(head -n1 <<<"$out")" = "Usage:" ] && [ "$(tail -n1 <<<"$out")" = "See dloadcard(1)." ] &&
			grep -q "^ dloadcard $cmd " <<<"$out" && grep -q '^ -h, --help  *display this help$' <<<"$out" &&
			grep -q '^Exit status:$' <<<"$out" && [ -z "$errout" ]
		ok $? "$cmd $h: the usage on stdout, from Usage: to See dloadcard(1)."
	done
	for v in -V --version; do
		run "$DLOADCARD" "$cmd" $v
		[ "$status" -eq 0 ] && grep -Eq '^dloadcard [0-9]+\.[0-9]+' <<<"$out"
		ok $? "$cmd $v: the version, exit 0"
	done
done

usage_error "" "^dloadcard: unrecognized option '--bogus'$" "dloadcard --bogus" --bogus
usage_error "" "^dloadcard: unknown command 'frobnicate'$" "an unknown command" frobnicate
run "$DLOADCARD"
is_status 2 "no command at all"
like "$errout" "^Usage:" "no command: the usage, on stderr"

# A value missing, for an option of each command that takes one.
usage_error prepare "^dloadcard prepare: option '--label' requires an argument$" \
	"prepare --label without a value" prepare --label
usage_error prepare "^dloadcard prepare: option requires an argument -- 's'$" \
	"prepare -s without a value" prepare -s
usage_error check "requires an argument" "check --sha256 without a value" check --sha256
usage_error verify "requires an argument" "verify --against without a value" verify --against
usage_error probe "requires an argument" "probe --stall-timeout without a value" probe --stall-timeout
usage_error list "requires an argument" "list -o without a value" list -o
usage_error batch "requires an argument" "batch --poll without a value" batch --poll

# --stall-timeout: one option, one parser, one message, whichever command.
for cmd in prepare probe list batch; do
	usage_error "$cmd" "^dloadcard: invalid --stall-timeout 'x': give seconds, 0 to wait forever$" \
		"$cmd --stall-timeout x" "$cmd" --stall-timeout x "$TMP/a" "$TMP/b"
done
for cmd in check verify; do
	usage_error "$cmd" "^dloadcard: invalid --sha256 'abc': give the 64 hexadecimal digits$" \
		"$cmd --sha256 abc" "$cmd" --sha256 abc "$TMP/a"
done
for cmd in probe list; do
	usage_error "$cmd" "^dloadcard: invalid --sysroot '$TMP/none': no directory $TMP/none/sys" \
		"$cmd --sysroot without sys/" "$cmd" --sysroot "$TMP/none"
done

# The arguments each command wants.
usage_error prepare "^dloadcard: give the card and the UPDATE.APP$" "prepare with one argument" \
	prepare "$TMP/card.img"
usage_error prepare "^dloadcard: too many arguments: give the card and at most 8 files$" \
	"prepare with ten (a set is at most 8 files)" prepare a b c d e f g h i j
usage_error prepare "^dloadcard: --sha256 and --md5 are one file's digests" \
	"prepare --sha256 with two files" prepare --sha256 "$(printf '%064d' 0)" a b c
usage_error check "^dloadcard: give at least one file" "check without a file" check
usage_error verify "^dloadcard: give one card" "verify without a card" verify
usage_error probe "^dloadcard: give one card" "probe with two cards" probe a b
usage_error list "^dloadcard: unexpected argument 'x'$" "list with an argument" list x
usage_error batch "^dloadcard: give the UPDATE.APP, then the cards$" "batch without a card" \
	batch "$TMP/UPDATE.APP"
usage_error batch "^dloadcard: --copies, --present, --redo and --poll go with --watch$" \
	"batch --copies without --watch" batch --copies 2 a b

# Options go anywhere among the arguments: prepare reads --yes and -q after
# the card, checks the source, and refuses the card that is not there.
make_sample "$TMP/UPDATE.APP" 1M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
run "$DLOADCARD" prepare "$TMP/missing.img" --yes "$TMP/UPDATE.APP" -q
is_status 3 "prepare CARD --yes UPDATE.APP -q: the options are read, the card refused"
like "$errout" "missing.img does not exist" "... because it does not exist"
[ ! -e "$TMP/missing.img" ]; ok $? "... and it is not created"

done_testing
