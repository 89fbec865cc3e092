/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FAT_FORMAT_H
#define DLOADCARD_FAT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "card/card.h"
#include "fat/layout.h"
#include "lib/errmsg.h"

#define DLOAD_DIR	"dload"
#define DLOAD_FILE	"UPDATE.APP"
/* The name the file has until it is verified: the device ignores it. */
#define DLOAD_TMPFILE	"UPDATE.TMP"
#define DEFAULT_LABEL	"DLOAD"

/*
 * A FAT volume label as it goes on the card, the same in the boot sector and
 * the root directory: 1 to 11 ASCII characters that a FAT short name allows,
 * upper-cased as FAT stores them, not starting with a space.  out holds
 * FORMAT_LABEL_MAX + 1 bytes.  0 or -EINVAL with e saying why.
 */
#define FORMAT_LABEL_MAX 11
int format_label(const char *label, char *out, struct errmsg *e);

/*
 * Make the FAT32 file system of the layout in the card's partition with
 * mformat, patch what mformat cannot set (layout.h: the OEM name, the drive
 * number, the backup boot record with its FSInfo copy), read the boot
 * record and its backup back from the card, then make the dload directory
 * with mmd.  0 or -errno with a reason in e (-EIO when mtools failed,
 * -EBADMSG when the card gave back another boot record than written).
 */
int format_fat32(struct card *c, const struct sd_layout *l, const char *label,
		 uint32_t volume_id, struct errmsg *e);

/* mtools operations on the card's file system (dload/NAME paths), likewise. */
int format_create_empty(struct card *c, const struct sd_layout *l, const char *path,
			struct errmsg *e);
int format_rename(struct card *c, const struct sd_layout *l, const char *from,
		  const char *to, struct errmsg *e);
int format_delete(struct card *c, const struct sd_layout *l, const char *path,
		  struct errmsg *e);
/*
 * Rename to a long name (an SD package's): a VFAT long-name entry and the
 * 8.3 alias mtools makes up; a name that exists already fails (-EIO), never
 * overwritten nor renamed.  format_rename() writes 8.3 names only
 * (UPDATE.APP, no long-name entry), overwriting.  format_delete() takes
 * either.
 */
int format_rename_long(struct card *c, const struct sd_layout *l, const char *from,
		       const char *to, struct errmsg *e);

#endif
