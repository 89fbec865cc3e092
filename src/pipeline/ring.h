/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_PIPELINE_RING_H
#define DLOADCARD_PIPELINE_RING_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A fixed set of aligned buffers passed from producers to consumers in
 * sequence, so that reading, hashing and card I/O overlap, and so that
 * several requests can be in flight at once (a card, or the kernel under
 * it, is faster with more than one).  Buffer k of the stream always lives
 * in slot k % nbuf: producers fill the sequence in any order, consumers
 * take it in order.  Memory is nbuf * size, allocated once.
 */
struct ring_buf {
	void *data;
	size_t len;		/* bytes filled */
	uint64_t seq;		/* position in the stream, 0, 1, 2, ... */
	int state;		/* private */
	uint64_t turn;		/* private: the sequence number this slot takes next */
};

struct ring {
	struct ring_buf *bufs;
	size_t nbuf, size;
	uint64_t next_claim;	/* next sequence number a producer gets */
	uint64_t next_take;	/* next sequence number a consumer gets */
	uint64_t end;		/* sequence numbers at or past it are not produced */
	bool aborted;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

int ring_init(struct ring *r, size_t nbuf, size_t size, size_t align);
void ring_destroy(struct ring *r);

/* Producer: the next buffer of the sequence, once it is free; NULL when the
 * sequence has ended (ring_close) or the ring was aborted. */
struct ring_buf *ring_claim(struct ring *r);
void ring_fill_done(struct ring *r, struct ring_buf *b);
/* No more buffers than count will be produced (count = claimed so far if
 * UINT64_MAX); consumers end once they have taken them all. */
void ring_close(struct ring *r, uint64_t count);

/* Consumer: the next buffer in sequence, once filled; NULL at the end or
 * on abort.  Give it back with ring_release. */
struct ring_buf *ring_take(struct ring *r);
void ring_release(struct ring *r, struct ring_buf *b);

/* Either side: stop everyone. */
void ring_abort(struct ring *r);

#endif
