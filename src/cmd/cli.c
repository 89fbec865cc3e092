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
#include "fat/format.h"
#include "lib/errmsg.h"
#include "lib/exitcodes.h"
#include "lib/nls.h"
#include "lib/stall.h"
#include "lib/strutils.h"

#define HELP_WIDTH 79

static const char *command;

void cli_set_command(const char *name)
{
	command = name;
}

void usage_help_options(FILE *out, int col)
{
	fprintf(out, " %-*s%s\n", col - 1, "-h, --help", _("display this help"));
	fprintf(out, " %-*s%s\n", col - 1, "-V, --version", _("display version"));
}

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

void usage_exit_codes(FILE *out, const int *codes)
{
	fputs(_("\nExit status:\n"), out);
	for (; *codes >= 0; codes++) {
		const char *text = exit_code_text(*codes);

		fprintf(out, " %3d  ", *codes);
		print_wrapped(out, text ? _(text) : "?", 6);
	}
}

void print_version(void)
{
	printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	exit(EXIT_OK);
}

void errtryhelp(int code)
{
	fprintf(stderr, _("Try 'dloadcard %s%s--help' for more information.\n"),
		command ? command : "", command ? " " : "");
	exit(code);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	errtryhelp(EXIT_USAGE);
}

uint64_t cli_parse_size(const char *option, const char *arg)
{
	uint64_t v;

	if (parse_size(arg, &v) != 0 || v == 0)
		cli_usage_error(_("invalid %s '%s': give a size such as 8G or 512M"), option, arg);
	return v;
}

unsigned cli_parse_uint(const char *option, const char *arg, unsigned max)
{
	unsigned v;

	if (parse_uint(arg, max, &v) != 0)
		cli_usage_error(_("invalid %s '%s': give a whole number up to %u"), option, arg, max);
	return v;
}

unsigned cli_parse_stall_timeout(const char *arg)
{
	unsigned v;

	if (parse_uint(arg, MAX_STALL_TIMEOUT, &v) != 0)
		cli_usage_error(_("invalid --stall-timeout '%s': give seconds, 0 to wait forever"), arg);
	return v;
}

void cli_parse_digest(const char *option, const char *arg, unsigned char *out, size_t len)
{
	if (parse_hex(arg, out, len) != 0)
		cli_usage_error(_("invalid %s '%s': give the %zu hexadecimal digits"), option, arg,
				2 * len);
}

void cli_parse_label(const char *option, const char *arg, char *out)
{
	struct errmsg e;

	if (format_label(arg, out, &e) != 0)
		cli_usage_error(_("invalid %s '%s': %s"), option, arg, e.text);
}

const char *cli_parse_sysroot(const char *arg)
{
	struct errmsg e;

	if (sysroot_check(arg, &e) != 0)
		cli_usage_error(_("invalid --sysroot '%s': %s"), arg, e.text);
	return arg;
}

bool cli_parse_package_opt(struct package_args *pa, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_KEEP_ZIP:
	case CLI_OPT_EXTRACT:
		if (pa->how != PKG_GUESS)
			cli_usage_error(_("--keep-zip and --extract exclude each other"));
		pa->how = c == CLI_OPT_KEEP_ZIP ? PKG_KEEP_ZIP : PKG_EXTRACT;
		return true;
	case CLI_OPT_MEMBER:
		if (!*arg)
			cli_usage_error(_("--member needs the path of an UPDATE.APP inside the zip"));
		pa->member = arg;
		return true;
	}
	return false;
}

bool cli_confirm(const char *question)
{
	char line[16];

	if (!isatty(STDIN_FILENO))
		return false;
	/* TRANSLATORS: the answer stays "yes", in English, whatever the
	 * language: a card is erased only for that word. */
	fprintf(stderr, _("%s Type \"yes\" to continue: "), question);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	rtrim(line);
	return strcmp(line, "yes") == 0;
}

void cli_still_stopping(const char *cleanup)
{
	fprintf(stderr, _("\ndloadcard: still stopping: %s first; press Ctrl-C once more to "
			  "abandon that\n"), cleanup);
}
