/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FAT_LAYOUT_H
#define DLOADCARD_FAT_LAYOUT_H

#include <stdint.h>

/*
 * The SD Association's layout for a FAT32 card, in 512-byte sectors, held
 * to Microsoft's FAT specification (fatgen103) wherever a bootloader's FAT
 * reader could stumble: one partition starting at the boundary unit
 * (4 MiB), two FATs, the data area starting on a boundary unit too, never
 * a cluster above 32 KiB, never fewer than 65,525 clusters.
 * doc/sd-layout.md has the why.
 */
#define LAYOUT_SECTOR		512U
#define LAYOUT_BU_SECTORS	8192U		/* 4 MiB */
#define LAYOUT_PART_START	LAYOUT_BU_SECTORS
#define LAYOUT_NFATS		2U
#define LAYOUT_MBR_TYPE_CHS	0x0b		/* FAT32, within CHS reach */
#define LAYOUT_MBR_TYPE_LBA	0x0c		/* FAT32, LBA only */
/* 1024 cylinders x 255 heads x 63 sectors: the end of CHS addressing.  A
 * partition that ends at or before it gets type 0x0B, as the SD layout. */
#define LAYOUT_CHS_MAX_SECTORS	16450560ULL
#define LAYOUT_FAT32_MIN_CLUSTERS 65525U	/* fewer and it would be FAT16 */
#define LAYOUT_FAT32_MAX_CLUSTERS 0x0FFFFFF5U
/* "A bytes-per-cluster value greater than 32K must not be used"
 * (fatgen103): readers that hold it in 16 bits fail on 64 KiB. */
#define LAYOUT_MAX_CLUSTER_SECTORS 64U		/* 32 KiB */
/* mformat caps the reserved area at 255 sectors; FAT32 wants at least 32. */
#define LAYOUT_RESERVED_MIN	32U
#define LAYOUT_RESERVED_MAX	255U
/* An MBR partition must end within 2^32 sectors (2 TiB): a larger card gets
 * its first 2 TiB laid out, the rest left unused. */
#define LAYOUT_MBR_MAX_SECTORS	(1ULL << 32)
/* The boot sector's fields that mformat does not set as fatgen103 wants. */
#define LAYOUT_OEM_NAME		"MSWIN4.1"	/* the least surprising to readers */
#define LAYOUT_DRIVE_NUMBER	0x80		/* a partitioned, hard-disk-like medium */
#define LAYOUT_MEDIA		0xf8		/* fixed media */

struct sd_layout {
	uint64_t card_sectors;
	uint64_t part_start;		/* = hidden sectors */
	uint64_t part_sectors;
	uint32_t cluster_sectors;
	uint32_t reserved_sectors;
	uint32_t fat_sectors;		/* one FAT */
	uint64_t data_start;		/* absolute sector of cluster 2 */
	uint32_t clusters;		/* data clusters */
	/* The SD layout's CHS geometry (MBR and BPB), by capacity. */
	uint32_t heads;
	uint32_t track_sectors;
	uint8_t mbr_type;		/* LAYOUT_MBR_TYPE_CHS or _LBA */
};

/*
 * Compute the layout for a card of card_bytes: the partition from 4 MiB to
 * the last sector, or to 2 TiB on a larger card.  Returns 0, or -ERANGE when
 * the card is too small to hold a FAT32 file system after the first 4 MiB.
 */
int layout_compute(uint64_t card_bytes, struct sd_layout *l);

/* The bytes of the card the layout uses: all of it, or the first 2 TiB. */
static inline uint64_t layout_used_bytes(const struct sd_layout *l)
{
	return (l->part_start + l->part_sectors) * LAYOUT_SECTOR;
}

/* Does the layout leave the end of the card unused (beyond 2 TiB)? */
static inline int layout_capped(const struct sd_layout *l)
{
	return l->part_start + l->part_sectors < l->card_sectors;
}

static inline uint64_t layout_cluster_bytes(const struct sd_layout *l)
{
	return (uint64_t)l->cluster_sectors * LAYOUT_SECTOR;
}

/* Absolute byte offset of a data cluster (the first is cluster 2). */
static inline uint64_t layout_cluster_offset(const struct sd_layout *l, uint32_t cluster)
{
	return (l->data_start + (uint64_t)(cluster - 2) * l->cluster_sectors) * LAYOUT_SECTOR;
}

/*
 * Sector lba as the 3 bytes of an MBR CHS field (head; sector and the
 * cylinder's high bits; the cylinder's low byte) in the layout's geometry;
 * past cylinder 1023, the conventional 0xFE 0xFF 0xFF (1023/254/63).
 */
void layout_chs(const struct sd_layout *l, uint64_t lba, uint8_t chs[3]);

/*
 * The largest file the layout can hold as dload/UPDATE.APP: every cluster
 * but the root and dload/ directories, less the clusters skipped so that the
 * file starts on a boundary unit.
 */
uint64_t layout_max_file(const struct sd_layout *l);

/* The smallest card that can hold a file of file_bytes; 0 if none can. */
uint64_t layout_min_card(uint64_t file_bytes);

#endif
