/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "copy.h"
#include "ring.h"

/* Large enough for full-speed card writes, small enough for 16 MiB RSS. */
#define COPY_CHUNK	(1024 * 1024)
#define COPY_BUFFERS	4

struct reader {
	struct copy_job *job;
	struct ring *ring;
	int err;		/* -errno, or -EFBIG/-ENODATA when the size changed */
};

/* Fill a buffer completely, unless the source ends first. */
static ssize_t read_full(struct copy_job *job, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = job->read(job->read_ctx, buf + got, len - got);

		if (n < 0)
			return n;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct copy_job *job = rd->job;
	uint64_t off = 0;
	char extra;

	while (off < job->length) {
		struct ring_buf *b = ring_get_empty(rd->ring);
		size_t want = rd->ring->size;
		ssize_t n;

		if (!b)
			return NULL;	/* the writer gave up */
		if (want > job->length - off)
			want = (size_t)(job->length - off);
		n = read_full(job, b->data, want);
		if (n < 0 || (size_t)n < want) {
			rd->err = n < 0 ? (int)n : -ENODATA;
			ring_abort(rd->ring);
			return NULL;
		}
		if (job->sha256)
			EVP_DigestUpdate(job->sha256, b->data, (size_t)n);
		b->len = (size_t)n;
		b->off = off;
		off += (uint64_t)n;
		ring_put_full(rd->ring, b);
	}
	/* The source must end where its size said it would. */
	if (job->read(job->read_ctx, &extra, 1) != 0) {
		rd->err = -EFBIG;
		ring_abort(rd->ring);
		return NULL;
	}
	ring_close(rd->ring);
	return NULL;
}

/*
 * The aligned part goes O_DIRECT; an unaligned tail (the file's last
 * bytes) goes through the page cache and is flushed with the rest.
 */
static int write_chunk(struct copy_job *job, const struct ring_buf *b)
{
	struct card *c = job->card;
	uint64_t pos = job->card_off + b->off;
	size_t head = b->len / c->align * c->align;
	int rc = 0;

	if (head)
		rc = card_pwrite_direct(c, b->data, head, pos);
	if (!rc && head < b->len)
		rc = card_pwrite(c, (const char *)b->data + head, b->len - head, pos + head);
	return rc;
}

enum copy_status copy_to_card(struct copy_job *job)
{
	struct ring ring;
	struct reader rd = { .job = job, .ring = &ring };
	struct ring_buf *b;
	pthread_t tid;
	uint64_t done = 0;
	int rc;

	job->status = COPY_OK;
	job->err = 0;
	if (ring_init(&ring, COPY_BUFFERS, COPY_CHUNK, job->card->align) != 0) {
		job->err = ENOMEM;
		return job->status = COPY_SOURCE_ERROR;
	}
	if (pthread_create(&tid, NULL, reader_main, &rd) != 0) {
		ring_destroy(&ring);
		job->err = EAGAIN;
		return job->status = COPY_SOURCE_ERROR;
	}
	progress_begin(job->pg, "Writing UPDATE.APP", job->length);
	while ((b = ring_get_full(&ring))) {
		if (job->cancel && *job->cancel) {
			job->status = COPY_CANCELLED;
			break;
		}
		rc = write_chunk(job, b);
		if (rc) {
			job->status = COPY_WRITE_ERROR;
			job->err = -rc;
			job->err_card_off = job->card->last_offset;
			break;
		}
		done += b->len;
		ring_put_empty(&ring, b);
		progress_update(job->pg, done);
	}
	ring_abort(&ring);
	pthread_join(tid, NULL);
	ring_destroy(&ring);

	if (job->status == COPY_OK && rd.err) {
		job->status = COPY_SOURCE_ERROR;
		job->err = -rd.err;
	} else if (job->status == COPY_OK && done != job->length) {
		job->status = job->cancel && *job->cancel ? COPY_CANCELLED : COPY_SOURCE_ERROR;
		job->err = EIO;
	}
	return job->status;
}
