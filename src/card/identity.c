/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "card/identity.h"
#include "lib/nls.h"
#include "lib/strutils.h"

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

/* "0x1af4": a number, which names nothing to a user. */
static bool bare_id(const char *s)
{
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2] &&
	       s[2 + strspn(s + 2, "0123456789abcdefABCDEF")] == '\0';
}

/*
 * The model of a disk that names none in sysfs.  lsblk takes it from the
 * udev database, which sysfs alone does not have (no udevd: containers,
 * rescue systems), and for a virtual machine's disk gets nothing either:
 * what the disk is follows from the bus it is on, in the words of the PCI
 * id database.
 */
static void model_from_bus(const struct sysroot *root, const char *disk, char *model,
			   size_t len)
{
	static const struct { const char *bus, *model; } virtual_disks[] = {
		{ "virtio", "Virtio block device" },
		{ "xen", "Xen virtual block device" },
	};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(virtual_disks) / sizeof(virtual_disks[0]); i++) {
		if (sysfs_ancestor_on(root, disk, virtual_disks[i].bus, path, sizeof(path)) == 0) {
			xstrncpy(model, virtual_disks[i].model, len);
			return;
		}
	}
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
	/* virtio's "vendor" is its PCI vendor id (0x1af4): no name. */
	if (bare_id(id->vendor))
		id->vendor[0] = '\0';
	if (bare_id(id->model))
		id->model[0] = '\0';
	if (!*id->model && *id->card_name)
		snprintf(id->model, sizeof(id->model), "SD card %s", id->card_name);
	if (!*id->model)
		model_from_bus(root, disk, id->model, sizeof(id->model));

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
		     *id->model ? id->model : _("unknown model"), size);
	if (*id->serial && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, _(", serial %s"), id->serial);
	if (*id->reader && n > 0 && (size_t)n < len)
		n += *id->reader_serial ?
			snprintf(buf + n, len - (size_t)n, _(", in reader %s serial %s"), id->reader,
				 id->reader_serial) :
			snprintf(buf + n, len - (size_t)n, _(", in reader %s"), id->reader);
	if (*id->backing_file && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, _(", backed by %s"), id->backing_file);
	return buf;
}

/* The kernel's 32-bit "new" device encoding, as LOOP_GET_STATUS64 gives it. */
static dev_t decode_dev(uint64_t d)
{
	return makedev((unsigned)((d & 0xfff00) >> 8), (unsigned)((d & 0xff) | ((d >> 12) & 0xfff00)));
}

/*
 * The file behind an attached loop device: its device and inode from the
 * loop device itself, which knows them even when the file was renamed or
 * deleted; the path sysfs names when it cannot be opened (not root).
 * -ENOENT when name is no attached loop device.
 */
static int loop_backing(const struct sysroot *root, const char *name, dev_t *dev, ino_t *ino,
			char *path, size_t len)
{
	struct loop_info64 li;
	char node[96];
	struct stat st;
	int fd, rc = -1;

	if (sysfs_read(root, path, len, "block/%s/loop/backing_file", name) != 0)
		return -ENOENT;
	snprintf(node, sizeof(node), "/dev/%s", name);
	fd = open(node, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		rc = ioctl(fd, LOOP_GET_STATUS64, &li);
		close(fd);
	}
	if (rc == 0) {
		*dev = decode_dev(li.lo_device);
		*ino = (ino_t)li.lo_inode;
		return 0;
	}
	if (stat(path, &st) != 0)
		return -errno;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

/* Every loop device of the sysroot attached to id's file. */
static void find_loops(const struct sysroot *root, struct card_identity *id)
{
	char path[PATH_MAX + 16], file[PATH_MAX];
	struct dirent *de;
	dev_t dev, devno;
	ino_t ino;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/block", root->sys);
	dir = opendir(path);
	while (dir && (de = readdir(dir)) && id->nloops < IDENTITY_MAX_LOOPS) {
		if (strncmp(de->d_name, "loop", 4) != 0 ||
		    loop_backing(root, de->d_name, &dev, &ino, file, sizeof(file)) != 0 ||
		    dev != id->dev || ino != id->ino ||
		    sysfs_name_devno(root, de->d_name, &devno) != 0)
			continue;
		id->loops[id->nloops] = devno;
		xstrncpy(id->loop_names[id->nloops], de->d_name, sizeof(id->loop_names[0]));
		id->nloops++;
	}
	if (dir)
		closedir(dir);
}

int identity_resolve(const struct sysroot *root, const struct stat *st, struct card_identity *id)
{
	memset(id, 0, sizeof(*id));
	if (S_ISBLK(st->st_mode)) {
		id->blockdev = true;
		id->rdev = st->st_rdev;
		if (sysfs_devno_name(root, id->rdev, id->name, sizeof(id->name)) == 0 &&
		    loop_backing(root, id->name, &id->dev, &id->ino, id->file, sizeof(id->file)) == 0)
			id->have_file = true;
	} else if (S_ISREG(st->st_mode)) {
		id->have_file = true;
		id->dev = st->st_dev;
		id->ino = st->st_ino;
	} else {
		return -EINVAL;
	}
	if (id->have_file)
		find_loops(root, id);
	return 0;
}

int identity_of_path(const struct sysroot *root, const char *path, struct card_identity *id)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		memset(id, 0, sizeof(*id));
		return -errno;
	}
	return identity_resolve(root, &st, id);
}

bool identity_has_loop(const struct card_identity *id, dev_t devno)
{
	size_t i;

	for (i = 0; i < id->nloops; i++)
		if (id->loops[i] == devno)
			return true;
	return false;
}

static bool same_file(const struct card_identity *a, const struct card_identity *b)
{
	return a->have_file && b->have_file && a->dev == b->dev && a->ino == b->ino;
}

bool identity_same(const struct card_identity *a, const struct card_identity *b)
{
	return (a->blockdev && b->blockdev && a->rdev == b->rdev) || same_file(a, b) ||
	       (b->blockdev && identity_has_loop(a, b->rdev)) ||
	       (a->blockdev && identity_has_loop(b, a->rdev));
}

char *identity_explain(const struct card_identity *a, const char *an,
		       const struct card_identity *b, const char *bn, char *buf, size_t len)
{
	if (a->blockdev && b->blockdev && a->rdev == b->rdev)
		snprintf(buf, len, _("%s and %s are the same device"), an, bn);
	else if (a->blockdev && b->blockdev && *a->file)
		snprintf(buf, len, _("%s and %s are loop devices on the same file (%s)"), an, bn,
			 a->file);
	else if (a->blockdev && b->blockdev)
		snprintf(buf, len, _("%s and %s are loop devices on the same file"), an, bn);
	else if (a->blockdev)
		snprintf(buf, len, _("%s is a loop device on %s"), an, bn);
	else if (b->blockdev)
		snprintf(buf, len, _("%s is the backing file of %s"), an, bn);
	else
		snprintf(buf, len, _("%s and %s are the same file"), an, bn);
	return buf;
}
