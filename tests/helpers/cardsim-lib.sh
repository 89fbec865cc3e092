# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# Helpers to run cardsim (tests/tools/cardsim.c, a faulty SD card on FUSE) from a
# bash test script.  Source this file, then:
#
#   trap cardsim_cleanup EXIT          # before anything is started
#   cardsim_start "$tmp/c1" --size 64M --eio-read 1M
#   dd if="$CARD" ...                  # CARD is the card file
#   cardsim_loop                       # LOOPDEV: a loop device on $CARD
#   cardsim_stat bytes_read            # a counter, fresh from the daemon
#   cardsim_stop                       # or leave it to cardsim_cleanup
#
# CARDSIM names the binary; by default $TESTS_BUILDDIR/tools/cardsim, cardsim
# in ../tools from this file, ./tests/tools/cardsim, else cardsim from $PATH.
#
# Every function returns non-zero on failure and says why on stderr; none
# exits.  cardsim_cleanup and cardsim_stop are safe to call at any time, more
# than once, from an EXIT trap.

_cardsim_dirs=()    # canonical directories of the running cards
_cardsim_loops=()   # "DEVICE DIR" of the loop devices attached here

# Where to find the binary.
_cardsim_bin() {
	local here c
	here=$(dirname "${BASH_SOURCE[0]}")
	for c in "${CARDSIM:-}" "${TESTS_BUILDDIR:+$TESTS_BUILDDIR/tools/cardsim}" \
		"$here/../tools/cardsim" ./tests/tools/cardsim; do
		if [ -n "$c" ] && [ -x "$c" ] && [ ! -d "$c" ]; then
			printf '%s\n' "$c"
			return 0
		fi
	done
	if command -v cardsim >/dev/null 2>&1; then
		command -v cardsim
		return 0
	fi
	echo "cardsim-lib: no cardsim binary (set CARDSIM)" >&2
	return 1
}

# Can the simulator run here?  If not, prints why on stdout and returns 1.
# A reason that a package would take away names it, "(apt-get install PKG)",
# so that ./quickstart test, which installs it, counts such a skip as failed.
cardsim_usable() {
	local why=
	_cardsim_bin >/dev/null 2>&1 || why+="; cardsim is not built: configure found no libfuse3 \
(apt-get install libfuse3-dev, then configure again)"
	command -v fusermount3 >/dev/null || why+="; no fusermount3 (apt-get install fuse3)"
	[ -c /dev/fuse ] || why+="; no /dev/fuse"
	[ "$(id -u)" -eq 0 ] || why+="; needs root"
	[ -z "$why" ] && return 0
	echo "the faulty-card simulator cannot run: ${why#; }"
	return 1
}

# Is DIR a mount point, per the kernel's table (stat would hang or fail on a
# dead FUSE mount)?  /proc/self/mounts writes a space as \040.
_cardsim_mounted() {
	local m=${1// /\\040}
	awk -v m="$m" '$2 == m { found = 1 } END { exit !found }' /proc/self/mounts
}

# The value given to --name, or "card".
_cardsim_name() {
	local name=card
	while [ $# -gt 0 ]; do
		case $1 in
		--name) name=${2:-card}; shift ;;
		--name=*) name=${1#--name=} ;;
		esac
		shift
	done
	printf '%s\n' "$name"
}

# cardsim_start DIR [cardsim options...]
# Mounts a card at DIR/mnt (DIR is created) and waits until it serves.
# Exports CARD (the card file), CARDSIM_DIR and CARDSIM_PID.  DIR also gets
# cardsim.log (its stderr), stats.json and pid.
cardsim_start() {
	local dir=$1 bin pid i
	shift
	bin=$(_cardsim_bin) || return 1
	mkdir -p "$dir/mnt" || return 1
	dir=$(cd "$dir" && pwd -P) || return 1
	rm -f "$dir/ready" "$dir/stats.json"
	"$bin" "$dir/mnt" --ready-file "$dir/ready" --stats "$dir/stats.json" \
		"$@" </dev/null 2>"$dir/cardsim.log" &
	pid=$!
	echo "$pid" >"$dir/pid"
	_cardsim_dirs+=("$dir")
	# The ready file appears once the kernel's first request is served.
	for ((i = 0; i < 400; i++)); do
		[ -e "$dir/ready" ] && break
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "cardsim-lib: cardsim did not start:" >&2
			cat "$dir/cardsim.log" >&2
			cardsim_stop "$dir"
			return 1
		fi
		sleep 0.025
	done
	if [ ! -e "$dir/ready" ]; then
		echo "cardsim-lib: cardsim not ready after 10 s" >&2
		cardsim_stop "$dir"
		return 1
	fi
	CARD=$dir/mnt/$(_cardsim_name "$@")
	CARDSIM_DIR=$dir
	CARDSIM_PID=$pid
	export CARD CARDSIM_DIR CARDSIM_PID
}

# cardsim_stats [DIR]: asks the daemon for its counters (SIGUSR1), waits for
# them and prints the JSON.
cardsim_stats() {
	local dir=${1:-${CARDSIM_DIR:-}} pid i
	if [ -z "$dir" ] || [ ! -r "$dir/pid" ]; then
		echo "cardsim-lib: no card" >&2
		return 1
	fi
	pid=$(cat "$dir/pid")
	rm -f "$dir/stats.json"
	kill -USR1 "$pid" || return 1
	for ((i = 0; i < 200; i++)); do
		if [ -e "$dir/stats.json" ]; then
			cat "$dir/stats.json"
			return 0
		fi
		sleep 0.025
	done
	echo "cardsim-lib: no stats from cardsim" >&2
	return 1
}

# cardsim_stat KEY [DIR]: one counter (bytes_read, eio_write, ...) or field.
cardsim_stat() {
	local key=$1 json
	json=$(cardsim_stats "${2:-}") || return 1
	printf '%s\n' "$json" |
		sed -n "s/^ *\"$key\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p"
}

# cardsim_loop [FILE [losetup options...]]: attaches FILE (default $CARD) to
# a free loop device with direct I/O, so that no block-device cache hides the
# card.  Exports LOOPDEV, and LOOP_DIO=1 when the kernel really uses direct
# I/O (it does on FUSE files since Linux 6.x), LOOP_DIO=0 when it fell back.
# Extra options go to losetup: -o OFFSET --sizelimit N for a partition, -r.
cardsim_loop() {
	local file=${1:-${CARD:-}} dev dio
	[ $# -gt 0 ] && shift
	[ -n "$file" ] || {
		echo "cardsim-lib: no card to attach" >&2
		return 1
	}
	if ! dev=$(losetup -f --show --direct-io=on "$@" "$file" 2>/dev/null); then
		dev=$(losetup -f --show "$@" "$file") || return 1
	fi
	_cardsim_loops+=("$dev ${CARDSIM_DIR:-}")
	dio=$(cat "/sys/block/${dev#/dev/}/loop/dio" 2>/dev/null || echo 0)
	if [ "$dio" != 1 ]; then
		echo "cardsim-lib: $dev: no direct I/O, the loop is buffered" >&2
		dio=0
	fi
	LOOPDEV=$dev
	LOOP_DIO=$dio
	export LOOPDEV LOOP_DIO
}

# cardsim_unloop [DEVICE]: detaches DEVICE (default $LOOPDEV).
cardsim_unloop() {
	local dev=${1:-${LOOPDEV:-}} i kept=() rc=0
	[ -n "$dev" ] || return 0
	# A loop still being opened by a just-finished command may be busy.
	for ((i = 0; i < 20; i++)); do
		losetup -d "$dev" 2>/dev/null && break
		sleep 0.1
	done
	if losetup "$dev" >/dev/null 2>&1; then
		echo "cardsim-lib: $dev: could not detach" >&2
		rc=1
	fi
	for i in "${_cardsim_loops[@]}"; do
		[ "${i%% *}" = "$dev" ] || kept+=("$i")
	done
	_cardsim_loops=("${kept[@]}")
	[ "${LOOPDEV:-}" = "$dev" ] && unset LOOPDEV LOOP_DIO
	return $rc
}

# Stops the card in DIR: its loops first (the unmount would otherwise be
# lazy and leave them failing), then SIGTERM, then SIGKILL and a lazy
# unmount if it will not go.
_cardsim_stop_one() {
	local dir=$1 pid="" i l rc=0
	for l in "${_cardsim_loops[@]}"; do
		[ "${l#* }" = "$dir" ] && cardsim_unloop "${l%% *}"
	done
	[ -r "$dir/pid" ] && pid=$(cat "$dir/pid")
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 200; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "cardsim-lib: cardsim $pid ignores SIGTERM, killing" >&2
			kill -KILL "$pid" 2>/dev/null
			rc=1
		fi
	fi
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	if _cardsim_mounted "$dir/mnt"; then
		fusermount3 -u -z "$dir/mnt" 2>/dev/null || umount -l "$dir/mnt"
		rc=1
	fi
	rm -f "$dir/pid"
	return $rc
}

# cardsim_stop [DIR]: stops the card in DIR, or every card started here.
cardsim_stop() {
	local d want="" kept=() rc=0
	if [ $# -gt 0 ]; then
		want=$(cd "$1" 2>/dev/null && pwd -P) || want=$1
	fi
	for d in "${_cardsim_dirs[@]}"; do
		if [ -z "$want" ] || [ "$d" = "$want" ]; then
			_cardsim_stop_one "$d" || rc=1
		else
			kept+=("$d")
		fi
	done
	_cardsim_dirs=("${kept[@]}")
	if [ -z "$want" ] || [ "${CARDSIM_DIR:-}" = "$want" ]; then
		unset CARD CARDSIM_DIR CARDSIM_PID
	fi
	return $rc
}

# cardsim_cleanup: for an EXIT trap; detaches every loop attached here and
# stops every card.
cardsim_cleanup() {
	local l
	for l in "${_cardsim_loops[@]}"; do
		cardsim_unloop "${l%% *}"
	done
	cardsim_stop
}
