#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The system tests as one Automake TAP test (`make check-system`): runs
# tests/system/run with the paths AM_TESTS_ENVIRONMENT exports.  The TAP
# carries the failures; a non-zero exit here would add an ERROR on top, so
# only a harness failure (usage, interrupted) is passed on.

src=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${TESTS_BUILDDIR:-$src}
gen=${MKUPDATEAPP:--}
[ -x "$gen" ] || gen=-

"$src/system/run" "${DLOADCARD:-$build/../src/dloadcard}" "$gen" "$build/system/work"
rc=$?
[ "$rc" -le 1 ] && exit 0
exit "$rc"
