/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "card/content.h"
#include "lib/nls.h"
#include "lib/strutils.h"

static void copy_value(blkid_probe pr, const char *name, char *dst, size_t len)
{
	const char *v = NULL;

	if (blkid_probe_lookup_value(pr, name, &v, NULL) == 0 && v)
		xstrncpy(dst, v, len);
	else if (len)
		dst[0] = '\0';
}

/* The file system (if any) in a byte range of fd. */
static void probe_range(int fd, uint64_t off, uint64_t size, struct content_item *it)
{
	blkid_probe pr = blkid_new_probe();

	it->type[0] = it->version[0] = it->label[0] = it->uuid[0] = it->usage[0] = '\0';
	if (!pr)
		return;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)size) == 0) {
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
						  BLKID_SUBLKS_UUID | BLKID_SUBLKS_VERSION |
						  BLKID_SUBLKS_USAGE);
		if (blkid_do_safeprobe(pr) == 0) {
			copy_value(pr, "TYPE", it->type, sizeof(it->type));
			copy_value(pr, "USAGE", it->usage, sizeof(it->usage));
			copy_value(pr, "VERSION", it->version, sizeof(it->version));
			copy_value(pr, "LABEL", it->label, sizeof(it->label));
			copy_value(pr, "UUID", it->uuid, sizeof(it->uuid));
		}
	}
	blkid_free_probe(pr);
}

int content_probe(int fd, uint64_t size, struct card_content *cc)
{
	blkid_partlist ls;
	blkid_probe pr;
	int i, n;

	memset(cc, 0, sizeof(*cc));
	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, 0, (blkid_loff_t)size) != 0) {
		blkid_free_probe(pr);
		return -EIO;
	}
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	ls = blkid_probe_get_partitions(pr);
	if (ls) {
		blkid_parttable tab = blkid_partlist_get_table(ls);

		if (tab) {
			xstrncpy(cc->pttype, blkid_parttable_get_type(tab) ?: "", sizeof(cc->pttype));
			xstrncpy(cc->ptuuid, blkid_parttable_get_id(tab) ?: "", sizeof(cc->ptuuid));
		}
		n = blkid_partlist_numof_partitions(ls);
		for (i = 0; i < n && cc->n < CONTENT_MAX_ITEMS; i++) {
			blkid_partition p = blkid_partlist_get_partition(ls, i);
			struct content_item *it = &cc->items[cc->n++];

			it->partno = blkid_partition_get_partno(p);
			it->offset = (uint64_t)blkid_partition_get_start(p) * 512;
			it->size = (uint64_t)blkid_partition_get_size(p) * 512;
			it->type_code = (unsigned)blkid_partition_get_type(p);
			/* Extended partitions hold other partitions, not a file system. */
			if (it->offset + it->size <= size && !blkid_partition_is_extended(p))
				probe_range(fd, it->offset, it->size, it);
		}
	}
	blkid_free_probe(pr);

	/* No table: a file system may fill the whole card (a superfloppy). */
	if (!cc->pttype[0] && cc->n < CONTENT_MAX_ITEMS) {
		struct content_item *it = &cc->items[cc->n];

		memset(it, 0, sizeof(*it));
		it->size = size;
		probe_range(fd, 0, size, it);
		if (it->type[0])
			cc->n++;
	}
	return 0;
}

/*
 * A file whose data reads as zeros at its start and end, where every file
 * format keeps its headers, and at places spread between, is taken for
 * blank (a card image made by truncate, fallocate or dd): a little is read,
 * whatever the size, since a card simulator or a slow file system may be
 * behind it.
 */
#define BLANK_EDGE	(64U << 10)
#define BLANK_SAMPLES	16U
#define BLANK_SAMPLE	4096U

static bool all_zero(const char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

static bool zeros_at(int fd, char *buf, uint64_t off, size_t len)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n >= 0 && all_zero(buf, (size_t)n);
}

static bool looks_blank(int fd, uint64_t size)
{
	char *buf = malloc(BLANK_EDGE);
	size_t edge = size < BLANK_EDGE ? (size_t)size : BLANK_EDGE;
	bool blank = buf && zeros_at(fd, buf, 0, edge) && zeros_at(fd, buf, size - edge, edge);
	unsigned i;

	for (i = 1; blank && i <= BLANK_SAMPLES; i++)
		blank = zeros_at(fd, buf, size / (BLANK_SAMPLES + 1) * i / BLANK_SAMPLE * BLANK_SAMPLE,
				 BLANK_SAMPLE);
	free(buf);
	return blank;
}

/* The bytes of data in the file, its holes left out (all of it where the
 * file system cannot tell holes). */
static uint64_t data_bytes(int fd, uint64_t size)
{
	uint64_t total = 0;
	off_t pos = 0, start, end;

	while ((uint64_t)pos < size) {
		start = lseek(fd, pos, SEEK_DATA);
		if (start < 0 && errno == ENXIO)
			break;			/* only holes from here */
		if (start < 0)
			return size - (uint64_t)pos;
		end = lseek(fd, start, SEEK_HOLE);
		if (end < 0 || (uint64_t)end > size)
			end = (off_t)size;
		total += (uint64_t)(end - start);
		pos = end;
	}
	return total;
}

/* English says "an exfat", "a vfat": each form is a message of its own. */
static bool an(const char *word)
{
	return strchr("aeiouAEIOU", word[0]) != NULL;
}

enum content_kind content_classify(int fd, uint64_t size, const struct card_content *cc,
				   char *what, size_t len)
{
	const struct content_item *it = cc->n ? &cc->items[0] : NULL;
	char human[32];
	uint64_t data;

	if (*cc->pttype) {
		snprintf(what, len, an(cc->pttype) ? _("an %s partition table") :
			 _("a %s partition table"), cc->pttype);
		return CONTENT_DISK_IMAGE;
	}
	if (it && strcmp(it->type, "vfat") == 0) {
		snprintf(what, len, "%s", _("a FAT file system"));
		return CONTENT_DISK_IMAGE;
	}
	if (it) {
		if (strcmp(it->usage, "filesystem") == 0)
			snprintf(what, len, an(it->type) ? _("an %s file system") :
				 _("a %s file system"), it->type);
		else if (strcmp(it->usage, "crypto") == 0)
			snprintf(what, len, _("an encrypted volume (%s)"), it->type);
		else if (strcmp(it->usage, "raid") == 0)
			snprintf(what, len, _("a member of a RAID or volume group (%s)"), it->type);
		else
			snprintf(what, len, an(it->type) ? _("an %s signature") : _("a %s signature"),
				 it->type);
		return CONTENT_OTHER;
	}
	data = data_bytes(fd, size);
	if (!data || looks_blank(fd, size)) {
		snprintf(what, len, "%s", _("no data"));
		return CONTENT_BLANK;
	}
	snprintf(what, len, _("%s of data"), size_to_human(data, human, sizeof(human)));
	return CONTENT_DATA;
}

/* Erase all signatures libblkid finds in a range; returns the count. */
static int wipe_range(int fd, uint64_t off, uint64_t size, int tables)
{
	blkid_probe pr = blkid_new_probe();
	int n = 0;

	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)size) != 0) {
		blkid_free_probe(pr);
		return -EIO;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, tables);
	if (tables)
		blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);

	/* blkid_do_wipe steps the prober back, so the loop also finds what
	 * hid behind the signature just erased (the GPT backup, say). */
	while (blkid_do_probe(pr) == 0 && n < 64) {
		if (blkid_do_wipe(pr, 0) != 0) {
			n = -EIO;
			break;
		}
		n++;
	}
	blkid_free_probe(pr);
	return n;
}

int content_wipe(int fd, uint64_t size, struct errmsg *e)
{
	struct card_content cc;
	int total = 0, n;
	size_t i;

	if (content_probe(fd, size, &cc) == 0) {
		for (i = 0; i < cc.n; i++) {
			if (!cc.items[i].partno || cc.items[i].offset + cc.items[i].size > size)
				continue;
			n = wipe_range(fd, cc.items[i].offset, cc.items[i].size, 0);
			if (n < 0)
				goto fail;
			total += n;
		}
	}
	n = wipe_range(fd, 0, size, 1);
	if (n < 0)
		goto fail;
	total += n;
	if (fsync(fd) != 0 && errno != EINVAL) {
		n = -errno;
		goto fail;
	}
	return total;
fail:
	return errmsg_set(e, n, _("cannot erase the old signatures: %s"), strerror(-n));
}
