/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CARD_DISKS_H
#define DLOADCARD_CARD_DISKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "card/content.h"
#include "card/identity.h"
#include "card/safety.h"
#include "card/sysfs.h"

/*
 * The whole disks of a sysfs root, each with what it is and whether the
 * safety rules would let dloadcard write to it.  Shared by list and by
 * batch --watch; reads sysfs and the mount table only, opens no disk.
 */
struct disk_info {
	char name[64];			/* "sdb" */
	char path[80];			/* "/dev/sdb" */
	dev_t devno;
	uint64_t diskseq;		/* bumped by the kernel on a new medium; 0 if unknown */
	struct disk_identity id;
	bool fixed;			/* neither removable nor on usb/mmc/...: never a card */
	bool media;			/* a card is in (size > 0) */
	enum safety_refusal refusal;	/* the rules' answer, without --allow-fixed */
	char reason[512];		/* why, when refused */
	char mount[256];		/* "/dev/sdb1 on /media/x", or "" */
};

/*
 * Every whole disk under root->sys/block but RAM disks, optical drives and
 * detached loop devices, sorted by name (sda, sdb, ..., sdaa).  *out is
 * malloc'ed (free it).  0 or -errno.
 */
int disks_scan(const struct sysroot *root, struct disk_info **out, size_t *n);

/* Fill one disk's facts, by kernel name.  0 or -errno (not a disk). */
int disks_read(const struct sysroot *root, const char *name, struct disk_info *d);

/* "eligible", "no card", "protected (system)", "refused (mounted)", ... */
const char *disks_state(const struct disk_info *d, char *buf, size_t len);

/* A short identity for tables: "SD SC16G serial 0x0123abcd (2019-05)". */
char *disks_short_identity(const struct disk_identity *id, char *buf, size_t len);

/* What is on a card, in one line: "dos: 1 vfat FAT32 \"DLOAD\" 7.4 GiB". */
char *disks_content_summary(const struct card_content *cc, char *buf, size_t len);

#endif
