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

#define HELP_WIDTH 79

/* text after a margin of indent columns, in lines of HELP_WIDTH, the first
 * line's margin already printed. */
static void print_wrapped(FILE *out, const char *text, int indent)
{
	int width = HELP_WIDTH - indent;

	while ((int)strlen(text) > width) {
		int cut = width;

		while (cut > 0 && text[cut] != ' ')
			cut--;
		if (cut == 0)
			break;	/* one word longer than the line: as it is */
		fprintf(out, "%.*s\n%*s", cut, text, indent, "");
		text += cut + 1;
	}
	fprintf(out, "%s\n", text);
}

void cli_print_exit_codes(FILE *out, const int *codes)
{
	fputs("\nExit status:\n", out);
	for (; *codes >= 0; codes++) {
		const char *text = exit_code_text(*codes);

		fprintf(out, " %3d  ", *codes);
		print_wrapped(out, text ? text : "?", 6);
	}
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
