/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A hash of a source in a thread of its own: that thread is scan_run()'s
 * reader (scan.c), whose jobs (SHA-256, MD5) have a thread each.  Waiters
 * sleep on a condition, waking every WAIT_TICK_MS to see their cancel flag
 * and to move their progress.
 */
#include "config.h"

#include "firmware/srchash.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "firmware/scan.h"
#include "firmware/source.h"
#include "lib/interrupt.h"
#include "lib/nls.h"
#include "lib/strutils.h"

#define WAIT_TICK_MS 100
/* Enough to keep SHA-256 busy reading a file in the page cache (SHA-256 is
 * ten times slower than the copy), a quarter of a check's memory. */
#define HASH_BUFS 2
#define HASH_BUF_SIZE (256u << 10)

struct srchash {
	pthread_mutex_t lock;
	pthread_cond_t ended;
	pthread_t thread;
	struct source *src;		/* the hash's own reader */
	unsigned what;
	bool want_sha256, want_md5;
	unsigned char expect_sha256[32], expect_md5[16];
	uint64_t total;
	uint64_t done;			/* bytes hashed, atomically */
	volatile sig_atomic_t stop;	/* srchash_stop */
	bool joined;			/* by the thread that started it */

	/* Under lock */
	bool finished;
	int rc;
	struct errmsg error;
	struct srchash_result res;
};

static int mismatch(const char *name, const char *what, const unsigned char *got,
		    const unsigned char *want, size_t len, struct errmsg *e)
{
	char g[65], w[65];

	return errmsg_set(e, -EBADMSG, _("%s: its %s is %s, not the %s given"), name, what,
			  hex_string(got, len, g), hex_string(want, len, w));
}

int srchash_compare(const char *name, const unsigned char *sha256, const unsigned char *md5,
		    const unsigned char *expect_sha256, const unsigned char *expect_md5,
		    struct errmsg *e)
{
	if (expect_sha256 && memcmp(sha256, expect_sha256, 32) != 0)
		return mismatch(name, "SHA-256", sha256, expect_sha256, 32, e);
	if (expect_md5 && memcmp(md5, expect_md5, 16) != 0)
		return mismatch(name, "MD5", md5, expect_md5, 16, e);
	return 0;
}

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct srchash *h = arg;

	(void)total;
	__atomic_store_n(&h->done, done, __ATOMIC_RELAXED);
}

static void *hash_main(void *arg)
{
	struct srchash *h = arg;
	struct scan_opts so = {
		.what = h->what,
		.progress = on_progress,
		.progress_arg = h,
		.cancel = &h->stop,
		.bufs = HASH_BUFS,
		.buf_size = HASH_BUF_SIZE,
	};
	struct srchash_result res = { .what = h->what };
	struct scan_result sr;
	struct timespec t;
	struct errmsg e;
	int rc;

	errmsg_clear(&e);
	time_now(&t);
	rc = scan_source(h->src, &so, &sr, &e);
	res.seconds = elapsed_since(&t);
	if (!rc) {
		memcpy(res.sha256, sr.sha256, sizeof(res.sha256));
		memcpy(res.md5, sr.md5, sizeof(res.md5));
		rc = srchash_compare(source_describe(h->src), res.sha256, res.md5,
				     h->want_sha256 ? h->expect_sha256 : NULL,
				     h->want_md5 ? h->expect_md5 : NULL, &e);
	}
	pthread_mutex_lock(&h->lock);
	h->res = res;
	h->rc = rc;
	h->error = e;
	h->finished = true;
	pthread_cond_broadcast(&h->ended);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static void destroy(struct srchash *h)
{
	source_close(h->src);
	pthread_cond_destroy(&h->ended);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

int srchash_start(struct srchash **hp, const struct source *src, const struct srchash_opts *o,
		  struct errmsg *e)
{
	struct srchash *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	*hp = NULL;
	if (!h)
		return errmsg_set(e, -ENOMEM, _("out of memory"));
	h->what = o->what | (o->expect_sha256 ? SCAN_SHA256 : 0) | (o->expect_md5 ? SCAN_MD5 : 0);
	h->want_sha256 = o->expect_sha256 != NULL;
	h->want_md5 = o->expect_md5 != NULL;
	if (h->want_sha256)
		memcpy(h->expect_sha256, o->expect_sha256, sizeof(h->expect_sha256));
	if (h->want_md5)
		memcpy(h->expect_md5, o->expect_md5, sizeof(h->expect_md5));
	rc = source_reopen(src, &h->src, e);
	if (rc) {
		free(h);
		return rc;
	}
	h->total = source_size(h->src);
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->ended, &ca);
	pthread_condattr_destroy(&ca);

	/* Signals go to the threads that decide what they mean. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&h->thread, NULL, hash_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		destroy(h);
		return errmsg_set(e, -rc, _("cannot start a thread: %s"), strerror(rc));
	}
	*hp = h;
	return 0;
}

/* The verdict, h->lock held and the hash finished. */
static int verdict(const struct srchash *h, struct srchash_result *res, struct errmsg *e)
{
	if (res)
		*res = h->res;
	if (h->rc && e)
		*e = h->error;
	return h->rc;
}

int srchash_poll(struct srchash *h, struct srchash_result *res, struct errmsg *e)
{
	int rc = -EINPROGRESS;

	pthread_mutex_lock(&h->lock);
	if (h->finished)
		rc = verdict(h, res, e);
	pthread_mutex_unlock(&h->lock);
	return rc;
}

static void tick_deadline(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_nsec += WAIT_TICK_MS * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static const char *ended_as(int rc)
{
	switch (rc) {
	case 0:
		return _("done");
	case -ECANCELED:
		return _("interrupted");
	case -EBADMSG:
		return _("does not match");
	}
	return _("failed");
}

int srchash_wait(struct srchash *h, volatile sig_atomic_t *cancel, struct progress *pg,
		 struct srchash_result *res, struct errmsg *e)
{
	bool shown = false;
	int rc;

	pthread_mutex_lock(&h->lock);
	while (!h->finished && !cancel_requested(cancel)) {
		struct timespec ts;

		if (pg) {
			pthread_mutex_unlock(&h->lock);
			if (!shown)
				progress_begin(pg, h->what & SCAN_MD5 ? _("Computing SHA-256 and MD5") :
					       _("Computing SHA-256"), h->total);
			shown = true;
			progress_update(pg, srchash_done(h));
			pthread_mutex_lock(&h->lock);
		}
		tick_deadline(&ts);
		pthread_cond_timedwait(&h->ended, &h->lock, &ts);
	}
	rc = h->finished ? verdict(h, res, e) : errmsg_set(e, -ECANCELED, _("interrupted"));
	pthread_mutex_unlock(&h->lock);
	if (shown) {
		if (!rc)
			progress_update(pg, h->total);
		progress_end(pg, "%s", ended_as(rc));
	}
	return rc;
}

uint64_t srchash_done(const struct srchash *h)
{
	return __atomic_load_n(&h->done, __ATOMIC_RELAXED);
}

uint64_t srchash_total(const struct srchash *h)
{
	return h->total;
}

void srchash_stop(struct srchash *h)
{
	if (!h || h->joined)
		return;
	__atomic_store_n(&h->stop, 1, __ATOMIC_RELAXED);
	pthread_join(h->thread, NULL);
	h->joined = true;
}

void srchash_free(struct srchash *h)
{
	if (!h)
		return;
	srchash_stop(h);
	destroy(h);
}
