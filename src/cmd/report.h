/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CMD_REPORT_H
#define DLOADCARD_CMD_REPORT_H

#include <stdbool.h>

#include "lib/json.h"

/*
 * What a command tells the user at the end, one way for all: the result on
 * standard output (words, and tables drawn by libsmartcols), failures on
 * standard error; with --json, one JSON object on standard output, written
 * with lib/json.h, whose first member is "command" and which has
 * "exit_code".
 *
 * A failure before or instead of the command's result (no such card, a
 * refusal, a source that failed its check, a card given up on) is reported
 * through report_failure(): as JSON "command", "target" when there is one,
 * "exit_code", "error", "advice" (null for none), then the command's own
 * members; in words "dloadcard: <error>", the advice and a last line.
 */
struct report {
	const char *command;	/* "prepare" */
	bool json;
	struct json j;
};

void report_init(struct report *rp, const char *command, bool json);

/* The JSON object: begun with "command", for the command's members. */
struct json *report_begin(struct report *rp);
/* ... and ended, with a newline. */
void report_end(struct report *rp);

struct diff_report;

/* Where the card differs from the source ("differences", when it does):
 * prepare's read-back, verify --against. */
void report_differences(struct json *j, const struct diff_report *d);

struct report_failure {
	const char *target;	/* the card, or NULL */
	int exit_code;
	const char *error;	/* one line: what went wrong */
	const char *advice;	/* one line: what to do, or NULL */
	const char *last;	/* in words: a last line ("State: ..."), or NULL */
	/* The command's own members, or NULL. */
	void (*members)(struct json *j, const void *arg);
	const void *arg;
};

/* As JSON or in words, as rp says.  Returns f->exit_code. */
int report_failure(struct report *rp, const struct report_failure *f);

/* In words on standard error, also with --json: what the terminal must
 * show whatever the result goes to (a card given up on). */
void report_failure_words(const struct report_failure *f);

/* A failure that is only its words (a missing card, a refusal). */
int report_fail(struct report *rp, const char *target, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

struct srccheck;

/* A source that failed its check (srccheck.h): nothing was written to what
 * ("the card", "any card"). */
int report_source_failure(struct report *rp, const struct srccheck *sc, const char *what,
			  void (*members)(struct json *j, const void *arg), const void *arg);

#endif
