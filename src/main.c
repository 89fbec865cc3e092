/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dloadcard: make Huawei "dload" recovery SD cards right, and prove them right.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/closestream.h"
#include "cmd/commands.h"
#include "lib/exitcodes.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "prepare", cmd_prepare, "make a verified dload card from UPDATE.APP" },
	{ "check", cmd_check, "check an UPDATE.APP (or firmware zip): structure, every CRC" },
	{ "verify", cmd_verify, "audit a card, read-only, and say why it would fail" },
	{ "probe", cmd_probe, "find out whether a card is fake (holds less than it says)" },
	{ "list", cmd_list, "list the disks a card could be on, and what they hold" },
	{ "batch", cmd_batch, "prepare many cards at once, or each card as it is plugged in" },
};

static void usage(FILE *out)
{
	size_t i;

	fputs("Usage:\n"
	      " dloadcard <command> [options] [arguments]\n"
	      " dloadcard <command> --help\n"
	      "\nMake Huawei \"dload\" recovery SD cards right, and prove them right.\n"
	      "\nCommands:\n", out);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, " %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nOptions:\n"
	      " -h, --help     display this help\n"
	      " -V, --version  display version\n"
	      "\nExample:\n"
	      " sudo dloadcard prepare /dev/sdb UPDATE.APP\n"
	      "\nSee dloadcard(1) for the exit status of each command.\n", out);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	size_t i;
	int c;

	/* Before anything is opened: no card may become stdout. */
	closestream_init();
	/* Only the options before the command are ours; "+" stops there. */
	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			cli_print_version();
			return EXIT_OK;
		default:
			fprintf(stderr, "Try 'dloadcard --help' for more information.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			argv += optind;
			argc -= optind;
			optind = 0;	/* the command parses its own options */
			return commands[i].run(argc, argv);
		}
	}
	cli_usage_error(NULL, "unknown command '%s'", argv[optind]);
}
