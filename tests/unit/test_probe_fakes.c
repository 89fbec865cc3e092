/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The capacity probe against fake cards in memory: f3's unit-test
 * geometries (f3probe --debug-unit-test: good cards of several sizes, a dead
 * one, limbo, wrap-around, chain, with and without a cache of lost blocks)
 * and ours (zeros, garbage, flipped bits, I/O errors, a card that vanishes,
 * write caches), each in prepare's quick mode and in dloadcard probe's
 * thorough one, which puts back what it wrote: the verdict, the real size,
 * the wrap-around, and the medium byte for byte as before, also when the
 * probe is stopped in each of its phases.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "card/card.h"
#include "card/fake.h"
#include "card/probe.h"
#include "lib/exitcodes.h"
#include "lib/strutils.h"
#include "fakecard.h"
#include "tap.h"
#include "unpriv.h"

#define BLK 4096ULL
#define TiB (1024 * GiB)

/* The quick probe's precision, and the fillers that defeat caches (probe.c). */
#define QUICK_PRECISION MiB
#define FILLER_QUICK (4 * MiB)

enum expect { GOOD, FAKE, DEAD };

/* A row of f3's table: real size, announced size, wrap, cache. */
struct geometry {
	const char *name;
	uint64_t real, announced, wrap;
	uint64_t cache;		/* of lost blocks, bytes (f3: 2^cache_order blocks of 512) */
	bool strict;
	enum expect expect;
};

static const struct geometry f3_table[] = {
	{ "smallest good drive", 2 * MiB, 2 * MiB, 2 * MiB, 0, false, GOOD },
	{ "good 1 GiB drive", GiB, GiB, GiB, 0, false, GOOD },
	{ "bad drive", 0, GiB, GiB, 0, false, DEAD },
	{ "real limbo drive", 1777645568ULL, 32505331712ULL, 32 * GiB, 0, false, FAKE },
	{ "wraparound drive", 2 * GiB, 16 * GiB, 2 * GiB, 0, false, FAKE },
	{ "chain drive", 2 * GiB, 16 * GiB, 4 * GiB, 0, false, FAKE },
	{ "limbo drive of 1 MiB + 512", MiB + 512, TiB, TiB, 0, false, FAKE },
};

/* f3's rows with a cache: 256 MiB and 1 GiB of lost blocks. */
static const struct geometry f3_cached[] = {
	{ "real limbo drive, 256 MiB strict cache", 7600799744ULL, 67108864000ULL, 64 * GiB,
	  256 * MiB, true, FAKE },
	{ "real limbo drive, 256 MiB cache", 7600799744ULL, 67108864000ULL, 64 * GiB,
	  256 * MiB, false, FAKE },
	{ "devil drive I (strict cache of 1 GiB)", 0, TiB, TiB, GiB, true, DEAD },
	{ "devil drive II (cache of 1 GiB)", 0, TiB, TiB, GiB, false, DEAD },
};

static const char *mode_name(bool thorough)
{
	return thorough ? "thorough, putting back" : "quick";
}

static bool run(const struct fake_model *m, uint64_t size, bool thorough, bool *same,
		struct probe_result *r)
{
	struct probe_opts o = { .thorough = thorough, .restore = thorough };
	unsigned char before[32], after[32];
	struct card c;

	fakecard_open(&c, size, m);
	if (thorough && fakecard_fill(&c) != 0) {
		card_close(&c);
		return false;
	}
	fakecard_digest(&c, before);
	probe_card(&c, &o, r);
	fakecard_digest(&c, after);
	*same = !memcmp(before, after, sizeof(before));
	card_close(&c);
	return true;
}

static struct fake_model model_of(const struct geometry *g)
{
	struct fake_model m = {
		.fake_capacity = true, .real = g->real, .wrap = g->wrap,
		.lost_cache = g->cache, .lost_cache_strict = g->strict,
	};

	return m;
}

/* The real size found, as close as the mode promises: to the block when
 * thorough, to QUICK_PRECISION when quick, and always within [real, real_max]. */
static bool real_found(const struct probe_result *r, uint64_t truth, bool thorough)
{
	uint64_t blocks = truth / BLK * BLK;

	if (thorough && r->real != blocks)
		return false;
	return r->real <= truth && truth - r->real < QUICK_PRECISION + BLK &&
	       truth < r->real_max + BLK;
}

static void check_row(const struct geometry *g, bool thorough)
{
	struct fake_model m = model_of(g);
	const char *mode = mode_name(thorough);
	struct probe_result r;
	bool same;

	if (!run(&m, g->announced, thorough, &same, &r)) {
		skip(4, "no memory for the medium");
		return;
	}
	switch (g->expect) {
	case GOOD:
		ok(r.verdict == PROBE_GOOD && r.real == g->announced, "%s, %s: good, all of it",
		   g->name, mode);
		break;
	case DEAD:
		ok(r.verdict == PROBE_DAMAGED && r.real == 0, "%s, %s: damaged, nothing holds "
		   "(%s, real %" PRIu64 ")", g->name, mode, probe_verdict_name(r.verdict), r.real);
		break;
	case FAKE:
		ok(r.verdict == PROBE_FAKE && real_found(&r, g->real, thorough),
		   "%s, %s: fake, holding %" PRIu64 " (found %" PRIu64 " to %" PRIu64 ")",
		   g->name, mode, g->real, r.real, r.real_max);
		break;
	}
	if (g->expect == FAKE && g->wrap < g->announced)
		is_int(r.wrap, g->wrap, "... wrapping every %" PRIu64 " MiB", (uint64_t)(g->wrap / MiB));
	else
		is_int(r.wrap, 0, "... no wrap-around");
	ok(r.err == 0 && r.bad_io == 0, "... without an I/O error");
	if (thorough)
		ok(same && r.restored && r.changed == 0 && r.not_restored == 0,
		   "... the card as it was, byte for byte");
	else
		ok(r.samples > 0, "... %u places checked", r.samples);
}

/*
 * f3's rows with a cache of lost blocks larger than the probe's fillers
 * (4 MiB quick, 16 MiB thorough: probe.c): the probe does not write as much
 * as f3 does to empty such a cache.  What it does say: never good.
 */
static void check_big_cache(const struct geometry *g, bool thorough)
{
	struct fake_model m = model_of(g);
	struct probe_result r;
	bool same;

	if (!run(&m, g->announced, thorough, &same, &r)) {
		skip(2, "no memory for the medium");
		return;
	}
	ok(r.verdict == PROBE_FAKE || r.verdict == PROBE_DAMAGED, "%s, %s: refused (%s)",
	   g->name, mode_name(thorough), probe_verdict_name(r.verdict));
	todo_ok(g->expect == DEAD ? r.verdict == PROBE_DAMAGED && r.real == 0 :
		r.verdict == PROBE_FAKE && real_found(&r, g->real, thorough),
		"a cache larger than the probe's fillers", "... the real size (%" PRIu64 ", found %"
		PRIu64 ")", g->real, r.real);
	if (thorough)
		ok(same && r.restored, "... the card as it was, byte for byte");
}

/* The same rows with a cache the fillers cover: f3's verdicts. */
static void check_small_cache(const struct geometry *big, bool thorough)
{
	struct geometry g = *big;
	struct fake_model m;
	struct probe_result r;
	char name[128];
	bool same;

	g.cache = FILLER_QUICK / 2;
	snprintf(name, sizeof(name), "%s, but of 2 MiB", big->name);
	g.name = name;
	/* A slot that answers for any block it holds is storage while it
	 * holds it: within one run, a wrap-around of the cache's size. */
	if (g.expect == DEAD && !g.strict) {
		m = model_of(&g);
		if (!run(&m, g.announced, thorough, &same, &r)) {
			skip(2, "no memory for the medium");
			return;
		}
		ok(r.verdict == PROBE_FAKE && r.real <= g.cache && r.wrap == g.cache,
		   "%s, %s: fake, wrapping every 2 MiB (its cache)", g.name, mode_name(thorough));
		if (thorough)
			ok(same && r.restored, "... the card as it was, byte for byte");
		return;
	}
	check_row(&g, thorough);
}

/* A verdict of ours, both modes: kind, real size and the first bad block. */
struct case_ {
	const char *name;
	struct fake_model m;
	uint64_t size;
	enum probe_verdict verdict;
	const char *kind;
	uint64_t real, first_bad;
	bool putback;		/* the medium as it was after putting back */
};

static void check_case(const struct case_ *k, bool thorough)
{
	struct probe_result r;
	bool same;

	if (!run(&k->m, k->size, thorough, &same, &r)) {
		skip(3, "no memory for the medium");
		return;
	}
	ok(r.verdict == k->verdict && !strcmp(r.kind, k->kind), "%s, %s: %s (%s%s%s)", k->name,
	   mode_name(thorough), probe_verdict_name(k->verdict), probe_verdict_name(r.verdict),
	   *r.kind ? ", " : "", r.kind);
	if (k->verdict == PROBE_FAKE)
		ok(real_found(&r, k->real, thorough), "... holding %" PRIu64 " MiB (found %"
		   PRIu64 " to %" PRIu64 ")", (uint64_t)(k->real / MiB), r.real, r.real_max);
	else if (k->verdict == PROBE_GOOD)
		is_int(r.first_bad, k->size, "... no bad block (%u places)", r.samples);
	else
		is_int(r.first_bad, k->first_bad, "... the first bad block at %" PRIu64 " MiB",
		       (uint64_t)(k->first_bad / MiB));
	if (thorough && k->putback)
		ok(same && r.restored && r.changed == 0, "... the card as it was, byte for byte");
}

static void check_ours(void)
{
	const struct case_ cases[] = {
		{ "a good 64 GiB card", { 0 }, 64 * GiB, PROBE_GOOD, "", 0, 64 * GiB, true },
		{ "zeros past 1 GiB of 8", { .fake_capacity = true, .real = GiB }, 8 * GiB,
		  PROBE_FAKE, "zeros", GiB, 0, true },
		{ "garbage past 3 GiB of 32", { .fake_capacity = true, .real = 3 * GiB,
		  .lost_garbage = true }, 32 * GiB, PROBE_FAKE, "limbo", 3 * GiB, 0, true },
		{ "a wrap-around at 3 GiB of 8", { .fake_capacity = true, .real = 3 * GiB,
		  .wrap = 3 * GiB }, 8 * GiB, PROBE_FAKE, "wrap", 3 * GiB, 0, true },
		/* What a card that alters data gives the probe is what it puts
		 * back: the medium is not compared. */
		{ "bits flipped on read at 512 MiB + 100", { .flip_read = { 512 * MiB + 100, 1 } },
		  8 * GiB, PROBE_DAMAGED, "bad-blocks", 0, 512 * MiB, false },
		{ "bits flipped on write at 2 GiB + 4000", { .flip_write = { 2 * GiB + 4000, 8 } },
		  8 * GiB, PROBE_DAMAGED, "bad-blocks", 0, 2 * GiB, false },
		{ "EIO on read at 1 GiB + 10", { .eio_read = { GiB + 10, 1 } }, 8 * GiB,
		  PROBE_DAMAGED, "bad-blocks", 0, GiB, true },
		{ "EIO on write at 4 GiB - 4096", { .eio_write = { 4 * GiB - BLK, 1 } }, 8 * GiB,
		  PROBE_DAMAGED, "bad-blocks", 0, 4 * GiB - BLK, true },
		{ "a good card with a 1 MiB write cache", { .cache = MiB }, 8 * GiB, PROBE_GOOD,
		  "", 0, 8 * GiB, true },
		/* What such a cache holds at the end is lost with it, whatever
		 * is done: the medium is not compared. */
		{ "a good card whose 64 KiB write cache lies", { .cache = 64 * 1024,
		  .cache_lies = true }, 8 * GiB, PROBE_GOOD, "", 0, 8 * GiB, false },
		{ "zeros past 1 GiB of 8, with a 1 MiB write cache", { .fake_capacity = true,
		  .real = GiB, .cache = MiB }, 8 * GiB, PROBE_FAKE, "zeros", GiB, 0, true },
	};
	size_t i;
	int t;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (t = 0; t < 2; t++)
			check_case(&cases[i], t);
}

/* The card goes away halfway, after some stamps: no verdict. */
static void check_vanished(void)
{
	struct fake_model m = { .vanishes = true };
	struct probe_result r;
	bool same;
	int t;

	for (t = 0; t < 2; t++) {
		/* The thorough probe reads all it overwrites first. */
		m.vanish_after = t ? 4 * MiB : 100 * BLK;
		if (!run(&m, 8 * GiB, t, &same, &r)) {
			skip(3, "no memory for the medium");
			continue;
		}
		ok(r.verdict == PROBE_VANISHED && r.err == ENODEV, "a card that vanishes after "
		   "%s, %s: vanished (%s)", t ? "4 MiB" : "400 KiB", mode_name(t),
		   probe_verdict_name(r.verdict));
		is_int(probe_exit_code(&r), EXIT_VANISHED, "... exit 11");
		ok(!r.restored && (!t || r.changed > 0), "... %s", t ? "nothing could be put back, "
		   "and the blocks left changed are counted" : "nothing to put back");
	}
}

/* Where to stop the probe: the first request of a phase, by what the card sees. */
enum phase { SAVING, STAMPING, FILLING, FLUSHING, READING, NARROWING, PHASES };

static const char *const phase_names[PHASES] = {
	"while reading what it will overwrite", "while stamping", "while writing the filler",
	"at the flush", "while reading back", "in a narrowing round",
};

struct stopper {
	enum phase at;
	unsigned reads, writes, flushes;
	volatile sig_atomic_t stop;
};

static void stop_in_phase(void *arg, enum fake_op op, uint64_t off, size_t len)
{
	struct stopper *s = arg;
	bool now = false;

	(void)off;
	if (op == FAKE_FLUSH && s->flushes++ == 0)
		now = s->at == FLUSHING;
	if (op == FAKE_READ && ++s->reads == 20)
		now = s->at == SAVING && !s->writes;
	if (op == FAKE_READ && s->flushes == 1 && s->at == READING)
		now = true;
	if (op == FAKE_WRITE && ++s->writes) {
		now = (s->at == STAMPING && s->writes == 20 && len == BLK) ||
		      (s->at == FILLING && len == MiB) ||
		      (s->at == NARROWING && s->flushes == 1);
	}
	if (now && !s->stop)
		s->stop = SIGINT;
}

/* Stopped in each phase, the probe puts everything back first. */
static void check_cancel(void)
{
	struct stopper st;
	struct fake_model m = { .fake_capacity = true, .real = 3 * GiB + 5 * MiB,
				.on_io = stop_in_phase, .on_io_arg = &st };
	struct probe_opts o = { .thorough = true, .restore = true, .cancel = &st.stop };
	unsigned char before[32], after[32];
	struct probe_result r;
	struct card c;
	int rc;

	for (st.at = SAVING; st.at < PHASES; st.at++) {
		enum phase at = st.at;

		memset(&st, 0, sizeof(st));
		st.at = at;
		fakecard_open(&c, 8 * GiB, &m);
		if (fakecard_fill(&c) != 0) {
			skip(3, "no memory for the medium");
			card_close(&c);
			continue;
		}
		fakecard_digest(&c, before);
		rc = probe_card(&c, &o, &r);
		fakecard_digest(&c, after);
		card_close(&c);
		ok(st.stop && rc == -ECANCELED && r.verdict == PROBE_CANCELLED,
		   "stopped %s: interrupted", phase_names[at]);
		ok(r.restored && r.changed == 0 && r.not_restored == 0, "... everything put back");
		ok(!memcmp(before, after, sizeof(before)), "... the card as it was, byte for byte");
	}
}

int main(void)
{
	size_t i;
	int t;

	drop_privileges();
	for (t = 0; t < 2; t++) {
		for (i = 0; i < sizeof(f3_table) / sizeof(f3_table[0]); i++)
			check_row(&f3_table[i], t);
		for (i = 0; i < sizeof(f3_cached) / sizeof(f3_cached[0]); i++) {
			check_small_cache(&f3_cached[i], t);
			check_big_cache(&f3_cached[i], t);
		}
	}
	check_ours();
	check_vanished();
	check_cancel();
	return done_testing();
}
