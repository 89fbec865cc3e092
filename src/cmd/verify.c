/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dloadcard verify CARD: audit a card, read-only, and give a verdict.
 */
#include "config.h"

#include <err.h>
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
#include "firmware/package.h"
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
	const char **against;		/* --against FILE...: argv's */
	size_t n_against;
	bool quick;
	const char *target;
};

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fputs(USAGE_HEADER, out);
	fputs(_(" dloadcard verify [options] <card>\n"), out);
	fputs(_(" dloadcard verify [options] --against <file>... <card>\n"), out);
	fputs(_("\nAudit a dload card, whoever made it, and say why the device would refuse it:\n"
	      "partition table, file system (and the points of Microsoft's FAT specification\n"
	      "that a bootloader trips on), dload/UPDATE.APP or an SD package set (every zip,\n"
	      "its UPDATE.APP and members, the set complete), their clusters, and their\n"
	      "content read back from the card past the page cache and checked completely;\n"
	      "leftovers and other files of dload/ named with what they risk.\n"
	      "Nothing is written: the card is opened read-only.\n"
	      "\n<card> is a whole disk (/dev/sdX, /dev/mmcblkN) or an image file.\n"), out);
	fputs(USAGE_OPTIONS, out);
	fputs(_("     --against <file>  compare with this UPDATE.APP (or firmware zip); with\n"
	      "                       several files (the card last), each with the card's\n"
	      "                       file of its name, an SD package byte for byte\n"
	      "     --sha256 <hex>    compare dload/UPDATE.APP with this SHA-256 (refused for\n"
	      "                       a card holding SD packages: give --against)\n"
	      "     --quick           read no file (structure only)\n"
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
			ctl->against = realloc(ctl->against, (ctl->n_against + 1) * sizeof(char *));
			if (!ctl->against)
				err(EXIT_ERROR, _("cannot allocate memory"));
			ctl->against[ctl->n_against++] = optarg;
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
	if (argc - optind < 1 || (argc - optind > 1 && !ctl->n_against))
		cli_usage_error(_("give one card (a disk or an image file)"));
	if (ctl->n_against && ctl->have_sha256)
		cli_usage_error(_("give --against or --sha256, not both"));
	/* --against a b CARD: the card is the last; the others are files. */
	for (; argc - optind > 1; optind++) {
		ctl->against = realloc(ctl->against, (ctl->n_against + 1) * sizeof(char *));
		if (!ctl->against)
			err(EXIT_ERROR, _("cannot allocate memory"));
		ctl->against[ctl->n_against++] = argv[optind];
	}
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

static void json_check(struct json *j, const struct verify_report *rep, const struct vcheck *ck)
{
	json_open(j, NULL);
	json_str(j, "check", ck->name);
	json_str(j, "result", vresult_name(ck->result));
	json_str(j, "details", ck->text);
	json_str(j, "file", ck->file >= 0 ? rep->files[ck->file].name : NULL);
	json_close(j);
}

/* A file of dload/: what it is, what was read, its checks. */
static void json_file(struct json *j, const struct verify_report *rep, size_t i)
{
	const struct vfile *f = &rep->files[i];
	char hex[65];

	json_open(j, NULL);
	json_str(j, "name", f->name);
	json_str(j, "short_name", f->short_name);
	json_u64(j, "size", f->size);
	json_str(j, "kind", f->kind);
	json_str(j, "role", f->role);
	json_str(j, "model", *f->model ? f->model : NULL);
	json_str(j, "sha256", f->read_done ? hex_string(f->sha256, 32, hex) : NULL);
	json_str(j, "container", f->container);
	if (f->members)
		json_u64(j, "members_checked", f->members);
	json_open_array(j, "checks");
	for (size_t k = 0; k < rep->n; k++)
		if (rep->checks[k].file == (int)i)
			json_check(j, rep, &rep->checks[k]);
	json_close_array(j);
	report_differences(j, &f->diff);
	json_close(j);
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
	json_str(j, "layout", vlayout_name(rep->layout));
	json_str(j, "file", *rep->dload_path ? rep->dload_path : NULL);
	if (rep->have_file)
		json_u64(j, "file_size", rep->file_size);
	json_str(j, "sha256", rep->read_done ? hex_string(rep->sha256, 32, hex) : NULL);
	json_str(j, "container", rep->container);
	json_open_array(j, "files");
	for (i = 0; i < rep->n_files; i++)
		json_file(j, rep, i);
	json_close_array(j);
	json_open_array(j, "checks");
	for (i = 0; i < rep->n; i++)
		json_check(j, rep, &rep->checks[i]);
	json_close_array(j);
	report_differences(j, &rep->diff);
	report_end(rp);
}

/* One --against file: recognised, checked as check would (an SD package
 * whole, by every member's CRC-32), its UPDATE.APP's SHA-256 kept.  0, or
 * the exit code (reported). */
static int against_file(struct report *rp, const struct verify_control *ctl, const char *path,
			struct progress *pg, struct package *p, struct verify_ref *ref)
{
	struct srccheck_opts so = { .want_sha256 = true };
	struct srccheck sc;
	struct errmsg e;
	int rc;

	if (package_recognise(path, PKG_GUESS, NULL, p, &e) < 0)
		return report_fail(rp, ctl->target, EXIT_USAGE, _("--against: %s"), e.text);
	/* Anything else is refused by its check below, in its words. */
	if (p->kind == PKG_TWO_STEP)
		return report_fail(rp, ctl->target, EXIT_SOURCE_INVALID, _("--against: %s"), p->what);
	ref->path = path;
	xstrncpy(ref->card_name, p->card_name, sizeof(ref->card_name));
	srccheck_opts_for(&so, p);
	rc = srccheck_run(path, &so, pg, &interrupt_signal, &sc);
	if (rc == EXIT_SOURCE_DAMAGED || rc == EXIT_SOURCE_INVALID || rc == EXIT_INTERRUPTED ||
	    !sc.have_sha256)
		rc = report_fail(rp, ctl->target, rc ? rc : EXIT_ERROR, _("--against: %s"),
				 sc.error.text);
	else if (p->kind == PKG_OTHER)
		rc = report_fail(rp, ctl->target, EXIT_SOURCE_INVALID, _("--against: %s"), p->what);
	else
		rc = 0;
	memcpy(ref->sha256, sc.sha256, 32);
	srccheck_free(&sc);
	return rc;
}

/* Every --against file, and the set they make as the card would hold them. */
static int against_files(struct report *rp, const struct verify_control *ctl, struct progress *pg,
			 struct verify_ref *refs)
{
	struct package *set = calloc(ctl->n_against, sizeof(*set));
	char warn[1024];
	struct errmsg e;
	int rc = 0;

	if (!set)
		err(EXIT_ERROR, _("cannot allocate memory"));
	for (size_t i = 0; i < ctl->n_against && !rc; i++)
		rc = against_file(rp, ctl, ctl->against[i], pg, &set[i], &refs[i]);
	if (!rc && package_set_check(set, ctl->n_against, warn, sizeof(warn), &e) < 0)
		rc = report_fail(rp, ctl->target, EXIT_USAGE, _("--against: %s"), e.text);
	free(set);
	return rc;
}

/* The audit of the card itself, once the files given are checked. */
static int audit(struct report *rp, const struct verify_control *ctl, const struct verify_opts *o)
{
	struct verify_report *rep = malloc(sizeof(*rep));
	struct card card;
	struct errmsg e;
	int rc;

	if (!rep)
		err(EXIT_ERROR, _("cannot allocate memory"));
	rc = card_open(&card, ctl->target, 0, 0, &e);
	if (rc) {
		free(rep);
		return report_fail(rp, ctl->target, rc == -ENOENT ? EXIT_USAGE : EXIT_ERROR,
				   "%s", e.text);
	}
	rc = verify_card(&card, o, rep);
	if (rc == EXIT_USAGE) {
		rc = report_fail(rp, ctl->target, EXIT_USAGE, "%s", rep->verdict);
	} else if (ctl->json) {
		print_json(rp, ctl->target, &card, rep);
	} else {
		printf(_("Card: %s\n"), ctl->target);
		print_table(rep);
		printf(_("\nVerdict: %s\n"), rep->verdict);
	}
	card_close(&card);
	free(rep);
	return rc;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_control ctl;
	struct verify_opts o = { 0 };
	struct verify_ref *refs = NULL;
	struct progress pg;
	struct report rp;
	struct term term;
	int rc;

	parse_args(argc, argv, &ctl);
	interrupt_catch();
	term_init(&term, stderr, ctl.quiet || ctl.json);
	term_progress(&term, &pg);
	report_init(&rp, "verify", ctl.json);
	o.pg = &pg;
	o.cancel = &interrupt_signal;
	o.quick = ctl.quick;
	if (ctl.have_sha256)
		o.expect_sha256 = ctl.sha256;
	if (ctl.n_against) {
		refs = calloc(ctl.n_against, sizeof(*refs));
		if (!refs)
			err(EXIT_ERROR, _("cannot allocate memory"));
		o.refs = refs;
		o.n_refs = ctl.n_against;
	}

	/* A card that is not there is the first thing to say, before a
	 * long check of --against. */
	if (card_kind_of(ctl.target, NULL) == CARD_KIND_MISSING)
		rc = report_fail(&rp, ctl.target, EXIT_USAGE, _("%s does not exist: give a card "
				 "(/dev/sdX, /dev/mmcblkN) or an image file"), ctl.target);
	else if (!ctl.n_against || (rc = against_files(&rp, &ctl, &pg, refs)) == 0)
		rc = audit(&rp, &ctl, &o);
	free(refs);
	free(ctl.against);
	return interrupt_signal ? EXIT_INTERRUPTED : rc;
}
