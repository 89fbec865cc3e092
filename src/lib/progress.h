/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_LIB_PROGRESS_H
#define DLOADCARD_LIB_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Progress of one phase, as the code that does the work reports it: a
 * label, the bytes done of a total, a result, and a heartbeat that the
 * stall watch reads (lib/stall.h).  The reporter never draws: its sink
 * does, the command's terminal renderer (cmd/term.h) or batch's view (one
 * line per card), or nothing at all.
 */
enum progress_event { PROGRESS_BEGIN, PROGRESS_UPDATE, PROGRESS_END, PROGRESS_NOTE };

struct progress {
	char label[64];
	char text[256];		/* last END or NOTE text */
	uint64_t total, done;
	struct timespec start;
	/* Bumped on every change (atomically): the stall watch reads it. */
	uint64_t beat;
	/* Told of every event, in the thread that reports it; or NULL. */
	void (*sink)(void *arg, const struct progress *p, enum progress_event ev);
	void *sink_arg;
};

/* A reporter that tells sink (NULL: nobody). */
void progress_init(struct progress *p,
		   void (*sink)(void *arg, const struct progress *p, enum progress_event ev),
		   void *sink_arg);
void progress_begin(struct progress *p, const char *label, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
/* Ends the phase with a result text ("done", "failed"). */
void progress_end(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line of its own, outside any bar. */
void progress_note(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Count a sign of life without a visible change (a slow step that is moving). */
static inline void progress_beat(struct progress *p)
{
	__atomic_add_fetch(&p->beat, 1, __ATOMIC_RELAXED);
}

static inline uint64_t progress_beats(const struct progress *p)
{
	return __atomic_load_n(&p->beat, __ATOMIC_RELAXED);
}

/* "0:42", "1:02:03" */
char *format_duration(double seconds, char *buf, size_t len);

#endif
