/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CARD_CONTENT_H
#define DLOADCARD_CARD_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/errmsg.h"

/*
 * What libblkid finds on a card: the partition table, the partitions and the
 * file system in each, or a file system on the whole card (a "superfloppy").
 */
#define CONTENT_MAX_ITEMS 16

struct content_item {
	int partno;		/* 0: the whole card */
	uint64_t offset;	/* bytes */
	uint64_t size;		/* bytes */
	unsigned type_code;	/* MBR partition type, 0 when none */
	char type[32];		/* "vfat", "exfat", "" when nothing is found */
	char version[16];	/* "FAT32" */
	char usage[16];		/* "filesystem", "crypto", "raid", "other" */
	char label[64];
	char uuid[64];
};

struct card_content {
	char pttype[16];	/* "dos", "gpt", "" */
	char ptuuid[64];
	size_t n;
	struct content_item items[CONTENT_MAX_ITEMS];
};

/* Probe fd (a card of size bytes).  0 or -errno. */
int content_probe(int fd, uint64_t size, struct card_content *cc);

/*
 * What an existing image file holds, for the rule on overwriting it: a disk
 * image (a partition table, or a FAT file system on the whole of it) or
 * nothing at all (no data, or zeros) may be erased; anything else only when
 * the user insists.  what gets the words: "a dos partition table", "an ext4
 * file system", "60.0 MiB of data".
 */
enum content_kind {
	CONTENT_BLANK,
	CONTENT_DISK_IMAGE,
	CONTENT_OTHER,		/* a signature libblkid knows, not a card's */
	CONTENT_DATA,		/* bytes that are nothing libblkid knows */
};

enum content_kind content_classify(int fd, uint64_t size, const struct card_content *cc,
				   char *what, size_t len);

/*
 * Erase every signature: file systems inside the old partitions first (a
 * whole-disk probe does not see them), then the whole card's, the GPT
 * backup at its end included.  Returns the number of signatures erased, or
 * -errno with a reason in e.
 */
int content_wipe(int fd, uint64_t size, struct errmsg *e);

#endif
