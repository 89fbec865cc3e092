/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FIRMWARE_SOURCE_H
#define DLOADCARD_FIRMWARE_SOURCE_H

/*
 * The source of a card: a plain UPDATE.APP, or the one inside a firmware zip
 * (found by its path ending in dload/UPDATE.APP, at any depth, any case) and
 * streamed out of the zip with no temporary copy.  A zip is recognised by
 * its content, not its name.
 *
 * The source is only ever read (O_RDONLY), and must be a regular file: a
 * FIFO, a directory or a device is refused by name (opened with O_NONBLOCK,
 * so that a FIFO cannot hang the open).  Its size is known at open, and is
 * at most SOURCE_MAX_SIZE, the largest file FAT32 can hold.
 *
 * Errors (lib/errmsg.h): every call that can fail returns a negative errno
 * and says what happened, in words for a user, in e.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/errmsg.h"

#define SOURCE_MAX_SIZE UINT64_C(0xFFFFFFFF)   /* 4 GiB - 1 */

struct source;

/* 0 with *src open, or -errno (*src NULL).  A zip without the file lists in
 * e what it holds. */
int source_open(struct source **src, const char *path, struct errmsg *e);
void source_close(struct source *src);
/* The same, reading the zip's member of that exact path instead of its
 * dload/UPDATE.APP (an SD package's root UPDATE.APP, --member); member NULL:
 * as source_open(). */
int source_open_member(struct source **src, const char *path, const char *member,
		       struct errmsg *e);

/* The file's own bytes, a zip's too (an SD package goes to the card as it
 * is): a plain source whatever the file holds. */
int source_open_raw(struct source **src, const char *path, struct errmsg *e);

/*
 * A file that is not opened by a path: its bytes come through read (verify
 * reads a zip on the card, cluster by cluster, past the page cache, and the
 * firmware layer knows nothing of cards).  read fills len bytes at off
 * (off + len <= size) and returns 0 or a negative errno.  name is what the
 * messages call it.  Such a source is never reopened nor checked for
 * changes: source_reopen() refuses it, source_check_unchanged() returns 0.
 */
struct source_io {
	void *ctx;
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	uint64_t size;
};

int source_open_reader(struct source **src, const char *name, const struct source_io *rd,
		       const char *member, struct errmsg *e);
/* source_zip_list() and source_zip_verify() of such a file. */
int source_zip_list_reader(const char *name, const struct source_io *rd, char ***names,
			   size_t *n, struct errmsg *e);
int source_zip_verify_reader(const char *name, const struct source_io *rd,
			     const char *skip, uint64_t *checked, struct errmsg *e);

/* The files of a zip (directories left out), in its order, the caller's to
 * free with source_free_list(): 0, 1 when the file is no zip (nothing
 * listed), or a negative errno with e set. */
int source_zip_list(const char *path, char ***names, size_t *n, struct errmsg *e);
void source_free_list(char **names, size_t n);

/* Read every file of the zip but skip (the member checked elsewhere, or
 * NULL) to its end, so that its CRC-32 is checked; *checked counts them.
 * 0, or -EIO with e naming the first member that fails, or saying that the
 * zip does not end with its central directory (it was cut short). */
int source_zip_verify(const char *path, const char *skip, uint64_t *checked,
		      struct errmsg *e);

/* The bytes source_read() will deliver in all. */
uint64_t source_size(const struct source *src);
/* "path/UPDATE.APP", or "fw.zip:Firmware/dload/UPDATE.APP" */
const char *source_describe(const struct source *src);
const char *source_path(const struct source *src);
bool source_is_zip(const struct source *src);
/* The path inside the zip, or NULL for a plain file. */
const char *source_zip_entry(const struct source *src);

/*
 * Read the next bytes in order.  Fills buf completely unless the end comes
 * first; never delivers more than source_size() in all.  Returns the count,
 * 0 at the end, or a negative errno: -ESTALE when the file changed while it
 * was read (it shrank; a zip that reads as damaged because it is being
 * rewritten), -EIO for a damaged zip (a wrong CRC-32, checked at the entry's
 * last byte).  Use large buffers (1 MiB): a zip is decompressed into them
 * directly.  Nothing is mapped: a file that shrinks is an error here, never
 * a SIGBUS.
 */
ssize_t source_read(struct source *src, void *buf, size_t len, struct errmsg *e);

/* A zip member's name is ".../dload/UPDATE.APP", at any depth, any case,
 * either slash. */
bool source_is_dload_app(const char *name);

/*
 * Another reader of the same file, from its first byte, independent of src:
 * its own descriptor and position (a zip, its own stream), for another
 * thread.  -ESTALE when the path no longer names the file src opened, or
 * that file changed since (e says how, as source_read() does).
 */
int source_reopen(const struct source *src, struct source **copy, struct errmsg *e);

/*
 * The same, reading the file's own bytes, a zip's too (an SD package goes to
 * the card as it is): a plain source, the same file as src (-ESTALE when it
 * changed since src opened it).
 */
int source_reopen_raw(const struct source *src, struct source **raw, struct errmsg *e);

/* Back to the first byte (a zip is reopened and searched again). */
int source_rewind(struct source *src, struct errmsg *e);

/*
 * Whether the file (or the zip) is still the one opened: same device,
 * inode, size, modification and change time.  0 unchanged, -ESTALE changed
 * (e says how, as source_read() does), or another negative errno.
 */
int source_check_unchanged(const struct source *src, struct errmsg *e);

/*
 * The words of a change seen elsewhere ("its content is no longer what was
 * written"), as this file gives them for one seen here.  Returns -ESTALE.
 */
int source_changed_error(const struct source *src, const char *how, struct errmsg *e);

#endif
