/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CARD_PROBE_H
#define DLOADCARD_CARD_PROBE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/card.h"
#include "lib/progress.h"

/*
 * The capacity probe: does the card keep what is written anywhere on it?
 *
 * Fake cards announce more than they hold.  What is written past the real
 * size either wraps around onto lower addresses (the controller ignores the
 * high address bits) or is lost (it reads back as zeros or as garbage).
 * The probe writes position-stamped blocks at a few hundred places spread
 * over the whole card (the last blocks, powers of two and their neighbours,
 * random places), pushes the card's write cache and a fake's cache of lost
 * blocks out, reads them all back past the page cache, and reasons about
 * what each block holds:
 *
 *   its own stamp                     good
 *   the stamp of another position     the two are one physical block: wrap
 *   zeros, garbage, an old stamp      the write was lost: limbo
 *   its own stamp with bits flipped   damaged
 *
 * Then it narrows the boundary between good and bad with more stamps, and
 * for a wrap-around finds the exact period with reads only.
 *
 * Quick mode (prepare's, the default) costs a few hundred 4 KiB I/Os; the
 * thorough mode (dloadcard probe) also samples one block in every 16 MiB of
 * the card for damage and narrows the real size to the block.
 *
 * With restore, every block is read before it is written and written back
 * at the end (last written, first restored), so the card is left as found.
 */

enum probe_verdict {
	PROBE_GOOD,
	PROBE_FAKE,		/* holds less than it announces */
	PROBE_DAMAGED,		/* loses or alters data inside its capacity */
	PROBE_IO_ERROR,		/* the card failed so that nothing could be judged */
	PROBE_VANISHED,		/* the card went away */
	PROBE_CANCELLED,	/* *cancel was set */
};

struct probe_opts {
	bool thorough;
	bool restore;			/* save every block written and put it back */
	uint64_t keep_off, keep_len;	/* never written (len 0: none); a wrap-around
					 * can still land there unless restore */
	struct progress *pg;		/* or NULL */
	volatile sig_atomic_t *cancel;	/* or NULL */
};

struct probe_result {
	enum probe_verdict verdict;
	uint64_t announced;		/* the card's size */
	uint64_t real;			/* FAKE: bytes from 0 proven to hold data;
					 * otherwise the announced size */
	uint64_t real_max;		/* FAKE: the first bad block above it, so that the
					 * real size is in [real, real_max]; else announced */
	uint64_t first_bad;		/* the lowest block that failed; announced if none */
	uint64_t wrap;			/* the wrap-around period when found exactly, or 0 */
	char kind[16];			/* FAKE: "wrap", "limbo", "zeros", "errors";
					 * DAMAGED: "bad-blocks"; else "" */
	unsigned block_size;		/* the unit of every I/O */
	unsigned samples;		/* blocks checked */
	unsigned bad;			/* of which failed (past the real size included) */
	unsigned bad_io, bad_changed;	/* of which by I/O error, by flipped bits */
	unsigned blocks_written, blocks_read;	/* I/Os, in block_size units */
	bool restored;			/* restore mode: every block written was put back */
	unsigned not_restored;		/* blocks that could not be put back */
	unsigned changed;		/* restore mode, as it goes: blocks written and
					 * not put back yet (what a kill leaves) */
	int err;			/* errno of the first I/O failure, or 0 */
	uint64_t err_off;
	bool err_write;			/* ... while writing */
	double seconds;
};

/*
 * Probe the card (opened with CARD_WRITE).  Returns 0 with a verdict of GOOD,
 * FAKE or DAMAGED; otherwise -errno (-ECANCELED when cancelled) with the
 * verdict IO_ERROR, VANISHED or CANCELLED and err, err_off set.  Never prints
 * except through o->pg.
 */
int probe_card(struct card *c, const struct probe_opts *o, struct probe_result *r);

const char *probe_verdict_name(enum probe_verdict v);	/* "good", "fake", ... */

/* One line: "announces 64.0 GiB, holds 4.0 GiB (data written past ...)". */
char *probe_describe(const struct probe_result *r, char *buf, size_t len);

/* The exit code for a verdict: EXIT_OK, EXIT_FAKE_CAPACITY, ... */
int probe_exit_code(const struct probe_result *r);

/* ---- The pure parts, exported for the unit tests ---------------------- */

/*
 * Every 512-byte sector of a stamped block says where it was written: a
 * magic, its own byte offset, the run's nonce, a payload that depends on
 * both (no two sectors alike, so a controller cannot deduplicate or guess
 * them), and a checksum.  A block is judged sector by sector, so that a
 * partial write or a block that straddles the real end is seen.
 */
#define PROBE_SECTOR 512

enum probe_state {
	PROBE_S_UNKNOWN,
	PROBE_S_GOOD,		/* its own stamp */
	PROBE_S_ALIAS,		/* another position's stamp of this run: *found */
	PROBE_S_ZEROS,		/* zeros (or 0xff, erased flash) */
	PROBE_S_GARBAGE,	/* anything else: an old stamp, stale data */
	PROBE_S_TORN,		/* part its own stamp, part something else */
	PROBE_S_CHANGED,	/* its own stamp with bits flipped */
	PROBE_S_IOERR,		/* the write or the read failed */
};

/* Stamp len bytes (a multiple of PROBE_SECTOR) written at card offset off. */
void probe_stamp_fill(void *buf, size_t len, uint64_t off, uint64_t nonce);

/*
 * What a block read at off holds.  For PROBE_S_ALIAS, *found is the offset
 * it was written at; otherwise off.
 */
enum probe_state probe_stamp_check(const void *buf, size_t len, uint64_t off, uint64_t nonce,
				   uint64_t *found);

/* One checked block. */
struct probe_sample {
	uint64_t off;
	uint64_t found;		/* PROBE_S_ALIAS: where its content was written */
	enum probe_state state;
};

/*
 * The blocks the first pass writes: offset 0, every power of two (and 1.5
 * times it) from 1 MiB with the block just below, the last blocks, and
 * random ones, one in each of the card's equal slices (more slices when
 * thorough).  Block-aligned, inside [0, size), outside the keep range,
 * sorted and unique.  Returns the count; *out is malloc'ed (NULL on ENOMEM).
 */
size_t probe_plan_sweep(uint64_t size, unsigned block, bool thorough, uint64_t seed,
			uint64_t keep_off, uint64_t keep_len, uint64_t **out);

/*
 * Up to n block offsets evenly spread strictly between lo and hi (both
 * block-aligned) and outside the keep range.  Returns how many.
 */
size_t probe_plan_between(uint64_t lo, uint64_t hi, unsigned block, size_t n,
			  uint64_t keep_off, uint64_t keep_len, uint64_t *out);

/* The gcd of the distances between the blocks found aliased: a multiple of
 * the wrap-around period, or 0 when there is no alias. */
uint64_t probe_alias_gcd(const struct probe_sample *s, size_t n);

/* The smallest prime factor of n (n >= 2), n when it is prime. */
uint64_t probe_smallest_prime(uint64_t n);

/* The judgement of a set of checked blocks. */
struct probe_judgement {
	enum probe_verdict verdict;	/* GOOD, FAKE, DAMAGED or IO_ERROR */
	uint64_t real;
	uint64_t first_bad;
	uint64_t good_below;		/* FAKE: the highest good block below the boundary */
	uint64_t bad_above;		/* FAKE: the lowest bad block of the boundary */
	char kind[16];
	unsigned bad, bad_io, bad_changed;
};

/*
 * Judge samples sorted by offset.  wrap is the exact wrap-around period, or
 * 0: then the aliases themselves bound it.  Blocks at or past the wrap are
 * bad whatever they read; a block below it that reads another's stamp was
 * only overwritten through the wrap, and is good.
 */
void probe_judge(const struct probe_sample *s, size_t n, uint64_t size, unsigned block,
		 uint64_t wrap, struct probe_judgement *j);

#endif
