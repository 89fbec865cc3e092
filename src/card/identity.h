/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CARD_IDENTITY_H
#define DLOADCARD_CARD_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "card/sysfs.h"

/* What a disk says it is, so the user can tell one card from another. */
struct disk_identity {
	char name[64];		/* "sdb" */
	uint64_t size;		/* bytes, from sysfs */
	char bus[16];		/* "usb", "mmc", "" */
	bool removable;
	bool ro;
	char vendor[64];
	char model[64];
	char serial[64];	/* the card's (mmc) or the disk's */
	/* A USB reader */
	char reader[128];	/* "Generic USB3.0 Card Reader" */
	char reader_id[16];	/* "0bda:0316" */
	char reader_serial[64];
	/* An SD card in a native slot */
	char cid[40];
	char card_name[16];
	char manfid[16];
	char oemid[16];
	char date[16];
	/* A loop device */
	char backing_file[256];
};

void identity_read(const struct sysroot *root, const char *disk, struct disk_identity *id);

/* One line: "Generic STORAGE DEVICE, serial 000000001, via USB reader ..." */
char *identity_summary(const struct disk_identity *id, char *buf, size_t len);

/*
 * Which card a name is.  One card has many names: a device node and its
 * links; an image file by any path, hard link, symlink or bind mount; the
 * loop devices on that file; a loop device's backing file.  They are one
 * card: the source must not be among them, two targets of a batch must not
 * share one, and the lock is taken on each (card.h).
 */
#define IDENTITY_MAX_LOOPS 16

struct card_identity {
	bool blockdev;			/* the name is a block device ... */
	dev_t rdev;			/* ... this one */
	char name[64];			/* its kernel name ("sdb", "loop0"), "" if unknown */
	bool have_file;			/* a file is behind it: the image, or a loop's backing file */
	dev_t dev;			/* ... on this file system */
	ino_t ino;
	char file[PATH_MAX];		/* a loop device's backing file, as the kernel names it */
	size_t nloops;			/* the loop devices on that file, this one included */
	dev_t loops[IDENTITY_MAX_LOOPS];
	char loop_names[IDENTITY_MAX_LOOPS][32];
};

/*
 * The identity of what st describes (a stat or fstat of the name), from the
 * sysfs of root and the loop devices' own answer (LOOP_GET_STATUS64, or the
 * backing file sysfs names when the device cannot be opened).  0 or -errno.
 */
int identity_resolve(const struct sysroot *root, const struct stat *st, struct card_identity *id);

/* The same for a path (followed through symlinks).  0 or -errno. */
int identity_of_path(const struct sysroot *root, const char *path, struct card_identity *id);

/* Whether a and b name one card (or one file). */
bool identity_same(const struct card_identity *a, const struct card_identity *b);

/* Whether the loop device devno is one of id's. */
bool identity_has_loop(const struct card_identity *id, dev_t devno);

/*
 * In words, how a (named an) is b (named bn), for a refusal: "/dev/loop0 is
 * a loop device on fw.zip", "card.img and fw.zip are the same file".  buf.
 */
char *identity_explain(const struct card_identity *a, const char *an,
		       const struct card_identity *b, const char *bn, char *buf, size_t len);

#endif
