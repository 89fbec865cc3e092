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
	volatile sig_atomic_t stop;
};

static void check_phase(struct stopper *s)
{
	/* Atomically: the copy's and the read-back's threads read it. */
	if (s->at != PHASE_COUNT && __atomic_load_n(&s->r->phase, __ATOMIC_RELAXED) == s->at)
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
 * prepare on the card at path with this model stacked once it is open
 * (NULL: none), stopped when it enters phase at.  false when the run could
 * not be set up.
 */
static bool prepare_on(const char *path, const struct fake_model *model, enum prepare_phase at,
		       struct outcome *o)
{
	struct stopper s = { .r = &o->r, .at = at };
	struct fake_model m = model ? *model : (struct fake_model){ 0 };
	struct errmsg e;
	struct progress pg = quiet;
	struct source *src;

	memset(o, 0, sizeof(*o));
	pg.sink = on_progress;
	pg.sink_arg = &s;
	m.on_io = on_io;
	m.on_io_arg = &s;
	o->rc = prepare_open(&o->r, path, &opts, &ps, 1, &pg, &s.stop);
	if (!o->rc && fake_stack(&o->r.card, &m) != 0)
		o->rc = -1;
	if (o->rc || source_open(&src, srcpath, &e) != 0)
		src = NULL;
	if (src && srchash_start(&ps.hash, src, &digests, &e) != 0) {
		source_close(src);
		src = NULL;
	}
	if (src) {
		check_phase(&s);	/* a stop before anything is written */
		o->rc = prepare_write(&o->r, &src, &ps, 1);
		srchash_free(ps.hash);
		ps.hash = NULL;
		source_close(src);
	}
	prepare_close(&o->r);
	o->on_card = what_is_on(path, &o->r.layout);
	return src != NULL;
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
	unlink(srcpath);
	return done_testing();
}
