/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/source.h"
#include "lib/interrupt.h"
#include "lib/nls.h"
#include "pipeline/readback.h"
#include "pipeline/ring.h"

/* As copy.c: 1 MiB requests, two in flight. */
#define READ_CHUNK	(1024 * 1024)
#define READ_BUFFERS	4
#define READ_THREADS	2

struct reader {
	struct readback_job *job;
	struct ring *ring;
	pthread_mutex_t lock;
	int err;		/* first failure, -errno */
	uint64_t err_off;
};

/* Bytes [off, off + len) of the file, wherever its runs lie on the card. */
static int read_file_range(struct reader *rd, char *dst, uint64_t off, size_t len,
			   void *bounce, size_t bounce_size)
{
	struct readback_job *job = rd->job;
	struct card *c = job->card;
	size_t i;

	for (i = 0; i < job->n_ext && len; i++) {
		const struct card_extent *e = &job->ext[i];
		uint64_t pos, n;
		const void *data;
		int rc;

		if (off >= e->file_off + e->len || off < e->file_off)
			continue;
		pos = e->card_off + (off - e->file_off);
		n = e->file_off + e->len - off;
		if (n > len)
			n = len;
		/* Aligned runs go straight into the ring buffer. */
		if (pos % c->align == 0 && n % c->align == 0 && (uintptr_t)dst % c->align == 0) {
			rc = card_pread_direct(c, dst, (size_t)n, pos);
		} else {
			rc = card_pread_unaligned(c, bounce, bounce_size, pos, (size_t)n, &data);
			if (rc == 0)
				memcpy(dst, data, (size_t)n);
		}
		if (rc)
			return rc;
		dst += n;
		off += n;
		len -= (size_t)n;
	}
	return len ? -EFAULT : 0;	/* a hole in the extents: a bug */
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct readback_job *job = rd->job;
	size_t bounce_size = READ_CHUNK + 2 * (size_t)job->card->align;
	void *bounce = card_alloc_buffer(job->card, bounce_size);
	struct ring_buf *b;

	while (bounce && (b = ring_claim(rd->ring))) {
		uint64_t off = b->seq * READ_CHUNK;
		size_t n = READ_CHUNK;
		int rc;

		if (n > job->length - off)
			n = (size_t)(job->length - off);
		rc = read_file_range(rd, b->data, off, n, bounce, bounce_size);
		if (rc) {
			pthread_mutex_lock(&rd->lock);
			if (!rd->err) {
				rd->err = rc;
				rd->err_off = card_last_offset(job->card);
			}
			pthread_mutex_unlock(&rd->lock);
			ring_abort(rd->ring);
			break;
		}
		b->len = n;
		ring_fill_done(rd->ring, b);
	}
	if (!bounce) {
		pthread_mutex_lock(&rd->lock);
		rd->err = rd->err ? rd->err : -ENOMEM;
		pthread_mutex_unlock(&rd->lock);
		ring_abort(rd->ring);
	}
	free(bounce);
	return NULL;
}

static enum readback_status readback_run(struct readback_job *job)
{
	EVP_MD_CTX *sha = job->want_sha256 ? EVP_MD_CTX_new() : NULL;
	struct ring ring;
	struct reader rd = { .job = job, .ring = &ring };
	pthread_t tid[READ_THREADS];
	struct ring_buf *b;
	uint64_t done = 0;
	unsigned int mdlen;
	int i, started = 0;

	job->status = READBACK_OK;
	job->err = 0;
	errmsg_clear(&job->source_error);
	if ((job->want_sha256 && (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1)) ||
	    ring_init(&ring, READ_BUFFERS, READ_CHUNK, job->card->align) != 0) {
		EVP_MD_CTX_free(sha);
		job->err = ENOMEM;
		return job->status = READBACK_READ_ERROR;
	}
	pthread_mutex_init(&rd.lock, NULL);
	/* The number of chunks is known: the sequence ends there. */
	ring_close(&ring, (job->length + READ_CHUNK - 1) / READ_CHUNK);
	progress_begin(job->pg, job->label ? job->label : _("Reading back"), job->length);
	for (i = 0; i < READ_THREADS; i++)
		if (pthread_create(&tid[started], NULL, reader_main, &rd) == 0)
			started++;
	if (!started)
		ring_abort(&ring);
	while ((b = ring_take(&ring))) {
		if (cancel_requested(job->cancel)) {
			job->status = READBACK_CANCELLED;
			ring_abort(&ring);
			break;
		}
		if (sha)
			EVP_DigestUpdate(sha, b->data, b->len);
		if (job->consume)
			job->consume(job->consume_ctx, b->data, b->len);
		done += b->len;
		ring_release(&ring, b);
		progress_update(job->pg, done);
	}
	ring_abort(&ring);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	ring_destroy(&ring);

	if (job->status == READBACK_OK && (rd.err || !started || done != job->length)) {
		job->status = READBACK_READ_ERROR;
		job->err = rd.err ? -rd.err : EIO;
		job->err_card_off = rd.err_off;
	}
	pthread_mutex_destroy(&rd.lock);
	if (sha)
		EVP_DigestFinal_ex(sha, job->sha256, &mdlen);
	EVP_MD_CTX_free(sha);
	return job->status;
}

enum readback_status readback_hash(struct readback_job *job)
{
	job->want_sha256 = true;
	return readback_run(job);
}

/*
 * Count a differing byte.  Differences closer than 4 KiB on the card and in
 * the file are one damaged area; the first ranges are kept, all counted.
 */
static void add_range(struct diff_report *rep, uint64_t file_off, uint64_t card_off)
{
	struct diff_range *cur = &rep->cur;
	const size_t keep = sizeof(rep->ranges) / sizeof(rep->ranges[0]);

	rep->bytes++;
	if (rep->total_ranges && file_off <= cur->file_off + cur->len + 4096 &&
	    card_off - file_off == cur->card_off - cur->file_off) {
		cur->len = file_off - cur->file_off + 1;
	} else {
		rep->total_ranges++;
		cur->file_off = file_off;
		cur->card_off = card_off;
		cur->len = 1;
	}
	/* The current range is the last one kept, if there was room for it. */
	if (rep->total_ranges <= keep) {
		rep->ranges[rep->total_ranges - 1] = *cur;
		rep->n = rep->total_ranges;
	}
}

/* Map a file offset to the card through the extents. */
static uint64_t card_offset_of(const struct readback_job *job, uint64_t file_off)
{
	size_t i;

	for (i = 0; i < job->n_ext; i++) {
		const struct card_extent *e = &job->ext[i];

		if (file_off >= e->file_off && file_off < e->file_off + e->len)
			return e->card_off + (file_off - e->file_off);
	}
	return 0;
}

struct compare_ctx {
	struct source *src;
	struct diff_report *rep;
	struct readback_job *job;
	char *buf;		/* the source is read (a zip inflated) here */
	uint64_t pos;
	int err;
};

/* Record every differing byte of one 64-byte block. */
static void compare_block(struct compare_ctx *cc, const unsigned char *card,
			  const unsigned char *src, size_t len, uint64_t pos)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (card[i] != src[i])
			add_range(cc->rep, pos + i, card_offset_of(cc->job, pos + i));
}

/* The source's next len bytes, read into cc->buf. */
static const unsigned char *source_chunk(struct compare_ctx *cc, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = source_read(cc->src, cc->buf + got, len - got, &cc->job->source_error);
		if (n <= 0) {
			cc->err = n < 0 ? (int)n : -ENODATA;
			return NULL;
		}
		got += (size_t)n;
	}
	return (const unsigned char *)cc->buf;
}

static void compare_consume(void *arg, const void *buf, size_t len)
{
	struct compare_ctx *cc = arg;
	const unsigned char *card = buf, *src;
	size_t i, n;

	if (cc->err)
		return;
	src = source_chunk(cc, len);
	if (!src)
		return;
	/* One memcmp for the whole chunk; 64-byte blocks, then bytes, only
	 * where it differs. */
	if (memcmp(card, src, len) != 0) {
		for (i = 0; i < len; i += n) {
			n = len - i < 64 ? len - i : 64;
			if (memcmp(card + i, src + i, n) != 0)
				compare_block(cc, card + i, src + i, n, cc->pos + i);
		}
	}
	cc->pos += len;
}

enum readback_status readback_compare(struct readback_job *job, struct source *src,
				      struct diff_report *rep)
{
	struct compare_ctx cc = { .src = src, .rep = rep, .job = job };
	void (*consume)(void *, const void *, size_t) = job->consume;

	memset(rep, 0, sizeof(*rep));
	if (consume) {
		job->err = EINVAL;	/* one consumer at a time */
		return job->status = READBACK_READ_ERROR;
	}
	cc.buf = malloc(READ_CHUNK);
	if (!cc.buf) {
		job->err = ENOMEM;
		return job->status = READBACK_READ_ERROR;
	}
	job->consume = compare_consume;
	job->consume_ctx = &cc;
	readback_run(job);
	job->consume = NULL;
	job->consume_ctx = NULL;
	free(cc.buf);
	if (job->status == READBACK_OK && cc.err) {
		job->status = READBACK_SOURCE_ERROR;
		job->err = -cc.err;
	}
	return job->status;
}
