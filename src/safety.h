/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_SAFETY_H
#define DLOADCARD_SAFETY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sysfs.h"

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
};

struct safety_result {
	enum safety_refusal refusal;
	char reason[512];	/* one line: what and the fix */
};

#define SAFETY_ALLOW_FIXED	(1U << 0)

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

#endif
