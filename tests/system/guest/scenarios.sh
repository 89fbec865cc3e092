# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck source-path=SCRIPTDIR
# shellcheck shell=sh
#
# System-test scenarios, run inside the guest, one shell function each.
#
# To add one: write scn_NAME below (use check / expect_rc / skip from lib.sh;
# each call is one TAP line), add NAME to SCENARIOS, and if it needs a
# device, add the device to the QEMU command line in ../run (look for
# "Devices") with a serial of its own, find it here with usb_disk SERIAL or
# virtio_disk SERIAL.  A scenario runs in a session of its own under
# SCN_TIMEOUT; the card images are fresh for every run, but scenarios share
# the machine, so a scenario must not rely on another having run.
#
# Run as `sh scenarios.sh --run NAME` by init (lib.sh: run_scenario);
# sourced by the host only to read SCENARIOS.

# shellcheck disable=SC2034 # read by ../run
SCENARIOS="rig sd sdset usb fixed badwrite mounted watch"

DL_APP=/UPDATE.APP

# ---------------------------------------------------------------- helpers

# list_shows DISK TEXT...: `dloadcard list` offers DISK and shows each TEXT.
list_shows() {
	_disk=$1
	shift
	need_cmd list "list offers the card as eligible" || return 0
	run_cmd dloadcard list
	if [ "$RC" = 0 ] && grep -qw "${_disk#/dev/}" "$OUT"; then
		ok "list offers the card as eligible"
	else
		notok "list offers the card as eligible"
		diag "exit $RC; ${_disk#/dev/} not in: $(tr '\n' ' ' <"$OUT")"
		return 0
	fi
	_all=/tmp/list.all
	cp "$OUT" "$_all"
	if has_opt list --json; then
		run_cmd dloadcard list --json
		cat "$OUT" >>"$_all"
	fi
	_missing=
	for _t in "$@"; do
		grep -qF -- "$_t" "$_all" || _missing="$_missing '$_t'"
	done
	if [ -z "$_missing" ]; then
		ok "list shows its identity"
	else
		notok "list shows its identity"
		diag "not in list / list --json:$_missing"
	fi
}

# prepare_card DISK: dloadcard prepare --yes DISK /UPDATE.APP must exit 0.
prepare_card() {
	need_cmd prepare || return 1
	expect_rc "$EXIT_OK" "prepare --yes succeeds" dloadcard prepare --yes "$1" "$DL_APP"
}

# card_checks DISK: the card holds a dload layout with our UPDATE.APP.
card_checks() {
	_b=${1#/dev/}
	_p=$(part_dev "$1" 1)
	check "partition 1 appears" wait_for 10 test -b "$_p" || return 0
	_start=$(cat "/sys/block/$_b/${_p#/dev/}/start")
	check "partition 1 starts at 4 MiB (sector 8192)" test "$_start" = 8192 ||
		diag "start sector $_start"
	_type=$(mbr_type "$1")
	case $_type in
	0b | 0c) ok "partition type is 0x0b or 0x0c" ;;
	*) notok "partition type is 0x0b or 0x0c"; diag "type 0x$_type" ;;
	esac
	check "partition 1 holds FAT32" is_fat32 "$_p"
	if command -v fsck.fat >/dev/null; then
		run_cmd fsck.fat -n "$_p"
		check "fsck.fat -n finds no error" test "$RC" = 0 ||
			sed -n '2,6p' "$OUT" | while IFS= read -r _l; do diag "  $_l"; done
	else
		skip "fsck.fat -n finds no error" "fsck.fat not in the guest"
	fi
	check "mount -t vfat: dload/UPDATE.APP has the source's SHA-256" mounted_sha_ok "$_p"
}

# log_says_ok FILE SERIAL: the --log JSON line names the card and its success.
log_says_ok() {
	grep -q "$2" "$1" && grep -Eq '"result": *"ok"' "$1" && grep -q "$SAMPLE_SHA256" "$1"
}

# list_lacks DISK: the last `list` ran fine and did not name DISK.
list_lacks() { [ "$RC" = 0 ] && ! grep -qw "${1#/dev/}" "$OUT"; }

verify_card() {
	need_cmd verify || return 0
	expect_rc "$EXIT_OK" "verify passes" dloadcard verify "$1"
}

# The MiB a message names: "10 MiB", "10.0 MiB", "at MiB 10", "10MiB".
says_mib() {
	grep -Eiq "(^|[^0-9.])$1(\\.[0-9]+)?[[:space:]]*MiB|MiB[[:space:]:]*$1([^0-9]|\$)" "$2"
}

# -------------------------------------------------------------- scenarios

# The rig itself, without dloadcard: every device is there, and the guest can
# lay out a card with sfdisk + mkfs.fat + mtools and read it back mounted.
# A failure here means the harness, not dloadcard, is broken.
scn_rig() {
	need_modules sdhci-pci mmc_block || return 0
	check "SD card /dev/mmcblk0 appears" wait_for 30 test -b /dev/mmcblk0
	check "USB card appears (serial $USB_SERIAL)" wait_disk 30 usb_disk "$USB_SERIAL"
	check "virtio disk appears (serial $FIXED_SERIAL)" wait_disk 30 virtio_disk "$FIXED_SERIAL"
	test -b /dev/mmcblk0 || return 0
	for _t in sfdisk mkfs.fat mmd mcopy; do need_tool "$_t" || return 0; done
	# Start at 1 MiB, not 4: the sd scenario then sees prepare's table.
	run_cmd sh -c 'echo "start=2048, type=c" | sfdisk -q /dev/mmcblk0'
	check "stand-in: sfdisk writes a table, mmcblk0p1 appears" \
		wait_for 10 test -b /dev/mmcblk0p1 || return 0
	run_cmd mkfs.fat -F 32 -n RIGTEST /dev/mmcblk0p1
	check "stand-in: mkfs.fat -F 32 on mmcblk0p1" test "$RC" = 0
	export MTOOLSRC=/dev/null MTOOLS_SKIP_CHECK=1
	run_cmd mmd -i /dev/mmcblk0p1 ::dload
	_mmd=$RC
	run_cmd mcopy -i /dev/mmcblk0p1 "$DL_APP" ::dload/UPDATE.APP
	check "stand-in: mmd + mcopy UPDATE.APP onto the card" test "$_mmd$RC" = 00
	check "stand-in: mounted, dload/UPDATE.APP has the source's SHA-256" \
		mounted_sha_ok /dev/mmcblk0p1
}

scn_sd() {
	need_modules sdhci-pci mmc_block || return 0
	_disk=/dev/mmcblk0
	check "$_disk appears" wait_for 30 test -b "$_disk" || return 0
	_dev=/sys/block/mmcblk0/device
	check "sysfs shows device/cid, name and serial" \
		test -s "$_dev/cid" -a -s "$_dev/name" -a -s "$_dev/serial" || return 0
	need_dloadcard || return 0
	list_shows "$_disk" "$(cat "$_dev/name")" "$(cat "$_dev/serial")" "$(cat "$_dev/cid")"
	check "setup: a used card (stale bytes, old FAT32 at 1 MiB)" make_used_card "$_disk"
	prepare_card "$_disk" || return 0
	card_checks "$_disk"
	verify_card "$_disk"
}

# An SD package set on the SD card: Linux's vfat reads each zip under its
# long name, byte for byte the one given, and nothing else in dload/.
scn_sdset() {
	need_modules sdhci-pci mmc_block || return 0
	if [ -z "$SD_SET" ]; then
		skip "all checks" "no SD package set (the host's generator makes no zips)"
		return 0
	fi
	_disk=/dev/mmcblk0
	check "$_disk appears" wait_for 30 test -b "$_disk" || return 0
	need_dloadcard || return 0
	_files=''
	_names=''
	for _f in $SD_SET; do
		_files="$_files /sd/${_f%%=*}"
		_names="$_names ${_f%%=*}"
	done
	check "setup: a used card (stale bytes, old FAT32 at 1 MiB)" make_used_card "$_disk"
	# shellcheck disable=SC2086 # the set's names have no blanks
	expect_rc "$EXIT_OK" "prepare --yes writes the set" dloadcard prepare --yes "$_disk" $_files ||
		return 0
	_p=$(part_dev "$_disk" 1)
	check "partition 1 appears" wait_for 10 test -b "$_p" || return 0
	if command -v fsck.fat >/dev/null; then
		run_cmd fsck.fat -n "$_p"
		check "fsck.fat -n finds no error" test "$RC" = 0
	fi
	_mp=/mnt/$SCN
	mkdir -p "$_mp"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	check "mount -t vfat" mount -t vfat -o ro "$_p" "$_mp" || return 0
	# shellcheck disable=SC2012 # a listing for the log only
	ls -l "$_mp/dload" 2>&1 | sed 's/^/  | /'
	_want=$(for _n in $_names; do echo "$_n"; done | sort | tr '\n' ' ')
	# shellcheck disable=SC2012 # the names are the set's, plain ASCII
	_got=$(ls "$_mp/dload" | sort | tr '\n' ' ')
	check "dload/ holds the set's long names and nothing else" test "$_got" = "$_want" ||
		diag "dload/: $_got; expected $_want"
	for _f in $SD_SET; do
		_sum=$(file_sha "$_mp/dload/${_f%%=*}" 2>/dev/null)
		check "mount -t vfat: dload/${_f%%=*} has the source's SHA-256" test "$_sum" = "${_f#*=}" ||
			diag "sha256 ${_sum:-(missing)}"
	done
	umount "$_mp"
	verify_card "$_disk"
}

scn_usb() {
	need_modules xhci-pci usb-storage sd_mod || return 0
	_disk=$(wait_disk 30 usb_disk "$USB_SERIAL")
	check "USB card appears (serial $USB_SERIAL)" test -n "$_disk" || return 0
	check "it is removable (removable=1)" test "$(cat "/sys/block/${_disk#/dev/}/removable")" = 1
	need_dloadcard || return 0
	list_shows "$_disk" "$USB_SERIAL"
	check "setup: a used card (stale bytes, old FAT32 at 1 MiB)" make_used_card "$_disk"
	prepare_card "$_disk" || return 0
	card_checks "$_disk"
	verify_card "$_disk"
}

# A fixed disk is refused, and left byte for byte as it was.
scn_fixed() {
	need_modules virtio_blk virtio_pci || return 0
	_disk=$(wait_disk 30 virtio_disk "$FIXED_SERIAL")
	check "virtio disk appears (serial $FIXED_SERIAL)" test -n "$_disk" || return 0
	check "it is not removable (removable=0)" test "$(cat "/sys/block/${_disk#/dev/}/removable")" = 0
	_before=$(disk_sha "$_disk")
	need_dloadcard || return 0
	if has_cmd list; then
		run_cmd dloadcard list
		check "list does not offer the fixed disk" list_lacks "$_disk"
		if has_opt list --all; then
			run_cmd dloadcard list --all
			check "list --all shows the fixed disk" grep -qw "${_disk#/dev/}" "$OUT"
		else
			skip "list --all shows the fixed disk" "dloadcard list has no --all option yet"
		fi
	else
		skip "list does not offer the fixed disk" "dloadcard has no 'list' sub-command yet"
	fi
	if need_cmd prepare "prepare --yes refuses the fixed disk"; then
		expect_rc "$EXIT_REFUSED" "prepare --yes refuses the fixed disk" \
			dloadcard prepare --yes "$_disk" "$DL_APP"
	fi
	if need_cmd batch "batch --yes refuses the fixed disk"; then
		expect_rc "$EXIT_REFUSED" "batch --yes refuses the fixed disk" \
			dloadcard batch --yes "$DL_APP" "$_disk"
	fi
	_after=$(disk_sha "$_disk")
	check "the fixed disk is unchanged (SHA-256 of the whole disk)" test "$_after" = "$_before"
}

# A card whose writes fail at BAD_MIB (QEMU blkdebug): exit 7, and where.
scn_badwrite() {
	need_modules xhci-pci usb-storage sd_mod || return 0
	_disk=$(wait_disk 30 usb_disk "$BAD_SERIAL")
	check "failing USB card appears (serial $BAD_SERIAL)" test -n "$_disk" || return 0
	need_dloadcard || return 0
	need_cmd prepare || return 0
	expect_rc "$EXIT_WRITE_ERROR" "prepare fails with the write-error exit code" \
		dloadcard prepare --yes "$_disk" "$DL_APP"
	# The failing request holds the sector; a tool that names the request's
	# first MiB (1 MiB requests, not MiB-aligned) says one less.
	if says_mib "$BAD_MIB" "$OUT" || says_mib "$((BAD_MIB - 1))" "$OUT"; then
		ok "the diagnosis says at which MiB the card failed ($BAD_MIB)"
	else
		notok "the diagnosis says at which MiB the card failed ($BAD_MIB)"
		diag "no '$BAD_MIB MiB' (or $((BAD_MIB - 1))) in: $(tr '\n' ' ' <"$OUT" | cut -c1-300)"
	fi
}

# A card with a mounted partition is refused, and left as it was.
scn_mounted() {
	need_modules xhci-pci usb-storage sd_mod vfat || return 0
	_disk=$(wait_disk 30 usb_disk "$MNT_SERIAL")
	check "USB card appears (serial $MNT_SERIAL)" test -n "$_disk" || return 0
	need_tool sfdisk || return 0
	need_tool mkfs.fat || return 0
	_p=$(part_dev "$_disk" 1)
	run_cmd sh -c "echo 'start=8192, type=c' | sfdisk -q $_disk"
	wait_for 10 test -b "$_p"
	run_cmd mkfs.fat -F 32 "$_p"
	mkdir -p /mnt/mounted
	check "setup: its FAT32 partition is mounted read-write" \
		mount -t vfat "$_p" /mnt/mounted || return 0
	echo "precious" >/mnt/mounted/precious.txt
	sync
	# After mount: a rw vfat mount writes its dirty flag.
	_before=$(disk_sha "$_disk")
	if need_dloadcard && need_cmd prepare; then
		expect_rc "$EXIT_REFUSED" "prepare refuses the card while it is mounted" \
			dloadcard prepare --yes "$_disk" "$DL_APP"
		expect_rc "$EXIT_REFUSED" "prepare refuses a partition node" \
			dloadcard prepare --yes "$_p" "$DL_APP"
		check "the card is unchanged (SHA-256 of the whole disk)" \
			test "$(disk_sha "$_disk")" = "$_before"
		check "the mounted file is still there" grep -q precious /mnt/mounted/precious.txt
	fi
	umount /mnt/mounted
}

# batch --watch prepares a card hot-plugged through QEMU's monitor.
scn_watch() {
	need_modules xhci-pci usb-storage sd_mod || return 0
	need_dloadcard || return 0
	need_cmd batch "batch --watch" || return 0
	need_opt batch --watch "batch --watch" || return 0
	check "no card with serial $HOT_SERIAL before the hot-plug" \
		test -z "$(usb_disk "$HOT_SERIAL")"
	_log=/tmp/watch.log
	_wout=/tmp/watch.out
	rm -f "$_log"
	# --yes: no terminal to confirm on.
	say "\$ dloadcard batch --watch --yes --copies 1 --log $_log $DL_APP &"
	dloadcard batch --watch --yes --copies 1 --log "$_log" "$DL_APP" </dev/null >"$_wout" 2>&1 &
	_bpid=$!
	sleep 3
	host_request hotplug hot0
	_disk=$(wait_disk 30 usb_disk "$HOT_SERIAL")
	check "the hot-plugged card appears (serial $HOT_SERIAL)" test -n "$_disk"
	# batch should stop by itself after one card; give it 90 s.
	_n=450
	while [ "$_n" -gt 0 ] && kill -0 "$_bpid" 2>/dev/null; do
		sleep 0.2
		_n=$((_n - 1))
	done
	if kill -0 "$_bpid" 2>/dev/null; then
		kill -TERM "$_bpid"
		sleep 1
		kill -KILL "$_bpid" 2>/dev/null
	fi
	wait "$_bpid"
	_brc=$?
	sed 's/^/  | /' "$_wout"
	say "exit $_brc"
	check "batch --watch --copies 1 prepares the card and exits 0" test "$_brc" = 0 ||
		{ diag "exit status $_brc"; OUT=$_wout diag_out; }
	sed 's/^/  log | /' "$_log" 2>/dev/null
	_lines=$(grep -c . "$_log" 2>/dev/null)
	check "--log holds one JSON line" \
		test "${_lines:-0}" = 1 -a "$(head -c 1 "$_log" 2>/dev/null)" = "{" ||
		diag "log: $(head -c 300 "$_log" 2>/dev/null)"
	check "the log line tells this card's success: serial, result ok, SHA-256" \
		log_says_ok "$_log" "$HOT_SERIAL"
	[ -n "$_disk" ] || return 0
	card_checks "$_disk"
	verify_card "$_disk"
}

# ------------------------------------------------------------------- main

if [ "${1:-}" = --run ] && [ $# -eq 2 ]; then
	# shellcheck source=/dev/null
	. /etc/dlt/config
	# shellcheck source=lib.sh
	. /lib/dlt/lib.sh
	# shellcheck disable=SC2034 # lib.sh's ok/notok/skip name the scenario
	SCN=$2
	"scn_$2"
fi
