/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stddef.h>

#include "fat/layout.h"

#define MiB_UNIT (1024ULL * 1024)

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* Data clusters left when the FATs take fat_sectors each. */
static uint64_t count_clusters(const struct sd_layout *l, uint64_t reserved, uint64_t fat_sectors)
{
	uint64_t meta = reserved + LAYOUT_NFATS * fat_sectors;

	if (meta >= l->part_sectors)
		return 0;
	return (l->part_sectors - meta) / l->cluster_sectors;
}

/* Enough FAT sectors for every cluster, entries 0 and 1 included. */
static int fat_fits(const struct sd_layout *l, uint64_t reserved, uint64_t fat_sectors)
{
	uint64_t n = count_clusters(l, reserved, fat_sectors);

	return (n + 2) * 4 <= fat_sectors * LAYOUT_SECTOR;
}

/*
 * The SD rule sizes the reserved area so that the data area starts on a
 * boundary unit.  mformat cannot make the reserved area that large, so grow
 * the FATs instead (doc/sd-layout.md): the smallest FAT size, not below what
 * the clusters need, for which the reserved sectors that align the data area
 * fall between 32 and 255.  Each extra FAT sector moves the data area by two
 * sectors, so a fit is found within half a boundary unit.
 */
static int choose_fat(struct sd_layout *l)
{
	uint64_t fat = 1, res, end;

	/* The FAT size needed, ignoring the FATs' own space: an upper bound. */
	fat = div_round_up((count_clusters(l, LAYOUT_RESERVED_MIN, 0) + 2) * 4, LAYOUT_SECTOR);
	/* Shrink it to the least that still fits. */
	while (fat > 1 && fat_fits(l, LAYOUT_RESERVED_MAX, fat - 1))
		fat--;

	for (end = fat + LAYOUT_BU_SECTORS; fat < end; fat++) {
		uint64_t used = l->part_start + LAYOUT_NFATS * fat;

		res = (LAYOUT_BU_SECTORS - used % LAYOUT_BU_SECTORS) % LAYOUT_BU_SECTORS;
		if (res >= LAYOUT_RESERVED_MIN && res <= LAYOUT_RESERVED_MAX &&
		    fat_fits(l, res, fat)) {
			l->reserved_sectors = (uint32_t)res;
			l->fat_sectors = (uint32_t)fat;
			return 0;
		}
	}
	return -ERANGE;
}

/*
 * The SD Association's CHS geometry by capacity (heads, sectors per track);
 * from 4032 MiB up, 255 and 63, the most CHS can say.
 */
static void choose_geometry(struct sd_layout *l)
{
	static const struct { uint32_t mib, heads, track; } table[] = {
		{ 2, 2, 16 }, { 16, 2, 32 }, { 32, 4, 32 }, { 128, 8, 32 }, { 256, 16, 32 },
		{ 504, 16, 63 }, { 1008, 32, 63 }, { 2016, 64, 63 }, { 4032, 128, 63 },
	};
	uint64_t mib = l->card_sectors * LAYOUT_SECTOR / MiB_UNIT;
	size_t i;

	l->heads = 255;
	l->track_sectors = 63;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (mib <= table[i].mib) {
			l->heads = table[i].heads;
			l->track_sectors = table[i].track;
			break;
		}
	}
}

void layout_chs(const struct sd_layout *l, uint64_t lba, uint8_t chs[3])
{
	uint64_t per_cyl = (uint64_t)l->heads * l->track_sectors;
	uint64_t c = lba / per_cyl;
	uint32_t h = (uint32_t)(lba % per_cyl / l->track_sectors);
	uint32_t s = (uint32_t)(lba % l->track_sectors) + 1;

	if (c > 1023) {
		chs[0] = 0xfe;
		chs[1] = 0xff;
		chs[2] = 0xff;
		return;
	}
	chs[0] = (uint8_t)h;
	chs[1] = (uint8_t)(s | (c >> 2 & 0xc0));
	chs[2] = (uint8_t)c;
}

int layout_compute(uint64_t card_bytes, struct sd_layout *l)
{
	uint32_t spc;
	uint64_t n;

	l->card_sectors = card_bytes / LAYOUT_SECTOR;
	l->part_start = LAYOUT_PART_START;
	if (l->card_sectors <= l->part_start + LAYOUT_BU_SECTORS)
		return -ERANGE;
	l->part_sectors = (l->card_sectors < LAYOUT_MBR_MAX_SECTORS ? l->card_sectors :
			   LAYOUT_MBR_MAX_SECTORS) - l->part_start;

	/* 32 KiB clusters, as the SD layout wants from 4 GiB up and fatgen103
	 * allows at most; halved on small cards until there are 65525, below
	 * which a reader takes the volume for FAT16 (a margin of 16 for
	 * readers that count a little differently).  A card too small for
	 * that with 512-byte clusters cannot hold a FAT32 (about 40 MiB). */
	for (spc = LAYOUT_MAX_CLUSTER_SECTORS;; spc /= 2) {
		l->cluster_sectors = spc;
		if (choose_fat(l) == 0) {
			n = count_clusters(l, l->reserved_sectors, l->fat_sectors);
			if (n >= LAYOUT_FAT32_MIN_CLUSTERS + 16)
				break;
		}
		if (spc == 1)
			return -ERANGE;
	}
	/* 2 TiB in 32 KiB clusters is 64 Mi of them, far below the limit. */
	if (n > LAYOUT_FAT32_MAX_CLUSTERS - 16)
		return -ERANGE;
	l->clusters = (uint32_t)n;
	l->data_start = l->part_start + l->reserved_sectors +
			(uint64_t)LAYOUT_NFATS * l->fat_sectors;
	choose_geometry(l);
	l->mbr_type = l->part_start + l->part_sectors <= LAYOUT_CHS_MAX_SECTORS ?
		      LAYOUT_MBR_TYPE_CHS : LAYOUT_MBR_TYPE_LBA;
	return 0;
}

uint64_t layout_max_file(const struct sd_layout *l)
{
	uint64_t cb = layout_cluster_bytes(l);
	uint64_t skip = (uint64_t)LAYOUT_BU_SECTORS * LAYOUT_SECTOR / cb;

	/* root (cluster 2) and dload/ (3) live in the first boundary unit,
	 * the file starts at the next one. */
	if (skip < 2)
		skip = 2;
	if (l->clusters <= skip)
		return 0;
	return (uint64_t)(l->clusters - skip) * cb;
}

uint64_t layout_min_card(uint64_t file_bytes)
{
	uint64_t lo = (uint64_t)(LAYOUT_PART_START + LAYOUT_BU_SECTORS) * LAYOUT_SECTOR;
	uint64_t hi = 1ULL << 44;	/* 16 TiB: beyond any SD card */
	struct sd_layout l;

	if (layout_compute(hi, &l) || layout_max_file(&l) < file_bytes)
		return 0;
	/* Capacity grows with the card size, so bisect on MiB steps. */
	lo /= MiB_UNIT;
	hi /= MiB_UNIT;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (layout_compute(mid * MiB_UNIT, &l) == 0 && layout_max_file(&l) >= file_bytes)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo * MiB_UNIT;
}
