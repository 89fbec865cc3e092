/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/closestream.h"
#include "lib/exitcodes.h"
#include "lib/nls.h"

static int lost_code = EXIT_ERROR;
static const char *lost_done;

/* A closed descriptor opened on /dev/null: read-only for stdout and stderr,
 * write-only for stdin, so that using it still fails (gnulib's stdopen). */
static bool open_null(int fd)
{
	int n;

	if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
		return true;
	/* Not O_CLOEXEC: mtools and guard.c's child inherit it, and must too. */
	n = open("/dev/null", (fd == STDIN_FILENO ? O_WRONLY : O_RDONLY) | O_NOCTTY);
	if (n < 0)
		return false;
	if (n != fd) {		/* the lower ones are open, so open() gave fd */
		if (dup2(n, fd) != fd)
			return false;
		close(n);
	}
	return true;
}

static void at_exit(int status, void *arg)
{
	int rc = closestream_status(status);

	(void)arg;
	/* The only way to change the status from here (util-linux does too). */
	if (rc != status)
		_exit(rc);
}

void closestream_init(void)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (!open_null(fd)) {
			/* Any file opened now could take the descriptor: a card
			 * would receive what is printed.  Do nothing at all. */
			static const char msg[] = "dloadcard: a standard descriptor (0, 1, 2) is "
						  "closed and /dev/null cannot be opened\n";
			ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);

			(void)n;
			_exit(EXIT_ERROR);
		}
	}
	on_exit(at_exit, NULL);
}

void closestream_on_lost_result(int code, const char *done)
{
	lost_code = code;
	lost_done = done;
}

/* Why stdout failed: errno is lost when stdio failed earlier, mid-run. */
static const char *why(int e)
{
	int fl = fcntl(STDOUT_FILENO, F_GETFL);

	if (fl >= 0 && (fl & O_ACCMODE) == O_RDONLY)
		return _("it is closed");
	return e ? strerror(e) : "";
}

/* The reader of a pipe went away (`| head`): its writes failed with EPIPE,
 * perhaps long ago, so errno no longer says it; the pipe does. */
static bool reader_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
	struct stat st;

	return fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode) &&
	       poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

int closestream_status(int status)
{
	static bool reported;
	static int reported_status;
	const char *what;
	bool bad;
	int fd, e;

	if (reported)
		return reported_status;
	errno = 0;
	bad = fflush(stdout) != 0;
	e = errno;
	bad |= ferror(stdout) != 0;
	/* Some file systems (NFS) report a failed write only at close. */
	if (!bad && (fd = dup(STDOUT_FILENO)) >= 0 && close(fd) != 0) {
		bad = true;
		e = errno;
	}
	/* As util-linux: a reader that stopped reading is no error. */
	if (!bad || e == EPIPE || reader_gone())
		return status;
	reported = true;
	what = why(e);
	if (status == EXIT_OK && lost_done) {
		if (*what)
			warnx(_("write error on standard output: %s: %s, but this report of it "
				"is lost"), what, lost_done);
		else
			warnx(_("write error on standard output: %s, but this report of it is "
				"lost"), lost_done);
		reported_status = lost_code;
	} else {
		if (*what)
			warnx(_("write error on standard output: %s"), what);
		else
			warnx(_("write error on standard output"));
		reported_status = status == EXIT_OK ? EXIT_ERROR : status;
	}
	return reported_status;
}
