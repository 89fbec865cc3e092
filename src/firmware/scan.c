/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One pass, several jobs.  A fan-out of SCAN_BUFS buffers; the caller's thread
 * fills them in order; each job has a thread that takes every buffer in
 * order; a buffer is refilled once every job is done with it.  SHA-256 is
 * the slowest job (about 1.2 GB/s here), so it sets the pace; reading and the
 * container check share the other core.
 */
#include "config.h"

#include "firmware/scan.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "firmware/source.h"
#include "lib/nls.h"

#define MAX_JOBS 3
#define PROGRESS_NS 100000000   /* 10 calls a second at most */

struct slot {
	unsigned char *buf;
	size_t len;
	int pending;                    /* jobs still to take it */
};

/*
 * Not pipeline/ring.h's ring: there each buffer goes to one consumer, here
 * every job takes every buffer (a fan-out), and a buffer is free again once
 * the last job is done with it.  (firmware/ is also below pipeline/.)
 */
struct fanout {
	pthread_mutex_t lock;
	pthread_cond_t can_fill;        /* a slot was released */
	pthread_cond_t can_take;        /* a slot was filled, or the end */
	struct slot slot[SCAN_BUFS];
	unsigned nslots;                /* slots in use */
	size_t size;                    /* of each buffer */
	uint64_t filled;                /* slots filled so far, in order */
	uint64_t released;              /* bytes every job is done with */
	bool eof;
	bool abort;
	int njobs;
};

struct job {
	struct fanout *fan;
	pthread_t thread;
	bool started;
	void (*work)(struct job *j, const unsigned char *p, size_t len);
	EVP_MD_CTX *md;                 /* digest jobs */
	bool is_md5;
	struct ua_check *check;         /* the check job */
	bool failed;                    /* a digest update failed */
};

/* ---- jobs ------------------------------------------------------------------ */

static void work_digest(struct job *j, const unsigned char *p, size_t len)
{
	if (!j->failed && EVP_DigestUpdate(j->md, p, len) != 1)
		j->failed = true;
}

static void work_check(struct job *j, const unsigned char *p, size_t len)
{
	ua_check_feed(j->check, p, len);
}

static void *job_main(void *arg)
{
	struct job *j = arg;
	struct fanout *r = j->fan;

	for (uint64_t seq = 0;; seq++) {
		struct slot *s;

		pthread_mutex_lock(&r->lock);
		while (seq == r->filled && !r->eof && !r->abort)
			pthread_cond_wait(&r->can_take, &r->lock);
		if (r->abort || seq == r->filled) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		s = &r->slot[seq % r->nslots];
		pthread_mutex_unlock(&r->lock);

		j->work(j, s->buf, s->len);

		pthread_mutex_lock(&r->lock);
		if (--s->pending == 0) {
			r->released += s->len;
			pthread_cond_signal(&r->can_fill);
		}
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

static int digest_job(struct job *j, const EVP_MD *md, const char *name, struct errmsg *e)
{
	j->md = EVP_MD_CTX_new();
	if (!j->md || !md || EVP_DigestInit_ex(j->md, md, NULL) != 1)
		return errmsg_set(e, -ENOSYS, _("cannot compute %s: the crypto library refuses it"),
				  name);
	j->work = work_digest;
	return 0;
}

/* ---- the fan-out ----------------------------------------------------------- */

static void fanout_free(struct fanout *r)
{
	for (int i = 0; i < SCAN_BUFS; i++)
		free(r->slot[i].buf);
	pthread_cond_destroy(&r->can_take);
	pthread_cond_destroy(&r->can_fill);
	pthread_mutex_destroy(&r->lock);
}

static int fanout_init(struct fanout *r, const struct scan_opts *o)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->can_fill, NULL);
	pthread_cond_init(&r->can_take, NULL);
	r->nslots = o->bufs && o->bufs < SCAN_BUFS ? o->bufs : SCAN_BUFS;
	r->size = o->buf_size ? o->buf_size : SCAN_BUF_SIZE;
	for (unsigned i = 0; i < r->nslots; i++) {
		void *p;

		if (posix_memalign(&p, 4096, r->size) != 0)
			return -ENOMEM;
		r->slot[i].buf = p;
	}
	return 0;
}

/* Stop the jobs: at the end (they finish the filled buffers) or now. */
static void fanout_end(struct fanout *r, bool abort)
{
	pthread_mutex_lock(&r->lock);
	r->eof = true;
	r->abort |= abort;
	pthread_cond_broadcast(&r->can_take);
	pthread_mutex_unlock(&r->lock);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Fill the buffers until the end, an error or a cancel. */
static int produce(struct fanout *r, scan_read_fn rd, void *rd_arg, uint64_t total,
		   const struct scan_opts *o, uint64_t *bytes)
{
	uint64_t last = now_ns();

	for (uint64_t seq = 0;; seq++) {
		struct slot *s = &r->slot[seq % r->nslots];
		uint64_t released;
		ssize_t n;

		if (o->cancel && __atomic_load_n(o->cancel, __ATOMIC_RELAXED))
			return -ECANCELED;
		pthread_mutex_lock(&r->lock);
		while (s->pending)
			pthread_cond_wait(&r->can_fill, &r->lock);
		released = r->released;
		pthread_mutex_unlock(&r->lock);

		if (o->progress && now_ns() - last >= PROGRESS_NS) {
			o->progress(o->progress_arg, released, total);
			last = now_ns();
		}

		n = rd(rd_arg, s->buf, r->size);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		*bytes += (uint64_t)n;

		pthread_mutex_lock(&r->lock);
		s->len = (size_t)n;
		s->pending = r->njobs;
		r->filled++;
		pthread_cond_broadcast(&r->can_take);
		pthread_mutex_unlock(&r->lock);
	}
}

/* ---- scan_run ------------------------------------------------------------ */

static int start_jobs(struct fanout *r, struct job *jobs, int n, struct errmsg *e)
{
	sigset_t all, old;
	int rc = 0;

	/* Signals go to the caller's thread, whose handler sets *cancel. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < n && !rc; i++) {
		jobs[i].fan = r;
		rc = pthread_create(&jobs[i].thread, NULL, job_main, &jobs[i]);
		if (!rc)
			jobs[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return errmsg_set(e, -rc, _("cannot start a thread: %s"), strerror(rc));
	return 0;
}

static int setup_jobs(const struct scan_opts *o, uint64_t total,
		      struct job *jobs, int *n, struct errmsg *e)
{
	int rc = 0;

	*n = 0;
	if (o->what & SCAN_CHECK) {
		jobs[*n].check = ua_check_new(total);
		if (!jobs[*n].check)
			return errmsg_set(e, -ENOMEM, _("out of memory"));
		jobs[(*n)++].work = work_check;
	}
	if (o->what & SCAN_SHA256)
		rc = digest_job(&jobs[(*n)++], EVP_sha256(), "SHA-256", e);
	if (!rc && (o->what & SCAN_MD5)) {
		jobs[*n].is_md5 = true;
		rc = digest_job(&jobs[(*n)++], EVP_md5(), "MD5", e);
	}
	return rc;
}

static void free_jobs(struct job *jobs, int n)
{
	for (int i = 0; i < n; i++) {
		EVP_MD_CTX_free(jobs[i].md);
		ua_check_free(jobs[i].check);
	}
}

static int collect(struct job *jobs, int n, struct scan_result *res, struct errmsg *e)
{
	for (int i = 0; i < n; i++) {
		struct job *j = &jobs[i];

		if (j->check) {
			ua_check_finish(j->check);
			res->check = j->check;
			j->check = NULL;
			continue;
		}
		if (j->failed || EVP_DigestFinal_ex(j->md, j->is_md5 ? res->md5 :
						     res->sha256, NULL) != 1)
			return errmsg_set(e, -EIO, _("computing a digest failed"));
	}
	return 0;
}

int scan_run(scan_read_fn rd, void *rd_arg, uint64_t total,
	     const struct scan_opts *o, struct scan_result *res, struct errmsg *e)
{
	struct job jobs[MAX_JOBS];
	struct fanout fan;
	int njobs = 0, rc;

	memset(res, 0, sizeof(*res));
	memset(jobs, 0, sizeof(jobs));
	rc = fanout_init(&fan, o);
	if (rc)
		errmsg_set(e, rc, _("out of memory"));
	if (!rc)
		rc = setup_jobs(o, total, jobs, &njobs, e);
	fan.njobs = njobs;
	if (!rc)
		rc = start_jobs(&fan, jobs, njobs, e);
	if (!rc) {
		rc = produce(&fan, rd, rd_arg, total, o, &res->bytes);
		if (rc == -ECANCELED)
			errmsg_set(e, rc, _("interrupted"));
		else if (rc < 0)
			errmsg_set(e, rc, _("read error at byte %llu: %s"),
				   (unsigned long long)res->bytes, strerror(-rc));
	}
	fanout_end(&fan, rc != 0);
	for (int i = 0; i < njobs; i++)
		if (jobs[i].started)
			pthread_join(jobs[i].thread, NULL);
	if (!rc)
		rc = collect(jobs, njobs, res, e);
	if (!rc && o->progress)
		o->progress(o->progress_arg, res->bytes, total);
	free_jobs(jobs, njobs);
	fanout_free(&fan);
	if (rc) {
		ua_check_free(res->check);
		res->check = NULL;
	}
	return rc;
}

/* ---- over a source ------------------------------------------------------- */

struct source_reader {
	struct source *src;
	bool failed;
	struct errmsg said;		/* the source's own words */
};

static ssize_t read_source(void *arg, void *buf, size_t len)
{
	struct source_reader *r = arg;
	ssize_t n = source_read(r->src, buf, len, &r->said);

	if (n < 0)
		r->failed = true;
	return n;
}

int scan_source(struct source *src, const struct scan_opts *o,
		struct scan_result *res, struct errmsg *e)
{
	struct source_reader r = { .src = src };
	int rc = scan_run(read_source, &r, source_size(src), o, res, e);

	/* What was hashed and checked must be one file, not a mixture of
	 * before and after a writer's changes. */
	if (!rc && source_check_unchanged(src, &r.said) != 0) {
		r.failed = true;
		rc = -ESTALE;
		ua_check_free(res->check);
		res->check = NULL;
	}
	/* The source's own words are better than strerror(). */
	if (rc < 0 && r.failed && e)
		*e = r.said;
	return rc;
}
