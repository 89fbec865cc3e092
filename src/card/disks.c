/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "card/disks.h"
#include "lib/strutils.h"

/* RAM disks and optical drives are never cards; lsblk leaves RAM out too. */
static bool never_a_card(const char *name)
{
	return strncmp(name, "ram", 3) == 0 || strncmp(name, "sr", 2) == 0;
}

int disks_read(const struct sysroot *root, const char *name, struct disk_info *d)
{
	struct safety_result sr;
	unsigned maj, min;
	char buf[32];

	memset(d, 0, sizeof(*d));
	if (never_a_card(name))
		return -ENODEV;
	if (sysfs_read(root, buf, sizeof(buf), "block/%s/dev", name) != 0 ||
	    sscanf(buf, "%u:%u", &maj, &min) != 2)
		return -ENODEV;
	xstrncpy(d->name, name, sizeof(d->name));
	snprintf(d->path, sizeof(d->path), "/dev/%s", name);
	d->devno = makedev(maj, min);
	if (sysfs_read_u64(root, &d->diskseq, "block/%s/diskseq", name) != 0)
		d->diskseq = 0;
	identity_read(root, name, &d->id);
	d->media = d->id.size > 0;
	d->fixed = !d->id.removable && !*d->id.bus;
	/* A detached loop device, an idle nbd: no disk at all.  A reader
	 * without a card stays: "no card" is worth showing. */
	if (!d->media && d->fixed)
		return -ENOMEDIUM;
	d->refusal = safety_check_disk(root, d->devno, 0, &sr);
	xstrncpy(d->reason, sr.reason.text, sizeof(d->reason));
	if (!safety_find_mount(root, name, d->devno, d->mount, sizeof(d->mount)))
		d->mount[0] = '\0';
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strverscmp(((const struct disk_info *)a)->name, ((const struct disk_info *)b)->name);
}

int disks_scan(const struct sysroot *root, struct disk_info **out, size_t *n)
{
	char path[PATH_MAX + 16];
	struct disk_info *v = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *dir;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/block", root->sys);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (*n == cap) {
			struct disk_info *more = reallocarray(v, cap ? 2 * cap : 16, sizeof(*v));

			if (!more) {
				closedir(dir);
				free(v);
				*n = 0;
				return -ENOMEM;
			}
			v = more;
			cap = cap ? 2 * cap : 16;
		}
		if (disks_read(root, de->d_name, &v[*n]) == 0)
			(*n)++;
	}
	closedir(dir);
	if (*n)
		qsort(v, *n, sizeof(*v), by_name);
	*out = v;
	return 0;
}

const char *disks_state(const struct disk_info *d, char *buf, size_t len)
{
	if (d->refusal == SAFE_SYSTEM || (d->fixed && d->refusal == SAFE_FIXED))
		snprintf(buf, len, "protected (%s)", d->refusal == SAFE_SYSTEM ? "system" : "fixed");
	else if (d->fixed)
		snprintf(buf, len, "protected (fixed, %s)", safety_refusal_name(d->refusal));
	else if (!d->media)
		snprintf(buf, len, "no card");
	else if (d->refusal != SAFE_OK)
		snprintf(buf, len, "refused (%s)", safety_refusal_name(d->refusal));
	else
		snprintf(buf, len, "eligible");
	return buf;
}

/* Append " <pre>text<post>" (no space at the start) when text is not empty. */
static void add(char *buf, size_t len, const char *pre, const char *text, const char *post)
{
	size_t used = strlen(buf);

	if (!*text || used >= len)
		return;
	snprintf(buf + used, len - used, "%s%s%s%s", used ? " " : "", pre, text, post);
}

char *disks_short_identity(const struct disk_identity *id, char *buf, size_t len)
{
	char model[160];

	buf[0] = '\0';
	if (*id->cid) {
		/* An SD card in a native slot: its own registers say who it is. */
		add(buf, len, "SD ", id->card_name, "");
		add(buf, len, "serial ", id->serial, "");
		add(buf, len, "(", id->date, ")");
		return buf;
	}
	snprintf(model, sizeof(model), "%s%s%s", id->vendor, *id->vendor && *id->model ? " " : "",
		 id->model);
	add(buf, len, "", model, "");
	add(buf, len, "serial ", id->serial, "");
	if (!*id->serial)
		add(buf, len, "reader serial ", id->reader_serial, "");
	add(buf, len, "on ", id->backing_file, "");
	return buf;
}

/* One item: "vfat FAT32 \"DLOAD\" 7.4 GiB". */
static void item_summary(const struct content_item *it, char *buf, size_t len)
{
	char size[32], label[80] = "";

	if (*it->label)
		snprintf(label, sizeof(label), " \"%s\"", it->label);
	snprintf(buf, len, "%s%s%s%s%s %s", it->partno ? "" : "whole card ",
		 *it->type ? it->type : "unknown", *it->version ? " " : "", it->version, label,
		 size_to_human(it->size, size, sizeof(size)));
}

char *disks_content_summary(const struct card_content *cc, char *buf, size_t len)
{
	char item[160];
	size_t i, used;

	if (!*cc->pttype && !cc->n) {
		snprintf(buf, len, "none (no partition table, no file system)");
		return buf;
	}
	snprintf(buf, len, "%s", *cc->pttype ? cc->pttype : "no table");
	for (i = 0; i < cc->n; i++) {
		item_summary(&cc->items[i], item, sizeof(item));
		used = strlen(buf);
		if (used < len)
			snprintf(buf + used, len - used, "%s%s", i ? "; " : ": ", item);
	}
	return buf;
}
