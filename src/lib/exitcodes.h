/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_LIB_EXITCODES_H
#define DLOADCARD_LIB_EXITCODES_H

/*
 * Exit codes, shared by every command so that a script can tell one failure
 * from another.  Documented in --help and in man/dloadcard.1 (EXIT STATUS);
 * keep the three in step.
 */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,            /* system error not listed below */
	EXIT_USAGE = 2,            /* bad command line */
	EXIT_REFUSED = 3,          /* target refused by a safety rule, or declined */
	EXIT_SOURCE_DAMAGED = 4,   /* an UPDATE.APP, but damaged or truncated */
	EXIT_SOURCE_INVALID = 5,   /* not an UPDATE.APP at all (HTML, zip, empty, ...) */
	EXIT_DIGEST_MISMATCH = 6,  /* --sha256 / --md5 differ */
	EXIT_WRITE_ERROR = 7,      /* the card failed while writing */
	EXIT_READ_ERROR = 8,       /* the card failed while reading */
	EXIT_MISMATCH = 9,         /* read back differs from what was written */
	EXIT_FAKE_CAPACITY = 10,   /* the card holds less than it announces */
	EXIT_VANISHED = 11,        /* the card went away (unplugged, reader reset) */
	EXIT_STALLED = 12,         /* no progress for --stall-timeout seconds */

	EXIT_VERIFY_WARN = 20,     /* verify: good, with warnings */
	EXIT_NOT_DLOAD = 21,       /* verify: not a dload card */
	EXIT_DAMAGED_CARD = 22,    /* verify: dload card with damaged content */
	EXIT_SOME_FAILED = 23,     /* batch: at least one card failed */
	EXIT_PROBE_DAMAGED = 24,   /* probe: the card loses or alters data */
	EXIT_REPORT_LOST = 25,     /* prepare, batch: done, but stdout failed */

	EXIT_INTERRUPTED = 130,    /* SIGINT or SIGTERM */
};

#endif
