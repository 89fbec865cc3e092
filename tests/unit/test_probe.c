/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The capacity probe's pure parts: stamps, where it looks, wrap arithmetic,
 * and the judgement of what it read back; and a probe stopped halfway on an
 * image file, which puts every block back. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card/card.h"
#include "card/probe.h"
#include "lib/exitcodes.h"
#include "lib/strutils.h"
#include "tap.h"

#define BLK 4096u
#define NONCE 0x1234567890abcdefULL

static unsigned char blk[BLK], half[BLK];

static enum probe_state check_at(uint64_t off, uint64_t *found)
{
	return probe_stamp_check(blk, BLK, off, NONCE, found);
}

static void test_stamps(void)
{
	uint64_t found = 0;
	size_t i;

	probe_stamp_fill(blk, BLK, 3 * GiB, NONCE);
	is_int(check_at(3 * GiB, &found), PROBE_S_GOOD, "a stamp reads back as good where written");
	is_int(found, 3 * GiB, "... and names its own place");

	is_int(check_at(7 * GiB, &found), PROBE_S_ALIAS,
	       "the same block read at another place is an alias");
	is_int(found, 3 * GiB, "... which names where it was written");

	is_int(probe_stamp_check(blk, BLK, 3 * GiB, NONCE + 1, &found), PROBE_S_GARBAGE,
	       "a stamp of another run is stale data, not a good block");

	memcpy(half, blk, BLK);
	probe_stamp_fill(blk, BLK, 3 * GiB + BLK, NONCE);
	ok(memcmp(half, blk, PROBE_SECTOR) != 0, "neighbouring blocks differ");
	for (i = 1; i < BLK / PROBE_SECTOR; i++)
		if (!memcmp(blk, blk + i * PROBE_SECTOR, PROBE_SECTOR))
			break;
	is_int(i, BLK / PROBE_SECTOR, "no two sectors of a block are alike");

	memset(blk, 0, BLK);
	is_int(check_at(0, &found), PROBE_S_ZEROS, "zeros read back as zeros");
	memset(blk, 0xff, BLK);
	is_int(check_at(0, &found), PROBE_S_ZEROS, "erased flash (0xff) counts as zeros");

	for (i = 0; i < BLK; i++)
		blk[i] = (unsigned char)(i * 131 + 7);
	is_int(check_at(0, &found), PROBE_S_GARBAGE, "other data is garbage");

	probe_stamp_fill(blk, BLK, 5 * MiB, NONCE);
	blk[100] ^= 0x10;
	is_int(check_at(5 * MiB, &found), PROBE_S_CHANGED, "one flipped bit: changed");
	probe_stamp_fill(blk, BLK, 5 * MiB, NONCE);
	for (i = 0; i < BLK; i++)
		blk[i] ^= 0x01;
	is_int(check_at(5 * MiB, &found), PROBE_S_CHANGED,
	       "every byte XOR 0x01 (the simulator's flips): changed");

	probe_stamp_fill(blk, BLK, 5 * MiB, NONCE);
	memset(blk + BLK / 2, 0, BLK / 2);
	is_int(check_at(5 * MiB, &found), PROBE_S_TORN, "half written, half zeros: torn");

	probe_stamp_fill(blk, BLK / 2, 5 * MiB, NONCE);
	probe_stamp_fill(blk + BLK / 2, BLK / 2, BLK / 2, NONCE);
	is_int(check_at(5 * MiB, &found), PROBE_S_TORN,
	       "half its own, half wrapped from elsewhere: torn");

	probe_stamp_fill(blk, BLK, 1 * GiB, NONCE);
	blk[PROBE_SECTOR * 3 + 9] ^= 0x80;	/* the offset field */
	is_int(check_at(1 * GiB, &found), PROBE_S_CHANGED,
	       "a flipped bit in a sector's offset field is still a change of its own stamp");
}

static bool sorted_aligned(const uint64_t *v, size_t n, uint64_t size)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] % BLK || v[i] + BLK > size || (i && v[i] <= v[i - 1]))
			return false;
	return true;
}

static bool has(const uint64_t *v, size_t n, uint64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == off)
			return true;
	return false;
}

static void test_plan(void)
{
	uint64_t *v, size = 64 * GiB, out[64], slice;
	size_t n, i, j;
	bool every;

	n = probe_plan_sweep(size, BLK, false, 42, 0, 0, &v);
	ok(v != NULL, "a quick plan for 64 GiB");
	ok(n >= 60 && n <= 150, "... of %zu blocks: a few I/Os", n);
	ok(sorted_aligned(v, n, size), "... sorted, unique, block-aligned, inside the card");
	ok(has(v, n, 0) && has(v, n, 4 * GiB) && has(v, n, 4 * GiB - BLK) &&
	   has(v, n, 6 * GiB) && has(v, n, 32 * GiB) && has(v, n, 48 * GiB - BLK),
	   "... with block 0, powers of two, 1.5 x them, and the blocks below");
	ok(has(v, n, size - BLK) && has(v, n, size - 2 * BLK) && has(v, n, size - MiB),
	   "... and the very last blocks");
	free(v);

	n = probe_plan_sweep(size, BLK, false, 42, 4 * GiB - BLK, 2 * BLK, &v);
	ok(!has(v, n, 4 * GiB) && !has(v, n, 4 * GiB - BLK) && has(v, n, 8 * GiB),
	   "the keep range is never planned");
	free(v);

	n = probe_plan_sweep(size, BLK, true, 7, 0, 0, &v);
	ok(n > 4096 && n < 4096 + 600, "a thorough plan for 64 GiB: %zu blocks", n);
	slice = size / 4096;
	every = true;
	for (i = 0, j = 0; i < 4096 && every; i++) {
		while (j < n && v[j] < slice * i)
			j++;
		every = j < n && v[j] < slice * (i + 1);
	}
	ok(every, "... one in every 16 MiB at least");
	free(v);

	n = probe_plan_sweep(3 * MiB, BLK, false, 1, 0, 0, &v);
	ok(n > 0 && sorted_aligned(v, n, 3 * MiB), "a 3 MiB card still gets a plan (%zu)", n);
	free(v);
	n = probe_plan_sweep(100, BLK, false, 1, 0, 0, &v);
	is_int(n, 0, "a card smaller than a block gets none");
	free(v);

	n = probe_plan_between(4 * GiB, 8 * GiB, BLK, 15, 0, 0, out);
	is_int(n, 15, "15 candidates between 4 and 8 GiB");
	ok(sorted_aligned(out, n, 8 * GiB) && out[0] > 4 * GiB && out[n - 1] < 8 * GiB,
	   "... strictly inside, sorted, aligned");
	ok(out[7] >= 6 * GiB - 64 * MiB && out[7] <= 6 * GiB,
	   "... evenly spread (the middle one at %.2f GiB)", (double)out[7] / GiB);
	n = probe_plan_between(4 * GiB, 4 * GiB + 5 * BLK, BLK, 15, 0, 0, out);
	is_int(n, 4, "a gap of 4 blocks: all 4 of them");
	n = probe_plan_between(4 * GiB, 4 * GiB + BLK, BLK, 15, 0, 0, out);
	is_int(n, 0, "adjacent blocks: nothing between");
	n = probe_plan_between(0, 64 * BLK, BLK, 15, 8 * BLK, 48 * BLK, out);
	for (i = 0; i < n; i++)
		if (out[i] >= 8 * BLK && out[i] < 56 * BLK)
			break;
	ok(n > 0 && i == n, "candidates avoid the keep range");
}

static void test_wrap_math(void)
{
	struct probe_sample s[] = {
		{ 0, 32 * GiB, PROBE_S_ALIAS },
		{ 2 * GiB, 2 * GiB, PROBE_S_GOOD },
		{ 4 * GiB, 32 * GiB, PROBE_S_ALIAS },
		{ 6 * GiB, 2 * GiB, PROBE_S_ALIAS },
		{ 32 * GiB, 32 * GiB, PROBE_S_GOOD },
	};
	struct probe_sample odd[] = {
		{ 1 * GiB, 7 * GiB, PROBE_S_ALIAS },	/* 3 GiB period */
		{ 4 * GiB, 7 * GiB, PROBE_S_ALIAS },
	};

	is_int(probe_alias_gcd(s, 5), 4 * GiB, "a 4 GiB wrap: the aliases' gcd is 4 GiB");
	is_int(probe_alias_gcd(odd, 2), 3 * GiB, "a 3 GiB wrap: 3 GiB");
	is_int(probe_alias_gcd(s + 1, 1), 0, "no alias, no gcd");
	is_int(probe_smallest_prime(1 << 20), 2, "smallest prime of 2^20");
	is_int(probe_smallest_prime(3 * 5 * 7), 3, "of 105");
	is_int(probe_smallest_prime(786433), 786433, "a prime is its own");
	is_int(probe_smallest_prime(786433ULL * 786433ULL), 786433, "the square of a prime");
}

static void test_judge(void)
{
	struct probe_sample good[] = {
		{ 0, 0, PROBE_S_GOOD }, { 1 * GiB, 1 * GiB, PROBE_S_GOOD },
		{ 8 * GiB - BLK, 8 * GiB - BLK, PROBE_S_GOOD },
	};
	/* 8 GiB announced, 1 GiB real, wrapping: 4 GiB was written last. */
	struct probe_sample wrap[] = {
		{ 0, 4 * GiB, PROBE_S_ALIAS },
		{ 512 * MiB, 512 * MiB, PROBE_S_GOOD },
		{ 1 * GiB - BLK, 1 * GiB - BLK, PROBE_S_GOOD },
		{ 1 * GiB, 4 * GiB, PROBE_S_ALIAS },
		{ 2 * GiB, 4 * GiB, PROBE_S_ALIAS },
		{ 3 * GiB, 3 * GiB, PROBE_S_GOOD },	/* alone on its block: looks good */
		{ 4 * GiB, 4 * GiB, PROBE_S_GOOD },	/* the last writer */
		{ 8 * GiB - BLK, 1 * GiB - BLK, PROBE_S_ALIAS },
	};
	struct probe_sample zeros[] = {
		{ 0, 0, PROBE_S_GOOD }, { 1 * GiB - BLK, 1 * GiB - BLK, PROBE_S_GOOD },
		{ 1 * GiB, 1 * GiB, PROBE_S_ZEROS }, { 2 * GiB, 2 * GiB, PROBE_S_ZEROS },
		{ 8 * GiB - BLK, 8 * GiB - BLK, PROBE_S_ZEROS },
	};
	struct probe_sample limbo[] = {
		{ 0, 0, PROBE_S_GOOD }, { 3 * GiB, 3 * GiB, PROBE_S_GOOD },
		{ 4 * GiB, 4 * GiB, PROBE_S_GARBAGE }, { 5 * GiB, 5 * GiB, PROBE_S_TORN },
		{ 8 * GiB - BLK, 8 * GiB - BLK, PROBE_S_GARBAGE },
	};
	struct probe_sample damaged[] = {
		{ 0, 0, PROBE_S_GOOD }, { 2 * GiB, 2 * GiB, PROBE_S_IOERR },
		{ 3 * GiB, 3 * GiB, PROBE_S_CHANGED }, { 4 * GiB, 4 * GiB, PROBE_S_GOOD },
		{ 8 * GiB - BLK, 8 * GiB - BLK, PROBE_S_GOOD },
	};
	struct probe_sample dead[] = {
		{ 0, 0, PROBE_S_IOERR }, { 4 * GiB, 4 * GiB, PROBE_S_IOERR },
	};
	struct probe_sample errors[] = {
		{ 0, 0, PROBE_S_GOOD }, { 2 * GiB, 2 * GiB, PROBE_S_IOERR },
		{ 8 * GiB - BLK, 8 * GiB - BLK, PROBE_S_IOERR },
	};
	struct probe_judgement j;

	probe_judge(good, 3, 8 * GiB, BLK, 0, &j);
	is_int(j.verdict, PROBE_GOOD, "all good: good");
	is_int(j.real, 8 * GiB, "... real is the announced size");
	is_int(j.first_bad, 8 * GiB, "... no first bad block");

	probe_judge(wrap, 8, 8 * GiB, BLK, 1 * GiB, &j);
	is_int(j.verdict, PROBE_FAKE, "wrap at 1 GiB: fake");
	is_str(j.kind, "wrap", "... by wrap-around");
	is_int(j.real, 1 * GiB, "... holding 1 GiB: block 0, overwritten through the wrap, is good");
	is_int(j.first_bad, 1 * GiB, "... the first bad block at 1 GiB");
	is_int(j.bad, 5, "... every block past it bad, even those that read their own stamp");

	probe_judge(wrap, 8, 8 * GiB, BLK, 0, &j);
	is_int(j.verdict, PROBE_FAKE, "the same without the exact period: fake");
	ok(j.real > 512 * MiB && j.real <= 4 * GiB,
	   "... the aliases bound the real size from above (%.2f GiB)", (double)j.real / GiB);

	probe_judge(zeros, 5, 8 * GiB, BLK, 0, &j);
	is_int(j.verdict, PROBE_FAKE, "zeros past 1 GiB: fake");
	is_str(j.kind, "zeros", "... reading back zeros");
	is_int(j.real, 1 * GiB, "... holding 1 GiB");
	is_int(j.good_below, 1 * GiB - BLK, "... the last good block below");
	is_int(j.bad_above, 1 * GiB, "... the first bad one above");

	probe_judge(limbo, 5, 8 * GiB, BLK, 0, &j);
	is_int(j.verdict, PROBE_FAKE, "garbage past 3 GiB: fake");
	is_str(j.kind, "limbo", "... limbo");
	is_int(j.real, 3 * GiB + BLK, "... proven good to the last good block");

	probe_judge(damaged, 5, 8 * GiB, BLK, 0, &j);
	is_int(j.verdict, PROBE_DAMAGED, "bad blocks with good ones above: damaged");
	is_str(j.kind, "bad-blocks", "... bad blocks");
	is_int(j.bad, 2, "... two of them");
	is_int(j.bad_io, 1, "... one an I/O error");
	is_int(j.bad_changed, 1, "... one with flipped bits");
	is_int(j.first_bad, 2 * GiB, "... the first at 2 GiB");
	is_int(j.real, 8 * GiB, "... the capacity is real");

	probe_judge(dead, 2, 8 * GiB, BLK, 0, &j);
	is_int(j.verdict, PROBE_IO_ERROR, "nothing but I/O errors: an I/O error, not a verdict");

	probe_judge(errors, 3, 8 * GiB, BLK, 0, &j);
	is_int(j.verdict, PROBE_FAKE, "I/O errors from 2 GiB to the end: fake");
	is_str(j.kind, "errors", "... failing with errors");
}

static void test_words(void)
{
	struct probe_result r = {
		.verdict = PROBE_FAKE, .announced = 64 * GiB, .real = 4 * GiB,
		.first_bad = 4 * GiB, .kind = "wrap",
	};
	char buf[512];

	is_str(probe_describe(&r, buf, sizeof(buf)),
	       "announces 64.0 GiB, holds 4.0 GiB (data written past 4.0 GiB wraps around to "
	       "the start)", "a wrap-around, in words");
	is_int(probe_exit_code(&r), EXIT_FAKE_CAPACITY, "fake: exit 10");
	r.verdict = PROBE_DAMAGED;
	is_int(probe_exit_code(&r), EXIT_PROBE_DAMAGED, "damaged: exit 24");
	r.verdict = PROBE_GOOD;
	is_int(probe_exit_code(&r), EXIT_OK, "good: exit 0");
	r.verdict = PROBE_IO_ERROR;
	r.err = EIO;
	r.err_write = true;
	is_int(probe_exit_code(&r), EXIT_WRITE_ERROR, "failed writing: exit 7");
	r.err_write = false;
	is_int(probe_exit_code(&r), EXIT_READ_ERROR, "failed reading: exit 8");
	r.verdict = PROBE_VANISHED;
	is_int(probe_exit_code(&r), EXIT_VANISHED, "gone: exit 11");
	r.verdict = PROBE_CANCELLED;
	is_int(probe_exit_code(&r), EXIT_INTERRUPTED, "interrupted: exit 130");
	is_str(probe_verdict_name(PROBE_FAKE), "fake", "verdict names for JSON");
}

/* The stop comes as it does from guard.c: a flag set while the probe runs. */
static volatile sig_atomic_t stop;
static const struct probe_result *live;
static unsigned updates, changed_at_stop;

static void stop_midway(void *arg, const struct progress *p, enum progress_event ev)
{
	(void)arg;
	(void)p;
	/* About 300 places: the 400th I/O is in the middle of the stamping. */
	if (ev == PROGRESS_UPDATE && ++updates == 400) {
		changed_at_stop = live->changed;
		stop = SIGINT;
	}
}

static void test_interrupted(void)
{
	enum { SIZE = 64 << 20 };
	char path[] = "/tmp/dloadcard-probe.XXXXXX";
	unsigned char *before = malloc(SIZE), *after = malloc(SIZE);
	struct probe_opts o = { .thorough = true, .restore = true, .cancel = &stop };
	struct probe_result r;
	struct progress pg;
	struct card c;
	size_t i;
	int fd = mkstemp(path);

	if (fd < 0 || !before || !after) {
		skip(7, "no temporary image");
		goto out;
	}
	for (i = 0; i < SIZE; i++)
		before[i] = (unsigned char)(i * 131 + (i >> 12));
	if (pwrite(fd, before, SIZE, 0) != SIZE ||
	    card_open(&c, path, CARD_WRITE, 0, NULL) != 0) {
		skip(7, "cannot write a 64 MiB image");
		goto out;
	}
	progress_init(&pg, NULL, NULL);
	pg.sink = stop_midway;
	o.pg = &pg;
	live = &r;
	is_int(probe_card(&c, &o, &r), -ECANCELED, "stopped halfway: the probe says so");
	ok(r.verdict == PROBE_CANCELLED, "stopped halfway: verdict interrupted");
	ok(changed_at_stop > 0, "stopped halfway: %u blocks were changed then", changed_at_stop);
	ok(r.restored && r.not_restored == 0, "stopped halfway: everything was put back");
	is_int(r.changed, 0, "stopped halfway: no block is left changed");
	card_close(&c);
	ok(pread(fd, after, SIZE, 0) == SIZE && memcmp(before, after, SIZE) == 0,
	   "stopped halfway: the image is byte for byte as before");
	is_int(probe_exit_code(&r), EXIT_INTERRUPTED, "stopped halfway: exit 130");
out:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	free(before);
	free(after);
}

int main(void)
{
	test_stamps();
	test_plan();
	test_wrap_math();
	test_judge();
	test_words();
	test_interrupted();
	return done_testing();
}
