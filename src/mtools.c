/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mtools.h"
#include "strutils.h"

void mtools_drive(char *buf, size_t len, uint64_t offset)
{
	snprintf(buf, len, "/proc/self/fd/%d@@%" PRIu64, MTOOLS_CARD_FD, offset);
}

/*
 * Every setting mtools would otherwise take from a configuration file or the
 * environment, given explicitly.  MTOOLSRC=/dev/null stops the user's files
 * from being read; /etc/mtools.conf is read regardless, and these override it.
 */
static char *const clean_env[] = {
	"PATH=/usr/bin:/bin",
	"HOME=/nonexistent",
	"LC_ALL=C",
	"MTOOLSRC=/dev/null",
	"MTOOLS_SKIP_CHECK=0",
	"MTOOLS_LOWER_CASE=0",
	"MTOOLS_FAT_COMPATIBILITY=0",
	"MTOOLS_NO_VFAT=0",
	"MTOOLS_DOTTED_DIR=0",
	"MTOOLS_NAME_NUMERIC_TAIL=1",
	"MTOOLS_TWENTY_FOUR_HOUR_CLOCK=1",
	"MTOOLS_DEFAULT_CODEPAGE=850",
	NULL
};

/* Children running now, from any thread (batch runs several cards). */
#define MAX_CHILDREN 64
static pid_t children[MAX_CHILDREN];
static pthread_mutex_t children_lock = PTHREAD_MUTEX_INITIALIZER;

static void track(pid_t pid, pid_t old)
{
	size_t i;

	pthread_mutex_lock(&children_lock);
	for (i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] == old) {
			children[i] = pid;
			break;
		}
	}
	pthread_mutex_unlock(&children_lock);
}

void mtools_kill_all(void)
{
	size_t i;

	pthread_mutex_lock(&children_lock);
	for (i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0)
			kill(children[i], SIGKILL);
	pthread_mutex_unlock(&children_lock);
}

/* The first line of what the child wrote to stderr, for the error message. */
static void read_first_line(int fd, char *err, size_t errlen)
{
	char buf[1024];
	size_t used = 0;
	ssize_t n;

	while ((n = read(fd, buf + used, sizeof(buf) - 1 - used)) > 0 ||
	       (n < 0 && errno == EINTR)) {
		if (n > 0)
			used += (size_t)n;
		if (used == sizeof(buf) - 1)
			used = sizeof(buf) - 1 - 1; /* keep draining, keep the start */
	}
	buf[used] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (err && errlen)
		xstrncpy(err, buf, errlen);
}

static const char *prog_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int mtools_run(const char *const argv[], int in_fd, int out_fd, int card_fd,
	       char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int pipefd[2], status, rc;
	pid_t pid;

	if (err && errlen)
		err[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
	/* Last, once the others are in place; a dup2 onto itself clears
	 * close-on-exec (POSIX 2024, glibc 2.29). */
	if (card_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, card_fd, MTOOLS_CARD_FD);

	/* A process group of its own: a terminal's Ctrl-C is for dloadcard,
	 * which stops at the next step; killing mformat halfway would only
	 * turn an interruption into a write error. */
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	rc = posix_spawn(&pid, argv[0], &fa, &attr, (char *const *)argv, clean_env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		if (err && errlen)
			snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
		return -rc;
	}
	track(pid, 0);
	read_first_line(pipefd[0], err, errlen);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			track(0, pid);
			return -errno;
		}
	}
	track(0, pid);
	if (WIFEXITED(status)) {
		rc = WEXITSTATUS(status);
		if (rc && err && errlen && !err[0])
			snprintf(err, errlen, "%s failed (exit status %d)", prog_name(argv[0]), rc);
		return rc;
	}
	if (err && errlen)
		snprintf(err, errlen, "%s was killed by signal %d", prog_name(argv[0]), WTERMSIG(status));
	return 128 + WTERMSIG(status);
}
