/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The whole prepare pipeline (prepare_open, prepare_write) on fake cards in
 * memory, with the real libblkid, libfdisk and mtools: a good card ends with
 * dload/UPDATE.APP verified, as the FAT reader finds it once the card is
 * powered off; a fake card is refused by the probe before the copy; a card
 * that flips bits on read, fails while writing or loses its write cache is
 * refused with the exit code that says so, and keeps neither UPDATE.APP nor
 * UPDATE.TMP; a stop in any phase leaves no UPDATE.APP either.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card/card.h"
#include "card/fake.h"
#include "fat/fat.h"
#include "fat/format.h"
#include "fat/volume.h"
#include "firmware/scan.h"
#include "firmware/source.h"
#include "firmware/srchash.h"
#include "lib/exitcodes.h"
#include "lib/progress.h"
#include "lib/strutils.h"
#include "pipeline/prepare.h"
#include "pipeline/readback.h"
#include "pipeline/verify.h"
#include "fakecard.h"
#include "../tools/ua_build.h"
#include "tap.h"
#include "unpriv.h"

#define CARD (128 * MiB)
#define APP DLOAD_DIR "/" DLOAD_FILE
#define TMP DLOAD_DIR "/" DLOAD_TMPFILE

static char srcpath[] = "/tmp/dloadcard-pipeline-src.XXXXXX";
static unsigned char sha[32];
static struct progress quiet;
static struct prepare_source ps = { .path = srcpath };
static struct prepare_opts opts = { .label = DEFAULT_LABEL };
static struct srchash_opts digests = { .what = SCAN_SHA256 };

/* What the card holds once powered off: its medium, as the device reads it. */
struct found {
	bool fs;		/* a FAT file system in the partition */
	bool app, tmp;		/* dload/UPDATE.APP, dload/UPDATE.TMP */
	bool app_right;		/* UPDATE.APP is the source, byte for byte */
	int verify;		/* verify's exit code, with the source's SHA-256 */
};

struct extents {
	struct card_extent v[16];
	size_t n;
};

static int add_extent(void *arg, const struct fat_extent *e)
{
	struct extents *x = arg;

	if (x->n == 16)
		return -E2BIG;
	x->v[x->n++] = (struct card_extent){ e->file_off, e->card_off, e->len };
	return 0;
}

/* Read UPDATE.APP through the FAT reader and compare it with the source. */
static bool app_is_source(struct card *c, struct fat_vol *vol, const struct fat_dirent *de)
{
	struct source *src = NULL;
	struct extents x = { .n = 0 };
	struct readback_job job = { .card = c, .pg = &quiet };
	struct diff_report rep;
	bool same;

	if (source_open(&src, srcpath, NULL) != 0 || de->size != ps.size ||
	    fat_extents(vol, de, add_extent, &x, NULL) != 0) {
		source_close(src);
		return false;
	}
	job.ext = x.v;
	job.n_ext = x.n;
	job.length = de->size;
	same = readback_compare(&job, src, &rep) == READBACK_OK && rep.bytes == 0;
	source_close(src);
	return same;
}

static struct found what_is_on(const char *path, const struct sd_layout *l)
{
	struct verify_opts vo = { .expect_sha256 = sha, .pg = &quiet };
	struct verify_report *rep = malloc(sizeof(*rep));
	struct found f = { .verify = -1 };
	struct fat_dirent de;
	struct fat_vol *vol;
	struct card c;
	struct errmsg e;

	if (!rep || card_open(&c, path, 0, 0, &e) != 0) {
		free(rep);
		return f;
	}
	if (volume_open(&c, true, l->part_start * LAYOUT_SECTOR, l->part_sectors * LAYOUT_SECTOR,
			&vol, &e) == 0) {
		f.fs = true;
		f.tmp = fat_lookup(vol, TMP, &de, NULL, 0, NULL) == 0;
		f.app = fat_lookup(vol, APP, &de, NULL, 0, NULL) == 0;
		f.app_right = f.app && app_is_source(&c, vol, &de);
		fat_close(vol);
	}
	f.verify = verify_card(&c, &vo, rep);
	card_close(&c);
	free(rep);
	return f;
}

/* A stop when the run enters this phase, seen by the card or the progress. */
struct stopper {
	struct prepare_run *r;
	enum prepare_phase at;	/* PHASE_COUNT: never */
	size_t at_file;		/* ... once at this file of the set */
	volatile sig_atomic_t stop;
};

static void check_phase(struct stopper *s)
{
	/* Atomically: the copy's and the read-back's threads read it. */
	if (s->at != PHASE_COUNT && __atomic_load_n(&s->r->phase, __ATOMIC_RELAXED) == s->at &&
	    __atomic_load_n(&s->r->at, __ATOMIC_RELAXED) >= s->at_file)
		__atomic_store_n(&s->stop, SIGINT, __ATOMIC_RELAXED);
}

static void on_io(void *arg, enum fake_op op, uint64_t off, size_t len)
{
	(void)op;
	(void)off;
	(void)len;
	check_phase(arg);
}

static void on_progress(void *arg, const struct progress *p, enum progress_event ev)
{
	(void)p;
	(void)ev;
	check_phase(arg);
}

struct outcome {
	int rc;
	struct prepare_run r;
	struct found on_card;
};

/*
 * prepare of the n files set (each the source file) on the card at path
 * with this model stacked once it is open (NULL: none), stopped when it
 * enters phase at with file at_file.  false when the run could not be set up.
 */
static bool run_on(const char *path, const struct fake_model *model, enum prepare_phase at,
		   size_t at_file, struct prepare_source *set, size_t n, struct outcome *o)
{
	struct stopper s = { .r = &o->r, .at = at, .at_file = at_file };
	struct fake_model m = model ? *model : (struct fake_model){ 0 };
	struct errmsg e;
	struct progress pg = quiet;
	struct source *src[PREPARE_MAX_FILES] = { NULL };
	size_t opened = 0;

	memset(o, 0, sizeof(*o));
	pg.sink = on_progress;
	pg.sink_arg = &s;
	m.on_io = on_io;
	m.on_io_arg = &s;
	o->rc = prepare_open(&o->r, path, &opts, set, n, &pg, &s.stop);
	if (!o->rc && fake_stack(&o->r.card, &m) != 0)
		o->rc = -1;
	for (; !o->rc && opened < n; opened++) {
		if (source_open(&src[opened], srcpath, &e) != 0)
			break;
		if (srchash_start(&set[opened].hash, src[opened], &digests, &e) != 0) {
			source_close(src[opened]);
			break;
		}
	}
	if (opened == n) {
		check_phase(&s);	/* a stop before anything is written */
		o->rc = prepare_write(&o->r, src, set, n);
	}
	for (size_t i = 0; i < opened; i++) {
		srchash_free(set[i].hash);
		set[i].hash = NULL;
		source_close(src[i]);
	}
	prepare_close(&o->r);
	o->on_card = what_is_on(path, &o->r.layout);
	return opened == n;
}

static bool prepare_on(const char *path, const struct fake_model *model, enum prepare_phase at,
		       struct outcome *o)
{
	return run_on(path, model, at, 0, &ps, 1, o);
}

/* The same on a card in memory of CARD bytes. */
static bool prepare(const struct fake_model *model, enum prepare_phase at, struct outcome *o)
{
	char path[64];
	int fd = fake_memfd(CARD, path, sizeof(path));
	bool done = fd >= 0 && prepare_on(path, model, at, o);

	if (fd >= 0)
		close(fd);
	return done;
}

/* verify of the card at path, with this model stacked: its exit code. */
static int verify_with(const char *path, const struct fake_model *m)
{
	struct verify_opts vo = { .expect_sha256 = sha, .pg = &quiet };
	struct verify_report *rep = malloc(sizeof(*rep));
	struct card c;
	struct errmsg e;
	int rc = -1;

	if (rep && card_open(&c, path, 0, 0, &e) == 0) {
		if (fake_stack(&c, m) == 0)
			rc = verify_card(&c, &vo, rep);
		card_close(&c);
	}
	free(rep);
	return rc;
}

static uint64_t file_at;	/* where a good run put UPDATE.APP on the card */

static void test_good(void)
{
	struct fake_model cached = { .cache = MiB };
	struct fake_model flip = { 0 };
	struct outcome o;
	char path[64];
	int fd = fake_memfd(CARD, path, sizeof(path));

	if (fd < 0 || !prepare_on(path, NULL, PHASE_COUNT, &o)) {
		skip(9, "cannot set the pipeline up");
		return;
	}
	is_int(o.rc, 0, "a good card: prepared");
	ok(o.r.verified && o.r.files[0].readback_compared, "... read back and compared byte for byte");
	ok(o.on_card.app && !o.on_card.tmp, "... powered off, it holds dload/UPDATE.APP, and no "
	   "UPDATE.TMP");
	ok(o.on_card.app_right, "... the source, byte for byte, read through the FAT reader");
	is_int(o.on_card.verify, EXIT_OK, "... and verify passes it");
	ok(o.r.probed && o.r.probe.verdict == PROBE_GOOD, "... after a good probe");
	file_at = o.r.files[0].card_off;
	flip.flip_read = (struct fake_range){ file_at + ps.size - 5, 1 };
	is_int(verify_with(path, &flip), EXIT_DAMAGED_CARD, "... read by verify through a "
	       "reader that flips a bit of it: damaged, exit 22");
	flip.flip_read = (struct fake_range){ 0 };
	flip.eio_read = (struct fake_range){ file_at + MiB, 1 };
	is_int(verify_with(path, &flip), EXIT_READ_ERROR, "... through one with an I/O error "
	       "in it: unreadable, exit 8");
	close(fd);

	prepare(&cached, PHASE_COUNT, &o);
	ok(o.rc == 0 && o.on_card.app_right && !o.on_card.tmp, "a good card with a 1 MiB write "
	   "cache: prepared, and all of it on the card when powered off");
}

static void test_refused(void)
{
	struct fake_model fake = { .fake_capacity = true, .real = 32 * MiB, .wrap = 32 * MiB };
	struct fake_model flip = { .flip_read = { file_at + 2 * MiB + 9, 1 } };
	struct fake_model eio = { .eio_write = { file_at + MiB + 10, 1 } };
	struct fake_model lying = { .cache = 256 * 1024, .cache_lies = true };
	struct outcome o;

	prepare(&fake, PHASE_COUNT, &o);
	is_int(o.rc, EXIT_FAKE_CAPACITY, "a fake card of 32 MiB in 128: refused, exit 10");
	ok(o.r.phase == PHASE_PROBE && !o.r.files[0].temp_created && !o.r.files[0].final_named,
	   "... by the probe, before any file");
	ok(!o.on_card.app && !o.on_card.tmp, "... no UPDATE.APP, no UPDATE.TMP");

	prepare(&flip, PHASE_COUNT, &o);
	is_int(o.rc, EXIT_MISMATCH, "bits flipped on read in UPDATE.APP: refused, exit 9");
	ok(o.r.phase == PHASE_READBACK && o.r.diff.bytes == 1 &&
	   o.r.diff.ranges[0].file_off == 2 * MiB + 9, "... by the read-back, at the byte");
	ok(!o.on_card.app && !o.on_card.tmp && o.r.files[0].temp_removed, "... no UPDATE.APP, and "
	   "UPDATE.TMP removed");

	prepare(&eio, PHASE_COUNT, &o);
	is_int(o.rc, EXIT_WRITE_ERROR, "EIO while writing UPDATE.APP: refused, exit 7");
	ok(o.r.phase == PHASE_WRITE && strstr(o.r.error.text, "failed while writing"),
	   "... while writing (%s)", o.r.error.text);
	ok(!o.on_card.app && !o.on_card.tmp, "... no UPDATE.APP, no UPDATE.TMP");

	prepare(&lying, PHASE_COUNT, &o);
	is_int(o.rc, EXIT_MISMATCH, "a write cache that a flush does not empty, lost on "
	       "reset: refused, exit 9");
	/* the boot record, read back past the cache right after formatting,
	 * is the first thing the lost cache shows: nothing is copied */
	ok(o.r.phase == PHASE_FORMAT && !o.r.files[0].temp_created &&
	   strstr(o.r.error.text, "does not keep its first sectors"),
	   "... by the boot record's read-back past the cache, before the file (%s)",
	   o.r.error.text);
	ok(!o.on_card.app && !o.on_card.tmp, "... no UPDATE.APP, no UPDATE.TMP");
}

static void test_stopped(void)
{
	enum prepare_phase p;
	struct outcome o;

	for (p = PHASE_OPEN; p < PHASE_COUNT; p++) {
		prepare(NULL, p, &o);
		ok(o.rc == EXIT_INTERRUPTED && o.r.phase == p, "stopped in phase %s: exit 130 (%d, "
		   "in %s)", prepare_phase_name(p), o.rc, prepare_phase_name(o.r.phase));
		ok(!o.on_card.app && !o.on_card.tmp && o.on_card.verify != EXIT_OK,
		   "... no UPDATE.APP, no UPDATE.TMP: the card does not look made");
	}
}

/* The set's names, as the device reads them once the card is powered off. */
struct set_found {
	size_t finals;		/* final names there, with their size */
	size_t temps;		/* SDPKG<n>.TMP there */
	bool base;		/* update_sd_base.zip there */
	uint64_t off[3];	/* where each final name's file starts */
};

static const char *const set_names[3] = {
	"update_sd_cust_VOG-L29_hw_eu.zip", "update_sd_preload_VOG-L29_hw_eu_R1.zip",
	"update_sd_base.zip",
};

static struct set_found set_on(const char *path, const struct sd_layout *l)
{
	struct set_found f = { 0 };
	struct fat_dirent de;
	struct fat_vol *vol;
	struct card c;
	struct errmsg e;
	char p[300];

	if (card_open(&c, path, 0, 0, &e) != 0)
		return f;
	if (volume_open(&c, true, l->part_start * LAYOUT_SECTOR, l->part_sectors * LAYOUT_SECTOR,
			&vol, &e) == 0) {
		for (size_t i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), DLOAD_DIR "/%s", set_names[i]);
			if (fat_lookup(vol, p, &de, NULL, 0, NULL) == 0 && de.size == ps.size &&
			    fat_map_offset(vol, &de, 0, &f.off[i], NULL) == 0) {
				f.finals++;
				f.base |= i == 2;
			}
			snprintf(p, sizeof(p), DLOAD_DIR "/SDPKG%zu.TMP", i + 1);
			f.temps += fat_lookup(vol, p, &de, NULL, 0, NULL) == 0;
		}
		fat_close(vol);
	}
	card_close(&c);
	return f;
}

/* A set of three SD packages (the source's bytes under their names) on a
 * card in memory, stopped in phase at with file at_file. */
static bool prepare_set(enum prepare_phase at, size_t at_file, struct outcome *o,
			struct set_found *found)
{
	struct prepare_source set[3];
	char path[64];
	int fd = fake_memfd(CARD, path, sizeof(path));
	bool done;

	memset(o, 0, sizeof(*o));
	memset(found, 0, sizeof(*found));
	for (size_t i = 0; i < 3; i++)
		set[i] = (struct prepare_source){ .path = srcpath, .card_name = set_names[i],
						  .size = ps.size };
	done = fd >= 0 && run_on(path, NULL, at, at_file, set, 3, o);
	if (done)
		*found = set_on(path, &o->r.layout);
	if (fd >= 0)
		close(fd);
	return done;
}

/* The names and the room of a set, without a card. */
static void test_set_names(void)
{
	struct prepare_source one = { .path = srcpath, .size = 5 };
	struct prepare_source set[3] = {
		{ .path = srcpath, .card_name = set_names[0], .size = 1 },
		{ .path = srcpath, .card_name = set_names[1], .size = 4 * MiB },
		{ .path = srcpath, .card_name = set_names[2], .size = 7 },
	};
	char name[16];

	prepare_tmp_name(&one, 1, 0, name, sizeof(name));
	is_str(name, "UPDATE.TMP", "an UPDATE.APP is UPDATE.TMP while written");
	prepare_tmp_name(set, 3, 0, name, sizeof(name));
	is_str(name, "SDPKG1.TMP", "the first SD package is SDPKG1.TMP");
	prepare_tmp_name(set, 3, 2, name, sizeof(name));
	is_str(name, "SDPKG3.TMP", "the third SDPKG3.TMP");
	ok(prepare_set_span(&one, 1) == 5, "one file takes its size");
	ok(prepare_set_span(set, 3) == 4 * MiB + 4 * MiB + 7,
	   "a set: each file but the last up to the next 4 MiB boundary (%" PRIu64 ")",
	   prepare_set_span(set, 3));
}

static void test_set(void)
{
	struct set_found f;
	struct outcome o;
	bool made = prepare_set(PHASE_COUNT, 0, &o, &f);

	ok(made && o.rc == 0 && o.r.verified, "a set of three SD packages: prepared (%d)", o.rc);
	ok(f.finals == 3 && f.temps == 0, "... each under its long name, no SDPKG<n>.TMP left");
	ok(f.off[0] % (4 * MiB) == 0 && f.off[0] < f.off[1] && f.off[1] < f.off[2] &&
	   f.off[1] % (4 * MiB) == 0 && f.off[2] % (4 * MiB) == 0 &&
	   f.off[0] + ps.size <= f.off[1] && f.off[1] + ps.size <= f.off[2],
	   "... each from a 4 MiB boundary, in order, the base last (%" PRIu64 ", %" PRIu64
	   ", %" PRIu64 ")", f.off[0], f.off[1], f.off[2]);
	ok(o.r.files[2].card_off == f.off[2] && o.r.files[0].readback_compared &&
	   o.r.files[2].readback_compared, "... where the run says, each compared byte for byte");

	prepare_set(PHASE_WRITE, 1, &o, &f);
	ok(o.rc == EXIT_INTERRUPTED && o.r.at == 1,
	   "stopped while the second file is written: exit 130 (%d, file %zu)", o.rc, o.r.at);
	ok(f.finals == 0 && f.temps == 0, "... no name of the set, no .TMP left (%zu, %zu)",
	   f.finals, f.temps);
	prepare_set(PHASE_FINISH, 1, &o, &f);
	ok(o.rc == EXIT_INTERRUPTED && o.r.phase == PHASE_FINISH && o.r.files[0].final_removed &&
	   o.r.files[1].final_removed && !o.r.files[2].final_named,
	   "stopped once two names are given: exit 130, both taken back, the base never named "
	   "(%d)", o.rc);
	ok(f.finals == 0 && !f.base && f.temps == 0, "... no name of the set, no .TMP left "
	   "(%zu, %zu)", f.finals, f.temps);
	prepare_set(PHASE_FINISH, 2, &o, &f);
	ok(o.rc == EXIT_INTERRUPTED && o.r.files[2].final_removed && o.r.files[0].final_removed,
	   "stopped while the base is named: exit 130, every name taken back (%d)", o.rc);
	ok(f.finals == 0 && !f.base && f.temps == 0, "... no name of the set on the card (%zu)",
	   f.finals);
	ok(strstr(prepare_card_state(&o.r), "none of the set's SD packages") != NULL,
	   "... and the state says so: %s", prepare_card_state(&o.r));
}

/*
 * mtools' name clash, on a made set's card: a long name that exists already
 * is never overwritten nor renamed (the rename fails, both files stay), and
 * nothing asks on a terminal.
 */
static void test_set_clash(void)
{
	struct prepare_source set[3];
	struct set_found f;
	struct outcome o;
	struct errmsg e;
	struct card c;
	char path[64];
	int fd = fake_memfd(CARD, path, sizeof(path)), rc = -1;

	for (size_t i = 0; i < 3; i++)
		set[i] = (struct prepare_source){ .path = srcpath, .card_name = set_names[i],
						  .size = ps.size };
	if (fd >= 0 && run_on(path, NULL, PHASE_COUNT, 0, set, 3, &o) && o.rc == 0 &&
	    card_open(&c, path, CARD_WRITE, 0, &e) == 0) {
		if (format_create_empty(&c, &o.r.layout, DLOAD_DIR "/SDPKG1.TMP", &e) == 0)
			rc = format_rename_long(&c, &o.r.layout, DLOAD_DIR "/SDPKG1.TMP",
						DLOAD_DIR "/update_sd_base.zip", &e);
		card_close(&c);
	}
	ok(rc != 0, "a rename onto a long name that exists: fails (%s)", e.text);
	f = set_on(path, &o.r.layout);
	ok(f.finals == 3 && f.base && f.temps == 1,
	   "... the existing file kept, the new one under its old name (%zu names, %zu .TMP)",
	   f.finals, f.temps);
	if (fd >= 0)
		close(fd);
}

/* A valid UPDATE.APP of about 3 MiB (its last bytes unaligned), as a file. */
static bool make_source(void)
{
	struct uab_spec *spec = calloc(1, sizeof(*spec));
	unsigned char *data = NULL;
	size_t len = 0;
	unsigned int mdlen;
	int fd = mkstemp(srcpath);
	bool made;

	if (spec && uab_default_spec(spec, 3 * MiB + 123, 0, true) == 0)
		data = uab_build(spec, &len);
	made = data && fd >= 0 && write(fd, data, len) == (ssize_t)len;
	if (made)
		made = EVP_Digest(data, len, sha, &mdlen, EVP_sha256(), NULL) == 1;
	ps.size = len;
	if (fd >= 0)
		close(fd);
	free(data);
	free(spec);
	return made;
}

int main(void)
{
	drop_privileges();
	progress_init(&quiet, NULL, NULL);
	if (!make_source()) {
		printf("Bail out! cannot write an UPDATE.APP in /tmp\n");
		return 1;
	}
	diag("UPDATE.APP of %" PRIu64 " bytes", ps.size);

	test_good();
	test_refused();
	test_stopped();
	test_set_names();
	test_set();
	test_set_clash();
	unlink(srcpath);
	return done_testing();
}
