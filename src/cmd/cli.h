/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CMD_CLI_H
#define DLOADCARD_CMD_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* What the commands share on the command line. */

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

/* A second Ctrl-C, while the card's cleanup (in words) is under way. */
void cli_still_stopping(const char *cleanup);

struct srccheck;

/* A source that failed its check, on stderr: the error, the advice, then
 * "Nothing was written to <what>." */
void cli_print_source_failure(const struct srccheck *sc, const char *what);

#endif
