/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/strutils.h"
#include "station/watch.h"

/* The kernel's own multicast group; udev re-broadcasts on group 2. */
#define UEVENT_GROUP_KERNEL 1

static int open_uevents(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = UEVENT_GROUP_KERNEL,
	};
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int watch_fd(const struct watcher *w)
{
	return w->nl;
}

/* "add@/devices/...\0ACTION=add\0SUBSYSTEM=block\0..." */
static bool is_block_event(const char *msg, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const char *field = msg + off;
		size_t flen = strnlen(field, len - off);

		if (flen == 15 && memcmp(field, "SUBSYSTEM=block", 15) == 0)
			return true;
		off += flen + 1;
	}
	return false;
}

bool watch_drain(struct watcher *w)
{
	char buf[8192];
	struct sockaddr_nl from;
	socklen_t fromlen;
	bool block = false;
	ssize_t n;

	if (w->nl < 0)
		return false;
	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(w->nl, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS)
			return true;	/* events were lost: look anyway */
		if (n <= 0)
			break;
		/* Only the kernel speaks on this group; anything else is noise. */
		if (from.nl_pid != 0)
			continue;
		block |= is_block_event(buf, (size_t)n);
	}
	return block;
}

static struct watch_disk *find(struct watcher *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->disks[i].name, name) == 0)
			return &w->disks[i];
	return NULL;
}

static void forget(struct watcher *w, struct watch_disk *wd)
{
	size_t i = (size_t)(wd - w->disks);

	memmove(wd, wd + 1, (w->n - i - 1) * sizeof(*wd));
	w->n--;
}

/* The same card as before, or a new one in the same place? */
static bool same_medium(const struct watch_disk *wd, const struct disk_info *d)
{
	return wd->devno == d->devno && wd->size == d->id.size &&
	       (!wd->diskseq || !d->diskseq || wd->diskseq == d->diskseq);
}

static struct watch_disk *remember(struct watcher *w, const struct disk_info *d,
				   enum watch_state state)
{
	struct watch_disk *wd;

	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;

		wd = reallocarray(w->disks, cap, sizeof(*w->disks));
		if (!wd)
			return NULL;	/* the disk is asked about again at the next scan */
		w->disks = wd;
		w->cap = cap;
	}
	wd = &w->disks[w->n++];
	memset(wd, 0, sizeof(*wd));
	xstrncpy(wd->name, d->name, sizeof(wd->name));
	wd->devno = d->devno;
	wd->diskseq = d->diskseq;
	wd->size = d->id.size;
	wd->state = state;
	wd->seen = true;
	return wd;
}

/* A card, as opposed to a fixed disk, with a medium in it. */
static bool is_card(const struct disk_info *d)
{
	return !d->fixed && d->media;
}

int watch_open(struct watcher *w, const char *sysroot, bool take_present, size_t *left)
{
	struct disk_info *v;
	size_t n, i;
	int rc;

	memset(w, 0, sizeof(*w));
	*left = 0;
	sysroot_init(&w->root, sysroot);
	w->nl = open_uevents();
	/* A card there now that is not remembered would be taken as new. */
	rc = disks_scan(&w->root, &v, &n);
	for (i = 0; !rc && i < n; i++) {
		if (!is_card(&v[i]))
			continue;
		if (!remember(w, &v[i], take_present ? WATCH_NEW : WATCH_IGNORED))
			rc = -ENOMEM;
		*left += !take_present;
	}
	free(v);
	if (rc)
		watch_close(w);
	return rc;
}

void watch_close(struct watcher *w)
{
	if (w->nl >= 0)
		close(w->nl);
	free(w->disks);
	w->disks = NULL;
	w->n = w->cap = 0;
}

/*
 * Without udev (or udisks) nobody asks a USB reader whether its card
 * changed, and the kernel only looks when the device is opened: a read-only
 * open, as udisks does, makes it look, and the next scan sees the change.
 */
static void poke(const struct disk_info *d)
{
	int fd;

	if (!d->id.removable)
		return;
	fd = open(d->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}

static void consider(struct watcher *w, const struct disk_info *d, const struct watch_events *ev)
{
	struct watch_disk *wd = find(w, d->name);

	if (wd && !same_medium(wd, d)) {
		if (wd->state == WATCH_TAKEN || wd->state == WATCH_REFUSED)
			ev->removed(ev->arg, wd->name);
		forget(w, wd);
		wd = NULL;
	}
	if (!wd)
		wd = remember(w, d, WATCH_NEW);
	if (!wd)
		return;
	wd->seen = true;
	if (wd->state == WATCH_TAKEN || wd->state == WATCH_IGNORED)
		return;
	if (d->refusal != SAFE_OK) {
		if (wd->state != WATCH_REFUSED || wd->refusal != d->refusal)
			ev->refused(ev->arg, d);
		wd->state = WATCH_REFUSED;
		wd->refusal = d->refusal;
		return;
	}
	/* Refused before and fine now (unmounted, say): a card like any other. */
	if (ev->card(ev->arg, d))
		wd->state = WATCH_TAKEN;
	else
		wd->state = WATCH_NEW;
}

void watch_scan(struct watcher *w, const struct watch_events *ev)
{
	struct disk_info *v;
	struct watch_disk *wd;
	size_t n, i;

	if (disks_scan(&w->root, &v, &n) != 0)
		return;
	for (i = 0; i < w->n; i++)
		w->disks[i].seen = false;
	for (i = 0; i < n; i++) {
		wd = find(w, v[i].name);
		if (!wd || wd->state != WATCH_TAKEN)
			poke(&v[i]);
		if (is_card(&v[i]))
			consider(w, &v[i], ev);
	}
	/* Gone, or its card taken out: forgotten, so that it is new next time. */
	for (i = w->n; i-- > 0;) {
		wd = &w->disks[i];
		if (wd->seen)
			continue;
		if (wd->state == WATCH_TAKEN || wd->state == WATCH_REFUSED)
			ev->removed(ev->arg, wd->name);
		forget(w, wd);
	}
	free(v);
}
