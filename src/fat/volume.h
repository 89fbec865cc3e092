/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FAT_VOLUME_H
#define DLOADCARD_FAT_VOLUME_H

#include <stdbool.h>

#include "card/card.h"
#include "fat/fat.h"
#include "lib/errmsg.h"

/*
 * The card as fat.c sees it.  direct: every read goes to the card, past
 * the page cache (verify, and the final check of prepare); buffered reads
 * share the page cache with mtools, whose writes are not yet on the card.
 */
struct fat_io volume_io(struct card *c, bool direct);

/* Open the FAT32 file system of a partition of the card.  0 or -errno with
 * the reason in e. */
int volume_open(struct card *c, bool direct, uint64_t part_off, uint64_t part_size,
		struct fat_vol **vol, struct errmsg *e);

#endif
