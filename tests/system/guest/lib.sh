# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=sh
#
# Helpers for the system-test guest (busybox ash).  Sourced by init and by
# scenarios.sh.  Protocol lines, on fd 3 (/dev/ttyS1), read by tests/system/run:
#
#   @@INIT t / @@MODULES t / @@DONE t   guest uptime at these points
#   @@BEGIN name t / @@END name rc t    around each scenario
#   @@T ok - name: text                 one assertion (TAP, renumbered by the host)
#   @@T not ok - name: text
#   @@T ok - name: text # SKIP reason
#   @@D text                            diagnostic for the assertion above
#   @@HOST request args                 ask the host to act (hot-plug, ...)
#
# Everything also goes to stdout, which is the console (ttyS0), for the log.

# Hash of the sample, exit codes, serials, ... (written by the host).
: "${SCN:=}"

say() { printf '# %s\n' "$*"; }

proto() {
	printf '%s\n' "$*" >&3
	printf '%s\n' "$*"
}

ok() { proto "@@T ok - $SCN: $*"; }
notok() { proto "@@T not ok - $SCN: $*"; }
skip() { proto "@@T ok - $SCN: $1 # SKIP $2"; }
diag() { proto "@@D $*"; }

# Run a command, its output to the console; assertion on its exit status.
# check DESCRIPTION COMMAND [ARG]...
check() {
	_desc=$1
	shift
	if "$@"; then
		ok "$_desc"
		return 0
	fi
	notok "$_desc"
	return 1
}

# run_cmd COMMAND [ARG]...: run it logged; output kept in $OUT, status in $RC.
OUT=/tmp/out
RC=0
run_cmd() {
	say "\$ $*"
	"$@" </dev/null >"$OUT" 2>&1
	RC=$?
	sed 's/^/  | /' "$OUT"
	say "exit $RC"
	return 0
}

# expect_rc RC DESCRIPTION COMMAND [ARG]...
expect_rc() {
	_want=$1
	_desc=$2
	shift 2
	run_cmd "$@"
	if [ "$RC" = "$_want" ]; then
		ok "$_desc"
		return 0
	fi
	notok "$_desc"
	diag "exit status $RC, expected $_want: $*"
	diag_out
	return 1
}

# diag_out: the telling lines of the last command's output ($OUT): those
# that warn or fail, else its last lines.
diag_out() {
	if grep -Eiq 'warn|fail|error|refus|bad|differ|mismatch' "$OUT"; then
		grep -Ei 'warn|fail|error|refus|bad|differ|mismatch' "$OUT" | head -n 6
	else
		tail -n 5 "$OUT"
	fi | while IFS= read -r _l; do diag "  $_l"; done
}

# wait_for SECONDS COMMAND [ARG]...: poll every 0.2 s until COMMAND succeeds.
wait_for() {
	_n=$(($1 * 5))
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		_n=$((_n - 1))
	done
	"$@" >/dev/null 2>&1
}

# Skip the rest of the scenario when the host could not stage a module.
# need_modules NAME...
need_modules() {
	for _m in "$@"; do
		case " $MISSING_MODULES " in
		*" $_m "*)
			skip "all checks" "kernel module $_m not available for $KVER"
			return 1
			;;
		esac
	done
	return 0
}

need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	skip "all checks" "$1 is not in the guest (install it on the host)"
	return 1
}

need_dloadcard() {
	[ "$HAVE_DLOADCARD" = 1 ] && return 0
	skip "dloadcard checks" "$DLOADCARD_MISSING"
	return 1
}

# has_cmd SUB: does `dloadcard --help` list the sub-command?
has_cmd() {
	dloadcard --help 2>&1 |
		grep -Eiq "^[[:space:]]*(usage:[[:space:]]*)?(dloadcard[[:space:]]+)?$1([^[:alnum:]_-]|\$)"
}

# has_opt SUB OPTION: does the sub-command's (or the global) help mention it?
has_opt() {
	{ dloadcard "$1" --help; dloadcard --help; } 2>&1 | grep -q -e "$2"
}

need_cmd() {
	has_cmd "$1" && return 0
	skip "${2:-dloadcard $1}" "dloadcard has no '$1' sub-command yet"
	return 1
}

need_opt() {
	has_opt "$1" "$2" && return 0
	skip "${3:-dloadcard $1 $2}" "dloadcard $1 has no $2 option yet"
	return 1
}

# The whole disk whose USB device (an ancestor in sysfs) has this serial.
usb_disk() {
	for _b in /sys/block/sd*; do
		[ -e "$_b/device" ] || continue
		_d=$(readlink -f "$_b/device")
		while [ -n "$_d" ] && [ "$_d" != / ]; do
			if [ -f "$_d/serial" ] && [ "$(cat "$_d/serial")" = "$1" ]; then
				echo "/dev/${_b##*/}"
				return 0
			fi
			_d=${_d%/*}
		done
	done
	return 1
}

virtio_disk() {
	for _b in /sys/block/vd*; do
		if [ -f "$_b/serial" ] && [ "$(cat "$_b/serial")" = "$1" ]; then
			echo "/dev/${_b##*/}"
			return 0
		fi
	done
	return 1
}

# wait_disk SECONDS FINDER SERIAL: print the disk once it is there.
wait_disk() {
	_n=$(($1 * 5))
	while [ "$_n" -gt 0 ]; do
		_disk=$("$2" "$3") && [ -b "$_disk" ] && { echo "$_disk"; return 0; }
		sleep 0.2
		_n=$((_n - 1))
	done
	return 1
}

# part_dev /dev/mmcblk0 1 -> /dev/mmcblk0p1; /dev/sda 1 -> /dev/sda1
part_dev() {
	case $1 in
	*[0-9]) echo "$1p$2" ;;
	*) echo "$1$2" ;;
	esac
}

# SHA-256 of a whole block device as it is on the device, not in the cache.
disk_sha() {
	sync
	blockdev --flushbufs "$1" 2>/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	sha256sum <"$1" | cut -c1-64
}

file_sha() { sha256sum <"$1" | cut -c1-64; }

# mbr_type DISK: partition 1's type byte, two hex digits.
mbr_type() { dd if="$1" bs=1 skip=450 count=1 2>/dev/null | xxd -p; }

# is_fat32 PART: the FAT32 boot sector's file-system type string.
is_fat32() {
	[ "$(dd if="$1" bs=1 skip=82 count=5 2>/dev/null)" = FAT32 ]
}

# mounted_sha_ok PART: mount it read-only as vfat and hash dload/UPDATE.APP.
mounted_sha_ok() {
	_mp=/mnt/$SCN
	mkdir -p "$_mp"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	if ! mount -t vfat -o ro "$1" "$_mp"; then
		diag "mount -t vfat $1 failed"
		return 1
	fi
	# shellcheck disable=SC2012 # a listing for the log only
	ls -l "$_mp" "$_mp/dload" 2>&1 | sed 's/^/  | /'
	_got=$(file_sha "$_mp/dload/UPDATE.APP" 2>/dev/null)
	umount "$_mp"
	[ "$_got" = "$SAMPLE_SHA256" ] && return 0
	diag "dload/UPDATE.APP: sha256 ${_got:-(missing)}, expected $SAMPLE_SHA256"
	return 1
}

# make_used_card DISK: a card as it comes from a shop or a camera, the same
# whatever ran before: its first 16 MiB (MBR to past UPDATE.APP's start)
# full of stale bytes, then a FAT32 partition at 1 MiB with a file on it.
# prepare must leave nothing of it that matters; fsck.fat and verify tell.
make_used_card() {
	_n=0
	while [ "$_n" -lt 16 ]; do
		dd if=/etc/dlt/stale.bin of="$1" bs=1M seek="$_n" count=1 2>/dev/null || return 1
		_n=$((_n + 1))
	done
	echo 'start=2048, type=c' | sfdisk -q "$1" || return 1
	_p=$(part_dev "$1" 1)
	wait_for 10 test -b "$_p" || return 1
	mkfs.fat -F 32 -n OLDCARD "$_p" >/dev/null 2>&1 || return 1
	MTOOLSRC=/dev/null MTOOLS_SKIP_CHECK=1 mcopy -i "$_p" /etc/dlt/stale.bin ::OLDFILE.BIN || return 1
	sync
}

# Ask the host to do something to the machine (see run: handle_request).
host_request() { proto "@@HOST $*"; }

# Run scenario NAME in a session of its own under a timeout; whatever it
# leaves behind (processes, mounts) is cleaned up afterwards.
run_scenario() {
	_name=$1
	_limit=$SCN_TIMEOUT
	proto "@@BEGIN $_name $(cut -d' ' -f1 /proc/uptime)"
	say "===== scenario $_name (timeout ${_limit}s) ====="
	rm -f /tmp/timed-out
	setsid /bin/sh /lib/dlt/scenarios.sh --run "$_name" </dev/null &
	_pid=$!
	# The watchdog, in a session of its own too, so that killing it takes
	# its sleep along.
	# shellcheck disable=SC2016 # for the inner sh
	setsid sh -c 'sleep "$1"; : >/tmp/timed-out; kill -KILL -"$2" 2>/dev/null || kill -KILL "$2"' \
		sh "$_limit" "$_pid" &
	_killer=$!
	wait "$_pid"
	_rc=$?
	kill -KILL -"$_killer" 2>/dev/null
	kill -KILL -"$_pid" 2>/dev/null
	if [ -e /tmp/timed-out ]; then
		SCN=$_name notok "finished within ${_limit}s"
		_rc=timeout
	fi
	for _mp in /mnt/*; do
		grep -q " $_mp " /proc/mounts && umount -l "$_mp"
	done
	proto "@@END $_name $_rc $(cut -d' ' -f1 /proc/uptime)"
}
