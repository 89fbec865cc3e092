/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the FAT32 reader and allocator (the files of src/fat/
 * that fat_private.h lists): the input is the start of a card whose
 * partition begins at byte 0; the rest of a 64 MiB card reads as zeros, as
 * a sparse image would, so that small inputs can hold a real FAT32 (which
 * needs 65525 clusters).  Open it, walk everything, allocate a file.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -I_build \
 *	tests/fuzz/fuzz_fat.c src/fat/{identify,boot,fatio,table,dir,lfn,tree,extents,alloc}.c \
 *	src/lib/errmsg.c -o fuzz_fat
 *   tests/fuzz/fuzz_fat-seeds.sh corpus && ./fuzz_fat -max_total_time=60 corpus
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fat/alloc.h"
#include "fat/fat.h"

#define CARD_SIZE (64ull << 20)

struct card {
	uint8_t *data;
	size_t len;     /* bytes backed by the input; zeros after */
};

static int card_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct card *c = ctx;
	size_t have = 0;

	if (off > CARD_SIZE || len > CARD_SIZE - off)
		return -EIO;
	if (off < c->len)
		have = c->len - off < len ? c->len - (size_t)off : len;
	memcpy(buf, c->data + (have ? off : 0), have);
	memset((uint8_t *)buf + have, 0, len - have);
	return 0;
}

static int card_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	struct card *c = ctx;

	if (off > CARD_SIZE || len > CARD_SIZE - off)
		return -EIO;
	if (off < c->len)	/* past the input, writes are dropped */
		memcpy(c->data + off, buf, c->len - off < len ? c->len - (size_t)off : len);
	return 0;
}

static int count_extent(void *arg, const struct fat_extent *e)
{
	uint64_t *total = arg;

	*total += e->len;
	return 0;
}

static void check_entry(struct fat_vol *v, const struct fat_dirent *de)
{
	struct fat_chain_report cr;
	struct fat_fat_diff diff;
	uint64_t total = 0, off;

	fat_check_chain(v, de, &cr, NULL);
	fat_compare_fats(v, de, &diff, NULL);
	fat_extents(v, de, count_extent, &total, NULL);
	if (de->size) {
		fat_map_offset(v, de, 0, &off, NULL);
		fat_map_offset(v, de, de->size - 1, &off, NULL);
	}
}

static void walk_root(struct fat_vol *v)
{
	struct fat_dirent de;
	struct fat_dir *d;
	int n = 0;

	if (fat_dir_open(v, NULL, &d, NULL))
		return;
	while (n++ < 64 && fat_dir_next(d, &de, NULL) > 0)
		check_entry(v, &de);
	fat_dir_close(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct card c = { malloc(size ? size : 1), size };
	struct fat_io io = { &c, card_read, card_write };
	struct fat_tree_report tr;
	struct fat_fat_diff diff;
	struct fat_extent ext;
	struct fat_dirent de;
	struct fat_vol *v;
	enum fat_kind kind;
	struct errmsg err;

	if (!c.data)
		return 0;
	memcpy(c.data, data, size);
	fat_identify(&io, 0, CARD_SIZE, &kind, NULL);
	if (fat_open(&io, 0, CARD_SIZE, &v, &err) == 0) {
		char stored[FAT_PATH_MAX];
		bool found = fat_lookup(v, "dload/UPDATE.APP", &de, stored,
					sizeof(stored), NULL) == 0;

		/* the whole-tree walk reads the whole FAT: twice is enough */
		fat_check_tree(v, found ? &de : NULL, &tr, NULL);
		fat_compare_fats(v, NULL, &diff, NULL);
		walk_root(v);
		if (found)
			check_entry(v, &de);
		/* the size comes from the input, to reach every path */
		fat_alloc_contiguous(v, "dload/UPDATE.TMP",
				     size > 8 ? (uint64_t)data[size - 1] << 16 | data[size - 2] << 8 : 0,
				     size > 8 ? 1ull << (data[size - 3] % 24) : 0, &ext, NULL);
		fat_check_tree(v, NULL, &tr, NULL);
		fat_close(v);
	}
	free(c.data);
	return 0;
}
