/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_STATION_BATCH_H
#define DLOADCARD_STATION_BATCH_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "card/disks.h"
#include "lib/json.h"
#include "lib/progress.h"
#include "lib/stall.h"
#include "pipeline/prepare.h"
#include "station/shoplog.h"
#include "station/view.h"

/*
 * Many cards at once: one thread per card, each running the whole prepare
 * pipeline (prepare.h) with its own card, its own reading of the source and
 * its own progress, so that a card that fails never stops the others.  The
 * main thread starts cards, watches them for stalls, and collects results;
 * each card's result is logged (--log) and shown the moment it is known.
 */
enum card_outcome {
	OUTCOME_OK,		/* written and verified */
	OUTCOME_ALREADY,	/* already a verified card of this UPDATE.APP: left alone */
	OUTCOME_REFUSED,	/* a safety rule said no: nothing written */
	OUTCOME_FAILED,
	OUTCOME_INTERRUPTED,	/* stopped by the user (second Ctrl-C, SIGTERM) */
};

struct card_result {
	int exit_code;			/* EXIT_* */
	enum card_outcome outcome;
	char error[512];		/* one line: what went wrong */
	char advice[256];
	const char *card_state;		/* prepare_card_state(), a constant string */
	const char *phase;		/* where it stopped, or NULL */
	bool have_card_sha;
	unsigned char card_sha256[32];	/* as read back from the card (the first file) */
	size_t nfiles;
	struct batch_file_result {
		uint64_t card_off;	/* where it starts on the card */
		bool have_card_sha;
		unsigned char card_sha256[32];
	} files[PREPARE_MAX_FILES];	/* the set's, as written: b->ps's order */
	double seconds[PHASE_COUNT];	/* prepare's phases */
	double hash_wait;		/* of the read-back: the source's hash */
	double check_seconds;		/* looking for an existing card (--watch) */
	double total_seconds;
	time_t started, ended;
	uint64_t size;			/* of the card as opened, or 0 */
};

struct batch;

struct batch_card {
	struct batch *b;
	char *target;			/* "/dev/sdb", "card.img" */
	char name[32];			/* "sdb", "card.img" */
	struct disk_identity id;	/* block devices */
	char ident[192];		/* short identity, for messages and the summary */
	uint64_t size;			/* from the disk scan, or batch_open */
	struct card_identity card_id;	/* which card it is, under any name */
	char same[512];			/* why it is refused as a card already in the
					 * batch under another name, or "" */

	/* The card's thread alone (or the main thread before it starts) */
	struct prepare_run run;
	bool opened;			/* prepare_open done by the main thread */
	struct progress pg;
	volatile sig_atomic_t cancel;	/* stop cleanly: second Ctrl-C, or a stall */
	struct view_row row;
	pthread_t thread;

	/* Set before the thread starts */
	time_t started_at;
	struct timespec t0;

	/* Main thread: the stall watch */
	struct stall_watch stall;

	/* Guarded by b->lock */
	bool started, finished, exited, joined;
	bool given_up;			/* stalled or abandoned: its thread may never return */
	struct card_result res;
};

struct batch {
	pthread_mutex_t lock;
	const struct prepare_opts *opts;
	struct prepare_source ps[PREPARE_MAX_FILES];	/* the set, checked and hashed once
							 * (ps[i].hash), in the order written */
	size_t nps;
	const char *source_name;	/* the first's: "fw.zip:dload/UPDATE.APP" */
	struct stat source_st[PREPARE_MAX_FILES];	/* each file as checked */
	unsigned stall_timeout;		/* seconds; 0: never */
	bool watch;			/* cards come from batch --watch */
	bool redo;			/* --watch: rewrite a card already right */
	struct view *view;
	struct shoplog *log;
	int notify[2];			/* a byte when a card finishes */
	struct batch_card **cards;
	size_t n, cap;
};

/* 0, or -errno (the source cannot be stat'ed, no pipe). */
int batch_init(struct batch *b, const struct prepare_opts *opts, const struct prepare_source *ps,
	       size_t n, const char *source_name, struct view *view, struct shoplog *log);
/*
 * Free everything and return true; or return false and free nothing when a
 * card's thread is still stuck in the kernel: it uses the batch, its view and
 * its log until the process ends.
 */
bool batch_destroy(struct batch *b);

/* A new card, or NULL when out of memory; d gives its identity when it came
 * from a disk scan.  A card that is one still to be made or in progress,
 * under another name, is refused when it is opened or started. */
struct batch_card *batch_add(struct batch *b, const char *target, const struct disk_info *d);

/* Run prepare_open for a card of the command line (main thread).  0, or the
 * exit code with the card concluded (refused), shown and logged. */
int batch_open(struct batch_card *c);

/* Start the card's thread.  0 or -errno (the card is then concluded). */
int batch_start(struct batch_card *c);

/* Stop every card in progress cleanly (their cancel flag). */
void batch_cancel_all(struct batch *b);

/* Give up on every card in progress now (a third Ctrl-C): each is concluded
 * interrupted, with what it may hold, and its mtools killed; its thread ends
 * with the process. */
void batch_abandon_all(struct batch *b);

/* The fd that becomes readable when a card finishes; batch_poll drains it,
 * joins finished threads and checks running cards for stalls (lib/stall.h):
 * call it at least every BATCH_TICK_MS while cards run. */
#define BATCH_TICK_MS 1000
int batch_notify_fd(const struct batch *b);
void batch_poll(struct batch *b);

/* Cards started and not finished. */
size_t batch_running(struct batch *b);
/* No card running, and every thread done but those given up on: their
 * results are all logged and shown. */
bool batch_settled(struct batch *b);
/* Cards finished with this outcome. */
size_t batch_count(struct batch *b, enum card_outcome o);
/* Is a card with this target in progress? */
bool batch_busy(struct batch *b, const char *target);

/* A finished card's result, copied under the lock. */
bool batch_result(struct batch *b, size_t i, struct card_result *res);

const char *batch_outcome_name(enum card_outcome o);

/* The "source" object (the first file) and the "files" array (card: its
 * result, or NULL: the summary's, each file's name, size and SHA-256). */
void batch_source_json(struct json *j, const struct batch *b, const struct card_result *card);

/* The members of one card's JSON object (the log line, and --json). */
void batch_card_json(struct json *j, const struct batch_card *c, const struct card_result *res);

#endif
