/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "identity.h"
#include "strutils.h"

/* Read a device attribute; blank when missing. */
static void attr(const struct sysroot *root, char *buf, size_t len, const char *dir,
		 const char *name)
{
	if (sysfs_read(root, buf, len, "%s/%s", dir, name) != 0)
		buf[0] = '\0';
}

/* The usb_device above the disk (the interface has no idVendor). */
static void read_usb_reader(const struct sysroot *root, const char *disk, struct disk_identity *id)
{
	char path[PATH_MAX], probe[PATH_MAX + 16], *slash;
	char manuf[64], product[64], vid[8], pid[8];

	if (sysfs_ancestor_on(root, disk, "usb", path, sizeof(path)) != 0)
		return;
	for (;;) {
		snprintf(probe, sizeof(probe), "%s/idVendor", path);
		if (access(probe, R_OK) == 0)
			break;
		slash = strrchr(path, '/');
		if (!slash || (size_t)(slash - path) <= strlen(root->sys))
			return;
		*slash = '\0';
	}
	attr(root, manuf, sizeof(manuf), path, "manufacturer");
	attr(root, product, sizeof(product), path, "product");
	attr(root, vid, sizeof(vid), path, "idVendor");
	attr(root, pid, sizeof(pid), path, "idProduct");
	attr(root, id->reader_serial, sizeof(id->reader_serial), path, "serial");
	snprintf(id->reader, sizeof(id->reader), "%s%s%s", manuf, *manuf && *product ? " " : "",
		 product);
	if (*vid)
		snprintf(id->reader_id, sizeof(id->reader_id), "%s:%s", vid, pid);
}

void identity_read(const struct sysroot *root, const char *disk, struct disk_identity *id)
{
	char dev[128];
	uint64_t v;

	memset(id, 0, sizeof(*id));
	xstrncpy(id->name, disk, sizeof(id->name));
	if (sysfs_read_u64(root, &v, "block/%s/size", disk) == 0)
		id->size = v * 512;	/* sysfs counts 512-byte units */
	id->removable = sysfs_read_u64(root, &v, "block/%s/removable", disk) == 0 && v;
	id->ro = sysfs_read_u64(root, &v, "block/%s/ro", disk) == 0 && v;
	sysfs_hotplug_bus(root, disk, id->bus, sizeof(id->bus));

	snprintf(dev, sizeof(dev), "block/%s/device", disk);
	attr(root, id->vendor, sizeof(id->vendor), dev, "vendor");
	attr(root, id->model, sizeof(id->model), dev, "model");
	attr(root, id->serial, sizeof(id->serial), dev, "serial");
	/* SD/MMC: the card's own registers. */
	attr(root, id->cid, sizeof(id->cid), dev, "cid");
	attr(root, id->card_name, sizeof(id->card_name), dev, "name");
	attr(root, id->manfid, sizeof(id->manfid), dev, "manfid");
	attr(root, id->oemid, sizeof(id->oemid), dev, "oemid");
	attr(root, id->date, sizeof(id->date), dev, "date");
	if (!*id->model && *id->card_name)
		snprintf(id->model, sizeof(id->model), "SD card %s", id->card_name);

	if (strcmp(id->bus, "usb") == 0)
		read_usb_reader(root, disk, id);
	if (strncmp(disk, "loop", 4) == 0) {
		if (sysfs_read(root, id->backing_file, sizeof(id->backing_file),
			       "block/%s/loop/backing_file", disk) != 0)
			id->backing_file[0] = '\0';
		if (!*id->model)
			xstrncpy(id->model, "loop device", sizeof(id->model));
	}
}

char *identity_summary(const struct disk_identity *id, char *buf, size_t len)
{
	char size[48];
	int n;

	size_to_human_both(id->size, size, sizeof(size));
	n = snprintf(buf, len, "%s%s%s, %s", id->vendor, *id->vendor ? " " : "",
		     *id->model ? id->model : "unknown model", size);
	if (*id->serial && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, ", serial %s", id->serial);
	if (*id->reader && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, ", in reader %s%s%s", id->reader,
			      *id->reader_serial ? " serial " : "", id->reader_serial);
	if (*id->backing_file && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", backed by %s", id->backing_file);
	return buf;
}
