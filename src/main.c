/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dloadcard: make Huawei "dload" recovery SD cards right, and prove them right.
 */
#include "config.h"

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/closestream.h"
#include "cmd/commands.h"
#include "lib/exitcodes.h"
#include "lib/nls.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "prepare", cmd_prepare, N_("make a verified dload card from UPDATE.APP") },
	{ "check", cmd_check, N_("check an UPDATE.APP (or firmware zip): structure, every CRC") },
	{ "verify", cmd_verify, N_("audit a card, read-only, and say why it would fail") },
	{ "probe", cmd_probe, N_("find out whether a card is fake (holds less than it says)") },
	{ "list", cmd_list, N_("list the disks a card could be on, and what they hold") },
	{ "batch", cmd_batch, N_("prepare many cards at once, or each card as it is plugged in") },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *out)
{
	size_t i;

	fputs(USAGE_HEADER, out);
	fputs(_(" dloadcard <command> [options] [arguments]\n"
	        " dloadcard <command> --help\n"), out);
	fputs(_("\nMake Huawei \"dload\" recovery SD cards right, and prove them right.\n"), out);
	fputs(_("\nCommands:\n"), out);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, " %-10s %s\n", commands[i].name, _(commands[i].summary));
	fputs(USAGE_OPTIONS, out);
	usage_help_options(out, 16);
	fputs(USAGE_EXAMPLES, out);
	fputs(" sudo dloadcard prepare /dev/sdb UPDATE.APP\n", out);
	fputs(_("\nSee dloadcard(1) for the exit status of each command.\n"), out);
}

static void __attribute__((noreturn)) usage(void)
{
	print_usage(stdout);
	exit(EXIT_OK);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static char name[64];
	size_t i;
	int c;

	/* Before anything is opened: no card may become stdout. */
	closestream_init();
	/* Messages in the user's language (LANG, LC_MESSAGES, LANGUAGE); only
	 * LC_MESSAGES and LC_CTYPE matter: numbers in --json and the reports
	 * keep the C locale's form, whatever LC_NUMERIC says. */
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	bindtextdomain(PACKAGE, LOCALEDIR);
	textdomain(PACKAGE);
	/* getopt's own messages say "dloadcard: ...", however it was run. */
	argv[0] = (char *)"dloadcard";
	/* Only the options before the command are ours; "+" stops there. */
	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			errtryhelp(EXIT_USAGE);
		}
	}
	/* Without a command, what there is to choose from. */
	if (optind >= argc) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			argv += optind;
			argc -= optind;
			/* getopt's own messages say "dloadcard prepare: ..." */
			snprintf(name, sizeof(name), "dloadcard %s", commands[i].name);
			argv[0] = name;
			cli_set_command(commands[i].name);
			optind = 0;	/* the command parses its own options */
			return commands[i].run(argc, argv);
		}
	}
	cli_usage_error(_("unknown command '%s'"), argv[optind]);
}
