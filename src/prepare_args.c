/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "prepare_args.h"
#include "safety.h"
#include "strutils.h"

enum {
	OPT_ALLOW_FIXED = 256,
	OPT_SHA256,
	OPT_MD5,
	OPT_STALL_TIMEOUT,
	OPT_NO_PROBE,
};

#define DEFAULT_STALL_TIMEOUT 30

static int bad(char *err, size_t errlen, const char *option, const char *arg, const char *hint)
{
	snprintf(err, errlen, "invalid %s '%s': %s", option, arg, hint);
	return PREPARE_ARGS_ERROR;
}

int prepare_parse_args(int argc, char **argv, struct prepare_args *a, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "size", required_argument, NULL, 's' },
		{ "label", required_argument, NULL, 'L' },
		{ "allow-fixed", no_argument, NULL, OPT_ALLOW_FIXED },
		{ "sha256", required_argument, NULL, OPT_SHA256 },
		{ "md5", required_argument, NULL, OPT_MD5 },
		{ "stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT },
		{ "no-probe", no_argument, NULL, OPT_NO_PROBE },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char why[128];
	int c;

	memset(a, 0, sizeof(*a));
	a->opts.label = DEFAULT_LABEL;
	a->stall_timeout = DEFAULT_STALL_TIMEOUT;
	optind = 0;
	opterr = 0;	/* our own messages, through err */
	while ((c = getopt_long(argc, argv, "ys:L:jqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'y':
			a->yes = true;
			break;
		case 's':
			if (parse_size(optarg, &a->opts.create_size) != 0 || !a->opts.create_size)
				return bad(err, errlen, "--size", optarg, "give a size such as 8G or 512M");
			break;
		case 'L':
			if (format_check_label(optarg, why, sizeof(why)) != 0)
				return bad(err, errlen, "--label", optarg, why);
			a->opts.label = optarg;
			break;
		case OPT_NO_PROBE:
			a->opts.no_probe = true;
			break;
		case OPT_ALLOW_FIXED:
			a->opts.safety_flags |= SAFETY_ALLOW_FIXED;
			break;
		case OPT_SHA256:
			if (parse_hex(optarg, a->sha256, sizeof(a->sha256)) != 0)
				return bad(err, errlen, "--sha256", optarg, "give the 64 hexadecimal digits");
			a->have_sha256 = true;
			break;
		case OPT_MD5:
			if (parse_hex(optarg, a->md5, sizeof(a->md5)) != 0)
				return bad(err, errlen, "--md5", optarg, "give the 32 hexadecimal digits");
			a->have_md5 = true;
			break;
		case OPT_STALL_TIMEOUT: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*optarg == '-' || *end || end == optarg || v > 86400)
				return bad(err, errlen, "--stall-timeout", optarg,
					   "give seconds, 0 to wait forever");
			a->stall_timeout = (unsigned)v;
			break;
		}
		case 'j':
			a->json = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			return PREPARE_ARGS_HELP;
		case 'V':
			return PREPARE_ARGS_VERSION;
		default:
			if (optopt && optopt < 256)
				snprintf(err, errlen, "invalid option -%c, or it needs a value", optopt);
			else
				snprintf(err, errlen, "invalid option '%s', or it needs a value",
					 argv[optind - 1]);
			return PREPARE_ARGS_ERROR;
		}
	}
	if (argc - optind != 2) {
		snprintf(err, errlen, argc - optind < 2 ? "give the card and the UPDATE.APP" :
			 "too many arguments: give the card and the UPDATE.APP");
		return PREPARE_ARGS_ERROR;
	}
	a->target = argv[optind];
	a->source = argv[optind + 1];
	return PREPARE_ARGS_OK;
}
