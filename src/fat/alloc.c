/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The allocator of prepare, and the only code of the library that writes:
 * the empty file mcopy made gets its clusters in one run at an aligned
 * card offset, free in every FAT copy; the chain goes into every copy,
 * then the directory entry, then FSInfo.  Its header is fat/alloc.h, which
 * the read-only side (verify) does not include.
 */
#include <errno.h>
#include <string.h>

#include "fat/alloc.h"
#include "fat/fat_private.h"
#include "lib/nls.h"

#define MAX_ALIGN (1ull << 30)

/* off from the partition start. */
static int vol_write(struct fat_vol *v, uint64_t off, const void *buf, size_t len,
		     struct errmsg *e)
{
	int r;

	if (!v->io.write)
		return errmsg_set(e, -EROFS, _("the card is open read-only"));
	r = fat_vol_range(v, "write", off, len, e);
	if (r < 0)
		return r;
	r = fat_io_result(v->io.write(v->io.ctx, v->g.part_offset + off, buf, len));
	return r < 0 ? fat_io_failed(v, r, "write", off, len, e) : 0;
}

/*
 * The first cluster whose card offset is a multiple of align, and the
 * distance between such clusters.
 */
static int first_aligned(struct fat_vol *v, uint64_t align, uint64_t *c0,
			 uint64_t *step, struct errmsg *e)
{
	uint64_t cs = v->g.cluster_size;
	uint64_t base = v->g.part_offset + v->g.data_offset;	/* cluster 2 */

	*c0 = 2;
	*step = 1;
	if (align <= 1)
		return 0;
	if (!fat_is_pow2(align) || align > MAX_ALIGN)
		return errmsg_set(e, -EINVAL,
				  _("alignment %llu is not a power of two up to 1 GiB"),
				  (unsigned long long)align);
	if (base % (align < cs ? align : cs))
		return errmsg_set(e, -EINVAL,
				  _("the data area (card offset %llu) is not aligned to %llu bytes: no cluster can be"),
				  (unsigned long long)base,
				  (unsigned long long)(align < cs ? align : cs));
	if (align > cs) {
		*step = align / cs;
		*c0 = 2 + (align - base % align) % align / cs;
	}
	return 0;
}

/* First free run of n clusters starting at an aligned cluster. */
static int find_run(struct fat_vol *v, uint32_t n, uint64_t align, uint32_t *first,
		    struct errmsg *e)
{
	uint64_t c0, step, start, x;
	uint32_t val;
	int r;

	r = first_aligned(v, align, &c0, &step, e);
	if (r < 0)
		return r;
	for (start = c0; start + n - 1 <= fat_max_cluster(v);) {
		for (x = start; x < start + n; x++) {
			r = fat_get(v, v->g.active_fat, (uint32_t)x, &val, e);
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
	return errmsg_set(e, -ENOSPC,
			  _("no free run of %u clusters at a %llu-byte boundary"), n,
			  (unsigned long long)(align ? align : 1));
}

/* Mirrored FATs should agree; if one says used, the card is not fresh. */
static int check_free_everywhere(struct fat_vol *v, uint32_t first, uint32_t n,
				 struct errmsg *e)
{
	uint32_t val;
	int r;

	for (uint32_t k = 0; k < v->g.num_fats; k++) {
		for (uint32_t c = first; c < first + n; c++) {
			r = fat_get(v, k, c, &val, e);
			if (r < 0)
				return r;
			if (val != 0)
				return errmsg_set(e, -EUCLEAN,
						  _("cluster %u is free in FAT %u but not in FAT %u"),
						  c, v->g.active_fat + 1, k + 1);
		}
	}
	return 0;
}

/* Chain first .. first+n-1 into every copy, keeping the 4 reserved bits. */
static int write_chain(struct fat_vol *v, uint32_t first, uint32_t n, struct errmsg *e)
{
	const struct fat_geom *g = &v->g;
	uint64_t bps = g->bytes_per_sector;
	uint32_t last = first + n - 1;
	uint64_t lo = (uint64_t)first * 4 / bps * bps;
	uint64_t hi = ((uint64_t)last * 4 + 4 + bps - 1) / bps * bps;
	uint8_t *buf = fat_io_alloc(FAT_CHUNK);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	v->win_valid = false;
	for (uint32_t k = 0; r == 0 && k < g->num_fats; k++) {
		for (uint64_t pos = lo; r == 0 && pos < hi; pos += FAT_CHUNK) {
			size_t len = hi - pos < FAT_CHUNK ? (size_t)(hi - pos) : FAT_CHUNK;
			uint64_t off = g->fat_offset + k * g->fat_bytes + pos;

			r = fat_vol_read(v, off, buf, len, e);
			if (r < 0)
				break;
			for (size_t i = 0; i < len; i += 4) {
				uint64_t c = (pos + i) / 4;
				uint32_t val = c == last ? FAT_EOC : (uint32_t)c + 1;

				if (c >= first && c <= last)
					put_le32(buf + i, (get_le32(buf + i) & ~FAT_MASK) | val);
			}
			r = vol_write(v, off, buf, len, e);
		}
	}
	free(buf);
	return r;
}

/* Read-modify-write of the sector holding an 8.3 entry. */
static int write_entry(struct fat_vol *v, const struct fat_dirent *de,
		       uint32_t first, uint32_t size, struct errmsg *e)
{
	uint64_t bps = v->g.bytes_per_sector;
	uint64_t sec = de->entry_offset / bps * bps;
	uint8_t *buf = fat_io_alloc(bps), *ent;
	int r;

	if (!buf)
		return -ENOMEM;
	ent = buf + (de->entry_offset - sec);
	r = fat_vol_read(v, sec, buf, bps, e);
	if (r == 0) {
		char name[13];

		fat_format_short(ent, name);
		if (strcmp(name, de->short_name) || get_le32(ent + 28) != 0)
			r = errmsg_set(e, -EBUSY,
				       _("the directory entry of %s changed under us"), de->short_name);
	}
	if (r == 0) {
		put_le16(ent + 20, (uint16_t)(first >> 16));
		put_le16(ent + 26, (uint16_t)first);
		put_le32(ent + 28, size);
		r = vol_write(v, sec, buf, bps, e);
	}
	free(buf);
	return r;
}

/* Keep FSInfo honest; if it cannot be, say "unknown" rather than lie.  Its
 * copy in the backup boot record follows, so that the two stay one. */
static int update_fsinfo(struct fat_vol *v, uint32_t n, uint32_t last, struct errmsg *e)
{
	struct fat_geom *g = &v->g;
	uint64_t off = (uint64_t)g->fsinfo_sector * g->bytes_per_sector;
	uint8_t *buf;
	int r;

	if (!g->fsinfo_valid)
		return 0;
	buf = fat_io_alloc(g->bytes_per_sector);
	if (!buf)
		return -ENOMEM;
	r = fat_vol_read(v, off, buf, g->bytes_per_sector, e);
	if (r == 0 && fat_fsinfo_signed(buf)) {
		uint32_t free_count = get_le32(buf + 488);

		if (free_count != FAT_FSINFO_UNKNOWN)
			free_count = free_count >= n && free_count <= g->cluster_count
				     ? free_count - n : FAT_FSINFO_UNKNOWN;
		put_le32(buf + 488, free_count);
		/* like mtools and Linux: the last cluster allocated */
		put_le32(buf + 492, last);
		r = vol_write(v, off, buf, g->bytes_per_sector, e);
		if (r == 0 && g->backup_boot_sector &&
		    g->backup_boot_sector + g->fsinfo_sector < g->reserved_sectors)
			r = vol_write(v, off + (uint64_t)g->backup_boot_sector * g->bytes_per_sector,
				      buf, g->bytes_per_sector, e);
		if (r == 0) {
			g->fsinfo_free = free_count;
			g->fsinfo_next = last;
		}
	}
	free(buf);
	return r;
}

int fat_alloc_contiguous(struct fat_vol *vol, const char *path, uint64_t size,
			 uint64_t align, struct fat_extent *ext, struct errmsg *e)
{
	struct fat_dirent de;
	uint32_t n, first = 0;
	int r;

	memset(ext, 0, sizeof(*ext));
	if (!vol->io.write)
		return errmsg_set(e, -EROFS, _("the card is open read-only"));
	if (size > UINT32_MAX)
		return errmsg_set(e, -EFBIG,
				  _("%llu bytes do not fit a FAT32 file (4 GiB - 1 at most)"),
				  (unsigned long long)size);
	r = fat_lookup(vol, path, &de, NULL, 0, e);
	if (r < 0)
		return r;
	if (de.attr & (FAT_ATTR_DIRECTORY | FAT_ATTR_VOLUME_ID) || de.flags & FAT_DE_ROOT)
		return errmsg_set(e, -EISDIR, _("%s is a directory"), path);
	if (de.first_cluster || de.size)
		return errmsg_set(e, -EEXIST, _("%s is not empty"), path);
	if (size == 0)
		return 0;
	n = fat_clusters_for(vol, size);
	if (n > vol->g.cluster_count)
		return errmsg_set(e, -ENOSPC,
				  _("%u clusters needed, the volume has %u"), n,
				  vol->g.cluster_count);
	r = find_run(vol, n, align, &first, e);
	if (r == 0)
		r = check_free_everywhere(vol, first, n, e);
	/* FATs before the entry: a crash in between leaves lost clusters
	 * (fsck reclaims them), never a file pointing at free ones. */
	if (r == 0)
		r = write_chain(vol, first, n, e);
	if (r == 0)
		r = write_entry(vol, &de, first, (uint32_t)size, e);
	if (r == 0)
		r = update_fsinfo(vol, n, first + n - 1, e);
	if (r < 0)
		return r;
	ext->part_off = fat_cluster_off(vol, first);
	ext->card_off = vol->g.part_offset + ext->part_off;
	ext->len = size;
	ext->first_cluster = first;
	ext->clusters = n;
	return 0;
}
