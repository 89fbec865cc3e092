/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FIRMWARE_SCAN_H
#define DLOADCARD_FIRMWARE_SCAN_H

/*
 * One pass over a file that checks the UPDATE.APP container and computes
 * SHA-256 (and MD5) at once.  The caller's thread reads into a small ring of
 * buffers; one thread per job (check, SHA-256, MD5) consumes every buffer,
 * so reading and the jobs overlap on the machine's cores.  Memory: the ring
 * (SCAN_BUFS x SCAN_BUF_SIZE) plus the checker's bounded state.
 *
 * Never prints, never exits.
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "firmware/updateapp.h"
#include "lib/errmsg.h"

struct source;

enum {
	SCAN_CHECK = 1u << 0,   /* run the UPDATE.APP checker */
	SCAN_SHA256 = 1u << 1,
	SCAN_MD5 = 1u << 2,
};

/* Ring buffers: this size, aligned to 4096 bytes (O_DIRECT readers can
 * fill them directly); at most SCAN_BUFS of them. */
#ifndef SCAN_BUF_SIZE
#define SCAN_BUF_SIZE (512u << 10)
#endif
#ifndef SCAN_BUFS
#define SCAN_BUFS 4
#endif

/*
 * The reader: fills buf with up to len bytes (len is the buffers' size;
 * filling it completely is fastest) and returns the count, 0 at the end, or
 * a negative errno.
 */
typedef ssize_t (*scan_read_fn)(void *arg, void *buf, size_t len);

/* Called from the caller's thread at most 10 times a second, and once at
 * the end with done == bytes read.  total is as given to scan_run(). */
typedef void (*scan_progress_fn)(void *arg, uint64_t done, uint64_t total);

struct scan_opts {
	unsigned what;                  /* SCAN_CHECK | SCAN_SHA256 | SCAN_MD5 */
	scan_progress_fn progress;      /* or NULL */
	void *progress_arg;
	/* Set (by a signal handler) to stop; checked between buffers. */
	volatile sig_atomic_t *cancel;  /* or NULL */
	/* Fewer or smaller buffers (0: SCAN_BUFS, SCAN_BUF_SIZE): a scan that
	 * runs beside other work (srchash.h) only has to keep its jobs busy,
	 * and spends less memory. */
	unsigned bufs;
	size_t buf_size;                /* a multiple of 4096 */
};

struct scan_result {
	uint64_t bytes;                 /* bytes read */
	unsigned char sha256[32];       /* with SCAN_SHA256 */
	unsigned char md5[16];          /* with SCAN_MD5 */
	struct ua_check *check;         /* with SCAN_CHECK: finished checker,
					 * the caller's to ua_check_free() */
};

/*
 * Returns 0 (res filled), -ECANCELED when *cancel was set, or another
 * negative errno with e filled (a read error, no memory, no thread).
 * total is the expected size (for progress and the checker), or
 * UA_SIZE_UNKNOWN.
 */
int scan_run(scan_read_fn read, void *read_arg, uint64_t total,
	     const struct scan_opts *opts, struct scan_result *res, struct errmsg *e);

/* scan_run() over a source from its current position (normally the start);
 * -ESTALE when the source changed meanwhile. */
int scan_source(struct source *src, const struct scan_opts *opts,
		struct scan_result *res, struct errmsg *e);

#endif
