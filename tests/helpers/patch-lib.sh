# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# Patching bytes of a file in place, for the cards and files the mishap
# tests break on purpose (a partition table that lies, a zip whose CRC is
# wrong).  Offsets and values are decimal (or $((0x...))).
#
#   byte_at FILE OFFSET            the byte's value
#   put_byte FILE OFFSET VALUE
#   flip_byte FILE OFFSET          the byte XOR 0xff: surely another value
#   put_le32 FILE OFFSET VALUE     a 32-bit little-endian number
#   le32_at FILE OFFSET

byte_at() {
	od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' '
}

put_byte() {
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

flip_byte() {
	put_byte "$1" "$2" $(($(byte_at "$1" "$2") ^ 255))
}

put_le32() {
	local i
	for i in 0 1 2 3; do
		put_byte "$1" $(($2 + i)) $((($3 >> (8 * i)) & 255))
	done
}

le32_at() {
	od -An -tu4 -j "$2" -N 4 "$1" | tr -d ' '
}
