# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# A fake system root for --sysroot DIR: DIR/sys (the disks' sysfs tree),
# DIR/proc/self/mountinfo and DIR/proc/swaps, in which the test decides what
# a loop device looks like: a card in a reader (removable), a fixed disk,
# write-protected, mounted.  The device itself stays the real loop device the
# test attached (device nodes are /dev's); only what dloadcard reads about it
# is faked, and only for the commands given --sysroot DIR.
#
#   fakesys_init DIR          # an empty tree
#   fakesys_add DIR /dev/loopN [removable [ro]]
#   fakesys_remove DIR /dev/loopN
#   fakesys_mount DIR /dev/loopN MOUNTPOINT
#   dev=$(fakesys_card DIR IMAGE [removable [ro]])   # a new 64 MiB image, attached, added

fakesys_init() {
	local dir=$1
	mkdir -p "$dir/sys/devices/virtual/block" "$dir/sys/dev/block" "$dir/sys/block" \
		"$dir/sys/class/block" "$dir/proc/self"
	: >"$dir/proc/self/mountinfo"
	printf 'Filename\tType\tSize\tUsed\tPriority\n' >"$dir/proc/swaps"
}

# The device's directory is filled aside and moved in whole, so that a
# watcher scanning meanwhile never sees half a disk.
fakesys_add() {
	local sys=$1/sys dev=$2 removable=${3:-1} ro=${4:-0} name majmin d
	name=${dev#/dev/}
	majmin=$(cat "/sys/block/$name/dev") || return 1
	d=$sys/devices/virtual/block/$name
	mkdir -p "$d.new/loop"
	cp "/sys/block/$name/dev" "/sys/block/$name/size" "$d.new/" || return 1
	cat "/sys/block/$name/diskseq" >"$d.new/diskseq" 2>/dev/null || rm -f "$d.new/diskseq"
	cat "/sys/block/$name/loop/backing_file" >"$d.new/loop/backing_file" 2>/dev/null
	echo "$ro" >"$d.new/ro"
	echo "$removable" >"$d.new/removable"
	mv "$d.new" "$d"
	ln -s "../../devices/virtual/block/$name" "$sys/dev/block/$majmin"
	ln -s "../../devices/virtual/block/$name" "$sys/class/block/$name"
	ln -s "../devices/virtual/block/$name" "$sys/block/$name"
}

fakesys_remove() {
	local sys=$1/sys dev=$2 name majmin
	name=${dev#/dev/}
	majmin=$(cat "$sys/devices/virtual/block/$name/dev" 2>/dev/null)
	rm -f "$sys/block/$name" "$sys/class/block/$name" "$sys/dev/block/$majmin"
	rm -rf "$sys/devices/virtual/block/$name"
}

fakesys_mount() {
	local dir=$1 dev=$2 where=$3 majmin
	majmin=$(cat "$dir/sys/devices/virtual/block/${dev#/dev/}/dev")
	echo "30 1 $majmin / $where rw,relatime shared:1 - vfat $dev rw" >>"$dir/proc/self/mountinfo"
}

# A new 64 MiB image attached as a loop device (detached at exit, lib.sh)
# and added to the tree; prints the device.
fakesys_card() {
	local dir=$1 img=$2 dev
	shift 2
	truncate -s 64M "$img" && dev=$(attach_loop "$img") && fakesys_add "$dir" "$dev" "$@" &&
		echo "$dev"
}
