/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the start of a partition holds: FAT32 (judged fully by fat_open()),
 * FAT12/16, exFAT, NTFS, ext2/3/4, a partition table, zeros.  The facts are
 * those of Microsoft's FAT specification and of the ext4 superblock; a user
 * who points verify at the wrong thing is told what it is.
 */
#include <errno.h>
#include <string.h>

#include "fat/fat_private.h"
#include "lib/nls.h"

#define FAT12_MAX_CLUSTERS 4084u


const char *fat_kind_name(enum fat_kind kind)
{
	switch (kind) {
	case FAT_KIND_FAT32:		return "FAT32";
	case FAT_KIND_FAT16:		return "FAT16";
	case FAT_KIND_FAT12:		return "FAT12";
	case FAT_KIND_EXFAT:		return "exFAT";
	case FAT_KIND_NTFS:		return "NTFS";
	case FAT_KIND_EXT2:		return "ext2";
	case FAT_KIND_EXT3:		return "ext3";
	case FAT_KIND_EXT4:		return "ext4";
	case FAT_KIND_PARTITION_TABLE:	return _("a partition table (a whole disk, not a partition)");
	case FAT_KIND_BLANK:		return _("no file system (blank)");
	case FAT_KIND_TOO_SMALL:	return _("nothing (the partition is too small)");
	case FAT_KIND_UNKNOWN:		break;
	}
	return _("an unknown file system");
}

bool fat_valid_bps(unsigned bps)
{
	return bps == 512 || bps == 1024 || bps == 2048 || bps == 4096;
}

/* The BIOS parameter block common to FAT12, FAT16 and FAT32. */
static bool bpb_plausible(const uint8_t *b)
{
	unsigned spc = b[13], media = b[21];

	return fat_valid_bps(get_le16(b + 11)) && fat_is_pow2(spc) &&
	       get_le16(b + 14) != 0 && b[16] != 0 && (media == 0xf0 || media >= 0xf8);
}

/* FAT12 or FAT16: the type follows from the cluster count alone. */
static enum fat_kind fat1x_kind(const uint8_t *b)
{
	uint64_t bps = get_le16(b + 11), spc = b[13];
	uint64_t root_secs = ((uint64_t)get_le16(b + 17) * DIR_ENT + bps - 1) / bps;
	uint64_t total = get_le16(b + 19) ? get_le16(b + 19) : get_le32(b + 32);
	uint64_t meta = get_le16(b + 14) + (uint64_t)b[16] * get_le16(b + 22) + root_secs;

	if (total <= meta)
		return FAT_KIND_UNKNOWN;
	return (total - meta) / spc <= FAT12_MAX_CLUSTERS ? FAT_KIND_FAT12
							  : FAT_KIND_FAT16;
}

static enum fat_kind ext_kind(const uint8_t *sb)
{
	uint32_t compat = get_le32(sb + 0x5c), incompat = get_le32(sb + 0x60);
	uint32_t ro_compat = get_le32(sb + 0x64);

	/* extents, 64bit, flex_bg; huge_file, gdt_csum, dir_nlink,
	 * extra_isize, metadata_csum: features ext3 never had */
	if (incompat & (0x40 | 0x80 | 0x200) ||
	    ro_compat & (0x8 | 0x10 | 0x20 | 0x40 | 0x400))
		return FAT_KIND_EXT4;
	if (compat & 0x4)	/* has_journal */
		return FAT_KIND_EXT3;
	return FAT_KIND_EXT2;
}

static bool all_bytes(const uint8_t *b, size_t len, uint8_t c)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != c)
			return false;
	return true;
}

/* Boot code of a FAT boot sector can look like partition entries: ask for
 * entries that are either all zeros or used, with a start and a length. */
static bool is_mbr(const uint8_t *b)
{
	bool any = false;

	if (b[510] != 0x55 || b[511] != 0xaa)
		return false;
	for (int i = 0; i < 4; i++) {
		const uint8_t *p = b + 446 + 16 * i;

		if (p[4] == 0) {
			if (!all_bytes(p, 16, 0))
				return false;
			continue;
		}
		if ((p[0] != 0 && p[0] != 0x80) || get_le32(p + 8) == 0 || get_le32(p + 12) == 0)
			return false;
		any = true;
	}
	return any;
}

enum fat_kind fat_identify_buf(const uint8_t *b, size_t len)
{
	if (!memcmp(b + 3, "EXFAT   ", 8))
		return FAT_KIND_EXFAT;
	if (!memcmp(b + 3, "NTFS    ", 8))
		return FAT_KIND_NTFS;
	if (bpb_plausible(b))
		return get_le16(b + 22) == 0 ? FAT_KIND_FAT32 : fat1x_kind(b);
	/* a damaged BPB still names its type: let fat_open() say what is wrong */
	if (!memcmp(b + 82, "FAT32   ", 8))
		return FAT_KIND_FAT32;
	if (!memcmp(b + 54, "FAT16   ", 8))
		return FAT_KIND_FAT16;
	if (!memcmp(b + 54, "FAT12   ", 8))
		return FAT_KIND_FAT12;
	if (len >= 2048 && get_le16(b + 1024 + 0x38) == 0xef53 &&
	    get_le32(b + 1024 + 0x18) <= 6)	/* s_log_block_size: up to 64 KiB */
		return ext_kind(b + 1024);
	if (is_mbr(b) || (len >= 1024 && !memcmp(b + 512, "EFI PART", 8)))
		return FAT_KIND_PARTITION_TABLE;
	if (all_bytes(b, len, 0) || all_bytes(b, len, 0xff))
		return FAT_KIND_BLANK;
	return FAT_KIND_UNKNOWN;
}

int fat_probe_read(const struct fat_io *io, uint64_t part_offset,
		   uint64_t part_size, uint8_t *buf, size_t *len)
{
	*len = part_size < FAT_PROBE_LEN ? (size_t)(part_size & ~511ull) : FAT_PROBE_LEN;
	if (*len == 0)
		return 0;
	return fat_io_result(io->read(io->ctx, part_offset, buf, *len));
}

int fat_identify(const struct fat_io *io, uint64_t part_offset,
		 uint64_t part_size, enum fat_kind *kind, struct errmsg *e)
{
	uint8_t *buf = fat_io_alloc(FAT_PROBE_LEN);
	size_t len;
	int r;

	if (!buf)
		return errmsg_set(e, -ENOMEM, _("no memory to read the partition"));
	r = fat_probe_read(io, part_offset, part_size, buf, &len);
	if (r == 0)
		*kind = len ? fat_identify_buf(buf, len) : FAT_KIND_TOO_SMALL;
	free(buf);
	if (r < 0)
		return errmsg_set(e, r, _("cannot read the partition at card offset %llu: %s"),
				  (unsigned long long)part_offset, strerror(-r));
	return 0;
}
