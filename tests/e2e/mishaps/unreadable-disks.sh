#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# list when a disk cannot be read: one that hangs (a card or reader that
# stopped answering, the faulty-card simulator behind a loop device) must
# not hang the list, which names it as not answering and lists the others;
# one that may not be opened is named with the reason, and "run as root" is
# said only to who is not root.
. "${TESTS_SRCDIR:-$(dirname "$0")/../..}/helpers/lib.sh"
# shellcheck source=tests/helpers/cardsim-lib.sh
. "$TESTS_SRCDIR/helpers/cardsim-lib.sh"

if ! have_loop; then
	echo "1..0 # SKIP list's disks are loop devices here: needs root and loop devices"
	exit 0
fi

# The other disk, which answers: a loop device on an image holding a table.
img=$TMP/card.img
truncate -s 64M "$img"
printf 'label: dos\nstart=8192, type=c\n' | sfdisk -q "$img" >/dev/null 2>&1
dev=$(attach_loop "$img")
before=$(sha256_of "$img")

# jq over the JSON row of one device.
row() {	# row DEVICE FILTER
	jq -r --arg d "$1" ".disks[] | select(.device == \$d) | $2" <<<"$out"
}

# --- A disk that hangs -------------------------------------------------------------

if ! why=$(cardsim_usable); then
	skip "list with a disk that hangs" "$why"
else
	# Every request stalls for 10 s; list waits 5 s for a disk by default.
	cardsim_start "$TMP/hang" --size 64M --stall-at 0:64M --stall-every --stall-seconds 10 ||
		{ echo "Bail out! cardsim does not start"; exit 1; }
	cardsim_loop "$CARD"
	t0=$(date +%s)
	run timeout 50 "$DLOADCARD" list --all
	t1=$(date +%s)
	is_status 0 "list with a disk that hangs: it ends, and succeeds"
	[ $((t1 - t0)) -lt 10 ]; ok $? "list returns in $((t1 - t0)) s, before the disk answers"
	like "$out" "$LOOPDEV .*not answering" "the hanging disk is listed as not answering"
	like "$errout" "$LOOPDEV did not answer within 5 s: the card or its reader hangs" \
		"and a note says what that means"
	like "$out" "$dev .* dos" "the other disk is listed with what it holds"
	run timeout 50 "$DLOADCARD" list --all --json
	[ "$(row "$LOOPDEV" .content)" = "not answering" ]; ok $? "--json: the hanging disk's content is \"not answering\""
	[ "$(row "$dev" .content | cut -d: -f1)" = dos ]; ok $? "--json: the other disk's content is read"
	cardsim_stop
fi

# --- A disk that may not be opened -------------------------------------------------

# As root without the right to override file permissions (a container's
# rules do the same), on a node whose mode forbids everything.
# The node is the machine's: its mode is put back whatever happens.
mode=$(stat -c %a "$dev")
trap 'chmod "$mode" "$dev"; _cleanup' EXIT
chmod 000 "$dev"
run setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search \
	-- "$DLOADCARD" list --all
chmod "$mode" "$dev"
trap _cleanup EXIT
is_status 0 "list as root, a disk it may not open"
like "$errout" "$dev could not be opened to see what it holds: Permission denied" "the disk is named, with why"
! grep -q "run .*as root" <<<"$errout"; ok $? "root is not told to run as root"

nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
if ! nobody "$DLOADCARD" --version >/dev/null 2>&1; then
	skip "list as another user" "user 65534 cannot run $DLOADCARD (the build tree is private)"
else
	run nobody "$DLOADCARD" list --all
	is_status 0 "list as another user"
	like "$errout" "$dev could not be opened to see what it holds: Permission denied" \
		"not root: the disk is named"
	like "$errout" "run dloadcard list as root" "not root: told to run as root"
fi

[ "$(sha256_of "$img")" = "$before" ]; ok $? "list wrote nothing to the card"

done_testing
