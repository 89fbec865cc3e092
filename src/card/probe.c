/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The capacity probe (see probe.h for the idea).  The algorithm follows the
 * shape of f3probe's (stamped blocks, the cache pushed out, a search for the
 * boundary between good and bad blocks), with fewer I/Os: one pass writes
 * every stamp, one flush, one pass reads them all, so that a slow card pays
 * a few hundred round trips and no more.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "card/probe.h"
#include "card/probe_private.h"
#include "lib/exitcodes.h"
#include "lib/interrupt.h"
#include "lib/nls.h"
#include "lib/strutils.h"


/*
 * Written after the stamps and before reading them back, twice: at the low
 * end, which any card keeps, so that a card that serves reads from a cache
 * of its last writes (wherever they went) has emptied it by then; and at
 * the high end, which a fake has lost, so that a fake that keeps its last
 * lost writes in a cache (f3's model: a slot per block number modulo its
 * size) has replaced our stamps in it too.  Caches up to this much; f3probe
 * measures caches up to 1 GiB, at the price of writing as much.
 */
#define FILLER_QUICK	(4 * MiB)
#define FILLER_THOROUGH	(16 * MiB)
#define FILLER_CHUNK	(1 * MiB)
#define FILLERS		2
_Static_assert(FILLERS * FILLER_THOROUGH / FILLER_CHUNK <= 64, "one bit per filler chunk");

/* The high filler ends below the last MiB, where the last blocks are checked. */
#define HIGH_END	(1 * MiB)

/* The quick probe gives the real size to within this, the thorough one to
 * the block. */
#define PRECISION_QUICK	(1 * MiB)

/* Candidates per bisection round: each round divides the gap by this + 1. */
#define ROUND_QUICK	15
#define ROUND_THOROUGH	31
#define MAX_ROUNDS	12

/* No new round starts after this long: the verdict is known, only the
 * precision of the real size is at stake. */
#define BUDGET_QUICK	6.0
#define BUDGET_THOROUGH	45.0

/* ---- The engine -------------------------------------------------------------- */

/* A block (or filler chunk) as it was before the probe wrote it. */
struct saved {
	uint64_t off;
	size_t len;
	void *data;
	bool write_failed;	/* the stamp never landed: no need to put back */
	bool changed;		/* a stamp landed: counted in r->changed */
};

struct probe_ctx {
	struct card *c;
	const struct probe_opts *o;
	struct probe_result *r;
	unsigned block;
	uint64_t end;			/* whole blocks */
	uint64_t nonce, rng;
	unsigned char *buf;		/* one block */
	unsigned char *chunk;		/* one filler chunk */
	struct probe_sample *s;
	size_t n, cap;
	struct saved *saved;
	size_t nsaved, capsaved;
	uint64_t fill_off[FILLERS], fill_len;	/* fill_len 0: no filler */
	uint64_t fill_unsaved;		/* filler chunks that could not be saved */
	uint64_t wrap;
	struct timespec t0;
	int fatal;			/* -errno: stop now */
};

static void note_error(struct probe_ctx *x, int e, uint64_t off, bool write)
{
	if (!x->r->err) {
		x->r->err = e;
		x->r->err_off = off;
		x->r->err_write = write;
	}
	if (card_errno_vanished(e) && !x->fatal)
		x->fatal = -e;
}

/* Stop at a vanished card or on request. */
static bool stopping(struct probe_ctx *x)
{
	if (!x->fatal && cancel_requested(x->o->cancel))
		x->fatal = -ECANCELED;
	return x->fatal != 0;
}

static void moved(struct probe_ctx *x, size_t len)
{
	struct progress *pg = x->o->pg;

	if (!pg)
		return;
	if (pg->done + len > pg->total)
		pg->total = pg->done + len;
	progress_update(pg, pg->done + len);
}

static int do_read(struct probe_ctx *x, void *buf, size_t len, uint64_t off)
{
	int rc = card_pread_direct(x->c, buf, len, off);

	x->r->blocks_read += (unsigned)(len / x->block);
	moved(x, len);
	if (rc)
		note_error(x, -rc, off, false);
	return rc;
}

static int do_write(struct probe_ctx *x, const void *buf, size_t len, uint64_t off)
{
	int rc = card_pwrite_direct(x->c, buf, len, off);

	x->r->blocks_written += (unsigned)(len / x->block);
	moved(x, len);
	if (rc)
		note_error(x, -rc, off, true);
	return rc;
}

#define NOT_SAVED SIZE_MAX

/* Keep what is at off before it is overwritten.  Its index in x->saved
 * (which moves as it grows), or NOT_SAVED on a read error. */
static size_t save(struct probe_ctx *x, uint64_t off, size_t len)
{
	struct saved *sv;

	if (x->nsaved == x->capsaved) {
		size_t cap = x->capsaved ? 2 * x->capsaved : 256;
		struct saved *n = realloc(x->saved, cap * sizeof(*n));

		if (!n) {
			x->fatal = -ENOMEM;
			return NOT_SAVED;
		}
		x->saved = n;
		x->capsaved = cap;
	}
	sv = &x->saved[x->nsaved];
	sv->off = off;
	sv->len = len;
	sv->write_failed = false;
	sv->changed = false;
	sv->data = card_alloc_buffer(x->c, len);
	if (!sv->data) {
		x->fatal = -ENOMEM;
		return NOT_SAVED;
	}
	if (do_read(x, sv->data, len, off) != 0) {
		free(sv->data);
		return NOT_SAVED;
	}
	return x->nsaved++;
}

static uint64_t saved_bytes(const struct probe_ctx *x)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < x->nsaved; i++)
		n += x->saved[i].len;
	return n;
}

/* Saved entry i now differs on the card from what it held. */
static void changed(struct probe_ctx *x, size_t i)
{
	struct saved *sv = &x->saved[i];

	if (!sv->changed)
		x->r->changed += (unsigned)(sv->len / x->block);
	sv->changed = true;
}

/* Last written, first put back: every block ends as it was before its
 * first write, even when two offsets share storage through a wrap. */
static void restore_all(struct probe_ctx *x)
{
	size_t i = x->nsaved;
	bool gone = false, flushed = false;
	int rc;

	while (i-- > 0) {
		struct saved *sv = &x->saved[i];

		rc = gone ? -ENODEV : card_pwrite_direct(x->c, sv->data, sv->len, sv->off);
		x->r->blocks_written += (unsigned)(sv->len / x->block);
		moved(x, sv->len);
		if (!rc && sv->changed)
			x->r->changed -= (unsigned)(sv->len / x->block);
		if (rc && !sv->write_failed) {
			x->r->not_restored += (unsigned)(sv->len / x->block);
			note_error(x, -rc, sv->off, true);
		}
		gone = gone || (rc && card_errno_vanished(-rc));
	}
	if (!gone) {
		rc = card_flush(x->c);
		flushed = rc == 0;
		if (rc)
			note_error(x, -rc, 0, true);
	}
	x->r->restored = flushed && x->r->not_restored == 0;
}

static void shuffle(size_t *v, size_t n, uint64_t *rng)
{
	size_t i;

	for (i = n; i > 1; i--) {
		size_t j = (size_t)(next_rand(rng) % i), t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

static size_t *shuffled(struct probe_ctx *x, size_t from, size_t to)
{
	size_t *v = malloc((to - from) * sizeof(*v) + 1), i;

	if (!v) {
		x->fatal = -ENOMEM;
		return NULL;
	}
	for (i = from; i < to; i++)
		v[i - from] = i;
	shuffle(v, to - from, &x->rng);
	return v;
}

/*
 * Stamp samples [from, to), in random order (a controller that guesses the
 * next sequential block gains nothing).  With restore, every one is read
 * first, all before any is written, so that two that share storage both
 * keep what it held.
 */
static void write_samples(struct probe_ctx *x, size_t from, size_t to)
{
	size_t *sv = NULL, *order, i;

	if (x->o->restore) {
		sv = malloc((to - from + 1) * sizeof(*sv));
		if (!sv) {
			x->fatal = -ENOMEM;
			return;
		}
		for (i = from; i < to; i++) {
			sv[i - from] = stopping(x) ? NOT_SAVED : save(x, x->s[i].off, x->block);
			if (sv[i - from] == NOT_SAVED)
				x->s[i].state = PROBE_S_IOERR;
		}
	}
	order = shuffled(x, from, to);
	for (i = 0; order && i < to - from && !stopping(x); i++) {
		struct probe_sample *s = &x->s[order[i]];

		if (s->state == PROBE_S_IOERR)
			continue;
		probe_stamp_fill(x->buf, x->block, s->off, x->nonce);
		if (do_write(x, x->buf, x->block, s->off) != 0) {
			s->state = PROBE_S_IOERR;
			if (sv && sv[order[i] - from] != NOT_SAVED)
				x->saved[sv[order[i] - from]].write_failed = true;
		} else if (sv && sv[order[i] - from] != NOT_SAVED) {
			changed(x, sv[order[i] - from]);
		}
	}
	free(order);
	free(sv);
}

/*
 * Push the card's caches out with stamps, sequential writes at both ends
 * (FILLER_QUICK says why).  A stamp from past the real size that wrapped
 * onto the low filler reads back as one of its stamps, which shows the
 * wrap too, and the high one wraps onto blocks below the real size, which
 * then read as its stamps: aliases, as the wrap makes them.  The first
 * time with restore, every chunk is saved; later rounds write the same
 * bytes again, which restoring the first undoes.
 */
static void write_filler(struct probe_ctx *x, bool first)
{
	uint64_t chunks = x->fill_len / FILLER_CHUNK, off, bit;
	unsigned k;

	for (k = 0; k < FILLERS * chunks && !stopping(x); k++) {
		size_t sv = NOT_SAVED;

		off = x->fill_off[k / chunks] + k % chunks * FILLER_CHUNK;
		bit = 1ULL << k;
		if (x->fill_unsaved & bit)
			continue;
		if (first && x->o->restore) {
			sv = save(x, off, FILLER_CHUNK);
			if (sv == NOT_SAVED) {
				/* Unreadable: leave it alone, now and later. */
				x->fill_unsaved |= bit;
				continue;
			}
		}
		probe_stamp_fill(x->chunk, FILLER_CHUNK, off, x->nonce);
		if (do_write(x, x->chunk, FILLER_CHUNK, off) != 0 && sv != NOT_SAVED)
			x->saved[sv].write_failed = true;
		else if (sv != NOT_SAVED)
			changed(x, sv);
	}
}

static void read_samples(struct probe_ctx *x, size_t from, size_t to)
{
	size_t *order = shuffled(x, from, to), i;

	for (i = 0; order && i < to - from && !stopping(x); i++) {
		struct probe_sample *s = &x->s[order[i]];

		if (s->state == PROBE_S_IOERR)
			continue;
		if (do_read(x, x->buf, x->block, s->off) != 0)
			s->state = PROBE_S_IOERR;
		else
			s->state = probe_stamp_check(x->buf, x->block, s->off, x->nonce, &s->found);
	}
	free(order);
}

static void flush(struct probe_ctx *x)
{
	int rc;

	if (stopping(x))
		return;
	rc = card_flush(x->c);
	if (rc) {
		note_error(x, -rc, 0, true);
		if (!x->fatal)
			x->fatal = rc;
	}
}

/* Write [from, to), push the cache out, flush, read them all back. */
static void check_samples(struct probe_ctx *x, size_t from, size_t to, bool first)
{
	write_samples(x, from, to);
	if (x->fill_len)
		write_filler(x, first);
	flush(x);
	read_samples(x, from, to);
}

static int cmp_sample(const void *a, const void *b)
{
	const struct probe_sample *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static bool grow_samples(struct probe_ctx *x, size_t more)
{
	struct probe_sample *n;

	if (x->n + more <= x->cap)
		return true;
	n = realloc(x->s, (x->n + more) * sizeof(*n));
	if (!n) {
		x->fatal = -ENOMEM;
		return false;
	}
	x->s = n;
	x->cap = x->n + more;
	return true;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* In one of the fillers: never a sample, which the filler would overwrite. */
static bool in_filler(const struct probe_ctx *x, uint64_t off)
{
	return overlaps(off, x->block, x->fill_off[0], x->fill_len) ||
	       overlaps(off, x->block, x->fill_off[1], x->fill_len);
}

/* The fillers' places: the low end after the partition table's MiB and the
 * high end below the last MiB, off the keep range, and only on a card that
 * has room for them. */
static void place_filler(struct probe_ctx *x)
{
	uint64_t low = LOW_START, len = x->o->thorough ? FILLER_THOROUGH : FILLER_QUICK;
	uint64_t high = (x->end - HIGH_END - len) / FILLER_CHUNK * FILLER_CHUNK;

	if (overlaps(low, len, x->o->keep_off, x->o->keep_len))
		low = (x->o->keep_off + x->o->keep_len + FILLER_CHUNK - 1) /
		      FILLER_CHUNK * FILLER_CHUNK;
	if (low + len > x->end / 4 || overlaps(high, len, x->o->keep_off, x->o->keep_len))
		return;		/* a tiny card: the stamps are all there is */
	x->fill_off[0] = low;
	x->fill_off[1] = high;
	x->fill_len = len;
}

/* Drop the samples that fall in a filler; how many are left. */
static size_t off_the_fillers(const struct probe_ctx *x, struct probe_sample *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!in_filler(x, s[i].off))
			s[k++] = s[i];
	return k;
}

/* Does the block at at hold the stamp written at want? */
static bool holds_stamp(struct probe_ctx *x, uint64_t at, uint64_t want)
{
	enum probe_state st;
	uint64_t found;

	if (at + x->block > x->end || stopping(x) || do_read(x, x->buf, x->block, at) != 0)
		return false;
	st = probe_stamp_check(x->buf, x->block, at, x->nonce, &found);
	return (st == PROBE_S_ALIAS && found == want) || (st == PROBE_S_GOOD && at == want);
}

/* Does reading off + t (or off - t) give what reading off gave, the stamp
 * written at want?  Then t is a multiple of the wrap-around period. */
static bool is_period(struct probe_ctx *x, uint64_t off, uint64_t want, uint64_t t)
{
	return holds_stamp(x, off < want ? off + t : off - t, want);
}

/*
 * The exact period, with reads only: the aliases give a multiple of it;
 * divide by each prime factor while what is left still aliases.  A handful
 * of reads.  0 when the aliases do not follow a period (then their own
 * bound stands).
 */
static uint64_t find_period(struct probe_ctx *x)
{
	uint64_t g = probe_alias_gcd(x->s, x->n), t, q, p, off = 0, want = 0;
	size_t i;

	if (!g || g % x->block)
		return 0;
	for (i = 0; i < x->n; i++)
		if (x->s[i].state == PROBE_S_ALIAS) {
			off = x->s[i].off;
			want = x->s[i].found;
			break;
		}
	if (!is_period(x, off, want, g))
		return 0;
	t = g;
	for (q = g / x->block; q > 1; ) {
		p = probe_smallest_prime(q);
		while ((t / x->block) % p == 0 && is_period(x, off, want, t / p))
			t /= p;
		while (q % p == 0)
			q /= p;
	}
	/* A wrap-around lands on real storage, below the period: there the
	 * block holds the stamp too.  Blocks lost in a fake's cache alias
	 * each other with the cache's size as period, but what lies below it
	 * is the card's own data. */
	return holds_stamp(x, off % t, want) ? t : 0;
}

/*
 * A block that reads a stamp of the high filler shares a place with it:
 * real storage that the filler wrapped onto, or a slot of a fake's cache
 * of lost blocks, where both are lost.  Only an exact wrap-around, whose
 * storage find_period() has seen, tells the first; otherwise the block
 * holds another's data, which is all that the judgement may know.
 */
static void judge(struct probe_ctx *x, struct probe_judgement *j)
{
	uint64_t hi = x->fill_off[1];
	size_t i;

	for (i = 0; !x->wrap && i < x->n; i++)
		if (x->s[i].state == PROBE_S_ALIAS && x->fill_len && x->s[i].found >= hi &&
		    x->s[i].found < hi + x->fill_len)
			x->s[i].state = PROBE_S_GARBAGE;
	probe_judge(x->s, x->n, x->c->size, x->block, x->wrap, j);
}

/*
 * One bisection round between the last good block and the first bad one.
 * Under a known wrap-around the block just below it is tried too: when it
 * holds, the real size is the period, exactly, whatever the precision.
 */
static bool narrow(struct probe_ctx *x, const struct probe_judgement *j)
{
	size_t k = x->o->thorough ? ROUND_THOROUGH : ROUND_QUICK, got = 0, i;
	uint64_t precision = x->o->thorough ? 0 : PRECISION_QUICK, gap, *offs;
	uint64_t below_wrap = x->wrap - x->block;
	bool edge;

	if (j->verdict != PROBE_FAKE)
		return false;
	gap = j->bad_above - j->real;
	edge = x->wrap && j->bad_above == x->wrap && j->good_below < below_wrap &&
	       !in_keep(below_wrap, x->block, x->o->keep_off, x->o->keep_len);
	if (gap <= precision && !edge)
		return false;
	if (elapsed_since(&x->t0) > (x->o->thorough ? BUDGET_THOROUGH : BUDGET_QUICK))
		return false;
	offs = malloc((k + 1) * sizeof(*offs));
	if (!offs || !grow_samples(x, k + 1)) {
		free(offs);
		x->fatal = -ENOMEM;
		return false;
	}
	if (gap > precision)
		got = probe_plan_between(j->good_below, j->bad_above, x->block, k,
					 x->o->keep_off, x->o->keep_len, offs);
	if (edge && (!got || offs[got - 1] != below_wrap))
		offs[got++] = below_wrap;
	for (i = 0; i < got; i++)
		x->s[x->n + i] = (struct probe_sample){ .off = offs[i], .found = offs[i] };
	free(offs);
	got = off_the_fillers(x, x->s + x->n, got);
	if (!got)
		return false;
	if (x->o->pg)
		x->o->pg->total += got * x->block * (x->o->restore ? 4 : 2) +
				   FILLERS * x->fill_len;
	check_samples(x, x->n, x->n + got, false);
	x->n += got;
	qsort(x->s, x->n, sizeof(*x->s), cmp_sample);
	return !x->fatal;
}

static uint64_t random_u64(void)
{
	uint64_t v;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), 0) == sizeof(v))
		return v;
	clock_gettime(CLOCK_REALTIME, &ts);
	return mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid());
}

static int setup(struct probe_ctx *x)
{
	uint64_t *offs;
	size_t i;

	x->nonce = random_u64();
	x->rng = random_u64();
	x->buf = card_alloc_buffer(x->c, x->block);
	x->chunk = card_alloc_buffer(x->c, FILLER_CHUNK);
	if (!x->buf || !x->chunk)
		return -ENOMEM;
	x->n = probe_plan_sweep(x->c->size, x->block, x->o->thorough, x->rng,
				x->o->keep_off, x->o->keep_len, &offs);
	if (!offs)
		return -ENOMEM;
	x->s = calloc(x->n + 1, sizeof(*x->s));
	if (!x->s) {
		free(offs);
		return -ENOMEM;
	}
	x->cap = x->n + 1;
	for (i = 0; i < x->n; i++)
		x->s[i] = (struct probe_sample){ .off = offs[i], .found = offs[i] };
	free(offs);
	place_filler(x);
	x->n = off_the_fillers(x, x->s, x->n);
	return 0;
}

static void cleanup(struct probe_ctx *x)
{
	size_t i;

	for (i = 0; i < x->nsaved; i++)
		free(x->saved[i].data);
	free(x->saved);
	free(x->s);
	free(x->buf);
	free(x->chunk);
}

static void finish(struct probe_ctx *x, const struct probe_judgement *j)
{
	struct probe_result *r = x->r;

	r->samples = (unsigned)x->n;
	if (x->fatal) {
		/* No verdict: the sizes stay as announced. */
		r->verdict = x->fatal == -ECANCELED ? PROBE_CANCELLED :
			     card_errno_vanished(-x->fatal) ? PROBE_VANISHED : PROBE_IO_ERROR;
		if (!r->err)
			r->err = -x->fatal;
		return;
	}
	r->verdict = j->verdict;
	r->real = j->real;
	r->real_max = j->verdict == PROBE_FAKE ? j->bad_above : r->announced;
	r->first_bad = j->first_bad;
	r->bad = j->bad;
	r->bad_io = j->bad_io;
	r->bad_changed = j->bad_changed;
	r->wrap = x->wrap;
	xstrncpy(r->kind, j->kind, sizeof(r->kind));
	if (r->verdict == PROBE_IO_ERROR && !r->err)
		r->err = EIO;
}

int probe_card(struct card *c, const struct probe_opts *o, struct probe_result *r)
{
	struct probe_ctx x = { .c = c, .o = o, .r = r };
	struct probe_judgement j;
	unsigned rounds = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	r->announced = c->size;
	r->real = c->size;
	r->real_max = c->size;
	r->first_bad = c->size;
	x.block = c->align ? c->align : 4096;
	r->block_size = x.block;
	x.end = c->size / x.block * x.block;
	time_now(&x.t0);
	if (!c->writable || x.end < 2ULL * x.block) {
		r->verdict = PROBE_IO_ERROR;
		r->err = c->writable ? EINVAL : EBADF;
		return -r->err;
	}
	rc = setup(&x);
	if (rc) {
		cleanup(&x);
		r->verdict = PROBE_IO_ERROR;
		r->err = -rc;
		return rc;
	}
	if (o->pg)
		progress_begin(o->pg, o->thorough ? _("Probing the card") : _("Probing capacity"),
			       x.n * x.block * (o->restore ? 4 : 2) +
			       FILLERS * x.fill_len * (o->restore ? 3 : 1));

	check_samples(&x, 0, x.n, true);
	memset(&j, 0, sizeof(j));
	if (!x.fatal) {
		x.wrap = find_period(&x);
		judge(&x, &j);
		while (rounds++ < MAX_ROUNDS && narrow(&x, &j))
			judge(&x, &j);
	}
	/* Put the card back even when interrupted; not when it is gone. */
	if (o->restore && x.fatal == -ECANCELED && o->pg) {
		progress_end(o->pg, _("interrupted"));
		progress_begin(o->pg, _("Putting back"), saved_bytes(&x));
	}
	if (o->restore && !(x.fatal && card_errno_vanished(-x.fatal)))
		restore_all(&x);
	finish(&x, &j);
	r->seconds = elapsed_since(&x.t0);
	if (o->pg)
		progress_end(o->pg, "%s", r->verdict == PROBE_GOOD ? _("good") :
			     r->verdict == PROBE_FAKE ? "FAKE" :
			     r->verdict == PROBE_DAMAGED ? "DAMAGED" :
			     r->verdict == PROBE_CANCELLED && r->restored ? _("done") : _("failed"));
	cleanup(&x);
	if (r->verdict == PROBE_IO_ERROR || r->verdict == PROBE_VANISHED)
		return -r->err;
	if (r->verdict == PROBE_CANCELLED)
		return -ECANCELED;
	return 0;
}

/* ---- Words ------------------------------------------------------------------- */

const char *probe_verdict_name(enum probe_verdict v)
{
	switch (v) {
	case PROBE_GOOD:	return "good";
	case PROBE_FAKE:	return "fake";
	case PROBE_DAMAGED:	return "damaged";
	case PROBE_IO_ERROR:	return "io-error";
	case PROBE_VANISHED:	return "vanished";
	case PROBE_CANCELLED:	return "interrupted";
	}
	return "?";
}

char *probe_describe(const struct probe_result *r, char *buf, size_t len)
{
	char ann[32], real[32], at[32];

	size_to_human(r->announced, ann, sizeof(ann));
	size_to_human(r->real, real, sizeof(real));
	size_to_human(r->verdict == PROBE_DAMAGED ? r->first_bad : r->err_off, at, sizeof(at));
	switch (r->verdict) {
	case PROBE_GOOD:
		snprintf(buf, len, _("holds all of its %s (%u places checked)"), ann, r->samples);
		break;
	case PROBE_FAKE:
		snprintf(buf, len,
			 !strcmp(r->kind, "wrap") ?
			 _("announces %s, holds %s (data written past %s wraps around to the start)") :
			 !strcmp(r->kind, "zeros") ?
			 _("announces %s, holds %s (data written past %s is lost: it reads back as "
			   "zeros)") :
			 !strcmp(r->kind, "errors") ?
			 _("announces %s, holds %s (data written past %s fails with I/O errors)") :
			 _("announces %s, holds %s (data written past %s is lost: it reads back as "
			   "garbage)"), ann, real, real);
		break;
	case PROBE_DAMAGED:
		snprintf(buf, len, _("%s, but %u of the %u places checked lose or alter data "
				     "(%u I/O errors, %u with flipped bits), the first at %s"),
			 ann, r->bad, r->samples, r->bad_io, r->bad_changed, at);
		break;
	case PROBE_IO_ERROR:
		snprintf(buf, len, r->err_write ? _("the card failed while writing at %s: %s") :
			 _("the card failed while reading at %s: %s"), at, strerror(r->err));
		break;
	case PROBE_VANISHED:
		snprintf(buf, len, _("the card went away at %s (unplugged, or the reader reset): %s"),
			 at, strerror(r->err));
		break;
	case PROBE_CANCELLED:
		snprintf(buf, len, "%s", _("interrupted"));
		break;
	}
	return buf;
}

int probe_exit_code(const struct probe_result *r)
{
	switch (r->verdict) {
	case PROBE_GOOD:	return EXIT_OK;
	case PROBE_FAKE:	return EXIT_FAKE_CAPACITY;
	case PROBE_DAMAGED:	return EXIT_PROBE_DAMAGED;
	case PROBE_VANISHED:	return EXIT_VANISHED;
	case PROBE_CANCELLED:	return EXIT_INTERRUPTED;
	case PROBE_IO_ERROR:
		if (r->err == ENOMEM || r->err == EINVAL || r->err == EBADF)
			return EXIT_ERROR;
		return r->err_write ? EXIT_WRITE_ERROR : EXIT_READ_ERROR;
	}
	return EXIT_ERROR;
}
