/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * FAT32: a read-only auditor (verify) and the contiguous allocation of one
 * file (prepare).  The facts used here are those of Microsoft's "FAT: General
 * Overview of On-Disk Format" (boot sector, FSInfo, FAT entries, directory
 * entries and long names); the rest is checked against mtools and dosfstools
 * by the tests.
 *
 * Nothing read from the card is trusted: boot-sector fields are validated
 * once in fat_open(), and every cluster number met afterwards is range
 * checked before it is used.  Walks are bounded by a bitmap, a length or a
 * directory-size cap, so a corrupt card cannot make the library loop.
 */
#include "fat/fat.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAT_MASK        0x0fffffffu  /* FAT32 entries are 28 bits; 4 reserved */
#define FAT_EOC         0x0fffffffu
#define FAT_EOC_MIN     0x0ffffff8u
#define FAT_BAD         0x0ffffff7u
#define FAT_RSVD_MIN    0x0ffffff0u
#define FAT32_MAX_CLUSTERS 0x0ffffff5u
#define FAT16_MAX_CLUSTERS 65524u
#define FAT12_MAX_CLUSTERS 4084u

#define PROBE_LEN       4096u          /* enough for a BPB, GPT header, ext sb */
#define FAT_WIN         (256u * 1024)  /* FAT cache window */
#define CHUNK           (64u * 1024)   /* FAT comparisons and updates */
#define DIR_WIN         4096u          /* directory read-ahead */
#define DIR_MAX_ENTRIES 65536u         /* the spec's limit: 2 MiB of entries */
#define DIR_ENT         32u
#define LFN_MAX_ENTRIES 20u            /* 20 x 13 >= 255 characters */
#define LFN_CHARS       13u
#define LFN_MAX_NAME    255u
#define MAX_DEPTH       128u           /* a 260-character path is ~130 levels */
#define MAX_ALIGN       (1ull << 30)
#define IO_ALIGN        4096u

#define FSINFO_LEAD     0x41615252u
#define FSINFO_STRUC    0x61417272u
#define FSINFO_TRAIL    0xaa550000u

#define ATTR_LFN        0x0fu
#define ATTR_LFN_MASK   0x3fu

struct fat_vol {
	struct fat_io io;
	struct fat_geom g;
	uint8_t *win;           /* FAT cache: one window of one FAT copy */
	uint64_t win_start;     /* byte offset inside that FAT */
	uint32_t win_copy;
	uint32_t win_len;
	bool win_valid;
	char err[256];
};

struct fat_dir {
	struct fat_vol *v;
	uint32_t cluster;       /* cluster being read */
	uint32_t pos;           /* offset of the next entry inside it */
	uint8_t *buf;
	uint32_t buf_len;
	uint32_t buf_start;     /* offset of buf inside the cluster */
	bool buf_valid;
	uint32_t entries;
	bool end;
	/* long name being assembled: entries come last part first */
	uint16_t lfn[LFN_MAX_ENTRIES * LFN_CHARS];
	bool lfn_active;
	unsigned lfn_count;     /* parts announced by the first entry */
	unsigned lfn_next;      /* sequence number expected next; 0: complete */
	uint8_t lfn_sum;
	bool lfn_broken;        /* parts were dropped since the last 8.3 entry */
};

/* Little-endian access: the card's byte order, whatever the host's. */
static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* I/O buffers are page aligned so that an O_DIRECT callback can use them. */
static void *io_alloc(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, IO_ALIGN, len))
		return NULL;
	return p;
}

static void set_err(struct fat_vol *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_err(struct fat_vol *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
}

static int io_result(int r)
{
	/* A callback that returns a positive value has broken its contract. */
	return r > 0 ? -EIO : r;
}

static int vol_read(struct fat_vol *v, uint64_t off, void *buf, size_t len)
{
	int r;

	if (off > v->g.part_size || len > v->g.part_size - off) {
		set_err(v, "read of %zu bytes at %llu is outside the partition",
			len, (unsigned long long)off);
		return -EINVAL;
	}
	r = io_result(v->io.read(v->io.ctx, v->g.part_offset + off, buf, len));
	if (r < 0)
		set_err(v, "cannot read %zu bytes at card offset %llu: %s", len,
			(unsigned long long)(v->g.part_offset + off), strerror(-r));
	return r;
}

static int vol_write(struct fat_vol *v, uint64_t off, const void *buf, size_t len)
{
	int r;

	if (!v->io.write) {
		set_err(v, "the card is open read-only");
		return -EROFS;
	}
	if (off > v->g.part_size || len > v->g.part_size - off) {
		set_err(v, "write of %zu bytes at %llu is outside the partition",
			len, (unsigned long long)off);
		return -EINVAL;
	}
	r = io_result(v->io.write(v->io.ctx, v->g.part_offset + off, buf, len));
	if (r < 0)
		set_err(v, "cannot write %zu bytes at card offset %llu: %s", len,
			(unsigned long long)(v->g.part_offset + off), strerror(-r));
	return r;
}

/* ------------------------------------------------------------------ */
/* What is on the partition                                            */

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
	case FAT_KIND_PARTITION_TABLE:	return "a partition table (a whole disk, not a partition)";
	case FAT_KIND_BLANK:		return "no file system (blank)";
	case FAT_KIND_TOO_SMALL:	return "nothing (the partition is too small)";
	case FAT_KIND_UNKNOWN:		break;
	}
	return "an unknown file system";
}

static bool valid_bps(unsigned bps)
{
	return bps == 512 || bps == 1024 || bps == 2048 || bps == 4096;
}

/* The BIOS parameter block common to FAT12, FAT16 and FAT32. */
static bool bpb_plausible(const uint8_t *b)
{
	unsigned spc = b[13], media = b[21];

	return valid_bps(le16(b + 11)) && is_pow2(spc) && le16(b + 14) != 0 &&
	       b[16] != 0 && (media == 0xf0 || media >= 0xf8);
}

/* FAT12 or FAT16: the type follows from the cluster count alone. */
static enum fat_kind fat1x_kind(const uint8_t *b)
{
	uint64_t bps = le16(b + 11), spc = b[13];
	uint64_t root_secs = ((uint64_t)le16(b + 17) * DIR_ENT + bps - 1) / bps;
	uint64_t total = le16(b + 19) ? le16(b + 19) : le32(b + 32);
	uint64_t meta = le16(b + 14) + (uint64_t)b[16] * le16(b + 22) + root_secs;

	if (total <= meta)
		return FAT_KIND_UNKNOWN;
	return (total - meta) / spc <= FAT12_MAX_CLUSTERS ? FAT_KIND_FAT12
							  : FAT_KIND_FAT16;
}

static enum fat_kind ext_kind(const uint8_t *sb)
{
	uint32_t compat = le32(sb + 0x5c), incompat = le32(sb + 0x60);
	uint32_t ro_compat = le32(sb + 0x64);

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
		if ((p[0] != 0 && p[0] != 0x80) || le32(p + 8) == 0 || le32(p + 12) == 0)
			return false;
		any = true;
	}
	return any;
}

static enum fat_kind identify_buf(const uint8_t *b, size_t len)
{
	if (!memcmp(b + 3, "EXFAT   ", 8))
		return FAT_KIND_EXFAT;
	if (!memcmp(b + 3, "NTFS    ", 8))
		return FAT_KIND_NTFS;
	if (bpb_plausible(b))
		return le16(b + 22) == 0 ? FAT_KIND_FAT32 : fat1x_kind(b);
	/* a damaged BPB still names its type: let fat_open() say what is wrong */
	if (!memcmp(b + 82, "FAT32   ", 8))
		return FAT_KIND_FAT32;
	if (!memcmp(b + 54, "FAT16   ", 8))
		return FAT_KIND_FAT16;
	if (!memcmp(b + 54, "FAT12   ", 8))
		return FAT_KIND_FAT12;
	if (len >= 2048 && le16(b + 1024 + 0x38) == 0xef53 &&
	    le32(b + 1024 + 0x18) <= 6)	/* s_log_block_size: up to 64 KiB */
		return ext_kind(b + 1024);
	if (is_mbr(b) || (len >= 1024 && !memcmp(b + 512, "EFI PART", 8)))
		return FAT_KIND_PARTITION_TABLE;
	if (all_bytes(b, len, 0) || all_bytes(b, len, 0xff))
		return FAT_KIND_BLANK;
	return FAT_KIND_UNKNOWN;
}

/* Reads the first (up to) 4 KiB of the partition into buf. */
static int probe_read(const struct fat_io *io, uint64_t part_offset,
		      uint64_t part_size, uint8_t *buf, size_t *len)
{
	*len = part_size < PROBE_LEN ? (size_t)(part_size & ~511ull) : PROBE_LEN;
	if (*len == 0)
		return 0;
	return io_result(io->read(io->ctx, part_offset, buf, *len));
}

int fat_identify(const struct fat_io *io, uint64_t part_offset,
		 uint64_t part_size, enum fat_kind *kind)
{
	uint8_t *buf = io_alloc(PROBE_LEN);
	size_t len;
	int r;

	if (!buf)
		return -ENOMEM;
	r = probe_read(io, part_offset, part_size, buf, &len);
	if (r == 0)
		*kind = len ? identify_buf(buf, len) : FAT_KIND_TOO_SMALL;
	free(buf);
	return r;
}

/* ------------------------------------------------------------------ */
/* Boot sector, FSInfo                                                 */

const char *fat_warning_text(unsigned warning)
{
	switch (warning) {
	case FAT_WARN_JUMP:
		return "the boot sector does not start with a jump instruction";
	case FAT_WARN_FEW_CLUSTERS:
		return "fewer than 65525 clusters: some systems take this for FAT16";
	case FAT_WARN_FSINFO:
		return "no valid FSInfo sector";
	case FAT_WARN_FSINFO_RANGE:
		return "the FSInfo free-cluster count or hint is out of range";
	case FAT_WARN_HIDDEN:
		return "the hidden-sector count is not the partition's start";
	case FAT_WARN_BACKUP_BOOT:
		return "the backup boot sector is missing or differs";
	case FAT_WARN_DIRTY:
		return "the file system was not cleanly unmounted";
	case FAT_WARN_HARD_ERRORS:
		return "the file system recorded disk errors";
	case FAT_WARN_FAT_ID:
		return "the first FAT entry does not carry the media byte";
	case FAT_WARN_NO_MIRROR:
		return "FAT mirroring is disabled: only one FAT is in use";
	case FAT_WARN_VERSION:
		return "the FAT32 version is not 0.0";
	}
	return NULL;
}

/* Copies an 11- or 8-byte blank-padded field, cutting trailing blanks. */
static void copy_field(char *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
	while (n > 0 && dst[n - 1] == ' ')
		dst[--n] = '\0';
}

/* The fields of sector 0, as they are: checked by check_bpb(). */
static void read_bpb(struct fat_geom *g, const uint8_t *b)
{
	uint16_t tot16 = le16(b + 19);

	g->bytes_per_sector = le16(b + 11);
	g->sectors_per_cluster = b[13];
	g->reserved_sectors = le16(b + 14);
	g->num_fats = b[16];
	g->media = b[21];
	g->hidden_sectors = le32(b + 28);
	/* like Linux: the 16-bit field wins when set, though FAT32 should not */
	g->total_sectors = tot16 ? tot16 : le32(b + 32);
	g->fat_sectors = le32(b + 36);
	g->ext_flags = le16(b + 40);
	g->root_cluster = le32(b + 44);
	g->fsinfo_sector = le16(b + 48);
	g->backup_boot_sector = le16(b + 50);
	g->cluster_size = g->bytes_per_sector * g->sectors_per_cluster;
	copy_field(g->oem, b + 3, 8);
	if (b[66] == 0x29) {	/* extended boot signature: id, label, type */
		g->has_volume_id = true;
		g->volume_id = le32(b + 67);
		copy_field(g->label, b + 71, 11);
		copy_field(g->fs_type, b + 82, 8);
	}
}

static int check_bpb(struct fat_vol *v, const uint8_t *b)
{
	struct fat_geom *g = &v->g;

	if (!((b[0] == 0xeb && b[2] == 0x90) || b[0] == 0xe9))
		g->warnings |= FAT_WARN_JUMP;
	if (!valid_bps(g->bytes_per_sector)) {
		set_err(v, "%u bytes per sector (512, 1024, 2048 or 4096)",
			g->bytes_per_sector);
		return -EUCLEAN;
	}
	if (!is_pow2(g->sectors_per_cluster)) {
		set_err(v, "%u sectors per cluster: not a power of two",
			g->sectors_per_cluster);
		return -EUCLEAN;
	}
	if (g->reserved_sectors == 0 || g->num_fats == 0) {
		set_err(v, "%u reserved sectors, %u FATs: neither may be 0",
			g->reserved_sectors, g->num_fats);
		return -EUCLEAN;
	}
	if (le16(b + 22) != 0) {
		set_err(v, "a 16-bit FAT size is set: FAT12/16, not FAT32");
		return -EUCLEAN;
	}
	if (b[510] != 0x55 || b[511] != 0xaa) {
		set_err(v, "the boot sector has no 0x55AA signature");
		return -EUCLEAN;
	}
	if (le16(b + 17) != 0) {
		set_err(v, "%u root directory entries: FAT32 keeps none there",
			le16(b + 17));
		return -EUCLEAN;
	}
	if (g->fat_sectors == 0) {
		set_err(v, "the FAT32 FAT size is 0");
		return -EUCLEAN;
	}
	if (g->total_sectors == 0) {
		set_err(v, "the total sector count is 0");
		return -EUCLEAN;
	}
	if (le16(b + 42) != 0)
		g->warnings |= FAT_WARN_VERSION;
	g->active_fat = 0;
	if (g->ext_flags & 0x80) {
		g->active_fat = g->ext_flags & 0x0f;
		g->warnings |= FAT_WARN_NO_MIRROR;
		if (g->active_fat >= g->num_fats) {
			set_err(v, "active FAT %u of %u", g->active_fat, g->num_fats);
			return -EUCLEAN;
		}
	}
	return 0;
}

/* Where the FATs and the data are, and how many clusters fit. */
static int compute_layout(struct fat_vol *v)
{
	struct fat_geom *g = &v->g;
	uint64_t total = g->total_sectors, meta, clusters;

	if (total * g->bytes_per_sector > g->part_size) {
		set_err(v, "the file system (%llu bytes) is larger than its partition (%llu bytes)",
			(unsigned long long)(total * g->bytes_per_sector),
			(unsigned long long)g->part_size);
		return -EUCLEAN;
	}
	meta = g->reserved_sectors + (uint64_t)g->num_fats * g->fat_sectors;
	if (meta >= total) {
		set_err(v, "reserved sectors and FATs (%llu sectors) fill the whole file system (%llu)",
			(unsigned long long)meta, (unsigned long long)total);
		return -EUCLEAN;
	}
	clusters = (total - meta) / g->sectors_per_cluster;
	if (clusters == 0 || clusters > FAT32_MAX_CLUSTERS) {
		set_err(v, "%llu clusters: not a FAT32 cluster count",
			(unsigned long long)clusters);
		return -EUCLEAN;
	}
	g->fat_bytes = (uint64_t)g->fat_sectors * g->bytes_per_sector;
	if (g->fat_bytes / 4 < clusters + 2) {
		set_err(v, "a FAT of %u sectors cannot hold %llu clusters",
			g->fat_sectors, (unsigned long long)clusters);
		return -EUCLEAN;
	}
	g->cluster_count = (uint32_t)clusters;
	if (clusters <= FAT16_MAX_CLUSTERS)
		g->warnings |= FAT_WARN_FEW_CLUSTERS;
	g->fat_offset = (uint64_t)g->reserved_sectors * g->bytes_per_sector;
	g->data_offset = meta * g->bytes_per_sector;
	if (g->root_cluster < 2 || g->root_cluster > clusters + 1) {
		set_err(v, "root directory cluster %u is out of range (2-%llu)",
			g->root_cluster, (unsigned long long)clusters + 1);
		return -EUCLEAN;
	}
	if ((uint64_t)g->hidden_sectors * g->bytes_per_sector != g->part_offset)
		g->warnings |= FAT_WARN_HIDDEN;
	return 0;
}

static bool reserved_sector_ok(const struct fat_geom *g, unsigned sec)
{
	return sec != 0 && sec != 0xffff && sec < g->reserved_sectors;
}

static int read_fsinfo(struct fat_vol *v, uint8_t *buf)
{
	struct fat_geom *g = &v->g;
	int r;

	g->fsinfo_free = g->fsinfo_next = FAT_FSINFO_UNKNOWN;
	if (!reserved_sector_ok(g, g->fsinfo_sector)) {
		g->fsinfo_sector = 0;
		g->warnings |= FAT_WARN_FSINFO;
		return 0;
	}
	r = vol_read(v, (uint64_t)g->fsinfo_sector * g->bytes_per_sector, buf,
		     g->bytes_per_sector);
	if (r < 0)
		return r;
	if (le32(buf) != FSINFO_LEAD || le32(buf + 484) != FSINFO_STRUC ||
	    le32(buf + 508) != FSINFO_TRAIL) {
		g->warnings |= FAT_WARN_FSINFO;
		return 0;
	}
	g->fsinfo_valid = true;
	g->fsinfo_free = le32(buf + 488);
	g->fsinfo_next = le32(buf + 492);
	if ((g->fsinfo_free != FAT_FSINFO_UNKNOWN && g->fsinfo_free > g->cluster_count) ||
	    (g->fsinfo_next != FAT_FSINFO_UNKNOWN &&
	     (g->fsinfo_next < 2 || g->fsinfo_next > g->cluster_count + 1)))
		g->warnings |= FAT_WARN_FSINFO_RANGE;
	return 0;
}

static int check_backup_boot(struct fat_vol *v, const uint8_t *boot, uint8_t *buf)
{
	struct fat_geom *g = &v->g;
	int r;

	if (!reserved_sector_ok(g, g->backup_boot_sector) ||
	    g->backup_boot_sector == g->fsinfo_sector) {
		g->backup_boot_sector = 0;
		g->warnings |= FAT_WARN_BACKUP_BOOT;
		return 0;
	}
	r = vol_read(v, (uint64_t)g->backup_boot_sector * g->bytes_per_sector,
		     buf, g->bytes_per_sector);
	if (r < 0)
		return r;
	if (memcmp(buf, boot, g->bytes_per_sector))
		g->warnings |= FAT_WARN_BACKUP_BOOT;
	return 0;
}

/* ------------------------------------------------------------------ */
/* FAT entries                                                         */

enum link { L_NEXT, L_EOC, L_FREE, L_RESERVED, L_BAD, L_RANGE };

static uint32_t max_cluster(const struct fat_vol *v)
{
	return v->g.cluster_count + 1;
}

static bool valid_cluster(const struct fat_vol *v, uint32_t c)
{
	return c >= 2 && c <= max_cluster(v);
}

static enum link classify(const struct fat_vol *v, uint32_t val)
{
	if (val == 0)
		return L_FREE;
	if (val == 1)
		return L_RESERVED;
	if (val <= max_cluster(v))
		return L_NEXT;
	if (val >= FAT_EOC_MIN)
		return L_EOC;
	if (val == FAT_BAD)
		return L_BAD;
	if (val >= FAT_RSVD_MIN)
		return L_RESERVED;
	return L_RANGE;
}

static enum fat_chain_problem link_problem(enum link l)
{
	switch (l) {
	case L_FREE:		return FAT_CHAIN_FREE;
	case L_RESERVED:	return FAT_CHAIN_RESERVED;
	case L_BAD:		return FAT_CHAIN_BAD;
	case L_RANGE:		return FAT_CHAIN_RANGE;
	case L_NEXT:
	case L_EOC:		break;
	}
	return FAT_CHAIN_OK;
}

/* Entry c of FAT copy `copy`, through a window cache. c may be 0 or 1. */
static int fat_get(struct fat_vol *v, uint32_t copy, uint32_t c, uint32_t *val)
{
	uint64_t in_fat = (uint64_t)c * 4, start;

	if (c > max_cluster(v) || copy >= v->g.num_fats) {
		set_err(v, "internal: FAT entry %u of copy %u", c, copy);
		return -EINVAL;
	}
	start = in_fat - in_fat % FAT_WIN;
	if (!v->win_valid || v->win_copy != copy || v->win_start != start) {
		uint64_t len = v->g.fat_bytes - start;
		int r;

		if (len > FAT_WIN)
			len = FAT_WIN;
		v->win_valid = false;
		r = vol_read(v, v->g.fat_offset + copy * v->g.fat_bytes + start,
			     v->win, (size_t)len);
		if (r < 0)
			return r;
		v->win_valid = true;
		v->win_copy = copy;
		v->win_start = start;
		v->win_len = (uint32_t)len;
	}
	*val = le32(v->win + (in_fat - start)) & FAT_MASK;
	return 0;
}

static int next_cluster(struct fat_vol *v, uint32_t c, uint32_t *next, enum link *l)
{
	int r = fat_get(v, v->g.active_fat, c, next);

	if (r == 0)
		*l = classify(v, *next);
	return r;
}

static uint64_t cluster_off(const struct fat_vol *v, uint32_t c)
{
	return v->g.data_offset + (uint64_t)(c - 2) * v->g.cluster_size;
}

static uint32_t clusters_for(const struct fat_vol *v, uint64_t size)
{
	return (uint32_t)((size + v->g.cluster_size - 1) / v->g.cluster_size);
}

/* FAT[0] carries the media byte, FAT[1] the clean/error bits. */
static int check_reserved_entries(struct fat_vol *v)
{
	uint32_t e0, e1;
	int r;

	r = fat_get(v, v->g.active_fat, 0, &e0);
	if (r == 0)
		r = fat_get(v, v->g.active_fat, 1, &e1);
	if (r < 0)
		return r;
	if ((e0 & 0xff) != v->g.media || (e0 | 0xff) != FAT_MASK)
		v->g.warnings |= FAT_WARN_FAT_ID;
	if (!(e1 & 0x08000000))
		v->g.warnings |= FAT_WARN_DIRTY;
	if (!(e1 & 0x04000000))
		v->g.warnings |= FAT_WARN_HARD_ERRORS;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Directories                                                         */

static int dir_open_at(struct fat_vol *v, uint32_t first, struct fat_dir **dirp)
{
	struct fat_dir *d;

	if (!valid_cluster(v, first)) {
		set_err(v, "directory cluster %u is out of range", first);
		return -EUCLEAN;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->v = v;
	d->cluster = first;
	/* cluster sizes and sector sizes are powers of two: a whole number
	 * of sectors, dividing the cluster */
	d->buf_len = v->g.cluster_size < DIR_WIN ? v->g.cluster_size : DIR_WIN;
	d->buf = io_alloc(d->buf_len);
	if (!d->buf) {
		free(d);
		return -ENOMEM;
	}
	*dirp = d;
	return 0;
}

int fat_dir_open(struct fat_vol *vol, const struct fat_dirent *dir,
		 struct fat_dir **dirp)
{
	if (dir && !(dir->attr & FAT_ATTR_DIRECTORY)) {
		set_err(vol, "not a directory");
		return -ENOTDIR;
	}
	return dir_open_at(vol, dir ? dir->first_cluster : vol->g.root_cluster, dirp);
}

void fat_dir_close(struct fat_dir *dir)
{
	if (dir) {
		free(dir->buf);
		free(dir);
	}
}

/* Next raw 32-byte entry; 0 at the end marker or the chain's end. */
static int dir_raw_next(struct fat_dir *d, const uint8_t **ent, uint64_t *off)
{
	struct fat_vol *v = d->v;
	uint32_t next;
	enum link l;
	int r;

	if (d->end)
		return 0;
	if (d->pos >= v->g.cluster_size) {
		r = next_cluster(v, d->cluster, &next, &l);
		if (r < 0)
			return r;
		if (l == L_EOC) {
			d->end = true;
			return 0;
		}
		if (l != L_NEXT) {
			set_err(v, "directory chain broken at cluster %u: %s", d->cluster,
				fat_chain_problem_text(link_problem(l)));
			d->end = true;
			return -EUCLEAN;
		}
		d->cluster = next;
		d->pos = 0;
		d->buf_valid = false;
	}
	if (d->entries >= DIR_MAX_ENTRIES) {
		set_err(v, "directory longer than %u entries (a loop?)", DIR_MAX_ENTRIES);
		d->end = true;
		return -EFBIG;
	}
	if (!d->buf_valid || d->pos < d->buf_start || d->pos >= d->buf_start + d->buf_len) {
		d->buf_start = d->pos - d->pos % d->buf_len;
		r = vol_read(v, cluster_off(v, d->cluster) + d->buf_start, d->buf,
			     d->buf_len);
		if (r < 0)
			return r;
		d->buf_valid = true;
	}
	*ent = d->buf + (d->pos - d->buf_start);
	*off = cluster_off(v, d->cluster) + d->pos;
	d->pos += DIR_ENT;
	d->entries++;
	if ((*ent)[0] == 0x00) {	/* no entry follows this one */
		d->end = true;
		return 0;
	}
	return 1;
}

static uint8_t lfn_checksum(const uint8_t *name11)
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name11[i]);
	return sum;
}

static void lfn_drop(struct fat_dir *d)
{
	if (d->lfn_active)
		d->lfn_broken = true;
	d->lfn_active = false;
}

/* The 13 UCS-2 characters of a long-name entry sit in three places. */
static void lfn_add(struct fat_dir *d, const uint8_t *e)
{
	static const uint8_t where[LFN_CHARS] = {
		1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30
	};
	unsigned seq = e[0] & 0x1f;

	if (e[0] & 0x40) {
		lfn_drop(d);	/* a new name starts: the old one is orphaned */
		if (seq == 0 || seq > LFN_MAX_ENTRIES || e[12] != 0) {
			d->lfn_broken = true;
			return;
		}
		d->lfn_active = true;
		d->lfn_count = seq;
		d->lfn_next = seq;
		d->lfn_sum = e[13];
	} else if (!d->lfn_active || seq == 0 || seq != d->lfn_next ||
		   e[13] != d->lfn_sum) {
		lfn_drop(d);
		d->lfn_broken = true;
		return;
	}
	for (unsigned i = 0; i < LFN_CHARS; i++)
		d->lfn[(seq - 1) * LFN_CHARS + i] = le16(e + where[i]);
	d->lfn_next = seq - 1;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * UCS-2 (UTF-16 in practice) to UTF-8; a lone surrogate becomes U+FFFD.
 * At most 3 bytes per unit, so 255 units fit FAT_NAME_MAX.
 */
static void utf16_to_utf8(const uint16_t *u, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t cp = u[i];

		if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n &&
		    u[i + 1] >= 0xdc00 && u[i + 1] <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (u[i + 1] - 0xdc00);
			i++;
		} else if (cp >= 0xd800 && cp <= 0xdfff) {
			cp = 0xfffd;
		}
		o += put_utf8(out + o, cp);
	}
	out[o] = '\0';
}

/* The long name, if one was assembled for this 8.3 entry. */
static bool lfn_take(struct fat_dir *d, const uint8_t *e, char *name)
{
	size_t n = 0, max;

	if (!d->lfn_active)
		return false;
	d->lfn_active = false;
	if (d->lfn_next != 0 || lfn_checksum(e) != d->lfn_sum) {
		d->lfn_broken = true;
		return false;
	}
	max = (size_t)d->lfn_count * LFN_CHARS;
	while (n < max && d->lfn[n] != 0)
		n++;
	if (n == 0 || n > LFN_MAX_NAME) {
		d->lfn_broken = true;
		return false;
	}
	utf16_to_utf8(d->lfn, n, name);
	return true;
}

/* "NAME    EXT" to "NAME.EXT"; 0x05 stands for a leading 0xE5. */
static void format_short(const uint8_t *e, char out[13])
{
	size_t o = 0, n;

	for (n = 8; n > 0 && e[n - 1] == ' '; n--)
		;
	for (size_t i = 0; i < n; i++)
		out[o++] = (char)(i == 0 && e[0] == 0x05 ? 0xe5 : e[i]);
	for (n = 3; n > 0 && e[8 + n - 1] == ' '; n--)
		;
	if (n) {
		out[o++] = '.';
		for (size_t i = 0; i < n; i++)
			out[o++] = (char)e[8 + i];
	}
	out[o] = '\0';
}

/*
 * The 8.3 name to show: lower case where the NT flags say so (byte 12:
 * 0x08 base, 0x10 extension).  Bytes above 0x7f are in an OEM code page we
 * cannot know; they become U+FFFD so that names stay valid UTF-8.
 */
static void display_short(const uint8_t *e, const char *shortname, char *out)
{
	bool lower = e[12] & 0x08;
	size_t o = 0;

	for (const char *p = shortname; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.')
			lower = e[12] & 0x10;
		if (c >= 0x80)
			o += put_utf8(out + o, 0xfffd);
		else
			out[o++] = (char)(lower && c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[o] = '\0';
}

static void dos_time(struct fat_time *t, uint16_t date, uint16_t time, uint8_t tenth)
{
	memset(t, 0, sizeof(*t));
	if (date == 0)
		return;
	t->year = (uint16_t)(1980 + (date >> 9));
	t->month = (date >> 5) & 0x0f;
	t->day = date & 0x1f;
	t->hour = (uint8_t)(time >> 11);
	t->minute = (time >> 5) & 0x3f;
	t->second = (uint8_t)((time & 0x1f) * 2 + (tenth > 199 ? 0 : tenth / 100));
	t->msec = (uint16_t)(tenth > 199 ? 0 : (tenth % 100) * 10);
}

static void fill_dirent(struct fat_dir *d, const uint8_t *e, uint64_t off,
			struct fat_dirent *de)
{
	memset(de, 0, sizeof(*de));
	format_short(e, de->short_name);
	if (lfn_take(d, e, de->name))
		de->flags |= FAT_DE_LFN;
	else
		display_short(e, de->short_name, de->name);
	if (d->lfn_broken)
		de->flags |= FAT_DE_LFN_BAD;
	d->lfn_broken = false;
	de->attr = e[11];
	de->first_cluster = (uint32_t)le16(e + 20) << 16 | le16(e + 26);
	de->size = le32(e + 28);
	dos_time(&de->ctime, le16(e + 16), le16(e + 14), e[13]);
	dos_time(&de->atime, le16(e + 18), 0, 0);
	dos_time(&de->mtime, le16(e + 24), le16(e + 22), 0);
	de->entry_offset = off;
}

static bool is_dot_entry(const uint8_t *e)
{
	return !memcmp(e, ".          ", 11) || !memcmp(e, "..         ", 11);
}

int fat_dir_next(struct fat_dir *d, struct fat_dirent *de)
{
	const uint8_t *e;
	uint64_t off;
	int r;

	while ((r = dir_raw_next(d, &e, &off)) > 0) {
		if (e[0] == 0xe5) {		/* deleted */
			lfn_drop(d);
			continue;
		}
		if ((e[11] & ATTR_LFN_MASK) == ATTR_LFN) {
			lfn_add(d, e);
			continue;
		}
		if (e[11] & FAT_ATTR_VOLUME_ID || is_dot_entry(e)) {
			lfn_drop(d);
			continue;
		}
		fill_dirent(d, e, off, de);
		return 1;
	}
	return r;
}

/* The root's volume-label entry; a broken root is reported by the checks. */
static int read_root_label(struct fat_vol *v)
{
	struct fat_dir *d;
	const uint8_t *e;
	uint64_t off;
	int r;

	r = dir_open_at(v, v->g.root_cluster, &d);
	if (r < 0)
		return r;
	while ((r = dir_raw_next(d, &e, &off)) > 0) {
		if (e[0] != 0xe5 && (e[11] & ATTR_LFN_MASK) != ATTR_LFN &&
		    (e[11] & FAT_ATTR_VOLUME_ID)) {
			v->g.has_root_label = true;
			copy_field(v->g.root_label, e, 11);
			break;
		}
	}
	fat_dir_close(d);
	return r == -EUCLEAN || r == -EFBIG ? 0 : (r < 0 ? r : 0);
}

/* ------------------------------------------------------------------ */
/* Open, close                                                         */

int fat_open(const struct fat_io *io, uint64_t part_offset, uint64_t part_size,
	     struct fat_vol **volp, char *errbuf, size_t errlen)
{
	struct fat_vol *v;
	uint8_t *boot = NULL, *sec = NULL;
	enum fat_kind kind;
	size_t len;
	int r;

	*volp = NULL;
	if (errlen)
		errbuf[0] = '\0';
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->io = *io;
	v->g.part_offset = part_offset;
	v->g.part_size = part_size;
	boot = io_alloc(PROBE_LEN);
	sec = io_alloc(PROBE_LEN);
	v->win = io_alloc(FAT_WIN);
	if (!boot || !sec || !v->win) {
		r = -ENOMEM;
		goto out;
	}
	if (part_offset > UINT64_MAX - part_size) {
		set_err(v, "the partition does not fit a 64-bit offset");
		r = -EINVAL;
		goto out;
	}
	r = probe_read(io, part_offset, part_size, boot, &len);
	if (r < 0) {
		set_err(v, "cannot read the boot sector at card offset %llu: %s",
			(unsigned long long)part_offset, strerror(-r));
		goto out;
	}
	kind = len ? identify_buf(boot, len) : FAT_KIND_TOO_SMALL;
	if (kind != FAT_KIND_FAT32) {
		set_err(v, "the partition holds %s, not FAT32", fat_kind_name(kind));
		r = -EMEDIUMTYPE;
		goto out;
	}
	if (valid_bps(le16(boot + 11)) && le16(boot + 11) > len) {
		set_err(v, "the partition is smaller than one sector");
		r = -EUCLEAN;
		goto out;
	}
	read_bpb(&v->g, boot);
	r = check_bpb(v, boot);
	if (r == 0)
		r = compute_layout(v);
	if (r == 0)
		r = read_fsinfo(v, sec);
	if (r == 0)
		r = check_backup_boot(v, boot, sec);
	if (r == 0)
		r = check_reserved_entries(v);
	if (r == 0)
		r = read_root_label(v);
out:
	free(boot);
	free(sec);
	if (r < 0) {
		if (errlen)
			snprintf(errbuf, errlen, "%s", v->err[0] ? v->err : strerror(-r));
		fat_close(v);
		return r;
	}
	v->err[0] = '\0';
	*volp = v;
	return 0;
}

void fat_close(struct fat_vol *vol)
{
	if (vol) {
		free(vol->win);
		free(vol);
	}
}

const struct fat_geom *fat_geometry(const struct fat_vol *vol)
{
	return &vol->g;
}

const char *fat_errmsg(const struct fat_vol *vol)
{
	return vol->err;
}

/* ------------------------------------------------------------------ */
/* Look-up                                                             */

static bool ascii_caseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;

		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return false;
	}
	return *a == *b;
}

static void root_dirent(const struct fat_vol *v, struct fat_dirent *de)
{
	memset(de, 0, sizeof(*de));
	de->attr = FAT_ATTR_DIRECTORY;
	de->first_cluster = v->g.root_cluster;
	de->flags = FAT_DE_ROOT;
}

/* Replaces *de, the directory searched, by the entry found in it. */
static int find_in_dir(struct fat_vol *v, const char *name, struct fat_dirent *de)
{
	struct fat_dir *d;
	int r;

	r = fat_dir_open(v, de, &d);	/* takes what it needs from *de */
	if (r < 0)
		return r;
	while ((r = fat_dir_next(d, de)) > 0)
		if (ascii_caseeq(name, de->name) || ascii_caseeq(name, de->short_name))
			break;
	fat_dir_close(d);
	if (r == 0) {
		set_err(v, "\"%s\" not found", name);
		return -ENOENT;
	}
	return r < 0 ? r : 0;
}

static void append_path(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);

	if (n + 1 < len)
		snprintf(buf + n, len - n, "%s%s", n ? "/" : "", name);
}

int fat_lookup(struct fat_vol *vol, const char *path, struct fat_dirent *de,
	       char *stored, size_t storedlen)
{
	char name[FAT_NAME_MAX];
	const char *p = path;

	root_dirent(vol, de);
	if (stored && storedlen)
		stored[0] = '\0';
	for (;;) {
		size_t n;
		int r;

		while (*p == '/')
			p++;
		if (!*p)
			return 0;
		n = strcspn(p, "/");
		if (n >= sizeof(name)) {
			set_err(vol, "path component too long");
			return -ENAMETOOLONG;
		}
		if (!(de->attr & FAT_ATTR_DIRECTORY)) {
			set_err(vol, "\"%s\" is not a directory", de->name);
			return -ENOTDIR;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		r = find_in_dir(vol, name, de);
		if (r < 0)
			return r;
		if (stored)
			append_path(stored, storedlen, de->name);
	}
}

/* ------------------------------------------------------------------ */
/* Chains                                                              */

const char *fat_chain_problem_text(enum fat_chain_problem p)
{
	switch (p) {
	case FAT_CHAIN_OK:		return "chain intact";
	case FAT_CHAIN_LOOP:		return "the chain loops";
	case FAT_CHAIN_SHORT:		return "the chain is shorter than the size";
	case FAT_CHAIN_LONG:		return "the chain is longer than the size";
	case FAT_CHAIN_FREE:		return "the chain runs into a free cluster";
	case FAT_CHAIN_RESERVED:	return "the chain runs into a reserved value";
	case FAT_CHAIN_BAD:		return "the chain runs into a bad cluster";
	case FAT_CHAIN_RANGE:		return "the chain points past the last cluster";
	case FAT_CHAIN_FIRST_INVALID:	return "the first cluster is out of range";
	case FAT_CHAIN_NO_CLUSTER:	return "no cluster for a non-empty entry";
	}
	return "unknown chain problem";
}

static uint8_t *bitmap_new(const struct fat_vol *v)
{
	return calloc(((size_t)v->g.cluster_count + 2 + 7) / 8, 1);
}

static bool bit_test(const uint8_t *bm, uint32_t c)
{
	return bm[c / 8] & (1u << (c % 8));
}

static void bit_set(uint8_t *bm, uint32_t c)
{
	bm[c / 8] |= (uint8_t)(1u << (c % 8));
}

/* Problems of the directory entry itself, before any FAT entry is read. */
static bool entry_problem(const struct fat_vol *v, const struct fat_dirent *de,
			  struct fat_chain_report *r)
{
	bool dir = de->attr & FAT_ATTR_DIRECTORY;

	memset(r, 0, sizeof(*r));
	r->expected = dir ? 0 : clusters_for(v, de->size);
	if (de->first_cluster == 0) {
		if (dir || de->size)
			r->problem = FAT_CHAIN_NO_CLUSTER;
		return true;
	}
	if (!valid_cluster(v, de->first_cluster)) {
		r->problem = FAT_CHAIN_FIRST_INVALID;
		r->value = de->first_cluster;
		return true;
	}
	return false;
}

/* After a walk that reached the end of the chain: does its length fit? */
static void length_problem(const struct fat_dirent *de, uint32_t last,
			   uint32_t eoc, uint32_t should_end,
			   struct fat_chain_report *r)
{
	if (de->attr & FAT_ATTR_DIRECTORY || r->clusters == r->expected)
		return;
	if (r->clusters < r->expected) {
		r->problem = FAT_CHAIN_SHORT;
		r->at_cluster = last;
		r->value = eoc;
	} else {
		r->problem = FAT_CHAIN_LONG;
		r->at_cluster = should_end;	/* 0: the entry says size 0 */
	}
}

int fat_check_chain(struct fat_vol *vol, const struct fat_dirent *de,
		    struct fat_chain_report *r)
{
	uint32_t c, prev = 0, next, should_end = 0;
	uint8_t *seen;
	enum link l;
	int ret = 0;

	if (entry_problem(vol, de, r))
		return 0;
	seen = bitmap_new(vol);
	if (!seen)
		return -ENOMEM;
	for (c = de->first_cluster;; prev = c, c = next) {
		if (bit_test(seen, c)) {
			r->problem = FAT_CHAIN_LOOP;
			r->at_cluster = prev;
			r->value = c;
			break;
		}
		bit_set(seen, c);
		if (c != prev + 1)
			r->runs++;
		if (++r->clusters == r->expected)
			should_end = c;
		ret = next_cluster(vol, c, &next, &l);
		if (ret < 0)
			break;
		if (l == L_EOC) {
			length_problem(de, c, next, should_end, r);
			break;
		}
		if (l != L_NEXT) {
			r->problem = link_problem(l);
			r->at_cluster = c;
			r->value = next;
			break;
		}
	}
	free(seen);
	return ret;
}

/* ------------------------------------------------------------------ */
/* FAT copies                                                          */

/*
 * Compare entries first..last of every copy with the active FAT, reading
 * CHUNK-sized sector-aligned pieces.  1 at the first difference.
 */
static int compare_range(struct fat_vol *v, uint32_t first, uint32_t last,
			 uint8_t *a, uint8_t *b, struct fat_fat_diff *diff)
{
	const struct fat_geom *g = &v->g;
	uint64_t bps = g->bytes_per_sector;
	uint64_t pos = (uint64_t)first * 4 / bps * bps;
	uint64_t end = ((uint64_t)last * 4 + 4 + bps - 1) / bps * bps;

	for (; pos < end; pos += CHUNK) {
		size_t len = end - pos < CHUNK ? (size_t)(end - pos) : CHUNK;
		uint64_t active = g->fat_offset + g->active_fat * g->fat_bytes + pos;
		int r = vol_read(v, active, a, len);

		for (uint32_t k = 0; r == 0 && k < g->num_fats; k++) {
			if (k == g->active_fat)
				continue;
			r = vol_read(v, g->fat_offset + k * g->fat_bytes + pos, b, len);
			for (size_t i = 0; r == 0 && i < len; i += 4) {
				uint64_t c = (pos + i) / 4;
				uint32_t x = le32(a + i) & FAT_MASK, y = le32(b + i) & FAT_MASK;

				if (c < first || c > last || x == y)
					continue;
				diff->cluster = (uint32_t)c;
				diff->copy = k;
				diff->value = y;
				diff->active_value = x;
				return 1;
			}
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Walks the active chain of de run by run (bounded), comparing each run. */
static int compare_chain(struct fat_vol *v, const struct fat_dirent *de,
			 uint8_t *a, uint8_t *b, struct fat_fat_diff *diff)
{
	bool dir = de->attr & FAT_ATTR_DIRECTORY;
	uint64_t limit = dir ? DIR_MAX_ENTRIES * (uint64_t)DIR_ENT / v->g.cluster_size + 1
			     : (uint64_t)clusters_for(v, de->size) + 1;
	uint32_t c = de->first_cluster, start = c, next;
	enum link l;

	if (!valid_cluster(v, c))
		return 0;
	for (uint64_t n = 1;; n++, c = next) {
		int r = next_cluster(v, c, &next, &l);

		if (r < 0)
			return r;
		if (l != L_NEXT || n >= limit || next != c + 1) {
			r = compare_range(v, start, c, a, b, diff);
			if (r != 0 || l != L_NEXT || n >= limit)
				return r;
			start = next;
		}
	}
}

int fat_compare_fats(struct fat_vol *vol, const struct fat_dirent *de,
		     struct fat_fat_diff *diff)
{
	uint8_t *a, *b;
	int r;

	memset(diff, 0, sizeof(*diff));
	if (vol->g.num_fats < 2)
		return 0;
	a = io_alloc(CHUNK);
	b = io_alloc(CHUNK);
	if (!a || !b)
		r = -ENOMEM;
	else if (de)
		r = compare_chain(vol, de, a, b, diff);
	else
		r = compare_range(vol, 2, max_cluster(vol), a, b, diff);
	free(a);
	free(b);
	return r;
}

/* ------------------------------------------------------------------ */
/* The whole tree                                                      */

struct tree {
	struct fat_vol *v;
	struct fat_tree_report *r;
	uint8_t *used;          /* every cluster reached so far */
	uint8_t *target;        /* the target's clusters, or NULL */
	uint64_t target_entry;  /* its entry's offset, to know it when met */
	char path[FAT_PATH_MAX];
};

static void note_path(char *dst, const char *path)
{
	snprintf(dst, FAT_PATH_MAX, "%s", path[0] ? path : "/");
}

static void note_bad(struct tree *t, const struct fat_chain_report *cr)
{
	if (t->r->bad_chains++ == 0) {
		note_path(t->r->first_bad_chain, t->path);
		t->r->first_bad_report = *cr;
	}
}

/* Is c one of the first n clusters of the chain from first?  Only asked on
 * a collision, so the re-walk is rare. */
static int chain_has(struct fat_vol *v, uint32_t first, uint32_t n, uint32_t c,
		     bool *has)
{
	uint32_t next;
	enum link l;

	*has = false;
	for (uint32_t i = 0; i < n; i++, first = next) {
		int r;

		if (first == c) {
			*has = true;
			return 0;
		}
		r = next_cluster(v, first, &next, &l);
		if (r < 0 || l != L_NEXT)
			return r;
	}
	return 0;
}

static void note_target_xlink(struct tree *t, uint32_t c)
{
	if (t->r->target_xlinks++ == 0) {
		note_path(t->r->first_target_xlink, t->path);
		t->r->target_xlink_cluster = c;
	}
}

/* A cluster already used: our own loop, or another entry's cluster. */
static int collision(struct tree *t, const struct fat_dirent *de, uint32_t n,
		     uint32_t prev, uint32_t c, bool is_target,
		     struct fat_chain_report *cr)
{
	bool own;
	int r;

	r = chain_has(t->v, de->first_cluster, n, c, &own);
	if (r < 0)
		return r;
	if (own) {
		cr->problem = FAT_CHAIN_LOOP;
		cr->at_cluster = prev;
		cr->value = c;
		note_bad(t, cr);
	} else if (!is_target && !(t->target && bit_test(t->target, c))) {
		if (t->r->other_xlinks++ == 0)
			note_path(t->r->first_other_xlink, t->path);
	}
	return 0;
}

/*
 * Mark the clusters of de as used.  1 when the chain is the entry's alone
 * (a directory may then be entered), 0 when it loops or is shared.
 */
static int mark_entry(struct tree *t, const struct fat_dirent *de)
{
	struct fat_vol *v = t->v;
	bool is_target = t->target && de->entry_offset == t->target_entry;
	bool hit_target = false;
	uint32_t c, prev = 0, next, should_end = 0;
	struct fat_chain_report cr;
	enum link l;
	int r;

	if (entry_problem(v, de, &cr)) {
		if (cr.problem != FAT_CHAIN_OK)
			note_bad(t, &cr);
		return cr.problem == FAT_CHAIN_OK;
	}
	for (c = de->first_cluster;; prev = c, c = next) {
		if (!is_target && t->target && bit_test(t->target, c) && !hit_target) {
			hit_target = true;
			note_target_xlink(t, c);
		}
		if (bit_test(t->used, c)) {
			r = collision(t, de, cr.clusters, prev, c, is_target, &cr);
			return r < 0 ? r : 0;
		}
		bit_set(t->used, c);
		t->r->used_clusters++;
		if (c != prev + 1)
			cr.runs++;
		if (++cr.clusters == cr.expected)
			should_end = c;
		r = next_cluster(v, c, &next, &l);
		if (r < 0)
			return r;
		if (l == L_EOC)
			break;
		if (l != L_NEXT) {
			cr.problem = link_problem(l);
			cr.at_cluster = c;
			cr.value = next;
			note_bad(t, &cr);
			/* what there is of a directory can still be read */
			return !hit_target;
		}
	}
	length_problem(de, c, next, should_end, &cr);
	if (cr.problem != FAT_CHAIN_OK)
		note_bad(t, &cr);
	return !hit_target;
}

static int walk_dir(struct tree *t, const struct fat_dirent *dir, unsigned depth)
{
	size_t plen = strlen(t->path);
	struct fat_dirent de;
	struct fat_dir *d;
	int r;

	r = fat_dir_open(t->v, dir, &d);
	if (r == -EUCLEAN) {
		t->r->unreadable_dirs++;
		return 0;
	}
	if (r < 0)
		return r;
	while ((r = fat_dir_next(d, &de)) > 0) {
		bool is_dir = de.attr & FAT_ATTR_DIRECTORY;

		append_path(t->path, sizeof(t->path), de.name);
		if (is_dir)
			t->r->dirs++;
		else
			t->r->files++;
		r = mark_entry(t, &de);
		if (r > 0 && is_dir) {
			if (depth >= MAX_DEPTH)
				t->r->too_deep++;
			else
				r = walk_dir(t, &de, depth + 1);
		}
		t->path[plen] = '\0';
		if (r < 0)
			break;
	}
	fat_dir_close(d);
	if (r == -EUCLEAN || r == -EFBIG) {
		t->r->unreadable_dirs++;
		r = 0;
	}
	return r;
}

/* Free, bad and lost clusters: one pass over the active FAT, a window at a
 * time (a big card has millions of entries). */
static int count_clusters(struct tree *t)
{
	struct fat_vol *v = t->v;
	uint64_t c = 2, last = max_cluster(v);
	uint32_t val;

	while (c <= last) {
		int r = fat_get(v, v->g.active_fat, (uint32_t)c, &val);
		uint64_t end;

		if (r < 0)
			return r;
		end = (v->win_start + v->win_len) / 4;	/* past the window */
		for (; c < end && c <= last; c++) {
			val = le32(v->win + (c * 4 - v->win_start)) & FAT_MASK;
			if (val == 0)
				t->r->free_clusters++;
			else if (val == FAT_BAD)
				t->r->bad_clusters++;
			else if (!bit_test(t->used, (uint32_t)c))
				t->r->lost_clusters++;
		}
	}
	return 0;
}

/* The target's own clusters, bounded by its length (or the bitmap). */
static int mark_target(struct tree *t, const struct fat_dirent *de)
{
	struct fat_chain_report cr;
	uint32_t c, next;
	enum link l;

	if (entry_problem(t->v, de, &cr))
		return 0;
	for (c = de->first_cluster; !bit_test(t->target, c); c = next) {
		int r;

		bit_set(t->target, c);
		r = next_cluster(t->v, c, &next, &l);
		if (r < 0)
			return r;
		if (l != L_NEXT)
			break;
	}
	return 0;
}

int fat_check_tree(struct fat_vol *vol, const struct fat_dirent *target,
		   struct fat_tree_report *r)
{
	struct tree t = { .v = vol, .r = r };
	struct fat_dirent root;
	int ret;

	memset(r, 0, sizeof(*r));
	t.used = bitmap_new(vol);
	if (target && !(target->flags & FAT_DE_ROOT)) {
		t.target = bitmap_new(vol);
		t.target_entry = target->entry_offset;
	}
	if (!t.used || (target && !(target->flags & FAT_DE_ROOT) && !t.target)) {
		ret = -ENOMEM;
		goto out;
	}
	if (t.target) {
		ret = mark_target(&t, target);
		if (ret < 0)
			goto out;
	}
	root_dirent(vol, &root);
	ret = mark_entry(&t, &root);
	if (ret > 0)
		ret = walk_dir(&t, &root, 0);
	if (ret >= 0)
		ret = count_clusters(&t);
out:
	free(t.used);
	free(t.target);
	return ret < 0 ? ret : 0;
}

/* ------------------------------------------------------------------ */
/* Extents, offsets                                                    */

struct run {
	uint32_t first, n;
	uint64_t file_off;
};

static int emit_run(struct fat_vol *v, const struct fat_dirent *de,
		    const struct run *run,
		    int (*cb)(void *arg, const struct fat_extent *e), void *arg)
{
	struct fat_extent e = {
		.file_off = run->file_off,
		.part_off = cluster_off(v, run->first),
		.first_cluster = run->first,
		.clusters = run->n,
	};

	e.card_off = v->g.part_offset + e.part_off;
	e.len = (uint64_t)run->n * v->g.cluster_size;
	if (!(de->attr & FAT_ATTR_DIRECTORY) && e.len > de->size - run->file_off)
		e.len = de->size - run->file_off;
	return cb(arg, &e);
}

int fat_extents(struct fat_vol *vol, const struct fat_dirent *de,
		int (*cb)(void *arg, const struct fat_extent *e), void *arg)
{
	bool dir = de->attr & FAT_ATTR_DIRECTORY;
	uint64_t need = dir ? DIR_MAX_ENTRIES * (uint64_t)DIR_ENT / vol->g.cluster_size
			    : clusters_for(vol, de->size);
	struct run run = { .first = de->first_cluster };
	uint32_t c = de->first_cluster, next;
	enum link l;

	if (!dir && de->size == 0)
		return 0;
	if (!valid_cluster(vol, c)) {
		set_err(vol, "first cluster %u is out of range", c);
		return -EUCLEAN;
	}
	for (uint64_t n = 1;; n++, c = next) {
		int r;

		run.n++;
		if (!dir && n == need)	/* the size is covered */
			return emit_run(vol, de, &run, cb, arg);
		r = next_cluster(vol, c, &next, &l);
		if (r < 0)
			return r;
		if (dir && l == L_EOC)
			return emit_run(vol, de, &run, cb, arg);
		if (l != L_NEXT || n >= need) {
			set_err(vol, "cluster chain broken after %llu clusters at cluster %u: %s",
				(unsigned long long)n, c,
				l == L_NEXT ? "directory too long"
					    : fat_chain_problem_text(l == L_EOC ? FAT_CHAIN_SHORT
										: link_problem(l)));
			return -EUCLEAN;
		}
		if (next != c + 1) {
			r = emit_run(vol, de, &run, cb, arg);
			if (r)
				return r;
			run.file_off += (uint64_t)run.n * vol->g.cluster_size;
			run.first = next;
			run.n = 0;
		}
	}
}

int fat_map_offset(struct fat_vol *vol, const struct fat_dirent *de,
		   uint64_t file_off, uint64_t *card_off)
{
	uint32_t c = de->first_cluster, next;
	uint64_t index;
	enum link l;

	if (de->attr & FAT_ATTR_DIRECTORY || file_off >= de->size) {
		set_err(vol, "offset %llu is past the end of the file",
			(unsigned long long)file_off);
		return -EINVAL;
	}
	if (!valid_cluster(vol, c)) {
		set_err(vol, "first cluster %u is out of range", c);
		return -EUCLEAN;
	}
	index = file_off / vol->g.cluster_size;	/* < 2^32 clusters: size is 32-bit */
	for (uint64_t i = 0; i < index; i++, c = next) {
		int r = next_cluster(vol, c, &next, &l);

		if (r < 0)
			return r;
		if (l != L_NEXT) {
			set_err(vol, "cluster chain broken at cluster %u", c);
			return -EUCLEAN;
		}
	}
	*card_off = vol->g.part_offset + cluster_off(vol, c) + file_off % vol->g.cluster_size;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Allocation (prepare)                                                */

/*
 * The first cluster whose card offset is a multiple of align, and the
 * distance between such clusters.
 */
static int first_aligned(struct fat_vol *v, uint64_t align, uint64_t *c0,
			 uint64_t *step)
{
	uint64_t cs = v->g.cluster_size;
	uint64_t base = v->g.part_offset + v->g.data_offset;	/* cluster 2 */

	*c0 = 2;
	*step = 1;
	if (align <= 1)
		return 0;
	if (!is_pow2(align) || align > MAX_ALIGN) {
		set_err(v, "alignment %llu is not a power of two up to 1 GiB",
			(unsigned long long)align);
		return -EINVAL;
	}
	if (base % (align < cs ? align : cs)) {
		set_err(v, "the data area (card offset %llu) is not aligned to %llu bytes: no cluster can be",
			(unsigned long long)base,
			(unsigned long long)(align < cs ? align : cs));
		return -EINVAL;
	}
	if (align > cs) {
		*step = align / cs;
		*c0 = 2 + (align - base % align) % align / cs;
	}
	return 0;
}

/* First free run of n clusters starting at an aligned cluster. */
static int find_run(struct fat_vol *v, uint32_t n, uint64_t align, uint32_t *first)
{
	uint64_t c0, step, start, x;
	uint32_t val;
	int r;

	r = first_aligned(v, align, &c0, &step);
	if (r < 0)
		return r;
	for (start = c0; start + n - 1 <= max_cluster(v);) {
		for (x = start; x < start + n; x++) {
			r = fat_get(v, v->g.active_fat, (uint32_t)x, &val);
			if (r < 0)
				return r;
			if (val != 0)
				break;
		}
		if (x == start + n) {
			*first = (uint32_t)start;
			return 0;
		}
		/* every candidate up to x contains x: jump past it */
		start = c0 + (x + 1 - c0 + step - 1) / step * step;
	}
	set_err(v, "no free run of %u clusters at a %llu-byte boundary", n,
		(unsigned long long)(align ? align : 1));
	return -ENOSPC;
}

/* Mirrored FATs should agree; if one says used, the card is not fresh. */
static int check_free_everywhere(struct fat_vol *v, uint32_t first, uint32_t n)
{
	uint32_t val;
	int r;

	for (uint32_t k = 0; k < v->g.num_fats; k++) {
		for (uint32_t c = first; c < first + n; c++) {
			r = fat_get(v, k, c, &val);
			if (r < 0)
				return r;
			if (val != 0) {
				set_err(v, "cluster %u is free in FAT %u but not in FAT %u",
					c, v->g.active_fat + 1, k + 1);
				return -EUCLEAN;
			}
		}
	}
	return 0;
}

/* Chain first .. first+n-1 into every copy, keeping the 4 reserved bits. */
static int write_chain(struct fat_vol *v, uint32_t first, uint32_t n)
{
	const struct fat_geom *g = &v->g;
	uint64_t bps = g->bytes_per_sector;
	uint32_t last = first + n - 1;
	uint64_t lo = (uint64_t)first * 4 / bps * bps;
	uint64_t hi = ((uint64_t)last * 4 + 4 + bps - 1) / bps * bps;
	uint8_t *buf = io_alloc(CHUNK);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	v->win_valid = false;
	for (uint32_t k = 0; r == 0 && k < g->num_fats; k++) {
		for (uint64_t pos = lo; r == 0 && pos < hi; pos += CHUNK) {
			size_t len = hi - pos < CHUNK ? (size_t)(hi - pos) : CHUNK;
			uint64_t off = g->fat_offset + k * g->fat_bytes + pos;

			r = vol_read(v, off, buf, len);
			if (r < 0)
				break;
			for (size_t i = 0; i < len; i += 4) {
				uint64_t c = (pos + i) / 4;
				uint32_t val = c == last ? FAT_EOC : (uint32_t)c + 1;

				if (c >= first && c <= last)
					put_le32(buf + i, (le32(buf + i) & ~FAT_MASK) | val);
			}
			r = vol_write(v, off, buf, len);
		}
	}
	free(buf);
	return r;
}

/* Read-modify-write of the sector holding an 8.3 entry. */
static int write_entry(struct fat_vol *v, const struct fat_dirent *de,
		       uint32_t first, uint32_t size)
{
	uint64_t bps = v->g.bytes_per_sector;
	uint64_t sec = de->entry_offset / bps * bps;
	uint8_t *buf = io_alloc(bps), *e;
	int r;

	if (!buf)
		return -ENOMEM;
	e = buf + (de->entry_offset - sec);
	r = vol_read(v, sec, buf, bps);
	if (r == 0) {
		char name[13];

		format_short(e, name);
		if (strcmp(name, de->short_name) || le32(e + 28) != 0) {
			set_err(v, "the directory entry of %s changed under us", de->short_name);
			r = -EBUSY;
		}
	}
	if (r == 0) {
		put_le16(e + 20, (uint16_t)(first >> 16));
		put_le16(e + 26, (uint16_t)first);
		put_le32(e + 28, size);
		r = vol_write(v, sec, buf, bps);
	}
	free(buf);
	return r;
}

/* Keep FSInfo honest; if it cannot be, say "unknown" rather than lie. */
static int update_fsinfo(struct fat_vol *v, uint32_t n, uint32_t last)
{
	struct fat_geom *g = &v->g;
	uint64_t off = (uint64_t)g->fsinfo_sector * g->bytes_per_sector;
	uint8_t *buf;
	int r;

	if (!g->fsinfo_valid)
		return 0;
	buf = io_alloc(g->bytes_per_sector);
	if (!buf)
		return -ENOMEM;
	r = vol_read(v, off, buf, g->bytes_per_sector);
	if (r == 0 && le32(buf) == FSINFO_LEAD && le32(buf + 484) == FSINFO_STRUC &&
	    le32(buf + 508) == FSINFO_TRAIL) {
		uint32_t free_count = le32(buf + 488);

		if (free_count != FAT_FSINFO_UNKNOWN)
			free_count = free_count >= n && free_count <= g->cluster_count
				     ? free_count - n : FAT_FSINFO_UNKNOWN;
		put_le32(buf + 488, free_count);
		/* like mtools and Linux: the last cluster allocated */
		put_le32(buf + 492, last);
		r = vol_write(v, off, buf, g->bytes_per_sector);
		if (r == 0) {
			g->fsinfo_free = free_count;
			g->fsinfo_next = last;
		}
	}
	free(buf);
	return r;
}

int fat_alloc_contiguous(struct fat_vol *vol, const char *path, uint64_t size,
			 uint64_t align, struct fat_extent *ext)
{
	struct fat_dirent de;
	uint32_t n, first;
	int r;

	memset(ext, 0, sizeof(*ext));
	if (!vol->io.write) {
		set_err(vol, "the card is open read-only");
		return -EROFS;
	}
	if (size > UINT32_MAX) {
		set_err(vol, "%llu bytes do not fit a FAT32 file (4 GiB - 1 at most)",
			(unsigned long long)size);
		return -EFBIG;
	}
	r = fat_lookup(vol, path, &de, NULL, 0);
	if (r < 0)
		return r;
	if (de.attr & (FAT_ATTR_DIRECTORY | FAT_ATTR_VOLUME_ID) || de.flags & FAT_DE_ROOT) {
		set_err(vol, "%s is a directory", path);
		return -EISDIR;
	}
	if (de.first_cluster || de.size) {
		set_err(vol, "%s is not empty", path);
		return -EEXIST;
	}
	if (size == 0)
		return 0;
	n = clusters_for(vol, size);
	if (n > vol->g.cluster_count) {
		set_err(vol, "%u clusters needed, the volume has %u", n,
			vol->g.cluster_count);
		return -ENOSPC;
	}
	r = find_run(vol, n, align, &first);
	if (r == 0)
		r = check_free_everywhere(vol, first, n);
	/* FATs before the entry: a crash in between leaves lost clusters
	 * (fsck reclaims them), never a file pointing at free ones. */
	if (r == 0)
		r = write_chain(vol, first, n);
	if (r == 0)
		r = write_entry(vol, &de, first, (uint32_t)size);
	if (r == 0)
		r = update_fsinfo(vol, n, first + n - 1);
	if (r < 0)
		return r;
	ext->part_off = cluster_off(vol, first);
	ext->card_off = vol->g.part_offset + ext->part_off;
	ext->len = size;
	ext->first_cluster = first;
	ext->clusters = n;
	return 0;
}
