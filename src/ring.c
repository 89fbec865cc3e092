/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

int ring_init(struct ring *r, size_t nbuf, size_t size, size_t align)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->bufs = calloc(nbuf, sizeof(*r->bufs));
	r->free_q = calloc(nbuf, sizeof(size_t));
	r->full_q = calloc(nbuf, sizeof(size_t));
	if (!r->bufs || !r->free_q || !r->full_q)
		goto fail;
	r->nbuf = nbuf;
	r->size = size;
	for (i = 0; i < nbuf; i++) {
		if (posix_memalign(&r->bufs[i].data, align, size) != 0)
			goto fail;
		r->free_q[i] = i;
	}
	r->free_n = nbuf;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	return 0;
fail:
	for (i = 0; r->bufs && i < nbuf; i++)
		free(r->bufs[i].data);
	free(r->bufs);
	free(r->free_q);
	free(r->full_q);
	memset(r, 0, sizeof(*r));
	return -ENOMEM;
}

void ring_destroy(struct ring *r)
{
	size_t i;

	if (!r->bufs)
		return;
	for (i = 0; i < r->nbuf; i++)
		free(r->bufs[i].data);
	free(r->bufs);
	free(r->free_q);
	free(r->full_q);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	memset(r, 0, sizeof(*r));
}

static struct ring_buf *take(struct ring *r, size_t *q, size_t *head, size_t *n, bool eof_ok)
{
	struct ring_buf *b = NULL;

	pthread_mutex_lock(&r->lock);
	while (!*n && !r->aborted && !(eof_ok && r->closed))
		pthread_cond_wait(&r->cond, &r->lock);
	if (*n && !r->aborted) {
		b = &r->bufs[q[*head]];
		*head = (*head + 1) % r->nbuf;
		(*n)--;
	}
	pthread_mutex_unlock(&r->lock);
	return b;
}

static void give(struct ring *r, size_t *q, size_t head, size_t *n, struct ring_buf *b)
{
	pthread_mutex_lock(&r->lock);
	q[(head + *n) % r->nbuf] = (size_t)(b - r->bufs);
	(*n)++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

struct ring_buf *ring_get_empty(struct ring *r)
{
	return take(r, r->free_q, &r->free_head, &r->free_n, false);
}

void ring_put_full(struct ring *r, struct ring_buf *b)
{
	give(r, r->full_q, r->full_head, &r->full_n, b);
}

struct ring_buf *ring_get_full(struct ring *r)
{
	return take(r, r->full_q, &r->full_head, &r->full_n, true);
}

void ring_put_empty(struct ring *r, struct ring_buf *b)
{
	give(r, r->free_q, r->free_head, &r->free_n, b);
}

static void set_flag(struct ring *r, bool *flag)
{
	pthread_mutex_lock(&r->lock);
	*flag = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void ring_close(struct ring *r)
{
	set_flag(r, &r->closed);
}

void ring_abort(struct ring *r)
{
	set_flag(r, &r->aborted);
}
