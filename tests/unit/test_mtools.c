/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mtools is handed the card as a descriptor, never by its name: the drive
 * names /proc/self/fd/3, and the child finds the card there, whatever
 * descriptor it had in the parent (3 itself included).
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fat/mtools.h"
#include "tap.h"

/* What the child sees as its descriptor MTOOLS_CARD_FD, through readlink. */
static int child_sees(int card_fd, char *out, size_t len)
{
	const char *argv[] = { "/bin/sh", "-c", "readlink /proc/self/fd/3", NULL };
	int pipefd[2], rc;
	ssize_t n;

	if (pipe(pipefd) != 0)
		return -1;
	rc = mtools_run(argv, -1, pipefd[1], card_fd, NULL);
	close(pipefd[1]);
	n = read(pipefd[0], out, len - 1);
	close(pipefd[0]);
	out[n > 0 ? n : 0] = '\0';
	if (n > 0 && out[n - 1] == '\n')
		out[n - 1] = '\0';	/* readlink's own */
	return rc;
}

int main(void)
{
	char path[PATH_MAX - 64], weird[PATH_MAX], seen[PATH_MAX], drive[64];
	const char *tmp = getenv("TMPDIR");
	int fd, low;

	mtools_drive(drive, sizeof(drive), 4194304);
	is_str(drive, "/proc/self/fd/3@@4194304", "the drive names the descriptor, not the card");

	snprintf(path, sizeof(path), "%s/dloadcard-mtools.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(path)) {
		printf("Bail out! cannot make a temporary folder\n");
		return 1;
	}
	snprintf(weird, sizeof(weird), "%s/victim@@0 -x:\nimg", path);
	fd = open(weird, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		printf("Bail out! cannot create %s\n", weird);
		return 1;
	}
	/* A high descriptor, close-on-exec as all of ours are. */
	low = fd;
	fd = fcntl(low, F_DUPFD_CLOEXEC, 20);
	is_int(child_sees(fd, seen, sizeof(seen)), 0, "the child runs");
	is_str(seen, weird, "descriptor 20 of the parent is the child's descriptor 3");
	close(fd);

	/* The card on descriptor 3 already: a dup2 onto itself must still
	 * clear close-on-exec. */
	close(3);
	fd = fcntl(low, F_DUPFD_CLOEXEC, 3);
	if (fd == 3) {
		child_sees(fd, seen, sizeof(seen));
		is_str(seen, weird, "descriptor 3 of the parent reaches the child too");
	} else {
		skip(1, "descriptor 3 is taken here");
	}
	child_sees(-1, seen, sizeof(seen));
	ok(strcmp(seen, weird) != 0, "without a card, the child has none");

	unlink(weird);
	rmdir(path);
	return done_testing();
}
