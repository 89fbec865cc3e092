/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FAT_ALLOC_H
#define DLOADCARD_FAT_ALLOC_H

/*
 * The part of the FAT32 library that writes: prepare's allocation of its
 * file.  Kept out of fat/fat.h so that the read-only side (verify) cannot
 * reach it.  Errors as fat.h says, the words in e.
 */
#include <stdint.h>

#include "fat/fat.h"

/*
 * prepare: give the existing, empty file at path (made by mcopy) size bytes
 * in one run of clusters, starting at the first cluster whose card offset
 * (part_offset included: erase blocks count from the card's start) is a
 * multiple of align (a power of two up to 1 GiB, or 0/1 for none), in the
 * first such free run; its clusters must be free in every FAT copy.
 * Writes the chain into every FAT copy, then the directory entry, then
 * FSInfo (free count, last allocated).  *ext receives the run (len ==
 * size; nothing for a zero size).  The data itself is the caller's to
 * write.
 */
int fat_alloc_contiguous(struct fat_vol *vol, const char *path, uint64_t size,
			 uint64_t align, struct fat_extent *ext, struct errmsg *e);

#endif
