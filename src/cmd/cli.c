/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card/sysfs.h"
#include "cmd/cli.h"
#include "firmware/srccheck.h"
#include "lib/exitcodes.h"
#include "lib/json.h"
#include "lib/strutils.h"

bool cli_confirm(const char *question)
{
	char line[16];

	if (!isatty(STDIN_FILENO))
		return false;
	fprintf(stderr, "%s Type \"yes\" to continue: ", question);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	rtrim(line);
	return strcmp(line, "yes") == 0;
}

static const char *exit_text(int code)
{
	switch (code) {
	case EXIT_OK:			return "success";
	case EXIT_ERROR:		return "system error (out of memory, a missing tool, ...), "
					       "or the result could not be written";
	case EXIT_USAGE:		return "bad command line";
	case EXIT_REFUSED:		return "target refused (system disk, mounted, fixed, "
					       "the source, not a disk image, ...) or not confirmed";
	case EXIT_SOURCE_DAMAGED:	return "the UPDATE.APP is damaged or incomplete, or changed "
					       "while it was read";
	case EXIT_SOURCE_INVALID:	return "the file is not an UPDATE.APP (web page, "
					       "zip, empty, ...)";
	case EXIT_DIGEST_MISMATCH:	return "the file's SHA-256 or MD5 differs from the "
					       "one given";
	case EXIT_WRITE_ERROR:		return "the card failed while writing";
	case EXIT_READ_ERROR:		return "the card failed while reading";
	case EXIT_MISMATCH:		return "the card gave back other bytes than written "
					       "(faulty card or reader)";
	case EXIT_FAKE_CAPACITY:	return "the card holds less than it announces (fake)";
	case EXIT_VANISHED:		return "the card went away (unplugged, reader reset)";
	case EXIT_STALLED:		return "the card stopped responding";
	case EXIT_VERIFY_WARN:		return "a good dload card, with warnings";
	case EXIT_NOT_DLOAD:		return "not a dload card";
	case EXIT_DAMAGED_CARD:		return "a dload card whose UPDATE.APP is damaged";
	case EXIT_SOME_FAILED:		return "some cards failed";
	case EXIT_PROBE_DAMAGED:	return "the card loses or alters data";
	case EXIT_REPORT_LOST:		return "the card (every card of a batch) is ready, but "
					       "the report could not be written to standard output";
	case EXIT_INTERRUPTED:		return "interrupted (Ctrl-C, SIGINT, SIGTERM, SIGHUP)";
	}
	return "?";
}

void cli_print_exit_codes(FILE *out, const int *codes)
{
	fputs("\nExit status:\n", out);
	for (; *codes >= 0; codes++)
		fprintf(out, " %3d  %s\n", *codes, exit_text(*codes));
}

int cli_fail(bool json, const char *command, const char *target, int code, const char *fmt, ...)
{
	char msg[1024];
	struct json j;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!json) {
		warnx("%s", msg);
		return code;
	}
	json_init(&j, stdout, false);
	json_open(&j, NULL);
	json_str(&j, "command", command);
	json_str(&j, "target", target);
	json_int(&j, "exit_code", code);
	json_str(&j, "error", msg);
	json_close(&j);
	json_end(&j);
	return code;
}

void cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'dloadcard %s%s--help' for more information.\n",
		command ? command : "", command ? " " : "");
	exit(EXIT_USAGE);
}

uint64_t cli_parse_size(const char *arg, const char *option)
{
	uint64_t v;

	if (parse_size(arg, &v) != 0 || v == 0)
		cli_usage_error(NULL, "invalid size for %s: '%s' (examples: 8G, 512M, 16GiB)",
				option, arg);
	return v;
}

unsigned cli_parse_uint(const char *command, const char *option, const char *arg, unsigned max)
{
	unsigned v;

	if (parse_uint(arg, max, &v) != 0)
		cli_usage_error(command, "invalid %s '%s': give a whole number up to %u",
				option, arg, max);
	return v;
}

const char *cli_parse_sysroot(const char *command, const char *arg)
{
	struct errmsg e;

	if (sysroot_check(arg, &e) != 0)
		cli_usage_error(command, "invalid --sysroot '%s': %s", arg, e.text);
	return arg;
}

void cli_print_source_failure(const struct srccheck *sc, const char *what)
{
	warnx("%s", sc->error.text);
	if (*sc->advice)
		fprintf(stderr, "  %s\n", sc->advice);
	fprintf(stderr, "  Nothing was written to %s.\n", what);
}

void cli_parse_digest(const char *arg, const char *option, unsigned char *out, size_t len)
{
	if (parse_hex(arg, out, len) != 0)
		cli_usage_error(NULL, "invalid %s: '%s' (give the %zu hexadecimal digits)",
				option, arg, 2 * len);
}

void cli_still_stopping(const char *cleanup)
{
	fprintf(stderr, "\ndloadcard: still stopping: %s first; press Ctrl-C once more to "
		"abandon that\n", cleanup);
}

void cli_print_version(void)
{
	printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
}
