/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "card/sysfs.h"
#include "lib/nls.h"
#include "lib/strutils.h"

void sysroot_init(struct sysroot *root, const char *dir)
{
	/* "/" is the running system too: no "//sys". */
	if (dir && strcmp(dir, "/") == 0)
		dir = NULL;
	snprintf(root->sys, sizeof(root->sys), "%s/sys", dir ? dir : "");
	snprintf(root->mountinfo, sizeof(root->mountinfo), "%s/proc/self/mountinfo", dir ? dir : "");
	snprintf(root->swaps, sizeof(root->swaps), "%s/proc/swaps", dir ? dir : "");
}

int sysroot_check(const char *dir, struct errmsg *e)
{
	char sys[PATH_MAX];
	struct stat st;

	if (snprintf(sys, sizeof(sys), "%s/sys", dir) >= (int)sizeof(sys) - 32)
		return errmsg_set(e, -ENAMETOOLONG, _("the path is too long"));
	if (stat(sys, &st) != 0 || !S_ISDIR(st.st_mode))
		return errmsg_set(e, -ENOENT, _("no directory %s: give the root of a tree with sys/ "
				  "and proc/"), sys);
	return 0;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int rc = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		rc = ferror(f) ? -EIO : -ENODATA;
	fclose(f);
	if (rc == 0)
		rtrim(buf);
	return rc;
}

static int vpath(const struct sysroot *root, char *path, size_t len, const char *fmt, va_list ap)
{
	char rel[PATH_MAX];
	int n;

	vsnprintf(rel, sizeof(rel), fmt, ap);
	/* Absolute paths (already resolved into the root) are taken as is. */
	if (strncmp(rel, root->sys, strlen(root->sys)) == 0)
		n = snprintf(path, len, "%s", rel);
	else
		n = snprintf(path, len, "%s/%s", root->sys, rel);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int sysfs_read(const struct sysroot *root, char *buf, size_t len, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vpath(root, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	return read_line(path, buf, len);
}

int sysfs_read_u64(const struct sysroot *root, uint64_t *val, const char *fmt, ...)
{
	char path[PATH_MAX], buf[64], *end;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vpath(root, path, sizeof(path), fmt, ap);
	va_end(ap);
	if (rc || (rc = read_line(path, buf, sizeof(buf))))
		return rc;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	return errno || end == buf ? -EINVAL : 0;
}

int sysfs_devno_path(const struct sysroot *root, dev_t devno, char *path, size_t len)
{
	char link[PATH_MAX + 64], *real;

	snprintf(link, sizeof(link), "%s/dev/block/%u:%u", root->sys, major(devno), minor(devno));
	real = realpath(link, NULL);
	if (!real)
		return -errno;
	xstrncpy(path, real, len);
	free(real);
	return 0;
}

int sysfs_devno_name(const struct sysroot *root, dev_t devno, char *name, size_t len)
{
	char path[PATH_MAX];
	int rc = sysfs_devno_path(root, devno, path, sizeof(path));

	if (rc)
		return rc;
	xstrncpy(name, basename(path), len);
	return 0;
}

static int parse_devno(const char *s, dev_t *devno)
{
	unsigned maj, min;

	if (sscanf(s, "%u:%u", &maj, &min) != 2)
		return -EINVAL;
	*devno = makedev(maj, min);
	return 0;
}

int sysfs_name_devno(const struct sysroot *root, const char *name, dev_t *devno)
{
	char buf[32];
	int rc = sysfs_read(root, buf, sizeof(buf), "class/block/%s/dev", name);

	return rc ? rc : parse_devno(buf, devno);
}

bool sysfs_is_partition(const struct sysroot *root, dev_t devno, dev_t *disk)
{
	char path[PATH_MAX + 32], buf[32];

	if (sysfs_devno_path(root, devno, path, PATH_MAX))
		return false;
	if (access(strcat(path, "/partition"), F_OK) != 0)
		return false;
	/* The whole disk is the parent directory. */
	*strrchr(path, '/') = '\0';
	*strrchr(path, '/') = '\0';
	if (disk && (read_line(strcat(path, "/dev"), buf, sizeof(buf)) || parse_devno(buf, disk)))
		return false;
	return true;
}

static size_t add_unique(dev_t *out, size_t n, size_t max, dev_t d)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (out[i] == d)
			return n;
	if (n < max)
		out[n++] = d;
	return n;
}

static size_t underlying(const struct sysroot *root, dev_t devno, dev_t *out, size_t n,
			 size_t max, int depth)
{
	char path[PATH_MAX], sub[PATH_MAX + 300], buf[32];
	struct dirent *de;
	DIR *dir;
	dev_t disk, d;
	size_t before = n;

	if (depth > 8)
		return n;
	if (sysfs_is_partition(root, devno, &disk))
		devno = disk;
	if (sysfs_devno_path(root, devno, path, sizeof(path)))
		return add_unique(out, n, max, devno);

	snprintf(sub, sizeof(sub), "%s/slaves", path);
	dir = opendir(sub);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/slaves/%s/dev", path, de->d_name);
		if (read_line(sub, buf, sizeof(buf)) == 0 && parse_devno(buf, &d) == 0)
			n = underlying(root, d, out, n, max, depth + 1);
	}
	if (dir)
		closedir(dir);
	/* A device without slaves is a disk itself. */
	return n == before ? add_unique(out, n, max, devno) : n;
}

size_t sysfs_underlying_disks(const struct sysroot *root, dev_t devno, dev_t *out, size_t max)
{
	return underlying(root, devno, out, 0, max, 0);
}

size_t sysfs_partitions(const struct sysroot *root, const char *disk, dev_t *out, size_t max)
{
	char path[PATH_MAX + 300], buf[32];
	struct dirent *de;
	size_t n = 0;
	DIR *dir;
	dev_t d;

	snprintf(path, sizeof(path), "%s/block/%s", root->sys, disk);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < max) {
		if (strncmp(de->d_name, disk, strlen(disk)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/block/%s/%s/dev", root->sys, disk, de->d_name);
		if (read_line(path, buf, sizeof(buf)) == 0 && parse_devno(buf, &d) == 0)
			out[n++] = d;
	}
	closedir(dir);
	return n;
}

static int first_entry(const char *dirpath, char *first, size_t len)
{
	struct dirent *de;
	DIR *dir = opendir(dirpath);
	int n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (n++ == 0 && first)
			xstrncpy(first, de->d_name, len);
	}
	closedir(dir);
	return n;
}

int sysfs_holders(const struct sysroot *root, const char *disk, char *first, size_t len)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *dir;
	int n;

	snprintf(path, sizeof(path), "%s/block/%s/holders", root->sys, disk);
	n = first_entry(path, first, len);
	snprintf(path, sizeof(path), "%s/block/%s", root->sys, disk);
	dir = opendir(path);
	while (dir && (de = readdir(dir))) {
		char sub[PATH_MAX + 600];

		if (strncmp(de->d_name, disk, strlen(disk)) != 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s/holders", path, de->d_name);
		n += first_entry(sub, n ? NULL : first, len);
	}
	if (dir)
		closedir(dir);
	return n;
}

/* Walk from the disk's device directory up to the root of the tree. */
int sysfs_ancestor_on(const struct sysroot *root, const char *disk, const char *bus,
		      char *out, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX + 16], target[PATH_MAX], *real, *slash;
	size_t rootlen;
	ssize_t n;

	snprintf(link, sizeof(link), "%s/block/%s", root->sys, disk);
	real = realpath(link, NULL);
	if (!real)
		return -errno;
	xstrncpy(path, real, sizeof(path));
	free(real);
	rootlen = strlen(root->sys);

	while ((slash = strrchr(path, '/')) && (size_t)(slash - path) > rootlen) {
		*slash = '\0';
		snprintf(link, sizeof(link), "%s/subsystem", path);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(basename(target), bus) == 0) {
			xstrncpy(out, path, len);
			return 0;
		}
	}
	return -ENOENT;
}

void sysfs_hotplug_bus(const struct sysroot *root, const char *disk, char *bus, size_t len)
{
	static const char *const buses[] = { "usb", "mmc", "memstick", "ieee1394", "pcmcia" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(buses) / sizeof(buses[0]); i++) {
		if (sysfs_ancestor_on(root, disk, buses[i], path, sizeof(path)) == 0) {
			xstrncpy(bus, buses[i], len);
			return;
		}
	}
	xstrncpy(bus, "", len);
}
