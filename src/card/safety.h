/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CARD_SAFETY_H
#define DLOADCARD_CARD_SAFETY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "card/card.h"
#include "card/identity.h"
#include "card/sysfs.h"
#include "lib/errmsg.h"

/*
 * The rules that keep dloadcard away from the wrong disk.  They run before
 * any byte is written, on facts read from sysfs and the mount table, so that
 * tests can drive them with a fake tree.
 */
enum safety_refusal {
	SAFE_OK = 0,
	SAFE_PARTITION,		/* a partition node, not the whole card */
	SAFE_SYSTEM,		/* holds /, /boot, /boot/efi or active swap */
	SAFE_MOUNTED,		/* the disk or a partition is mounted */
	SAFE_IN_USE,		/* held by dm/md, or opened exclusively */
	SAFE_READ_ONLY,		/* write-protected (lock switch) */
	SAFE_FIXED,		/* neither removable nor on usb/mmc */
	SAFE_NOT_DISK,		/* not a block device we know */
	SAFE_LOCKED,		/* locked by another program (another dloadcard) */
	SAFE_SOURCE,		/* the source itself, under another name */
	SAFE_NOT_IMAGE,		/* an existing file that is not a disk image */
	SAFE_CANNOT_OPEN,	/* missing, or the open failed */
};

struct safety_result {
	enum safety_refusal refusal;
	struct errmsg reason;	/* one line: what and the fix */
	char holds[160];	/* safety_open_card of an existing image file: what
				 * it holds ("a dos partition table", "60.0 MiB of
				 * data, not a disk image"); "" otherwise */
	bool forced;		/* ... erased only because of SAFETY_FORCE */
};

#define SAFETY_ALLOW_FIXED	(1U << 0)
#define SAFETY_FORCE		(1U << 1)	/* erase a file that is not a disk image */
#define SAFETY_ERASE		(1U << 2)	/* the card is erased (prepare, batch) */

/* Short, stable name of a refusal ("system", "mounted", ...) for tables and JSON. */
const char *safety_refusal_name(enum safety_refusal r);

/*
 * Check a block device by number.  A partition is refused with the whole
 * disk named in the reason.  Returns the refusal (SAFE_OK when none).
 */
enum safety_refusal safety_check_disk(const struct sysroot *root, dev_t devno,
				      unsigned flags, struct safety_result *res);

/* Is devno (a whole disk) the system disk?  For list and for tests. */
bool safety_is_system_disk(const struct sysroot *root, dev_t devno, char *why, size_t len);

/* The mount point of devno or of one of its partitions, if any. */
bool safety_find_mount(const struct sysroot *root, const char *disk, dev_t devno,
		       char *where, size_t len);

/* What is to be written, and what must not be. */
struct safety_target {
	unsigned flags;				/* SAFETY_* */
	uint64_t create_size;			/* create a missing image this big; 0: refuse */
	const char *const *sources;		/* the sources' paths (nsources of them) */
	const struct card_identity *const *source_ids;	/* ... which file each is (NULL:
							 * not known) */
	size_t nsources;
};

/*
 * The one way a card is opened for writing (prepare, batch, probe): the
 * rules on the disk, the exclusive open and lock, then the rules on its
 * identity (c->ident): not the source under any name; no loop device on the
 * same file mounted, in use or locked (each is locked too, and the backing
 * file of a loop device, so that another dloadcard on any name of the card
 * is refused); with SAFETY_ERASE, an existing file only if it is blank or a
 * disk image, or with SAFETY_FORCE (res->holds says what it holds).
 * Returns SAFE_OK with c open, or the refusal with c closed and nothing
 * written (a file it created is removed).
 */
enum safety_refusal safety_open_card(const struct sysroot *root, struct card *c,
				     const char *target, const struct safety_target *t,
				     struct safety_result *res);

#endif
