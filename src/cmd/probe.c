/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dloadcard probe CARD: does the card hold what it announces, and keep it?
 * The engine is probe.c; this file is the safety rules, the words and the
 * JSON.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/card.h"
#include "card/probe.h"
#include "card/safety.h"
#include "card/sysfs.h"
#include "cmd/cli.h"
#include "cmd/closestream.h"
#include "cmd/commands.h"
#include "cmd/report.h"
#include "cmd/term.h"
#include "lib/exitcodes.h"
#include "lib/interrupt.h"
#include "lib/json.h"
#include "lib/nls.h"
#include "lib/strutils.h"
#include "pipeline/guard.h"

/* Smaller is no SD card, and leaves the probe no room to look around. */
#define MIN_CARD (1 * MiB)


static const int probe_exit_codes[] = {
	EXIT_OK, EXIT_FAKE_CAPACITY, EXIT_PROBE_DAMAGED, EXIT_ERROR, EXIT_USAGE, EXIT_REFUSED,
	EXIT_WRITE_ERROR, EXIT_READ_ERROR, EXIT_VANISHED, EXIT_STALLED, EXIT_INTERRUPTED, -1
};

/* The command line. */
struct probe_control {
	bool json, quiet;
	bool quick;
	unsigned safety_flags;		/* SAFETY_ALLOW_FIXED */
	unsigned stall_timeout;
	const char *sysroot;
	const char *target;
};

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fputs(USAGE_HEADER, out);
	fputs(_(" dloadcard probe [options] <card>\n"), out);
	fputs(_("\nFind out whether a card holds what it announces and keeps what is written\n"
	      "on it: blocks stamped with their own position are written all over the card,\n"
	      "the last ones included, and read back past the page cache.  The verdict is\n"
	      "GOOD, FAKE (with the size it really holds) or DAMAGED.\n"
	      "\nNothing is lost and nothing is asked: every block the probe writes is read\n"
	      "first and written back at the end, also when interrupted (Ctrl-C, SIGTERM,\n"
	      "SIGHUP; a third one abandons that, saying how many blocks are left changed).\n"
	      "Only that, a crash, kill -9 or pulling the card out during the probe can\n"
	      "leave the few hundred (--quick) or few thousand blocks it wrote changed.\n"
	      "\n<card> is a whole disk (/dev/sdX, /dev/mmcblkN) or an image file.\n"), out);
	fputs(USAGE_OPTIONS, out);
	fputs(_("     --quick          the probe prepare runs: about a hundred places instead\n"
	      "                      of thousands, the real size to 1 MiB\n"
	      "     --allow-fixed    allow a disk that is neither removable nor on usb/mmc\n"
	      "     --stall-timeout <seconds>\n"
	      "                      give up when the card makes no progress this long\n"
	      "                      (default 30; 0 waits forever)\n"
	      "     --sysroot <dir>  read the disks' facts from <dir>/sys and <dir>/proc\n"
	      "                      (for tests, as lsblk's)\n"
	      " -j, --json           print the facts and the verdict as JSON on stdout\n"
	      " -q, --quiet          no progress\n"), out);
	usage_help_options(out, 22);
	usage_exit_codes(out, probe_exit_codes);
	fputs(USAGE_EXAMPLES, out);
	fputs(" sudo dloadcard probe /dev/sdb\n", out);
	fputs(USAGE_MAN_TAIL, out);
	exit(EXIT_OK);
}

static void parse_args(int argc, char **argv, struct probe_control *ctl)
{
	enum { OPT_QUICK = 256, OPT_ALLOW_FIXED, OPT_STALL_TIMEOUT, OPT_SYSROOT };
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "allow-fixed", no_argument, NULL, OPT_ALLOW_FIXED },
		{ "stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT },
		{ "sysroot", required_argument, NULL, OPT_SYSROOT },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(ctl, 0, sizeof(*ctl));
	ctl->stall_timeout = DEFAULT_STALL_TIMEOUT;
	while ((c = getopt_long(argc, argv, "jqhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_QUICK:
			ctl->quick = true;
			break;
		case OPT_ALLOW_FIXED:
			ctl->safety_flags |= SAFETY_ALLOW_FIXED;
			break;
		case OPT_STALL_TIMEOUT:
			ctl->stall_timeout = cli_parse_stall_timeout(optarg);
			break;
		case OPT_SYSROOT:
			ctl->sysroot = cli_parse_sysroot(optarg);
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
	ctl->target = argv[optind];
}

/* The same rules as prepare, since the probe writes: 0 or EXIT_REFUSED
 * (said as JSON with --json).  Not the rule on what a file holds: the probe
 * puts back what it wrote. */
static int open_target(struct report *rp, const struct probe_control *ctl, struct card *c)
{
	struct safety_target t = { .flags = ctl->safety_flags };
	struct safety_result sr;
	struct sysroot root;
	char size[48];

	sysroot_init(&root, ctl->sysroot);
	if (safety_open_card(&root, c, ctl->target, &t, &sr) != SAFE_OK)
		return report_fail(rp, ctl->target, EXIT_REFUSED, "%s", sr.reason.text);
	if (c->size < MIN_CARD) {
		card_close(c);
		return report_fail(rp, ctl->target, EXIT_REFUSED, _("%s is too small to be a card (%s)"),
				   ctl->target, size_to_human(c->size, size, sizeof(size)));
	}
	return 0;
}

static const char *advice(const struct probe_result *r)
{
	switch (r->verdict) {
	case PROBE_FAKE:
		return _("Do not use this card: whatever is written past the real size is lost, "
		       "and with it the files and the file system.  Return it as fake.");
	case PROBE_DAMAGED:
		return _("Do not use this card: it loses or alters data.  Try another reader "
		       "first; if the result stays, use another card.");
	case PROBE_IO_ERROR:
		return _("The card is faulty or worn: use another card (or try another reader).");
	case PROBE_VANISHED:
		return _("Check the reader and the card's contacts, insert it again and rerun.");
	default:
		return NULL;
	}
}

static void print_real(const struct probe_result *r)
{
	char real[48], gap[32];

	size_to_human_both(r->real, real, sizeof(real));
	if (r->real_max > r->real)
		printf(_("  real size:  %s, or up to %s more\n"), real,
		       size_to_human(r->real_max - r->real, gap, sizeof(gap)));
	else
		printf(_("  real size:  %s, exactly\n"), real);
	if (r->wrap)
		printf(_("  wraps every %s: what is written at offset X lands at X modulo that\n"),
		       size_to_human(r->wrap, gap, sizeof(gap)));
}

static void print_text(const char *target, const struct probe_result *r, bool quick)
{
	char line[512], ann[48];

	probe_describe(r, line, sizeof(line));
	if (r->verdict == PROBE_CANCELLED) {
		if (r->restored)
			warnx(_("interrupted: every block the probe wrote was put back, the card "
				"is as it was"));
		else
			warnx(_("interrupted"));
	} else if (r->verdict == PROBE_IO_ERROR || r->verdict == PROBE_VANISHED) {
		warnx("%s", line);
	} else {
		printf("%s: %s\n", r->verdict == PROBE_GOOD ? "GOOD" :
		       r->verdict == PROBE_FAKE ? "FAKE" : "DAMAGED", line);
		printf(_("  card:       %s\n"), target);
		printf(_("  announced:  %s\n"), size_to_human_both(r->announced, ann, sizeof(ann)));
		if (r->verdict == PROBE_FAKE)
			print_real(r);
		printf(_("  checked:    %u places (%s) in %.1f s: %u blocks of %u bytes "
			 "written, %u read\n"), r->samples,
		       quick ? _("quick probe") : _("thorough probe"), r->seconds,
		       r->blocks_written, r->block_size, r->blocks_read);
	}
	if (advice(r))
		fprintf(stderr, "  %s\n", advice(r));
	if (r->not_restored)
		fprintf(stderr, _("dloadcard: warning: %u blocks of %u bytes could not be put back "
			"as they were\n"), r->not_restored, r->block_size);
	else if (!r->restored && r->verdict != PROBE_VANISHED)
		fputs(_("dloadcard: warning: the card could not be flushed after putting back what "
		      "the probe wrote\n"), stderr);
}

static void print_json(struct report *rp, const char *target, const struct probe_result *r,
		       bool quick, int code)
{
	struct json *j = report_begin(rp);
	char line[512];

	json_str(j, "target", target);
	json_str(j, "mode", quick ? "quick" : "thorough");
	json_str(j, "verdict", probe_verdict_name(r->verdict));
	json_int(j, "exit_code", code);
	json_str(j, "summary", probe_describe(r, line, sizeof(line)));
	json_str(j, "advice", advice(r));
	json_u64(j, "announced", r->announced);
	json_u64(j, "real", r->real);
	json_u64(j, "real_max", r->real_max);
	if (r->first_bad < r->announced)
		json_u64(j, "first_bad", r->first_bad);
	else
		json_null(j, "first_bad");
	json_str(j, "kind", *r->kind ? r->kind : NULL);
	if (r->wrap)
		json_u64(j, "wrap_period", r->wrap);
	else
		json_null(j, "wrap_period");
	json_u64(j, "block_size", r->block_size);
	json_u64(j, "samples", r->samples);
	json_u64(j, "bad", r->bad);
	json_u64(j, "bad_io", r->bad_io);
	json_u64(j, "bad_changed", r->bad_changed);
	json_u64(j, "blocks_written", r->blocks_written);
	json_u64(j, "blocks_read", r->blocks_read);
	json_bool(j, "restored", r->restored);
	json_u64(j, "not_restored", r->not_restored);
	if (r->err) {
		json_str(j, "error", strerror(r->err));
		json_u64(j, "error_offset", r->err_off);
	}
	json_double(j, "seconds", r->seconds);
	report_end(rp);
}

/* What the child of guard_run needs; the result is shared with the parent. */
struct probe_job {
	struct card *card;
	struct probe_opts o;
	struct probe_result *r;
	const char *target;
	struct report *rp;
};

static int run_probe(void *arg, volatile sig_atomic_t *stop)
{
	struct probe_job *job = arg;
	const struct probe_result *r = job->r;
	bool quick = !job->o.thorough;
	int rc;

	job->o.cancel = stop;		/* the parent's word, not our own signals */
	probe_card(job->card, &job->o, job->r);
	rc = probe_exit_code(r);
	/* A card left changed is a write failure whatever else it is. */
	if (rc == EXIT_OK && (r->not_restored || !r->restored))
		rc = EXIT_WRITE_ERROR;
	if (job->rp->json)
		print_json(job->rp, job->target, r, quick, rc);
	else
		print_text(job->target, r, quick);
	fflush(stderr);
	/* This process ends with _exit(): its stdout is checked here. */
	return closestream_status(rc);
}

/* What a probe given up on carries beside its error and advice. */
struct unfinished {
	const char *verdict;
	const struct probe_result *r;
};

static void unfinished_members(struct json *j, const void *arg)
{
	const struct unfinished *u = arg;

	json_str(j, "verdict", u->verdict);
	json_bool(j, "restored", u->r->changed == 0);
	json_u64(j, "not_restored", u->r->changed);
	json_u64(j, "block_size", u->r->block_size);
}

/*
 * The child was killed before it could put back what it wrote (a stall, an
 * abandoned stop): say why, and how much of the card is left changed, on
 * the terminal also with --json.
 */
static void report_unfinished(const struct probe_job *job, int code, const char *verdict,
			      const char *error, const char *advice)
{
	const struct probe_result *r = job->r;
	const struct unfinished u = { verdict, r };
	char last[256];
	const struct report_failure f = {
		.target = job->target, .exit_code = code, .error = error, .advice = advice,
		.last = last, .members = unfinished_members, .arg = &u,
	};

	if (r->changed)
		snprintf(last, sizeof(last), _("%u blocks of %u bytes that the probe wrote were not "
			 "put back: the card's partition table and files may be damaged."),
			 r->changed, r->block_size);
	else
		snprintf(last, sizeof(last), _("The probe had put back every block it wrote: the "
			 "card is as it was."));
	if (job->rp->json)
		report_failure(job->rp, &f);
	fputc('\n', stderr);
	report_failure_words(&f);
}

static void on_stall(void *arg, unsigned seconds)
{
	const struct probe_job *job = arg;
	char msg[PATH_MAX + 128];

	snprintf(msg, sizeof(msg), _("%s stopped responding: no progress for %u s"), job->target,
		 seconds);
	report_unfinished(job, EXIT_STALLED, "stalled", msg,
			  _("The card or the reader hangs (fake cards often do past their real size): "
			  "remove the card."));
}

static void on_abandon(void *arg)
{
	report_unfinished(arg, EXIT_INTERRUPTED, "interrupted",
			  _("interrupted, and putting the card back abandoned"),
			  _("Run the probe again to check the card."));
}

static void on_second(void *arg)
{
	(void)arg;
	cli_still_stopping(_("every block the probe wrote is put back"));
}

static const struct guard_ops probe_guard = {
	.on_stall = on_stall,
	.on_second = on_second,
	.on_abandon = on_abandon,
};

int cmd_probe(int argc, char **argv)
{
	struct probe_control ctl;
	struct probe_job job = { .o = { .restore = true } };
	struct progress *pg;
	struct report rp;
	struct term term;
	struct card card;
	int rc;

	parse_args(argc, argv, &ctl);
	report_init(&rp, "probe", ctl.json);
	job.target = ctl.target;
	job.rp = &rp;
	job.o.thorough = !ctl.quick;

	rc = open_target(&rp, &ctl, &card);
	if (rc)
		return rc;
	/* Shared with the child that does the probing (guard.h). */
	pg = guard_shared_alloc(sizeof(*pg));
	job.r = guard_shared_alloc(sizeof(*job.r));
	if (!pg || !job.r)
		err(EXIT_ERROR, _("cannot allocate shared memory"));
	interrupt_catch();
	term_init(&term, stderr, ctl.quiet || ctl.json);
	term_progress(&term, pg);
	job.card = &card;
	job.o.pg = pg;
	rc = guard_run(run_probe, &job, pg, ctl.stall_timeout, &probe_guard);
	card_close(&card);
	guard_shared_free(job.r, sizeof(*job.r));
	guard_shared_free(pg, sizeof(*pg));
	return rc;
}
