/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Directories: their 32-byte entries read a window at a time along the
 * cluster chain (bounded by the spec's 65536 entries, so a loop ends), the
 * 8.3 names and their NT case flags, DOS timestamps, and the look-up of a
 * path against long and short names.  Long names themselves are lfn.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fat/fat_private.h"
#include "lib/nls.h"

#define DIR_WIN         4096u          /* directory read-ahead */
#define ATTR_LFN        0x0fu
#define ATTR_LFN_MASK   0x3fu

static int dir_open_at(struct fat_vol *v, uint32_t first, struct fat_dir **dirp,
		       struct errmsg *e)
{
	struct fat_dir *d;

	if (!fat_valid_cluster(v, first))
		return errmsg_set(e, -EUCLEAN,
				  _("directory cluster %u is out of range"), first);
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->v = v;
	d->cluster = first;
	/* cluster sizes and sector sizes are powers of two: a whole number
	 * of sectors, dividing the cluster */
	d->buf_len = v->g.cluster_size < DIR_WIN ? v->g.cluster_size : DIR_WIN;
	d->buf = fat_io_alloc(d->buf_len);
	if (!d->buf) {
		free(d);
		return -ENOMEM;
	}
	*dirp = d;
	return 0;
}

int fat_dir_open(struct fat_vol *vol, const struct fat_dirent *dir,
		 struct fat_dir **dirp, struct errmsg *e)
{
	if (dir && !(dir->attr & FAT_ATTR_DIRECTORY))
		return errmsg_set(e, -ENOTDIR, _("not a directory"));
	return dir_open_at(vol, dir ? dir->first_cluster : vol->g.root_cluster, dirp, e);
}

void fat_dir_close(struct fat_dir *dir)
{
	if (dir) {
		free(dir->buf);
		free(dir);
	}
}

/* Next raw 32-byte entry; 0 at the end marker or the chain's end. */
static int dir_raw_next(struct fat_dir *d, const uint8_t **ent, uint64_t *off,
			struct errmsg *e)
{
	struct fat_vol *v = d->v;
	uint32_t next;
	enum fat_link l;
	int r;

	if (d->end)
		return 0;
	if (d->pos >= v->g.cluster_size) {
		r = fat_next_cluster(v, d->cluster, &next, &l, e);
		if (r < 0)
			return r;
		if (l == L_EOC) {
			d->end = true;
			return 0;
		}
		if (l != L_NEXT) {
			d->end = true;
			return errmsg_set(e, -EUCLEAN,
					  _("directory chain broken at cluster %u: %s"), d->cluster,
					  fat_chain_problem_text(fat_link_problem(l)));
		}
		d->cluster = next;
		d->pos = 0;
		d->buf_valid = false;
	}
	if (d->entries >= DIR_MAX_ENTRIES) {
		d->end = true;
		return errmsg_set(e, -EFBIG, _("directory longer than %u entries (a loop?)"),
				  DIR_MAX_ENTRIES);
	}
	if (!d->buf_valid || d->pos < d->buf_start || d->pos >= d->buf_start + d->buf_len) {
		d->buf_start = d->pos - d->pos % d->buf_len;
		r = fat_vol_read(v, fat_cluster_off(v, d->cluster) + d->buf_start, d->buf,
				 d->buf_len, e);
		if (r < 0)
			return r;
		d->buf_valid = true;
	}
	*ent = d->buf + (d->pos - d->buf_start);
	*off = fat_cluster_off(v, d->cluster) + d->pos;
	d->pos += DIR_ENT;
	d->entries++;
	if ((*ent)[0] == 0x00) {	/* no entry follows this one */
		d->end = true;
		return 0;
	}
	return 1;
}

void fat_format_short(const uint8_t *e, char out[13])
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
			o += fat_put_utf8(out + o, 0xfffd);
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
	fat_format_short(e, de->short_name);
	if (fat_lfn_take(&d->lfn, e, de->name))
		de->flags |= FAT_DE_LFN;
	else
		display_short(e, de->short_name, de->name);
	if (d->lfn.broken)
		de->flags |= FAT_DE_LFN_BAD;
	d->lfn.broken = false;
	de->attr = e[11];
	de->first_cluster = (uint32_t)get_le16(e + 20) << 16 | get_le16(e + 26);
	de->size = get_le32(e + 28);
	dos_time(&de->ctime, get_le16(e + 16), get_le16(e + 14), e[13]);
	dos_time(&de->atime, get_le16(e + 18), 0, 0);
	dos_time(&de->mtime, get_le16(e + 24), get_le16(e + 22), 0);
	de->entry_offset = off;
}

static bool is_dot_entry(const uint8_t *e)
{
	return !memcmp(e, ".          ", 11) || !memcmp(e, "..         ", 11);
}

int fat_dir_next(struct fat_dir *d, struct fat_dirent *de, struct errmsg *e)
{
	const uint8_t *ent;
	uint64_t off;
	int r;

	while ((r = dir_raw_next(d, &ent, &off, e)) > 0) {
		if (ent[0] == 0xe5) {		/* deleted */
			fat_lfn_drop(&d->lfn);
			continue;
		}
		if ((ent[11] & ATTR_LFN_MASK) == ATTR_LFN) {
			fat_lfn_add(&d->lfn, ent);
			continue;
		}
		if (ent[11] & FAT_ATTR_VOLUME_ID || is_dot_entry(ent)) {
			fat_lfn_drop(&d->lfn);
			continue;
		}
		fill_dirent(d, ent, off, de);
		return 1;
	}
	return r;
}

/* A broken root is reported by the checks, not here: only an I/O error
 * fails (and says so in e). */
int fat_read_root_label(struct fat_vol *v, struct errmsg *e)
{
	struct errmsg why;
	struct fat_dir *d;
	const uint8_t *ent;
	uint64_t off;
	int r;

	r = dir_open_at(v, v->g.root_cluster, &d, e);
	if (r < 0)
		return r;
	while ((r = dir_raw_next(d, &ent, &off, &why)) > 0) {
		if (ent[0] != 0xe5 && (ent[11] & ATTR_LFN_MASK) != ATTR_LFN &&
		    (ent[11] & FAT_ATTR_VOLUME_ID)) {
			v->g.has_root_label = true;
			fat_copy_field(v->g.root_label, ent, 11);
			break;
		}
	}
	fat_dir_close(d);
	if (r == -EUCLEAN || r == -EFBIG || r >= 0)
		return 0;
	return errmsg_set(e, r, "%s", why.text);
}

/* ---- look-up ----------------------------------------------------------- */

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

void fat_root_dirent(const struct fat_vol *v, struct fat_dirent *de)
{
	memset(de, 0, sizeof(*de));
	de->attr = FAT_ATTR_DIRECTORY;
	de->first_cluster = v->g.root_cluster;
	de->flags = FAT_DE_ROOT;
}

/* Replaces *de, the directory searched, by the entry found in it. */
static int find_in_dir(struct fat_vol *v, const char *name, struct fat_dirent *de,
		       struct errmsg *e)
{
	struct fat_dir *d;
	int r;

	r = fat_dir_open(v, de, &d, e);	/* takes what it needs from *de */
	if (r < 0)
		return r;
	while ((r = fat_dir_next(d, de, e)) > 0)
		if (ascii_caseeq(name, de->name) || ascii_caseeq(name, de->short_name))
			break;
	fat_dir_close(d);
	if (r == 0)
		return errmsg_set(e, -ENOENT, _("\"%s\" not found"), name);
	return r < 0 ? r : 0;
}

void fat_append_path(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);

	if (n + 1 < len)
		snprintf(buf + n, len - n, "%s%s", n ? "/" : "", name);
}

int fat_lookup(struct fat_vol *vol, const char *path, struct fat_dirent *de,
	       char *stored, size_t storedlen, struct errmsg *e)
{
	char name[FAT_NAME_MAX];
	const char *p = path;

	fat_root_dirent(vol, de);
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
		if (n >= sizeof(name))
			return errmsg_set(e, -ENAMETOOLONG, _("path component too long"));
		if (!(de->attr & FAT_ATTR_DIRECTORY))
			return errmsg_set(e, -ENOTDIR,
					  _("\"%s\" is not a directory"), de->name);
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		r = find_in_dir(vol, name, de, e);
		if (r < 0)
			return r;
		if (stored)
			fat_append_path(stored, storedlen, de->name);
	}
}
