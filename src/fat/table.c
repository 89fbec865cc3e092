/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The FAT: its 28-bit entries read through a window of one copy (a big
 * card has millions), what each links to, a chain walked and judged
 * against its file's size, and the copies compared.  Every cluster number
 * read here is classified before anyone follows it.
 */
#include <errno.h>
#include <string.h>

#include "fat/fat_private.h"
#include "lib/nls.h"

static enum fat_link classify(const struct fat_vol *v, uint32_t val)
{
	if (val == 0)
		return L_FREE;
	if (val == 1)
		return L_RESERVED;
	if (val <= fat_max_cluster(v))
		return L_NEXT;
	if (val >= FAT_EOC_MIN)
		return L_EOC;
	if (val == FAT_BAD)
		return L_BAD;
	if (val >= FAT_RSVD_MIN)
		return L_RESERVED;
	return L_RANGE;
}

enum fat_chain_problem fat_link_problem(enum fat_link l)
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

int fat_get(struct fat_vol *v, uint32_t copy, uint32_t c, uint32_t *val, struct errmsg *e)
{
	uint64_t in_fat = (uint64_t)c * 4, start;

	if (c > fat_max_cluster(v) || copy >= v->g.num_fats)
		return errmsg_set(e, -EINVAL,
				  _("internal: FAT entry %u of copy %u"), c, copy);
	start = in_fat - in_fat % FAT_WIN;
	if (!v->win_valid || v->win_copy != copy || v->win_start != start) {
		uint64_t len = v->g.fat_bytes - start;
		int r;

		if (len > FAT_WIN)
			len = FAT_WIN;
		v->win_valid = false;
		r = fat_vol_read(v, v->g.fat_offset + copy * v->g.fat_bytes + start,
				 v->win, (size_t)len, e);
		if (r < 0)
			return r;
		v->win_valid = true;
		v->win_copy = copy;
		v->win_start = start;
		v->win_len = (uint32_t)len;
	}
	*val = get_le32(v->win + (in_fat - start)) & FAT_MASK;
	return 0;
}

int fat_next_cluster(struct fat_vol *v, uint32_t c, uint32_t *next, enum fat_link *l,
		     struct errmsg *e)
{
	int r = fat_get(v, v->g.active_fat, c, next, e);

	if (r == 0)
		*l = classify(v, *next);
	return r;
}

int fat_scan(struct fat_vol *v, void (*fn)(void *arg, uint32_t c, uint32_t val), void *arg,
	     struct errmsg *e)
{
	uint64_t c = 2, last = fat_max_cluster(v);
	uint32_t val;

	while (c <= last) {
		int r = fat_get(v, v->g.active_fat, (uint32_t)c, &val, e);
		uint64_t end;

		if (r < 0)
			return r;
		end = (v->win_start + v->win_len) / 4;	/* past the window */
		for (; c < end && c <= last; c++)
			fn(arg, (uint32_t)c, get_le32(v->win + (c * 4 - v->win_start)) & FAT_MASK);
	}
	return 0;
}

struct usage {
	uint32_t free, last_used;
};

static void count_free(void *arg, uint32_t c, uint32_t val)
{
	struct usage *u = arg;

	if (val == 0)
		u->free++;
	else
		u->last_used = c;
}

int fat_count_free(struct fat_vol *vol, uint32_t *free_clusters, uint32_t *last_used,
		   struct errmsg *e)
{
	struct usage u = { 0, 0 };
	int r = fat_scan(vol, count_free, &u, e);

	if (r == 0) {
		*free_clusters = u.free;
		*last_used = u.last_used;
	}
	return r;
}

int fat_check_reserved_entries(struct fat_vol *v, struct errmsg *e)
{
	uint32_t e0, e1;
	int r;

	r = fat_get(v, v->g.active_fat, 0, &e0, e);
	if (r == 0)
		r = fat_get(v, v->g.active_fat, 1, &e1, e);
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

/* ---- chains ------------------------------------------------------------ */

const char *fat_chain_problem_text(enum fat_chain_problem p)
{
	switch (p) {
	case FAT_CHAIN_OK:		return _("chain intact");
	case FAT_CHAIN_LOOP:		return _("the chain loops");
	case FAT_CHAIN_SHORT:		return _("the chain is shorter than the size");
	case FAT_CHAIN_LONG:		return _("the chain is longer than the size");
	case FAT_CHAIN_FREE:		return _("the chain runs into a free cluster");
	case FAT_CHAIN_RESERVED:	return _("the chain runs into a reserved value");
	case FAT_CHAIN_BAD:		return _("the chain runs into a bad cluster");
	case FAT_CHAIN_RANGE:		return _("the chain points past the last cluster");
	case FAT_CHAIN_FIRST_INVALID:	return _("the first cluster is out of range");
	case FAT_CHAIN_NO_CLUSTER:	return _("no cluster for a non-empty entry");
	}
	return _("unknown chain problem");
}

bool fat_entry_problem(const struct fat_vol *v, const struct fat_dirent *de,
		       struct fat_chain_report *r)
{
	bool dir = de->attr & FAT_ATTR_DIRECTORY;

	memset(r, 0, sizeof(*r));
	r->expected = dir ? 0 : fat_clusters_for(v, de->size);
	if (de->first_cluster == 0) {
		if (dir || de->size)
			r->problem = FAT_CHAIN_NO_CLUSTER;
		return true;
	}
	if (!fat_valid_cluster(v, de->first_cluster)) {
		r->problem = FAT_CHAIN_FIRST_INVALID;
		r->value = de->first_cluster;
		return true;
	}
	return false;
}

void fat_length_problem(const struct fat_dirent *de, uint32_t last, uint32_t eoc,
			uint32_t should_end, struct fat_chain_report *r)
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
		    struct fat_chain_report *r, struct errmsg *e)
{
	uint32_t c, prev = 0, next, should_end = 0;
	uint8_t *seen;
	enum fat_link l;
	int ret = 0;

	if (fat_entry_problem(vol, de, r))
		return 0;
	seen = fat_bitmap_new(vol);
	if (!seen)
		return -ENOMEM;
	for (c = de->first_cluster;; prev = c, c = next) {
		if (fat_bit_test(seen, c)) {
			r->problem = FAT_CHAIN_LOOP;
			r->at_cluster = prev;
			r->value = c;
			break;
		}
		fat_bit_set(seen, c);
		if (c != prev + 1)
			r->runs++;
		if (++r->clusters == r->expected)
			should_end = c;
		ret = fat_next_cluster(vol, c, &next, &l, e);
		if (ret < 0)
			break;
		if (l == L_EOC) {
			fat_length_problem(de, c, next, should_end, r);
			break;
		}
		if (l != L_NEXT) {
			r->problem = fat_link_problem(l);
			r->at_cluster = c;
			r->value = next;
			break;
		}
	}
	free(seen);
	return ret;
}

/* ---- the copies compared ----------------------------------------------- */

/*
 * Compare entries first..last of every copy with the active FAT, reading
 * FAT_CHUNK-sized sector-aligned pieces.  1 at the first difference.
 */
static int compare_range(struct fat_vol *v, uint32_t first, uint32_t last,
			 uint8_t *a, uint8_t *b, struct fat_fat_diff *diff,
			 struct errmsg *e)
{
	const struct fat_geom *g = &v->g;
	uint64_t bps = g->bytes_per_sector;
	uint64_t pos = (uint64_t)first * 4 / bps * bps;
	uint64_t end = ((uint64_t)last * 4 + 4 + bps - 1) / bps * bps;

	for (; pos < end; pos += FAT_CHUNK) {
		size_t len = end - pos < FAT_CHUNK ? (size_t)(end - pos) : FAT_CHUNK;
		uint64_t active = g->fat_offset + g->active_fat * g->fat_bytes + pos;
		int r = fat_vol_read(v, active, a, len, e);

		for (uint32_t k = 0; r == 0 && k < g->num_fats; k++) {
			if (k == g->active_fat)
				continue;
			r = fat_vol_read(v, g->fat_offset + k * g->fat_bytes + pos, b, len, e);
			for (size_t i = 0; r == 0 && i < len; i += 4) {
				uint64_t c = (pos + i) / 4;
				uint32_t x = get_le32(a + i) & FAT_MASK;
				uint32_t y = get_le32(b + i) & FAT_MASK;

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
			 uint8_t *a, uint8_t *b, struct fat_fat_diff *diff,
			 struct errmsg *e)
{
	bool dir = de->attr & FAT_ATTR_DIRECTORY;
	uint64_t limit = (dir ? fat_dir_max_clusters(v) : fat_clusters_for(v, de->size)) + 1;
	uint32_t c = de->first_cluster, start = c, next;
	enum fat_link l;

	if (!fat_valid_cluster(v, c))
		return 0;
	for (uint64_t n = 1;; n++, c = next) {
		int r = fat_next_cluster(v, c, &next, &l, e);

		if (r < 0)
			return r;
		if (l != L_NEXT || n >= limit || next != c + 1) {
			r = compare_range(v, start, c, a, b, diff, e);
			if (r != 0 || l != L_NEXT || n >= limit)
				return r;
			start = next;
		}
	}
}

int fat_compare_fats(struct fat_vol *vol, const struct fat_dirent *de,
		     struct fat_fat_diff *diff, struct errmsg *e)
{
	uint8_t *a, *b;
	int r;

	memset(diff, 0, sizeof(*diff));
	if (vol->g.num_fats < 2)
		return 0;
	a = fat_io_alloc(FAT_CHUNK);
	b = fat_io_alloc(FAT_CHUNK);
	if (!a || !b)
		r = -ENOMEM;
	else if (de)
		r = compare_chain(vol, de, a, b, diff, e);
	else
		r = compare_range(vol, 2, fat_max_cluster(vol), a, b, diff, e);
	free(a);
	free(b);
	return r;
}
