/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The copy and the read-back on fake cards in memory: a clean copy is on
 * the card and reads back identical; a flip on read and a flip on write are
 * found at their exact byte; an I/O error is reported where it happened; a
 * card that vanishes is told apart; a stop is a stop, in either.
 */
#include "config.h"

#include <errno.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card/card.h"
#include "card/fake.h"
#include "firmware/source.h"
#include "lib/progress.h"
#include "lib/strutils.h"
#include "pipeline/copy.h"
#include "pipeline/readback.h"
#include "fakecard.h"
#include "tap.h"
#include "unpriv.h"

/* More than the copy's ring holds, so that a stop finds chunks left to
 * feed; an unaligned tail, written through the page cache. */
#define LEN (12 * MiB + 123)
#define AT (8 * MiB)		/* the file's place on the card */
#define BLK 4096

static char srcpath[] = "/tmp/dloadcard-copy-src.XXXXXX";
static unsigned char *data, sha[32];
static struct progress quiet;

static struct source *source(void)
{
	struct errmsg e;
	struct source *src;

	if (source_open(&src, srcpath, &e) != 0) {
		printf("Bail out! %s\n", e.text);
		return NULL;
	}
	return src;
}

/* Copy the source onto a card with this model; the card stays open. */
static enum copy_status copy(struct card *c, const struct fake_model *m, struct copy_job *job,
			     volatile sig_atomic_t *cancel)
{
	struct source *src = source();

	fakecard_open(c, 64 * MiB, m);
	*job = (struct copy_job){ .card = c, .card_off = AT, .length = LEN, .src = src,
				  .pg = &quiet, .cancel = cancel };
	copy_to_card(job);
	source_close(src);
	return job->status;
}

static const struct card_extent ext = { 0, AT, LEN };

static enum readback_status compare(struct card *c, struct readback_job *job,
				    struct diff_report *rep, volatile sig_atomic_t *cancel)
{
	struct source *src = source();
	enum readback_status st;

	*job = (struct readback_job){ .card = c, .ext = &ext, .n_ext = 1, .length = LEN,
				      .pg = &quiet, .cancel = cancel };
	card_flush(c);
	st = readback_compare(job, src, rep);
	source_close(src);
	return st;
}

static bool on_medium(struct card *c, long flipped_at)
{
	unsigned char *m = malloc(LEN);
	bool same;

	if (!m || pread(c->fd, m, LEN, AT) != LEN) {
		free(m);
		return false;
	}
	if (flipped_at >= 0)
		m[flipped_at] ^= 1;
	same = !memcmp(m, data, LEN);
	free(m);
	return same;
}

static void test_clean(void)
{
	struct readback_job rj;
	struct diff_report rep;
	struct copy_job job;
	struct card c;

	is_int(copy(&c, NULL, &job, NULL), COPY_OK, "a clean copy");
	ok(on_medium(&c, -1), "... the card holds the file, to its unaligned tail");
	is_int(compare(&c, &rj, &rep, NULL), READBACK_OK, "... reads back");
	is_int(rep.bytes, 0, "... identical, byte for byte");
	rj = (struct readback_job){ .card = &c, .ext = &ext, .n_ext = 1, .length = LEN,
				    .pg = &quiet };
	is_int(readback_hash(&rj), READBACK_OK, "... and hashed");
	ok(!memcmp(rj.sha256, sha, 32), "... with the source's SHA-256");
	card_close(&c);
}

static void test_flips(void)
{
	const uint64_t x = 2 * MiB + 777, y = 123457;
	struct fake_model rd = { .flip_read = { AT + x, 1 } };
	struct fake_model wr = { .flip_write = { AT + y, 1 } };
	struct readback_job rj;
	struct diff_report rep;
	struct copy_job job;
	struct card c;

	is_int(copy(&c, &rd, &job, NULL), COPY_OK, "a flip on read: the copy goes through");
	ok(on_medium(&c, -1), "... and is right on the card");
	is_int(compare(&c, &rj, &rep, NULL), READBACK_OK, "... the read-back too");
	ok(rep.bytes == 1 && rep.total_ranges == 1, "... one byte differs");
	ok(rep.ranges[0].file_off == x && rep.ranges[0].card_off == AT + x,
	   "... at byte %" PRIu64 " of the file, card offset %" PRIu64, (uint64_t)x,
	   (uint64_t)(AT + x));
	card_close(&c);

	is_int(copy(&c, &wr, &job, NULL), COPY_OK, "a flip on write: the copy goes through");
	ok(on_medium(&c, (long)y), "... the card stored byte %" PRIu64 " flipped", (uint64_t)y);
	compare(&c, &rj, &rep, NULL);
	ok(rep.bytes == 1 && rep.ranges[0].file_off == y && rep.ranges[0].card_off == AT + y,
	   "... the read-back finds it there");
	card_close(&c);
}

static void test_errors(void)
{
	struct fake_model wr = { .eio_write = { AT + 2 * MiB + 5000, 1 } };
	struct fake_model rd = { .eio_read = { AT + MiB + 100, 1 } };
	struct fake_model gone = { .vanishes = true, .vanish_after = 2 * MiB };
	struct readback_job rj;
	struct diff_report rep;
	struct copy_job job;
	struct card c;

	is_int(copy(&c, &wr, &job, NULL), COPY_WRITE_ERROR, "EIO on write: a write error");
	ok(job.err == EIO && job.err_card_off == AT + 2 * MiB + BLK,
	   "... EIO at card offset %" PRIu64 ", the block of the bad byte", job.err_card_off);
	ok(!card_gone(&c), "... the card is still there");
	card_close(&c);

	copy(&c, &rd, &job, NULL);
	is_int(compare(&c, &rj, &rep, NULL), READBACK_READ_ERROR, "EIO on read: a read error");
	ok(rj.err == EIO && rj.err_card_off == AT + MiB, "... EIO at card offset %" PRIu64,
	   rj.err_card_off);
	card_close(&c);

	is_int(copy(&c, &gone, &job, NULL), COPY_WRITE_ERROR, "vanished while writing");
	ok(card_errno_vanished(job.err) && card_gone(&c), "... the card is gone (%s)",
	   strerror(job.err));
	card_close(&c);

	gone.vanish_after = LEN + MiB;
	copy(&c, &gone, &job, NULL);
	is_int(compare(&c, &rj, &rep, NULL), READBACK_READ_ERROR, "vanished while reading back");
	ok(card_errno_vanished(rj.err) && card_gone(&c), "... the card is gone (%s)",
	   strerror(rj.err));
	card_close(&c);
}

static volatile sig_atomic_t stop;

static void stop_at_second(void *arg, enum fake_op op, uint64_t off, size_t len)
{
	unsigned *n = arg;

	(void)off;
	(void)len;
	/* Atomically: the copy's threads read it. */
	if ((op == FAKE_READ || op == FAKE_WRITE) && ++*n == 2)
		__atomic_store_n(&stop, SIGINT, __ATOMIC_RELAXED);
}

static void test_cancel(void)
{
	unsigned n = 0;
	struct fake_model m = { .on_io = stop_at_second, .on_io_arg = &n };
	struct readback_job rj;
	struct diff_report rep;
	struct copy_job job;
	struct fake_stats st;
	struct card c;

	is_int(copy(&c, &m, &job, &stop), COPY_CANCELLED, "stopped while copying: cancelled");
	fake_get_stats(&c, &st);
	ok(st.bytes_written < LEN, "... before the end (%" PRIu64 " bytes written)",
	   st.bytes_written);
	card_close(&c);

	stop = 0;
	copy(&c, NULL, &job, NULL);
	n = 0;
	fake_stack(&c, &m);
	is_int(compare(&c, &rj, &rep, &stop), READBACK_CANCELLED, "stopped while reading back: "
	       "cancelled");
	card_close(&c);
}

int main(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len;
	int fd;

	drop_privileges();
	progress_init(&quiet, NULL, NULL);
	data = malloc(LEN);
	fd = mkstemp(srcpath);
	if (!data || fd < 0) {
		printf("Bail out! no source file in /tmp\n");
		return 1;
	}
	fakecard_pattern(data, LEN, 0, 77);
	if (write(fd, data, LEN) != LEN) {
		printf("Bail out! cannot write the source\n");
		return 1;
	}
	close(fd);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, data, LEN);
	EVP_DigestFinal_ex(ctx, sha, &len);
	EVP_MD_CTX_free(ctx);

	test_clean();
	test_flips();
	test_errors();
	test_cancel();
	unlink(srcpath);
	free(data);
	return done_testing();
}
