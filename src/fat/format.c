/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fat/format.h"
#include "fat/mtools.h"
#include "lib/byteorder.h"
#include "lib/nls.h"
#include "lib/strutils.h"

int format_label(const char *label, char *out, struct errmsg *e)
{
	static const char forbidden[] = "\"*+,./:;<=>?[\\]|";
	const unsigned char *p;
	size_t n = strlen(label);

	if (!n || n > FORMAT_LABEL_MAX)
		return errmsg_set(e, -EINVAL, _("a label has 1 to %d characters"), FORMAT_LABEL_MAX);
	/* FAT forbids a name that starts with a space; fsck.fat flags it. */
	if (label[0] == ' ')
		return errmsg_set(e, -EINVAL, _("a label cannot start with a space"));
	for (p = (const unsigned char *)label; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f || strchr(forbidden, *p))
			return errmsg_set(e, -EINVAL, _("'%c' is not allowed in a FAT label (letters, "
					  "digits, spaces and ! # $ %% & ' ( ) - @ ^ _ ` { } ~ are)"),
					  *p >= 0x20 && *p < 0x7f ? *p : '?');
	}
	/* mformat upper-cases the directory's copy only: do it for both (ASCII,
	 * whatever the locale). */
	for (p = (const unsigned char *)label; *p; p++)
		*out++ = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	*out = '\0';
	return 0;
}

static int run_flags(struct card *c, const char *const argv[], unsigned flags,
		     struct errmsg *e, const char *what)
{
	int rc = mtools_run_flags(argv, -1, -1, card_tool_fd(c), flags, e);

	if (rc)
		return errmsg_prefix(e, rc < 0 ? rc : -EIO, _("%s failed"), what);
	return 0;
}

static int run(struct card *c, const char *const argv[], struct errmsg *e,
	       const char *what)
{
	return run_flags(c, argv, 0, e, what);
}

static void drive(char *buf, size_t len, const struct sd_layout *l)
{
	mtools_drive(buf, len, l->part_start * LAYOUT_SECTOR);
}

static int zero_reserved(struct card *c, const struct sd_layout *l, struct errmsg *e)
{
	size_t len = (size_t)l->reserved_sectors * LAYOUT_SECTOR;
	char *zeros = calloc(1, len);
	int rc;

	if (!zeros)
		return errmsg_set(e, -ENOMEM, _("out of memory"));
	rc = card_pwrite(c, zeros, len, l->part_start * LAYOUT_SECTOR);
	free(zeros);
	if (rc)
		return errmsg_set(e, rc, _("cannot write the file system's reserved area: %s"),
				  strerror(-rc));
	return 0;
}

/* The boot record: the boot sector, FSInfo, and a third sector (the boot
 * code's); its backup, sectors 6 to 8, as fatgen103 places them. */
#define BOOT_RECORD_SECTORS	3U
#define BACKUP_BOOT_SECTOR	6U
#define FSINFO_SIGNATURE	0x41615252U

/* Was this written by mformat as the layout asked?  Then it can be patched. */
static bool boot_record_as_asked(const uint8_t *b, const struct sd_layout *l)
{
	return b[510] == 0x55 && b[511] == 0xaa && get_le16(b + 11) == LAYOUT_SECTOR &&
	       b[13] == l->cluster_sectors && get_le16(b + 14) == l->reserved_sectors &&
	       get_le32(b + 36) == l->fat_sectors && get_le16(b + 48) == 1 &&
	       get_le16(b + 50) == BACKUP_BOOT_SECTOR && b[21] == LAYOUT_MEDIA &&
	       get_le32(b + LAYOUT_SECTOR) == FSINFO_SIGNATURE;
}

/* Read sectors first..first+n-1 of the partition past every cache and
 * compare them with want: the card's own answer, not the kernel's copy. */
static int boot_record_holds(struct card *c, const struct sd_layout *l, unsigned first,
			     const uint8_t *want, size_t len, struct errmsg *e)
{
	uint64_t off = (l->part_start + first) * LAYOUT_SECTOR;
	size_t size = len + 2 * (size_t)c->align;
	uint8_t *buf = card_alloc_buffer(c, size);
	const void *got;
	int rc;

	if (!buf)
		return errmsg_set(e, -ENOMEM, _("out of memory"));
	rc = card_pread_unaligned(c, buf, size, off, len, &got);
	if (rc)
		rc = errmsg_set(e, rc, _("cannot read the boot sector back at card offset %" PRIu64
				": %s"), off, strerror(-rc));
	else if (memcmp(got, want, len))
		rc = errmsg_set(e, -EBADMSG, _("the card does not keep its first sectors: the boot "
				"record read back at card offset %" PRIu64 " is not what was "
				"written (a faulty or fake card)"), off);
	free(buf);
	return rc;
}

/*
 * What mformat cannot be told, set right after it and before anything else
 * is written: the OEM name and the drive number that fatgen103 asks for,
 * and a whole backup boot record (mformat writes no FSInfo copy).  Then the
 * boot record and its backup are read back from the card itself.
 */
static int patch_boot_record(struct card *c, const struct sd_layout *l, struct errmsg *e)
{
	size_t len = BOOT_RECORD_SECTORS * LAYOUT_SECTOR;
	uint64_t part = l->part_start * LAYOUT_SECTOR;
	uint8_t *rec = calloc(1, len);
	int rc;

	if (!rec)
		return errmsg_set(e, -ENOMEM, _("out of memory"));
	rc = card_pread(c, rec, len, part);
	if (rc) {
		rc = errmsg_set(e, rc, _("cannot read the new boot sector: %s"), strerror(-rc));
		goto out;
	}
	if (!boot_record_as_asked(rec, l)) {
		rc = errmsg_set(e, -EIO, _("mformat did not write the boot sector it was asked "
				"for: the card does not keep what is written, or mtools changed"));
		goto out;
	}
	memcpy(rec + 3, LAYOUT_OEM_NAME, 8);
	rec[64] = LAYOUT_DRIVE_NUMBER;
	rc = card_pwrite(c, rec, len, part);
	if (!rc)
		rc = card_pwrite(c, rec, len, part + BACKUP_BOOT_SECTOR * LAYOUT_SECTOR);
	if (!rc)
		rc = card_flush(c);
	if (rc) {
		rc = errmsg_set(e, rc, _("cannot write the boot sector: %s"), strerror(-rc));
		goto out;
	}
	rc = boot_record_holds(c, l, 0, rec, len, e);
	if (!rc)
		rc = boot_record_holds(c, l, BACKUP_BOOT_SECTOR, rec, len, e);
out:
	free(rec);
	return rc;
}

int format_fat32(struct card *c, const struct sd_layout *l, const char *label,
		 uint32_t volume_id, struct errmsg *e)
{
	char drv[64], total[24], hidden[24], spc[8], res[8], fat[16], serial[16];
	char heads[8], track[8];
	const char *mformat[] = {
		MFORMAT_PATH, "-i", drv, "-T", total, "-H", hidden, "-h", heads, "-s", track,
		"-F", "-c", spc, "-R", res, "-L", fat, "-M", "512", "-N", serial,
		"-v", label, "::", NULL
	};
	const char *mmd[] = { MMD_PATH, "-i", drv, "::" DLOAD_DIR, NULL };
	char mmd_what[64];
	int rc;

	drive(drv, sizeof(drv), l);
	snprintf(total, sizeof(total), "%" PRIu64, l->part_sectors);
	snprintf(hidden, sizeof(hidden), "%" PRIu64, l->part_start);
	snprintf(spc, sizeof(spc), "%u", l->cluster_sectors);
	snprintf(res, sizeof(res), "%u", l->reserved_sectors);
	snprintf(fat, sizeof(fat), "%u", l->fat_sectors);
	snprintf(serial, sizeof(serial), "%08x", volume_id);
	snprintf(mmd_what, sizeof(mmd_what), _("creating %s/ (mmd)"), DLOAD_DIR);
	snprintf(heads, sizeof(heads), "%u", l->heads);
	snprintf(track, sizeof(track), "%u", l->track_sectors);

	/* mformat writes only some fields of FSInfo and the backup boot
	 * sector: what an old card held there must not survive. */
	rc = zero_reserved(c, l, e);
	if (!rc)
		rc = run(c, mformat, e, _("formatting (mformat)"));
	/* mtools never syncs: its writes reach the card before ours. */
	if (!rc && (rc = card_sync(c)) != 0)
		errmsg_set(e, rc, _("flushing the new file system: %s"), strerror(-rc));
	if (!rc)
		rc = patch_boot_record(c, l, e);
	if (!rc)
		rc = run(c, mmd, e, mmd_what);
	/* mtools never syncs: push its writes out before anyone reads. */
	if (!rc && (rc = card_sync(c)) != 0)
		errmsg_set(e, rc, _("flushing the new file system: %s"), strerror(-rc));
	return rc;
}

static void fat_path(char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "::%s", path);
}

int format_create_empty(struct card *c, const struct sd_layout *l, const char *path,
			struct errmsg *e)
{
	char drv[64], dst[256];
	const char *argv[] = { MCOPY_PATH, "-i", drv, "-D", "o", "-", dst, NULL };

	drive(drv, sizeof(drv), l);
	fat_path(dst, sizeof(dst), path);
	return run(c, argv, e, _("creating the file (mcopy)"));
}

/* mren, with the clash options given: no terminal to ask on (stdin is
 * /dev/null), and a run whose names clash must fail, not guess. */
static int rename_file(struct card *c, const struct sd_layout *l, const char *from,
		       const char *to, bool long_name, struct errmsg *e)
{
	char drv[64], src[256], dst[256];
	/* 8.3: overwrite (the name is ours: an interrupted run's leftover).
	 * A long name: never overwrite or rename it (-D s: mren fails), and
	 * give its 8.3 alias the next numeric tail (-D A): how VFAT makes
	 * UPDATE~1.ZIP, UPDATE~2.ZIP for the second package. */
	const char *argv[] = { MREN_PATH, "-i", drv, "-D", long_name ? "s" : "o",
			       "-D", long_name ? "A" : "O", src, dst, NULL };
	int rc;

	drive(drv, sizeof(drv), l);
	fat_path(src, sizeof(src), from);
	fat_path(dst, sizeof(dst), to);
	rc = run_flags(c, argv, long_name ? MTOOLS_LONG_NAMES : 0, e,
		       _("renaming the file (mren)"));
	if (!rc && (rc = card_sync(c)) != 0)
		errmsg_set(e, rc, _("flushing the renamed file: %s"), strerror(-rc));
	return rc;
}

int format_rename(struct card *c, const struct sd_layout *l, const char *from,
		  const char *to, struct errmsg *e)
{
	return rename_file(c, l, from, to, false, e);
}

int format_rename_long(struct card *c, const struct sd_layout *l, const char *from,
		       const char *to, struct errmsg *e)
{
	return rename_file(c, l, from, to, true, e);
}

int format_delete(struct card *c, const struct sd_layout *l, const char *path,
		  struct errmsg *e)
{
	char drv[64], dst[256];
	const char *argv[] = { MDEL_PATH, "-i", drv, dst, NULL };
	int rc;

	drive(drv, sizeof(drv), l);
	fat_path(dst, sizeof(dst), path);
	/* Long names understood: an SD package's name, and its long-name
	 * entries go with it. */
	rc = run_flags(c, argv, MTOOLS_LONG_NAMES, e, _("deleting the file (mdel)"));
	if (!rc && (rc = card_sync(c)) != 0)
		errmsg_set(e, rc, _("flushing the deleted file: %s"), strerror(-rc));
	return rc;
}
