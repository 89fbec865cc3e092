/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_LIB_ERRMSG_H
#define DLOADCARD_LIB_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/*
 * How library-like code (everything outside src/cmd/) reports a failure:
 *
 *   int card_open(struct card *c, const char *path, ..., struct errmsg *e);
 *
 * returns 0, or a negative errno (or another negative value its header
 * documents), and, when the caller needs more than strerror() to tell the
 * user what went wrong, fills e: one line that names the thing and, where
 * it helps, the fix ("/dev/sdb is mounted on /media/x: unmount it first"),
 * with no program name and no newline.  e may be NULL when the caller wants
 * only the code.  The callee sets e only on failure, and never prints or
 * exits: the command (src/cmd/) decides what the user sees and the exit code.
 *
 * One size for every message, so no buffer is sized ad hoc, and one
 * formatter, so that `return errmsg_set(e, -EIO, "...")` reads as one step.
 * A message that wraps another is built with errmsg_prefix().  A result that
 * carries its failure's words (prepare_run, srccheck) keeps them in a struct
 * errmsg too, so that they can be handed down to the call that fails.
 *
 * The size is that of the longest message: a firmware zip without
 * dload/UPDATE.APP lists the files it holds.
 */
#define ERRMSG_MAX 2048

struct errmsg {
	char text[ERRMSG_MAX];
};

/* Format into e (if not NULL); returns rc, so a failure is one statement. */
int errmsg_set(struct errmsg *e, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same with a va_list, for a formatter that records more than the
 * words (prepare_fail() also keeps the exit code and the advice). */
int errmsg_vset(struct errmsg *e, int rc, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* "what: <the message already in e>", keeping rc; e may be NULL. */
int errmsg_prefix(struct errmsg *e, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The text, or "" for NULL. */
static inline const char *errmsg_text(const struct errmsg *e)
{
	return e ? e->text : "";
}

/* Forget a message (a result about to be filled). */
static inline void errmsg_clear(struct errmsg *e)
{
	if (e)
		e->text[0] = '\0';
}

#endif
