/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The options of the commands that write cards, prepare and batch
 * (cmd/write_args.h): what users type, and what is refused.  A bad value is
 * a usage error, which exits: each is tried in a child, whose exit status
 * and message are what the user gets.  What getopt does around them (an
 * unknown option, arguments in any order) is tests/e2e/options.sh's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "card/safety.h"
#include "cmd/cli.h"
#include "cmd/write_args.h"
#include "lib/strutils.h"
#include "tap.h"

static struct write_args w;

/* A good value: taken, and w has it. */
static bool parse(int c, const char *arg)
{
	return write_args_parse(&w, c, arg);
}

/* A value that is refused, in a child: its exit status, said its stderr. */
static int refused(int c, const char *arg, char *said, size_t len)
{
	int pipefd[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		write_args_init(&w);
		write_args_parse(&w, c, arg);
		_exit(0);	/* taken */
	}
	close(pipefd[1]);
	while (pid > 0 && got < len - 1 && (n = read(pipefd[0], said + got, len - 1 - got)) > 0)
		got += (size_t)n;
	said[got] = '\0';
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void is_refused(int c, const char *arg, const char *says, const char *what)
{
	char said[1024];

	is_int(refused(c, arg, said, sizeof(said)), 2, "%s: a usage error", what);
	ok(strstr(said, says) != NULL, "... that says \"%s\"", says);
	if (!strstr(said, says))
		diag("it said: %s", said);
	ok(strstr(said, "Try 'dloadcard prepare --help' for more information.") != NULL,
	   "... and where to read more");
}

int main(void)
{
	cli_set_command("prepare");

	write_args_init(&w);
	is_str(w.opts.label, "DLOAD", "label DLOAD by default");
	ok(!w.yes && !w.json && !w.quiet, "no --yes, --json or --quiet by default");
	is_int(w.opts.create_size, 0, "no image is created by default");
	is_int(w.stall_timeout, 30, "stall timeout 30 s by default");
	ok(!(w.opts.safety_flags & (SAFETY_ALLOW_FIXED | SAFETY_FORCE)),
	   "fixed disks and files that are no disk image refused by default");
	ok(w.opts.sysroot == NULL, "no --sysroot by default: this system's");
	ok(!w.have_sha256 && !w.have_md5 && !w.opts.no_probe, "no digest, the probe runs");

	ok(parse('y', NULL) && w.yes, "--yes");
	ok(parse('j', NULL) && w.json, "--json");
	ok(parse('q', NULL) && w.quiet, "--quiet");
	ok(parse('s', "8G") && w.opts.create_size == 8 * GiB, "--size 8G");
	ok(parse('L', "RESCUE") && strcmp(w.opts.label, "RESCUE") == 0, "--label");
	ok(parse(WRITE_OPT_ALLOW_FIXED, NULL) && (w.opts.safety_flags & SAFETY_ALLOW_FIXED),
	   "--allow-fixed");
	ok(parse(WRITE_OPT_FORCE, NULL) && (w.opts.safety_flags & SAFETY_FORCE), "--force");
	ok(parse(WRITE_OPT_NO_PROBE, NULL) && w.opts.no_probe, "--no-probe");
	ok(parse(WRITE_OPT_STALL_TIMEOUT, "5") && w.stall_timeout == 5, "--stall-timeout 5");
	ok(parse(WRITE_OPT_STALL_TIMEOUT, "0") && w.stall_timeout == 0,
	   "--stall-timeout 0: wait for ever");
	ok(parse(WRITE_OPT_SYSROOT, "/") && strcmp(w.opts.sysroot, "/") == 0, "--sysroot / is kept");
	ok(parse(WRITE_OPT_SHA256, "6C1779B3F55B27FBBF57EED1FA6B2CA964C232CD6FCC64D5B958CBC21DAB6A1C") &&
	   w.have_sha256 && w.sha256[0] == 0x6c && w.sha256[31] == 0x1c, "--sha256 in upper case");
	ok(parse(WRITE_OPT_MD5, "00112233445566778899aabbccddeeff") && w.have_md5 &&
	   w.md5[15] == 0xff, "--md5");
	ok(!parse('w', NULL) && !parse('h', NULL) && !parse('V', NULL),
	   "batch's own options, --help and --version are left to the command");

	/* One label, as FAT stores it, in the boot sector and the directory. */
	ok(parse('L', "dload") && strcmp(w.opts.label, "DLOAD") == 0,
	   "--label dload is upper-cased, as FAT stores it");
	ok(parse('L', "my card 1") && strcmp(w.opts.label, "MY CARD 1") == 0,
	   "a label with spaces: upper-cased, spaces kept");
	ok(parse('L', "#1_(A)~"), "the punctuation FAT allows");

	is_refused('s', "8X", "invalid --size '8X': give a size such as 8G or 512M", "a bad size");
	is_refused('s', "0", "invalid --size '0'", "a size of nothing");
	is_refused('L', "MUCH TOO LONG", "a label has 1 to 11 characters",
		   "a label longer than 11 characters");
	is_refused('L', "A/B", "'/' is not allowed in a FAT label", "a character FAT forbids");
	is_refused('L', " ", "invalid --label ' ': a label cannot start with a space",
		   "--label ' '");
	is_refused('L', " X", "a label cannot start with a space", "a label that starts with a space");
	is_refused('L', "", "a label has 1 to 11 characters", "an empty label");
	is_refused('L', "CAF\xc3\x89", "is not allowed in a FAT label", "a label that is not ASCII");
	is_refused('L', "A.B", "'.' is not allowed in a FAT label", "a dot in a label");
	is_refused(WRITE_OPT_SYSROOT, "/nonexistent/root", "no directory /nonexistent/root/sys",
		   "--sysroot without a sys/ in it");
	is_refused(WRITE_OPT_SHA256, "abc", "give the 64 hexadecimal digits", "a short SHA-256");
	is_refused(WRITE_OPT_MD5, "xyz", "give the 32 hexadecimal digits", "an MD5 that is no hex");
	is_refused(WRITE_OPT_STALL_TIMEOUT, "-1", "invalid --stall-timeout '-1': give seconds, "
		   "0 to wait forever", "a negative stall timeout");
	is_refused(WRITE_OPT_STALL_TIMEOUT, "86401", "invalid --stall-timeout '86401'",
		   "a stall timeout above a day");
	return done_testing();
}
