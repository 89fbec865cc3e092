/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_LIB_INTERRUPT_H
#define DLOADCARD_LIB_INTERRUPT_H

#include <signal.h>
#include <stdbool.h>

/*
 * Interruptions: the signals that ask a run to stop, and the flags that
 * carry the request to whoever runs the card (guard.h says how the commands
 * that write use them).
 */

/* The first signal (SIGINT, SIGTERM, SIGHUP) that asked us to stop, or 0. */
extern volatile sig_atomic_t interrupt_signal;

/*
 * Whether a cancel flag (interrupt_signal, or a card's own in batch) is set.  The
 * flag is written by a signal handler or another thread: read it atomically.
 */
static inline bool cancel_requested(volatile sig_atomic_t *flag)
{
	return flag && __atomic_load_n(flag, __ATOMIC_RELAXED);
}

/*
 * Catch SIGINT, SIGTERM and SIGHUP into interrupt_signal, so that a run can stop
 * cleanly, and count them: the commands that write stop at the first, absorb
 * the second and abandon their cleanup at the third (guard.h).  The handler
 * never ends the process itself.  SIGPIPE is ignored: a closed pipe fails
 * the write, it does not end the run.
 */
void interrupt_catch(void);

/* How many of them have come. */
unsigned interrupt_count(void);

/* Those signals, as a set (to block them). */
void interrupt_sigset(sigset_t *set);

/* For a child that leaves stopping to its parent (guard.c, mtools.c):
 * ignore them, across exec too.  Async-signal-safe. */
void interrupt_ignore(void);

#endif
