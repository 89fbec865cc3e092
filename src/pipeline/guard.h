/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_PIPELINE_GUARD_H
#define DLOADCARD_PIPELINE_GUARD_H

#include <signal.h>
#include <stddef.h>

#include "lib/interrupt.h"
#include "lib/progress.h"
#include "lib/stall.h"

/*
 * A card that stops answering leaves a read or write blocked in the kernel,
 * uninterruptibly for O_DIRECT; no thread of the process that issued it can
 * end the process before the kernel gives up.  So the work runs in a child
 * process, and this parent watches its progress heartbeat (in memory shared
 * with the child): after timeout seconds without a beat (lib/stall.h) it
 * reports the stall, kills the child and returns, and the user gets the
 * shell back even while the child stays stuck until the kernel releases it.
 *
 * Interruptions.  A terminal's Ctrl-C reaches the whole foreground process
 * group, the child with the parent, and so does systemd's SIGTERM; `kill
 * PID` reaches the parent alone.  Were each process to act on what it gets,
 * one Ctrl-C would count once here and twice there (a forwarded stop on top
 * of the child's own: "now", halfway through putting the card back).  So
 * the child ignores SIGINT, SIGTERM and SIGHUP, and the parent, counting
 * what it receives (cli.h), passes the stop on through memory they share,
 * which no signal can duplicate:
 *
 *   first   the child stops at its next step, cleans up (prepare removes
 *           dload/UPDATE.TMP, probe puts every block back), says what the
 *           card holds;
 *   second  absorbed, with a word that the cleanup is under way;
 *   third   the child is killed, and on_abandon says what the card is left
 *           with.
 *
 * The child dies with the parent (PR_SET_PDEATHSIG, and a check that the
 * parent did not die before that), so that `kill -9` leaves nothing writing
 * the card or holding its lock; mtools dies with whoever ran it (mtools.c).
 * batch needs no child for this: its cards are threads of one process,
 * which a signal reaches once whatever its source.
 */

/* Memory the parent and the child both see; zeroed. */
void *guard_shared_alloc(size_t size);
void guard_shared_free(void *p, size_t size);

/* What the parent says, in the command's words (these run in the parent). */
struct guard_ops {
	/* The card made no progress for seconds (lib/stall.h): say so; the
	 * child is then killed and EXIT_STALLED returned. */
	void (*on_stall)(void *arg, unsigned seconds);
	/* The second signal: say that the cleanup is under way, and that a
	 * third abandons it. */
	void (*on_second)(void *arg);
	/* The third signal: say what the card is left with; the child is then
	 * killed and EXIT_INTERRUPTED returned. */
	void (*on_abandon)(void *arg);
};

/*
 * Run work(arg, stop) in a child and return its exit status.  *stop becomes
 * the first signal that reached the parent (read it with cancel_requested);
 * work stops at its next step, cleans up and returns.  timeout 0: no
 * watching for stalls (work still runs in a child).
 */
int guard_run(int (*work)(void *arg, volatile sig_atomic_t *stop), void *arg,
	      const struct progress *pg, unsigned timeout, const struct guard_ops *ops);

#endif
