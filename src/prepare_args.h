/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_PREPARE_ARGS_H
#define DLOADCARD_PREPARE_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "prepare.h"

/* The command line of prepare, parsed without side effects (unit-tested). */
struct prepare_args {
	struct prepare_opts opts;
	const char *target;
	const char *source;
	bool yes, json, quiet;
	unsigned stall_timeout;		/* seconds without progress; 0: never */
	bool have_sha256, have_md5;
	unsigned char sha256[32], md5[16];
};

enum {
	PREPARE_ARGS_OK = 0,
	PREPARE_ARGS_ERROR = 1,		/* err says why */
	PREPARE_ARGS_HELP,
	PREPARE_ARGS_VERSION,
};

int prepare_parse_args(int argc, char **argv, struct prepare_args *a, char *err, size_t errlen);

#endif
