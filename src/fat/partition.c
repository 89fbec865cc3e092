/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <libfdisk.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fat/partition.h"

static int fdisk_fail(char *err, size_t errlen, const char *what, int rc)
{
	snprintf(err, errlen, "cannot write the partition table (%s): %s", what,
		 strerror(rc < 0 ? -rc : EIO));
	return rc < 0 ? rc : -EIO;
}

static int add_fat32_partition(struct fdisk_context *cxt, const struct sd_layout *l)
{
	struct fdisk_partition *pa = fdisk_new_partition();
	struct fdisk_parttype *type;
	int rc;

	if (!pa)
		return -ENOMEM;
	type = fdisk_label_get_parttype_from_code(fdisk_get_label(cxt, "dos"), LAYOUT_MBR_TYPE);
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
			uint32_t disk_id, char *err, size_t errlen)
{
	struct fdisk_context *cxt = fdisk_new_context();
	char id[16];
	int rc;

	if (!cxt)
		return fdisk_fail(err, errlen, "context", -ENOMEM);
	/* The grain must be set before the device is assigned, or it stays
	 * 1 MiB (doc/sd-layout.md). */
	fdisk_save_user_grain(cxt, (unsigned long)LAYOUT_BU_SECTORS * LAYOUT_SECTOR);
	/* Our descriptor: opened O_EXCL and locked for the whole run. */
	rc = fdisk_assign_device_by_fd(cxt, fd, path, 0);
	if (rc) {
		fdisk_unref_context(cxt);
		return fdisk_fail(err, errlen, "open", rc);
	}
	rc = fdisk_create_disklabel(cxt, "dos");
	if (rc) {
		fdisk_fail(err, errlen, "new label", rc);
		goto out;
	}
	snprintf(id, sizeof(id), "0x%08x", disk_id);
	rc = fdisk_set_disklabel_id_from_string(cxt, id);
	if (rc) {
		fdisk_fail(err, errlen, "disk identifier", rc);
		goto out;
	}
	rc = add_fat32_partition(cxt, l);
	if (rc) {
		fdisk_fail(err, errlen, "partition", rc);
		goto out;
	}
	rc = fdisk_write_disklabel(cxt);
	if (rc)
		fdisk_fail(err, errlen, "write", rc);
out:
	/* nosync: the re-read is ours to do, once, at the end. */
	fdisk_deassign_device(cxt, 1);
	fdisk_unref_context(cxt);
	if (!rc && fsync(fd) != 0 && errno != EINVAL) {
		rc = -errno;
		fdisk_fail(err, errlen, "flush", rc);
	}
	return rc;
}
