/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "readback.h"
#include "ring.h"

#define READ_CHUNK	(1024 * 1024)
#define READ_BUFFERS	4

struct reader {
	struct readback_job *job;
	struct ring *ring;
	void *bounce;		/* for runs that do not start aligned */
	size_t bounce_size;
	int err;
};

/* One piece of a run: aligned runs go straight into the ring buffer. */
static int read_piece(struct reader *rd, struct ring_buf *b, uint64_t card_off, size_t len)
{
	struct card *c = rd->job->card;
	const void *data;
	int rc;

	if (card_off % c->align == 0 && len % c->align == 0)
		return card_pread_direct(c, b->data, len, card_off);
	rc = card_pread_unaligned(c, rd->bounce, rd->bounce_size, card_off, len, &data);
	if (rc == 0)
		memcpy(b->data, data, len);
	return rc;
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct readback_job *job = rd->job;
	size_t i;

	for (i = 0; i < job->n_ext; i++) {
		const struct card_extent *e = &job->ext[i];
		uint64_t done = 0;

		while (done < e->len) {
			struct ring_buf *b = ring_get_empty(rd->ring);
			size_t n = rd->ring->size;
			int rc;

			if (!b)
				return NULL;
			if (n > e->len - done)
				n = (size_t)(e->len - done);
			rc = read_piece(rd, b, e->card_off + done, n);
			if (rc) {
				rd->err = rc;
				ring_abort(rd->ring);
				return NULL;
			}
			b->len = n;
			b->off = e->file_off + done;
			done += n;
			ring_put_full(rd->ring, b);
		}
	}
	ring_close(rd->ring);
	return NULL;
}

enum readback_status readback_hash(struct readback_job *job)
{
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	struct ring ring;
	struct reader rd = { .job = job, .ring = &ring };
	struct ring_buf *b;
	pthread_t tid;
	uint64_t done = 0;
	unsigned int mdlen;

	job->status = READBACK_OK;
	job->err = 0;
	rd.bounce_size = READ_CHUNK + 2 * job->card->align;
	rd.bounce = card_alloc_buffer(job->card, rd.bounce_size);
	if (!sha || !rd.bounce || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1 ||
	    ring_init(&ring, READ_BUFFERS, READ_CHUNK, job->card->align) != 0) {
		EVP_MD_CTX_free(sha);
		free(rd.bounce);
		job->err = ENOMEM;
		return job->status = READBACK_READ_ERROR;
	}
	if (pthread_create(&tid, NULL, reader_main, &rd) != 0) {
		ring_destroy(&ring);
		EVP_MD_CTX_free(sha);
		free(rd.bounce);
		job->err = EAGAIN;
		return job->status = READBACK_READ_ERROR;
	}
	progress_begin(job->pg, job->label ? job->label : "Reading back", job->length);
	while ((b = ring_get_full(&ring))) {
		if (job->cancel && *job->cancel) {
			job->status = READBACK_CANCELLED;
			break;
		}
		EVP_DigestUpdate(sha, b->data, b->len);
		if (job->consume)
			job->consume(job->consume_ctx, b->data, b->len);
		done += b->len;
		ring_put_empty(&ring, b);
		progress_update(job->pg, done);
	}
	ring_abort(&ring);
	pthread_join(tid, NULL);
	ring_destroy(&ring);
	free(rd.bounce);

	if (job->status == READBACK_OK && rd.err) {
		job->status = READBACK_READ_ERROR;
		job->err = -rd.err;
		job->err_card_off = job->card->last_offset;
	}
	EVP_DigestFinal_ex(sha, job->sha256, &mdlen);
	EVP_MD_CTX_free(sha);
	return job->status;
}

static void add_range(struct diff_report *rep, uint64_t file_off, uint64_t card_off)
{
	struct diff_range *last = rep->n ? &rep->ranges[rep->n - 1] : NULL;

	rep->bytes++;
	/* Differences closer than 4 KiB are one damaged area. */
	if (last && file_off <= last->file_off + last->len + 4096 &&
	    card_off - file_off == last->card_off - last->file_off) {
		last->len = file_off - last->file_off + 1;
		return;
	}
	rep->total_ranges++;
	if (rep->n < sizeof(rep->ranges) / sizeof(rep->ranges[0])) {
		rep->ranges[rep->n].file_off = file_off;
		rep->ranges[rep->n].card_off = card_off;
		rep->ranges[rep->n].len = 1;
		rep->n++;
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
	copy_read_fn read;
	void *read_ctx;
	struct diff_report *rep;
	struct readback_job *job;
	char *src;
	uint64_t pos;
	int err;
};

static void compare_consume(void *arg, const void *buf, size_t len)
{
	struct compare_ctx *cc = arg;
	const unsigned char *card = buf;
	size_t got = 0, i;

	while (got < len && !cc->err) {
		ssize_t n = cc->read(cc->read_ctx, cc->src + got, len - got);

		if (n <= 0) {
			cc->err = n < 0 ? (int)n : -ENODATA;
			return;
		}
		got += (size_t)n;
	}
	for (i = 0; i < len; i++) {
		if (card[i] != (unsigned char)cc->src[i])
			add_range(cc->rep, cc->pos + i, card_offset_of(cc->job, cc->pos + i));
	}
	cc->pos += len;
}

int readback_compare(struct readback_job *job, copy_read_fn read, void *read_ctx,
		     struct diff_report *rep)
{
	struct compare_ctx cc = { .read = read, .read_ctx = read_ctx, .rep = rep, .job = job };
	struct readback_job cmp = *job;

	memset(rep, 0, sizeof(*rep));
	cc.src = malloc(READ_CHUNK);
	if (!cc.src)
		return -ENOMEM;
	cmp.consume = compare_consume;
	cmp.consume_ctx = &cc;
	cmp.label = "Locating differences";
	readback_hash(&cmp);
	free(cc.src);
	if (cmp.status != READBACK_OK)
		return cmp.status == READBACK_CANCELLED ? -EINTR : -cmp.err;
	return cc.err;
}
