/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_GUARD_H
#define DLOADCARD_GUARD_H

#include <stddef.h>

#include "progress.h"

/*
 * A card that stops answering leaves a read or write blocked in the kernel,
 * uninterruptibly for O_DIRECT; no thread of the process that issued it can
 * end the process before the kernel gives up.  So the work runs in a child
 * process, and this parent watches its progress heartbeat (in memory shared
 * with the child): after timeout seconds without a beat it reports the
 * stall, kills the child and returns, and the user gets the shell back even
 * while the child stays stuck until the kernel releases it.
 */

/* Seconds without progress before a card is declared stalled. */
#define DEFAULT_STALL_TIMEOUT 30
#define MAX_STALL_TIMEOUT 86400

/* Memory the parent and the child both see; zeroed. */
void *guard_shared_alloc(size_t size);
void guard_shared_free(void *p, size_t size);

/*
 * Run work(arg) in a child and return its exit status.  Signals reaching
 * the parent alone (SIGTERM) are passed on.  On a stall: on_stall(arg,
 * seconds) runs in the parent, the child is killed, and EXIT_STALLED is
 * returned.  timeout 0: no watching (work still runs in a child).
 */
int guard_run(int (*work)(void *arg), void *arg, const struct progress *pg,
	      unsigned timeout, void (*on_stall)(void *arg, unsigned seconds));

#endif
