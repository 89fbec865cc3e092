/* SPDX-License-Identifier: GPL-3.0-or-later */
/* prepare's command line: what users type, and what is refused. */
#include "config.h"

#include <string.h>

#include "card/safety.h"
#include "cmd/write_args.h"
#include "lib/strutils.h"
#include "tap.h"

static int parse(struct prepare_args *a, struct errmsg *e, const char *first, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	const char *s;

	argv[argc++] = (char *)"prepare";
	va_start(ap, first);
	for (s = first; s && argc < 31; s = va_arg(ap, const char *))
		argv[argc++] = (char *)s;
	va_end(ap);
	argv[argc] = NULL;
	return prepare_parse_args(argc, argv, a, e);
}

int main(void)
{
	struct prepare_args a;
	struct errmsg err;

	is_int(parse(&a, &err, "/dev/sdb", "UPDATE.APP", NULL), PREPARE_ARGS_OK, "card and file");
	is_str(a.target, "/dev/sdb", "the card");
	is_str(a.source, "UPDATE.APP", "the file");
	is_str(a.w.opts.label, "DLOAD", "label DLOAD by default");
	ok(!a.w.yes && !a.w.json && !a.w.quiet, "no --yes, --json or --quiet by default");
	is_int(a.w.opts.create_size, 0, "no image is created by default");
	is_int(a.w.stall_timeout, 30, "stall timeout 30 s by default");
	ok(!(a.w.opts.safety_flags & SAFETY_ALLOW_FIXED), "fixed disks refused by default");

	is_int(parse(&a, &err, "--yes", "--json", "-q", "--size", "8G", "-L", "RESCUE",
		     "--allow-fixed", "--stall-timeout", "5", "card.img", "fw.zip", NULL),
	       PREPARE_ARGS_OK, "every option at once");
	ok(a.w.yes && a.w.json && a.w.quiet, "--yes --json -q");
	is_int(a.w.opts.create_size, 8 * GiB, "--size 8G");
	is_str(a.w.opts.label, "RESCUE", "--label");
	ok(a.w.opts.safety_flags & SAFETY_ALLOW_FIXED, "--allow-fixed");
	is_int(a.w.stall_timeout, 5, "--stall-timeout 5");

	is_int(parse(&a, &err, "card.img", "--yes", "UPDATE.APP", NULL), PREPARE_ARGS_OK,
	       "options after the arguments");
	ok(a.w.yes, "--yes after the card");

	is_int(parse(&a, &err, "--sha256",
		     "6C1779B3F55B27FBBF57EED1FA6B2CA964C232CD6FCC64D5B958CBC21DAB6A1C",
		     "--md5", "00112233445566778899aabbccddeeff", "c", "f", NULL),
	       PREPARE_ARGS_OK, "--sha256 and --md5 in any case");
	ok(a.w.have_sha256 && a.w.sha256[0] == 0x6c && a.w.sha256[31] == 0x1c, "SHA-256 parsed");
	ok(a.w.have_md5 && a.w.md5[15] == 0xff, "MD5 parsed");

	is_int(parse(&a, &err, "/dev/sdb", NULL), PREPARE_ARGS_ERROR, "the file is missing");
	ok(strstr(err.text, "give the card and the UPDATE.APP") != NULL, "and the error says what to give");
	is_int(parse(&a, &err, "a", "b", "c", NULL), PREPARE_ARGS_ERROR, "too many arguments");
	is_int(parse(&a, &err, "--size", "8X", "a", "b", NULL), PREPARE_ARGS_ERROR, "a bad size");
	ok(strstr(err.text, "--size") != NULL, "names --size");
	is_int(parse(&a, &err, "--label", "MUCH TOO LONG", "a", "b", NULL), PREPARE_ARGS_ERROR,
	       "a label longer than 11 characters");
	is_int(parse(&a, &err, "--label", "A/B", "a", "b", NULL), PREPARE_ARGS_ERROR,
	       "a label with a character FAT forbids");
	/* One label, as FAT stores it, in the boot sector and the directory. */
	is_int(parse(&a, &err, "--label", "dload", "a", "b", NULL), PREPARE_ARGS_OK, "--label dload");
	is_str(a.w.opts.label, "DLOAD", "is upper-cased, as FAT stores it");
	is_int(parse(&a, &err, "-L", "my card 1", "a", "b", NULL), PREPARE_ARGS_OK, "a label with spaces");
	is_str(a.w.opts.label, "MY CARD 1", "upper-cased, spaces kept");
	is_int(parse(&a, &err, "--label", " ", "a", "b", NULL), PREPARE_ARGS_ERROR, "--label ' '");
	ok(strstr(err.text, "cannot start with a space") != NULL, "a label cannot start with a space");
	is_int(parse(&a, &err, "--label", " X", "a", "b", NULL), PREPARE_ARGS_ERROR,
	       "a label that starts with a space");
	is_int(parse(&a, &err, "--label", "", "a", "b", NULL), PREPARE_ARGS_ERROR, "an empty label");
	is_int(parse(&a, &err, "--label", "CAF\xc3\x89", "a", "b", NULL), PREPARE_ARGS_ERROR,
	       "a label that is not ASCII");
	is_int(parse(&a, &err, "--label", "A.B", "a", "b", NULL), PREPARE_ARGS_ERROR, "a dot in a label");
	is_int(parse(&a, &err, "--label", "#1_(A)~", "a", "b", NULL), PREPARE_ARGS_OK,
	       "the punctuation FAT allows");

	is_int(parse(&a, &err, "--force", "a", "b", NULL), PREPARE_ARGS_OK, "--force");
	ok(a.w.opts.safety_flags & SAFETY_FORCE, "sets the force flag");
	is_int(parse(&a, &err, "a", "b", NULL), PREPARE_ARGS_OK, "no --force");
	ok(!(a.w.opts.safety_flags & SAFETY_FORCE), "no force by default");
	ok(a.w.opts.sysroot == NULL, "no --sysroot by default: this system's");
	is_int(parse(&a, &err, "--sysroot", "/", "a", "b", NULL), PREPARE_ARGS_OK, "--sysroot /");
	is_str(a.w.opts.sysroot, "/", "is kept");
	is_int(parse(&a, &err, "--sysroot", "/nonexistent/root", "a", "b", NULL), PREPARE_ARGS_ERROR,
	       "--sysroot without a sys/ in it");
	ok(strstr(err.text, "/nonexistent/root/sys") != NULL, "names the missing sys/");

	is_int(parse(&a, &err, "--sha256", "abc", "a", "b", NULL), PREPARE_ARGS_ERROR, "a short SHA-256");
	ok(strstr(err.text, "64 hexadecimal") != NULL, "says how long a SHA-256 is");
	is_int(parse(&a, &err, "--stall-timeout", "-1", "a", "b", NULL), PREPARE_ARGS_ERROR,
	       "a negative stall timeout");
	is_int(parse(&a, &err, "--bogus", "a", "b", NULL), PREPARE_ARGS_ERROR, "an unknown option");
	ok(strstr(err.text, "--bogus") != NULL, "names the unknown option");
	is_int(parse(&a, &err, "--help", NULL), PREPARE_ARGS_HELP, "--help");
	is_int(parse(&a, &err, "-V", NULL), PREPARE_ARGS_VERSION, "-V");
	return done_testing();
}
