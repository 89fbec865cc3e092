#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Seed corpus for fuzz_fat: small FAT32 images made by mtools and dosfstools,
# cut after their last metadata (fuzz_fat reads the rest of the card as zeros).
# Usage: fuzz_fat-seeds.sh DIR
set -eu
dir=${1:?usage: $0 DIR}
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
export MTOOLSRC=/dev/null MTOOLS_SKIP_CHECK=1
PATH=$PATH:/usr/sbin:/sbin

printf 'hello\n' > "$work/h.txt"
head -c 5000 /dev/zero | tr '\0' 'U' > "$work/u.bin"

# $1: name, $2: number of FATs, $3: bytes to keep
mtools_seed() {
	img=$work/$1.img
	truncate -s 33M "$img"
	mformat -i "$img" -F -T 67584 -c 1 -d "$2" -v SEED ::
	mmd -i "$img" ::dload ::dload/sub ::DLOAD2
	mcopy -i "$img" "$work/h.txt" "::dload/Long File Name.txt"
	mcopy -i "$img" /dev/null ::dload/UPDATE.TMP
	mcopy -i "$img" "$work/u.bin" ::dload/UPDATE.APP
	mcopy -i "$img" "$work/h.txt" ::dload/sub/x.txt
	head -c "$3" "$img" > "$dir/$1"
}

mtools_seed mtools-1fat 1 300K
mtools_seed mtools-2fat 2 600K

# fewer clusters than FAT32 should have: mtools will not touch it, the FAT reader will
truncate -s 200K "$work/small.img"
mkfs.fat -F 32 -s 1 -R 4 -n SMALL "$work/small.img" >/dev/null 2>&1
cp "$work/small.img" "$dir/mkfs-small"
