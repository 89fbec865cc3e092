/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ptyrun: run a command as a shell runs a job in a terminal, and interrupt
 * it the way users and machines do, for the end-to-end tests.
 *
 * ptyrun plays the shell: it opens a pseudo-terminal, becomes the leader of
 * a new session with the terminal as its controlling terminal, and starts
 * the command in a process group of its own, made the foreground group.  So
 * ^C typed into the terminal reaches the whole group at once (the command
 * and every child it did not move elsewhere), as from a real terminal.
 * Closing the terminal (--hangup) is what a terminal window's closing does:
 * the kernel hangs up the line, and the shell sends SIGHUP to its job.
 * --no-tty instead runs the command in a new session without a terminal,
 * its output through a pipe, as systemd runs a service.
 *
 * Everything the command writes is copied to standard output; ptyrun's own
 * lines ("ptyrun: ...") go to standard error.  Tests only: not installed.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define EXIT_TIMEOUT	124
#define EXIT_PTYRUN	125
#define MAX_STEPS	32

enum action { ACT_TYPE, ACT_HANGUP, ACT_SIGNAL, ACT_GROUP_SIGNAL };

/* Wait for text (if any), then a delay, then act. */
struct step {
	const char *when;
	double after;
	enum action act;
	char text[64];		/* ACT_TYPE */
	int sig;		/* ACT_SIGNAL, ACT_GROUP_SIGNAL */
};

static struct step steps[MAX_STEPS];
static size_t nsteps;
static struct step pending;	/* --when and --after, until their action */

static char *output;		/* everything the command wrote */
static size_t outlen, outcap, searched;	/* the next --when looks from searched */
static struct timespec t0;

/* What ptyrun ignores, as a shell does, and its job gets back. */
static const int ignored[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTTOU, SIGHUP, SIGPIPE };

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void usage(FILE *out)
{
	fputs("Usage: ptyrun [options] [--] COMMAND [ARG...]\n"
	      "\nRun COMMAND as a job in a new terminal (a pseudo-terminal that is its\n"
	      "controlling terminal, COMMAND's process group in the foreground), copy its\n"
	      "output to stdout, and act on it step by step.\n"
	      "\nA step: what to wait for, then an action.\n"
	      "  --when TEXT          wait until TEXT appears in the output (after the\n"
	      "                       previous step's TEXT)\n"
	      "  --after SECONDS      then wait this long (fractions allowed)\n"
	      "  --ctrl-c             type ^C: the terminal sends SIGINT to the whole group\n"
	      "  --ctrl-z             type ^Z: the terminal stops the whole group\n"
	      "  --hangup             close the terminal, and send SIGHUP to the group as a\n"
	      "                       shell does when its terminal goes away\n"
	      "  --signal SIG         send SIG to the command alone (kill PID)\n"
	      "  --group-signal SIG   send SIG to its process group (kill -SIG -PGID)\n"
	      "\nOptions:\n"
	      "  --no-tty             no terminal: a new session, stdin /dev/null, the\n"
	      "                       output through a pipe (as systemd runs a service)\n"
	      "  --pidfile FILE       write \"PID SID\": the command (its process group)\n"
	      "                       and the session, which its descendants keep\n"
	      "  --timeout SECONDS    SIGKILL the group after this long, exit 124\n"
	      "                       (default 120)\n"
	      "\nExit status: the command's, or 128+N when signal N ended it; 124 on\n"
	      "timeout; 125 when ptyrun itself fails.  SIG is a name (INT, TERM, KILL...)\n"
	      "or a number.\n", out);
}

static int signal_number(const char *s)
{
	static const struct { const char *name; int sig; } names[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "TERM", SIGTERM }, { "STOP", SIGSTOP }, { "CONT", SIGCONT }, { "TSTP", SIGTSTP },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
	};
	char *end;
	long n;
	size_t i;

	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].sig;
	n = strtol(s, &end, 10);
	return *s && !*end && n > 0 && n < NSIG ? (int)n : -1;
}

static void add_step(enum action act, const char *text, int sig)
{
	struct step *s;

	if (nsteps == MAX_STEPS) {
		fprintf(stderr, "ptyrun: at most %d steps\n", MAX_STEPS);
		exit(EXIT_PTYRUN);
	}
	s = &steps[nsteps++];
	*s = pending;
	s->act = act;
	s->sig = sig;
	if (text)
		snprintf(s->text, sizeof(s->text), "%s", text);
	memset(&pending, 0, sizeof(pending));
}

static void keep_output(const char *buf, size_t n)
{
	if (outlen + n + 1 > outcap) {
		outcap = (outlen + n + 1) * 2;
		output = realloc(output, outcap);
		if (!output) {
			perror("ptyrun");
			exit(EXIT_PTYRUN);
		}
	}
	memcpy(output + outlen, buf, n);
	outlen += n;
	output[outlen] = '\0';
}

/* Copy what the command wrote; false at its end (EOF, or EIO on a pty). */
static bool pump(int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	keep_output(buf, (size_t)n);
	fwrite(buf, 1, (size_t)n, stdout);
	fflush(stdout);
	return true;
}

/* A strstr that sees through the NULs a command may write. */
static bool seen(const char *text, size_t *end)
{
	size_t tl = strlen(text), i;

	for (i = searched; i + tl <= outlen; i++)
		if (!memcmp(output + i, text, tl)) {
			*end = i + tl;
			return true;
		}
	return false;
}

static void act(const struct step *s, int *master, pid_t job)
{
	switch (s->act) {
	case ACT_TYPE:
		fprintf(stderr, "ptyrun: %.2f s: typing %s\n", now(),
			s->text[0] == 3 ? "^C" : s->text[0] == 26 ? "^Z" : "text");
		if (*master < 0 || write(*master, s->text, strlen(s->text)) < 0)
			fprintf(stderr, "ptyrun: cannot type: %s\n",
				*master < 0 ? "no terminal" : strerror(errno));
		break;
	case ACT_HANGUP:
		fprintf(stderr, "ptyrun: %.2f s: closing the terminal\n", now());
		if (*master >= 0)
			close(*master);
		*master = -1;
		/* What bash does on SIGHUP: pass it to the job, wake it, go. */
		kill(-job, SIGHUP);
		kill(-job, SIGCONT);
		break;
	case ACT_SIGNAL:
		fprintf(stderr, "ptyrun: %.2f s: kill -%d %d\n", now(), s->sig, (int)job);
		kill(job, s->sig);
		break;
	case ACT_GROUP_SIGNAL:
		fprintf(stderr, "ptyrun: %.2f s: kill -%d -%d\n", now(), s->sig, (int)job);
		kill(-job, s->sig);
		break;
	}
}

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The terminal as a new xterm's: cooked, echo, ^C is SIGINT. */
static int open_terminal(int *slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };

	if (m < 0 || grantpt(m) || unlockpt(m))
		return -1;
	*slave = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0)
		return -1;
	ioctl(*slave, TIOCSWINSZ, &ws);
	return m;
}

/*
 * Start the job: with a terminal, this process leads a new session that the
 * terminal belongs to, and the job is its foreground group; without, the
 * job leads a session of its own.  The job execs only once that is so.
 */
static pid_t start(char **argv, bool tty, int *out_fd, pid_t *sid)
{
	int go[2], pipefd[2], slave = -1, m = -1;
	pid_t pid;
	char x;

	if (pipe2(go, O_CLOEXEC))
		return -1;
	if (tty) {
		if (setsid() < 0)
			return -1;
		m = open_terminal(&slave);
		if (m < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
			return -1;
		pipefd[0] = m;
		pipefd[1] = slave;
	} else if (pipe2(pipefd, O_CLOEXEC)) {
		return -1;
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* The job gets the signals as a shell's job does. */
		for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
			signal(ignored[i], SIG_DFL);
		if (tty)
			setpgid(0, 0);
		else
			setsid();
		close(go[1]);
		if (read(go[0], &x, 1) != 1)
			_exit(EXIT_PTYRUN);
		dup2(tty ? slave : null, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execvp(argv[0], argv);
		fprintf(stderr, "ptyrun: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (tty) {
		setpgid(pid, pid);
		if (tcsetpgrp(slave, pid) < 0)
			perror("ptyrun: tcsetpgrp");
		*sid = getpid();
	} else {
		*sid = pid;
	}
	/* Only the job keeps the terminal (or the pipe) open: its end is EIO. */
	close(pipefd[1]);
	close(go[0]);
	if (write(go[1], "x", 1) != 1)
		return -1;
	close(go[1]);
	*out_fd = pipefd[0];
	return pid;
}

int main(int argc, char **argv)
{
	enum { OPT_WHEN = 256, OPT_AFTER, OPT_CTRL_C, OPT_CTRL_Z, OPT_HANGUP, OPT_SIGNAL,
	       OPT_GROUP_SIGNAL, OPT_NO_TTY, OPT_PIDFILE, OPT_TIMEOUT };
	static const struct option longopts[] = {
		{ "when", required_argument, NULL, OPT_WHEN },
		{ "after", required_argument, NULL, OPT_AFTER },
		{ "ctrl-c", no_argument, NULL, OPT_CTRL_C },
		{ "ctrl-z", no_argument, NULL, OPT_CTRL_Z },
		{ "hangup", no_argument, NULL, OPT_HANGUP },
		{ "signal", required_argument, NULL, OPT_SIGNAL },
		{ "group-signal", required_argument, NULL, OPT_GROUP_SIGNAL },
		{ "no-tty", no_argument, NULL, OPT_NO_TTY },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *pidfile = NULL;
	double timeout = 120, step_at = 0;
	bool tty = true, done = false, waiting_text = false;
	int c, fd = -1, st = 0, sig;
	size_t next = 0, end;
	pid_t job, sid;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_WHEN:
			pending.when = optarg;
			break;
		case OPT_AFTER:
			pending.after = atof(optarg);
			break;
		case OPT_CTRL_C:
			add_step(ACT_TYPE, "\x03", 0);
			break;
		case OPT_CTRL_Z:
			add_step(ACT_TYPE, "\x1a", 0);
			break;
		case OPT_HANGUP:
			add_step(ACT_HANGUP, NULL, 0);
			break;
		case OPT_SIGNAL:
		case OPT_GROUP_SIGNAL:
			sig = signal_number(optarg);
			if (sig < 0) {
				fprintf(stderr, "ptyrun: unknown signal '%s'\n", optarg);
				return EXIT_PTYRUN;
			}
			add_step(c == OPT_SIGNAL ? ACT_SIGNAL : ACT_GROUP_SIGNAL, NULL, sig);
			break;
		case OPT_NO_TTY:
			tty = false;
			break;
		case OPT_PIDFILE:
			pidfile = optarg;
			break;
		case OPT_TIMEOUT:
			timeout = atof(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_PTYRUN;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return EXIT_PTYRUN;
	}
	/* A group leader cannot lead a new session: go on in a child. */
	if (tty && getpgrp() == getpid()) {
		pid_t self = fork();

		if (self < 0) {
			perror("ptyrun");
			return EXIT_PTYRUN;
		}
		if (self > 0) {
			signal(SIGINT, SIG_IGN);
			while (waitpid(self, &st, 0) < 0 && errno == EINTR)
				;
			return exit_code(st);
		}
	}
	/* Like a shell: its job's terminal signals are not for it. */
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	job = start(argv + optind, tty, &fd, &sid);
	if (job < 0) {
		perror("ptyrun");
		return EXIT_PTYRUN;
	}
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");

		if (!f || fprintf(f, "%d %d\n", (int)job, (int)sid) < 0 || fclose(f)) {
			perror(pidfile);
			kill(-job, SIGKILL);
			return EXIT_PTYRUN;
		}
	}

	while (!done) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int ms = 50;

		if (fd >= 0 && poll(&p, 1, ms) > 0 && !pump(fd)) {
			close(fd);
			fd = -1;
		}
		if (fd < 0)
			usleep(20000);
		if (waitpid(job, &st, WNOHANG) == job)
			done = true;
		if (now() > timeout) {
			fprintf(stderr, "ptyrun: timeout after %.0f s: killing the job\n", timeout);
			kill(-job, SIGKILL);
			waitpid(job, &st, 0);
			return EXIT_TIMEOUT;
		}
		/* The next step: its text, then its delay. */
		if (done || next == nsteps)
			continue;
		if (!waiting_text) {
			if (steps[next].when && !seen(steps[next].when, &end))
				continue;
			if (steps[next].when)
				searched = end;
			waiting_text = true;
			step_at = now() + steps[next].after;
		}
		if (now() >= step_at) {
			act(&steps[next++], &fd, job);
			waiting_text = false;
		}
	}
	/* What is still buffered, briefly: a child left behind may keep the
	 * terminal open for ever. */
	while (fd >= 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 200) <= 0 || !pump(fd))
			break;
	}
	if (next < nsteps)
		fprintf(stderr, "ptyrun: the command ended before step %zu%s%s%s\n", next + 1,
			steps[next].when ? " (waiting for \"" : "",
			steps[next].when ? steps[next].when : "", steps[next].when ? "\")" : "");
	fprintf(stderr, "ptyrun: %.2f s: exit %d\n", now(), exit_code(st));
	return exit_code(st);
}
