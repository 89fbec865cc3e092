/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dloadcard verify CARD: audit a card, read-only, and give a verdict.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <string.h>

#include "card/card.h"
#include "cmd/cli.h"
#include "cmd/commands.h"
#include "cmd/term.h"
#include "firmware/srccheck.h"
#include "lib/exitcodes.h"
#include "lib/interrupt.h"
#include "lib/json.h"
#include "lib/strutils.h"
#include "pipeline/verify.h"

static const int verify_exit_codes[] = {
	EXIT_OK, EXIT_VERIFY_WARN, EXIT_NOT_DLOAD, EXIT_DAMAGED_CARD, EXIT_READ_ERROR,
	EXIT_ERROR, EXIT_USAGE, EXIT_SOURCE_DAMAGED, EXIT_SOURCE_INVALID, EXIT_INTERRUPTED, -1
};

static void usage(FILE *out)
{
	fputs("Usage:\n"
	      " dloadcard verify [options] <card>\n"
	      "\nAudit a dload card, whoever made it, and say why the device would refuse it:\n"
	      "partition table, file system, dload/UPDATE.APP, its clusters, and its content\n"
	      "read back from the card past the page cache and checked completely.\n"
	      "Nothing is written: the card is opened read-only.\n"
	      "\n<card> is a whole disk (/dev/sdX, /dev/mmcblkN) or an image file.\n"
	      "\nOptions:\n"
	      "     --against <file>  compare with this UPDATE.APP (or firmware zip)\n"
	      "     --sha256 <hex>    compare with this SHA-256\n"
	      "     --quick           do not read UPDATE.APP (structure only)\n"
	      " -j, --json            print every check and the verdict as JSON\n"
	      " -q, --quiet           no progress\n"
	      " -h, --help            display this help\n"
	      " -V, --version         display version\n", out);
	cli_print_exit_codes(out, verify_exit_codes);
	fputs("\nExample:\n"
	      " sudo dloadcard verify --against UPDATE.APP /dev/sdb\n"
	      "\nSee dloadcard(1).\n", out);
}

static void print_table(const struct verify_report *rep)
{
	struct libscols_table *tb = scols_new_table();
	size_t i;

	if (!tb)
		return;
	scols_table_new_column(tb, "RESULT", 0, 0);
	scols_table_new_column(tb, "CHECK", 0, 0);
	scols_table_new_column(tb, "DETAILS", 0, SCOLS_FL_WRAP);
	for (i = 0; i < rep->n; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		if (!ln)
			break;
		scols_line_set_data(ln, 0, vresult_name(rep->checks[i].result));
		scols_line_set_data(ln, 1, rep->checks[i].name);
		scols_line_set_data(ln, 2, rep->checks[i].text);
	}
	scols_print_table(tb);
	scols_unref_table(tb);
}

static void print_json(const char *target, const struct card *c, const struct verify_report *rep)
{
	char hex[65];
	struct json j;
	size_t i;

	json_init(&j, stdout, false);
	json_open(&j, NULL);
	json_str(&j, "command", "verify");
	json_str(&j, "target", target);
	json_u64(&j, "size", c->size);
	json_int(&j, "exit_code", rep->exit_code);
	json_str(&j, "verdict", rep->verdict);
	json_str(&j, "partition_table", *rep->pttype ? rep->pttype : NULL);
	json_u64(&j, "partition_offset", rep->part_offset);
	json_u64(&j, "partition_size", rep->part_size);
	json_str(&j, "filesystem", *rep->fstype ? rep->fstype : NULL);
	json_str(&j, "label", *rep->label ? rep->label : NULL);
	json_str(&j, "file", *rep->dload_path ? rep->dload_path : NULL);
	if (rep->have_file)
		json_u64(&j, "file_size", rep->file_size);
	json_str(&j, "sha256", rep->read_done ? hex_string(rep->sha256, 32, hex) : NULL);
	json_str(&j, "container", rep->container);
	json_open_array(&j, "checks");
	for (i = 0; i < rep->n; i++) {
		json_open(&j, NULL);
		json_str(&j, "check", rep->checks[i].name);
		json_str(&j, "result", vresult_name(rep->checks[i].result));
		json_str(&j, "details", rep->checks[i].text);
		json_close(&j);
	}
	json_close_array(&j);
	if (rep->diff.total_ranges) {
		json_open_array(&j, "differences");
		for (i = 0; i < rep->diff.n; i++) {
			json_open(&j, NULL);
			json_u64(&j, "file_offset", rep->diff.ranges[i].file_off);
			json_u64(&j, "card_offset", rep->diff.ranges[i].card_off);
			json_u64(&j, "length", rep->diff.ranges[i].len);
			json_close(&j);
		}
		json_close_array(&j);
	}
	json_close(&j);
	json_end(&j);
}

int cmd_verify(int argc, char **argv)
{
	enum { OPT_AGAINST = 256, OPT_SHA256, OPT_QUICK };
	static const struct option longopts[] = {
		{ "against", required_argument, NULL, OPT_AGAINST },
		{ "sha256", required_argument, NULL, OPT_SHA256 },
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct verify_opts o = { 0 };
	struct verify_report rep;
	struct srccheck sc;
	struct progress pg;
	struct term term;
	struct card card;
	unsigned char sha[32];
	bool json = false, quiet = false, have_sha = false;
	const char *target;
	struct errmsg e;
	int c, rc;

	while ((c = getopt_long(argc, argv, "jqhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_AGAINST:
			o.against = optarg;
			break;
		case OPT_SHA256:
			cli_parse_digest(optarg, "--sha256", sha, sizeof(sha));
			have_sha = true;
			break;
		case OPT_QUICK:
			o.quick = true;
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			cli_print_version();
			return EXIT_OK;
		default:
			cli_usage_error("verify", "invalid option");
		}
	}
	if (argc - optind != 1)
		cli_usage_error("verify", "give one card (a disk or an image file)");
	if (o.against && have_sha)
		cli_usage_error("verify", "give --against or --sha256, not both");
	target = argv[optind];

	interrupt_catch();
	term_init(&term, stderr, quiet || json);
	term_progress(&term, &pg);
	o.pg = &pg;
	o.cancel = &interrupt_signal;

	/* A card that is not there is the first thing to say, before a
	 * long check of --against. */
	if (card_kind_of(target, NULL) == CARD_KIND_MISSING)
		return cli_fail(json, "verify", target, EXIT_USAGE, "%s does not exist: give a card "
				"(/dev/sdX, /dev/mmcblkN) or an image file", target);
	if (o.against) {
		struct srccheck_opts so = { .want_sha256 = true };

		rc = srccheck_run(o.against, &so, &pg, &interrupt_signal, &sc);
		if (rc == EXIT_SOURCE_DAMAGED || rc == EXIT_SOURCE_INVALID || rc == EXIT_INTERRUPTED ||
		    !sc.have_sha256) {
			rc = cli_fail(json, "verify", target, rc ? rc : EXIT_ERROR, "--against: %s",
				      sc.error.text);
			srccheck_free(&sc);
			return rc;
		}
		memcpy(sha, sc.sha256, sizeof(sha));
		have_sha = true;
		srccheck_free(&sc);
	}
	if (have_sha)
		o.expect_sha256 = sha;

	rc = card_open(&card, target, 0, 0, &e);
	if (rc)
		return cli_fail(json, "verify", target, rc == -ENOENT ? EXIT_USAGE : EXIT_ERROR,
				"%s", e.text);
	rc = verify_card(&card, &o, &rep);
	if (json) {
		print_json(target, &card, &rep);
	} else {
		printf("Card: %s\n", target);
		print_table(&rep);
		printf("\nVerdict: %s\n", rep.verdict);
	}
	card_close(&card);
	return interrupt_signal ? EXIT_INTERRUPTED : rc;
}
