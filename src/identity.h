/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_IDENTITY_H
#define DLOADCARD_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sysfs.h"

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

#endif
