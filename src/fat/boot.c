/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The boot sector: the BIOS parameter block, validated once here so that
 * every other file may trust the geometry; FSInfo (free count, last
 * allocated); the backup boot sector; and fat_open(), which reads them.
 * The facts are those of Microsoft's "FAT: General Overview of On-Disk
 * Format"; the rest is checked against mtools and dosfstools by the tests.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fat/fat_private.h"
#include "lib/nls.h"

#define FAT32_MAX_CLUSTERS 0x0ffffff5u
#define FAT16_MAX_CLUSTERS 65524u

#define FSINFO_LEAD     0x41615252u
#define FSINFO_STRUC    0x61417272u
#define FSINFO_TRAIL    0xaa550000u

const char *fat_warning_text(unsigned warning)
{
	switch (warning) {
	case FAT_WARN_JUMP:
		return _("the boot sector does not start with a jump instruction");
	case FAT_WARN_FEW_CLUSTERS:
		return _("fewer than 65525 clusters in a volume labelled FAT32: a reader that "
		       "follows FAT's specification takes it for FAT16 and does not find the file");
	case FAT_WARN_FSINFO:
		return _("no valid FSInfo sector");
	case FAT_WARN_FSINFO_RANGE:
		return _("the FSInfo free-cluster count or hint is out of range");
	case FAT_WARN_HIDDEN:
		return _("the hidden-sector count is not the partition's start");
	case FAT_WARN_BACKUP_BOOT:
		return _("the backup boot sector (sectors 6 and 8) is missing or differs from the "
		       "boot sector: a reader that falls back on it finds another file system");
	case FAT_WARN_DIRTY:
		return _("the file system was not cleanly unmounted");
	case FAT_WARN_HARD_ERRORS:
		return _("the file system recorded disk errors");
	case FAT_WARN_FAT_ID:
		return _("the first FAT entry does not carry the media byte");
	case FAT_WARN_NO_MIRROR:
		return _("FAT mirroring is disabled: only one FAT is in use");
	case FAT_WARN_VERSION:
		return _("the FAT32 version is not 0.0");
	case FAT_WARN_CLUSTER_SIZE:
		return _("above the 32 KiB that FAT's specification allows, some bootloaders "
		       "cannot read this card");
	case FAT_WARN_OEM_NAME:
		return _("the boot sector's OEM name is not \"MSWIN4.1\", the one FAT's "
		       "specification recommends: a strict reader may reject the card");
	case FAT_WARN_DRIVE_NUMBER:
		return _("the boot sector's drive number is not 0x80 (a partitioned disk): a "
		       "bootloader that goes by it may take the card for a floppy");
	case FAT_WARN_MEDIA:
		return _("the media byte is not 0xF8 (fixed media): a strict reader may reject "
		       "the card");
	case FAT_WARN_BACKUP_FSINFO:
		return _("the backup FSInfo sector is missing or differs from FSInfo: a reader "
		       "that falls back on the backup finds no valid FSInfo");
	}
	return NULL;
}

void fat_copy_field(char *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
	while (n > 0 && dst[n - 1] == ' ')
		dst[--n] = '\0';
}

/* The fields of sector 0, as they are: checked by check_bpb(e). */
static void read_bpb(struct fat_geom *g, const uint8_t *b)
{
	uint16_t tot16 = get_le16(b + 19);

	g->bytes_per_sector = get_le16(b + 11);
	g->sectors_per_cluster = b[13];
	g->reserved_sectors = get_le16(b + 14);
	g->num_fats = b[16];
	g->media = b[21];
	g->drive_number = b[64];
	g->hidden_sectors = get_le32(b + 28);
	/* like Linux: the 16-bit field wins when set, though FAT32 should not */
	g->total_sectors = tot16 ? tot16 : get_le32(b + 32);
	g->fat_sectors = get_le32(b + 36);
	g->ext_flags = get_le16(b + 40);
	g->root_cluster = get_le32(b + 44);
	g->fsinfo_sector = get_le16(b + 48);
	g->backup_boot_sector = get_le16(b + 50);
	g->cluster_size = g->bytes_per_sector * g->sectors_per_cluster;
	fat_copy_field(g->oem, b + 3, 8);
	if (b[66] == 0x29) {	/* extended boot signature: id, label, type */
		g->has_volume_id = true;
		g->volume_id = get_le32(b + 67);
		fat_copy_field(g->label, b + 71, 11);
		fat_copy_field(g->fs_type, b + 82, 8);
	}
}

static int check_bpb(struct fat_vol *v, const uint8_t *b, struct errmsg *e)
{
	struct fat_geom *g = &v->g;

	if (!((b[0] == 0xeb && b[2] == 0x90) || b[0] == 0xe9))
		g->warnings |= FAT_WARN_JUMP;
	if (!fat_valid_bps(g->bytes_per_sector))
		return errmsg_set(e, -EUCLEAN,
				  _("%u bytes per sector (512, 1024, 2048 or 4096)"),
				  g->bytes_per_sector);
	if (!fat_is_pow2(g->sectors_per_cluster))
		return errmsg_set(e, -EUCLEAN,
				  _("%u sectors per cluster: not a power of two"),
				  g->sectors_per_cluster);
	if (g->reserved_sectors == 0 || g->num_fats == 0)
		return errmsg_set(e, -EUCLEAN,
				  _("%u reserved sectors, %u FATs: neither may be 0"),
				  g->reserved_sectors, g->num_fats);
	if (get_le16(b + 22) != 0)
		return errmsg_set(e, -EUCLEAN,
				  _("a 16-bit FAT size is set: FAT12/16, not FAT32"));
	if (b[510] != 0x55 || b[511] != 0xaa)
		return errmsg_set(e, -EUCLEAN, _("the boot sector has no 0x55AA signature"));
	if (get_le16(b + 17) != 0)
		return errmsg_set(e, -EUCLEAN,
				  _("%u root directory entries: FAT32 keeps none there"),
				  get_le16(b + 17));
	if (g->fat_sectors == 0)
		return errmsg_set(e, -EUCLEAN, _("the FAT32 FAT size is 0"));
	if (g->total_sectors == 0)
		return errmsg_set(e, -EUCLEAN, _("the total sector count is 0"));
	if (get_le16(b + 42) != 0)
		g->warnings |= FAT_WARN_VERSION;
	if (g->cluster_size > 32768)
		g->warnings |= FAT_WARN_CLUSTER_SIZE;
	if (memcmp(b + 3, "MSWIN4.1", 8) != 0)
		g->warnings |= FAT_WARN_OEM_NAME;
	/* a file system on the whole card (no partition) is a floppy's */
	if (g->part_offset && g->drive_number != 0x80)
		g->warnings |= FAT_WARN_DRIVE_NUMBER;
	if (g->media != 0xf8)
		g->warnings |= FAT_WARN_MEDIA;
	g->active_fat = 0;
	if (g->ext_flags & 0x80) {
		g->active_fat = g->ext_flags & 0x0f;
		g->warnings |= FAT_WARN_NO_MIRROR;
		if (g->active_fat >= g->num_fats)
			return errmsg_set(e, -EUCLEAN,
					  _("active FAT %u of %u"), g->active_fat, g->num_fats);
	}
	return 0;
}

/* Where the FATs and the data are, and how many clusters fit. */
static int compute_layout(struct fat_vol *v, struct errmsg *e)
{
	struct fat_geom *g = &v->g;
	uint64_t total = g->total_sectors, meta, clusters;

	if (total * g->bytes_per_sector > g->part_size)
		return errmsg_set(e, -EUCLEAN,
				  _("the file system (%llu bytes) is larger than its partition (%llu bytes)"),
				  (unsigned long long)(total * g->bytes_per_sector),
				  (unsigned long long)g->part_size);
	meta = g->reserved_sectors + (uint64_t)g->num_fats * g->fat_sectors;
	if (meta >= total)
		return errmsg_set(e, -EUCLEAN,
				  _("reserved sectors and FATs (%llu sectors) fill the whole file system (%llu)"),
				  (unsigned long long)meta, (unsigned long long)total);
	clusters = (total - meta) / g->sectors_per_cluster;
	if (clusters == 0 || clusters > FAT32_MAX_CLUSTERS)
		return errmsg_set(e, -EUCLEAN,
				  _("%llu clusters: not a FAT32 cluster count"),
				  (unsigned long long)clusters);
	g->fat_bytes = (uint64_t)g->fat_sectors * g->bytes_per_sector;
	if (g->fat_bytes / 4 < clusters + 2)
		return errmsg_set(e, -EUCLEAN,
				  _("a FAT of %u sectors cannot hold %llu clusters"),
				  g->fat_sectors, (unsigned long long)clusters);
	g->cluster_count = (uint32_t)clusters;
	if (clusters <= FAT16_MAX_CLUSTERS)
		g->warnings |= FAT_WARN_FEW_CLUSTERS;
	g->fat_offset = (uint64_t)g->reserved_sectors * g->bytes_per_sector;
	g->data_offset = meta * g->bytes_per_sector;
	if (g->root_cluster < 2 || g->root_cluster > clusters + 1)
		return errmsg_set(e, -EUCLEAN,
				  _("root directory cluster %u is out of range (2-%llu)"),
				  g->root_cluster, (unsigned long long)clusters + 1);
	if ((uint64_t)g->hidden_sectors * g->bytes_per_sector != g->part_offset)
		g->warnings |= FAT_WARN_HIDDEN;
	return 0;
}

bool fat_fsinfo_signed(const uint8_t *b)
{
	return get_le32(b) == FSINFO_LEAD && get_le32(b + 484) == FSINFO_STRUC &&
	       get_le32(b + 508) == FSINFO_TRAIL;
}

static bool reserved_sector_ok(const struct fat_geom *g, unsigned sec)
{
	return sec != 0 && sec != 0xffff && sec < g->reserved_sectors;
}

static int read_fsinfo(struct fat_vol *v, uint8_t *buf, struct errmsg *e)
{
	struct fat_geom *g = &v->g;
	int r;

	g->fsinfo_free = g->fsinfo_next = FAT_FSINFO_UNKNOWN;
	if (!reserved_sector_ok(g, g->fsinfo_sector)) {
		g->fsinfo_sector = 0;
		g->warnings |= FAT_WARN_FSINFO;
		return 0;
	}
	r = fat_vol_read(v, (uint64_t)g->fsinfo_sector * g->bytes_per_sector, buf,
			 g->bytes_per_sector, e);
	if (r < 0)
		return r;
	if (!fat_fsinfo_signed(buf)) {
		g->warnings |= FAT_WARN_FSINFO;
		return 0;
	}
	g->fsinfo_valid = true;
	g->fsinfo_free = get_le32(buf + 488);
	g->fsinfo_next = get_le32(buf + 492);
	if ((g->fsinfo_free != FAT_FSINFO_UNKNOWN && g->fsinfo_free > g->cluster_count) ||
	    (g->fsinfo_next != FAT_FSINFO_UNKNOWN &&
	     (g->fsinfo_next < 2 || g->fsinfo_next > g->cluster_count + 1)))
		g->warnings |= FAT_WARN_FSINFO_RANGE;
	return 0;
}

/*
 * FSInfo and its copy, but for the free count and next-free hint (bytes 488
 * to 495): hints that Linux, Windows and mtools update in the primary only,
 * so they differ on every card used since it was made.
 */
static bool same_fsinfo(const uint8_t *copy, const uint8_t *orig, uint64_t bps)
{
	return !memcmp(copy, orig, 488) && !memcmp(copy + 496, orig + 496, bps - 496);
}

/*
 * The backup boot record (fatgen103: sectors 6 to 8) is a copy of sectors 0
 * to 2: the boot sector, FSInfo (sector 1) and the third sector.  The boot
 * sector's copy must be there; FSInfo's is judged apart.
 */
static int check_backup_boot(struct fat_vol *v, const uint8_t *boot, uint8_t *buf,
			     struct errmsg *e)
{
	struct fat_geom *g = &v->g;
	uint64_t bps = g->bytes_per_sector;
	int r;

	if (!reserved_sector_ok(g, g->backup_boot_sector) ||
	    g->backup_boot_sector == g->fsinfo_sector) {
		g->backup_boot_sector = 0;
		g->warnings |= FAT_WARN_BACKUP_BOOT | FAT_WARN_BACKUP_FSINFO;
		return 0;
	}
	for (unsigned i = 0; i < 3; i++) {
		uint64_t copy = g->backup_boot_sector + i;
		bool fsinfo = i == g->fsinfo_sector;
		unsigned bit = fsinfo ? FAT_WARN_BACKUP_FSINFO : FAT_WARN_BACKUP_BOOT;

		if (copy >= g->reserved_sectors || (i > 0 && copy == g->fsinfo_sector) ||
		    (i > 0 && g->backup_boot_sector < 3)) {
			g->warnings |= bit;
			continue;
		}
		/* the original in the buffer's second half, aligned as the first */
		r = fat_vol_read(v, copy * bps, buf, bps, e);
		if (r == 0 && i > 0)
			r = fat_vol_read(v, i * bps, buf + FAT_PROBE_LEN, bps, e);
		if (r < 0)
			return r;
		if (fsinfo ? !same_fsinfo(buf, buf + FAT_PROBE_LEN, bps)
			   : memcmp(buf, i ? buf + FAT_PROBE_LEN : boot, bps))
			g->warnings |= bit;
	}
	return 0;
}

/*
 * The boot sector, checked, then what it points to.  On failure e says why.
 */
static int mount(struct fat_vol *v, uint8_t *boot, uint8_t *sec, struct errmsg *e)
{
	const struct fat_geom *g = &v->g;
	enum fat_kind kind;
	size_t len;
	int r;

	if (g->part_offset > UINT64_MAX - g->part_size)
		return errmsg_set(e, -EINVAL, _("the partition does not fit a 64-bit offset"));
	r = fat_probe_read(&v->io, g->part_offset, g->part_size, boot, &len);
	if (r < 0)
		return errmsg_set(e, r, _("cannot read the boot sector at card offset %llu: %s"),
				  (unsigned long long)g->part_offset, strerror(-r));
	kind = len ? fat_identify_buf(boot, len) : FAT_KIND_TOO_SMALL;
	if (kind != FAT_KIND_FAT32)
		return errmsg_set(e, -EMEDIUMTYPE, _("the partition holds %s, not FAT32"),
				  fat_kind_name(kind));
	if (fat_valid_bps(get_le16(boot + 11)) && get_le16(boot + 11) > len)
		return errmsg_set(e, -EUCLEAN, _("the partition is smaller than one sector"));
	read_bpb(&v->g, boot);
	r = check_bpb(v, boot, e);
	if (r == 0)
		r = compute_layout(v, e);
	if (r == 0)
		r = read_fsinfo(v, sec, e);
	if (r == 0)
		r = check_backup_boot(v, boot, sec, e);
	if (r == 0)
		r = fat_check_reserved_entries(v, e);
	if (r == 0)
		r = fat_read_root_label(v, e);
	return r;
}

int fat_open(const struct fat_io *io, uint64_t part_offset, uint64_t part_size,
	     struct fat_vol **volp, struct errmsg *e)
{
	/* sec: two sectors, a backup and its original */
	uint8_t *boot = fat_io_alloc(FAT_PROBE_LEN), *sec = fat_io_alloc(2 * FAT_PROBE_LEN);
	struct fat_vol *v = calloc(1, sizeof(*v));
	int r = -ENOMEM;

	*volp = NULL;
	if (v) {
		v->io = *io;
		v->g.part_offset = part_offset;
		v->g.part_size = part_size;
		v->win = fat_io_alloc(FAT_WIN);
	}
	if (boot && sec && v && v->win)
		r = mount(v, boot, sec, e);
	free(boot);
	free(sec);
	if (r == -ENOMEM)
		errmsg_set(e, r, _("no memory to open the file system"));
	if (r < 0) {
		fat_close(v);
		return r;
	}
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
