/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <libfdisk.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fat/partition.h"
#include "lib/nls.h"

static int fdisk_fail(struct errmsg *e, const char *what, int rc)
{
	return errmsg_set(e, rc < 0 ? rc : -EIO, _("cannot write the partition table (%s): %s"),
			  what, strerror(rc < 0 ? -rc : EIO));
}

static int add_fat32_partition(struct fdisk_context *cxt, const struct sd_layout *l)
{
	struct fdisk_partition *pa = fdisk_new_partition();
	struct fdisk_parttype *type;
	int rc;

	if (!pa)
		return -ENOMEM;
	type = fdisk_label_get_parttype_from_code(fdisk_get_label(cxt, "dos"), l->mbr_type);
	rc = fdisk_partition_set_partno(pa, 0);
	if (!rc)
		rc = fdisk_partition_set_start(pa, l->part_start);
	if (!rc)
		rc = fdisk_partition_set_size(pa, l->part_sectors);
	if (!rc && type)
		rc = fdisk_partition_set_type(pa, type);
	if (!rc)
		rc = fdisk_add_partition(cxt, pa, NULL);
	fdisk_unref_partition(pa);
	return rc;
}

int partition_write_mbr(int fd, const char *path, const struct sd_layout *l,
			uint32_t disk_id, struct errmsg *e)
{
	struct fdisk_context *cxt = fdisk_new_context();
	char id[16];
	int rc;

	if (!cxt)
		return fdisk_fail(e, "context", -ENOMEM);
	/* The grain must be set before the device is assigned, or it stays
	 * 1 MiB (doc/sd-layout.md). */
	fdisk_save_user_grain(cxt, (unsigned long)LAYOUT_BU_SECTORS * LAYOUT_SECTOR);
	/* The SD layout's geometry for the CHS fields, not the kernel's (a
	 * card reader says anything, an image nothing); libfdisk writes
	 * 1023/254/63 past cylinder 1023, as layout_chs() says. */
	fdisk_save_user_geometry(cxt, 0, l->heads, l->track_sectors);
	/* Our descriptor: opened O_EXCL and locked for the whole run. */
	rc = fdisk_assign_device_by_fd(cxt, fd, path, 0);
	if (rc) {
		fdisk_unref_context(cxt);
		return fdisk_fail(e, "open", rc);
	}
	rc = fdisk_create_disklabel(cxt, "dos");
	if (rc) {
		rc = fdisk_fail(e, "new label", rc);
		goto out;
	}
	snprintf(id, sizeof(id), "0x%08x", disk_id);
	rc = fdisk_set_disklabel_id_from_string(cxt, id);
	if (rc) {
		rc = fdisk_fail(e, "disk identifier", rc);
		goto out;
	}
	rc = add_fat32_partition(cxt, l);
	if (rc) {
		rc = fdisk_fail(e, "partition", rc);
		goto out;
	}
	rc = fdisk_write_disklabel(cxt);
	if (rc)
		rc = fdisk_fail(e, "write", rc);
out:
	/* nosync: the re-read is ours to do, once, at the end. */
	fdisk_deassign_device(cxt, 1);
	fdisk_unref_context(cxt);
	if (!rc && fsync(fd) != 0 && errno != EINVAL)
		rc = fdisk_fail(e, "flush", -errno);
	return rc;
}
