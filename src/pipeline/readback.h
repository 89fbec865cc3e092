/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_PIPELINE_READBACK_H
#define DLOADCARD_PIPELINE_READBACK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "card/card.h"
#include "lib/errmsg.h"
#include "lib/progress.h"
#include "pipeline/copy.h"

/*
 * Reading UPDATE.APP back from the card, past the page cache: the kernel
 * must ask the card for every byte, or a faulty card would be hidden by
 * the copy in memory.
 */
enum readback_status {
	READBACK_OK,
	READBACK_READ_ERROR,	/* err, err_card_off */
	READBACK_CANCELLED,
	READBACK_SOURCE_ERROR,	/* readback_compare: the source could not be read (err) */
};

struct readback_job {
	struct card *card;
	const struct card_extent *ext;	/* the file's runs, in file order */
	size_t n_ext;
	uint64_t length;
	struct progress *pg;
	const char *label;		/* progress label; "Reading back" by default */
	volatile sig_atomic_t *cancel;
	/* Also see every byte, in order (the container checker, in verify). */
	void (*consume)(void *ctx, const void *buf, size_t len);
	void *consume_ctx;
	bool want_sha256;		/* hash what is read: readback_hash sets it */

	unsigned char sha256[32];	/* with want_sha256 */
	enum readback_status status;
	int err;
	uint64_t err_card_off;
	struct errmsg source_error;	/* the source's words, when it failed */
};

/* Read the file (two requests in flight) and hash it (SHA-256). */
enum readback_status readback_hash(struct readback_job *job);

/* A run of bytes that differ between the card and the source. */
struct diff_range {
	uint64_t file_off;
	uint64_t card_off;
	uint64_t len;
};

struct diff_report {
	struct diff_range ranges[16];
	size_t n;		/* ranges kept */
	size_t total_ranges;	/* ranges found */
	uint64_t bytes;		/* bytes that differ */
	struct diff_range cur;	/* the range being grown (private) */
};

/*
 * Read the file and compare it with the source (read from its start), byte
 * for byte: stronger than comparing digests, cheaper than hashing (memcmp
 * runs at memory speed, SHA-256 at a fifth of it), and it says where the
 * two differ.  rep->bytes == 0 means identical.
 */
enum readback_status readback_compare(struct readback_job *job, struct source *src,
				      struct diff_report *rep);

#endif
