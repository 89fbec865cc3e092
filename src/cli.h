/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CLI_H
#define DLOADCARD_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* What the commands share on the command line. */

/* The first signal (SIGINT, SIGTERM, SIGHUP) that asked us to stop, or 0. */
extern volatile sig_atomic_t cli_stop;

/*
 * Whether a cancel flag (cli_stop, or a card's own in batch) is set.  The
 * flag is written by a signal handler or another thread: read it atomically.
 */
static inline bool cancel_requested(volatile sig_atomic_t *flag)
{
	return flag && __atomic_load_n(flag, __ATOMIC_RELAXED);
}

/*
 * Catch SIGINT, SIGTERM and SIGHUP into cli_stop, so that a run can stop
 * cleanly, and count them: the commands that write stop at the first, absorb
 * the second and abandon their cleanup at the third (guard.h).  The handler
 * never ends the process itself.
 */
void cli_catch_signals(void);

/* How many of them have come. */
unsigned cli_signal_count(void);

/* Those signals, as a set (to block them). */
void cli_stop_signals(sigset_t *set);

/* For a child that leaves stopping to its parent (guard.c, mtools.c):
 * ignore them, across exec too.  Async-signal-safe. */
void cli_ignore_stop_signals(void);

/* Ask on the terminal; true only for "yes".  False without a terminal. */
bool cli_confirm(const char *question);

/* The "Exit status:" part of --help for these codes (ending with -1). */
void cli_print_exit_codes(FILE *out, const int *codes);

/* A size option ("8G"), or exit with a usage error naming the option. */
uint64_t cli_parse_size(const char *arg, const char *option);

/* A whole-number option up to max, or exit with a usage error. */
unsigned cli_parse_uint(const char *command, const char *option, const char *arg, unsigned max);

/* A --sysroot directory (sysfs.h), or exit with a usage error. */
const char *cli_parse_sysroot(const char *command, const char *arg);

/* A hex digest option of len bytes, or exit with a usage error. */
void cli_parse_digest(const char *arg, const char *option, unsigned char *out, size_t len);

/*
 * A failure before a command's work began (no such card, refused): the
 * message as a warning, or with --json a JSON object on stdout with the
 * command, the target, the exit code and the error, as scripts expect of
 * every run.  Returns code.
 */
int cli_fail(bool json, const char *command, const char *target, int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A usage error: the message, a hint to --help, exit 2. */
void cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

void cli_print_version(void);

#endif
