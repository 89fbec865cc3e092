/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "lib/stall.h"

static void now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static uint64_t ms_between(const struct timespec *a, const struct timespec *b)
{
	int64_t ms = (int64_t)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;

	return ms > 0 ? (uint64_t)ms : 0;
}

void stall_watch_start(struct stall_watch *w, const struct progress *pg, unsigned tick_ms)
{
	w->last_beat = progress_beats(pg);
	w->quiet_ms = 0;
	w->tick_ms = tick_ms;
	now(&w->last_look);
}

bool stall_watch_stalled(struct stall_watch *w, const struct progress *pg, unsigned timeout)
{
	struct timespec t;
	uint64_t gap, beat = progress_beats(pg);

	now(&t);
	gap = ms_between(&w->last_look, &t);
	w->last_look = t;
	if (beat != w->last_beat) {
		w->last_beat = beat;
		w->quiet_ms = 0;
		return false;
	}
	w->quiet_ms += gap > 2 * (uint64_t)w->tick_ms ? w->tick_ms : gap;
	return timeout && w->quiet_ms >= (uint64_t)timeout * 1000;
}
