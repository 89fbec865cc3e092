/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CMD_CLI_H
#define DLOADCARD_CMD_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "firmware/package.h"
#include "lib/nls.h"

/*
 * What the commands share on the command line, as util-linux's programs do
 * (include/c.h): each command parses its options into one control struct
 * in a parse_args() whose getopt switch ends
 *
 *	case 'h':
 *		usage();
 *	case 'V':
 *		print_version();
 *	default:
 *		errtryhelp(EXIT_USAGE);
 *
 * getopt itself says what was wrong with an option ("dloadcard prepare:
 * unrecognized option '--bogus'"); a bad value or argument is a
 * cli_usage_error().  usage() prints to stdout and exits 0, built from the
 * pieces below.
 */

/* The command being run ("prepare"), for the messages; set by main. */
void cli_set_command(const char *name);

#define USAGE_HEADER	_("Usage:\n")
#define USAGE_OPTIONS	_("\nOptions:\n")
#define USAGE_EXAMPLES	_("\nExample:\n")
#define USAGE_MAN_TAIL	_("\nSee dloadcard(1).\n")

/* The -h and -V lines, their descriptions at column col. */
void usage_help_options(FILE *out, int col);

/* The "Exit status:" part of --help for these codes (ending with -1). */
void usage_exit_codes(FILE *out, const int *codes);

/* "dloadcard 0.1" on stdout, and exit 0. */
void __attribute__((noreturn)) print_version(void);

/* "Try 'dloadcard prepare --help' for more information.", and exit code. */
void __attribute__((noreturn)) errtryhelp(int code);

/* A usage error: the message, the hint to --help, exit 2. */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Option values, each checked or a usage error that names the option and
 * says what to give.
 */
uint64_t cli_parse_size(const char *option, const char *arg);
unsigned cli_parse_uint(const char *option, const char *arg, unsigned max);
/* --stall-timeout: seconds, 0 for ever (lib/stall.h). */
unsigned cli_parse_stall_timeout(const char *arg);
void cli_parse_digest(const char *option, const char *arg, unsigned char *out, size_t len);
/* A FAT volume label, as it goes on the card (fat/format.h). */
void cli_parse_label(const char *option, const char *arg, char *out);
/* A --sysroot directory (card/sysfs.h). */
const char *cli_parse_sysroot(const char *arg);

/* --keep-zip, --extract, --member: how a zip is taken (firmware/package.h),
 * for check, prepare and batch alike. */
struct package_args {
	enum package_override how;
	const char *member;
};
enum { CLI_OPT_KEEP_ZIP = 0x1100, CLI_OPT_EXTRACT, CLI_OPT_MEMBER };
#define PACKAGE_LONGOPTS \
	{ "keep-zip", no_argument, NULL, CLI_OPT_KEEP_ZIP }, \
	{ "extract", no_argument, NULL, CLI_OPT_EXTRACT }, \
	{ "member", required_argument, NULL, CLI_OPT_MEMBER }
#define USAGE_PACKAGE_OPTIONS _( \
	"     --keep-zip       take each zip as an SD package, kept zipped on the card\n" \
	"     --extract        take each zip's UPDATE.APP out of it\n" \
	"     --member <path>  the UPDATE.APP of the zip to use (a two-step zip)\n")
/* Whether c was one of them, now in pa; a conflict is a usage error. */
bool cli_parse_package_opt(struct package_args *pa, int c, const char *arg);

/* Ask on the terminal; true only for "yes".  False without a terminal. */
bool cli_confirm(const char *question);

/* A second Ctrl-C, while the card's cleanup (in words) is under way. */
void cli_still_stopping(const char *cleanup);

#endif
