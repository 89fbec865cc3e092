/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "card/safety.h"
#include "fat/alloc.h"
#include "fat/fat.h"
#include "fat/format.h"
#include "fat/partition.h"
#include "fat/volume.h"
#include "firmware/package.h"
#include "firmware/scan.h"
#include "firmware/source.h"
#include "firmware/srchash.h"
#include "lib/exitcodes.h"
#include "lib/interrupt.h"
#include "lib/nls.h"
#include "lib/strutils.h"
#include "pipeline/copy.h"
#include "pipeline/prepare.h"

/* Each file starts on an erase-block boundary, for the card's sake. */
#define FILE_ALIGN	((uint64_t)LAYOUT_BU_SECTORS * LAYOUT_SECTOR)
#define PATH_LEN	(sizeof(DLOAD_DIR) + PKG_NAME_MAX + 1)

/* A file's final name in dload/. */
static const char *final_name(const struct prepare_source *ps)
{
	return ps->card_name ? ps->card_name : DLOAD_FILE;
}

/* "dload/NAME" */
static const char *dload_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", DLOAD_DIR, name);
	return buf;
}

void prepare_tmp_name(const struct prepare_source *ps, size_t n, size_t i, char *buf,
		      size_t len)
{
	size_t k = 0;

	if (!ps[i].card_name) {
		snprintf(buf, len, "%s", DLOAD_TMPFILE);
		return;
	}
	for (size_t j = 0; j <= i && j < n; j++)
		k += ps[j].card_name != NULL;
	snprintf(buf, len, "SDPKG%zu.TMP", k);
}

static uint64_t round_up(uint64_t x, uint64_t to)
{
	return (x + to - 1) / to * to;
}

uint64_t prepare_set_span(const struct prepare_source *ps, size_t n)
{
	uint64_t span = 0;

	for (size_t i = 0; i < n; i++)
		span += i + 1 < n ? round_up(ps[i].size, FILE_ALIGN) : ps[i].size;
	return span;
}

const char *prepare_phase_name(enum prepare_phase p)
{
	static const char *const names[PHASE_COUNT] = {
		"open", "wipe", "probe", "partition", "format", "write", "readback", "finish"
	};

	return p < PHASE_COUNT ? names[p] : "?";
}

int prepare_fail(struct prepare_run *r, int code, const char *advice, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errmsg_vset(&r->error, 0, fmt, ap);
	va_end(ap);
	xstrncpy(r->advice, advice ? advice : "", sizeof(r->advice));
	r->exit_code = code;
	return code;
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

#define NO_OFFSET UINT64_MAX

/* " at 120 MiB", or nothing when the place is not known. */
static const char *where(uint64_t off, char *buf, size_t len)
{
	if (off == NO_OFFSET)
		buf[0] = '\0';
	else
		/* TRANSLATORS: where on the card, after "the card failed while
		 * writing" or "the card went away". */
		snprintf(buf, len, _(" at %.0f MiB"), mib(off));
	return buf;
}

/* An image file that could not grow: its file system's fault, not the card's. */
static int host_full(struct prepare_run *r, int err)
{
	if (err == EFBIG)
		return prepare_fail(r, EXIT_WRITE_ERROR, _("Put the image on a file system that "
				    "allows larger files (ext4, xfs), or make it smaller (--size)."),
				    _("%s is larger than its file system allows: %s"), r->card.path,
				    strerror(err));
	return prepare_fail(r, EXIT_WRITE_ERROR, _("Free some space there (a sparse image needs "
			    "about as much as UPDATE.APP), or put the image on another file "
			    "system."),
			    _("the file system that holds %s is full: %s"), r->card.path,
			    strerror(err));
}

/* An I/O error of the card, told apart: gone, failing, or an image whose
 * file system is full. */
static int card_io_failure(struct prepare_run *r, int err, uint64_t off, bool writing)
{
	char at[32];
	int full = writing ? card_host_full(&r->card, err) : 0;

	where(off, at, sizeof(at));
	if (full)
		return host_full(r, full);
	if (card_errno_vanished(err) || card_gone(&r->card))
		return prepare_fail(r, EXIT_VANISHED, _("Check the reader and the card's contacts, "
				    "insert it again and rerun."),
				    _("the card went away%s (unplugged, or the reader reset)"), at);
	if (writing)
		return prepare_fail(r, EXIT_WRITE_ERROR, _("The card is faulty or worn: use another "
				    "card (or try another reader)."),
				    _("the card failed while writing%s: %s"), at, strerror(err));
	return prepare_fail(r, EXIT_READ_ERROR,
			    _("The card is faulty or worn: use another card (or try another reader)."),
			    _("the card failed while reading%s: %s"), at, strerror(err));
}

/* batch's main thread reads the phase of a card it gives up on. */
static void enter(struct prepare_run *r, enum prepare_phase p)
{
	__atomic_store_n(&r->phase, p, __ATOMIC_RELAXED);
}

/* ... and so may a test the file it is at. */
static void at_file(struct prepare_run *r, size_t i)
{
	__atomic_store_n(&r->at, i, __ATOMIC_RELAXED);
}

static int cancelled(struct prepare_run *r)
{
	return cancel_requested(r->cancel);
}

#define KEEP_SOURCE _("Keep the file unchanged while dloadcard runs, and run prepare again.")

/*
 * The source failed while it was read (during: "while it was copied to the
 * card"): if it changed, say so, with the code of a changed source.
 */
static int source_failed(struct prepare_run *r, struct source *src,
			 const struct prepare_source *ps, const char *during, int err,
			 const struct errmsg *said)
{
	struct errmsg changed;

	if (err == ESTALE)
		return prepare_fail(r, EXIT_SOURCE_DAMAGED, KEEP_SOURCE, "%s, %s", said->text,
				    during);
	if (source_check_unchanged(src, &changed) == -ESTALE)
		return prepare_fail(r, EXIT_SOURCE_DAMAGED, KEEP_SOURCE, "%s, %s", changed.text,
				    during);
	return prepare_fail(r, EXIT_SOURCE_DAMAGED, KEEP_SOURCE, _("%s could not be read %s: %s"),
			    ps->path, during, *said->text ? said->text : strerror(err));
}

static int interrupted(struct prepare_run *r)
{
	return prepare_fail(r, EXIT_INTERRUPTED, _("Run prepare again to make the card."),
			    _("interrupted during %s"), prepare_phase_name(r->phase));
}

static void note(struct prepare_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct prepare_run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nnotes == PREPARE_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes++], sizeof(r->notes[0]), fmt, ap);
	va_end(ap);
}

/* The rules, the open, then what the card's size allows. */
static int open_card(struct prepare_run *r, const char *target, const struct prepare_opts *o,
		     const struct prepare_source *ps, size_t n)
{
	const char *paths[PREPARE_MAX_FILES];
	struct card_identity ids[PREPARE_MAX_FILES];
	const struct card_identity *known[PREPARE_MAX_FILES];
	struct safety_target t = {
		.flags = o->safety_flags | SAFETY_ERASE,
		.create_size = o->create_size,
		.sources = paths,
		.source_ids = known,
		.nsources = n,
	};
	struct safety_result sr;
	char size[48], asked[48];

	for (size_t i = 0; i < n; i++) {
		paths[i] = ps[i].path;
		known[i] = identity_of_path(&r->root, ps[i].path, &ids[i]) == 0 ? &ids[i] : NULL;
	}
	if (safety_open_card(&r->root, &r->card, target, &t, &sr) != SAFE_OK)
		return prepare_fail(r, EXIT_REFUSED, NULL, "%s", sr.reason.text);
	r->card_open = true;
	xstrncpy(r->holds, sr.holds, sizeof(r->holds));
	if (sr.forced)
		note(r, _("%s holds %s: erased all the same (--force)"), target, sr.holds);
	if (o->create_size && !r->card.created && o->create_size != r->card.size)
		note(r, _("%s already exists, of %s: --size %s is for a new file, and is not used"),
		     target, size_to_human(r->card.size, size, sizeof(size)),
		     size_to_human(o->create_size, asked, sizeof(asked)));
	return 0;
}

/* The card's room for the set: its files, each from a 4 MiB boundary. */
static int check_room(struct prepare_run *r, const char *target, const struct prepare_source *ps,
		      size_t n, bool size_unused)
{
	uint64_t span = prepare_set_span(ps, n);
	char have[48], need[48], total[48], files[PREPARE_MAX_FILES * 24] = "";
	const char *remedy = size_unused ? _(" (--size is for a new file: remove this one first, "
					     "or give another name)") : "";

	if (layout_compute(r->card.size, &r->layout) == 0 && layout_max_file(&r->layout) >= span)
		return 0;
	size_to_human_both(r->card.size, have, sizeof(have));
	size_to_human_both(layout_min_card(span), need, sizeof(need));
	if (!r->set)
		return prepare_fail(r, EXIT_REFUSED, NULL,
				    _("%s is too small: it holds %s, and this UPDATE.APP needs a card "
				      "of at least %s%s"), target, have, need, remedy);
	for (size_t i = 0; i < n; i++) {
		char one[24];

		size_to_human(ps[i].size, one, sizeof(one));
		snprintf(files + strlen(files), sizeof(files) - strlen(files), "%s%s",
			 i ? " + " : "", one);
	}
	return prepare_fail(r, EXIT_REFUSED, NULL,
			    _("%s is too small: it holds %s, and this set of %zu files (%s; %s with "
			      "each on its 4 MiB boundary) needs a card of at least %s%s"),
			    target, have, n, files, size_to_human(span, total, sizeof(total)), need,
			    remedy);
}

int prepare_open(struct prepare_run *r, const char *target, const struct prepare_opts *o,
		 const struct prepare_source *ps, size_t n, struct progress *pg,
		 volatile sig_atomic_t *cancel)
{
	char have[48], used[48];
	bool size_unused;
	int rc;

	memset(r, 0, sizeof(*r));
	r->opts = o;
	r->pg = pg;
	r->cancel = cancel;
	enter(r, PHASE_OPEN);
	sysroot_init(&r->root, o->sysroot);
	if (n < 1 || n > PREPARE_MAX_FILES)
		return prepare_fail(r, EXIT_USAGE, NULL, _("a card takes 1 to %d files"),
				    PREPARE_MAX_FILES);
	r->nfiles = n;
	for (size_t i = 0; i < n; i++) {
		prepare_tmp_name(ps, n, i, r->files[i].tmp_name, sizeof(r->files[i].tmp_name));
		r->set |= ps[i].card_name != NULL;
	}

	rc = open_card(r, target, o, ps, n);
	if (rc)
		return rc;
	size_unused = o->create_size && !r->card.created && o->create_size != r->card.size;
	if (r->card.blockdev)
		identity_read(&r->root, r->card.name, &r->id);
	if (r->card.sector_size != LAYOUT_SECTOR)
		return prepare_fail(r, EXIT_REFUSED, NULL,
				    _("%s has %u-byte sectors: only 512-byte sectors are supported"),
				    target, r->card.sector_size);

	rc = check_room(r, target, ps, n, size_unused);
	if (rc)
		return rc;
	if (layout_capped(&r->layout))
		note(r, _("only the first %s of %s's %s are used: an MBR partition ends within "
		     "2 TiB, and the device needs an MBR"),
		     size_to_human(layout_used_bytes(&r->layout), used, sizeof(used)), target,
		     size_to_human(r->card.size, have, sizeof(have)));
	content_probe(card_tool_fd(&r->card), r->card.size, &r->before);
	return 0;
}

/*
 * Fake cards keep a fraction of what they announce and wrap or drop the
 * rest: a file written past the real size would overwrite the FAT it needs.
 * The card was just wiped and is rewritten next, so the probe may write
 * anywhere on it.
 */
static int check_capacity(struct prepare_run *r)
{
	struct probe_opts po = { .pg = r->pg, .cancel = r->cancel };
	struct timespec t;
	char what[512];
	int full;

	enter(r, PHASE_PROBE);
	time_now(&t);
	progress_note(r->pg, _("Probing the card's real capacity"));
	probe_card(&r->card, &po, &r->probe);
	r->probed = true;
	r->seconds[PHASE_PROBE] = elapsed_since(&t);
	probe_describe(&r->probe, what, sizeof(what));
	/* An image whose file system filled up reads as a damaged card. */
	full = r->probe.verdict != PROBE_GOOD && r->probe.verdict != PROBE_CANCELLED &&
	       r->probe.err_write ? card_host_full(&r->card, r->probe.err) : 0;
	if (full)
		return host_full(r, full);
	switch (r->probe.verdict) {
	case PROBE_GOOD:
		return 0;
	case PROBE_FAKE:
		return prepare_fail(r, EXIT_FAKE_CAPACITY,
				    _("This card is fake: return it, and use another card."),
				    _("the card is fake: it %s"), what);
	case PROBE_DAMAGED:
		return prepare_fail(r, EXIT_PROBE_DAMAGED,
				    _("Use another card (or try another reader)."),
				    _("the card loses or alters data: %s"), what);
	case PROBE_CANCELLED:
		return interrupted(r);
	case PROBE_IO_ERROR:
	case PROBE_VANISHED:
		break;
	}
	return card_io_failure(r, r->probe.err, r->probe.err_off, r->probe.err_write);
}

/* A step done by libfdisk, mtools or fat.c failed, saying why in e; rc is
 * its -errno, -EIO when a tool failed, or 0 when it says nothing of the
 * host's file system. */
static int step_failure(struct prepare_run *r, int rc, const struct errmsg *e)
{
	int full = card_host_full(&r->card, rc == -EIO ? 0 : -rc);

	if (full)
		return host_full(r, full);
	if (card_gone(&r->card))
		return card_io_failure(r, ENODEV, NO_OFFSET, true);
	/* the card gave back other bytes than written (format.h) */
	return prepare_fail(r, rc == -EBADMSG ? EXIT_MISMATCH : EXIT_WRITE_ERROR,
			    _("Use another card."), "%s", e->text);
}

static int write_layout(struct prepare_run *r)
{
	struct errmsg e;
	char csize[16];
	int rc;

	enter(r, PHASE_WIPE);
	progress_note(r->pg, _("Erasing old partition tables and file systems"));
	r->card_touched = true;
	rc = content_wipe(card_tool_fd(&r->card), r->card.size, NULL);
	if (rc < 0)
		return card_io_failure(r, -rc, NO_OFFSET, true);
	if (cancelled(r))
		return interrupted(r);
	if (!r->opts->no_probe) {
		rc = check_capacity(r);
		if (rc)
			return rc;
	}

	enter(r, PHASE_PARTITION);
	progress_note(r->pg, _("Writing the partition table (MBR, FAT32 partition at 4 MiB)"));
	rc = partition_write_mbr(card_tool_fd(&r->card), r->card.path, &r->layout, r->disk_id, &e);
	if (rc)
		return step_failure(r, rc, &e);
	if (cancelled(r))
		return interrupted(r);

	enter(r, PHASE_FORMAT);
	progress_note(r->pg, _("Formatting FAT32 (label %s, %s clusters) and creating %s/"),
		      r->opts->label, size_to_human(layout_cluster_bytes(&r->layout), csize, sizeof(csize)),
		      DLOAD_DIR);
	rc = format_fat32(&r->card, &r->layout, r->opts->label, r->volume_id, &e);
	if (!rc && cancelled(r))
		return interrupted(r);
	if (rc)
		return step_failure(r, rc, &e);
	for (size_t i = 0; i < r->nfiles; i++) {
		char path[PATH_LEN];

		rc = format_create_empty(&r->card, &r->layout,
					 dload_path(r->files[i].tmp_name, path, sizeof(path)), &e);
		if (rc)
			return step_failure(r, rc, &e);
		r->files[i].temp_created = true;
	}
	return cancelled(r) ? interrupted(r) : 0;
}

/* Give each temporary file its clusters, contiguous from a 4 MiB boundary,
 * in order: each starts on the first boundary after the one before. */
static int allocate_files(struct prepare_run *r, const struct prepare_source *ps)
{
	const struct sd_layout *l = &r->layout;
	struct fat_extent ext;
	struct fat_vol *vol;
	struct errmsg e;
	int rc;

	rc = volume_open(&r->card, false, l->part_start * LAYOUT_SECTOR,
			 l->part_sectors * LAYOUT_SECTOR, &vol, &e);
	if (rc)
		return prepare_fail(r, EXIT_WRITE_ERROR, _("Use another card."),
				    _("the new file system does not read back: %s"), e.text);
	for (size_t i = 0; i < r->nfiles && !rc; i++) {
		struct prepare_file *f = &r->files[i];
		char path[PATH_LEN];

		rc = fat_alloc_contiguous(vol, dload_path(f->tmp_name, path, sizeof(path)),
					  ps[i].size, FILE_ALIGN, &ext, &e);
		if (rc) {
			at_file(r, i);
			errmsg_prefix(&e, rc, _("cannot allocate room for %s"), final_name(&ps[i]));
			step_failure(r, 0, &e);	/* fat.c's errno is the volume's, not the host's */
			break;
		}
		f->card_off = ps[i].size ? ext.card_off : 0;
		f->first_cluster = ext.first_cluster;
	}
	fat_close(vol);
	if (rc)
		return r->exit_code;
	rc = card_sync(&r->card);
	if (rc)
		return card_io_failure(r, -rc, NO_OFFSET, true);
	return 0;
}

static int write_file(struct prepare_run *r, struct source *src, const struct prepare_source *ps)
{
	char label[PATH_LEN + 32];
	struct copy_job job = {
		.card = &r->card,
		.card_off = r->files[r->at].card_off,
		.length = ps->size,
		.src = src,
		.pg = r->pg,
		.cancel = r->cancel,
	};
	int rc = 0;

	if (ps->card_name) {
		/* TRANSLATORS: the progress of writing an SD package, by its name. */
		snprintf(label, sizeof(label), _("Writing %s"), ps->card_name);
		job.label = label;
	}

	enter(r, PHASE_WRITE);
	switch (copy_to_card(&job)) {
	case COPY_OK:
		break;
	case COPY_WRITE_ERROR:
		progress_end(r->pg, _("failed"));
		rc = card_io_failure(r, job.err, job.err_card_off, true);
		break;
	case COPY_SOURCE_ERROR:
		progress_end(r->pg, _("failed"));
		rc = source_failed(r, src, ps, _("while it was copied to the card"), job.err,
				   &job.source_error);
		break;
	case COPY_CANCELLED:
		progress_end(r->pg, _("interrupted"));
		rc = interrupted(r);
		break;
	}
	if (rc)
		return rc;
	progress_end(r->pg, _("done"));
	rc = source_check_unchanged(src, &job.source_error);
	if (rc)
		return source_failed(r, src, ps, _("while it was copied to the card"), -rc,
				     &job.source_error);
	return 0;
}

/*
 * The source's digests from its hash, waited for if it still runs: 0 with
 * r->sha256 set; or the run fails: a digest given differs, the source
 * changed or could not be read while it was hashed, or a stop.
 */
static int source_digests(struct prepare_run *r, struct source *src,
			  const struct prepare_source *ps)
{
	struct srchash_result res;
	struct timespec t;
	struct errmsg e;
	int rc;

	time_now(&t);
	rc = srchash_wait(ps->hash, r->cancel, r->pg, &res, &e);
	r->hash_wait += elapsed_since(&t);
	if (rc == 0 || rc == -EBADMSG) {
		struct prepare_file *f = &r->files[r->at];

		memcpy(f->sha256, res.sha256, sizeof(f->sha256));
		f->sha256_known = true;
		memcpy(f->md5, res.md5, sizeof(f->md5));
		f->md5_known = res.what & SCAN_MD5;
		f->hash_seconds = res.seconds;
	}
	switch (rc) {
	case 0:
		return 0;
	case -ECANCELED:
		return interrupted(r);
	case -EBADMSG:
		return prepare_fail(r, EXIT_DIGEST_MISMATCH, SRCHASH_MISMATCH_ADVICE, "%s", e.text);
	}
	return source_failed(r, src, ps, _("while its SHA-256 was computed"), -rc, &e);
}

int prepare_start_hash(struct prepare_run *r, struct source *src, struct prepare_source *ps,
		       const struct srchash_opts *o)
{
	struct errmsg e;
	int rc = srchash_start(&ps->hash, src, o, &e);

	if (rc == -ESTALE)
		return source_failed(r, src, ps, _("before its SHA-256 was computed"), ESTALE, &e);
	if (rc)
		return prepare_fail(r, EXIT_ERROR, NULL, "%s", e.text);
	return 0;
}

static void describe_diff(struct prepare_run *r, const struct prepare_source *ps)
{
	const struct diff_report *d = &r->diff;
	const char *name = final_name(ps);

	if (!d->n) {
		prepare_fail(r, EXIT_MISMATCH, _("Try another reader, then another card."),
			     _("the copy read back from the card differs from %s"), name);
		return;
	}
	prepare_fail(r, EXIT_MISMATCH,
		     _("The card (or the reader) gives back other bytes than it was given: "
		     "it is faulty or fake; try another reader, then another card."),
		     P_("the card gave back other bytes: %" PRIu64 " bytes differ in %zu range, "
			"the first at byte %" PRIu64 " of %s (card offset %" PRIu64
			", %.1f MiB)",
			"the card gave back other bytes: %" PRIu64 " bytes differ in %zu ranges, "
			"the first at byte %" PRIu64 " of %s (card offset %" PRIu64
			", %.1f MiB)", d->total_ranges),
		     d->bytes, d->total_ranges,
		     d->ranges[0].file_off, name, d->ranges[0].card_off,
		     mib(d->ranges[0].card_off));
}

static void on_rehash(void *arg, uint64_t done, uint64_t total)
{
	(void)total;
	progress_update(arg, done);
}

/*
 * Did the source change since it was written?  Its times first; then, since
 * a writer can keep those, its SHA-256 now against its hash's, computed
 * while it was written and read back.  true with how set.
 */
static bool source_changed(struct prepare_run *r, struct source *src,
			   const struct prepare_source *ps, struct errmsg *how)
{
	struct scan_opts so = {
		.what = SCAN_SHA256,
		.progress = on_rehash,
		.progress_arg = r->pg,
		.cancel = r->cancel,
	};
	struct scan_result res;
	bool differs;

	if (source_check_unchanged(src, how) != 0)
		return true;
	if (source_rewind(src, NULL) != 0)
		return false;
	progress_begin(r->pg, _("Checking whether the source changed"), ps->size);
	if (scan_source(src, &so, &res, NULL) != 0) {
		progress_end(r->pg, _("failed"));
		return source_check_unchanged(src, how) != 0;
	}
	differs = memcmp(res.sha256, r->files[r->at].sha256, sizeof(res.sha256)) != 0;
	progress_end(r->pg, differs ? _("it changed") : _("unchanged"));
	if (differs)
		source_changed_error(src, _("its content is no longer what was written"), how);
	return differs;
}

/*
 * Read the file back from the card and compare it with the source.  A plain
 * file is compared byte for byte as it is read again: that proves the card
 * holds exactly the source's bytes (so their SHA-256 too) at a fraction of
 * the CPU of hashing, and says at once where they differ.  A zip would have
 * to be inflated again, dearer than hashing: its copy is hashed instead.
 */
static int read_back(struct prepare_run *r, struct source *src, const struct prepare_source *ps)
{
	struct prepare_file *f = &r->files[r->at];
	struct card_extent ext = { 0, f->card_off, ps->size };
	struct readback_job job = {
		.card = &r->card,
		.ext = &ext,
		.n_ext = ps->size ? 1 : 0,
		.length = ps->size,
		.pg = r->pg,
		.label = _("Reading back"),
		.cancel = r->cancel,
	};
	bool compare = !source_is_zip(src), same;
	enum readback_status st;
	struct errmsg e;
	int rc;

	enter(r, PHASE_READBACK);
	/* Everything on the card, nothing in memory: flush and drop caches. */
	rc = card_flush(&r->card);
	if (rc)
		return card_io_failure(r, -rc, NO_OFFSET, true);
	if (compare && source_rewind(src, &e) != 0)
		return prepare_fail(r, EXIT_SOURCE_DAMAGED, KEEP_SOURCE,
				    _("%s cannot be read again: %s"), ps->path, e.text);
	st = compare ? readback_compare(&job, src, &r->diff) : readback_hash(&job);
	switch (st) {
	case READBACK_OK:
		break;
	case READBACK_READ_ERROR:
		progress_end(r->pg, _("failed"));
		return card_io_failure(r, job.err, job.err_card_off, false);
	case READBACK_CANCELLED:
		progress_end(r->pg, _("interrupted"));
		return interrupted(r);
	case READBACK_SOURCE_ERROR:
		progress_end(r->pg, _("failed"));
		return source_failed(r, src, ps, _("while the card's copy was compared with it"),
				     job.err, &job.source_error);
	}
	if (compare)
		progress_end(r->pg, r->diff.bytes == 0 ? _("identical, byte for byte") : _("MISMATCH"));
	else
		progress_end(r->pg, _("hashed"));
	/* Only now, so that the hash had the write and the read-back to run. */
	rc = source_digests(r, src, ps);
	if (rc)
		return rc;
	same = compare ? r->diff.bytes == 0 : memcmp(job.sha256, f->sha256, 32) == 0;
	if (same) {
		/* Identical bytes, identical SHA-256. */
		memcpy(f->card_sha256, compare ? f->sha256 : job.sha256, sizeof(f->card_sha256));
		f->card_sha_known = true;
		f->readback_compared = compare;
		return 0;
	}
	/* The bytes compared were the source's as it is now: the card is at
	 * fault only if they are still those that were written. */
	if (compare && source_changed(r, src, ps, &e))
		return source_failed(r, src, ps, _("while the card's copy was compared with it"),
				     ESTALE, &e);
	if (!compare) {
		memcpy(f->card_sha256, job.sha256, sizeof(f->card_sha256));
		f->card_sha_known = true;
		/* Say where: inflate the zip again and compare. */
		if (source_rewind(src, NULL) == 0) {
			job.want_sha256 = false;
			job.label = _("Locating differences");
			readback_compare(&job, src, &r->diff);
		}
	}
	describe_diff(r, ps);
	return r->exit_code;
}

/* What a card made here never has: each would be a departure from
 * fatgen103 or a boot record that did not hold. */
#define SPEC_WARNINGS (FAT_WARN_STRICT | FAT_WARN_FEW_CLUSTERS | FAT_WARN_FSINFO | \
		       FAT_WARN_FSINFO_RANGE | FAT_WARN_BACKUP_BOOT | FAT_WARN_HIDDEN)

/*
 * The boot record as the card holds it at the end: every point of the
 * specification, and FSInfo's free count and next-free hint against the
 * FAT itself (the last cluster in use: UPDATE.APP's), not as assumed.
 */
static int check_boot_record(struct prepare_run *r, struct fat_vol *vol)
{
	const struct fat_geom *g = fat_geometry(vol);
	unsigned bad = g->warnings & SPEC_WARNINGS;
	uint32_t free_clusters, last_used;
	struct errmsg e;

	if (bad)
		return prepare_fail(r, EXIT_MISMATCH, _("Use another card."),
				    _("the file system read back from the card is not as written: %s"),
				    fat_warning_text(bad & -bad));
	if (fat_count_free(vol, &free_clusters, &last_used, &e))
		return prepare_fail(r, EXIT_READ_ERROR, _("Use another card."),
				    _("the FAT does not read back from the card: %s"), e.text);
	if (g->fsinfo_free != free_clusters || g->fsinfo_next != last_used)
		return prepare_fail(r, EXIT_MISMATCH, _("Use another card."),
				    _("FSInfo on the card (%u free clusters, next-free hint %u) does "
				    "not agree with its FAT (%u free, %u the last in use)"),
				    g->fsinfo_free, g->fsinfo_next, free_clusters, last_used);
	return 0;
}

/* Each file under its final name, in order: the base package last. */
static int give_names(struct prepare_run *r, const struct prepare_source *ps)
{
	struct errmsg e;
	int rc;

	for (size_t i = 0; i < r->nfiles; i++) {
		struct prepare_file *f = &r->files[i];
		char from[PATH_LEN], to[PATH_LEN];

		/* Stopped between two names: those given are taken back. */
		if (cancelled(r))
			return interrupted(r);
		at_file(r, i);
		dload_path(f->tmp_name, from, sizeof(from));
		dload_path(final_name(&ps[i]), to, sizeof(to));
		/* From here, a failure must take the name away again (prepare_write). */
		f->final_named = true;
		rc = ps[i].card_name ? format_rename_long(&r->card, &r->layout, from, to, &e) :
		     format_rename(&r->card, &r->layout, from, to, &e);
		if (rc)
			return step_failure(r, rc, &e);
		f->temp_created = false;
	}
	return 0;
}

/* Is the name there with the file's size, where it was written? */
static bool shows(struct fat_vol *vol, const char *name, uint64_t size, uint64_t card_off)
{
	struct fat_dirent de;
	char path[PATH_LEN];
	uint64_t off = 0;
	int rc = fat_lookup(vol, dload_path(name, path, sizeof(path)), &de, NULL, 0, NULL);

	if (!rc && size)
		rc = fat_map_offset(vol, &de, 0, &off, NULL);
	return !rc && de.size == size && off == card_off;
}

/* Rename, then read the directory back from the card to see every name. */
static int finish(struct prepare_run *r, const struct prepare_source *ps)
{
	const struct sd_layout *l = &r->layout;
	struct fat_vol *vol;
	struct errmsg e;
	int rc;

	enter(r, PHASE_FINISH);
	at_file(r, 0);
	if (r->set)
		progress_note(r->pg, _("Every file verified: giving them their names in dload/, the "
			      "base last"));
	rc = give_names(r, ps);
	if (rc)
		return rc;
	rc = card_flush(&r->card);
	if (rc)
		return card_io_failure(r, -rc, NO_OFFSET, true);
	rc = volume_open(&r->card, true, l->part_start * LAYOUT_SECTOR,
			 l->part_sectors * LAYOUT_SECTOR, &vol, &e);
	if (rc)
		return prepare_fail(r, EXIT_MISMATCH, _("Use another card."),
				    _("the file system does not read back from the card: %s"), e.text);
	for (size_t i = 0; i < r->nfiles && !rc; i++) {
		char path[PATH_LEN];

		at_file(r, i);
		if (!shows(vol, final_name(&ps[i]), ps[i].size, r->files[i].card_off))
			rc = prepare_fail(r, EXIT_MISMATCH, _("Use another card."),
					  _("the card does not show %s as written"),
					  dload_path(final_name(&ps[i]), path, sizeof(path)));
	}
	if (!rc)
		rc = check_boot_record(r, vol);
	fat_close(vol);
	if (rc)
		return rc;
	/* Stopped while renaming: an interrupted run never leaves a card that
	 * looks made, so the names are taken back (prepare_write). */
	if (cancelled(r))
		return interrupted(r);
	r->verified = true;

	rc = card_reread_partitions(&r->card);
	if (rc && rc != -EINVAL)
		progress_note(r->pg, _("warning: the system did not re-read the partition table "
			      "(%s); remove and insert the card to see it"), strerror(-rc));
	return 0;
}

/* After a failed rename or its failed confirmation: is the name gone? */
static bool name_absent(struct prepare_run *r, const char *path)
{
	const struct sd_layout *l = &r->layout;
	struct fat_dirent de;
	struct fat_vol *vol;
	bool absent;

	if (volume_open(&r->card, false, l->part_start * LAYOUT_SECTOR,
			l->part_sectors * LAYOUT_SECTOR, &vol, NULL) != 0)
		return false;
	absent = fat_lookup(vol, path, &de, NULL, 0, NULL) == -ENOENT;
	fat_close(vol);
	return absent;
}

/*
 * A card that failed must not look ready: no final name that was not
 * confirmed on the card, taken back from the last given (the base first,
 * so that it is never there without the others), and no temporary file
 * left either.
 */
static void take_back(struct prepare_run *r, const struct prepare_source *ps)
{
	char path[PATH_LEN];

	for (size_t i = r->nfiles; i-- > 0;) {
		struct prepare_file *f = &r->files[i];

		if (!f->final_named)
			continue;
		dload_path(final_name(&ps[i]), path, sizeof(path));
		format_delete(&r->card, &r->layout, path, NULL);
		f->final_named = !name_absent(r, path);
		f->final_removed = !f->final_named;
	}
	for (size_t i = 0; i < r->nfiles; i++) {
		struct prepare_file *f = &r->files[i];

		if (f->temp_created &&
		    format_delete(&r->card, &r->layout,
				  dload_path(f->tmp_name, path, sizeof(path)), NULL) == 0) {
			f->temp_created = false;
			f->temp_removed = true;
		}
	}
}

/* Each file written, then read back and compared, in order. */
static int write_files(struct prepare_run *r, struct source *const *src,
		       const struct prepare_source *ps)
{
	struct timespec t;
	int rc = 0;

	for (size_t i = 0; i < r->nfiles && !rc; i++) {
		at_file(r, i);
		if (r->set)
			progress_note(r->pg, _("File %zu of %zu: dload/%s (as %s while written)"),
				      i + 1, r->nfiles, final_name(&ps[i]), r->files[i].tmp_name);
		time_now(&t);
		rc = write_file(r, src[i], &ps[i]);
		r->seconds[PHASE_WRITE] += elapsed_since(&t);
		time_now(&t);
		if (!rc)
			rc = read_back(r, src[i], &ps[i]);
		r->seconds[PHASE_READBACK] += elapsed_since(&t);
	}
	return rc;
}

int prepare_write(struct prepare_run *r, struct source *const *src,
		  const struct prepare_source *ps, size_t n)
{
	struct timespec t;
	int rc = 0;

	if (n != r->nfiles)
		return prepare_fail(r, EXIT_ERROR, NULL, _("%zu files given to write, %zu opened for"),
				    n, r->nfiles);
	if (getrandom(&r->disk_id, sizeof(r->disk_id), 0) != sizeof(r->disk_id) ||
	    getrandom(&r->volume_id, sizeof(r->volume_id), 0) != sizeof(r->volume_id))
		r->disk_id = r->volume_id = 0x44c0ad00u;

	/* A source its hash already found wrong costs the card nothing. */
	for (size_t i = 0; i < n && !rc; i++) {
		at_file(r, i);
		rc = srchash_poll(ps[i].hash, NULL, NULL);
		rc = rc == 0 || rc == -EINPROGRESS ? 0 : source_digests(r, src[i], &ps[i]);
	}
	time_now(&t);
	if (!rc)
		rc = cancelled(r) ? interrupted(r) : write_layout(r);
	if (!rc)
		rc = allocate_files(r, ps);
	r->seconds[PHASE_FORMAT] = elapsed_since(&t) - r->seconds[PHASE_PROBE];
	if (!rc)
		rc = write_files(r, src, ps);
	r->seconds[PHASE_READBACK] -= r->hash_wait;
	time_now(&t);
	if (!rc && cancelled(r))
		rc = interrupted(r);
	if (!rc)
		rc = finish(r, ps);
	r->seconds[PHASE_FINISH] = elapsed_since(&t);
	if (rc)
		take_back(r, ps);
	return rc;
}

void prepare_close(struct prepare_run *r)
{
	/* A file made for a run that never wrote it: as if never asked. */
	if (r->card_open && !r->card_touched)
		card_discard(&r->card);
	if (r->card_open)
		card_close(&r->card);
	r->card_open = false;
}

/* Whether any file of the run is so. */
#define ANY(r, field) any_file(r, offsetof(struct prepare_file, field))

static bool any_file(const struct prepare_run *r, size_t field)
{
	for (size_t i = 0; i < r->nfiles; i++)
		if (*(const bool *)((const char *)&r->files[i] + field))
			return true;
	return false;
}

const char *prepare_card_state(const struct prepare_run *r)
{
	if (r->verified)
		return r->set ? _("the card is ready: every SD package of the set is written to "
				  "dload/ and verified") :
		       _("the card is ready: dload/UPDATE.APP is written and verified");
	if (ANY(r, final_named))
		return r->set ? _("a name of the set in dload/ could not be confirmed on the card, "
				  "nor removed: do not use this card") :
		       _("dload/UPDATE.APP could not be confirmed on the card, nor removed: "
			 "do not use this card");
	if (!r->card_touched)
		return _("nothing was written to the card");
	if (r->set) {
		if (ANY(r, temp_created))
			return _("the card has none of the set's SD packages (partial .TMP files "
			       "remain in dload/, which the device ignores); it will not start an "
			       "update");
		if (ANY(r, final_removed))
			return _("the card has none of the set's SD packages (the names just given "
			       "were taken back, and the .TMP files removed); it will not start an "
			       "update");
		if (ANY(r, temp_removed))
			return _("the card has none of the set's SD packages (the partial .TMP files "
			       "were removed); it will not start an update");
		return _("the card has none of the set's SD packages and will not start an update");
	}
	if (ANY(r, temp_created))
		return _("the card has no UPDATE.APP (a partial dload/UPDATE.TMP remains, which the "
		       "device ignores); it will not start an update");
	if (ANY(r, final_removed))
		return _("the card has no UPDATE.APP (the copy just named so was removed again); it "
		       "will not start an update");
	if (ANY(r, temp_removed))
		return _("the card has no UPDATE.APP (the partial dload/UPDATE.TMP was removed); it "
		       "will not start an update");
	return _("the card has no UPDATE.APP and will not start an update");
}

const char *prepare_state_at(enum prepare_phase phase, bool set)
{
	switch (phase) {
	case PHASE_OPEN:
		return _("nothing was written to the card");
	case PHASE_WIPE:
	case PHASE_PROBE:
	case PHASE_PARTITION:
		return set ? _("the card has none of the set's SD packages and will not start an "
			       "update; what it held is partly erased") :
		       _("the card has no UPDATE.APP and will not start an update; what it held "
			 "is partly erased");
	case PHASE_FORMAT:
	case PHASE_WRITE:
	case PHASE_READBACK:
		return set ? _("the card has none of the set's SD packages (partial .TMP files may "
			       "remain in dload/, which the device ignores); it will not start an "
			       "update") :
		       _("the card has no UPDATE.APP (a partial dload/UPDATE.TMP may remain, which "
			 "the device ignores); it will not start an update");
	case PHASE_FINISH:
	case PHASE_COUNT:
		break;
	}
	return set ? _("if the card shows the set's SD packages in dload/, every one was read "
		       "back and verified; otherwise some may show, the base package never "
		       "without the others (the names are given only once every file is "
		       "verified, the base last): do not use this card until prepare has run "
		       "again") :
	       _("if the card shows dload/UPDATE.APP, that file was read back and verified; "
		 "otherwise it has none (the file is named so only once verified)");
}
