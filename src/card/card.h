/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CARD_CARD_H
#define DLOADCARD_CARD_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "card/identity.h"
#include "lib/errmsg.h"

/*
 * The device layer.  A card is an interface: the operations below and the
 * properties of struct card.  card.c implements it for the real thing, a
 * whole-disk block device or an image file (a regular file, possibly on
 * the faulty-card simulator); fake.h stacks faulty cards on any card, for
 * the unit tests.  Everything that reads or writes the card goes through
 * here, so that I/O errors are classified in one place and the read-back
 * always bypasses the page cache; only libblkid, libfdisk and mtools work
 * on its descriptor, past the interface (card_tool_fd).
 */
#define CARD_MAX_LOCKS 16

struct card;

/*
 * What a kind of card does.  pread and pwrite move up to len bytes at off
 * and return how many (0: the card ends there) or -errno, as pread(2) does;
 * direct asks for the card itself, past any cache (off, len and buf then
 * aligned to c->align).  The card_* functions below loop, record the
 * failure in c and classify it: a kind of card only says what happened.
 */
struct card_ops {
	ssize_t (*pread)(struct card *c, void *buf, size_t len, uint64_t off, bool direct);
	ssize_t (*pwrite)(struct card *c, const void *buf, size_t len, uint64_t off,
			  bool direct);
	int (*flush)(struct card *c);		/* what was written stays on the card */
	int (*reset)(struct card *c);		/* cached copies forgotten */
	bool (*gone)(struct card *c);		/* after an I/O error: is it still there? */
	int (*host_full)(struct card *c, int err);
	int (*tool_fd)(struct card *c);		/* the descriptor, for the tools */
	void (*close)(struct card *c);
};

struct card {
	const struct card_ops *ops;	/* NULL until opened: then card.c's */
	void *impl;		/* the kind's own state (a fake's model) */
	char *path;		/* as given on the command line */
	char name[64];		/* kernel name ("sdb"); "" for an image */
	dev_t devno;		/* whole disk; 0 for an image */
	bool blockdev;
	bool created;		/* an image file created by this run */
	bool writable;
	int fd;			/* buffered; exclusive and locked when writable */
	int dfd;		/* O_DIRECT, or -1 when the file system has none */
	int lock_fd[CARD_MAX_LOCKS];	/* the card's other names, locked too */
	size_t nlocks;
	struct card_identity ident;	/* which card it is (safety_open_card) */
	uint64_t size;		/* bytes */
	unsigned sector_size;	/* logical sector size */
	unsigned align;		/* O_DIRECT alignment of offset, length, buffer */
	int last_errno;		/* errno of the last failed I/O (card_last_errno) */
	uint64_t last_offset;	/* where it failed (card_last_offset) */
};

/* A run of a file's bytes on the card. */
struct card_extent {
	uint64_t file_off;
	uint64_t card_off;
	uint64_t len;
};

enum card_open_flags {
	CARD_WRITE = 1 << 0,	/* O_RDWR, O_EXCL and flock(LOCK_EX) */
	CARD_CREATE = 1 << 1,	/* create an image file of create_size */
};

/* What a path is, before anything is opened. */
enum card_kind {
	CARD_KIND_MISSING,
	CARD_KIND_BLOCKDEV,
	CARD_KIND_IMAGE,
	CARD_KIND_OTHER,	/* directory, character device, ... */
};

enum card_kind card_kind_of(const char *path, dev_t *rdev);

/*
 * Open a card.  On failure returns -errno and a one-line reason in e:
 * EBUSY means in use (mounted, or opened exclusively by someone else),
 * EWOULDBLOCK locked by another program (another dloadcard), EROFS
 * write-protected, ESTALE that the name changed to another file meanwhile.
 * A writer goes through safety_open_card(), which applies the rules first.
 */
int card_open(struct card *c, const char *path, unsigned flags, uint64_t create_size,
	      struct errmsg *e);
/* Close it (a fake card: with the card below it); the properties stay. */
void card_close(struct card *c);

/*
 * Lock another name of the card as well: the backing file of a loop device,
 * or a loop device on the image (claimed exclusively too, so that nobody
 * mounts it meanwhile).  A second dloadcard on that name is then refused as
 * locked, whichever name it was given.  0; -EWOULDBLOCK locked; -EBUSY in
 * use (mounted, or opened exclusively); -ESTALE path is another file than
 * (dev, ino) now; -errno.
 */
int card_lock_alias(struct card *c, const char *path, bool blockdev, dev_t dev, ino_t ino);

/* An image file this run created, and nothing was written: remove it (only
 * if the name is still that file).  Before card_close. */
void card_discard(struct card *c);

/*
 * Is a failed write of an image the host file system's fault (full, quota,
 * file too large) rather than the card's?  err is the failure's errno, or 0
 * when it is not known (a tool only said it failed: then the file system's
 * free space tells).  The errno that says so, or 0.
 */
int card_host_full(struct card *c, int err);

/*
 * A card that is not opened, so that card_close() does nothing.  Before
 * card_open() or safety_open_card() may fail with the card untouched.
 */
void card_init(struct card *c);

/* Full reads and writes at an offset; -errno on failure, recorded in c. */

int card_pread(struct card *c, void *buf, size_t len, uint64_t off);
int card_pwrite(struct card *c, const void *buf, size_t len, uint64_t off);

/*
 * The last failure and where it happened, read atomically: threads that
 * share a card (the copy's writers, the read-back's readers) may fail at
 * once, and then each finds one of the places where the card failed.
 */
int card_last_errno(const struct card *c);
uint64_t card_last_offset(const struct card *c);

/*
 * O_DIRECT transfers: off, len and buf aligned to c->align.  Falls back to
 * buffered I/O (with the cache dropped) on a file system without O_DIRECT.
 */
int card_pread_direct(struct card *c, void *buf, size_t len, uint64_t off);
int card_pwrite_direct(struct card *c, const void *buf, size_t len, uint64_t off);

/*
 * Read len bytes at off, whatever their alignment, past the page cache: an
 * aligned superset is read into buf (size bufsize, from card_alloc_buffer,
 * at least len + 2 * c->align) and *data points at the first byte wanted.
 */
int card_pread_unaligned(struct card *c, void *buf, size_t bufsize, uint64_t off,
			 size_t len, const void **data);

/* An aligned buffer for card_*_direct; free() it. */
void *card_alloc_buffer(const struct card *c, size_t len);

/*
 * Make what was written stay on the card: fsync (a fake card writes its
 * cache back, unless it lies).  Cached copies stay.  0 or -errno.
 */
int card_sync(struct card *c);

/*
 * Forget every cached copy of the card, so that the next read asks the card
 * itself: the kernel's (BLKFLSBUF, fadvise), a fake card's cache (what was
 * not synced is lost then, as a power cut would lose it).  0 or -errno.
 */
int card_reset(struct card *c);

/* card_sync(), then card_reset(): before reading back what was written. */
int card_flush(struct card *c);

/*
 * The card's descriptor, for libblkid, libfdisk and mtools, which read and
 * write it themselves, past the interface (a fake card's faults do not
 * reach them).  A card that caches writes hands them down first, so that
 * the tools see every byte written through the interface.
 */
int card_tool_fd(struct card *c);

/* Make the kernel re-read the partition table (BLKRRPART, retried on EBUSY). */
int card_reread_partitions(struct card *c);

/* Is the error one that means the card went away (unplugged, reader reset)? */
bool card_errno_vanished(int e);

/*
 * After an I/O error: is the card still there?  A reader that lost its card
 * may still answer EIO; opening the path again, and the size, tell.
 */
bool card_gone(struct card *c);

#endif
