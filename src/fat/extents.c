/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Where a file lies on the card: its chain as runs of contiguous clusters
 * (prepare writes and reads back through them, verify hashes through
 * them), and the card offset of one byte of it.
 */
#include <errno.h>

#include "fat/fat_private.h"
#include "lib/nls.h"

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
		.part_off = fat_cluster_off(v, run->first),
		.first_cluster = run->first,
		.clusters = run->n,
	};

	e.card_off = v->g.part_offset + e.part_off;
	e.len = (uint64_t)run->n * v->g.cluster_size;
	if (!(de->attr & FAT_ATTR_DIRECTORY) && e.len > de->size - run->file_off)
		e.len = de->size - run->file_off;
	return cb(arg, &e);
}

/* Why the walk stopped at cluster c, the n-th, before the end it needed. */
static int chain_broken(struct fat_vol *v, uint64_t n, uint32_t c, enum fat_link l,
			struct errmsg *e)
{
	const char *why = l == L_NEXT ? _("directory too long") :
			  l == L_EOC ? fat_chain_problem_text(FAT_CHAIN_SHORT) :
			  fat_chain_problem_text(fat_link_problem(l));

	return errmsg_set(e, -EUCLEAN,
			  _("cluster chain broken after %llu clusters at cluster %u: %s"),
			  (unsigned long long)n, c, why);
}

int fat_extents(struct fat_vol *vol, const struct fat_dirent *de,
		int (*cb)(void *arg, const struct fat_extent *e), void *arg,
		struct errmsg *e)
{
	bool dir = de->attr & FAT_ATTR_DIRECTORY;
	uint64_t need = dir ? fat_dir_max_clusters(vol) : fat_clusters_for(vol, de->size);
	struct run run = { .first = de->first_cluster };
	uint32_t c = de->first_cluster, next;
	enum fat_link l;

	if (!dir && de->size == 0)
		return 0;
	if (!fat_valid_cluster(vol, c))
		return errmsg_set(e, -EUCLEAN, _("first cluster %u is out of range"), c);
	for (uint64_t n = 1;; n++, c = next) {
		int r;

		run.n++;
		if (!dir && n == need)	/* the size is covered */
			return emit_run(vol, de, &run, cb, arg);
		r = fat_next_cluster(vol, c, &next, &l, e);
		if (r < 0)
			return r;
		if (dir && l == L_EOC)
			return emit_run(vol, de, &run, cb, arg);
		if (l != L_NEXT || n >= need)
			return chain_broken(vol, n, c, l, e);
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
		   uint64_t file_off, uint64_t *card_off, struct errmsg *e)
{
	uint32_t c = de->first_cluster, next;
	uint64_t index;
	enum fat_link l;

	if (de->attr & FAT_ATTR_DIRECTORY || file_off >= de->size)
		return errmsg_set(e, -EINVAL,
				  _("offset %llu is past the end of the file"),
				  (unsigned long long)file_off);
	if (!fat_valid_cluster(vol, c))
		return errmsg_set(e, -EUCLEAN, _("first cluster %u is out of range"), c);
	index = file_off / vol->g.cluster_size;	/* < 2^32 clusters: size is 32-bit */
	for (uint64_t i = 0; i < index; i++, c = next) {
		int r = fat_next_cluster(vol, c, &next, &l, e);

		if (r < 0)
			return r;
		if (l != L_NEXT)
			return errmsg_set(e, -EUCLEAN,
					  _("cluster chain broken at cluster %u"), c);
	}
	*card_off = vol->g.part_offset + fat_cluster_off(vol, c) + file_off % vol->g.cluster_size;
	return 0;
}
