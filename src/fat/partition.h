/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FAT_PARTITION_H
#define DLOADCARD_FAT_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "fat/layout.h"
#include "lib/errmsg.h"

/*
 * Write a DOS (MBR) partition table with one primary FAT32 partition as the
 * layout says (its type, its CHS fields in the SD geometry), through
 * libfdisk, on the already opened card fd.  disk_id is the MBR's 32-bit
 * identifier (random: prepare_write()).  0 or -errno with a reason in e.
 */
int partition_write_mbr(int fd, const char *path, const struct sd_layout *l,
			uint32_t disk_id, struct errmsg *e);

#endif
