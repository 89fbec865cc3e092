/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_RING_H
#define DLOADCARD_RING_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A fixed set of aligned buffers handed between one producer and one
 * consumer thread, so that reading the source, hashing and card I/O
 * overlap.  Memory is nbuf * size, allocated once.
 */
struct ring_buf {
	void *data;
	size_t len;		/* bytes filled */
	uint64_t off;		/* position of data[0] in the stream */
};

struct ring {
	struct ring_buf *bufs;
	size_t nbuf, size;
	size_t *free_q, *full_q;	/* indexes, FIFO */
	size_t free_head, free_n, full_head, full_n;
	bool closed;		/* the producer is done */
	bool aborted;		/* either side gave up */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

int ring_init(struct ring *r, size_t nbuf, size_t size, size_t align);
void ring_destroy(struct ring *r);

/* Producer: an empty buffer (NULL when aborted), then hand it over full. */
struct ring_buf *ring_get_empty(struct ring *r);
void ring_put_full(struct ring *r, struct ring_buf *b);
void ring_close(struct ring *r);

/* Consumer: the next full buffer in order (NULL at the end or on abort),
 * then give it back. */
struct ring_buf *ring_get_full(struct ring *r);
void ring_put_empty(struct ring *r, struct ring_buf *b);

/* Either side: stop the other one. */
void ring_abort(struct ring *r);

#endif
