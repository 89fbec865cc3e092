/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SD layout arithmetic, for cards from 64 MiB to 2 TiB. */
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
	ok(l.clusters >= 65525, "%s: %u clusters, enough for FAT32", what, l.clusters);
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

	check_invariants("64 MiB", 64 * MiB, 0);
	check_invariants("1 GiB", 1 * GiB, 16);		/* 64 would leave too few clusters */
	check_invariants("8 GiB", 8 * GiB, 64);		/* SDHC: 32 KiB */
	check_invariants("16 GiB", 16 * GiB, 64);
	check_invariants("31.9 GiB", (uint64_t)(31.9 * GiB) / 512 * 512, 64);
	check_invariants("32.1 GiB", (uint64_t)(32.1 * GiB) / 512 * 512, 128);	/* SDXC: 64 KiB */
	check_invariants("64 GiB", 64 * GiB, 128);
	check_invariants("128 GiB", 128 * GiB, 128);
	check_invariants("2 TiB", 2048 * GiB, 128);
	/* A real 16 GB card: 15,523,840 sectors after the first 4 MiB. */
	check_invariants("16 GB card", (15523840ULL + 8192) * 512, 64);

	/* Above 2 TiB: the first 2 TiB, an MBR partition ending within 2^32. */
	ok(!layout_compute(2048 * GiB, &l) && !layout_capped(&l), "2 TiB: all of it is used");
	ok(layout_compute(2048 * GiB + 512, &l) == 0 && layout_capped(&l),
	   "2 TiB and a sector: capped");
	ok(layout_compute(2560 * GiB, &l) == 0, "2.5 TiB: a layout exists");
	is_int(l.part_start + l.part_sectors, 1ULL << 32, "2.5 TiB: the partition ends at 2^32 sectors");
	is_int(layout_used_bytes(&l), 2048 * GiB, "2.5 TiB: 2 TiB used");
	ok(layout_capped(&l), "2.5 TiB: the rest left unused");
	is_int(l.card_sectors, 2560 * GiB / 512, "2.5 TiB: the card's own size is kept");
	is_int(l.cluster_sectors, 128, "2.5 TiB: 64 KiB clusters");
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
