/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fat/mtools.h"
#include "firmware/source.h"
#include "firmware/srchash.h"
#include "lib/exitcodes.h"
#include "lib/interrupt.h"
#include "lib/nls.h"
#include "lib/strutils.h"
#include "pipeline/verify.h"
#include "station/batch.h"

const char *batch_outcome_name(enum card_outcome o)
{
	switch (o) {
	case OUTCOME_OK:		return "ok";
	case OUTCOME_ALREADY:		return "already";
	case OUTCOME_REFUSED:		return "refused";
	case OUTCOME_FAILED:		return "failed";
	case OUTCOME_INTERRUPTED:	return "interrupted";
	}
	return "?";
}

static enum card_outcome outcome_of(int exit_code)
{
	switch (exit_code) {
	case EXIT_OK:		return OUTCOME_OK;
	case EXIT_REFUSED:	return OUTCOME_REFUSED;
	case EXIT_INTERRUPTED:	return OUTCOME_INTERRUPTED;
	}
	return OUTCOME_FAILED;
}

int batch_init(struct batch *b, const struct prepare_opts *opts, const struct prepare_source *ps,
	       size_t n, const char *source_name, struct view *view, struct shoplog *log)
{
	memset(b, 0, sizeof(*b));
	b->opts = opts;
	if (n < 1 || n > PREPARE_MAX_FILES)
		return -EINVAL;
	memcpy(b->ps, ps, n * sizeof(*ps));
	b->nps = n;
	b->source_name = source_name;
	b->view = view;
	b->log = log;
	b->notify[0] = b->notify[1] = -1;
	for (size_t i = 0; i < n; i++)
		if (stat(ps[i].path, &b->source_st[i]) != 0)
			return -errno;
	if (pipe2(b->notify, O_CLOEXEC | O_NONBLOCK) != 0)
		return -errno;
	pthread_mutex_init(&b->lock, NULL);
	return 0;
}

/* A card given up on whose thread still runs. */
static bool any_stuck(struct batch *b)
{
	bool stuck = false;
	size_t i;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < b->n && !stuck; i++)
		stuck = b->cards[i]->started && !b->cards[i]->exited && b->cards[i]->given_up;
	pthread_mutex_unlock(&b->lock);
	return stuck;
}

bool batch_destroy(struct batch *b)
{
	const struct timespec moment = { 0, 50 * 1000 * 1000 };
	size_t i;
	int tries;

	/* A card just given up on may end in a moment, its mtools killed. */
	for (tries = 0; tries < 20 && any_stuck(b); tries++)
		nanosleep(&moment, NULL);
	batch_poll(b);		/* joins the threads that ended */
	if (any_stuck(b))
		return false;
	for (i = 0; i < b->n; i++) {
		struct batch_card *c = b->cards[i];

		if (c->started && !c->joined)
			pthread_join(c->thread, NULL);
		if (!c->started)
			prepare_close(&c->run);
		free(c->target);
		free(c);
	}
	free(b->cards);
	close(b->notify[0]);
	close(b->notify[1]);
	pthread_mutex_destroy(&b->lock);
	return true;
}

static void on_progress(void *arg, const struct progress *p, enum progress_event ev)
{
	struct batch_card *c = arg;

	view_progress(c->b->view, &c->row, p, ev);
}

/* "sdb" for /dev/sdb; an image keeps its path, cut from the left to fit. */
static void short_name(const char *target, char *buf, size_t len)
{
	size_t n;

	if (strncmp(target, "/dev/", 5) == 0)
		target += 5;
	n = strlen(target);
	if (n < len)
		xstrncpy(buf, target, len);
	else
		snprintf(buf, len, "...%s", target + n - (len - 4));
}

/*
 * Is c a card of the batch still to be made or in progress, under another
 * name (the same file, a loop device and its file)?  Its lock would say
 * "locked by another program": say what it is instead.  Main thread.
 */
static void find_same(struct batch *b, struct batch_card *c)
{
	struct sysroot root;
	char how[2 * PATH_MAX + 64];
	size_t i;

	sysroot_init(&root, b->opts->sysroot);
	if (identity_of_path(&root, c->target, &c->card_id) != 0)
		return;
	for (i = 0; i < b->n; i++) {
		struct batch_card *o = b->cards[i];
		bool pending;

		pthread_mutex_lock(&b->lock);
		pending = !o->finished;
		pthread_mutex_unlock(&b->lock);
		if (!pending || !identity_same(&c->card_id, &o->card_id))
			continue;
		if (strcmp(c->target, o->target) == 0)
			snprintf(c->same, sizeof(c->same), _("%s is named twice: it is made once"),
				 c->target);
		else
			snprintf(c->same, sizeof(c->same), _("%s is the same card as %s (%s): it is "
				 "made once"), c->target, o->target,
				 identity_explain(&c->card_id, c->target, &o->card_id, o->target,
						  how, sizeof(how)));
		return;
	}
}

/* Room for one more card in b->cards.  0 or -ENOMEM. */
static int grow(struct batch *b)
{
	struct batch_card **more;
	size_t cap;

	if (b->n < b->cap)
		return 0;
	cap = b->cap ? 2 * b->cap : 8;
	more = reallocarray(b->cards, cap, sizeof(*b->cards));
	if (!more)
		return -ENOMEM;
	b->cards = more;
	b->cap = cap;
	return 0;
}

struct batch_card *batch_add(struct batch *b, const char *target, const struct disk_info *d)
{
	struct batch_card *c = calloc(1, sizeof(*c));
	int rc;

	if (c)
		c->target = strdup(target);
	pthread_mutex_lock(&b->lock);
	rc = c && c->target ? grow(b) : -ENOMEM;
	pthread_mutex_unlock(&b->lock);
	if (rc) {
		if (c)
			free(c->target);
		free(c);
		return NULL;
	}
	c->b = b;
	find_same(b, c);
	short_name(target, c->name, sizeof(c->name));
	if (d) {
		c->id = d->id;
		c->size = d->id.size;
		disks_short_identity(&d->id, c->ident, sizeof(c->ident));
	}
	progress_init(&c->pg, on_progress, c);
	view_row_init(&c->row, c->name);
	pthread_mutex_lock(&b->lock);
	b->cards[b->n++] = c;
	pthread_mutex_unlock(&b->lock);
	return c;
}

static void fill_result(struct batch_card *c, int rc, struct card_result *res)
{
	const struct prepare_run *r = &c->run;

	memset(res, 0, sizeof(*res));
	res->exit_code = rc;
	res->outcome = outcome_of(rc);
	if (rc) {
		xstrncpy(res->error, r->error.text, sizeof(res->error));
		xstrncpy(res->advice, r->advice, sizeof(res->advice));
		res->phase = prepare_phase_name(r->phase);
	}
	res->card_state = prepare_card_state(r);
	res->have_card_sha = r->files[0].card_sha_known;
	memcpy(res->card_sha256, r->files[0].card_sha256, sizeof(res->card_sha256));
	res->nfiles = r->nfiles;
	for (size_t i = 0; i < r->nfiles; i++) {
		res->files[i].card_off = r->files[i].card_off;
		res->files[i].have_card_sha = r->files[i].card_sha_known;
		memcpy(res->files[i].card_sha256, r->files[i].card_sha256,
		       sizeof(res->files[i].card_sha256));
	}
	memcpy(res->seconds, r->seconds, sizeof(res->seconds));
	res->hash_wait = r->hash_wait;
	res->size = r->card.size;
}

static void log_card(struct batch_card *c, struct card_result *res);
static void announce(struct batch_card *c, const struct card_result *res);

static void notify(struct batch *b)
{
	char x = 1;

	/* A full pipe already says "look"; nothing is lost. */
	if (write(b->notify[1], &x, 1) < 0 && errno != EAGAIN)
		return;
}

/*
 * The card's result, once: the thread's own, or the main thread's verdict
 * on a card it gives up on (stalled, abandoned), whichever comes first.
 * Logged before it is shown, so that a card reported done always has its
 * line in the log.
 */
static bool publish(struct batch_card *c, struct card_result *res, bool main_thread)
{
	struct batch *b = c->b;
	bool first;

	pthread_mutex_lock(&b->lock);
	first = !c->finished;
	if (first && main_thread && !c->exited)
		c->given_up = true;
	if (first) {
		res->ended = time(NULL);
		res->started = c->started_at;
		res->total_seconds = elapsed_since(&c->t0);
		c->res = *res;
		c->finished = true;
	}
	pthread_mutex_unlock(&b->lock);
	if (!first)
		return false;
	log_card(c, res);
	announce(c, res);
	notify(b);
	return true;
}

int batch_open(struct batch_card *c)
{
	struct batch *b = c->b;
	struct prepare_run *r = &c->run;
	struct card_result res;
	char size[48];
	int rc;

	c->started_at = time(NULL);
	time_now(&c->t0);
	if (*c->same)
		rc = prepare_fail(r, EXIT_REFUSED, NULL, "%s", c->same);
	else
		rc = prepare_open(r, c->target, b->opts, b->ps, b->nps, &c->pg, &c->cancel);
	c->opened = true;
	if (r->card.blockdev) {
		c->id = r->id;
		disks_short_identity(&r->id, c->ident, sizeof(c->ident));
	} else if (r->card_open) {
		snprintf(c->ident, sizeof(c->ident),
			 r->card.created ? _("image file, %s (new)") : _("image file, %s"),
			 size_to_human(r->card.size, size, sizeof(size)));
	}
	if (r->card_open)
		c->size = r->card.size;
	if (rc) {
		prepare_close(r);
		fill_result(c, rc, &res);
		publish(c, &res, false);
	}
	return rc;
}

/* The file to write must be the one checked: same inode, size and times. */
static bool same_source(const struct batch *b, size_t i, struct source *src)
{
	const struct stat *a = &b->source_st[i];
	struct stat st;

	return stat(source_path(src), &st) == 0 && st.st_dev == a->st_dev &&
	       st.st_ino == a->st_ino && st.st_size == a->st_size &&
	       st.st_mtim.tv_sec == a->st_mtim.tv_sec && st.st_mtim.tv_nsec == a->st_mtim.tv_nsec &&
	       st.st_ctim.tv_sec == a->st_ctim.tv_sec && st.st_ctim.tv_nsec == a->st_ctim.tv_nsec;
}

/* Each card reads the source on its own: reads are sequential (a zip is a
 * stream), and one card's pace must not hold back another. */
static int write_card(struct batch_card *c)
{
	struct batch *b = c->b;
	struct prepare_run *r = &c->run;
	struct source *src[PREPARE_MAX_FILES] = { NULL };
	struct errmsg e;
	size_t i;
	int rc = 0;

	if (cancel_requested(&c->cancel))
		return prepare_fail(r, EXIT_INTERRUPTED, NULL, _("interrupted before anything was "
				    "written"));
	for (i = 0; i < b->nps && !rc; i++) {
		const struct prepare_source *ps = &b->ps[i];

		/* An SD package goes as it is, the zip's own bytes. */
		if ((ps->card_name ? source_open_raw(&src[i], ps->path, &e) :
		     source_open_member(&src[i], ps->path, ps->member, &e)) != 0)
			rc = prepare_fail(r, EXIT_SOURCE_INVALID, NULL, "%s", e.text);
		else if (!same_source(b, i, src[i]))
			rc = prepare_fail(r, EXIT_SOURCE_DAMAGED, NULL, _("%s changed since it was "
					  "checked: keep it unchanged while dloadcard runs"),
					  ps->path);
	}
	if (!rc)
		rc = prepare_write(r, src, b->ps, b->nps);
	for (i = 0; i < b->nps; i++)
		source_close(src[i]);
	return rc;
}

/* --watch: dload/UPDATE.APP is this very UPDATE.APP (a file of the right
 * size read back in full and compared).  rep: verify's report. */
static bool app_found(struct batch_card *c, struct card *card, struct verify_report *rep)
{
	struct batch *b = c->b;
	struct verify_opts vo = { .quick = true, .pg = &c->pg, .cancel = &c->cancel };
	struct srchash_result d;
	int rc;

	progress_note(&c->pg, _("Looking for this UPDATE.APP on the card"));
	rc = verify_card(card, &vo, rep);
	/* The source's SHA-256 is needed only now (and the source is right
	 * only if its hash says so). */
	if ((rc == EXIT_OK || rc == EXIT_VERIFY_WARN) && rep->have_file &&
	    rep->file_size == b->ps[0].size &&
	    srchash_wait(b->ps[0].hash, &c->cancel, &c->pg, &d, NULL) == 0) {
		vo.quick = false;
		vo.expect_sha256 = d.sha256;
		rc = verify_card(card, &vo, rep);
		return (rc == EXIT_OK || rc == EXIT_VERIFY_WARN) && rep->read_done;
	}
	return false;
}

/* The card's file of dload/ named so, or NULL. */
static const struct vfile *card_file(const struct verify_report *rep, const char *name)
{
	for (size_t i = 0; i < rep->n_files; i++)
		if (strcasecmp(rep->files[i].name, name) == 0)
			return &rep->files[i];
	return NULL;
}

/* --watch with an SD package set: dload/ holds these very packages and no
 * other (by name and size first, then each read back and compared byte for
 * byte), and verify calls the set good. */
static bool set_found(struct batch_card *c, struct card *card, struct verify_report *rep)
{
	struct batch *b = c->b;
	struct verify_ref refs[PREPARE_MAX_FILES] = { 0 };
	struct verify_opts vo = { .quick = true, .pg = &c->pg, .cancel = &c->cancel,
				  .refs = refs, .n_refs = b->nps };
	int rc;

	for (size_t i = 0; i < b->nps; i++) {
		if (!b->ps[i].card_name)
			return false;	/* an UPDATE.APP in a set: never on a card */
		refs[i].path = b->ps[i].path;
		xstrncpy(refs[i].card_name, b->ps[i].card_name, sizeof(refs[i].card_name));
	}
	progress_note(&c->pg, _("Looking for this SD package set on the card"));
	rc = verify_card(card, &vo, rep);
	if ((rc != EXIT_OK && rc != EXIT_VERIFY_WARN) || rep->layout != VL_SD_SET)
		return false;
	for (size_t i = 0; i < b->nps; i++) {
		const struct vfile *f = card_file(rep, b->ps[i].card_name);

		if (!f || f->size != b->ps[i].size)
			return false;
	}
	vo.quick = false;
	rc = verify_card(card, &vo, rep);
	return rc == EXIT_OK || rc == EXIT_VERIFY_WARN;
}

/*
 * --watch: is the card already a dload card of this very UPDATE.APP, or SD
 * package set?  A quick look at the structure first; only files of the
 * right sizes are then read back in full and compared.  Read-only.
 */
static bool already_done(struct batch_card *c, struct card_result *res)
{
	struct batch *b = c->b;
	bool set = b->nps != 1 || b->ps[0].card_name;
	struct verify_report *rep;
	struct timespec t;
	struct card card;
	bool found;

	time_now(&t);
	rep = malloc(sizeof(*rep));
	if (!rep)
		return false;
	if (card_open(&card, c->target, 0, 0, NULL) != 0) {
		free(rep);
		return false;
	}
	found = set ? set_found(c, &card, rep) : app_found(c, &card, rep);
	card_close(&card);
	if (found) {
		memset(res, 0, sizeof(*res));
		res->outcome = OUTCOME_ALREADY;
		res->card_state = set ?
			_("the card is ready: dload/ holds this SD package set, verified") :
			_("the card is ready: dload/UPDATE.APP is this UPDATE.APP, verified");
		res->nfiles = set ? b->nps : 0;
		for (size_t i = 0; i < res->nfiles; i++) {
			const struct vfile *f = card_file(rep, b->ps[i].card_name);

			res->files[i].have_card_sha = f && f->read_done;
			if (f)
				memcpy(res->files[i].card_sha256, f->sha256, 32);
		}
		res->have_card_sha = set ? res->files[0].have_card_sha : true;
		memcpy(res->card_sha256, set ? res->files[0].card_sha256 : rep->sha256,
		       sizeof(res->card_sha256));
		res->check_seconds = elapsed_since(&t);
	}
	free(rep);
	return found;
}

static void *card_main(void *arg)
{
	struct batch_card *c = arg;
	struct batch *b = c->b;
	struct card_result res;
	struct timespec t;
	double check = 0;
	int rc = 0;

	if (!c->opened) {
		time_now(&t);
		if (!b->redo && !cancel_requested(&c->cancel) && already_done(c, &res)) {
			publish(c, &res, false);
			goto out;
		}
		check = elapsed_since(&t);
		if (cancel_requested(&c->cancel))
			rc = prepare_fail(&c->run, EXIT_INTERRUPTED, NULL, _("interrupted before "
					  "anything was written"));
		else if (*c->same)
			rc = prepare_fail(&c->run, EXIT_REFUSED, NULL, "%s", c->same);
		else
			rc = prepare_open(&c->run, c->target, b->opts, b->ps, b->nps, &c->pg, &c->cancel);
	}
	if (!rc)
		rc = write_card(c);
	prepare_close(&c->run);
	fill_result(c, rc, &res);
	res.check_seconds = check;
	publish(c, &res, false);
out:
	pthread_mutex_lock(&b->lock);
	c->exited = true;
	pthread_mutex_unlock(&b->lock);
	notify(b);
	return NULL;
}

int batch_start(struct batch_card *c)
{
	struct batch *b = c->b;
	struct card_result res;
	int rc;

	if (!c->opened) {
		c->started_at = time(NULL);
		time_now(&c->t0);
	}
	stall_watch_start(&c->stall, &c->pg, BATCH_TICK_MS);
	view_show(b->view, &c->row, _("Starting"));
	pthread_mutex_lock(&b->lock);
	c->started = true;
	pthread_mutex_unlock(&b->lock);
	rc = pthread_create(&c->thread, NULL, card_main, c);
	if (rc == 0)
		return 0;
	pthread_mutex_lock(&b->lock);
	c->started = false;
	pthread_mutex_unlock(&b->lock);
	prepare_close(&c->run);
	fill_result(c, prepare_fail(&c->run, EXIT_ERROR, NULL, _("cannot start a thread: %s"),
				    strerror(rc)), &res);
	publish(c, &res, false);
	return -rc;
}

void batch_cancel_all(struct batch *b)
{
	size_t i;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < b->n; i++)
		__atomic_store_n(&b->cards[i]->cancel, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&b->lock);
}

int batch_notify_fd(const struct batch *b)
{
	return b->notify[0];
}

/* The main thread's verdict on a running card it gives up on: its thread
 * is told to stop, should it ever get the chance, and its mtools killed. */
static void give_up(struct batch_card *c, int code, const char *error, const char *advice)
{
	struct card_result res;
	enum prepare_phase phase;

	__atomic_store_n(&c->cancel, 1, __ATOMIC_RELAXED);
	mtools_kill_thread(c->thread);
	/* Where the thread is, read once: it may still be moving. */
	phase = __atomic_load_n(&c->run.phase, __ATOMIC_RELAXED);
	memset(&res, 0, sizeof(res));
	res.exit_code = code;
	res.outcome = outcome_of(code);
	xstrncpy(res.error, error, sizeof(res.error));
	xstrncpy(res.advice, advice, sizeof(res.advice));
	res.card_state = prepare_state_at(phase, false);
	res.phase = prepare_phase_name(phase);
	publish(c, &res, true);
}

/*
 * A card whose progress has not moved for the timeout is blocked in the
 * kernel, where no thread can reach it: it is reported failed now, and told
 * to stop at its next step should the kernel ever let it go.
 */
static void conclude_stalled(struct batch_card *c, double secs)
{
	char phase[64], error[256];

	view_phase(c->b->view, &c->row, phase, sizeof(phase));
	snprintf(error, sizeof(error), _("the card stopped responding: no progress for "
		 "%.0f s during \"%s\""), secs, phase);
	give_up(c, EXIT_STALLED, error, _("The card or the reader hangs: remove the card, then try "
		"another reader or card."));
}

void batch_abandon_all(struct batch *b)
{
	size_t i, n;

	pthread_mutex_lock(&b->lock);
	n = b->n;
	pthread_mutex_unlock(&b->lock);
	for (i = 0; i < n; i++) {
		struct batch_card *c = b->cards[i];
		char error[64];
		bool running;

		pthread_mutex_lock(&b->lock);
		running = c->started && !c->finished;
		pthread_mutex_unlock(&b->lock);
		if (!running)
			continue;
		snprintf(error, sizeof(error), _("interrupted during %s, and the cleanup abandoned"),
			 prepare_phase_name(__atomic_load_n(&c->run.phase, __ATOMIC_RELAXED)));
		give_up(c, EXIT_INTERRUPTED, error, _("Prepare the card again."));
	}
}

static void check_stall(struct batch_card *c, unsigned timeout)
{
	if (stall_watch_stalled(&c->stall, &c->pg, timeout))
		conclude_stalled(c, (double)c->stall.quiet_ms / 1000);
}

void batch_poll(struct batch *b)
{
	char buf[64];
	size_t i, n;

	while (read(b->notify[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&b->lock);
	n = b->n;
	pthread_mutex_unlock(&b->lock);
	for (i = 0; i < n; i++) {
		struct batch_card *c = b->cards[i];
		bool running, join;

		pthread_mutex_lock(&b->lock);
		running = c->started && !c->finished;
		join = c->started && c->exited && !c->joined;
		pthread_mutex_unlock(&b->lock);
		if (join) {
			pthread_join(c->thread, NULL);
			c->joined = true;
		} else if (running) {
			check_stall(c, b->stall_timeout);
		}
	}
}

size_t batch_running(struct batch *b)
{
	size_t i, n = 0;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < b->n; i++)
		n += b->cards[i]->started && !b->cards[i]->finished;
	pthread_mutex_unlock(&b->lock);
	return n;
}

size_t batch_count(struct batch *b, enum card_outcome o)
{
	size_t i, n = 0;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < b->n; i++)
		n += b->cards[i]->finished && b->cards[i]->res.outcome == o;
	pthread_mutex_unlock(&b->lock);
	return n;
}

bool batch_settled(struct batch *b)
{
	bool settled = true;
	size_t i;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < b->n && settled; i++) {
		const struct batch_card *c = b->cards[i];

		settled = !c->started || c->exited || (c->finished && c->given_up);
	}
	pthread_mutex_unlock(&b->lock);
	return settled;
}

bool batch_busy(struct batch *b, const char *target)
{
	bool busy = false;
	size_t i;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < b->n && !busy; i++)
		busy = b->cards[i]->started && !b->cards[i]->exited &&
		       strcmp(b->cards[i]->target, target) == 0;
	pthread_mutex_unlock(&b->lock);
	return busy;
}

bool batch_result(struct batch *b, size_t i, struct card_result *res)
{
	bool done;

	pthread_mutex_lock(&b->lock);
	done = i < b->n && b->cards[i]->finished;
	if (done)
		*res = b->cards[i]->res;
	pthread_mutex_unlock(&b->lock);
	return done;
}

/* --- Reporting --------------------------------------------------------------- */

static void announce(struct batch_card *c, const struct card_result *res)
{
	struct view *v = c->b->view;
	char took[16];

	format_duration(res->total_seconds, took, sizeof(took));
	switch (res->outcome) {
	case OUTCOME_OK:
		view_hide(v, &c->row, _("%s: READY: dload card written and verified in %s; you may "
			  "pull it out.  [%s]"), c->name, took, c->ident);
		break;
	case OUTCOME_ALREADY:
		view_hide(v, &c->row, res->nfiles ?
			  _("%s: ALREADY READY: it holds this SD package set, each read back and "
			    "verified; left alone (--redo writes it again); you may pull it out.  [%s]") :
			  _("%s: ALREADY READY: it holds this UPDATE.APP, read back and "
			    "verified; left alone (--redo writes it again); you may pull it out.  [%s]"),
			  c->name, c->ident);
		break;
	case OUTCOME_REFUSED:
		view_hide(v, &c->row, _("%s: REFUSED: %s"), c->name, res->error);
		break;
	case OUTCOME_INTERRUPTED:
		view_hide(v, &c->row, _("%s: INTERRUPTED: %s.\n    State: %s."), c->name, res->error,
			  res->card_state);
		break;
	case OUTCOME_FAILED:
		view_hide(v, &c->row, _("%s: FAILED: %s%s%s\n    State: %s; set the card aside.  [%s]"),
			  c->name, res->error, *res->advice ? "\n    " : "", res->advice,
			  res->card_state, c->ident);
		break;
	}
}

static void json_maybe(struct json *j, const char *key, const char *val)
{
	json_str(j, key, val && *val ? val : NULL);
}

static void json_identity(struct json *j, const struct batch_card *c,
			  const struct card_result *res)
{
	const struct disk_identity *id = &c->id;

	json_open(j, "card");
	json_maybe(j, "identity", c->ident);
	json_u64(j, "size", res->size ? res->size : c->size);
	json_maybe(j, "bus", id->bus);
	json_maybe(j, "vendor", id->vendor);
	json_maybe(j, "model", id->model);
	json_maybe(j, "serial", id->serial);
	json_maybe(j, "cid", id->cid);
	json_maybe(j, "name", id->card_name);
	json_maybe(j, "manfid", id->manfid);
	json_maybe(j, "oemid", id->oemid);
	json_maybe(j, "date", id->date);
	json_maybe(j, "reader", id->reader);
	json_maybe(j, "reader_id", id->reader_id);
	json_maybe(j, "reader_serial", id->reader_serial);
	json_maybe(j, "backing_file", id->backing_file);
	json_close(j);
}

/* A file's SHA-256 from its hash: unknown while it is still computed (a
 * card that failed early). */
static const char *source_sha256(const struct prepare_source *ps, char *hex)
{
	struct srchash_result d;
	int rc = srchash_poll(ps->hash, &d, NULL);

	return rc == 0 || rc == -EBADMSG ? hex_string(d.sha256, 32, hex) : NULL;
}

void batch_source_json(struct json *j, const struct batch *b, const struct card_result *card)
{
	char hex[65];

	json_open(j, "source");
	json_str(j, "path", b->ps[0].path);
	json_str(j, "name", b->source_name);
	json_u64(j, "size", b->ps[0].size);
	json_str(j, "sha256", source_sha256(&b->ps[0], hex));
	json_close(j);
	json_open_array(j, "files");
	for (size_t i = 0; i < b->nps; i++) {
		const struct batch_file_result *f = card && i < card->nfiles ? &card->files[i] : NULL;

		json_open(j, NULL);
		json_str(j, "path", b->ps[i].path);
		json_str(j, "card_name", b->ps[i].card_name ? b->ps[i].card_name : DLOAD_FILE);
		json_u64(j, "size", b->ps[i].size);
		json_str(j, "sha256", source_sha256(&b->ps[i], hex));
		if (card) {
			json_str(j, "card_sha256", f && f->have_card_sha ?
				 hex_string(f->card_sha256, 32, hex) : NULL);
			json_u64(j, "card_offset", f ? f->card_off : 0);
			json_bool(j, "verified", card->outcome == OUTCOME_OK ||
				  card->outcome == OUTCOME_ALREADY);
		}
		json_close(j);
	}
	json_close_array(j);
}

void batch_card_json(struct json *j, const struct batch_card *c, const struct card_result *res)
{
	const struct batch *b = c->b;
	char when[40], hex[65];

	json_str(j, "time", shoplog_time(res->ended, when, sizeof(when)));
	json_str(j, "started", shoplog_time(res->started, when, sizeof(when)));
	json_str(j, "device", c->target);
	json_identity(j, c, res);
	batch_source_json(j, b, res);
	json_str(j, "card_sha256", res->have_card_sha ? hex_string(res->card_sha256, 32, hex) : NULL);
	json_str(j, "label", b->opts->label);
	json_str(j, "result", batch_outcome_name(res->outcome));
	json_int(j, "exit_code", res->exit_code);
	json_maybe(j, "diagnosis", res->error);
	json_maybe(j, "advice", res->advice);
	json_str(j, "phase", res->phase);
	json_maybe(j, "card_state", res->card_state);
	json_open(j, "seconds");
	json_double(j, "check", res->check_seconds);
	json_double(j, "format", res->seconds[PHASE_FORMAT]);
	json_double(j, "write", res->seconds[PHASE_WRITE]);
	json_double(j, "readback", res->seconds[PHASE_READBACK]);
	json_double(j, "hash_wait", res->hash_wait);
	json_double(j, "finish", res->seconds[PHASE_FINISH]);
	json_double(j, "total", res->total_seconds);
	json_close(j);
}

struct log_arg {
	const struct batch_card *c;
	const struct card_result *res;
};

static void fill_log(struct json *j, void *arg)
{
	const struct log_arg *la = arg;

	batch_card_json(j, la->c, la->res);
}

static void log_card(struct batch_card *c, struct card_result *res)
{
	struct log_arg la = { c, res };
	struct errmsg e;

	if (c->b->log && shoplog_write(c->b->log, fill_log, &la, &e) != 0)
		view_message(c->b->view, _("dloadcard: warning: %s: %s is not recorded"), e.text,
			     c->name);
}
