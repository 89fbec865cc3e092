/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/safety.h"
#include "cmd/write_args.h"
#include "fat/format.h"
#include "lib/strutils.h"

static int bad(struct errmsg *e, const char *option, const char *arg, const char *hint)
{
	return errmsg_set(e, -1, "invalid %s '%s': %s", option, arg, hint);
}

void write_args_init(struct write_args *w)
{
	memset(w, 0, sizeof(*w));
	xstrncpy(w->opts.label, DEFAULT_LABEL, sizeof(w->opts.label));
	w->stall_timeout = DEFAULT_STALL_TIMEOUT;
}

int write_args_parse(struct write_args *w, int c, const char *arg, struct errmsg *e)
{
	struct errmsg why;

	switch (c) {
	case 'y':
		w->yes = true;
		return 1;
	case 's':
		if (parse_size(arg, &w->opts.create_size) != 0 || !w->opts.create_size)
			return bad(e, "--size", arg, "give a size such as 8G or 512M");
		return 1;
	case 'L':
		if (format_label(arg, w->opts.label, &why) != 0)
			return bad(e, "--label", arg, why.text);
		return 1;
	case WRITE_OPT_ALLOW_FIXED:
		w->opts.safety_flags |= SAFETY_ALLOW_FIXED;
		return 1;
	case WRITE_OPT_FORCE:
		w->opts.safety_flags |= SAFETY_FORCE;
		return 1;
	case WRITE_OPT_SYSROOT:
		if (sysroot_check(arg, &why) != 0)
			return bad(e, "--sysroot", arg, why.text);
		w->opts.sysroot = arg;
		return 1;
	case WRITE_OPT_NO_PROBE:
		w->opts.no_probe = true;
		return 1;
	case WRITE_OPT_SHA256:
		if (parse_hex(arg, w->sha256, sizeof(w->sha256)) != 0)
			return bad(e, "--sha256", arg, "give the 64 hexadecimal digits");
		w->have_sha256 = true;
		return 1;
	case WRITE_OPT_MD5:
		if (parse_hex(arg, w->md5, sizeof(w->md5)) != 0)
			return bad(e, "--md5", arg, "give the 32 hexadecimal digits");
		w->have_md5 = true;
		return 1;
	case WRITE_OPT_STALL_TIMEOUT:
		if (parse_uint(arg, MAX_STALL_TIMEOUT, &w->stall_timeout) != 0)
			return bad(e, "--stall-timeout", arg, "give seconds, 0 to wait forever");
		return 1;
	case 'j':
		w->json = true;
		return 1;
	case 'q':
		w->quiet = true;
		return 1;
	}
	return 0;
}

int prepare_parse_args(int argc, char **argv, struct prepare_args *a, struct errmsg *e)
{
	static const struct option longopts[] = {
		WRITE_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c, rc;

	memset(a, 0, sizeof(*a));
	write_args_init(&a->w);
	optind = 0;
	opterr = 0;	/* our own messages, through e */
	while ((c = getopt_long(argc, argv, WRITE_SHORTOPTS "hV", longopts, NULL)) != -1) {
		rc = write_args_parse(&a->w, c, optarg, e);
		if (rc < 0)
			return PREPARE_ARGS_ERROR;
		if (rc > 0)
			continue;
		switch (c) {
		case 'h':
			return PREPARE_ARGS_HELP;
		case 'V':
			return PREPARE_ARGS_VERSION;
		default:
			if (optopt && optopt < 256)
				errmsg_set(e, 0, "invalid option -%c, or it needs a value", optopt);
			else
				errmsg_set(e, 0, "invalid option '%s', or it needs a value",
					   argv[optind - 1]);
			return PREPARE_ARGS_ERROR;
		}
	}
	if (argc - optind != 2) {
		errmsg_set(e, 0, "%s", argc - optind < 2 ? "give the card and the UPDATE.APP" :
			   "too many arguments: give the card and the UPDATE.APP");
		return PREPARE_ARGS_ERROR;
	}
	a->target = argv[optind];
	a->source = argv[optind + 1];
	return PREPARE_ARGS_OK;
}
