/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The fake cards themselves: each model does what fake.h says, through the
 * card interface, and leaves on the medium what a card of that kind would;
 * fakes stack on a card in memory, on an image file and on each other.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "card/card.h"
#include "card/fake.h"
#include "lib/strutils.h"
#include "tap.h"
#include "unpriv.h"

#define BLK 4096

static unsigned char *buf, *want;

static void pattern(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 131 + seed + (i >> 9));
}

/* What the medium below every model holds (the tools' view). */
static bool medium_is(struct card *c, uint64_t off, const unsigned char *data, size_t n)
{
	unsigned char *m = malloc(n);
	bool same = m && pread(c->fd, m, n, (off_t)off) == (ssize_t)n && !memcmp(m, data, n);

	free(m);
	return same;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static struct fake_stats stats(struct card *c)
{
	struct fake_stats st = { 0 };

	fake_get_stats(c, &st);
	return st;
}

static void open_fake(struct card *c, uint64_t size, const struct fake_model *m)
{
	struct errmsg e;

	if (fake_open(c, size, m, &e) != 0) {
		printf("Bail out! %s\n", e.text);
		exit(1);
	}
}

static void test_good(void)
{
	struct card c;

	open_fake(&c, 64 * MiB, NULL);
	is_int(c.size, 64 * MiB, "an in-memory card of 64 MiB");
	ok(c.sector_size == 512 && c.align == BLK && c.writable, "... 512-byte sectors, "
	   "4 KiB O_DIRECT alignment, writable");
	pattern(want, MiB, 1);
	is_int(card_pwrite_direct(&c, want, MiB, 8 * MiB), 0, "... a direct write");
	is_int(card_pread_direct(&c, buf, MiB, 8 * MiB), 0, "... a direct read");
	ok(!memcmp(buf, want, MiB), "... gives back what was written");
	ok(medium_is(&c, 8 * MiB, want, MiB), "... which is on the medium");
	is_int(card_pread(&c, buf, BLK, 63 * MiB), 0, "... the rest reads");
	ok(all_zero(buf, BLK), "... as zeros");
	is_int(card_pread(&c, buf, BLK, 64 * MiB), -EIO, "reading past the end fails");
	ok(!card_gone(&c), "... and the card is still there");
	ok(!strncmp(c.path, "/proc/self/fd/", 14), "its name is its descriptor's (%s)", c.path);
	card_close(&c);
	is_int(c.fd, -1, "closed");
}

static void test_capacity(void)
{
	struct fake_model wrap = { .fake_capacity = true, .real = 16 * MiB, .wrap = 16 * MiB };
	struct fake_model zeros = { .fake_capacity = true, .real = 16 * MiB };
	struct fake_model limbo = { .fake_capacity = true, .real = 16 * MiB, .lost_garbage = true };
	unsigned char *again = malloc(BLK);
	struct card c;

	open_fake(&c, 64 * MiB, &wrap);
	pattern(want, BLK, 2);
	card_pwrite_direct(&c, want, BLK, 40 * MiB);
	card_pread_direct(&c, buf, BLK, 8 * MiB);
	ok(!memcmp(buf, want, BLK), "wrap at 16 MiB: written at 40 MiB, read at 8 MiB");
	ok(medium_is(&c, 8 * MiB, want, BLK), "... where the medium has it");
	is_int(stats(&c).wrapped, BLK, "... counted as wrapped");
	card_close(&c);

	open_fake(&c, 64 * MiB, &zeros);
	card_pwrite_direct(&c, want, BLK, 40 * MiB);
	card_pread_direct(&c, buf, BLK, 40 * MiB);
	ok(all_zero(buf, BLK), "zeros past 16 MiB: what is written there reads as zeros");
	is_int(stats(&c).lost, BLK, "... lost");
	card_close(&c);

	open_fake(&c, 64 * MiB, &limbo);
	card_pwrite_direct(&c, want, BLK, 40 * MiB);
	card_pread_direct(&c, buf, BLK, 40 * MiB);
	card_pread_direct(&c, again, BLK, 40 * MiB);
	ok(!all_zero(buf, BLK) && memcmp(buf, want, BLK) != 0,
	   "limbo past 16 MiB: what is written there reads as garbage");
	ok(!memcmp(buf, again, BLK), "... the same garbage each time");
	card_pread_direct(&c, again, BLK, 44 * MiB);
	ok(memcmp(buf, again, BLK) != 0, "... and other garbage elsewhere");
	card_close(&c);
	free(again);
}

/* f3's cache of lost sectors: a fake looks good to a probe that reads at once. */
static void test_lost_cache(void)
{
	struct fake_model m = { .fake_capacity = true, .real = 16 * MiB, .lost_cache = 64 * 1024,
				.lost_cache_strict = true };
	unsigned char *other = malloc(BLK);
	struct card c;

	open_fake(&c, 64 * MiB, &m);
	pattern(want, BLK, 3);
	card_pwrite_direct(&c, want, BLK, 40 * MiB);
	card_reset(&c);
	card_pread_direct(&c, buf, BLK, 40 * MiB);
	ok(!memcmp(buf, want, BLK), "a 64 KiB cache of lost sectors: a lost block reads back "
	   "while cached, a reset notwithstanding");
	pattern(other, BLK, 4);
	card_pwrite_direct(&c, other, BLK, 40 * MiB + 64 * 1024);
	card_pread_direct(&c, buf, BLK, 40 * MiB);
	ok(all_zero(buf, BLK), "... strict: once another took its slots, zeros");
	card_close(&c);

	m.lost_cache_strict = false;
	open_fake(&c, 64 * MiB, &m);
	card_pwrite_direct(&c, want, BLK, 40 * MiB);
	card_pwrite_direct(&c, other, BLK, 40 * MiB + 64 * 1024);
	card_pread_direct(&c, buf, BLK, 40 * MiB);
	ok(!memcmp(buf, other, BLK), "... not strict: the block that took its slots");
	card_close(&c);
	free(other);
}

static void test_flips(void)
{
	struct fake_model m = { .flip_read = { 5 * MiB + 100, 3 }, .flip_write = { 6 * MiB + 7, 1 } };
	struct card c;

	open_fake(&c, 64 * MiB, &m);
	pattern(want, MiB, 5);
	card_pwrite_direct(&c, want, MiB, 5 * MiB);
	ok(medium_is(&c, 5 * MiB, want, MiB), "flips on read: the medium keeps what was written");
	card_pread_direct(&c, buf, MiB, 5 * MiB);
	ok(buf[100] == (want[100] ^ 1) && buf[102] == (want[102] ^ 1) && buf[103] == want[103] &&
	   buf[99] == want[99], "... bytes 100 to 102 read XOR 0x01");
	is_int(stats(&c).flipped_read, 3, "... three of them");

	card_pwrite_direct(&c, want, MiB, 6 * MiB);
	want[7] ^= 1;
	ok(medium_is(&c, 6 * MiB, want, MiB), "flips on write: the byte at 6 MiB + 7 is stored "
	   "XOR 0x01");
	card_pread_direct(&c, buf, MiB, 6 * MiB);
	ok(!memcmp(buf, want, MiB), "... and reads back so");
	card_close(&c);
}

static void test_eio(void)
{
	struct fake_model m = { .eio_read = { 9 * MiB + 5000, 1 }, .eio_write = { 12 * MiB + 3 * BLK, 1 } };
	struct card c;

	open_fake(&c, 64 * MiB, &m);
	pattern(want, MiB, 6);
	card_pwrite_direct(&c, want, MiB, 9 * MiB);
	memset(buf, 0, MiB);
	is_int(card_pread_direct(&c, buf, MiB, 9 * MiB), -EIO, "EIO on read at 9 MiB + 5000: "
	       "a read over it fails");
	is_int(c.last_offset, 9 * MiB + BLK, "... at its 4 KiB block");
	ok(!memcmp(buf, want, BLK), "... the bytes before it were read");
	is_int(card_pread_direct(&c, buf, BLK, 10 * MiB), 0, "... a read elsewhere works");

	is_int(card_pwrite_direct(&c, want, MiB, 12 * MiB), -EIO, "EIO on write at 12 MiB + 12 KiB");
	is_int(c.last_offset, 12 * MiB + 3 * BLK, "... at that block");
	ok(medium_is(&c, 12 * MiB, want, 3 * BLK), "... the blocks before it were written");
	is_int(stats(&c).eio, 2, "... two requests failed");
	ok(!card_gone(&c), "... the card is still there");
	card_close(&c);
}

static void test_vanish(void)
{
	struct fake_model m = { .vanishes = true, .vanish_after = 3 * MiB / 2 };
	struct card c;

	open_fake(&c, 64 * MiB, &m);
	is_int(card_pread_direct(&c, buf, MiB, 0), 0, "vanishing after 1.5 MiB: 1 MiB reads");
	is_int(card_pread_direct(&c, buf, MiB, MiB), -ENODEV, "... the next MiB does not");
	is_int(c.last_offset, 3 * MiB / 2, "... from where it went");
	ok(card_errno_vanished(c.last_errno) && card_gone(&c), "... it is gone");
	is_int(card_pwrite(&c, buf, 512, 0), -ENODEV, "... for writes too");
	is_int(card_flush(&c), -ENODEV, "... and flushes");
	card_close(&c);

	m.vanish_after = 0;
	m.vanish_errno = EIO;
	open_fake(&c, 64 * MiB, &m);
	is_int(card_pread(&c, buf, 512, 0), -EIO, "a reader that answers EIO once its card is gone");
	ok(!card_errno_vanished(c.last_errno) && card_gone(&c),
	   "... the error does not say it, card_gone() does");
	card_close(&c);
}

static void test_stall(void)
{
	struct fake_model m = { .stall = { 2 * MiB, 1 }, .stall_ms = 200 };
	struct timespec t;
	struct card c;

	open_fake(&c, 64 * MiB, &m);
	card_pread_direct(&c, buf, BLK, 0);
	is_int(stats(&c).stalls, 0, "a stall at 2 MiB: a read elsewhere does not wait");
	time_now(&t);
	card_pread_direct(&c, buf, MiB, 2 * MiB);
	ok(stats(&c).stalls == 1 && elapsed_since(&t) >= 0.19, "... the first one over it waits");
	card_pread_direct(&c, buf, MiB, 2 * MiB);
	is_int(stats(&c).stalls, 1, "... once");
	card_close(&c);
}

static void test_cache(void)
{
	struct fake_model m = { .cache = 64 * 1024 };
	unsigned char zeros[BLK] = { 0 };
	struct fake_stats st;
	struct card c;

	open_fake(&c, 64 * MiB, &m);
	pattern(want, 2 * BLK, 7);
	card_pwrite_direct(&c, want, 2 * BLK, 4 * MiB);
	ok(medium_is(&c, 4 * MiB, zeros, BLK), "a 64 KiB write cache: a write stays in it");
	card_pread_direct(&c, buf, 2 * BLK, 4 * MiB);
	ok(!memcmp(buf, want, 2 * BLK), "... reads come from it");
	card_reset(&c);
	card_pread_direct(&c, buf, BLK, 4 * MiB);
	st = stats(&c);
	ok(all_zero(buf, BLK) && st.cache_lost == 2 * BLK, "... a reset loses it");

	card_pwrite_direct(&c, want, 2 * BLK, 4 * MiB);
	is_int(card_sync(&c), 0, "... a sync");
	ok(medium_is(&c, 4 * MiB, want, 2 * BLK), "... puts it on the medium");
	card_reset(&c);
	card_pread_direct(&c, buf, 2 * BLK, 4 * MiB);
	ok(!memcmp(buf, want, 2 * BLK), "... where a reset leaves it");

	card_pwrite(&c, "abc", 3, 8 * MiB + 510);
	card_pread(&c, buf, 512, 8 * MiB + 512);
	ok(!memcmp(buf, "c", 1) && all_zero(buf + 1, 511), "... part of a sector: the rest as "
	   "the card has it");
	pattern(want, 256 * 1024, 8);
	card_pwrite_direct(&c, want, 256 * 1024, 16 * MiB);
	ok(medium_is(&c, 16 * MiB, want, 192 * 1024), "... a write four times its size "
	   "evicts all but its last 64 KiB");
	is_int(card_tool_fd(&c), c.fd, "... handed to the tools");
	ok(medium_is(&c, 16 * MiB, want, 256 * 1024), "... it is written back first");
	is_int(stats(&c).handoffs, 1, "... once");
	card_close(&c);

	m.cache_lies = true;
	open_fake(&c, 64 * MiB, &m);
	card_pwrite_direct(&c, want, 2 * BLK, 4 * MiB);
	is_int(card_flush(&c), 0, "a cache that lies: the flush says yes");
	card_pread_direct(&c, buf, 2 * BLK, 4 * MiB);
	ok(all_zero(buf, 2 * BLK), "... but what was written is lost with the reset");
	card_close(&c);
}

static unsigned seen[4];

static void count_op(void *arg, enum fake_op op, uint64_t off, size_t len)
{
	(void)arg;
	(void)off;
	(void)len;
	seen[op]++;
}

/* Fakes stack on an image file, and on each other. */
static void test_stacking(void)
{
	char path[] = "/tmp/dloadcard-fake.XXXXXX";
	struct errmsg e;
	struct fake_model low = { .flip_read = { 100, 2 } };
	struct fake_model high = { .flip_read = { 101, 2 }, .on_io = count_op };
	struct fake_model bad = { .fake_capacity = true, .real = 2 * GiB };
	struct card c;
	int fd = mkstemp(path);

	pattern(want, BLK, 9);
	if (fd < 0 || pwrite(fd, want, BLK, 0) != BLK || ftruncate(fd, 4 * MiB) != 0 ||
	    card_open(&c, path, CARD_WRITE, 0, &e) != 0) {
		skip(6, "no image file in /tmp");
		goto out;
	}
	is_int(fake_stack(&c, &bad), -EINVAL, "a model larger than the card is refused");
	is_int(fake_stack(&c, &low), 0, "a fake on an image file");
	is_int(fake_stack(&c, &high), 0, "... and another on it");
	card_pread_direct(&c, buf, BLK, 0);
	ok(buf[100] == (want[100] ^ 1) && buf[101] == want[101] && buf[102] == (want[102] ^ 1) &&
	   buf[99] == want[99] && buf[103] == want[103],
	   "... flips of both, byte 101 twice (back as it was)");
	card_flush(&c);
	ok(seen[FAKE_READ] == 1 && seen[FAKE_FLUSH] == 1 && seen[FAKE_RESET] == 1,
	   "... the top one's hook saw a read, a flush and a reset");
	card_close(&c);
	ok(pread(fd, buf, BLK, 0) == BLK && !memcmp(buf, want, BLK),
	   "... closed, and the image holds what it held");
out:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

int main(void)
{
	drop_privileges();
	buf = aligned_alloc(BLK, MiB);
	want = aligned_alloc(BLK, MiB);
	if (!buf || !want) {
		printf("Bail out! no memory\n");
		return 1;
	}
	test_good();
	test_capacity();
	test_lost_cache();
	test_flips();
	test_eio();
	test_vanish();
	test_stall();
	test_cache();
	test_stacking();
	free(buf);
	free(want);
	return done_testing();
}
