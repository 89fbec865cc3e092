/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dloadcard prepare TARGET FILE...: from the command line to a verified
 * card.  The pipeline itself is prepare.c; this file is the conversation
 * with the user: options, what will be erased, the question, the report.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card/safety.h"
#include "cmd/cli.h"
#include "cmd/closestream.h"
#include "cmd/commands.h"
#include "cmd/report.h"
#include "cmd/term.h"
#include "cmd/write_args.h"
#include "fat/format.h"
#include "firmware/scan.h"
#include "firmware/source.h"
#include "firmware/srccheck.h"
#include "firmware/srchash.h"
#include "lib/exitcodes.h"
#include "lib/interrupt.h"
#include "lib/json.h"
#include "lib/nls.h"
#include "lib/strutils.h"
#include "pipeline/guard.h"
#include "pipeline/prepare.h"

static const int prepare_exit_codes[] = {
	EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REFUSED, EXIT_SOURCE_DAMAGED,
	EXIT_SOURCE_INVALID, EXIT_DIGEST_MISMATCH, EXIT_WRITE_ERROR, EXIT_READ_ERROR,
	EXIT_MISMATCH, EXIT_FAKE_CAPACITY, EXIT_VANISHED, EXIT_STALLED, EXIT_PROBE_DAMAGED,
	EXIT_REPORT_LOST, EXIT_INTERRUPTED, -1
};

/* The command line. */
struct prepare_control {
	struct write_args w;		/* as batch's */
	const char *target;
	char *const *files;		/* as given */
	size_t nfiles;
};

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fputs(USAGE_HEADER, out);
	fputs(_(" dloadcard prepare [options] <card> <UPDATE.APP|firmware.zip>\n"
	      " dloadcard prepare [options] <card> <SD-package>...\n"), out);
	fputs(_("\nMake a dload card: check UPDATE.APP, partition the card (MBR, one FAT32\n"
	      "partition at 4 MiB), format it FAT32 by Microsoft's FAT specification (as a\n"
	      "bootloader reads it: clusters of 32 KiB at most, \"MSWIN4.1\", 8.3 names),\n"
	      "copy UPDATE.APP to dload/, read it back from the card and compare, and only\n"
	      "then name it UPDATE.APP.\n"
	      "\nSeveral SD packages (update_sd_base.zip, update_sd_cust_*.zip, ...) make one\n"
	      "card's set: each goes to dload/ as it is, under its own name, contiguous from\n"
	      "a 4 MiB boundary, the base last; each is read back and compared, and the names\n"
	      "are given only once every file is verified.  The set's rules (no UPDATE.APP\n"
	      "beside SD packages, one base, no name twice) and every file's check come\n"
	      "before anything is written.\n"
	      "\n<card> is a whole disk (/dev/sdX, /dev/mmcblkN) or an image file.  An\n"
	      "existing file is erased only when it holds nothing, or is already a disk\n"
	      "image (a partition table, a FAT file system); never the source under any\n"
	      "name, nor an image behind a mounted or busy loop device.  Above 2 TiB, the\n"
	      "first 2 TiB are used (an MBR's limit).\n"), out);
	fputs(USAGE_OPTIONS, out);
	fprintf(out, _(" -y, --yes            do not ask before erasing the card\n"
	      " -s, --size <size>    create the image file <card> of this size (e.g. 8G),\n"
	      "                      when it does not exist\n"
	      "     --force          erase an existing file that is not a disk image\n"
	      " -L, --label <name>   volume label, upper-cased (default %s)\n"
	      "     --allow-fixed    allow a disk that is neither removable nor on usb/mmc\n"
	      "     --no-probe       skip the quick capacity probe for fake cards\n"
	      "     --sha256 <hex>   the vendor's SHA-256 of UPDATE.APP: a file with another\n"
	      "                      never becomes the card's UPDATE.APP (it is known only\n"
	      "                      once the card is erased: exit 6, no UPDATE.APP);\n"
	      "                      one file only\n"
	      "     --md5 <hex>      the same with the vendor's MD5\n"
	      "     --stall-timeout <seconds>\n"
	      "                      give up when the card makes no progress this long\n"
	      "                      (default 30; 0 waits forever)\n"
	      "     --sysroot <dir>  read the disks' facts from <dir>/sys and <dir>/proc\n"
	      "                      (for tests, as lsblk's)\n"
	      " -j, --json           print the result as JSON on stdout\n"
	      " -q, --quiet          no progress, only errors and the result\n"), DEFAULT_LABEL);
	fputs(USAGE_PACKAGE_OPTIONS, out);
	usage_help_options(out, 22);
	fputs(_("\nCtrl-C (or SIGTERM, SIGHUP) stops at the end of the step under way and\n"
	      "removes dload/UPDATE.TMP (a set: every SDPKG<n>.TMP, and any name already\n"
	      "given): the card is left without UPDATE.APP, and the command says so.  A\n"
	      "second is absorbed; a third abandons the cleanup.\n"), out);
	usage_exit_codes(out, prepare_exit_codes);
	fputs(USAGE_EXAMPLES, out);
	fputs(" sudo dloadcard prepare /dev/sdb UPDATE.APP\n"
	      " dloadcard prepare --size 8G card.img UPDATE.APP\n"
	      " sudo dloadcard prepare /dev/sdb update_sd_cust_*.zip update_sd_base.zip\n",
	      out);
	fputs(USAGE_MAN_TAIL, out);
	exit(EXIT_OK);
}

static void parse_args(int argc, char **argv, struct prepare_control *ctl)
{
	static const struct option longopts[] = {
		WRITE_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(ctl, 0, sizeof(*ctl));
	write_args_init(&ctl->w);
	while ((c = getopt_long(argc, argv, WRITE_SHORTOPTS "hV", longopts, NULL)) != -1) {
		if (write_args_parse(&ctl->w, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			errtryhelp(EXIT_USAGE);
		}
	}
	if (argc - optind < 2)
		cli_usage_error(_("give the card and the UPDATE.APP"));
	if (argc - optind > 1 + PREPARE_MAX_FILES)
		cli_usage_error(_("too many arguments: give the card and at most %d files"),
				PREPARE_MAX_FILES);
	ctl->target = argv[optind];
	ctl->files = argv + optind + 1;
	ctl->nfiles = (size_t)(argc - optind - 1);
	if (ctl->nfiles > 1 && (ctl->w.have_sha256 || ctl->w.have_md5))
		cli_usage_error(_("--sha256 and --md5 are one file's digests: give one file with "
				  "them (check --sha256 checks a file of a set)"));
}

/* What is on the card now, as a table: partitions and file systems. */
static void show_content(const struct prepare_run *r, FILE *out)
{
	struct libscols_table *tb = scols_new_table();
	const struct card_content *cc = &r->before;
	char buf[64];
	size_t i;

	if (!tb)
		return;
	/* TRANSLATORS: the headings of a table for a person (list's are names
	 * that scripts and -o use, and stay). */
	scols_table_new_column(tb, _("PART"), 0, 0);
	scols_table_new_column(tb, _("START"), 0, SCOLS_FL_RIGHT);
	scols_table_new_column(tb, _("SIZE"), 0, SCOLS_FL_RIGHT);
	scols_table_new_column(tb, _("TYPE"), 0, 0);
	scols_table_new_column(tb, _("FSTYPE"), 0, 0);
	scols_table_new_column(tb, _("LABEL"), 0, SCOLS_FL_TRUNC);
	for (i = 0; i < cc->n; i++) {
		const struct content_item *it = &cc->items[i];
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		if (!ln)
			break;
		if (it->partno)
			snprintf(buf, sizeof(buf), "%d", it->partno);
		else
			xstrncpy(buf, _("whole card"), sizeof(buf));
		scols_line_set_data(ln, 0, buf);
		snprintf(buf, sizeof(buf), "%" PRIu64, it->offset / 512);
		scols_line_set_data(ln, 1, buf);
		scols_line_set_data(ln, 2, size_to_human(it->size, buf, sizeof(buf)));
		if (it->type_code)
			snprintf(buf, sizeof(buf), "0x%02x", it->type_code);
		else
			buf[0] = '\0';
		scols_line_set_data(ln, 3, buf);
		snprintf(buf, sizeof(buf), "%s%s%s", it->type, *it->version ? " " : "", it->version);
		scols_line_set_data(ln, 4, *buf ? buf : "-");
		scols_line_set_data(ln, 5, it->label);
	}
	scols_table_set_stream(tb, out);
	scols_print_table(tb);
	scols_unref_table(tb);
}

static void show_target(const struct prepare_run *r, const char *target, FILE *out)
{
	char summary[512], size[48];

	if (r->card.blockdev)
		fprintf(out, _("Card: %s: %s\n"), target, identity_summary(&r->id, summary, sizeof(summary)));
	else
		fprintf(out, r->card.created ? _("Image file: %s, %s (new)\n") :
			_("Image file: %s, %s\n"), target,
			size_to_human_both(r->card.size, size, sizeof(size)));
	if (r->card.created)
		return;
	if (!r->before.n && !*r->before.pttype) {
		if (*r->holds)
			fprintf(out, _("  It holds %s.\n"), r->holds);
		else
			fputs(_("  It holds no partition table or file system that blkid knows.\n"), out);
		return;
	}
	fprintf(out, _("  Partition table: %s\n"), *r->before.pttype ? r->before.pttype : _("none"));
	if (r->before.n)
		show_content(r, out);
}

static void print_next_steps(FILE *out)
{
	fputs(_("\nNext, on the device:\n"
	      "  1. Power the device off completely.\n"
	      "  2. Insert the card.\n"
	      "  3. Hold Volume Up + Volume Down, and press Power; keep holding the volume\n"
	      "     keys until the update screen appears.\n"
	      "  4. Wait until the update finishes and the device restarts; do not power it\n"
	      "     off or remove the card meanwhile.\n"), out);
}

static void print_text_result(const struct prepare_run *r, const struct prepare_control *ctl,
			      const struct write_file *sf)
{
	const struct sd_layout *l = &r->layout;
	char sha[65], size[48];

	printf(_("\nDone: %s is a dload card.\n"), ctl->target);
	for (size_t i = 0; i < r->nfiles; i++) {
		const struct prepare_file *f = &r->files[i];

		printf(_("  dload/%s  %s, SHA-256 %s\n"), sf[i].pkg.card_name,
		       size_to_human(source_size(sf[i].src), size, sizeof(size)),
		       hex_string(f->card_sha256, 32, sha));
		printf(f->readback_compared ?
		       _("    read back from the card at %" PRIu64 " MiB: identical to %s, byte for "
			 "byte\n") :
		       _("    read back from the card at %" PRIu64 " MiB: identical to %s (same "
			 "SHA-256)\n"), f->card_off >> 20,
		       r->set ? sf[i].path : sf[i].sc.name);
	}
	printf(_("  layout: MBR, FAT32 partition at %" PRIu64 " MiB, label %s, %s clusters, "
	       "data area at %" PRIu64 " MiB\n"), l->part_start / 2048, ctl->w.opts.label,
	       size_to_human(layout_cluster_bytes(l), size, sizeof(size)), l->data_start / 2048);
	if (layout_capped(l))
		printf(_("  only the first %s of the card are used: an MBR partition ends within "
		       "2 TiB\n"), size_to_human(layout_used_bytes(l), size, sizeof(size)));
	print_next_steps(stdout);
}

static void json_notes(struct json *j, const struct prepare_run *r)
{
	size_t i;

	json_open_array(j, "notes");
	for (i = 0; i < r->nnotes; i++)
		json_str(j, NULL, r->notes[i]);
	json_close_array(j);
}

static void json_layout(struct json *j, const struct prepare_run *r, const char *label)
{
	const struct sd_layout *l = &r->layout;

	json_open(j, "layout");
	json_str(j, "table", "dos");
	json_str(j, "partition_type", "0x0c");
	json_u64(j, "partition_start", l->part_start);
	json_u64(j, "partition_sectors", l->part_sectors);
	json_str(j, "filesystem", "FAT32");
	json_str(j, "label", label);
	json_u64(j, "cluster_bytes", layout_cluster_bytes(l));
	json_u64(j, "reserved_sectors", l->reserved_sectors);
	json_u64(j, "fat_sectors", l->fat_sectors);
	json_u64(j, "data_start", l->data_start);
	json_u64(j, "clusters", l->clusters);
	json_u64(j, "file_offset", r->files[0].card_off);
	json_u64(j, "used_bytes", layout_used_bytes(l));
	json_close(j);
}

static void json_files(struct json *j, const struct prepare_run *r, const struct write_file *sf)
{
	char hex[65];

	json_open_array(j, "files");
	for (size_t i = 0; i < r->nfiles; i++) {
		const struct prepare_file *f = &r->files[i];

		json_open(j, NULL);
		json_str(j, "path", sf[i].path);
		json_str(j, "card_name", sf[i].pkg.card_name);
		json_str(j, "kind", package_kind_name(sf[i].pkg.kind));
		json_str(j, "role", package_role_name(sf[i].pkg.role));
		json_u64(j, "size", source_size(sf[i].src));
		json_str(j, "sha256", f->sha256_known ? hex_string(f->sha256, 32, hex) : NULL);
		if (f->md5_known)
			json_str(j, "md5", hex_string(f->md5, 16, hex));
		json_str(j, "card_sha256", f->card_sha_known ? hex_string(f->card_sha256, 32, hex) :
			 NULL);
		json_str(j, "readback", !f->card_sha_known ? NULL :
			 f->readback_compared ? "compared byte for byte" : "hashed");
		json_u64(j, "card_offset", f->card_off);
		json_u64(j, "first_cluster", f->first_cluster);
		json_bool(j, "verified", r->verified);
		json_close(j);
	}
	json_close_array(j);
}

/* The one-file keys ("source", "card"'s sha256 and readback, "layout"'s
 * file_offset) describe the first file written, as they did the only one. */
static void print_json_result(struct report *rp, const struct prepare_run *r,
			      const struct prepare_control *ctl, const struct write_file *sf, int rc)
{
	struct json *j = report_begin(rp);
	const struct prepare_file *f0 = &r->files[0];
	char hex[65];
	double check = 0, hash = 0;

	for (size_t i = 0; i < r->nfiles; i++) {
		check += sf[i].sc.seconds;
		hash += r->files[i].hash_seconds;
	}
	json_str(j, "result", rc == EXIT_OK ? "ok" : "failed");
	json_int(j, "exit_code", rc);
	json_str(j, "error", rc ? r->error.text : NULL);
	json_str(j, "advice", rc && *r->advice ? r->advice : NULL);
	json_str(j, "phase", rc ? prepare_phase_name(r->phase) : NULL);
	json_str(j, "card_state", prepare_card_state(r));
	json_notes(j, r);

	json_open(j, "source");
	json_str(j, "path", sf[0].path);
	json_str(j, "name", sf[0].sc.name);
	json_u64(j, "size", source_size(sf[0].src));
	json_str(j, "sha256", f0->sha256_known ? hex_string(f0->sha256, 32, hex) : NULL);
	json_close(j);
	json_files(j, r, sf);

	json_open(j, "card");
	json_str(j, "path", ctl->target);
	json_u64(j, "size", r->card.size);
	json_str(j, "holds", *r->holds ? r->holds : NULL);
	if (r->card.blockdev) {
		json_str(j, "model", r->id.model);
		json_str(j, "serial", r->id.serial);
	}
	json_str(j, "sha256", f0->card_sha_known ? hex_string(f0->card_sha256, 32, hex) : NULL);
	json_str(j, "readback", !f0->card_sha_known ? NULL :
		 f0->readback_compared ? "compared byte for byte" : "hashed");
	json_bool(j, "verified", r->verified);
	json_close(j);

	if (r->probed) {
		char what[512];

		json_open(j, "probe");
		json_str(j, "verdict", probe_verdict_name(r->probe.verdict));
		json_u64(j, "announced", r->probe.announced);
		json_u64(j, "real", r->probe.real);
		json_str(j, "kind", *r->probe.kind ? r->probe.kind : NULL);
		json_str(j, "details", probe_describe(&r->probe, what, sizeof(what)));
		json_close(j);
	}
	if (r->card_touched)
		json_layout(j, r, ctl->w.opts.label);
	report_differences(j, &r->diff);
	json_open(j, "seconds");
	json_double(j, "check", check);
	json_double(j, "probe", r->seconds[PHASE_PROBE]);
	json_double(j, "format", r->seconds[PHASE_FORMAT]);
	json_double(j, "write", r->seconds[PHASE_WRITE]);
	json_double(j, "readback", r->seconds[PHASE_READBACK]);
	json_double(j, "hash_wait", r->hash_wait);
	json_double(j, "finish", r->seconds[PHASE_FINISH]);
	json_double(j, "hash", hash);
	json_close(j);
	report_end(rp);
}

/* What a failure of prepare carries beside its error and advice. */
struct failure_state {
	const char *phase;
	const char *card_state;
};

static void failure_members(struct json *j, const void *arg)
{
	const struct failure_state *fs = arg;

	json_str(j, "result", "failed");
	json_str(j, "phase", fs->phase);
	json_str(j, "card_state", fs->card_state);
}

static int report_run_failure(struct report *rp, const struct prepare_run *r,
			      const struct prepare_control *ctl, const struct write_file *sf, int rc)
{
	char last[512];

	if (rp->json) {
		print_json_result(rp, r, ctl, sf, rc);
		return rc;
	}
	snprintf(last, sizeof(last), _("State: %s."), prepare_card_state(r));
	report_failure_words(&(struct report_failure){
		.exit_code = rc, .error = r->error.text, .advice = r->advice,
		.last = r->card_touched ? last : NULL,
	});
	return rc;
}

/* A source that failed its check: say what and stop before the card. */
static int report_source(struct report *rp, const struct srccheck *sc)
{
	static const struct failure_state fs = { "check", "nothing was written to the card" };

	return report_source_failure(rp, sc, _("the card"), failure_members, &fs);
}

/* What the child process of guard_run needs, and what the parent reports. */
struct prepare_job {
	struct prepare_run *r;		/* in shared memory: the parent reads the phase */
	const struct prepare_control *ctl;
	struct report *rp;
	struct write_file *sf;
	struct source *src[PREPARE_MAX_FILES];
	struct prepare_source ps[PREPARE_MAX_FILES];
	size_t n;
	struct srchash_opts digests;	/* what each ps[i].hash computes and checks */
};

static int run_job(void *arg, volatile sig_atomic_t *stop)
{
	struct prepare_job *job = arg;
	int rc = 0;

	job->r->cancel = stop;		/* the parent's word, not our own signals */
	/* Here, in the child: a process forks alone.  The digests then run
	 * beside the write and the read-back, one hash per file, and each is
	 * waited for after its file is read back. */
	for (size_t i = 0; i < job->n && !rc; i++)
		rc = prepare_start_hash(job->r, job->src[i], &job->ps[i], &job->digests);
	if (!rc)
		rc = prepare_write(job->r, job->src, job->ps, job->n);
	for (size_t i = 0; i < job->n; i++) {
		srchash_free(job->ps[i].hash);
		job->ps[i].hash = NULL;
	}
	if (rc)
		report_run_failure(job->rp, job->r, job->ctl, job->sf, rc);
	else if (job->rp->json)
		print_json_result(job->rp, job->r, job->ctl, job->sf, rc);
	else
		print_text_result(job->r, job->ctl, job->sf);
	fflush(stderr);
	/* This process ends with _exit(): its stdout is checked here. */
	return closestream_status(rc);
}

/*
 * The child was killed before it could report (a stall, an abandoned stop):
 * the parent says why and what the card may hold, on the terminal also with
 * --json.  Nothing was renamed UPDATE.APP unless it was verified, so the
 * card cannot look ready.
 */
static void report_unfinished(const struct prepare_job *job, int code, const char *error,
			      const char *advice)
{
	const struct prepare_run *r = job->r;
	const struct failure_state fs = {
		prepare_phase_name(r->phase),
		r->verified ? prepare_card_state(r) : prepare_state_at(r->phase, r->set),
	};
	char last[512];
	const struct report_failure f = {
		.exit_code = code, .error = error, .advice = advice, .last = last,
		.members = failure_members, .arg = &fs,
	};

	snprintf(last, sizeof(last), _("State: %s."), fs.card_state);
	if (job->rp->json)
		report_failure(job->rp, &f);
	fputc('\n', stderr);
	report_failure_words(&f);
}

static void on_stall(void *arg, unsigned seconds)
{
	const struct prepare_job *job = arg;
	char msg[PATH_MAX + 128];

	snprintf(msg, sizeof(msg), _("%s stopped responding: no progress for %u s during %s"),
		 job->ctl->target, seconds, prepare_phase_name(job->r->phase));
	report_unfinished(job, EXIT_STALLED, msg,
			  _("The card or the reader hangs: remove the card, then try another reader "
			  "or card."));
}

static void on_abandon(void *arg)
{
	const struct prepare_job *job = arg;
	char msg[128];

	snprintf(msg, sizeof(msg), _("interrupted during %s, and the cleanup abandoned"),
		 prepare_phase_name(job->r->phase));
	report_unfinished(job, EXIT_INTERRUPTED, msg, _("Run prepare again to make the card."));
}

static void on_second(void *arg)
{
	(void)arg;
	cli_still_stopping(_("the card's current step ends and dload/UPDATE.TMP (a set: every "
			     ".TMP file, and any name already given) is removed"));
}

static const struct guard_ops prepare_guard = {
	.on_stall = on_stall,
	.on_second = on_second,
	.on_abandon = on_abandon,
};

/* What the user must know before the card goes: on stderr, asked or not. */
static void print_notes(const struct prepare_run *r)
{
	size_t i;

	for (i = 0; i < r->nnotes; i++)
		warnx(_("note: %s"), r->notes[i]);
}

static bool confirmed(const struct prepare_run *r, const struct prepare_control *ctl, bool quiet)
{
	char q[PATH_MAX + 256];

	if (ctl->w.yes || r->card.created) {
		print_notes(r);
		return true;
	}
	if (!quiet)
		show_target(r, ctl->target, stderr);
	print_notes(r);
	if (*r->holds)
		snprintf(q, sizeof(q), _("Everything on %s, which holds %s, will be erased."),
			 ctl->target, r->holds);
	else
		snprintf(q, sizeof(q), _("Everything on %s will be erased."), ctl->target);
	return cli_confirm(q);
}

int cmd_prepare(int argc, char **argv)
{
	struct prepare_control ctl;
	struct write_file sf[PREPARE_MAX_FILES];
	struct report rp;
	struct prepare_job job = { .ctl = &ctl, .rp = &rp, .sf = sf };
	struct prepare_run *r;
	struct progress *pg;
	struct term term;
	struct errmsg e = { { 0 } };
	size_t bad = 0;
	int rc;

	memset(sf, 0, sizeof(sf));
	parse_args(argc, argv, &ctl);
	closestream_on_lost_result(EXIT_REPORT_LOST, "the card is ready: dload/UPDATE.APP "
				   "is written and verified");
	report_init(&rp, "prepare", ctl.w.json);

	/* Shared with the child that does the writing (guard.h). */
	r = guard_shared_alloc(sizeof(*r));
	pg = guard_shared_alloc(sizeof(*pg));
	if (!r || !pg)
		err(EXIT_ERROR, _("cannot allocate shared memory"));
	job.r = r;
	interrupt_catch();
	term_init(&term, stderr, ctl.w.quiet || ctl.w.json);
	term_progress(&term, pg);

	/* The sources first: a bad file must not cost the card anything.
	 * What each is, said; then its container only (every CRC, at memory
	 * speed): its digests, and those given, are computed while the card
	 * is written (run_job). */
	rc = write_args_recognise(&ctl.w, ctl.files, ctl.nfiles, sf, &e);
	if (rc) {
		rc = report_fail(&rp, ctl.target, rc, "%s", e.text);
		goto out;
	}
	if (sf[0].pkg.kind == PKG_SD_PACKAGE)
		closestream_on_lost_result(EXIT_REPORT_LOST, "the card is ready: every SD package "
					   "of the set is written to dload/ and verified");
	rc = write_args_check(sf, ctl.nfiles, pg, &interrupt_signal, &bad, &e);
	if (rc) {
		rc = *e.text ? report_fail(&rp, ctl.target, rc, "%s", e.text) :
		     report_source(&rp, &sf[bad].sc);
		goto out;
	}
	job.n = ctl.nfiles;
	write_args_sources(sf, job.n, job.ps);
	for (size_t i = 0; i < job.n; i++)
		job.src[i] = sf[i].src;
	job.digests.what = SCAN_SHA256 | (ctl.w.have_md5 ? SCAN_MD5 : 0);
	job.digests.expect_sha256 = ctl.w.have_sha256 ? ctl.w.sha256 : NULL;
	job.digests.expect_md5 = ctl.w.have_md5 ? ctl.w.md5 : NULL;
	rc = prepare_open(r, ctl.target, &ctl.w.opts, job.ps, job.n, pg, &interrupt_signal);
	if (!rc && !confirmed(r, &ctl, term.quiet) && !interrupt_signal)
		rc = prepare_fail(r, EXIT_REFUSED, NULL, isatty(STDIN_FILENO) ?
				  _("%s was not erased: not confirmed") :
				  _("%s was not erased: not confirmed (no terminal to ask on: add "
				    "--yes)"), ctl.target);
	/* Ctrl-C at the question (or before it) answers it. */
	if (!rc && interrupt_signal)
		rc = prepare_fail(r, EXIT_INTERRUPTED, NULL, _("interrupted before anything was written"));
	/* The very files that were checked, from their start. */
	for (size_t i = 0; i < job.n && !rc; i++)
		if (source_rewind(job.src[i], &e) != 0)
			rc = prepare_fail(r, EXIT_SOURCE_INVALID, NULL, "%s: %s", sf[i].path, e.text);
	if (rc)
		report_run_failure(&rp, r, &ctl, sf, rc);
	else
		rc = guard_run(run_job, &job, pg, ctl.w.stall_timeout, &prepare_guard);
	prepare_close(r);
out:
	write_args_free(sf, ctl.nfiles);
	guard_shared_free(pg, sizeof(*pg));
	guard_shared_free(r, sizeof(*r));
	return rc;
}
