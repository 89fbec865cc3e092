/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_LIB_EXITCODES_H
#define DLOADCARD_LIB_EXITCODES_H

#include "lib/nls.h"

#include <stddef.h>

/*
 * Exit codes, shared by every command so that a script can tell one failure
 * from another.  This list is their one definition: the enum below, the
 * table that --help prints (each command lists the codes it returns) and
 * that tests/unit/test_exitcodes.c holds against man/dloadcard.1's EXIT
 * STATUS, whose entry for each code begins with its text.
 *
 * X(name, code, text): text is the meaning in a line or two, as --help
 * gives it.
 */
#define EXIT_CODES(X) \
	X(EXIT_OK, 0, N_("success")) \
	X(EXIT_ERROR, 1, N_("a system error not listed below (out of memory, a missing tool), or " \
	  "the result could not be written to standard output")) \
	X(EXIT_USAGE, 2, N_("bad command line")) \
	X(EXIT_REFUSED, 3, N_("the target was refused by a safety rule, or erasing it was not " \
	  "confirmed")) \
	X(EXIT_SOURCE_DAMAGED, 4, N_("the UPDATE.APP is damaged or incomplete, or it changed while " \
	  "dloadcard read it")) \
	X(EXIT_SOURCE_INVALID, 5, N_("the file is not an UPDATE.APP (a web page, a zip without one, " \
	  "an empty file, larger than 4 GiB - 1, ...)")) \
	X(EXIT_DIGEST_MISMATCH, 6, N_("the file's SHA-256 or MD5 differs from the one given")) \
	X(EXIT_WRITE_ERROR, 7, N_("the card failed while writing; or, for an image file, its file " \
	  "system is full")) \
	X(EXIT_READ_ERROR, 8, N_("the card failed while reading")) \
	X(EXIT_MISMATCH, 9, N_("the card gave back other bytes than it was given: a faulty or fake " \
	  "card, or a faulty reader")) \
	X(EXIT_FAKE_CAPACITY, 10, N_("the card holds less than it announces")) \
	X(EXIT_VANISHED, 11, N_("the card went away (unplugged, or the reader reset)")) \
	X(EXIT_STALLED, 12, N_("the card stopped responding: no progress for the --stall-timeout")) \
	X(EXIT_VERIFY_WARN, 20, N_("verify: a dload card the device should accept, with warnings")) \
	X(EXIT_NOT_DLOAD, 21, N_("verify: not a dload card")) \
	X(EXIT_DAMAGED_CARD, 22, N_("verify: a dload card whose UPDATE.APP or SD package set " \
	  "is damaged or incomplete (content, cluster chain or FAT copies), or differs from the " \
	  "reference")) \
	X(EXIT_SOME_FAILED, 23, N_("batch: at least one card failed, or was refused among others; " \
	  "the rest are ready")) \
	X(EXIT_PROBE_DAMAGED, 24, N_("the card loses or alters data inside its capacity")) \
	X(EXIT_REPORT_LOST, 25, N_("prepare, batch: the card (every card of a batch) is ready and " \
	  "verified, but the report could not be written to standard output")) \
	X(EXIT_INTERRUPTED, 130, N_("interrupted by Ctrl-C, SIGINT, SIGTERM or SIGHUP"))

enum {
#define EXIT_CODE_ENUM(name, code, text) name = code,
	EXIT_CODES(EXIT_CODE_ENUM)
#undef EXIT_CODE_ENUM
};

struct exit_code {
	int code;
	const char *name;	/* "EXIT_REFUSED" */
	const char *text;
};

/* Every code, in the order above. */
extern const struct exit_code exit_codes[];
extern const size_t exit_codes_count;

/* The meaning of a code, or NULL for one that is not defined. */
const char *exit_code_text(int code);

#endif
