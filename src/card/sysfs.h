/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CARD_SYSFS_H
#define DLOADCARD_CARD_SYSFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/errmsg.h"

/*
 * Where the kernel's view of the disks is read from: /sys and /proc, or
 * DIR/sys and DIR/proc of --sysroot DIR (as lsblk has), so that tests can
 * drive the safety rules with a fake tree.  Only an explicit option moves
 * it: no environment variable changes the rules.  Device nodes are still
 * those of /dev.
 */
struct sysroot {
	char sys[PATH_MAX];		/* "/sys" */
	char mountinfo[PATH_MAX];	/* "/proc/self/mountinfo" */
	char swaps[PATH_MAX];		/* "/proc/swaps" */
};

/* dir: the --sysroot, or NULL for the running system's. */
void sysroot_init(struct sysroot *root, const char *dir);

/* Is dir a --sysroot: a directory with sys/ in it, short enough?  0 or
 * -errno with e saying why. */
int sysroot_check(const char *dir, struct errmsg *e);

/* Read /sys/<fmt...> into buf, trailing newline removed.  0 or -errno. */
int sysfs_read(const struct sysroot *root, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int sysfs_read_u64(const struct sysroot *root, uint64_t *val, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The real directory of a block device: /sys/devices/.../block/sdb[/sdb1]. */
int sysfs_devno_path(const struct sysroot *root, dev_t devno, char *path, size_t len);

/* Kernel name ("sdb", "mmcblk0p1") of a block device number. */
int sysfs_devno_name(const struct sysroot *root, dev_t devno, char *name, size_t len);

/* Parse a "MAJ:MIN" dev file. */
int sysfs_name_devno(const struct sysroot *root, const char *name, dev_t *devno);

/* True when devno is a partition; then *disk is its whole disk. */
bool sysfs_is_partition(const struct sysroot *root, dev_t devno, dev_t *disk);

/*
 * The whole disks under a device, through partitions and stacked devices
 * (dm, md: their "slaves").  Writes up to max entries, returns the count.
 */
size_t sysfs_underlying_disks(const struct sysroot *root, dev_t devno, dev_t *out, size_t max);

/* The partitions of a whole disk; returns the count (up to max). */
size_t sysfs_partitions(const struct sysroot *root, const char *disk, dev_t *out, size_t max);

/* Number of holders (dm, md, ...) of a disk or any of its partitions. */
int sysfs_holders(const struct sysroot *root, const char *disk, char *first, size_t len);

/*
 * The subsystem through which a disk is attached, the first of usb, mmc,
 * memstick, ieee1394, pcmcia found among its ancestors (as lsblk's
 * "hotplug"), or "" for none.
 */
void sysfs_hotplug_bus(const struct sysroot *root, const char *disk, char *bus, size_t len);

/* The sysfs directory of the first ancestor of a disk on subsystem bus. */
int sysfs_ancestor_on(const struct sysroot *root, const char *disk, const char *bus,
		      char *path, size_t len);

#endif
