/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_PIPELINE_COPY_H
#define DLOADCARD_PIPELINE_COPY_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "card/card.h"
#include "lib/errmsg.h"
#include "lib/progress.h"

struct source;

enum copy_status {
	COPY_OK,
	COPY_SOURCE_ERROR,	/* the source could not be read, or changed size */
	COPY_WRITE_ERROR,	/* the card refused a write: err, err_card_off */
	COPY_CANCELLED,
};

struct copy_job {
	struct card *card;
	uint64_t card_off;	/* first byte of the file's contiguous clusters */
	uint64_t length;	/* file size */
	struct source *src;	/* at its start */
	struct progress *pg;
	const char *label;	/* the progress phase's; NULL: "Writing UPDATE.APP" */
	volatile sig_atomic_t *cancel;

	enum copy_status status;
	int err;
	uint64_t err_card_off;
	struct errmsg source_error;	/* the source's words, when it failed */
};

/*
 * Write the source into its clusters with large O_DIRECT writes, reading
 * the next buffer while the card writes this one.
 */
enum copy_status copy_to_card(struct copy_job *job);

#endif
