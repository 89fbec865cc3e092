/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SD layout arithmetic, for cards from 64 MiB to 2 TiB, held to
 * fatgen103: clusters of 32 KiB at most, 65525 of them at least. */
#include "config.h"

#include <errno.h>

#include "fat/layout.h"
#include "lib/strutils.h"
#include "tap.h"

/* What every card's layout must satisfy, whatever its size. */
static void check_invariants(const char *what, uint64_t bytes, uint32_t want_spc)
{
	struct sd_layout l;
	uint64_t needed_fat, end;

	if (!ok(layout_compute(bytes, &l) == 0, "%s: a layout exists", what))
		return;
	is_int(l.part_start, 8192, "%s: partition at 4 MiB (sector 8192)", what);
	end = l.part_start + l.part_sectors;
	is_int(end, bytes / 512, "%s: partition spans to the last sector", what);
	is_int(l.data_start % 8192, 0, "%s: data area on a 4 MiB boundary", what);
	is_int(l.data_start, l.part_start + l.reserved_sectors + 2ULL * l.fat_sectors,
	       "%s: data area follows the reserved sectors and two FATs", what);
	ok(l.reserved_sectors >= 32 && l.reserved_sectors <= 255,
	   "%s: reserved sectors %u within what mformat accepts", what, l.reserved_sectors);
	if (want_spc)
		is_int(l.cluster_sectors, want_spc, "%s: cluster of %u KiB", what, want_spc / 2);
	ok(l.cluster_sectors <= 64, "%s: clusters of %u bytes, never above 32 KiB", what,
	   l.cluster_sectors * 512);
	ok(l.clusters >= 65525, "%s: %u clusters, enough for FAT32", what, l.clusters);
	/* the largest cluster that keeps 65525: twice as large would not */
	ok(l.cluster_sectors == 64 || l.clusters < 2 * (65525 + 16),
	   "%s: the largest clusters that keep 65525 of them", what);
	is_int(l.mbr_type, end <= 16450560 ? 0x0b : 0x0c,
	       "%s: MBR type 0x%02x (0x0b ends within CHS reach)", what, l.mbr_type);
	ok(l.heads >= 2 && l.heads <= 255 && (l.track_sectors == 32 || l.track_sectors == 63 ||
	   l.track_sectors == 16), "%s: the SD geometry (%u heads, %u sectors a track)", what,
	   l.heads, l.track_sectors);
	ok(bytes > 4032 * MiB || (uint64_t)1024 * l.heads * l.track_sectors * 512 >= bytes,
	   "%s: up to 4032 MiB, CHS reaches the whole card", what);
	needed_fat = ((uint64_t)l.clusters + 2) * 4;
	ok(needed_fat <= (uint64_t)l.fat_sectors * 512, "%s: the FAT holds every cluster", what);
	ok((uint64_t)l.fat_sectors * 512 - needed_fat < 4 * MiB + 512,
	   "%s: FAT grown by less than a boundary unit", what);
	is_int(l.data_start + (uint64_t)l.clusters * l.cluster_sectors <= end, 1,
	       "%s: clusters end inside the partition", what);
	/* Lost: 4 MiB before the partition, the FATs (and what aligns the
	 * data area), up to 4 MiB so the file starts on a boundary. */
	ok(bytes - layout_max_file(&l) < 12 * MiB + 2ULL * l.fat_sectors * 512,
	   "%s: all but the FATs and 12 MiB is room for UPDATE.APP", what);
	is_int(layout_max_file(&l) % layout_cluster_bytes(&l), 0,
	       "%s: room counted in whole clusters", what);
}

int main(void)
{
	struct sd_layout l;

	check_invariants("64 MiB", 64 * MiB, 1);	/* 512 B: 2 would leave too few */
	check_invariants("1 GiB", 1 * GiB, 16);		/* 64 would leave too few clusters */
	check_invariants("2.1 GiB", 2150 * MiB, 64);
	check_invariants("4 GiB", 4 * GiB, 64);
	check_invariants("8 GiB", 8 * GiB, 64);		/* SDHC: 32 KiB */
	check_invariants("16 GiB", 16 * GiB, 64);
	check_invariants("31 GiB", 31 * GiB, 64);
	check_invariants("31.9 GiB", (uint64_t)(31.9 * GiB) / 512 * 512, 64);
	/* SDXC: still 32 KiB, never the 64 KiB of FAT32-on-SDXC formatters */
	check_invariants("32.1 GiB", (uint64_t)(32.1 * GiB) / 512 * 512, 64);
	check_invariants("33 GiB", 33 * GiB, 64);
	check_invariants("64 GiB", 64 * GiB, 64);
	check_invariants("128 GiB", 128 * GiB, 64);
	check_invariants("2 TiB", 2048 * GiB, 64);
	/* A real 16 GB card: 15,523,840 sectors after the first 4 MiB. */
	check_invariants("16 GB card", (15523840ULL + 8192) * 512, 64);

	/* 2 TiB: 64 Mi clusters of 32 KiB, a FAT of 256 MiB. */
	ok(!layout_compute(2048 * GiB, &l), "2 TiB: a layout");
	ok(l.clusters > 67000000 && l.clusters < 64 * 1048576, "2 TiB: %u clusters (64 Mi less the FATs)",
	   l.clusters);
	ok(l.fat_sectors * 512ULL > 255 * MiB && l.fat_sectors * 512ULL <= 256 * MiB + 4 * MiB,
	   "2 TiB: a FAT of %u sectors (256 MiB)", l.fat_sectors);

	/* The smallest card that holds a FAT32 by the specification: 65541
	 * clusters of 512 bytes, their FATs, and the first 8 MiB. */
	{
		uint64_t lo = 8 * MiB, hi = 64 * MiB;

		while (hi - lo > MiB) {
			uint64_t mid = lo + (hi - lo) / 2 / MiB * MiB;

			if (layout_compute(mid, &l) == 0)
				hi = mid;
			else
				lo = mid;
		}
		ok(hi > 40 * MiB && hi <= 42 * MiB, "the smallest card for FAT32 is %llu MiB",
		   (unsigned long long)(hi / MiB));
		ok(layout_compute(hi, &l) == 0 && l.cluster_sectors == 1 && l.clusters >= 65525,
		   "there: 512-byte clusters, at least 65525");
		is_int(layout_compute(hi - MiB, &l), -ERANGE, "1 MiB less: refused");
	}

	/* CHS fields: in reach, and 1023/254/63 past it. */
	{
		uint8_t chs[3];

		layout_compute(1 * GiB, &l);		/* 64 heads, 63 sectors */
		layout_chs(&l, 8192, chs);
		ok(chs[0] == 2 && chs[1] == 3 && chs[2] == 2, "CHS of sector 8192: 2/2/3");
		layout_chs(&l, 2097151, chs);
		ok(chs[0] == 8 && chs[1] == (8 | 0x80) && chs[2] == 0x08, "CHS of the last: 520/8/8");
		layout_compute(8 * GiB, &l);
		layout_chs(&l, 16450559, chs);
		ok(chs[0] == 254 && chs[1] == 0xff && chs[2] == 0xff, "the last CHS sector: 1023/254/63");
		layout_chs(&l, 16450560, chs);
		ok(chs[0] == 0xfe && chs[1] == 0xff && chs[2] == 0xff, "past it: FE FF FF");
	}
	ok(!layout_compute(16450560ULL * 512, &l) && l.mbr_type == 0x0b,
	   "a partition ending at sector 16,450,560: type 0x0B");
	ok(!layout_compute(16450561ULL * 512, &l) && l.mbr_type == 0x0c, "one sector more: 0x0C");

	/* Above 2 TiB: the first 2 TiB, an MBR partition ending within 2^32. */
	ok(!layout_compute(2048 * GiB, &l) && !layout_capped(&l), "2 TiB: all of it is used");
	ok(layout_compute(2048 * GiB + 512, &l) == 0 && layout_capped(&l),
	   "2 TiB and a sector: capped");
	ok(layout_compute(2560 * GiB, &l) == 0, "2.5 TiB: a layout exists");
	is_int(l.part_start + l.part_sectors, 1ULL << 32, "2.5 TiB: the partition ends at 2^32 sectors");
	is_int(layout_used_bytes(&l), 2048 * GiB, "2.5 TiB: 2 TiB used");
	ok(layout_capped(&l), "2.5 TiB: the rest left unused");
	is_int(l.card_sectors, 2560 * GiB / 512, "2.5 TiB: the card's own size is kept");
	is_int(l.cluster_sectors, 64, "2.5 TiB: 32 KiB clusters");
	is_int(l.data_start % 8192, 0, "2.5 TiB: data area on a 4 MiB boundary");
	ok(l.data_start + (uint64_t)l.clusters * l.cluster_sectors <= 1ULL << 32,
	   "2.5 TiB: clusters end inside the partition");
	ok((uint64_t)l.fat_sectors * 512 >= ((uint64_t)l.clusters + 2) * 4,
	   "2.5 TiB: the FAT holds every cluster");
	ok(layout_compute(16384 * GiB, &l) == 0 && l.part_start + l.part_sectors == 1ULL << 32,
	   "16 TiB: 2 TiB laid out too");
	ok(layout_max_file(&l) > 2040 * GiB, "16 TiB: nearly 2 TiB of room for the file");

	is_int(layout_compute(8 * MiB, &l), -ERANGE, "an 8 MiB card is too small for FAT32");
	is_int(layout_compute(0, &l), -ERANGE, "a card of no size is refused");

	ok(layout_min_card(1 * GiB) > 1 * GiB && layout_min_card(1 * GiB) < 1 * GiB + 64 * MiB,
	   "a 1 GiB file needs a card a little larger than 1 GiB");
	ok(layout_compute(layout_min_card(100 * MiB), &l) == 0 && layout_max_file(&l) >= 100 * MiB,
	   "the minimum card for a file holds it");
	ok(layout_compute(layout_min_card(100 * MiB) - MiB, &l) != 0 ||
	   layout_max_file(&l) < 100 * MiB, "a card 1 MiB below the minimum does not");
	return done_testing();
}
