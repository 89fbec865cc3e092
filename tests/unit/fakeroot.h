/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FAKEROOT_H
#define DLOADCARD_FAKEROOT_H

/*
 * A fake system root for the unit tests, as --sysroot reads one: a sysfs
 * tree in DIR/sys, an empty mount table in DIR/proc/self/mountinfo and no
 * swap in DIR/proc/swaps.  Header only, like tap.h.
 *
 *	fake_root_make("safety");                 // under $TMPDIR
 *	fake_disk("virtual", "loop7", 7, 7, 0, 0);
 *	fake_put("block/loop7/loop/backing_file", "%s\n", path);
 *	sysroot_init(&r, fake_root);
 *	fake_root_remove();                       // unless KEEP is set
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/strutils.h"

static char fake_root[PATH_MAX - 128];

static inline void fake_mkdirs(const char *path)
{
	char buf[PATH_MAX], *p;

	xstrncpy(buf, path, sizeof(buf));
	for (p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

/* root/sys/rel (or root/rel for proc/...), its folder made. */
static inline void fake_path(char *path, size_t len, const char *rel)
{
	char dir[PATH_MAX * 2];

	snprintf(path, len, "%s/%s%s", fake_root, strncmp(rel, "proc/", 5) ? "sys/" : "", rel);
	xstrncpy(dir, path, sizeof(dir));
	*strrchr(dir, '/') = '\0';
	fake_mkdirs(dir);
}

/* Write a file of the tree: rel under sys/, or proc/... */
static inline void fake_put(const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void fake_put(const char *rel, const char *fmt, ...)
{
	char path[PATH_MAX * 2];
	va_list ap;
	FILE *f;

	fake_path(path, sizeof(path), rel);
	f = fopen(path, "w");
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* A symlink of the tree, rel under sys/. */
static inline void fake_link(const char *target, const char *rel)
{
	char path[PATH_MAX * 2];

	fake_path(path, sizeof(path), rel);
	if (symlink(target, path) != 0)
		perror(path);
}

/* A whole disk at devices/<devpath>/block/<name>, with its dev/block,
 * block and class/block links. */
static inline void fake_disk(const char *devpath, const char *name, unsigned maj, unsigned min,
			     int removable, int ro)
{
	char rel[512], target[512];

	snprintf(rel, sizeof(rel), "devices/%s/block/%s/dev", devpath, name);
	fake_put(rel, "%u:%u\n", maj, min);
	snprintf(rel, sizeof(rel), "devices/%s/block/%s/removable", devpath, name);
	fake_put(rel, "%d\n", removable);
	snprintf(rel, sizeof(rel), "devices/%s/block/%s/ro", devpath, name);
	fake_put(rel, "%d\n", ro);
	snprintf(rel, sizeof(rel), "devices/%s/block/%s/size", devpath, name);
	fake_put(rel, "31116288\n");
	snprintf(target, sizeof(target), "../../devices/%s/block/%s", devpath, name);
	snprintf(rel, sizeof(rel), "dev/block/%u:%u", maj, min);
	fake_link(target, rel);
	snprintf(target, sizeof(target), "../devices/%s/block/%s", devpath, name);
	snprintf(rel, sizeof(rel), "block/%s", name);
	fake_link(target, rel);
	snprintf(target, sizeof(target), "../../devices/%s/block/%s", devpath, name);
	snprintf(rel, sizeof(rel), "class/block/%s", name);
	fake_link(target, rel);
}

/* The tree, in a new folder under $TMPDIR.  0, or -1 (say "Bail out!"). */
static inline int fake_root_make(const char *what)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fake_root, sizeof(fake_root), "%s/dloadcard-%s.XXXXXX", tmp ? tmp : "/tmp", what);
	if (!mkdtemp(fake_root))
		return -1;
	fake_put("proc/self/mountinfo", "%s", "");
	fake_put("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
	return 0;
}

static inline void fake_root_remove(void)
{
	char cmd[PATH_MAX + 16];

	if (getenv("KEEP"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fake_root);
}

#endif
