/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_LIB_STALL_H
#define DLOADCARD_LIB_STALL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "lib/progress.h"

/*
 * The one stall model of the commands that write (prepare, probe, batch):
 * a card makes progress while its reporter's heartbeat moves
 * (progress_beat()); one whose heartbeat stands still for --stall-timeout
 * seconds is stalled.  Time the watcher itself did not run (Ctrl-Z, a
 * suspended laptop) is not the card's: a gap between two looks longer than
 * twice the watcher's tick counts as one tick.
 *
 * What is done with a stalled card differs, by necessity (HACKING.md):
 * prepare and probe run the card in a child process, which the parent
 * kills (pipeline/guard.h); batch's cards are threads, which nothing can
 * kill, so the card is given up on and the process ends without them.
 */
#define DEFAULT_STALL_TIMEOUT 30
#define MAX_STALL_TIMEOUT 86400

struct stall_watch {
	uint64_t last_beat;
	uint64_t quiet_ms;		/* since the last beat */
	unsigned tick_ms;		/* how often the watcher looks */
	struct timespec last_look;
};

/* Start watching pg, looked at about every tick_ms. */
void stall_watch_start(struct stall_watch *w, const struct progress *pg, unsigned tick_ms);

/*
 * Look at pg again; true when it stalled: timeout seconds without a beat
 * (timeout 0: never).  w->quiet_ms says for how long.
 */
bool stall_watch_stalled(struct stall_watch *w, const struct progress *pg, unsigned timeout);

#endif
