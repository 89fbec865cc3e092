/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "exitcodes.h"
#include "guard.h"

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

int guard_run(int (*work)(void *arg), void *arg, const struct progress *pg,
	      unsigned timeout, void (*on_stall)(void *arg, unsigned seconds))
{
	const struct timespec tick = { 0, 250 * 1000 * 1000 };
	uint64_t last = progress_beats(pg);
	struct timespec since;
	bool forwarded = false;
	pid_t child;
	int st;

	fflush(NULL);	/* nothing buffered may be printed twice */
	child = fork();
	if (child < 0)
		return work(arg);	/* no process to spare: run unguarded */
	if (child == 0)
		_exit(work(arg));

	clock_gettime(CLOCK_MONOTONIC, &since);
	for (;;) {
		pid_t w = waitpid(child, &st, WNOHANG);
		struct timespec now;

		if (w == child)
			return exit_status(st);
		if (w < 0 && errno != EINTR)
			return EXIT_ERROR;
		/* A terminal's Ctrl-C reaches both; a kill(1) only us. */
		if (cli_stop && !forwarded) {
			kill(child, SIGTERM);
			forwarded = true;
		}
		nanosleep(&tick, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (progress_beats(pg) != last) {
			last = progress_beats(pg);
			since = now;
		} else if (timeout && now.tv_sec - since.tv_sec >= (time_t)timeout) {
			on_stall(arg, (unsigned)(now.tv_sec - since.tv_sec));
			kill(child, SIGKILL);
			/* Reap it if the kernel lets it go soon; never wait for it. */
			nanosleep(&tick, NULL);
			waitpid(child, &st, WNOHANG);
			return EXIT_STALLED;
		}
	}
}
