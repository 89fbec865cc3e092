/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/exitcodes.h"
#include "lib/interrupt.h"
#include "lib/stall.h"
#include "pipeline/guard.h"

#define TICK_MS 250

void *guard_shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void guard_shared_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

static int exit_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return WTERMSIG(st) == SIGINT || WTERMSIG(st) == SIGTERM ? EXIT_INTERRUPTED : EXIT_ERROR;
}

/* The child hears only the parent, and does not outlive it. */
static void become_child(pid_t parent, const sigset_t *old)
{
	interrupt_ignore();
	sigprocmask(SIG_SETMASK, old, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent died before the line above: no signal will come. */
	if (getppid() != parent)
		_exit(EXIT_INTERRUPTED);
}

/* Kill the child; reap it if the kernel lets it go soon, never wait for it. */
static void kill_child(pid_t child)
{
	const struct timespec tick = { 0, TICK_MS * 1000 * 1000 };
	int st;

	kill(child, SIGKILL);
	nanosleep(&tick, NULL);
	waitpid(child, &st, WNOHANG);
}

static int watch(pid_t child, volatile sig_atomic_t *stop, const struct progress *pg,
		 unsigned timeout, const struct guard_ops *ops, void *arg)
{
	const struct timespec tick = { 0, TICK_MS * 1000 * 1000 };
	struct stall_watch sw;
	unsigned warned = 0, n;
	int st;

	stall_watch_start(&sw, pg, TICK_MS);
	for (;;) {
		pid_t w = waitpid(child, &st, WNOHANG);

		if (w == child)
			return exit_status(st);
		if (w < 0 && errno != EINTR)
			return EXIT_ERROR;
		n = interrupt_count();
		if (n)
			__atomic_store_n(stop, interrupt_signal, __ATOMIC_RELAXED);
		if (n >= 3) {
			kill_child(child);
			ops->on_abandon(arg);
			return EXIT_INTERRUPTED;
		}
		if (n == 2 && !warned++)
			ops->on_second(arg);
		nanosleep(&tick, NULL);
		if (stall_watch_stalled(&sw, pg, timeout)) {
			kill_child(child);
			ops->on_stall(arg, (unsigned)(sw.quiet_ms / 1000));
			return EXIT_STALLED;
		}
	}
}

int guard_run(int (*work)(void *arg, volatile sig_atomic_t *stop), void *arg,
	      const struct progress *pg, unsigned timeout, const struct guard_ops *ops)
{
	volatile sig_atomic_t *stop = guard_shared_alloc(sizeof(*stop));
	pid_t parent = getpid(), child;
	sigset_t set, old;
	int rc;

	if (!stop)
		return work(arg, &interrupt_signal);	/* no memory to share: run unguarded */
	*stop = interrupt_signal;
	fflush(NULL);	/* nothing buffered may be printed twice */
	/* Until the child ignores them, a signal would run our handler there. */
	interrupt_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	child = fork();
	if (child == 0) {
		become_child(parent, &old);
		_exit(work(arg, stop));
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (child < 0)
		rc = work(arg, &interrupt_signal);	/* no process to spare: run unguarded */
	else
		rc = watch(child, stop, pg, timeout, ops, arg);
	guard_shared_free((void *)stop, sizeof(*stop));
	return rc;
}
