/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reading the partition through the caller's struct fat_io: every request
 * inside the partition, every buffer page aligned, every failure a
 * sentence that says where.  (Writing is alloc.c's alone.)
 */
#include <errno.h>
#include <string.h>

#include "fat/fat_private.h"
#include "lib/nls.h"

#define IO_ALIGN 4096u

void *fat_io_alloc(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, IO_ALIGN, len))
		return NULL;
	return p;
}

int fat_io_result(int r)
{
	/* A callback that returns a positive value has broken its contract. */
	return r > 0 ? -EIO : r;
}

int fat_vol_range(struct fat_vol *v, const char *what, uint64_t off, size_t len,
		  struct errmsg *e)
{
	if (off > v->g.part_size || len > v->g.part_size - off)
		return errmsg_set(e, -EINVAL, !strcmp(what, "write") ?
				  _("write of %zu bytes at %llu is outside the partition") :
				  _("read of %zu bytes at %llu is outside the partition"),
				  len, (unsigned long long)off);
	return 0;
}

int fat_io_failed(struct fat_vol *v, int r, const char *what, uint64_t off, size_t len,
		  struct errmsg *e)
{
	return errmsg_set(e, r, !strcmp(what, "write") ?
			  _("cannot write %zu bytes at card offset %llu: %s") :
			  _("cannot read %zu bytes at card offset %llu: %s"),
			  len, (unsigned long long)(v->g.part_offset + off), strerror(-r));
}

int fat_vol_read(struct fat_vol *v, uint64_t off, void *buf, size_t len, struct errmsg *e)
{
	int r = fat_vol_range(v, "read", off, len, e);

	if (r < 0)
		return r;
	r = fat_io_result(v->io.read(v->io.ctx, v->g.part_offset + off, buf, len));
	return r < 0 ? fat_io_failed(v, r, "read", off, len, e) : 0;
}
