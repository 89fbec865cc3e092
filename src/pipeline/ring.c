/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/ring.h"

enum { SLOT_FREE, SLOT_FILLING, SLOT_FULL, SLOT_TAKEN };

int ring_init(struct ring *r, size_t nbuf, size_t size, size_t align)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->bufs = calloc(nbuf, sizeof(*r->bufs));
	if (!r->bufs)
		return -ENOMEM;
	for (i = 0; i < nbuf; i++) {
		if (posix_memalign(&r->bufs[i].data, align, size) != 0) {
			while (i--)
				free(r->bufs[i].data);
			free(r->bufs);
			r->bufs = NULL;
			return -ENOMEM;
		}
		r->bufs[i].state = SLOT_FREE;
		r->bufs[i].turn = i;
	}
	r->nbuf = nbuf;
	r->size = size;
	r->end = UINT64_MAX;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	return 0;
}

void ring_destroy(struct ring *r)
{
	size_t i;

	if (!r->bufs)
		return;
	for (i = 0; i < r->nbuf; i++)
		free(r->bufs[i].data);
	free(r->bufs);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	memset(r, 0, sizeof(*r));
}

struct ring_buf *ring_claim(struct ring *r)
{
	struct ring_buf *b = NULL;
	uint64_t seq;

	pthread_mutex_lock(&r->lock);
	if (!r->aborted && r->next_claim < r->end) {
		seq = r->next_claim++;
		b = &r->bufs[seq % r->nbuf];
		/* The slot is ours once the buffer nbuf places back is
		 * released, and not before a producer of an earlier turn. */
		while (!r->aborted && (b->state != SLOT_FREE || b->turn != seq))
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->aborted) {
			b = NULL;
		} else {
			b->state = SLOT_FILLING;
			b->seq = seq;
			b->len = 0;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return b;
}

void ring_fill_done(struct ring *r, struct ring_buf *b)
{
	pthread_mutex_lock(&r->lock);
	b->state = SLOT_FULL;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void ring_close(struct ring *r, uint64_t count)
{
	pthread_mutex_lock(&r->lock);
	r->end = count == UINT64_MAX ? r->next_claim : count;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

struct ring_buf *ring_take(struct ring *r)
{
	struct ring_buf *b = NULL;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct ring_buf *next = &r->bufs[r->next_take % r->nbuf];

		if (r->aborted || r->next_take >= r->end)
			break;
		if (next->state == SLOT_FULL && next->seq == r->next_take) {
			next->state = SLOT_TAKEN;
			r->next_take++;
			b = next;
			break;
		}
		pthread_cond_wait(&r->cond, &r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return b;
}

void ring_release(struct ring *r, struct ring_buf *b)
{
	pthread_mutex_lock(&r->lock);
	b->state = SLOT_FREE;
	b->turn = b->seq + r->nbuf;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void ring_abort(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->aborted = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}
