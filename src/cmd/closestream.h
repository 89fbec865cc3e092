/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CMD_CLOSESTREAM_H
#define DLOADCARD_CMD_CLOSESTREAM_H

/*
 * The standard descriptors, at both ends of a run.
 *
 * At the start: a descriptor 0, 1 or 2 that the caller closed is opened on
 * /dev/null, so that no file dloadcard opens later (a card!) can become
 * "standard output".  As gnulib's stdopen() does, in the contrary mode: a
 * write to a closed stdout or stderr, a read from a closed stdin, still
 * fails, and the failure is seen at exit.
 *
 * At exit (util-linux's close_stdout, include/closestream.h): stdout is
 * flushed and checked; a write error (a full disk, a closed descriptor) is
 * reported on stderr and turns a success into a failure, so that a result
 * that was lost never looks delivered.  A reader that went away (EPIPE) is
 * not an error.  Errors on stderr change nothing: its lines are progress and
 * diagnostics, and the exit status already tells a failure.
 */

/* First thing in main(): make 0-2 safe and check stdout at exit. */
void closestream_init(void);

/*
 * What a lost result means for a command that did its work (prepare, batch:
 * the card is made even if its report is lost): exit with code instead of
 * EXIT_ERROR, and say what was done (e.g. "the card is ready").
 */
void closestream_on_lost_result(int code, const char *done);

/*
 * Flush stdout and return the exit status to end with: status itself, or,
 * after a write error (said on stderr), the lost-result code when status
 * was EXIT_OK.  For a process that ends with _exit() (guard.c's child);
 * closestream_init() does it at exit().
 */
int closestream_status(int status);

#endif
