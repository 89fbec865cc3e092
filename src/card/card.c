/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "card/card.h"
#include "lib/errmsg.h"
#include "lib/nls.h"
#include "lib/strutils.h"

static const struct card_ops real_ops;

enum card_kind card_kind_of(const char *path, dev_t *rdev)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno == ENOENT ? CARD_KIND_MISSING : CARD_KIND_OTHER;
	if (S_ISBLK(st.st_mode)) {
		if (rdev)
			*rdev = st.st_rdev;
		return CARD_KIND_BLOCKDEV;
	}
	return S_ISREG(st.st_mode) ? CARD_KIND_IMAGE : CARD_KIND_OTHER;
}

/* Size and sector size of a block device, or of an image file. */
static int query_geometry(struct card *c)
{
	struct stat st;
	int ssz = 512;

	if (fstat(c->fd, &st) != 0)
		return -errno;
	if (!c->blockdev) {
		c->size = (uint64_t)st.st_size;
		c->sector_size = 512;
		return 0;
	}
	if (ioctl(c->fd, BLKGETSIZE64, &c->size) != 0)
		return -errno;
	if (ioctl(c->fd, BLKSSZGET, &ssz) != 0)
		return -errno;
	c->sector_size = (unsigned)ssz;
	return 0;
}

/* O_DIRECT wants offsets, lengths and buffers aligned; statx says how. */
static unsigned direct_alignment(struct card *c)
{
	unsigned a = c->sector_size;
#ifdef STATX_DIOALIGN
	struct statx stx;

	if (statx(c->dfd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align > a)
		a = stx.stx_dio_offset_align;
#endif
	/* A page is always enough and keeps FUSE and loop happy. */
	return a < 4096 ? 4096 : a;
}

/* The lock message, the same whichever name of the card was locked. */
static int locked(struct errmsg *e, const char *path)
{
	return errmsg_set(e, -EWOULDBLOCK, _("%s is locked by another program (another "
		    "dloadcard?): wait for it to finish"), path);
}

/* Whether someone holds the flock of path (sfdisk, udev, another dloadcard). */
static bool held_locked(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/* Whether fd is what st describes: the same device, or the same file. */
static bool same_object(int fd, const struct stat *st)
{
	struct stat now;

	if (fstat(fd, &now) != 0 || (now.st_mode & S_IFMT) != (st->st_mode & S_IFMT))
		return false;
	return S_ISBLK(st->st_mode) ? now.st_rdev == st->st_rdev :
	       now.st_dev == st->st_dev && now.st_ino == st->st_ino;
}

/*
 * Open the path again, non-blocking (a FIFO put in its place must not hang
 * us), and only if it is still the card that fd is: never another file that
 * took its name meanwhile.
 */
static int reopen(const struct card *c, int flags)
{
	struct stat st;
	int fd;

	if (fstat(c->fd, &st) != 0)
		return -1;
	fd = open(c->path, flags | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!same_object(fd, &st)) {
		close(fd);
		errno = ESTALE;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static int open_image(struct card *c, const char *path, unsigned flags, uint64_t create_size,
		      struct errmsg *e)
{
	int oflags = (flags & CARD_WRITE) ? O_RDWR : O_RDONLY;
	struct stat st;

	if (flags & CARD_CREATE) {
		c->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (c->fd < 0)
			return errmsg_set(e, -errno, _("cannot create %s: %s"), path, strerror(errno));
		c->created = true;
		/* Sparse: an 8 GiB image costs only what is written. */
		if (ftruncate(c->fd, (off_t)create_size) != 0) {
			int en = errno;

			card_discard(c);
			return errmsg_set(e, -en, _("cannot size %s: %s"), path, strerror(en));
		}
		return 0;
	}
	/* Non-blocking: a FIFO put in the file's place must not hang the open. */
	c->fd = open(path, oflags | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0)
		return errmsg_set(e, -errno, _("cannot open %s: %s"), path, strerror(errno));
	if (fstat(c->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return errmsg_set(e, -ESTALE, _("%s changed while it was being opened: it is no "
			    "longer a regular file"), path);
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
	return 0;
}

static int open_blockdev(struct card *c, const char *path, unsigned flags, dev_t rdev,
			 struct errmsg *e)
{
	struct stat st;
	int oflags = (flags & CARD_WRITE) ? O_RDWR | O_EXCL : O_RDONLY;

	c->fd = open(path, oflags | O_CLOEXEC);
	if (c->fd < 0) {
		int en = errno;

		if (en == EBUSY && held_locked(path))
			return locked(e, path);
		if (en == EBUSY)
			return errmsg_set(e, -en, _("%s is in use (mounted, or opened by another "
				    "program): unmount it or close that program first"), path);
		if (en == EROFS || en == EACCES)
			return errmsg_set(e, -EROFS, _("%s is write-protected: slide the lock "
				    "switch on the card's side away from LOCK, then insert it again"),
				    path);
		if (en == ENOMEDIUM)
			return errmsg_set(e, -en, _("%s has no card in it: insert the card"), path);
		return errmsg_set(e, -en, _("cannot open %s: %s"), path, strerror(en));
	}
	if (fstat(c->fd, &st) != 0 || !S_ISBLK(st.st_mode) || st.st_rdev != rdev)
		return errmsg_set(e, -ESTALE, _("%s changed while it was being opened: it is "
			    "another device now"), path);
	c->devno = st.st_rdev;
	return 0;
}

int card_open(struct card *c, const char *path, unsigned flags, uint64_t create_size,
	      struct errmsg *e)
{
	dev_t rdev = 0;
	enum card_kind kind = card_kind_of(path, &rdev);
	int ro = 0, rc;

	card_init(c);
	c->ops = &real_ops;
	c->path = strdup(path);
	c->writable = flags & CARD_WRITE;
	if (!c->path)
		return errmsg_set(e, -ENOMEM, _("out of memory"));

	if (kind == CARD_KIND_BLOCKDEV) {
		c->blockdev = true;
		rc = open_blockdev(c, path, flags, rdev, e);
	} else if (kind == CARD_KIND_IMAGE || (kind == CARD_KIND_MISSING && (flags & CARD_CREATE))) {
		rc = open_image(c, path, kind == CARD_KIND_MISSING ? flags : flags & ~CARD_CREATE,
				create_size, e);
	} else if (kind == CARD_KIND_MISSING) {
		rc = errmsg_set(e, -ENOENT, _("%s does not exist: give a card (/dev/sdX, "
			  "/dev/mmcblkN) or, for an image file, its --size"), path);
	} else {
		rc = errmsg_set(e, -EINVAL, _("%s is neither a disk nor an image file"), path);
	}
	if (rc)
		goto fail;

	/* sfdisk and wipefs do the same: udev leaves a locked disk alone. */
	if (c->writable && flock(c->fd, LOCK_EX | LOCK_NB) != 0) {
		rc = locked(e, path);
		goto fail;
	}
	rc = query_geometry(c);
	if (rc) {
		errmsg_set(e, rc, _("cannot read the size of %s: %s"), path, strerror(-rc));
		goto fail;
	}
	if (c->blockdev && c->writable && ioctl(c->fd, BLKROGET, &ro) == 0 && ro) {
		rc = errmsg_set(e, -EROFS, _("%s is write-protected: slide the lock switch on "
			  "the card's side away from LOCK, then insert it again"), path);
		goto fail;
	}
	/* The second descriptor bypasses the page cache; a plain open, since
	 * the exclusive claim is held by the first. */
	c->dfd = reopen(c, (c->writable ? O_RDWR : O_RDONLY) | O_DIRECT);
	c->align = c->dfd >= 0 ? direct_alignment(c) : 4096;
	return 0;
fail:
	card_discard(c);
	card_close(c);
	return rc;
}

int card_lock_alias(struct card *c, const char *path, bool blockdev, dev_t dev, ino_t ino)
{
	struct stat st;
	int fd, e;

	if (c->nlocks == CARD_MAX_LOCKS)
		return -ENOSPC;
	/* A loop device is claimed as a mount would: while we hold it, the
	 * file behind it cannot be mounted through it. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (blockdev ? O_EXCL : 0));
	if (fd < 0) {
		e = errno;
		if (e == EBUSY)
			return held_locked(path) ? -EWOULDBLOCK : -EBUSY;
		return -e;
	}
	if (fstat(fd, &st) != 0 || (blockdev ? !S_ISBLK(st.st_mode) || st.st_rdev != dev :
				    st.st_dev != dev || st.st_ino != ino)) {
		close(fd);
		return -ESTALE;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		e = errno;
		close(fd);
		return e == EWOULDBLOCK ? -EWOULDBLOCK : -e;
	}
	c->lock_fd[c->nlocks++] = fd;
	return 0;
}

void card_discard(struct card *c)
{
	struct stat st;

	if (!c->created || c->fd < 0)
		return;
	/* Only the file we made: the name may have been given to another. */
	if (stat(c->path, &st) == 0 && same_object(c->fd, &st))
		unlink(c->path);
	c->created = false;
}

static int real_host_full(struct card *c, int err)
{
	struct statvfs vfs;
	uint64_t left;

	if (c->blockdev)
		return 0;
	if (err == ENOSPC || err == EDQUOT || err == EFBIG)
		return err;
	if (err)
		return 0;
	/* A tool only said that it failed: ask the file system, if it counts
	 * its blocks at all (a FUSE file system may not). */
	if (fstatvfs(c->fd, &vfs) != 0 || !vfs.f_blocks)
		return 0;
	left = (uint64_t)(geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail) * vfs.f_frsize;
	return left < MiB ? ENOSPC : 0;
}

static void real_close(struct card *c)
{
	size_t i;

	for (i = 0; i < c->nlocks; i++)
		close(c->lock_fd[i]);
	if (c->dfd >= 0)
		close(c->dfd);
	if (c->fd >= 0)
		close(c->fd);	/* also releases the flock */
	free(c->path);
}

static ssize_t real_pread(struct card *c, void *buf, size_t len, uint64_t off, bool direct)
{
	ssize_t n;

	/* No O_DIRECT (tmpfs): drop the cached range first. */
	if (direct && c->dfd < 0)
		posix_fadvise(c->fd, (off_t)off, (off_t)len, POSIX_FADV_DONTNEED);
	n = pread(direct && c->dfd >= 0 ? c->dfd : c->fd, buf, len, (off_t)off);
	return n < 0 ? -errno : n;
}

static ssize_t real_pwrite(struct card *c, const void *buf, size_t len, uint64_t off,
			   bool direct)
{
	ssize_t n = pwrite(direct && c->dfd >= 0 ? c->dfd : c->fd, buf, len, (off_t)off);

	return n < 0 ? -errno : n;
}

static int real_flush(struct card *c)
{
	if (fsync(c->fd) != 0 && errno != EINVAL)
		return -errno;
	if (c->dfd >= 0 && fsync(c->dfd) != 0 && errno != EINVAL)
		return -errno;
	return 0;
}

static int real_reset(struct card *c)
{
	size_t i;

	if (c->blockdev)
		ioctl(c->fd, BLKFLSBUF, 0);	/* needs CAP_SYS_ADMIN; fadvise below otherwise */
	posix_fadvise(c->fd, 0, 0, POSIX_FADV_DONTNEED);
	/* A loop device on the image kept what it read before: drop it too. */
	for (i = 0; i < c->nlocks; i++) {
		ioctl(c->lock_fd[i], BLKFLSBUF, 0);
		posix_fadvise(c->lock_fd[i], 0, 0, POSIX_FADV_DONTNEED);
	}
	return 0;
}

/* A reader that lost its card may still answer EIO; opening the path
 * again, and the size, tell. */
static bool real_gone(struct card *c)
{
	uint64_t size = 0;
	int fd;

	/* A card that cannot even be opened any more is not merely failing. */
	fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno != EMFILE && errno != ENFILE && errno != ENOMEM;
	/* A reader whose card was pulled reports a size of 0. */
	if (c->blockdev && ioctl(fd, BLKGETSIZE64, &size) == 0 && size == 0) {
		close(fd);
		return true;
	}
	close(fd);
	return false;
}

static int real_tool_fd(struct card *c)
{
	return c->fd;
}

static const struct card_ops real_ops = {
	.pread = real_pread,
	.pwrite = real_pwrite,
	.flush = real_flush,
	.reset = real_reset,
	.gone = real_gone,
	.host_full = real_host_full,
	.tool_fd = real_tool_fd,
	.close = real_close,
};

/* ---- The interface, whatever the card ------------------------------------ */

void card_init(struct card *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = c->dfd = -1;
}

/* The properties stay readable (a refusal may still name the size). */
void card_close(struct card *c)
{
	if (c->ops)
		c->ops->close(c);
	c->ops = NULL;
	c->impl = NULL;
	c->path = NULL;
	c->fd = c->dfd = -1;
	c->nlocks = 0;
}

int card_host_full(struct card *c, int err)
{
	return c->ops->host_full(c, err);
}

/* Atomically: the copy and the read-back fail from two threads at once. */
static int record(struct card *c, int e, uint64_t off)
{
	__atomic_store_n(&c->last_errno, e, __ATOMIC_RELAXED);
	__atomic_store_n(&c->last_offset, off, __ATOMIC_RELAXED);
	return -e;
}

static int full_io(struct card *c, bool direct, bool write, void *buf, size_t len, uint64_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = write ? c->ops->pwrite(c, p, len, off, direct) :
				    c->ops->pread(c, p, len, off, direct);

		if (n == -EINTR)
			continue;
		if (n < 0)
			return record(c, (int)-n, off);
		/* A short transfer at a place inside the card is the card
		 * ending early: it is gone or smaller than it claims. */
		if (n == 0)
			return record(c, write ? ENOSPC : EIO, off);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int card_pread(struct card *c, void *buf, size_t len, uint64_t off)
{
	return full_io(c, false, false, buf, len, off);
}

int card_pwrite(struct card *c, const void *buf, size_t len, uint64_t off)
{
	return full_io(c, false, true, (void *)buf, len, off);
}

int card_pread_direct(struct card *c, void *buf, size_t len, uint64_t off)
{
	return full_io(c, true, false, buf, len, off);
}

int card_pwrite_direct(struct card *c, const void *buf, size_t len, uint64_t off)
{
	return full_io(c, true, true, (void *)buf, len, off);
}

int card_pread_unaligned(struct card *c, void *buf, size_t bufsize, uint64_t off,
			 size_t len, const void **data)
{
	uint64_t start = off / c->align * c->align;
	uint64_t end = (off + len + c->align - 1) / c->align * c->align;
	int rc;

	if (end - start > bufsize)
		return -EINVAL;
	/* The aligned superset may reach past the end of an odd-sized image. */
	if (end > c->size && c->size > start) {
		rc = card_pread(c, buf, (size_t)(c->size - start), start);
		if (rc == 0)
			memset((char *)buf + (c->size - start), 0, (size_t)(end - c->size));
	} else {
		rc = card_pread_direct(c, buf, (size_t)(end - start), start);
	}
	if (rc == 0)
		*data = (const char *)buf + (off - start);
	return rc;
}

void *card_alloc_buffer(const struct card *c, size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, c->align ? c->align : 4096, len) != 0)
		return NULL;
	return p;
}

int card_sync(struct card *c)
{
	int rc = c->ops->flush(c);

	return rc ? record(c, -rc, 0) : 0;
}

int card_reset(struct card *c)
{
	int rc = c->ops->reset(c);

	return rc ? record(c, -rc, 0) : 0;
}

int card_flush(struct card *c)
{
	int rc = card_sync(c);

	return rc ? rc : card_reset(c);
}

int card_last_errno(const struct card *c)
{
	return __atomic_load_n(&c->last_errno, __ATOMIC_RELAXED);
}

uint64_t card_last_offset(const struct card *c)
{
	return __atomic_load_n(&c->last_offset, __ATOMIC_RELAXED);
}

int card_tool_fd(struct card *c)
{
	return c->ops->tool_fd(c);
}

int card_reread_partitions(struct card *c)
{
	int i;

	if (!c->blockdev)
		return 0;
	/* As sfdisk: udev or a prober may hold a partition for a moment. */
	for (i = 0; i < 8; i++) {
		if (ioctl(c->fd, BLKRRPART) == 0)
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(250000);
	}
	return -EBUSY;
}

bool card_errno_vanished(int e)
{
	return e == ENODEV || e == ENXIO || e == ENOMEDIUM || e == ESHUTDOWN || e == ENOTCONN;
}

bool card_gone(struct card *c)
{
	return card_errno_vanished(card_last_errno(c)) || c->ops->gone(c);
}
