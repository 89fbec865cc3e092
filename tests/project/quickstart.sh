#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# ./quickstart's own decisions, without building anything: a build directory
# is configured again when the packages that configure looks for have changed
# since (`demo`, then `test`, which installs libfuse3-dev), and a test that
# skipped for want of a package that quickstart installs is counted as failed
# and named in the summary.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"
. "$TESTS_SRCDIR/helpers/cardsim-lib.sh"

# One of quickstart's functions, in a subshell: it runs with set -euo pipefail.
qs() { (. "$TESTS_SRCDIR/../quickstart" && "$@"); }

# --- When a build directory is configured again --------------------------------------

b=$TMP/build
mkdir -p "$b"
run qs configure_reason "$b"
is_status 0 "a directory without a Makefile is configured"

touch "$b/Makefile"
qs configure_stamp >"$b/.quickstart-configured"
run qs configure_reason "$b"
is_status 1 "nothing changed since it was configured: it is not configured again"

# The stamp as demo left it: libfuse3-dev missing then, here now (or the
# other way round, on a machine without it).
if grep -q '^libfuse3-dev ' "$b/.quickstart-configured"; then
	sed -i '/^libfuse3-dev /d' "$b/.quickstart-configured"
else
	echo "libfuse3-dev 3.14.0-4 installed" >>"$b/.quickstart-configured"
fi
run qs configure_reason "$b"
is_status 0 "libfuse3-dev came (or went) since it was configured: it is configured again"
like "$out" "changed since it was configured: libfuse3-dev$" "the reason names the package"

qs configure_stamp --enable-sanitizers >"$b/.quickstart-configured"
run qs configure_reason "$b"
is_status 0 "other configure options: configured again"

rm "$b/.quickstart-configured"
run qs configure_reason "$b"
is_status 0 "a directory configured by hand (no stamp) is configured again"

# --- The summary ------------------------------------------------------------------------

# The reason faults.sh gives on a build without the simulator.
why=$(cd "$TMP" && CARDSIM='' TESTS_BUILDDIR=$TMP/none cardsim_usable)
like "$why" "apt-get install libfuse3-dev" "without cardsim, the skip names libfuse3-dev"

# A test-suite.log as automake writes it: a section per test that did not
# only pass, under a "RESULT: test" header.
cat >"$TMP/test-suite.log" <<EOF
=======================================
   dloadcard 0.1.0: ./test-suite.log
=======================================

# TOTAL: 5
# PASS:  1
# SKIP:  3
# XFAIL: 0
# FAIL:  1
# XPASS: 0
# ERROR: 0

.. contents:: :depth: 2

SKIP: tests/faults
==================

TAP version 13
1..0 # SKIP $why
SKIP: tests/faults.sh - $why

FAIL: tests/verify
==================

TAP version 13
not ok 1 - verify finds the damage
FAIL: tests/verify.sh 1 - verify finds the damage
ok 2 - a blank card # SKIP mkfs.foo is missing (apt-get install foo-not-in-quickstart)
SKIP: tests/verify.sh 2 - a blank card # SKIP mkfs.foo is missing (apt-get install foo-not-in-quickstart)
ok 3 - an exFAT card # SKIP no loop devices here (needs root)
SKIP: tests/verify.sh 3 - an exFAT card # SKIP no loop devices here (needs root)
1..3
EOF
run qs summary "$TMP/test-suite.log"
is_status 1 "the summary fails"
like "$(tail -1 <<<"$out")" "^1 passed, 2 failed$" \
	"the last line counts the skip for libfuse3-dev as a failure"
like "$(sed -n '/^2 failed:/,$p' <<<"$out")" "SKIP: tests/faults.sh - .*libfuse3-dev.*must not skip" \
	"it names the test that skipped for want of libfuse3-dev among the failures"
like "$(sed -n '/^2 failed:/,$p' <<<"$out")" "FAIL: tests/verify.sh 1 - verify finds the damage" \
	"it names the failed test"
like "$(sed -n '/^2 skipped:/,/failed:/p' <<<"$out")" "needs root" \
	"a skip that no package helps stays a skip"
like "$(sed -n '/^2 skipped:/,/failed:/p' <<<"$out")" "foo-not-in-quickstart" \
	"a skip for a package that quickstart does not install stays a skip"
! grep -q '^  SKIP: tests/faults$' <<<"$out"
ok $? "the section headers are not counted as results"

sed -n '1,/^\.\. contents/p' "$TMP/test-suite.log" |
	sed 's/^# PASS:  1/# PASS:  5/; s/^# SKIP:  3/# SKIP:  0/; s/^# FAIL:  1/# FAIL:  0/' >"$TMP/pass.log"
run qs summary "$TMP/pass.log"
is_status 0 "everything passed: the summary passes"
like "$(tail -1 <<<"$out")" "^5 passed, 0 failed$" "and says so on its last line"

done_testing
