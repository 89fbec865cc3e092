/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_STATION_WATCH_H
#define DLOADCARD_STATION_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "card/disks.h"
#include "card/sysfs.h"

/*
 * batch --watch: noticing cards as they are plugged in.
 *
 * The kernel announces block devices on a netlink socket (uevents; no udev
 * needed); any such event makes the caller rescan the sysfs root at once.
 * The rescan also runs every few seconds, which is the only way a fake tree
 * (--sysroot) is seen to change, and catches what no event told: a
 * card swapped in a USB reader with nobody polling it (see watch_scan).
 *
 * The watcher remembers each disk by name, device number, diskseq and size,
 * so that a card is offered once, and again only once it was taken out and
 * a card (the same or another) put in.  Fixed disks are never offered nor
 * mentioned; disks the safety rules refuse are mentioned once per reason.
 */
enum watch_state {
	WATCH_NEW,		/* not decided yet */
	WATCH_IGNORED,		/* there at start (without --present) */
	WATCH_REFUSED,		/* a safety rule refuses it; told once */
	WATCH_TAKEN,		/* handed over to a card thread */
};

struct watch_disk {
	char name[64];
	dev_t devno;
	uint64_t diskseq, size;
	enum watch_state state;
	enum safety_refusal refusal;	/* the one told */
	bool seen;			/* in the last scan */
};

struct watch_events {
	/* An eligible card, not handled yet: return true when a card was
	 * started on it, false to be asked again at the next scan. */
	bool (*card)(void *arg, const struct disk_info *d);
	/* A card (not a fixed disk) that the rules refuse. */
	void (*refused)(void *arg, const struct disk_info *d);
	/* A card that was handled or refused went away. */
	void (*removed)(void *arg, const char *name);
	void *arg;
};

struct watcher {
	struct sysroot root;
	int nl;				/* uevent socket, or -1 */
	struct watch_disk *disks;
	size_t n, cap;
};

/*
 * Open the uevent socket (its absence is not an error: polling remains) and
 * take stock of the disks of sysroot (sysfs.h; NULL: this system's) there
 * now: with take_present they are offered at
 * the first watch_scan, otherwise they are left alone until re-inserted.
 * 0 with *left the number of cards present and left alone, or -errno when
 * the disks there now cannot be read (nothing is watched then).
 */
int watch_open(struct watcher *w, const char *sysroot, bool take_present, size_t *left);
void watch_close(struct watcher *w);

/* The socket to poll for events, or -1. */
int watch_fd(const struct watcher *w);

/* Read what came on the socket; true when a block device changed. */
bool watch_drain(struct watcher *w);

/* Rescan, and call ev for what is new. */
void watch_scan(struct watcher *w, const struct watch_events *ev);

#endif
