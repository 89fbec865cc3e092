/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fat/mtools.h"
#include "lib/interrupt.h"
#include "lib/nls.h"
#include "lib/strutils.h"

void mtools_drive(char *buf, size_t len, uint64_t offset)
{
	snprintf(buf, len, "/proc/self/fd/%d@@%" PRIu64, MTOOLS_CARD_FD, offset);
}

/*
 * Every setting mtools would otherwise take from a configuration file or the
 * environment, given explicitly.  MTOOLSRC=/dev/null stops the user's files
 * from being read; /etc/mtools.conf is read regardless, and these override it.
 */
#define CLEAN_ENV \
	"PATH=/usr/bin:/bin", \
	"HOME=/nonexistent", \
	"LC_ALL=C", \
	"MTOOLSRC=/dev/null", \
	"MTOOLS_SKIP_CHECK=0", \
	"MTOOLS_LOWER_CASE=0", \
	"MTOOLS_FAT_COMPATIBILITY=0", \
	"MTOOLS_DOTTED_DIR=0", \
	"MTOOLS_NAME_NUMERIC_TAIL=1", \
	"MTOOLS_TWENTY_FOUR_HOUR_CLOCK=1", \
	"MTOOLS_DEFAULT_CODEPAGE=850"

static char *const clean_env[] = {
	CLEAN_ENV,
	/* 8.3 names only, no long-name entries: what a bootloader without
	 * long-name support matches (dload gets the lower-case flag) */
	"MTOOLS_NO_VFAT=1",
	NULL
};

/* MTOOLS_LONG_NAMES: an SD package's own name, a long-name entry beside
 * the 8.3 alias mtools makes up. */
static char *const vfat_env[] = {
	CLEAN_ENV,
	"MTOOLS_NO_VFAT=0",
	NULL
};

/* Children running now, and the thread that waits for each (batch runs
 * several cards, one thread each). */
#define MAX_CHILDREN 64
static struct {
	pid_t pid;
	pthread_t owner;
} children[MAX_CHILDREN];
static pthread_mutex_t children_lock = PTHREAD_MUTEX_INITIALIZER;

static void track(pid_t pid, pid_t old)
{
	size_t i;

	pthread_mutex_lock(&children_lock);
	for (i = 0; i < MAX_CHILDREN; i++) {
		if (children[i].pid == old) {
			children[i].pid = pid;
			children[i].owner = pthread_self();
			break;
		}
	}
	pthread_mutex_unlock(&children_lock);
}

void mtools_kill_thread(pthread_t thread)
{
	size_t i;

	pthread_mutex_lock(&children_lock);
	for (i = 0; i < MAX_CHILDREN; i++)
		if (children[i].pid > 0 && pthread_equal(children[i].owner, thread))
			kill(children[i].pid, SIGKILL);
	pthread_mutex_unlock(&children_lock);
}

/* The first line of what the child wrote to stderr, for the error message. */
static void read_first_line(int fd, struct errmsg *e)
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
	if (e)
		xstrncpy(e->text, buf, sizeof(e->text));
}

static const char *prog_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* fd onto target, or /dev/null opened there when fd is -1. */
static void child_fd(int fd, int target, int flags)
{
	if (fd < 0)
		fd = open("/dev/null", flags | O_CLOEXEC);
	if (fd >= 0 && fd != target)
		dup2(fd, target);
}

/*
 * The child's side: async-signal-safe calls only, since a thread of batch
 * forks while others run.  On a failure to exec, errno goes to report_fd.
 */
static void exec_child(const char *const argv[], int in_fd, int out_fd, int card_fd,
		       int err_fd, int report_fd, pid_t parent, char *const env[])
{
	sigset_t none;
	int e;

	/* It dies with whoever runs it, a `kill -9` of dloadcard included;
	 * and if that one is already gone, it does not start at all. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	/* A process group of its own, and no stop signal (systemd sends one
	 * to every process of the unit): mtools ends its step, and dloadcard,
	 * which decides, stops after it; killing mformat halfway would only
	 * turn an interruption into a write error.  A stall kills it. */
	setpgid(0, 0);
	interrupt_ignore();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Out of the way of the descriptors set next: an exec error written
	 * to the card's descriptor would land on the card. */
	if (report_fd <= MTOOLS_CARD_FD)
		report_fd = fcntl(report_fd, F_DUPFD_CLOEXEC, MTOOLS_CARD_FD + 1);
	child_fd(in_fd, STDIN_FILENO, O_RDONLY);
	child_fd(out_fd, STDOUT_FILENO, O_WRONLY);
	dup2(err_fd, STDERR_FILENO);
	/* The card last, once the others are in place; already there, it
	 * only loses close-on-exec. */
	if (card_fd == MTOOLS_CARD_FD)
		fcntl(card_fd, F_SETFD, 0);
	else if (card_fd >= 0)
		dup2(card_fd, MTOOLS_CARD_FD);
	execve(argv[0], (char *const *)argv, env);
	e = errno;
	if (write(report_fd, &e, sizeof(e)) != sizeof(e))
		e = 0;	/* the error line says "exit status 127" then */
	_exit(127);
}

/* 0 once the child runs the program, or the errno of its failed exec. */
static int exec_result(int fd)
{
	ssize_t n;
	int e = 0;

	while ((n = read(fd, &e, sizeof(e))) < 0 && errno == EINTR)
		;
	return n == sizeof(e) ? e : 0;
}

int mtools_run(const char *const argv[], int in_fd, int out_fd, int card_fd,
	       struct errmsg *e)
{
	return mtools_run_flags(argv, in_fd, out_fd, card_fd, 0, e);
}

int mtools_run_flags(const char *const argv[], int in_fd, int out_fd, int card_fd,
		     unsigned flags, struct errmsg *e)
{
	char *const *env = flags & MTOOLS_LONG_NAMES ? vfat_env : clean_env;
	int pipefd[2], report[2], status, rc;
	pid_t pid, self = getpid();

	errmsg_clear(e);
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return errmsg_set(e, -errno, _("cannot run %s: %s"), argv[0], strerror(errno));
	if (pipe2(report, O_CLOEXEC) != 0) {
		rc = errmsg_set(e, -errno, _("cannot run %s: %s"), argv[0], strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return rc;
	}
	/* fork and exec, not posix_spawn: PR_SET_PDEATHSIG goes in between. */
	pid = fork();
	if (pid == 0)
		exec_child(argv, in_fd, out_fd, card_fd, pipefd[1], report[1], self, env);
	rc = pid < 0 ? errno : 0;
	close(pipefd[1]);
	close(report[1]);
	if (!rc) {
		track(pid, 0);
		rc = exec_result(report[0]);
		if (rc)
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
	}
	close(report[0]);
	if (rc != 0) {
		if (pid > 0)
			track(0, pid);
		close(pipefd[0]);
		return errmsg_set(e, -rc, _("cannot run %s: %s"), argv[0], strerror(rc));
	}
	read_first_line(pipefd[0], e);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			track(0, pid);
			return errmsg_set(e, -errno, _("cannot wait for %s: %s"), prog_name(argv[0]),
					  strerror(errno));
		}
	}
	track(0, pid);
	if (WIFEXITED(status)) {
		rc = WEXITSTATUS(status);
		if (!rc)
			errmsg_clear(e);	/* what it said was no error */
		else if (e && !e->text[0])
			errmsg_set(e, rc, _("%s failed (exit status %d)"), prog_name(argv[0]), rc);
		return rc;
	}
	return errmsg_set(e, 128 + WTERMSIG(status), _("%s was killed by signal %d"),
			  prog_name(argv[0]), WTERMSIG(status));
}
