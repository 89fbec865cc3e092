/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The probe's plan and judgement (see probe.h): where to write stamps, the
 * arithmetic of a wrap-around, and what a set of checked blocks means.
 * Pure: no I/O, so the unit tests run it on made-up samples.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "card/probe.h"
#include "card/probe_private.h"

/* Random slices sampled: one block in each. */
#define SLICES_QUICK	24
#define SLICE_THOROUGH	(16 * MiB)
#define SLICES_MIN	256
#define SLICES_MAX	4096

/* ---- Where to look ----------------------------------------------------- */

struct offsets {
	uint64_t *v;
	size_t n, cap;
	uint64_t end;		/* the card's size, whole blocks */
	unsigned block;
	uint64_t keep_off, keep_len;
};

static void add(struct offsets *o, uint64_t off)
{
	off = off / o->block * o->block;
	if (off + o->block > o->end || o->n == o->cap ||
	    in_keep(off, o->block, o->keep_off, o->keep_len))
		return;
	o->v[o->n++] = off;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static size_t sort_unique(uint64_t *v, size_t n)
{
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		if (!k || v[i] != v[k - 1])
			v[k++] = v[i];
	return k;
}

static size_t slice_count(uint64_t end, unsigned block, bool thorough)
{
	uint64_t n = SLICES_QUICK;

	if (thorough) {
		n = end / SLICE_THOROUGH;
		n = n < SLICES_MIN ? SLICES_MIN : n > SLICES_MAX ? SLICES_MAX : n;
	}
	return (size_t)(n < end / block ? n : end / block);
}

/*
 * Powers of two catch a wrap-around whatever its (power-of-two) period: the
 * block at 2^k lands on block 0, the block just below it on the block just
 * below 2^(k-1), and both wrap-around and loss show at the first 2^k past
 * the real size with the block below it still good.  1.5 x 2^k does the
 * same for periods of 3 x 2^j and halves the gap left to search.  The
 * random slices defeat a controller that only keeps the usual places.
 */
size_t probe_plan_sweep(uint64_t size, unsigned block, bool thorough, uint64_t seed,
			uint64_t keep_off, uint64_t keep_len, uint64_t **out)
{
	static const uint64_t tail[] = { 1, 2, 16, 256, 4096, 65536 };	/* in blocks */
	struct offsets o = { .block = block, .keep_off = keep_off, .keep_len = keep_len };
	uint64_t p, slice, rng = seed;
	size_t i, slices;

	*out = NULL;
	if (!block || size < block)
		return 0;
	o.end = size / block * block;
	slices = slice_count(o.end, block, thorough);
	o.cap = 1 + 64 * 8 + sizeof(tail) / sizeof(tail[0]) + slices;
	o.v = malloc(o.cap * sizeof(*o.v));
	if (!o.v)
		return 0;

	add(&o, 0);
	for (p = LOW_START; p < o.end && p <= UINT64_MAX / 2; p *= 2) {
		add(&o, p);
		add(&o, p - block);
		add(&o, p + p / 2);
		add(&o, p + p / 2 - block);
		if (thorough) {
			add(&o, p + p / 4);
			add(&o, p + p / 4 - block);
			add(&o, p + 3 * (p / 4));
			add(&o, p + 3 * (p / 4) - block);
		}
	}
	for (i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		if (tail[i] * block <= o.end)
			add(&o, o.end - tail[i] * block);

	slice = slices ? o.end / slices : 0;
	for (i = 0; i < slices && slice >= block; i++) {
		uint64_t first = (slice * i + block - 1) / block;
		uint64_t last = (slice * (i + 1)) / block;	/* exclusive */

		if (last > first)
			add(&o, (first + next_rand(&rng) % (last - first)) * block);
	}
	o.n = sort_unique(o.v, o.n);
	*out = o.v;
	return o.n;
}

size_t probe_plan_between(uint64_t lo, uint64_t hi, unsigned block, size_t n,
			  uint64_t keep_off, uint64_t keep_len, uint64_t *out)
{
	uint64_t gap, step, i, k = 0;

	if (!block || hi <= lo + block || !n)
		return 0;
	gap = (hi - lo) / block - 1;		/* blocks strictly between */
	if (gap <= n) {
		for (i = 1; i <= gap; i++)
			if (!in_keep(lo + i * block, block, keep_off, keep_len))
				out[k++] = lo + i * block;
		return (size_t)k;
	}
	step = (gap + 1) / (n + 1);		/* at least one block, since gap > n */
	for (i = 1; i <= n; i++) {
		uint64_t off = lo + i * step * block;

		if (off > lo && off < hi && (!k || off > out[k - 1]) &&
		    !in_keep(off, block, keep_off, keep_len))
			out[k++] = off;
	}
	return (size_t)k;
}

/* ---- Wrap-around arithmetic ---------------------------------------------- */

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * A block at P that reads the stamp written at Q shares its storage with Q,
 * so the wrap-around period divides P - Q; all such distances together
 * leave a multiple of it.
 */
uint64_t probe_alias_gcd(const struct probe_sample *s, size_t n)
{
	uint64_t g = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i].state == PROBE_S_ALIAS)
			g = gcd64(g, s[i].off > s[i].found ? s[i].off - s[i].found :
				  s[i].found - s[i].off);
	return g;
}

uint64_t probe_smallest_prime(uint64_t n)
{
	uint64_t d;

	if (n % 2 == 0)
		return 2;
	for (d = 3; d <= n / d; d += 2)
		if (n % d == 0)
			return d;
	return n;
}

/* ---- The judgement --------------------------------------------------------- */

/* Without an exact period, the aliases bound it: of two blocks that share
 * storage, the higher one is past the real size. */
static uint64_t alias_bound(const struct probe_sample *s, size_t n)
{
	uint64_t b = UINT64_MAX;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t hi = s[i].off > s[i].found ? s[i].off : s[i].found;

		if (s[i].state == PROBE_S_ALIAS && hi < b)
			b = hi;
	}
	return b;
}

static bool sample_bad(const struct probe_sample *s, uint64_t bound, unsigned block)
{
	if (bound != UINT64_MAX && s->off + block > bound)
		return true;		/* at or past the wrap-around */
	if (s->state == PROBE_S_ALIAS)
		/* Below the wrap, overwritten by a write from past it: its
		 * storage is real.  An alias of two blocks below it is not. */
		return !(bound != UINT64_MAX && s->found >= bound);
	return s->state != PROBE_S_GOOD;
}

static void suffix_kind(const struct probe_sample *s, size_t n, size_t from, bool wrap,
			char *kind, size_t len)
{
	size_t zeros = 0, io = 0, other = 0, i;

	if (wrap) {
		xstrncpy(kind, "wrap", len);
		return;
	}
	for (i = from; i < n; i++) {
		if (s[i].state == PROBE_S_ZEROS)
			zeros++;
		else if (s[i].state == PROBE_S_IOERR)
			io++;
		else
			other++;
	}
	if (zeros >= other && zeros >= io)
		xstrncpy(kind, "zeros", len);
	else if (io > other)
		xstrncpy(kind, "errors", len);
	else
		xstrncpy(kind, "limbo", len);
}

void probe_judge(const struct probe_sample *s, size_t n, uint64_t size, unsigned block,
		 uint64_t wrap, struct probe_judgement *j)
{
	uint64_t bound = wrap ? wrap : alias_bound(s, n);
	size_t i, last_good = n, suffix = n;

	memset(j, 0, sizeof(*j));
	j->real = size;
	j->first_bad = size;
	for (i = 0; i < n; i++) {
		if (!sample_bad(&s[i], bound, block)) {
			last_good = i;
			continue;
		}
		if (!j->bad++)
			j->first_bad = s[i].off;
		j->bad_io += s[i].state == PROBE_S_IOERR;
		j->bad_changed += s[i].state == PROBE_S_CHANGED;
	}
	if (!j->bad) {
		j->verdict = PROBE_GOOD;
		return;
	}
	if (last_good == n) {
		/* Nothing holds: a dead card rather than a small one. */
		j->verdict = j->bad_io == j->bad ? PROBE_IO_ERROR : PROBE_DAMAGED;
		j->real = 0;
		xstrncpy(j->kind, "bad-blocks", sizeof(j->kind));
		return;
	}
	/* Everything past the last good block bad: the card ends there. */
	for (i = last_good + 1; i < n; i++)
		if (sample_bad(&s[i], bound, block)) {
			suffix = i;
			break;
		}
	if (suffix == n) {
		j->verdict = PROBE_DAMAGED;
		xstrncpy(j->kind, "bad-blocks", sizeof(j->kind));
		return;
	}
	j->verdict = PROBE_FAKE;
	j->good_below = s[last_good].off;
	j->bad_above = s[suffix].off;
	if (bound < j->bad_above)
		j->bad_above = bound;	/* past the wrap is bad, sampled or not */
	j->real = s[last_good].off + block;
	suffix_kind(s, n, suffix, bound != UINT64_MAX, j->kind, sizeof(j->kind));
}
