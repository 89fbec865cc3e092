/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_STATION_VIEW_H
#define DLOADCARD_STATION_VIEW_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/progress.h"

/*
 * What batch shows while cards are being made, and when.  Live (a terminal):
 * one line per card in progress, redrawn in place at most ten times a
 * second, with the messages that must stay (a card done, a card failed)
 * above them.  Otherwise: plain lines, one per phase of each card, prefixed
 * with its name.  Quiet: the messages only.
 *
 * The view decides what the lines say; a screen (cmd/term.h) puts them on
 * the terminal, so that nothing here prints.  The card threads report
 * through view_progress() (the sink of their struct progress); the main
 * thread redraws with view_tick().  One lock guards the rows and the screen.
 */
struct view_screen {
	bool live;		/* redraws a block of lines in place */
	bool quiet;		/* no progress at all: messages only */
	/* A line that stays (it may hold newlines), above the live block. */
	void (*line)(void *arg, const char *text);
	/* The live block, drawn again over the old one: n lines. */
	void (*block)(void *arg, const char *const *lines, size_t n);
	/* The live block taken off the screen. */
	void (*clear)(void *arg);
	void *arg;
};

struct view_row {
	char name[32];		/* "sdb", "card.img" */
	/* Guarded by the view's lock */
	char label[64];		/* the phase, or the running progress' label */
	char text[336];		/* the last note or phase result */
	uint64_t done, total;
	struct timespec start;
	bool bar;		/* a phase with a byte count is running */
	bool shown;		/* in the live block */
};

struct view {
	pthread_mutex_t lock;
	const struct view_screen *screen;
	struct view_row **rows;	/* the live block, in order */
	size_t n, cap;
	bool drawn;		/* the live block is on the screen */
	struct timespec last_draw;
};

void view_init(struct view *v, const struct view_screen *screen);
/* Clear the live block from the screen, before a summary. */
void view_finish(struct view *v);
void view_destroy(struct view *v);

void view_row_init(struct view_row *row, const char *name);
/* Add a row to the live block. */
void view_show(struct view *v, struct view_row *row, const char *label);
/* Take a row out of the live block, leaving a message in its place. */
void view_hide(struct view *v, struct view_row *row, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A struct progress sink's event, for row. */
void view_progress(struct view *v, struct view_row *row, const struct progress *p,
		   enum progress_event ev);

/* The phase a row is in, for a message ("no progress during ..."). */
void view_phase(struct view *v, const struct view_row *row, char *buf, size_t len);

/* A line that stays, shown even when quiet. */
void view_message(struct view *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Redraw the live block if something changed and 0.1 s passed. */
void view_tick(struct view *v);
/* Milliseconds until view_tick() has something to do, or -1. */
int view_timeout(struct view *v);

#endif
