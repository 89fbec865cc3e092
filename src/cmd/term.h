/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CMD_TERM_H
#define DLOADCARD_CMD_TERM_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "lib/progress.h"
#include "station/view.h"

/*
 * How progress looks on standard error, for every command: on a terminal a
 * bar with bytes, rate and time left, redrawn in place at most ten times a
 * second, and batch's live block redrawn over itself, each line cut to the
 * terminal's width; otherwise one plain line per phase.  Quiet: nothing but
 * batch's messages.  The libraries only report (lib/progress.h,
 * station/view.h); this is where it is drawn.
 */
struct term {
	FILE *out;
	bool tty;
	bool quiet;
	struct timespec last_draw;	/* of the bar */
	unsigned drawn;			/* lines of batch's live block on the screen */
	struct view_screen screen;
};

void term_init(struct term *t, FILE *out, bool quiet);

/* A reporter that t draws. */
void term_progress(struct term *t, struct progress *p);

/* The screen of batch's view. */
const struct view_screen *term_screen(struct term *t);

#endif
