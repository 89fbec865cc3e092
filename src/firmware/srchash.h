/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FIRMWARE_SRCHASH_H
#define DLOADCARD_FIRMWARE_SRCHASH_H

/*
 * The digests of a source (SHA-256, and MD5 when asked), computed once, in
 * threads of their own, while the caller does something else: prepare writes
 * the card and reads it back meanwhile, and every card of a batch shares one.
 * SHA-256 runs at about the speed of a fast card, so computed in the loop
 * that feeds the card it would set that loop's pace.
 *
 *   srchash_start   start hashing a source
 *   srchash_wait    its digests, once they are known (srchash_poll: without
 *                   waiting)
 *   srchash_stop    stop it if it still runs (srchash_free: and free it)
 *
 * The hash reads the file through a reader of its own (source_reopen()), so
 * the caller's reader and position are never touched and each goes at its
 * own pace.  What is hashed is one file: one that changes (or shrinks) while
 * it is read is -ESTALE, as scan_source() says.  The digests given by the
 * user (--sha256, --md5) are compared here, once, so that every waiter gets
 * the same verdict.
 *
 * Never prints, never exits (lib/errmsg.h).
 */
#include <signal.h>
#include <stdint.h>

#include "lib/errmsg.h"
#include "lib/nls.h"
#include "lib/progress.h"

struct source;
struct srchash;

struct srchash_opts {
	unsigned what;				/* SCAN_SHA256 | SCAN_MD5 (scan.h) */
	const unsigned char *expect_sha256;	/* --sha256, or NULL */
	const unsigned char *expect_md5;	/* --md5, or NULL */
};

struct srchash_result {
	unsigned what;				/* the digests computed */
	unsigned char sha256[32], md5[16];
	double seconds;				/* how long the hash took, in its thread */
};

/* What to tell a user whose file has another digest than the one given. */
#define SRCHASH_MISMATCH_ADVICE _("It is not the file the vendor published (another build, " \
	"or damaged in transfer): download it again, or check the checksum you copied.")

/*
 * Start hashing the file src was opened from, from its first byte.  src
 * stays the caller's (it is only looked at, here).  0 with *h running, or a
 * negative errno with e filled (*h NULL): -ESTALE when the file is no longer
 * the one src opened, another when it cannot be opened again, or no memory
 * or no thread.
 */
int srchash_start(struct srchash **h, const struct source *src, const struct srchash_opts *o,
		  struct errmsg *e);

/*
 * The verdict once the hash has ended, the same for every caller:
 *   0         res filled: the digests, and those given match them
 *   -EBADMSG  res filled, and a digest given differs (e: which, and both)
 *   -ESTALE   the file changed while it was hashed (e: how)
 *   -ECANCELED  stopped by srchash_stop() before it ended
 *   other     the file could not be read (e: where, why)
 * srchash_poll returns -EINPROGRESS while the hash runs.  srchash_wait
 * waits, and returns -ECANCELED when *cancel is set meanwhile (the hash goes
 * on); if it has to wait, the wait is a phase of pg (bytes hashed), so that
 * a stall watch sees it move.  Any thread, any number of times.
 */
int srchash_poll(struct srchash *h, struct srchash_result *res, struct errmsg *e);
int srchash_wait(struct srchash *h, volatile sig_atomic_t *cancel, struct progress *pg,
		 struct srchash_result *res, struct errmsg *e);

/* Bytes hashed so far, of total. */
uint64_t srchash_done(const struct srchash *h);
uint64_t srchash_total(const struct srchash *h);

/* Stop the hash if it still runs and wait for its threads, leaving h to
 * anyone who may still look (a stopped hash's verdict is -ECANCELED): for a
 * process that ends without freeing what its threads use.  Once, from the
 * thread that started it; NULL is fine. */
void srchash_stop(struct srchash *h);

/* srchash_stop(), then free it.  NULL is fine.  No one may wait on it any
 * more. */
void srchash_free(struct srchash *h);

/*
 * Whether the digests of the file named name are those given (NULL: not
 * given): 0, or -EBADMSG with e saying which differs ("NAME: its SHA-256 is
 * X, not the Y given").  The one wording, for check as for prepare.
 */
int srchash_compare(const char *name, const unsigned char *sha256, const unsigned char *md5,
		    const unsigned char *expect_sha256, const unsigned char *expect_md5,
		    struct errmsg *e);

#endif
