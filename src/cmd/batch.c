/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dloadcard batch UPDATE.APP CARD...: many cards at once, each through the
 * whole prepare pipeline in its own thread (batch.c).  With --watch: each
 * card as it is plugged in (watch.c).  This file is the conversation: the
 * options, the one question, the main loop, Ctrl-C, and the summary.
 */
#include "config.h"

#include <err.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <errno.h>
#include <getopt.h>
#include <libsmartcols.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "cmd/closestream.h"
#include "cmd/commands.h"
#include "cmd/report.h"
#include "cmd/term.h"
#include "cmd/write_args.h"
#include "fat/format.h"
#include "firmware/scan.h"
#include "firmware/srccheck.h"
#include "firmware/srchash.h"
#include "lib/exitcodes.h"
#include "lib/interrupt.h"
#include "lib/nls.h"
#include "lib/strutils.h"
#include "station/batch.h"
#include "station/shoplog.h"
#include "station/watch.h"

#define DEFAULT_POLL		1
#define MAX_CARDS		64	/* as many threads; more is a mistake */

/* The command line. */
struct batch_control {
	struct write_args w;		/* as prepare's */
	char **files;			/* the set: an UPDATE.APP, or SD packages */
	size_t nfiles;
	char **targets;
	size_t ntargets;
	bool watch, present, redo;
	unsigned copies, poll;
	const char *log;
};

/* The run: what the main loop decides on. */
struct station {
	const struct batch_control *ctl;
	struct batch *b;
	struct view *view;
	struct watcher *w;		/* --watch */
	bool draining;			/* no new cards: a signal, or --copies reached */
	bool stopping;			/* the cards in progress were told to stop */
	unsigned signals;		/* how many came (cli.h) */
	bool scan_now;
	unsigned poll;			/* seconds between rescans; 0: on events only */
	struct timespec last_scan;
};

static const int batch_exit_codes[] = {
	EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REFUSED, EXIT_SOURCE_DAMAGED, EXIT_SOURCE_INVALID,
	EXIT_DIGEST_MISMATCH, EXIT_SOME_FAILED, EXIT_REPORT_LOST, EXIT_INTERRUPTED, -1
};

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fputs(USAGE_HEADER, out);
	fputs(_(" dloadcard batch [options] <UPDATE.APP|firmware.zip> <card>...\n"
	      " dloadcard batch [options] <SD-package>... <card>...\n"
	      " dloadcard batch --watch [options] <UPDATE.APP|firmware.zip>\n"
	      " dloadcard batch --watch [options] <SD-package>...\n"), out);
	fputs(_("\nMake many dload cards at once.  UPDATE.APP is checked and hashed once; then\n"
	      "every card runs the whole of prepare (safety rules, erase, partition, format,\n"
	      "write, read back past the cache, compare) in parallel and on its own: a card\n"
	      "that fails never stops the others.  At the end, a table of every card.\n"
	      "\nSD packages make a set, written to each card as prepare writes it: the\n"
	      "first argument and every zip after it are the files, the rest the cards.\n"
	      "\nWith --watch, wait for cards to be plugged in and prepare each new one the\n"
	      "safety rules allow (never a fixed disk, whatever the options), saying when a\n"
	      "card is ready to be pulled out, or failed.\n"), out);
	fputs(USAGE_OPTIONS, out);
	fprintf(out, _(" -y, --yes                do not ask before erasing\n"
	      " -w, --watch              prepare each card as it is plugged in, until Ctrl-C\n"
	      " -n, --copies <n>         with --watch: stop after <n> good cards\n"
	      "     --present            with --watch: also take the cards already plugged in\n"
	      "     --redo               with --watch: rewrite a card that already holds this\n"
	      "                          UPDATE.APP or set (by default: verified and left\n"
	      "                          alone)\n"
	      "     --poll <seconds>     with --watch: rescan the disks this often (default 1;\n"
	      "                          0: only when the kernel announces a change)\n"
	      "     --log <file>         append one JSON line per card to <file>\n"
	      " -s, --size <size>        create the image files that do not exist, this big\n"
	      "     --force              erase existing files that are not disk images\n"
	      "                          (not with --watch)\n"
	      " -L, --label <name>       volume label, upper-cased (default %s)\n"
	      "     --allow-fixed        allow disks neither removable nor on usb/mmc\n"
	      "     --no-probe           skip the quick capacity probe for fake cards\n"
	      "                          (not with --watch)\n"
	      "     --sha256 <hex>       the vendor's SHA-256 of UPDATE.APP: a file with\n"
	      "                          another becomes no card's UPDATE.APP, and batch\n"
	      "                          stops (exit 6)\n"
	      "     --md5 <hex>          the same with the vendor's MD5\n"
	      "     --stall-timeout <seconds>\n"
	      "                          fail a card that makes no progress this long\n"
	      "                          (default 30; 0 waits forever)\n"
	      "     --sysroot <dir>      read the disks' facts from <dir>/sys and <dir>/proc\n"
	      "                          (for tests, as lsblk's)\n"
	      " -j, --json               print the summary as JSON on stdout\n"
	      " -q, --quiet              no progress: each card's result and the summary\n"
	      "     --keep-zip           take the zip as an SD package, kept zipped\n"
	      "     --extract            take the zip's UPDATE.APP out of it\n"
	      "     --member <path>      the UPDATE.APP of the zip to use (a two-step zip)\n"),
	      DEFAULT_LABEL);
	usage_help_options(out, 26);
	fputs(_("\nCtrl-C (or SIGTERM, SIGHUP):\n"
	      " The first starts no new card and stops the cards in progress cleanly at\n"
	      " their next step: a card stopped holds no UPDATE.APP, nor UPDATE.TMP.  A\n"
	      " second is absorbed; a third abandons the cards still cleaning up, saying\n"
	      " what each may hold.  The summary and the log follow either way.\n"
	      "\nWhen every card is refused the exit status is 3; when some failed or were\n"
	      "refused, 23 (the others are ready).\n"), out);
	usage_exit_codes(out, batch_exit_codes);
	fputs(USAGE_EXAMPLES, out);
	fputs(" sudo dloadcard batch UPDATE.APP /dev/sdb /dev/sdc /dev/sdd\n"
	      " sudo dloadcard batch --watch --yes --log shop.jsonl UPDATE.APP\n", out);
	fputs(USAGE_MAN_TAIL, out);
	exit(EXIT_OK);
}

enum {
	OPT_PRESENT = 256,
	OPT_REDO,
	OPT_POLL,
	OPT_LOG,
};

/* A regular file that starts as a zip does: a file of the set, never a
 * card (a card is a disk, or an image, which no zip is). */
static bool looks_like_zip(const char *path)
{
	unsigned char m[4];
	struct stat st;
	bool zip;
	int fd;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return false;
	zip = read(fd, m, sizeof(m)) == (ssize_t)sizeof(m) && m[0] == 'P' && m[1] == 'K' &&
	      m[2] == 3 && m[3] == 4;
	close(fd);
	return zip;
}

/* The files, then the cards: the first argument, and every zip after it. */
static size_t count_files(char **pos, size_t npos)
{
	size_t n = npos ? 1 : 0;

	while (n < npos && looks_like_zip(pos[n]))
		n++;
	return n;
}

static void check_combination(const struct batch_control *ctl, size_t npos)
{
	if (ctl->nfiles > PREPARE_MAX_FILES)
		cli_usage_error(_("at most %d files make a card's set"), PREPARE_MAX_FILES);
	if (ctl->nfiles > 1 && (ctl->w.have_sha256 || ctl->w.have_md5))
		cli_usage_error(_("--sha256 and --md5 are one file's digests: give one file with "
				  "them (check --sha256 checks a file of a set)"));
	if (ctl->watch) {
		if (npos < 1 || npos != ctl->nfiles)
			cli_usage_error(_("with --watch, give only the UPDATE.APP: cards are "
					"taken as they are plugged in"));
		if (ctl->w.opts.safety_flags & SAFETY_ALLOW_FIXED)
			cli_usage_error(_("--allow-fixed is not allowed with --watch: a fixed "
					"disk is never taken by a watch"));
		if (ctl->w.opts.create_size || (ctl->w.opts.safety_flags & SAFETY_FORCE))
			cli_usage_error(_("--size and --force are for image files, not with "
					"--watch"));
		return;
	}
	if (ctl->copies || ctl->present || ctl->redo || ctl->poll != DEFAULT_POLL)
		cli_usage_error(_("--copies, --present, --redo and --poll go with --watch"));
	if (npos < 2 || npos == ctl->nfiles)
		cli_usage_error(_("give the UPDATE.APP, then the cards"));
	if (npos - ctl->nfiles > MAX_CARDS)
		cli_usage_error(_("at most %d cards at once"), MAX_CARDS);
}

static void parse_args(int argc, char **argv, struct batch_control *ctl)
{
	static const struct option longopts[] = {
		WRITE_LONGOPTS,
		{ "watch", no_argument, NULL, 'w' },
		{ "copies", required_argument, NULL, 'n' },
		{ "present", no_argument, NULL, OPT_PRESENT },
		{ "redo", no_argument, NULL, OPT_REDO },
		{ "poll", required_argument, NULL, OPT_POLL },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(ctl, 0, sizeof(*ctl));
	write_args_init(&ctl->w);
	ctl->poll = DEFAULT_POLL;
	while ((c = getopt_long(argc, argv, WRITE_SHORTOPTS "wn:hV", longopts, NULL)) != -1) {
		if (write_args_parse(&ctl->w, c, optarg))
			continue;
		switch (c) {
		case 'w':
			ctl->watch = true;
			break;
		case 'n':
			ctl->copies = cli_parse_uint("--copies", optarg, 100000);
			if (!ctl->copies)
				cli_usage_error(_("--copies must be at least 1"));
			break;
		case OPT_PRESENT:
			ctl->present = true;
			break;
		case OPT_REDO:
			ctl->redo = true;
			break;
		case OPT_POLL:
			ctl->poll = cli_parse_uint("--poll", optarg, 3600);
			break;
		case OPT_LOG:
			ctl->log = optarg;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			errtryhelp(EXIT_USAGE);
		}
	}
	ctl->files = argv + optind;
	ctl->nfiles = count_files(argv + optind, (size_t)(argc - optind));
	check_combination(ctl, (size_t)(argc - optind));
	ctl->targets = argv + optind + ctl->nfiles;
	ctl->ntargets = (size_t)(argc - optind) - ctl->nfiles;
}

/* --- Before the cards ---------------------------------------------------------- */

/* A source that failed its check: no card was touched, as "cards" says. */
static void no_cards(struct json *j, const void *arg)
{
	(void)arg;
	json_open_array(j, "cards");
	json_close_array(j);
}

/* What each file is, said, and the set's rules; then each container (every
 * CRC, at memory speed); the digests come next. */
static int check_source(struct report *rp, const struct batch_control *ctl,
			struct write_file *wf)
{
	struct errmsg e;
	struct progress pg;
	struct term term;
	size_t bad = 0;
	int rc;

	rc = write_args_recognise(&ctl->w, ctl->files, ctl->nfiles, wf, &e);
	if (rc)
		return report_fail(rp, NULL, rc, "%s", e.text);
	term_init(&term, stderr, ctl->w.quiet || ctl->w.json);
	term_progress(&term, &pg);
	rc = write_args_check(wf, ctl->nfiles, &pg, &interrupt_signal, &bad, &e);
	if (rc && *e.text)
		return report_fail(rp, NULL, rc, "%s", e.text);
	return rc ? report_source_failure(rp, &wf[bad].sc, _("any card"), no_cards, NULL) : 0;
}

/*
 * Each file's digests, once for all the cards, computed while they are
 * written (srchash.h): a card's files are named once they are known, and
 * right (--sha256, --md5).
 */
static int start_hashes(struct report *rp, const struct batch_control *ctl,
			const struct write_file *wf, struct prepare_source *ps)
{
	const struct srchash_opts o = {
		.what = SCAN_SHA256,	/* for the log, and to compare each card with */
		.expect_sha256 = ctl->w.have_sha256 ? ctl->w.sha256 : NULL,
		.expect_md5 = ctl->w.have_md5 ? ctl->w.md5 : NULL,
	};
	struct errmsg e;
	int rc = 0;

	for (size_t i = 0; i < ctl->nfiles && !rc; i++)
		rc = srchash_start(&ps[i].hash, wf[i].src, &o, &e);
	if (!rc)
		return 0;
	return report_failure(rp, &(struct report_failure){
		.exit_code = rc == -ESTALE ? EXIT_SOURCE_DAMAGED : EXIT_ERROR,
		.error = e.text,
		.last = _("Nothing was written to any card."),
		.members = no_cards,
	});
}

/* The source's verdict once its hash has ended: 0 (right, or not known
 * yet), or the exit code of a source found wrong, with e (and the advice). */
static int source_verdict(const struct batch *b, struct errmsg *e, const char **advice)
{
	int rc = 0;

	for (size_t i = 0; i < b->nps && (rc == 0 || rc == -EINPROGRESS || rc == -ECANCELED); i++)
		rc = srchash_poll(b->ps[i].hash, NULL, e);

	if (rc == 0 || rc == -EINPROGRESS || rc == -ECANCELED)
		return 0;
	if (advice)
		*advice = rc == -EBADMSG ? SRCHASH_MISMATCH_ADVICE :
			  _("Keep the file unchanged while dloadcard runs, and run batch again.");
	return rc == -EBADMSG ? EXIT_DIGEST_MISMATCH : EXIT_SOURCE_DAMAGED;
}

/* In words, after the summary: why no card could be made. */
static void print_source_verdict(const struct batch *b)
{
	const char *advice;
	struct errmsg e;
	int code = source_verdict(b, &e, &advice);

	if (code)
		report_failure_words(&(struct report_failure){
			.exit_code = code, .error = e.text, .advice = advice,
		});
}

/* What each card's user must know before it goes (prepare_run's notes). */
static void show_notes(struct station *st)
{
	size_t i, k;

	for (i = 0; i < st->b->n; i++) {
		const struct batch_card *c = st->b->cards[i];

		for (k = 0; c->run.card_open && k < c->run.nnotes; k++)
			view_message(st->view, _("%s: note: %s"), c->name, c->run.notes[k]);
	}
}

/* One question for all the cards, after showing what each holds. */
static bool confirm_cards(const struct batch_control *ctl, struct station *st)
{
	struct batch *b = st->b;
	char summary[512], content[512], q[128];
	size_t i, n = 0;
	bool ask = false;

	for (i = 0; i < b->n; i++) {
		struct batch_card *c = b->cards[i];

		if (!c->run.card_open)
			continue;
		n++;
		ask |= !c->run.card.created;
	}
	show_notes(st);
	if (!n || ctl->w.yes || !ask)
		return true;
	fputs(_("These cards will be erased:\n"), stderr);
	for (i = 0; i < b->n; i++) {
		const struct batch_card *c = b->cards[i];

		if (!c->run.card_open)
			continue;
		if (c->run.card.blockdev)
			identity_summary(&c->run.id, summary, sizeof(summary));
		else
			xstrncpy(summary, c->ident, sizeof(summary));
		fprintf(stderr, "  %s: %s\n", c->target, summary);
		if (!c->run.card.created)
			fprintf(stderr, _("      holds: %s\n"),
				!c->run.before.n && !*c->run.before.pttype && *c->run.holds ?
				c->run.holds :
				disks_content_summary(&c->run.before, content, sizeof(content)));
	}
	snprintf(q, sizeof(q), P_("Everything on this %zu card will be erased.",
				  "Everything on these %zu cards will be erased.", n), n);
	return cli_confirm(q);
}

static bool confirm_watch(const struct batch_control *ctl)
{
	if (ctl->w.yes)
		return true;
	fputs(_("Every card plugged in from now on that the safety rules allow will be erased\n"
	      "and made a dload card (fixed disks, system, mounted, busy and write-protected\n"
	      "disks are never touched).\n"), stderr);
	return cli_confirm(_("Start the watch?"));
}

static int not_confirmed(const char *what)
{
	if (interrupt_signal)
		return EXIT_INTERRUPTED;
	if (isatty(STDIN_FILENO))
		warnx(_("%s: not confirmed"), what);
	else
		warnx(_("%s: not confirmed (no terminal to ask on: add --yes)"), what);
	return EXIT_REFUSED;
}

/* --- The watch ------------------------------------------------------------------ */

static size_t good_cards(struct batch *b)
{
	return batch_count(b, OUTCOME_OK) + batch_count(b, OUTCOME_ALREADY);
}

static bool on_card(void *arg, const struct disk_info *d)
{
	struct station *st = arg;
	struct batch_card *c;

	if (st->draining || batch_busy(st->b, d->path))
		return false;
	/* No more cards in flight than copies still wanted. */
	if (st->ctl->copies && good_cards(st->b) + batch_running(st->b) >= st->ctl->copies)
		return false;
	c = batch_add(st->b, d->path, d);
	if (!c)
		return false;	/* out of memory: asked again at the next scan */
	view_message(st->view, _("%s: new card: %s"), c->name, c->ident);
	batch_start(c);
	return true;
}

static void on_refused(void *arg, const struct disk_info *d)
{
	struct station *st = arg;

	view_message(st->view, _("%s: not touched: %s"), d->name, d->reason);
}

static void on_removed(void *arg, const char *name)
{
	struct station *st = arg;

	view_message(st->view, _("%s: card removed"), name);
}

static void scan(struct station *st)
{
	const struct watch_events ev = { on_card, on_refused, on_removed, st };

	watch_scan(st->w, &ev);
	time_now(&st->last_scan);
	st->scan_now = false;
}

/* --- The main loop --------------------------------------------------------------- */

/*
 * The model of every command that writes (guard.h): the first signal stops
 * the cards in progress cleanly at their next step and starts no more, the
 * second is absorbed, the third gives up on the cards still cleaning up.
 */
static void on_signal(struct station *st, unsigned n)
{
	size_t running = batch_running(st->b);

	if (!st->stopping) {
		st->draining = st->stopping = true;
		batch_cancel_all(st->b);
		if (running)
			view_message(st->view, P_("Stopping the %zu card in progress at the next "
						  "step: it will hold no UPDATE.APP.",
						  "Stopping the %zu cards in progress at the next "
						  "step: they will hold no UPDATE.APP.", running),
				     running);
	}
	if (n == 2 && running)
		view_message(st->view, "%s",
			     P_("Still stopping: the cards' current steps end and their "
				"dload/UPDATE.TMP is removed first; Ctrl-C once more abandons it.",
				"Still stopping: the cards' current steps end and their "
				"dload/UPDATE.TMP is removed first; Ctrl-C once more abandons them.",
				running));
	if (n >= 3 && running)
		batch_abandon_all(st->b);
}

static bool finished(struct station *st)
{
	size_t running = batch_running(st->b);
	struct errmsg e;

	if (!st->w)
		return running == 0 && batch_settled(st->b);
	/* A file found wrong makes no card: the watch takes no more. */
	if (!st->draining && source_verdict(st->b, &e, NULL)) {
		st->draining = true;
		view_message(st->view, "dloadcard: %s", e.text);
		view_message(st->view, "%s", _("The watch stops: no card can be made of this file."));
	}
	if (!st->draining && st->ctl->copies && good_cards(st->b) >= st->ctl->copies) {
		st->draining = true;
		view_message(st->view, P_("%u good card: done.", "%u good cards: done.",
					  st->ctl->copies), st->ctl->copies);
	}
	return st->draining && running == 0 && batch_settled(st->b);
}

static int min_timeout(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* Milliseconds until something must be done without an event, or -1. */
static int loop_timeout(struct station *st)
{
	int ms = view_timeout(st->view);

	if (batch_running(st->b))
		ms = min_timeout(ms, BATCH_TICK_MS);	/* the stall watch */
	for (size_t i = 0; i < st->b->nps; i++)
		if (srchash_poll(st->b->ps[i].hash, NULL, NULL) == -EINPROGRESS)
			ms = min_timeout(ms, BATCH_TICK_MS);	/* its verdict, finished() */
	if (st->w && !st->draining && st->poll) {
		double left = st->poll - elapsed_since(&st->last_scan);

		ms = min_timeout(ms, left > 0 ? (int)(left * 1000) + 1 : 0);
	}
	return ms;
}

static void wait_for_something(struct station *st, const sigset_t *unblocked)
{
	struct pollfd fds[2] = {
		{ .fd = batch_notify_fd(st->b), .events = POLLIN },
		{ .fd = st->w ? watch_fd(st->w) : -1, .events = POLLIN },
	};
	int ms = loop_timeout(st);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	/* Signals are let in only here, so that interrupt_signal is never missed. */
	if (ppoll(fds, 2, ms < 0 ? NULL : &ts, unblocked) < 0 && errno != EINTR)
		err(EXIT_ERROR, "poll");
	if (fds[1].revents & POLLIN && watch_drain(st->w))
		st->scan_now = true;
	if (st->w && st->poll && elapsed_since(&st->last_scan) >= st->poll)
		st->scan_now = true;
}

static void run_loop(struct station *st, const sigset_t *unblocked)
{
	for (;;) {
		unsigned n = interrupt_count();

		if (n != st->signals)
			on_signal(st, st->signals = n);
		batch_poll(st->b);
		if (finished(st))
			break;
		if (st->w && st->scan_now && !st->draining)
			scan(st);
		wait_for_something(st, unblocked);
		view_tick(st->view);
	}
	batch_poll(st->b);
}

/* The card threads never take a signal: the main thread decides what Ctrl-C
 * means for them (mtools ignores them, mtools.c). */
static void block_signals(sigset_t *old)
{
	sigset_t set;

	interrupt_sigset(&set);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

/* --- The summary ------------------------------------------------------------------ */

static void print_table(struct batch *b)
{
	struct libscols_table *tb = scols_new_table();
	struct card_result res;
	char took[16];
	size_t i;

	if (!tb)
		return;
	/* TRANSLATORS: the headings of a table for a person (list's are names
	 * that scripts and -o use, and stay). */
	scols_table_new_column(tb, _("CARD"), 0, 0);
	scols_table_new_column(tb, _("IDENTITY"), 0.3, SCOLS_FL_TRUNC);
	scols_table_new_column(tb, _("RESULT"), 0, 0);
	scols_table_new_column(tb, _("TIME"), 0, SCOLS_FL_RIGHT);
	scols_table_new_column(tb, _("REASON"), 0.5, SCOLS_FL_WRAP);
	for (i = 0; i < b->n; i++) {
		struct libscols_line *ln;

		if (!batch_result(b, i, &res))
			continue;
		ln = scols_table_new_line(tb, NULL);
		if (!ln)
			break;
		scols_line_set_data(ln, 0, b->cards[i]->target);
		scols_line_set_data(ln, 1, b->cards[i]->ident);
		scols_line_set_data(ln, 2, batch_outcome_name(res.outcome));
		scols_line_set_data(ln, 3, format_duration(res.total_seconds, took, sizeof(took)));
		scols_line_set_data(ln, 4, res.outcome != OUTCOME_ALREADY ? res.error :
				    res.nfiles ? _("already this SD package set, verified") :
				    _("already this UPDATE.APP, verified"));
	}
	scols_print_table(tb);
	scols_unref_table(tb);
}

static void print_summary(struct batch *b, int rc)
{
	size_t ok = batch_count(b, OUTCOME_OK), already = batch_count(b, OUTCOME_ALREADY);
	size_t failed = batch_count(b, OUTCOME_FAILED), refused = batch_count(b, OUTCOME_REFUSED);
	size_t intr = batch_count(b, OUTCOME_INTERRUPTED);

	if (!b->n) {
		puts(_("No card was prepared."));
		return;
	}
	putchar('\n');
	print_table(b);
	/* TRANSLATORS: the summary of a batch, "3 ready (1 already), 1 failed." */
	printf(P_("\n%zu ready", "\n%zu ready", ok + already), ok + already);
	if (already)
		printf(P_(" (%zu already)", " (%zu already)", already), already);
	if (failed)
		printf(P_(", %zu failed", ", %zu failed", failed), failed);
	if (refused)
		printf(P_(", %zu refused", ", %zu refused", refused), refused);
	if (intr)
		printf(P_(", %zu interrupted", ", %zu interrupted", intr), intr);
	putchar('.');
	if (rc == EXIT_SOME_FAILED)
		fputs(_("  Set the failed cards aside: they hold no UPDATE.APP."), stdout);
	putchar('\n');
}

static void print_json(struct report *rp, struct batch *b, int rc)
{
	struct json *j = report_begin(rp);
	struct card_result res;
	size_t i;

	json_int(j, "exit_code", rc);
	batch_source_json(j, b, NULL);
	json_u64(j, "ready", batch_count(b, OUTCOME_OK) + batch_count(b, OUTCOME_ALREADY));
	json_u64(j, "already", batch_count(b, OUTCOME_ALREADY));
	json_u64(j, "failed", batch_count(b, OUTCOME_FAILED));
	json_u64(j, "refused", batch_count(b, OUTCOME_REFUSED));
	json_u64(j, "interrupted", batch_count(b, OUTCOME_INTERRUPTED));
	json_open_array(j, "cards");
	for (i = 0; i < b->n; i++) {
		if (!batch_result(b, i, &res))
			continue;
		json_open(j, NULL);
		batch_card_json(j, b->cards[i], &res);
		json_close(j);
	}
	json_close_array(j);
	report_end(rp);
}

static int final_code(struct station *st)
{
	struct batch *b = st->b;
	size_t failed = batch_count(b, OUTCOME_FAILED), refused = batch_count(b, OUTCOME_REFUSED);
	int source = source_verdict(b, NULL, NULL);

	if (batch_count(b, OUTCOME_INTERRUPTED))
		return EXIT_INTERRUPTED;
	if (source)
		return source;		/* the file, not the cards, is to blame */
	if (!st->w && b->n && refused == b->n)
		return EXIT_REFUSED;
	if (failed || refused)
		return EXIT_SOME_FAILED;
	return EXIT_OK;
}

/* --- The two modes ----------------------------------------------------------------- */

static int run_cards(struct station *st)
{
	const struct batch_control *ctl = st->ctl;
	sigset_t old;
	size_t i, opened = 0;

	for (i = 0; i < ctl->ntargets && !interrupt_signal; i++) {
		struct batch_card *c = batch_add(st->b, ctl->targets[i], NULL);

		if (!c)
			err(EXIT_ERROR, "%s", ctl->targets[i]);
		opened += batch_open(c) == 0;
	}
	if (interrupt_signal)
		return EXIT_INTERRUPTED;
	if (opened && !confirm_cards(ctl, st))
		return not_confirmed(P_("the card was not erased", "the cards were not erased",
					opened));
	block_signals(&old);
	for (i = 0; i < st->b->n; i++)
		if (st->b->cards[i]->run.card_open)
			batch_start(st->b->cards[i]);
	run_loop(st, &old);
	return -1;
}

static int run_watch(struct station *st)
{
	struct watcher w;
	sigset_t old;
	size_t left;
	int rc;

	if (!confirm_watch(st->ctl))
		return not_confirmed(_("the watch did not start"));
	rc = watch_open(&w, st->ctl->w.opts.sysroot, st->ctl->present, &left);
	if (rc)
		errx(EXIT_ERROR, _("cannot read the disks to watch: %s"), strerror(-rc));
	st->w = &w;
	st->poll = st->ctl->poll;
	if (watch_fd(&w) < 0 && !st->poll) {
		view_message(st->view, _("dloadcard: no kernel events here (netlink): polling every "
			     "second despite --poll 0"));
		st->poll = 1;
	}
	if (left)
		view_message(st->view, P_("%zu card already plugged in is left alone: take it "
					  "out and put it back to prepare it (or use --present).",
					  "%zu cards already plugged in are left alone: take them "
					  "out and put them back to prepare them (or use --present).",
					  left), left);
	view_message(st->view, "%s", st->ctl->copies ? _("Waiting for cards (Ctrl-C to stop)...") :
		     _("Waiting for cards, as many as come (Ctrl-C to stop)..."));
	block_signals(&old);
	st->scan_now = true;
	run_loop(st, &old);
	watch_close(&w);
	st->w = NULL;
	return -1;
}

int cmd_batch(int argc, char **argv)
{
	struct batch_control ctl;
	struct write_file wf[PREPARE_MAX_FILES];
	struct prepare_source ps[PREPARE_MAX_FILES];
	struct station st = { .ctl = &ctl };
	struct shoplog *log = NULL;
	struct report rp;
	struct view view;
	struct term term;
	struct batch b;
	struct errmsg e;
	size_t i;
	int rc;

	memset(wf, 0, sizeof(wf));
	memset(ps, 0, sizeof(ps));
	parse_args(argc, argv, &ctl);
	closestream_on_lost_result(EXIT_REPORT_LOST, _("every card is ready"));
	report_init(&rp, "batch", ctl.w.json);
	interrupt_catch();
	if (ctl.log && shoplog_open(&log, ctl.log, &e) != 0) {
		warnx("%s", e.text);
		return EXIT_ERROR;
	}

	/* The files once, before any card: a bad file costs no card anything. */
	rc = check_source(&rp, &ctl, wf);
	if (!rc) {
		write_args_sources(wf, ctl.nfiles, ps);
		rc = start_hashes(&rp, &ctl, wf, ps);
	}
	if (rc) {
		for (i = 0; i < ctl.nfiles; i++)
			srchash_free(ps[i].hash);
		write_args_free(wf, ctl.nfiles);
		shoplog_close(log);
		return rc;
	}

	term_init(&term, stderr, ctl.w.quiet || ctl.w.json);
	view_init(&view, term_screen(&term));
	st.view = &view;
	st.b = &b;
	rc = batch_init(&b, &ctl.w.opts, ps, ctl.nfiles, wf[0].sc.name, &view, log);
	if (rc)
		errx(EXIT_ERROR, "%s: %s", ctl.files[0], strerror(-rc));
	b.stall_timeout = ctl.w.stall_timeout;
	b.watch = ctl.watch;
	b.redo = ctl.redo;

	rc = ctl.watch ? run_watch(&st) : run_cards(&st);
	view_finish(&view);
	if (rc < 0) {
		/* The files' digests for the report, and their verdict (unless
		 * stopped: then what is known). */
		for (i = 0; i < ctl.nfiles; i++)
			srchash_wait(ps[i].hash, &interrupt_signal, NULL, NULL, NULL);
		rc = final_code(&st);
		if (ctl.w.json) {
			print_json(&rp, &b, rc);
		} else {
			print_summary(&b, rc);
			print_source_verdict(&b);
		}
	}
	/* A card's thread stuck in the kernel still uses b, view, log and wf,
	 * some in this very frame: end here, without unwinding it.  The exit
	 * waits until the kernel lets the thread go (the card pulled out).
	 * The files' hashes end first: they hold nothing of the card. */
	for (i = 0; i < ctl.nfiles; i++)
		srchash_stop(ps[i].hash);
	if (!batch_destroy(&b))
		exit(rc);
	view_destroy(&view);
	for (i = 0; i < ctl.nfiles; i++)
		srchash_free(ps[i].hash);
	write_args_free(wf, ctl.nfiles);
	shoplog_close(log);
	return rc;
}
