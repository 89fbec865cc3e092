/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fake cards (fake.h): a layer of the card interface that serves each
 * request through its model and reads and writes the card below it.
 *
 * A request goes, in order: the hook, gone?, the stall, the I/O error (the
 * bytes before it move, the rest fails), the vanishing budget, the flips,
 * then the write cache, then the capacity model onto the medium (the card
 * below).  One lock serialises the requests, as a card serves one at a time.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "card/fake.h"

/* ---- Sectors kept in memory: a slot per sector number modulo a size ------ */

struct slot {
	uint64_t key;		/* the slot's number */
	uint64_t sector;	/* the sector it holds */
	bool dirty;		/* written, and not on the medium yet */
	unsigned char data[FAKE_SECTOR];
};

/* Only the slots in use exist (open addressing on the key), so that a
 * gigabyte cache costs what was written to it. */
struct slots {
	struct slot **v;
	size_t cap, n;		/* cap a power of two, n under half of it */
	uint64_t nslots;	/* the cache's size, in sectors; 0: no cache */
};

static size_t slot_hash(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

static struct slot *slot_find(const struct slots *s, uint64_t key)
{
	size_t i;

	if (!s->cap)
		return NULL;
	for (i = slot_hash(key, s->cap); s->v[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i]->key == key)
			return s->v[i];
	return NULL;
}

static int slots_grow(struct slots *s)
{
	size_t cap = s->cap ? 2 * s->cap : 64, i, j;
	struct slot **v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++) {
		if (!s->v[i])
			continue;
		for (j = slot_hash(s->v[i]->key, cap); v[j]; j = (j + 1) & (cap - 1))
			;
		v[j] = s->v[i];
	}
	free(s->v);
	s->v = v;
	s->cap = cap;
	return 0;
}

/* The slot of sector, made if need be (holding no sector yet: UINT64_MAX). */
static struct slot *slot_get(struct slots *s, uint64_t sector)
{
	uint64_t key = sector % s->nslots;
	struct slot *sl = slot_find(s, key);
	size_t i;

	if (sl)
		return sl;
	if (2 * (s->n + 1) > s->cap && slots_grow(s) != 0)
		return NULL;
	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return NULL;
	sl->key = key;
	sl->sector = UINT64_MAX;
	for (i = slot_hash(key, s->cap); s->v[i]; i = (i + 1) & (s->cap - 1))
		;
	s->v[i] = sl;
	s->n++;
	return sl;
}

static void slots_clear(struct slots *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->cap = s->n = 0;
}

/* ---- The layer ------------------------------------------------------------- */

struct fake {
	struct card lower;	/* the card it was stacked on */
	struct fake_model m;
	pthread_mutex_t lock;
	struct slots cache;	/* the write cache */
	struct slots lost;	/* the controller's cache of lost sectors */
	uint64_t moved;		/* bytes, towards vanish_after */
	bool stalled;
	struct fake_stats st;
};

static const struct card_ops fake_ops;

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The same byte at the same offset every time, and unlike a stamp. */
static unsigned char garbage_at(uint64_t off)
{
	uint64_t x = ((off >> 3) + 0x5eedULL) * 0xd6e8feb86659fd93ULL;

	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 29;
	return (unsigned char)(x >> (8 * (off & 7)));
}

/* What a lost byte reads, without a cache that holds it. */
static void lost_fill(const struct fake *f, unsigned char *buf, size_t n, uint64_t off)
{
	size_t i;

	if (!f->m.lost_garbage) {
		memset(buf, 0, n);
		return;
	}
	for (i = 0; i < n; i++)
		buf[i] = garbage_at(off + i);
}

/* The card below, O_DIRECT when the piece allows it. */
static int lower_io(struct fake *f, bool write, void *buf, size_t n, uint64_t off, bool direct)
{
	unsigned a = f->lower.align ? f->lower.align : 1;

	direct = direct && off % a == 0 && n % a == 0 && (uintptr_t)buf % a == 0;
	if (write)
		return direct ? card_pwrite_direct(&f->lower, buf, n, off) :
				card_pwrite(&f->lower, buf, n, off);
	return direct ? card_pread_direct(&f->lower, buf, n, off) : card_pread(&f->lower, buf, n, off);
}

/*
 * Where off lands: true with *phys on the medium, or false when lost; *run
 * is how many of the n bytes from off land the same way, contiguously.
 */
static bool place(const struct fake *f, uint64_t off, uint64_t n, uint64_t *phys, uint64_t *run)
{
	const struct fake_model *m = &f->m;
	uint64_t a = off;

	*run = n;
	if (!m->fake_capacity) {
		*phys = off;
		return true;
	}
	if (m->wrap) {
		a = off % m->wrap;
		*run = min64(n, m->wrap - a);
	}
	*phys = a;
	if (a < m->real) {
		*run = min64(*run, m->real - a);
		return true;
	}
	return false;
}

/* Lost bytes, with the controller's cache of lost sectors. */
static int lost_io(struct fake *f, bool write, unsigned char *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	if (write)
		f->st.lost += n;
	if (!f->lost.nslots) {
		if (!write)
			lost_fill(f, buf, n, off);
		return 0;
	}
	while (done < n) {
		uint64_t o = off + done, sector = o / FAKE_SECTOR;
		size_t in = (size_t)(o % FAKE_SECTOR), k = (size_t)min64(FAKE_SECTOR - in, n - done);
		struct slot *sl = write ? slot_get(&f->lost, sector) :
				  slot_find(&f->lost, sector % f->lost.nslots);

		if (write && !sl)
			return -ENOMEM;
		if (write) {
			if (sl->sector != sector)
				memset(sl->data, 0, sizeof(sl->data));
			sl->sector = sector;
			memcpy(sl->data + in, buf + done, k);
		} else if (sl && (sl->sector == sector || !f->m.lost_cache_strict)) {
			memcpy(buf + done, sl->data + in, k);
		} else {
			lost_fill(f, buf + done, k, o);
		}
		done += k;
	}
	return 0;
}

/* The capacity model, onto the medium. */
static int medium_io(struct fake *f, bool write, unsigned char *buf, size_t n, uint64_t off,
		     bool direct)
{
	while (n) {
		uint64_t phys, run;
		int rc;

		if (place(f, off, n, &phys, &run)) {
			rc = lower_io(f, write, buf, (size_t)run, phys, direct);
			if (write && !rc && phys != off)
				f->st.wrapped += run;
		} else {
			rc = lost_io(f, write, buf, (size_t)run, off);
		}
		if (rc)
			return rc;
		buf += run;
		off += run;
		n -= (size_t)run;
	}
	return 0;
}

/* ---- The write cache ------------------------------------------------------- */

static struct slot *cached(const struct fake *f, uint64_t sector)
{
	struct slot *sl = slot_find(&f->cache, sector % f->cache.nslots);

	return sl && sl->sector == sector ? sl : NULL;
}

static int write_back(struct fake *f, struct slot *sl)
{
	int rc = 0;

	if (sl->dirty)
		rc = medium_io(f, true, sl->data, FAKE_SECTOR, sl->sector * FAKE_SECTOR, false);
	if (!rc)
		sl->dirty = false;
	return rc;
}

static int write_back_all(struct fake *f)
{
	size_t i;
	int rc;

	for (i = 0; i < f->cache.cap; i++) {
		if (f->cache.v[i] && (rc = write_back(f, f->cache.v[i])) != 0)
			return rc;
	}
	return 0;
}

static void forget_all(struct fake *f)
{
	size_t i;

	for (i = 0; i < f->cache.cap; i++)
		if (f->cache.v[i] && f->cache.v[i]->dirty)
			f->st.cache_lost += FAKE_SECTOR;
	slots_clear(&f->cache);
}

/* Reads: what the cache holds from it, the rest from the medium in runs. */
static int cache_read(struct fake *f, unsigned char *buf, size_t n, uint64_t off, bool direct)
{
	size_t done = 0, miss = SIZE_MAX;
	int rc;

	if (!f->cache.nslots)
		return medium_io(f, false, buf, n, off, direct);
	while (done < n) {
		uint64_t o = off + done;
		size_t in = (size_t)(o % FAKE_SECTOR), k = (size_t)min64(FAKE_SECTOR - in, n - done);
		struct slot *sl = cached(f, o / FAKE_SECTOR);

		if (!sl && miss == SIZE_MAX)
			miss = done;
		if (sl && miss != SIZE_MAX) {
			rc = medium_io(f, false, buf + miss, done - miss, off + miss, direct);
			if (rc)
				return rc;
			miss = SIZE_MAX;
		}
		if (sl)
			memcpy(buf + done, sl->data + in, k);
		done += k;
	}
	return miss == SIZE_MAX ? 0 : medium_io(f, false, buf + miss, n - miss, off + miss, direct);
}

/* Writes: into the cache, sector by sector, evicting what held the slot. */
static int cache_write(struct fake *f, unsigned char *buf, size_t n, uint64_t off, bool direct)
{
	size_t done = 0;
	int rc;

	if (!f->cache.nslots)
		return medium_io(f, true, buf, n, off, direct);
	while (done < n) {
		uint64_t o = off + done, sector = o / FAKE_SECTOR;
		size_t in = (size_t)(o % FAKE_SECTOR), k = (size_t)min64(FAKE_SECTOR - in, n - done);
		struct slot *sl = slot_get(&f->cache, sector);

		if (!sl)
			return -ENOMEM;
		if (sl->sector != sector) {
			rc = write_back(f, sl);
			/* Part of a sector: the rest as the card has it. */
			if (!rc && k < FAKE_SECTOR)
				rc = medium_io(f, false, sl->data, FAKE_SECTOR, sector * FAKE_SECTOR,
					       false);
			if (rc)
				return rc;
			sl->sector = sector;
		}
		memcpy(sl->data + in, buf + done, k);
		sl->dirty = true;
		done += k;
	}
	return 0;
}

/* ---- Requests --------------------------------------------------------------- */

static bool touches(const struct fake_range *r, uint64_t off, uint64_t n)
{
	return r->len && off < r->off + r->len && r->off < off + n;
}

/* XOR 0x01 into the bytes of buf (at off) that lie in r; how many. */
static uint64_t flip(const struct fake_range *r, unsigned char *buf, size_t n, uint64_t off)
{
	uint64_t from, to, o;

	if (!touches(r, off, n))
		return 0;
	from = r->off > off ? r->off : off;
	to = min64(r->off + r->len, off + n);
	for (o = from; o < to; o++)
		buf[o - off] ^= 0x01;
	return to - from;
}

static void watch(const struct fake *f, enum fake_op op, uint64_t off, size_t n)
{
	if (f->m.on_io)
		f->m.on_io(f->m.on_io_arg, op, off, n);
}

static int gone_errno(const struct fake *f)
{
	return f->m.vanish_errno ? f->m.vanish_errno : ENODEV;
}

static void stall(struct fake *f, uint64_t off, size_t n)
{
	struct timespec ts = { f->m.stall_ms / 1000, (long)(f->m.stall_ms % 1000) * 1000000L };

	if (f->stalled || !touches(&f->m.stall, off, n))
		return;
	f->stalled = true;
	f->st.stalls++;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* How many bytes from off move before the I/O error, at the card's
 * alignment (an O_DIRECT request stays aligned). */
static size_t before_error(const struct fake *f, const struct fake_range *r, size_t n,
			   uint64_t off)
{
	uint64_t a = f->lower.align ? f->lower.align : 1, bad;

	if (!touches(r, off, n))
		return n;
	bad = r->off / a * a;
	return bad > off ? (size_t)(bad - off) : 0;
}

static ssize_t request(struct fake *f, bool write, unsigned char *buf, size_t n, uint64_t off,
		       bool direct)
{
	const struct fake_model *m = &f->m;
	unsigned char *copy = NULL;
	size_t ok;
	int rc;

	watch(f, write ? FAKE_WRITE : FAKE_READ, off, n);
	if (f->st.vanished)
		return -gone_errno(f);
	stall(f, off, n);
	ok = before_error(f, write ? &m->eio_write : &m->eio_read, n, off);
	if (!ok) {
		f->st.eio++;
		return -EIO;
	}
	n = ok;
	if (m->vanishes) {
		if (f->moved >= m->vanish_after) {
			f->st.vanished = true;
			return -gone_errno(f);
		}
		n = (size_t)min64(n, m->vanish_after - f->moved);
		f->moved += n;
		/* This one is served; the card is gone for the next. */
		f->st.vanished = f->moved >= m->vanish_after;
	}
	if (write && touches(&m->flip_write, off, n)) {
		copy = malloc(n);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, buf, n);
		f->st.flipped_write += flip(&m->flip_write, copy, n, off);
		buf = copy;
	}
	rc = write ? cache_write(f, buf, n, off, direct) : cache_read(f, buf, n, off, direct);
	free(copy);
	if (rc)
		return rc;
	if (!write)
		f->st.flipped_read += flip(&m->flip_read, buf, n, off);
	*(write ? &f->st.writes : &f->st.reads) += 1;
	*(write ? &f->st.bytes_written : &f->st.bytes_read) += n;
	return (ssize_t)n;
}

/* One request at a time, as a card serves them. */
static ssize_t serve(struct card *c, bool write, void *buf, size_t len, uint64_t off,
		     bool direct)
{
	struct fake *f = c->impl;
	ssize_t n;

	pthread_mutex_lock(&f->lock);
	n = request(f, write, buf, len, off, direct);
	pthread_mutex_unlock(&f->lock);
	return n;
}

static ssize_t fake_pread(struct card *c, void *buf, size_t len, uint64_t off, bool direct)
{
	return serve(c, false, buf, len, off, direct);
}

/* request() writes from buf, or from a copy of it (flip_write). */
static ssize_t fake_pwrite(struct card *c, const void *buf, size_t len, uint64_t off,
			   bool direct)
{
	return serve(c, true, (void *)buf, len, off, direct);
}

static int fake_flush(struct card *c)
{
	struct fake *f = c->impl;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	watch(f, FAKE_FLUSH, 0, 0);
	f->st.flushes++;
	if (f->st.vanished)
		rc = -gone_errno(f);
	if (!rc && !f->m.cache_lies)
		rc = write_back_all(f);
	if (!rc)
		rc = card_sync(&f->lower);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static int fake_reset(struct card *c)
{
	struct fake *f = c->impl;
	int rc;

	pthread_mutex_lock(&f->lock);
	watch(f, FAKE_RESET, 0, 0);
	f->st.resets++;
	forget_all(f);
	rc = card_reset(&f->lower);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static bool fake_gone(struct card *c)
{
	struct fake *f = c->impl;
	bool gone;

	pthread_mutex_lock(&f->lock);
	gone = f->st.vanished || card_gone(&f->lower);
	pthread_mutex_unlock(&f->lock);
	return gone;
}

static int fake_host_full(struct card *c, int err)
{
	struct fake *f = c->impl;

	return card_host_full(&f->lower, err);
}

/* The tools see the medium: the cache goes there first, as if evicted. */
static int fake_tool_fd(struct card *c)
{
	struct fake *f = c->impl;

	pthread_mutex_lock(&f->lock);
	f->st.handoffs++;
	if (write_back_all(f) == 0)
		slots_clear(&f->cache);
	pthread_mutex_unlock(&f->lock);
	return card_tool_fd(&f->lower);
}

static void fake_close(struct card *c)
{
	struct fake *f = c->impl;

	card_close(&f->lower);
	slots_clear(&f->cache);
	slots_clear(&f->lost);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static const struct card_ops fake_ops = {
	.pread = fake_pread,
	.pwrite = fake_pwrite,
	.flush = fake_flush,
	.reset = fake_reset,
	.gone = fake_gone,
	.host_full = fake_host_full,
	.tool_fd = fake_tool_fd,
	.close = fake_close,
};

static bool model_fits(const struct card *c, const struct fake_model *m)
{
	if (m->cache % FAKE_SECTOR || m->lost_cache % FAKE_SECTOR)
		return false;
	if (m->fake_capacity && (m->real > c->size || (m->wrap && m->wrap < m->real)))
		return false;
	return !m->lost_cache || m->fake_capacity;
}

int fake_stack(struct card *c, const struct fake_model *m)
{
	struct fake *f;

	if (!c->ops || !model_fits(c, m))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->m = *m;
	f->cache.nslots = m->cache / FAKE_SECTOR;
	f->lost.nslots = m->lost_cache / FAKE_SECTOR;
	pthread_mutex_init(&f->lock, NULL);
	/* The card moves below; c keeps its properties, the descriptor too. */
	f->lower = *c;
	c->ops = &fake_ops;
	c->impl = f;
	return 0;
}

int fake_memfd(uint64_t size, char *path, size_t len)
{
	int fd = memfd_create("dloadcard-fake-card", MFD_CLOEXEC), e;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) != 0) {
		e = errno;
		close(fd);
		return -e;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

int fake_open(struct card *c, uint64_t size, const struct fake_model *m, struct errmsg *e)
{
	static const struct fake_model good;
	char path[64];
	int fd = fake_memfd(size, path, sizeof(path)), rc;

	card_init(c);
	if (fd < 0)
		return errmsg_set(e, fd, "cannot make a card in memory: %s", strerror(-fd));
	rc = card_open(c, path, CARD_WRITE, 0, e);
	close(fd);
	if (rc)
		return rc;
	/* Its name is its own descriptor now, which lives as long as it. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->fd);
	free(c->path);
	c->path = strdup(path);
	rc = c->path ? fake_stack(c, m ? m : &good) : -ENOMEM;
	if (rc) {
		card_close(c);
		return errmsg_set(e, rc, "cannot make the fake card: %s", strerror(-rc));
	}
	return 0;
}

int fake_get_stats(struct card *c, struct fake_stats *st)
{
	struct fake *f = c->impl;

	if (c->ops != &fake_ops)
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	*st = f->st;
	pthread_mutex_unlock(&f->lock);
	return 0;
}
