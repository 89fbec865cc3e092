/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "firmware/source.h"
#include "lib/interrupt.h"
#include "lib/nls.h"
#include "pipeline/copy.h"
#include "pipeline/ring.h"

/*
 * 1 MiB requests, two in flight: a card (and the kernel's queue in front
 * of it) is idle between one synchronous request and the next; two keep it
 * busy.  Two more let the reader run ahead.  4 MiB in all, for a process
 * that stays under 16 MiB.
 */
#define COPY_CHUNK	(1024 * 1024)
#define COPY_BUFFERS	4
#define COPY_WRITERS	2

struct copy_state {
	struct copy_job *job;
	struct ring ring;
	pthread_mutex_t lock;
	int write_err;			/* first failed write, errno */
	uint64_t write_err_off;
	uint64_t written;		/* bytes, atomically */
};

/*
 * The aligned part goes O_DIRECT; an unaligned tail (the file's last
 * bytes) goes through the page cache and is flushed with the rest.
 */
static int write_chunk(struct copy_job *job, const struct ring_buf *b)
{
	struct card *c = job->card;
	uint64_t pos = job->card_off + b->seq * COPY_CHUNK;
	size_t head = b->len / c->align * c->align;
	int rc = 0;

	if (head)
		rc = card_pwrite_direct(c, b->data, head, pos);
	if (!rc && head < b->len)
		rc = card_pwrite(c, (const char *)b->data + head, b->len - head, pos + head);
	return rc;
}

static void *writer_main(void *arg)
{
	struct copy_state *st = arg;
	struct ring_buf *b;

	while ((b = ring_take(&st->ring))) {
		int rc = write_chunk(st->job, b);

		if (rc) {
			pthread_mutex_lock(&st->lock);
			if (!st->write_err) {
				st->write_err = -rc;
				st->write_err_off = card_last_offset(st->job->card);
			}
			pthread_mutex_unlock(&st->lock);
			ring_abort(&st->ring);
			break;
		}
		__atomic_add_fetch(&st->written, b->len, __ATOMIC_RELAXED);
		ring_release(&st->ring, b);
	}
	return NULL;
}

/* The producer, in this thread: read the source in order.  Nothing else
 * here: what this loop does sets the card's pace (the source's digests are
 * computed apart, firmware/srchash.h). */
static int feed(struct copy_state *st)
{
	struct copy_job *job = st->job;
	uint64_t off = 0;

	while (off < job->length) {
		struct ring_buf *b;
		size_t want = st->ring.size;
		ssize_t n;

		if (cancel_requested(job->cancel))
			return -EINTR;
		b = ring_claim(&st->ring);
		if (!b)
			return 0;	/* a writer failed */
		if (want > job->length - off)
			want = (size_t)(job->length - off);
		n = source_read(job->src, b->data, want, &job->source_error);
		if (n < 0 || (size_t)n < want) {
			b->len = n > 0 ? (size_t)n : 0;
			return n < 0 ? (int)n : -ENODATA;
		}
		b->len = (size_t)n;
		off += (uint64_t)n;
		ring_fill_done(&st->ring, b);
		progress_update(job->pg, __atomic_load_n(&st->written, __ATOMIC_RELAXED));
	}
	ring_close(&st->ring, UINT64_MAX);
	return 0;
}

enum copy_status copy_to_card(struct copy_job *job)
{
	struct copy_state st = { .job = job };
	pthread_t tid[COPY_WRITERS];
	int i, started = 0, rc;

	job->status = COPY_OK;
	job->err = 0;
	errmsg_clear(&job->source_error);
	if (ring_init(&st.ring, COPY_BUFFERS, COPY_CHUNK, job->card->align) != 0) {
		job->err = ENOMEM;
		return job->status = COPY_SOURCE_ERROR;
	}
	pthread_mutex_init(&st.lock, NULL);
	progress_begin(job->pg, job->label ? job->label : _("Writing UPDATE.APP"), job->length);
	for (i = 0; i < COPY_WRITERS; i++)
		if (pthread_create(&tid[started], NULL, writer_main, &st) == 0)
			started++;
	rc = started ? feed(&st) : -EAGAIN;
	if (rc)
		ring_abort(&st.ring);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	progress_update(job->pg, st.written);

	if (st.write_err) {
		job->status = COPY_WRITE_ERROR;
		job->err = st.write_err;
		job->err_card_off = st.write_err_off;
	} else if (rc == -EINTR) {
		job->status = COPY_CANCELLED;
	} else if (rc) {
		job->status = COPY_SOURCE_ERROR;
		job->err = -rc;
	} else if (st.written != job->length) {
		job->status = COPY_SOURCE_ERROR;
		job->err = EIO;
	}
	pthread_mutex_destroy(&st.lock);
	ring_destroy(&st.ring);
	return job->status;
}
