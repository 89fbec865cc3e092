/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The audit of the whole tree, as fsck.fat's check does it: every entry
 * from the root down has its clusters marked in a bitmap, so that
 * cross-links (with the target, or among the others), broken chains and
 * lost clusters show, and the free count is the FAT's own, not FSInfo's.
 * A directory whose chain loops or is shared is not entered, and nesting
 * is bounded, so a corrupt card cannot make the walk loop.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fat/fat_private.h"

#define MAX_DEPTH 128u  /* a 260-character path is ~130 levels */

struct tree {
	struct fat_vol *v;
	struct fat_tree_report *r;
	struct errmsg *e;
	struct errmsg dir_err;  /* a directory's listing: counted, or handed to e */
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
		     bool *has, struct errmsg *e)
{
	uint32_t next;
	enum fat_link l;

	*has = false;
	for (uint32_t i = 0; i < n; i++, first = next) {
		int r;

		if (first == c) {
			*has = true;
			return 0;
		}
		r = fat_next_cluster(v, first, &next, &l, e);
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

	r = chain_has(t->v, de->first_cluster, n, c, &own, t->e);
	if (r < 0)
		return r;
	if (own) {
		cr->problem = FAT_CHAIN_LOOP;
		cr->at_cluster = prev;
		cr->value = c;
		note_bad(t, cr);
	} else if (!is_target && !(t->target && fat_bit_test(t->target, c))) {
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
	enum fat_link l;
	int r;

	if (fat_entry_problem(v, de, &cr)) {
		if (cr.problem != FAT_CHAIN_OK)
			note_bad(t, &cr);
		return cr.problem == FAT_CHAIN_OK;
	}
	for (c = de->first_cluster;; prev = c, c = next) {
		if (!is_target && t->target && fat_bit_test(t->target, c) && !hit_target) {
			hit_target = true;
			note_target_xlink(t, c);
		}
		if (fat_bit_test(t->used, c)) {
			r = collision(t, de, cr.clusters, prev, c, is_target, &cr);
			return r < 0 ? r : 0;
		}
		fat_bit_set(t->used, c);
		t->r->used_clusters++;
		if (c != prev + 1)
			cr.runs++;
		if (++cr.clusters == cr.expected)
			should_end = c;
		r = fat_next_cluster(v, c, &next, &l, t->e);
		if (r < 0)
			return r;
		if (l == L_EOC)
			break;
		if (l != L_NEXT) {
			cr.problem = fat_link_problem(l);
			cr.at_cluster = c;
			cr.value = next;
			note_bad(t, &cr);
			/* what there is of a directory can still be read */
			return !hit_target;
		}
	}
	fat_length_problem(de, c, next, should_end, &cr);
	if (cr.problem != FAT_CHAIN_OK)
		note_bad(t, &cr);
	return !hit_target;
}

static int walk_dir(struct tree *t, const struct fat_dirent *dir, unsigned depth)
{
	size_t plen = strlen(t->path);
	struct fat_dirent de;
	struct fat_dir *d;
	int r, rc = 0;

	r = fat_dir_open(t->v, dir, &d, &t->dir_err);
	if (r == -EUCLEAN) {
		t->r->unreadable_dirs++;
		return 0;
	}
	if (r < 0)
		return errmsg_set(t->e, r, "%s", t->dir_err.text);
	while ((r = fat_dir_next(d, &de, &t->dir_err)) > 0) {
		bool is_dir = de.attr & FAT_ATTR_DIRECTORY;

		fat_append_path(t->path, sizeof(t->path), de.name);
		if (is_dir)
			t->r->dirs++;
		else
			t->r->files++;
		rc = mark_entry(t, &de);
		if (rc > 0 && is_dir) {
			if (depth >= MAX_DEPTH)
				t->r->too_deep++;
			else
				rc = walk_dir(t, &de, depth + 1);
		}
		t->path[plen] = '\0';
		if (rc < 0)
			break;
	}
	fat_dir_close(d);
	if (rc < 0)
		return rc;	/* e already says why */
	if (r == -EUCLEAN || r == -EFBIG) {
		t->r->unreadable_dirs++;
		return 0;
	}
	return r < 0 ? errmsg_set(t->e, r, "%s", t->dir_err.text) : 0;
}

/* Free, bad and lost clusters, from the active FAT. */
static void count_entry(void *arg, uint32_t c, uint32_t val)
{
	struct tree *t = arg;

	if (val == 0)
		t->r->free_clusters++;
	else if (val == FAT_BAD)
		t->r->bad_clusters++;
	else if (!fat_bit_test(t->used, c))
		t->r->lost_clusters++;
}

/* The target's own clusters, bounded by its length (or the bitmap). */
static int mark_target(struct tree *t, const struct fat_dirent *de)
{
	struct fat_chain_report cr;
	uint32_t c, next;
	enum fat_link l;

	if (fat_entry_problem(t->v, de, &cr))
		return 0;
	for (c = de->first_cluster; !fat_bit_test(t->target, c); c = next) {
		int r;

		fat_bit_set(t->target, c);
		r = fat_next_cluster(t->v, c, &next, &l, t->e);
		if (r < 0)
			return r;
		if (l != L_NEXT)
			break;
	}
	return 0;
}

int fat_check_tree(struct fat_vol *vol, const struct fat_dirent *target,
		   struct fat_tree_report *r, struct errmsg *e)
{
	struct tree t = { .v = vol, .r = r, .e = e };
	struct fat_dirent root;
	int ret;

	memset(r, 0, sizeof(*r));
	t.used = fat_bitmap_new(vol);
	if (target && !(target->flags & FAT_DE_ROOT)) {
		t.target = fat_bitmap_new(vol);
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
	fat_root_dirent(vol, &root);
	ret = mark_entry(&t, &root);
	if (ret > 0)
		ret = walk_dir(&t, &root, 0);
	if (ret >= 0)
		ret = fat_scan(vol, count_entry, &t, e);
out:
	free(t.used);
	free(t.target);
	return ret < 0 ? ret : 0;
}
