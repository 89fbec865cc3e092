/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <libmount.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "card/content.h"
#include "card/safety.h"
#include "lib/nls.h"
#include "lib/strutils.h"

#define MAX_DEVS 64

const char *safety_refusal_name(enum safety_refusal r)
{
	switch (r) {
	case SAFE_OK:		return "ok";
	case SAFE_PARTITION:	return "partition";
	case SAFE_SYSTEM:	return "system";
	case SAFE_MOUNTED:	return "mounted";
	case SAFE_IN_USE:	return "in-use";
	case SAFE_READ_ONLY:	return "read-only";
	case SAFE_FIXED:	return "fixed";
	case SAFE_NOT_DISK:	return "not-a-disk";
	case SAFE_LOCKED:	return "locked";
	case SAFE_SOURCE:	return "source";
	case SAFE_NOT_IMAGE:	return "not-an-image";
	case SAFE_CANNOT_OPEN:	return "cannot-open";
	}
	return "unknown";
}

/*
 * The block device behind a mount: the device number in mountinfo, unless it
 * is anonymous (btrfs, overlay) and the source names a block device.
 */
static dev_t fs_devno(struct libmnt_fs *fs)
{
	const char *src = mnt_fs_get_srcpath(fs);
	dev_t d = mnt_fs_get_devno(fs);
	struct stat st;

	if (major(d) == 0 && src && stat(src, &st) == 0 && S_ISBLK(st.st_mode))
		d = st.st_rdev;
	return d;
}

static struct libmnt_table *load_table(const char *path, bool swaps)
{
	struct libmnt_table *tb = mnt_new_table();

	if (!tb)
		return NULL;
	if ((swaps ? mnt_table_parse_swaps(tb, path) : mnt_table_parse_file(tb, path)) != 0) {
		mnt_unref_table(tb);
		return NULL;
	}
	return tb;
}

/*
 * The first active swap area that match() accepts; its path goes to src.
 * A swap area is a partition or a file on some file system.
 */
static bool find_swap(const struct sysroot *root,
		      bool (*match)(const struct sysroot *root, const struct stat *st, void *arg),
		      void *arg, char *src, size_t len)
{
	struct libmnt_table *tb = load_table(root->swaps, true);
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	bool found = false;

	while (tb && it && !found && mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *path = mnt_fs_get_srcpath(fs);
		struct stat st;

		if (path && stat(path, &st) == 0 && match(root, &st, arg)) {
			xstrncpy(src, path, len);
			found = true;
		}
	}
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return found;
}

/* Whether any underlying disk of devno is disk. */
static bool lies_on(const struct sysroot *root, dev_t devno, dev_t disk)
{
	dev_t disks[MAX_DEVS];
	size_t i, n = sysfs_underlying_disks(root, devno, disks, MAX_DEVS);

	for (i = 0; i < n; i++)
		if (disks[i] == disk)
			return true;
	return false;
}

static bool swap_on_disk(const struct sysroot *root, const struct stat *st, void *arg)
{
	return lies_on(root, S_ISBLK(st->st_mode) ? st->st_rdev : st->st_dev, *(dev_t *)arg);
}

bool safety_is_system_disk(const struct sysroot *root, dev_t disk, char *why, size_t len)
{
	static const char *const targets[] = { "/", "/boot", "/boot/efi" };
	char src[PATH_MAX];
	struct libmnt_table *tb;
	struct libmnt_fs *fs;
	bool found = false;
	size_t i;

	tb = load_table(root->mountinfo, false);
	for (i = 0; tb && !found && i < sizeof(targets) / sizeof(targets[0]); i++) {
		fs = mnt_table_find_target(tb, targets[i], MNT_ITER_BACKWARD);
		if (fs && lies_on(root, fs_devno(fs), disk)) {
			snprintf(why, len, _("it holds %s"), targets[i]);
			found = true;
		}
	}
	mnt_unref_table(tb);
	if (found)
		return true;

	/* Active swap, on a partition or as a file on one of its file systems. */
	if (find_swap(root, swap_on_disk, &disk, src, sizeof(src))) {
		snprintf(why, len, _("it holds the active swap %s"), src);
		return true;
	}
	return false;
}

struct devset {
	const dev_t *devs;
	size_t n;
};

static bool swap_on_devs(const struct sysroot *root, const struct stat *st, void *arg)
{
	const struct devset *set = arg;
	size_t i;

	for (i = 0; S_ISBLK(st->st_mode) && i < set->n; i++)
		if (set->devs[i] == st->st_rdev)
			return true;
	return false;
}

bool safety_find_mount(const struct sysroot *root, const char *disk, dev_t devno,
		       char *where, size_t len)
{
	dev_t devs[MAX_DEVS];
	struct devset set = { devs, 0 };
	char src[PATH_MAX];
	size_t n, i;
	struct libmnt_table *tb;
	struct libmnt_iter *it;
	struct libmnt_fs *fs;
	bool found = false;

	devs[0] = devno;
	n = 1 + sysfs_partitions(root, disk, devs + 1, MAX_DEVS - 1);
	set.n = n;

	/* A libmount look-up of the disk alone misses mounted partitions:
	 * compare every mount with the disk and each partition. */
	tb = load_table(root->mountinfo, false);
	it = mnt_new_iter(MNT_ITER_FORWARD);
	while (tb && it && !found && mnt_table_next_fs(tb, it, &fs) == 0) {
		dev_t d = fs_devno(fs);

		for (i = 0; i < n; i++) {
			if (devs[i] == d) {
				snprintf(where, len, _("%s on %s"),
					 mnt_fs_get_source(fs) ? mnt_fs_get_source(fs) : disk,
					 mnt_fs_get_target(fs) ? mnt_fs_get_target(fs) : "?");
				found = true;
				break;
			}
		}
	}
	mnt_free_iter(it);
	mnt_unref_table(tb);
	if (found)
		return true;

	if (find_swap(root, swap_on_devs, &set, src, sizeof(src))) {
		snprintf(where, len, _("%s as swap"), src);
		return true;
	}
	return false;
}

static enum safety_refusal refuse(struct safety_result *res, enum safety_refusal r,
				  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum safety_refusal refuse(struct safety_result *res, enum safety_refusal r,
				  const char *fmt, ...)
{
	va_list ap;

	res->refusal = r;
	va_start(ap, fmt);
	errmsg_vset(&res->reason, 0, fmt, ap);
	va_end(ap);
	return r;
}

enum safety_refusal safety_check_disk(const struct sysroot *root, dev_t devno,
				      unsigned flags, struct safety_result *res)
{
	char name[64], disk_name[64], why[PATH_MAX + 64], bus[16];
	uint64_t val;
	dev_t disk;

	res->refusal = SAFE_OK;
	errmsg_clear(&res->reason);
	res->holds[0] = '\0';
	res->forced = false;

	if (sysfs_devno_name(root, devno, name, sizeof(name)) != 0)
		return refuse(res, SAFE_NOT_DISK,
			      _("block device %u:%u is not in %s/dev/block: is it a disk?"),
			      major(devno), minor(devno), root->sys);
	if (sysfs_is_partition(root, devno, &disk)) {
		if (sysfs_devno_name(root, disk, disk_name, sizeof(disk_name)) != 0)
			xstrncpy(disk_name, _("its disk"), sizeof(disk_name));
		return refuse(res, SAFE_PARTITION,
			      _("/dev/%s is a partition: give the whole card, /dev/%s "
			      "(it gets a new partition table)"), name, disk_name);
	}
	if (safety_is_system_disk(root, devno, why, sizeof(why)))
		return refuse(res, SAFE_SYSTEM,
			      _("/dev/%s is a system disk (%s): dloadcard will never write to it"),
			      name, why);
	if (safety_find_mount(root, name, devno, why, sizeof(why)))
		return refuse(res, SAFE_MOUNTED,
			      _("/dev/%s is mounted (%s): unmount it first (umount), then try again"),
			      name, why);
	if (sysfs_holders(root, name, why, sizeof(why)) > 0)
		return refuse(res, SAFE_IN_USE,
			      _("/dev/%s is in use by %s (device mapper, RAID or LVM): release it first"),
			      name, why);
	if (sysfs_read_u64(root, &val, "block/%s/ro", name) == 0 && val)
		return refuse(res, SAFE_READ_ONLY,
			      _("/dev/%s is write-protected: slide the lock switch on the card's "
			      "side away from LOCK, then insert it again"), name);
	sysfs_hotplug_bus(root, name, bus, sizeof(bus));
	if (!(flags & SAFETY_ALLOW_FIXED) &&
	    !(sysfs_read_u64(root, &val, "block/%s/removable", name) == 0 && val) && !*bus)
		return refuse(res, SAFE_FIXED,
			      _("/dev/%s is a fixed disk, not a card in a reader (neither removable "
			      "nor on usb or mmc): add --allow-fixed if you are sure"), name);
	return SAFE_OK;
}

static enum safety_refusal refusal_of_errno(int e)
{
	switch (e) {
	case EBUSY:		return SAFE_IN_USE;
	case EWOULDBLOCK:	return SAFE_LOCKED;
	case EROFS:		return SAFE_READ_ONLY;
	case EINVAL:		return SAFE_NOT_DISK;
	}
	return SAFE_CANNOT_OPEN;
}

/* "card.img is the backing file of /dev/loop0" and the like. */
static void alias_words(const struct card *c, const char *target, const char *loop,
			char *buf, size_t len)
{
	if (c->blockdev)
		snprintf(buf, len, _("%s and /dev/%s are loop devices on the same file (%s)"),
			 target, loop, c->ident.file);
	else
		snprintf(buf, len, _("%s is the backing file of /dev/%s"), target, loop);
}

/* A loop device on the card's file: the disk rules, then its lock. */
static enum safety_refusal check_loop(const struct sysroot *root, struct card *c,
				      const char *target, size_t i, struct safety_result *res)
{
	const char *name = c->ident.loop_names[i];
	dev_t devno = c->ident.loops[i];
	char words[PATH_MAX + 128], node[96];
	struct safety_result sr;
	enum safety_refusal r;

	alias_words(c, target, name, words, sizeof(words));
	r = safety_check_disk(root, devno, SAFETY_ALLOW_FIXED, &sr);
	if (r == SAFE_SYSTEM || r == SAFE_MOUNTED || r == SAFE_IN_USE)
		return refuse(res, r, _("%s, and %s"), words, sr.reason.text);
	snprintf(node, sizeof(node), "/dev/%s", name);
	switch (card_lock_alias(c, node, true, devno, 0)) {
	case -EWOULDBLOCK:
		return refuse(res, SAFE_LOCKED, _("%s is locked by another program (another "
			      "dloadcard?) through %s: wait for it to finish"), target, node);
	case -EBUSY:
		return refuse(res, SAFE_IN_USE, _("%s, and %s is in use (mounted, or opened by "
			      "another program): close what holds it (then losetup -d %s), "
			      "and try again"), words, node, node);
	}
	/* Not ours to open (not root), or gone: the rules above were all. */
	return SAFE_OK;
}

/* Every other name of the card: the source is none of them, none is busy. */
static enum safety_refusal check_identity(const struct sysroot *root, struct card *c,
					  const char *target, const struct safety_target *t,
					  struct safety_result *res)
{
	const struct card_identity *id = &c->ident;
	char how[2 * PATH_MAX + 64];
	enum safety_refusal r;
	size_t i;

	for (i = 0; i < t->nsources; i++) {
		const struct card_identity *sid = t->source_ids ? t->source_ids[i] : NULL;

		if (!sid || !identity_same(id, sid))
			continue;
		if (strcmp(target, t->sources[i]) == 0)
			return refuse(res, SAFE_SOURCE, _("%s is the source itself: give the card "
				      "first, then the UPDATE.APP"), target);
		identity_explain(id, target, sid, t->sources[i], how, sizeof(how));
		return refuse(res, SAFE_SOURCE, _("%s is the source %s under another name (%s): "
			      "give the card first, then the UPDATE.APP"), target, t->sources[i],
			      how);
	}
	for (i = 0; i < id->nloops; i++) {
		if (c->blockdev && id->loops[i] == c->devno)
			continue;	/* the target itself, opened exclusively */
		r = check_loop(root, c, target, i, res);
		if (r)
			return r;
	}
	if (c->blockdev && id->have_file &&
	    card_lock_alias(c, id->file, false, id->dev, id->ino) == -EWOULDBLOCK)
		return refuse(res, SAFE_LOCKED, _("%s is locked by another program (another "
			      "dloadcard?) through its backing file %s: wait for it to finish"),
			      target, id->file);
	return SAFE_OK;
}

/* An existing image file is erased only when that loses nothing a disk
 * image would not, or when the user says so. */
static enum safety_refusal check_content(struct card *c, const char *target,
					 const struct safety_target *t, struct safety_result *res)
{
	struct card_content cc;
	char what[sizeof(res->holds) - 32];

	content_probe(card_tool_fd(c), c->size, &cc);
	switch (content_classify(card_tool_fd(c), c->size, &cc, what, sizeof(what))) {
	case CONTENT_BLANK:
	case CONTENT_DISK_IMAGE:
		xstrncpy(res->holds, what, sizeof(res->holds));
		return SAFE_OK;
	case CONTENT_OTHER:
	case CONTENT_DATA:
		break;
	}
	snprintf(res->holds, sizeof(res->holds), _("%s, not a disk image"), what);
	res->forced = true;
	if (t->flags & SAFETY_FORCE)
		return SAFE_OK;
	return refuse(res, SAFE_NOT_IMAGE, _("%s holds %s, not a disk image: give another file "
		      "name, or add --force to erase it"), target, what);
}

enum safety_refusal safety_open_card(const struct sysroot *root, struct card *c,
				     const char *target, const struct safety_target *t,
				     struct safety_result *res)
{
	enum card_kind kind;
	unsigned flags = CARD_WRITE;
	enum safety_refusal r;
	struct stat st;
	dev_t rdev = 0;
	int rc;

	card_init(c);
	res->refusal = SAFE_OK;
	errmsg_clear(&res->reason);
	res->holds[0] = '\0';
	res->forced = false;
	kind = card_kind_of(target, &rdev);
	if (kind == CARD_KIND_MISSING && !t->create_size)
		return refuse(res, SAFE_CANNOT_OPEN, _("%s does not exist: give a card (/dev/sdX, "
			      "/dev/mmcblkN), or --size to create an image file"), target);
	if (kind == CARD_KIND_MISSING)
		flags |= CARD_CREATE;
	if (kind == CARD_KIND_OTHER)
		return refuse(res, SAFE_NOT_DISK, _("%s is neither a disk nor an image file"), target);
	if (kind == CARD_KIND_BLOCKDEV && safety_check_disk(root, rdev, t->flags, res) != SAFE_OK)
		return res->refusal;

	rc = card_open(c, target, flags, t->create_size, &res->reason);
	if (rc)
		return res->refusal = refusal_of_errno(-rc);
	if (c->blockdev && sysfs_devno_name(root, c->devno, c->name, sizeof(c->name)) != 0)
		c->name[0] = '\0';
	if (fstat(c->fd, &st) != 0 || identity_resolve(root, &st, &c->ident) != 0)
		r = refuse(res, SAFE_CANNOT_OPEN, _("cannot tell which card %s is: %s"), target,
			   strerror(errno));
	else
		r = check_identity(root, c, target, t, res);
	if (!r && (t->flags & SAFETY_ERASE) && !c->blockdev && !c->created)
		r = check_content(c, target, t, res);
	if (r) {
		card_discard(c);
		card_close(c);
	}
	return r;
}
