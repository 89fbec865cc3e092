/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FIRMWARE_SRCCHECK_H
#define DLOADCARD_FIRMWARE_SRCCHECK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "firmware/updateapp.h"
#include "lib/errmsg.h"
#include "lib/progress.h"

/*
 * Checking a source before it goes anywhere: open it (a file, or the
 * UPDATE.APP in a firmware zip), check the container and every CRC, and
 * compute the digests asked for, in one pass; then turn the result into an
 * exit code and one line a user understands.  check, prepare, verify
 * --against and batch all go through here.
 */
struct source;

struct srccheck_opts {
	bool want_sha256, want_md5;
	const unsigned char *expect_sha256;	/* --sha256, or NULL */
	const unsigned char *expect_md5;	/* --md5, or NULL */
	const char *model;			/* --model: warn if the package is for another */
	const char *member;			/* the zip member to check (an SD package's root
					 * UPDATE.APP, --member), or NULL: dload/UPDATE.APP */
	bool whole_zip;				/* also every other file of the zip, by its
						 * CRC-32 (an SD package goes whole) */
};

/*
 * A finding of srccheck's own, beside the container's (in chk): what the
 * package says about --model.  kind is a stable name, like ua_kind_name().
 */
struct srccheck_note {
	const char *kind;		/* "model", "model-mismatch", "model-unknown"; NULL: none */
	enum ua_severity severity;
	char message[512];
	const char *advice;
};

struct srccheck {
	struct source *src;		/* still open, at its end; NULL if it did not open */
	char name[512];			/* "UPDATE.APP", "fw.zip:x/dload/UPDATE.APP" */
	uint64_t size;
	struct ua_check *chk;		/* the finished checker, or NULL */
	enum ua_verdict verdict;
	bool have_sha256, have_md5;
	unsigned char sha256[32], md5[16];
	int exit_code;			/* EXIT_OK or why not */
	struct errmsg error;		/* one line (a zip's listing may follow) */
	char advice[256];
	double seconds;
	char products[256];		/* the products its version entries name, ", "-separated */
	struct srccheck_note model;	/* with opts.model */
	uint64_t members_checked;	/* with opts.whole_zip: the other files of the zip */
};

struct package;

/* What a recognised file asks of its check (firmware/package.h): the member
 * to check (an SD package's root UPDATE.APP, a download zip's, --member),
 * and for an SD package, which goes whole, every other file of the zip. */
void srccheck_opts_for(struct srccheck_opts *o, const struct package *p);

/* Returns sc->exit_code.  Always call srccheck_free(). */
int srccheck_run(const char *path, const struct srccheck_opts *o, struct progress *pg,
		 volatile sig_atomic_t *cancel, struct srccheck *sc);
void srccheck_free(struct srccheck *sc);

/* The finding that decides the verdict (the first error), or NULL. */
const struct ua_finding *srccheck_first_problem(const struct srccheck *sc);

/*
 * The products a package names, from the version texts of its small text
 * entries ("S7-721uV100R001C00B008", "S7-721u V100R001C00B008",
 * "VTR-L09C432B120" all name their model): distinct, ", "-separated, cut to
 * fit; "" when none.
 */
void srccheck_products(const struct ua_check *chk, char *out, size_t len);

#endif
