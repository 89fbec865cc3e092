/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_PIPELINE_VERIFY_H
#define DLOADCARD_PIPELINE_VERIFY_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "card/card.h"
#include "lib/progress.h"
#include "pipeline/readback.h"

/*
 * The audit of a card, whoever made it: read only, every check one line
 * with a result and a reason, and a verdict.  Used by verify, and by list
 * and batch --watch to recognise a card that is already right.
 */
enum vresult { V_PASS, V_INFO, V_WARN, V_FAIL, V_SKIP };

/* What a failure means for the verdict. */
enum vclass {
	VC_LAYOUT,	/* the card is not a dload card */
	VC_CONTENT,	/* a dload card whose content is damaged */
	VC_IO,		/* the card could not be read */
};

struct vcheck {
	const char *name;	/* stable: "partition-table", "filesystem", ... */
	enum vresult result;
	enum vclass cls;
	char text[400];
};

#define VERIFY_MAX_CHECKS 48

struct verify_opts {
	bool quick;				/* skip reading UPDATE.APP */
	const unsigned char *expect_sha256;	/* --sha256, or the --against file's */
	const char *against;			/* --against path, for the difference */
	struct progress *pg;
	volatile sig_atomic_t *cancel;
};

struct verify_report {
	struct vcheck checks[VERIFY_MAX_CHECKS];
	size_t n;
	int exit_code;			/* EXIT_OK, EXIT_VERIFY_WARN, EXIT_NOT_DLOAD, ... */
	char verdict[512];
	/* Facts found on the way, for --json */
	char pttype[16];
	uint64_t part_offset, part_size;
	char fstype[48];
	char label[12];
	char dload_path[64];		/* as stored: "DLOAD/UPDATE.APP" */
	bool have_file;
	uint64_t file_size;
	bool read_done;
	unsigned char sha256[32];
	const char *container;		/* the checker's verdict name, or NULL */
	struct diff_report diff;	/* against --against */
};

/* Audit an opened card.  Returns rep->exit_code. */
int verify_card(struct card *c, const struct verify_opts *o, struct verify_report *rep);

const char *vresult_name(enum vresult r);	/* "PASS", "WARN", ... */

#endif
