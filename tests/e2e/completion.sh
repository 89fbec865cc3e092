#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The bash completion, driven as bash drives it at a Tab (complete-lib.sh):
# the commands, every option of every command as its --help lists them
# (read here with other means than the completion's), the columns of
# list -o, files for the sources, and for the targets only the disks that
# list calls eligible, plus image files: on a fake system root in which
# loop devices play an eligible card, a fixed disk, the system disk, a
# mounted and a write-protected card, never one of those four.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"
# shellcheck source=tests/helpers/complete-lib.sh
. "$TESTS_SRCDIR/helpers/complete-lib.sh"
# shellcheck source=tests/helpers/fakesys-lib.sh
. "$TESTS_SRCDIR/helpers/fakesys-lib.sh"

comp=$TESTS_SRCDIR/../bash-completion/dloadcard
[ -r "$comp" ] || { echo "Bail out! no completion file $comp"; exit 1; }
if ! have_bash_completion; then
	echo "1..0 # SKIP no $BASH_COMPLETION_MAIN (apt-get install bash-completion)"
	exit 0
fi

# tab WORD...: the completion of the last word, sorted, one a line.
tab() {
	complete_words "$comp" "$DLOADCARD" "$@" | sort
}

# same "description" EXPECTED GOT: two sorted lists are equal.
same() {
	local rc=0
	[ "$2" = "$3" ] || rc=1
	ok $rc "$1"
	[ $rc -eq 0 ] || diag "expected: $(tr '\n' ' ' <<<"$2")" "got: $(tr '\n' ' ' <<<"$3")"
}

# --- Commands and options, as --help lists them ------------------------------
commands=$("$DLOADCARD" --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }' | sort)
[ "$(wc -l <<<"$commands")" -ge 6 ]; ok $? "dloadcard --help lists the commands ($(echo $commands))"
same "dloadcard <Tab>: every command" "$commands" "$(tab '')"
same "dloadcard pr<Tab>: prepare and probe" "$(printf 'prepare\nprobe')" "$(tab pr)"
same "dloadcard -<Tab>: the options before a command" "$(printf -- '--help\n--version\n-V\n-h' | sort)" "$(tab -)"

# An option line of a help: a few spaces, then "-x, --long" or "--long".
options_of() {
	"$DLOADCARD" "$1" --help | grep -E '^ {1,8}-' | sed -E 's/^ +//; s/  .*//; s/ <[^>]*>//' |
		tr ',' '\n' | sed 's/^ *//' | grep -E '^--?[[:alnum:]]' | sort -u
}
for cmd in $commands; do
	opts=$(options_of "$cmd")
	[ "$(wc -l <<<"$opts")" -ge 3 ]; ok $? "$cmd --help lists its options ($(echo $opts))"
	same "dloadcard $cmd -<Tab>: every option of $cmd --help, and no other" "$opts" "$(tab "$cmd" -)"
done
same "dloadcard prepare --st<Tab>: --stall-timeout" "--stall-timeout" "$(tab prepare --st)"

# --- Values of a fixed set: list's columns ---------------------------------------
columns=$("$DLOADCARD" list --help | awk '/^Columns:/ { on = 1; next } on && !NF { exit } on { print $1 }' | sort)
[ "$(wc -l <<<"$columns")" -ge 10 ]; ok $? "list --help lists the columns"
same "list -o <Tab>: every column" "$columns" "$(tab list -o '')"
same "list --output <Tab>: the same" "$columns" "$(tab list --output '')"
same "list -o DEVICE,S<Tab>: the columns starting with S, after the list given" \
	"$(grep '^S' <<<"$columns" | sed 's/^/DEVICE,/')" "$(tab list -o DEVICE,S)"
! tab list -o DEVICE,D | grep -qx 'DEVICE,DEVICE'
ok $? "list -o DEVICE,D<Tab>: a column already given is not offered again"
same "list --output=+RE<Tab>: + (added to the default) kept" \
	"$(grep '^RE' <<<"$columns" | sed 's/^/+/')" "$(tab list --output=+RE)"
same "list -o MAJ<Tab>: a column with a colon" "MAJ:MIN" "$(tab list -o MAJ)"

# An option whose --help shows its values as <a|b|c> is completed with them:
# no option of dloadcard has such a set today but list's columns, so a
# program that prints such a help stands in for it here.
cat >"$TMP/fakeprog" <<'EOF'
#!/bin/sh
[ "$1 $2" = "x --help" ] && printf 'Usage:\n fakeprog x [options]\n\nOptions:\n     --mode <fast|slow|safe>  how\n'
EOF
chmod +x "$TMP/fakeprog"
same "an option shown as <fast|slow|safe> completes to its values" "$(printf 'safe\nslow')" \
	"$(complete_words "$comp" "$TMP/fakeprog" x --mode s | sort)"

# A value that is no fixed set (a size, a hash, seconds) is not completed with files.
same "prepare --size <Tab>: nothing (a size is typed)" "" "$(tab prepare --size '')"
same "prepare --sha256=<Tab>: nothing" "" "$(tab prepare --sha256=)"

# --- Sources: files -----------------------------------------------------------------
files=$TMP/files
mkdir -p "$files/sub"
make_sample "$files/UPDATE.APP" 1M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
make_sample "$files/fw.zip" 1M --zip dload/UPDATE.APP || { echo "Bail out! cannot make a zip"; exit 1; }
truncate -s 64M "$files/card.img"
mkfifo "$files/fifo"
same "check <Tab> in a folder: its files and folders" \
	"$(printf '%s\n' "$files/UPDATE.APP" "$files/card.img" "$files/fifo" "$files/fw.zip" "$files/sub" | sort)" \
	"$(tab check "$files/")"
same "check A <Tab>: check takes many files" "$files/fw.zip" "$(tab check "$files/UPDATE.APP" "$files/fw")"
same "prepare CARD <Tab>: the source, a file" "$files/UPDATE.APP" "$(tab prepare "$files/card.img" "$files/UPD")"
same "verify --against <Tab>: a file" "$files/fw.zip" "$(tab verify --against "$files/fw")"
same "prepare --sysroot <Tab>: folders only" "$files/sub" "$(tab prepare --sysroot "$files/")"

# --- Targets on this machine: never a disk list does not call eligible -------------
eligible=$("$DLOADCARD" list -o DEVICE,STATE --raw --noheadings 2>/dev/null | awk '$2 == "eligible" { print $1 }')
bad=
for f in $(tab prepare /dev/); do
	if [ -b "$f" ] && ! grep -qxF -- "$f" <<<"$eligible"; then bad+=" $f"; fi
done
[ -z "$bad" ]; ok $? "prepare /dev/<Tab> on this machine: no block device but list's eligible ones${bad:+ (offered:$bad)}"
sys=$(findmnt -n -o SOURCE / 2>/dev/null)
! tab prepare /dev/ | grep -qx -- "${sys:-/nonexistent}"
ok $? "and never the disk of / ($sys)"

if ! have_loop; then
	skip "targets on a fake system root" "no loop devices here (needs root)"
	done_testing
fi

# --- Targets on a fake system root ---------------------------------------------------
fake=$TMP/sys
fakesys_init "$fake"
card=$(fakesys_card "$fake" "$TMP/card.img" 1) &&
	fixed=$(fakesys_card "$fake" "$TMP/fixed.img" 0) &&
	system=$(fakesys_card "$fake" "$TMP/system.img" 1) &&
	mounted=$(fakesys_card "$fake" "$TMP/mounted.img" 1) &&
	ro=$(fakesys_card "$fake" "$TMP/ro.img" 1 1) ||
	{ echo "Bail out! cannot attach the loop devices"; exit 1; }
fakesys_mount "$fake" "$system" /
fakesys_mount "$fake" "$mounted" /media/card
ln -s "$fixed" "$TMP/fixed-link"
before=$(for n in card fixed system mounted ro; do sha256_of "$TMP/$n.img"; done)

run "$DLOADCARD" list --sysroot "$fake" --all -o DEVICE,STATE --raw --noheadings
diag "$out"
like "$out" "^$card eligible" "the fake root: list calls $card eligible"
like "$out" "^$system protected.x20.system" "and $system the system disk"

same "prepare --sysroot DIR /dev/loop<Tab>: only the eligible card" "$card" \
	"$(tab prepare --sysroot "$fake" /dev/loop)"
offered=$(tab prepare --sysroot "$fake" /dev/)
for d in "$fixed" "$system" "$mounted" "$ro"; do
	! grep -qxF -- "$d" <<<"$offered"
	ok $? "prepare /dev/<Tab>: never $d ($(grep "^$d " <<<"$out" | cut -d' ' -f2))"
done
same "prepare --sysroot=DIR (one word): the same" "$card" "$(tab prepare --sysroot="$fake" /dev/loop)"
same "probe: the same" "$card" "$(tab probe --sysroot "$fake" /dev/loop)"
# verify has no --sysroot: the machine's own eligible disks.
same "verify /dev/<Tab>: list's eligible disks of this machine" \
	"$(grep '^/dev/' <<<"$eligible" | sort)" "$(tab verify /dev/ | while read -r f; do [ -b "$f" ] && echo "$f"; done)"
same "batch SOURCE <Tab>: the same" "$card" "$(tab batch --sysroot "$fake" "$files/UPDATE.APP" /dev/loop)"
same "batch SOURCE CARD <Tab>: batch takes many cards" "$card" \
	"$(tab batch --sysroot "$fake" "$files/UPDATE.APP" "$TMP/x.img" /dev/loop)"
same "batch --watch SOURCE <Tab>: no card to name" "" \
	"$(tab batch --watch --sysroot "$fake" "$files/UPDATE.APP" /dev/loop)"
same "prepare <Tab> in a folder: image and other regular files, folders; no FIFO" \
	"$(printf '%s\n' "$files/UPDATE.APP" "$files/card.img" "$files/fw.zip" "$files/sub" | sort)" \
	"$(tab prepare --sysroot "$fake" "$files/")"
same "nor a link to a disk that is not eligible" "" "$(tab prepare --sysroot "$fake" "$TMP/fixed-l")"
same "prepare .img<Tab>: an image by its name" "$TMP/card.img" "$(tab prepare --sysroot "$fake" "$TMP/car")"

[ "$before" = "$(for n in card fixed system mounted ro; do sha256_of "$TMP/$n.img"; done)" ]
ok $? "completing wrote nothing to any of the disks"

done_testing
