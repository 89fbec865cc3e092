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
#include <stdlib.h>
#include <string.h>

#include "card/card.h"
#include "cmd/cli.h"
#include "cmd/commands.h"
#include "cmd/report.h"
#include "cmd/term.h"
#include "firmware/srccheck.h"
#include "lib/exitcodes.h"
#include "lib/interrupt.h"
#include "lib/json.h"
#include "lib/nls.h"
#include "lib/strutils.h"
#include "pipeline/verify.h"

static const int verify_exit_codes[] = {
	EXIT_OK, EXIT_VERIFY_WARN, EXIT_NOT_DLOAD, EXIT_DAMAGED_CARD, EXIT_READ_ERROR,
	EXIT_ERROR, EXIT_USAGE, EXIT_SOURCE_DAMAGED, EXIT_SOURCE_INVALID, EXIT_INTERRUPTED, -1
};

/* The command line. */
struct verify_control {
	bool json, quiet;
	bool have_sha256;
	unsigned char sha256[32];
	const char *against;
	bool quick;
	const char *target;
};

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fputs(USAGE_HEADER, out);
	fputs(_(" dloadcard verify [options] <card>\n"), out);
	fputs(_("\nAudit a dload card, whoever made it, and say why the device would refuse it:\n"
	      "partition table, file system (and the points of Microsoft's FAT specification\n"
	      "that a bootloader trips on), dload/UPDATE.APP, its clusters, and its content\n"
	      "read back from the card past the page cache and checked completely.\n"
	      "Nothing is written: the card is opened read-only.\n"
	      "\n<card> is a whole disk (/dev/sdX, /dev/mmcblkN) or an image file.\n"), out);
	fputs(USAGE_OPTIONS, out);
	fputs(_("     --against <file>  compare with this UPDATE.APP (or firmware zip)\n"
	      "     --sha256 <hex>    compare with this SHA-256\n"
	      "     --quick           do not read UPDATE.APP (structure only)\n"
	      " -j, --json            print every check and the verdict as JSON\n"
	      " -q, --quiet           no progress\n"), out);
	usage_help_options(out, 23);
	usage_exit_codes(out, verify_exit_codes);
	fputs(USAGE_EXAMPLES, out);
	fputs(" sudo dloadcard verify --against UPDATE.APP /dev/sdb\n", out);
	fputs(USAGE_MAN_TAIL, out);
	exit(EXIT_OK);
}

static void parse_args(int argc, char **argv, struct verify_control *ctl)
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
	int c;

	memset(ctl, 0, sizeof(*ctl));
	while ((c = getopt_long(argc, argv, "jqhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_AGAINST:
			ctl->against = optarg;
			break;
		case OPT_SHA256:
			cli_parse_digest("--sha256", optarg, ctl->sha256, sizeof(ctl->sha256));
			ctl->have_sha256 = true;
			break;
		case OPT_QUICK:
			ctl->quick = true;
			break;
		case 'j':
			ctl->json = true;
			break;
		case 'q':
			ctl->quiet = true;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			errtryhelp(EXIT_USAGE);
		}
	}
	if (argc - optind != 1)
		cli_usage_error(_("give one card (a disk or an image file)"));
	if (ctl->against && ctl->have_sha256)
		cli_usage_error(_("give --against or --sha256, not both"));
	ctl->target = argv[optind];
}

static void print_table(const struct verify_report *rep)
{
	struct libscols_table *tb = scols_new_table();
	size_t i;

	if (!tb)
		return;
	/* TRANSLATORS: the headings of a table for a person (list's are names
	 * that scripts and -o use, and stay). */
	scols_table_new_column(tb, _("RESULT"), 0, 0);
	scols_table_new_column(tb, _("CHECK"), 0, 0);
	scols_table_new_column(tb, _("DETAILS"), 0, SCOLS_FL_WRAP);
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

static void print_json(struct report *rp, const char *target, const struct card *c,
		       const struct verify_report *rep)
{
	struct json *j = report_begin(rp);
	char hex[65];
	size_t i;

	json_str(j, "target", target);
	json_u64(j, "size", c->size);
	json_int(j, "exit_code", rep->exit_code);
	json_str(j, "verdict", rep->verdict);
	json_str(j, "partition_table", *rep->pttype ? rep->pttype : NULL);
	json_u64(j, "partition_offset", rep->part_offset);
	json_u64(j, "partition_size", rep->part_size);
	json_str(j, "filesystem", *rep->fstype ? rep->fstype : NULL);
	json_str(j, "label", *rep->label ? rep->label : NULL);
	json_str(j, "file", *rep->dload_path ? rep->dload_path : NULL);
	if (rep->have_file)
		json_u64(j, "file_size", rep->file_size);
	json_str(j, "sha256", rep->read_done ? hex_string(rep->sha256, 32, hex) : NULL);
	json_str(j, "container", rep->container);
	json_open_array(j, "checks");
	for (i = 0; i < rep->n; i++) {
		json_open(j, NULL);
		json_str(j, "check", rep->checks[i].name);
		json_str(j, "result", vresult_name(rep->checks[i].result));
		json_str(j, "details", rep->checks[i].text);
		json_close(j);
	}
	json_close_array(j);
	report_differences(j, &rep->diff);
	report_end(rp);
}

/* --against: the SHA-256 of that file, once it passed its check.  0, or the
 * exit code (reported). */
static int against_sha256(struct report *rp, const struct verify_control *ctl,
			  struct progress *pg, unsigned char *sha)
{
	struct srccheck_opts so = { .want_sha256 = true };
	struct srccheck sc;
	int rc = srccheck_run(ctl->against, &so, pg, &interrupt_signal, &sc);

	if (rc == EXIT_SOURCE_DAMAGED || rc == EXIT_SOURCE_INVALID || rc == EXIT_INTERRUPTED ||
	    !sc.have_sha256)
		rc = report_fail(rp, ctl->target, rc ? rc : EXIT_ERROR, _("--against: %s"),
				 sc.error.text);
	else
		rc = 0;
	memcpy(sha, sc.sha256, 32);
	srccheck_free(&sc);
	return rc;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_control ctl;
	struct verify_opts o = { 0 };
	struct verify_report rep;
	struct progress pg;
	struct report rp;
	struct term term;
	struct card card;
	struct errmsg e;
	int rc;

	parse_args(argc, argv, &ctl);
	interrupt_catch();
	term_init(&term, stderr, ctl.quiet || ctl.json);
	term_progress(&term, &pg);
	report_init(&rp, "verify", ctl.json);
	o.pg = &pg;
	o.cancel = &interrupt_signal;
	o.quick = ctl.quick;
	o.against = ctl.against;

	/* A card that is not there is the first thing to say, before a
	 * long check of --against. */
	if (card_kind_of(ctl.target, NULL) == CARD_KIND_MISSING)
		return report_fail(&rp, ctl.target, EXIT_USAGE, _("%s does not exist: give a card "
				   "(/dev/sdX, /dev/mmcblkN) or an image file"), ctl.target);
	if (ctl.against) {
		rc = against_sha256(&rp, &ctl, &pg, ctl.sha256);
		if (rc)
			return rc;
		ctl.have_sha256 = true;
	}
	if (ctl.have_sha256)
		o.expect_sha256 = ctl.sha256;

	rc = card_open(&card, ctl.target, 0, 0, &e);
	if (rc)
		return report_fail(&rp, ctl.target, rc == -ENOENT ? EXIT_USAGE : EXIT_ERROR,
				   "%s", e.text);
	rc = verify_card(&card, &o, &rep);
	if (ctl.json) {
		print_json(&rp, ctl.target, &card, &rep);
	} else {
		printf(_("Card: %s\n"), ctl.target);
		print_table(&rep);
		printf(_("\nVerdict: %s\n"), rep.verdict);
	}
	card_close(&card);
	return interrupt_signal ? EXIT_INTERRUPTED : rc;
}
