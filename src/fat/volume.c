/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fat/volume.h"

static int read_buffered(void *ctx, uint64_t off, void *buf, size_t len)
{
	return card_pread(ctx, buf, len, off);
}

static int read_direct(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct card *c = ctx;
	const void *data;
	size_t size;
	void *bounce;
	int rc;

	if (off % c->align == 0 && len % c->align == 0 && (uintptr_t)buf % c->align == 0)
		return card_pread_direct(c, buf, len, off);
	/* fat.c asks for 512-byte units; O_DIRECT may want 4 KiB. */
	size = len + 2 * (size_t)c->align;
	bounce = card_alloc_buffer(c, size);
	if (!bounce)
		return -ENOMEM;
	rc = card_pread_unaligned(c, bounce, size, off, len, &data);
	if (rc == 0)
		memcpy(buf, data, len);
	free(bounce);
	return rc;
}

static int write_buffered(void *ctx, uint64_t off, const void *buf, size_t len)
{
	return card_pwrite(ctx, buf, len, off);
}

struct fat_io volume_io(struct card *c, bool direct)
{
	struct fat_io io = {
		.ctx = c,
		.read = direct ? read_direct : read_buffered,
		.write = c->writable ? write_buffered : NULL,
	};

	return io;
}

int volume_open(struct card *c, bool direct, uint64_t part_off, uint64_t part_size,
		struct fat_vol **vol, struct errmsg *e)
{
	struct fat_io io = volume_io(c, direct);

	return fat_open(&io, part_off, part_size, vol, e);
}
