/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CMD_WRITE_ARGS_H
#define DLOADCARD_CMD_WRITE_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "pipeline/guard.h"
#include "pipeline/prepare.h"

/*
 * The options of the commands that write cards (prepare, batch): they
 * write them the same way, so they take the same options, parsed here
 * without side effects (unit-tested).
 */
struct write_args {
	struct prepare_opts opts;
	bool yes, json, quiet;
	unsigned stall_timeout;		/* seconds without progress; 0: never */
	bool have_sha256, have_md5;
	unsigned char sha256[32], md5[16];
};

enum {
	WRITE_OPT_ALLOW_FIXED = 0x1000,
	WRITE_OPT_NO_PROBE,
	WRITE_OPT_SHA256,
	WRITE_OPT_MD5,
	WRITE_OPT_STALL_TIMEOUT,
	WRITE_OPT_FORCE,
	WRITE_OPT_SYSROOT,
};

/* getopt_long entries and short letters of the shared options. */
#define WRITE_LONGOPTS \
	{ "yes", no_argument, NULL, 'y' }, \
	{ "size", required_argument, NULL, 's' }, \
	{ "label", required_argument, NULL, 'L' }, \
	{ "allow-fixed", no_argument, NULL, WRITE_OPT_ALLOW_FIXED }, \
	{ "no-probe", no_argument, NULL, WRITE_OPT_NO_PROBE }, \
	{ "sha256", required_argument, NULL, WRITE_OPT_SHA256 }, \
	{ "md5", required_argument, NULL, WRITE_OPT_MD5 }, \
	{ "stall-timeout", required_argument, NULL, WRITE_OPT_STALL_TIMEOUT }, \
	{ "force", no_argument, NULL, WRITE_OPT_FORCE }, \
	{ "sysroot", required_argument, NULL, WRITE_OPT_SYSROOT }, \
	{ "json", no_argument, NULL, 'j' }, \
	{ "quiet", no_argument, NULL, 'q' }
#define WRITE_SHORTOPTS "ys:L:jq"

void write_args_init(struct write_args *w);

/* 1: c was a shared option, handled; 0: not one of them; -1: a bad value,
 * e says why. */
int write_args_parse(struct write_args *w, int c, const char *arg, struct errmsg *e);

/* The command line of prepare. */
struct prepare_args {
	struct write_args w;
	const char *target;
	const char *source;
};

enum {
	PREPARE_ARGS_OK = 0,
	PREPARE_ARGS_ERROR = 1,		/* e says why */
	PREPARE_ARGS_HELP,
	PREPARE_ARGS_VERSION,
};

int prepare_parse_args(int argc, char **argv, struct prepare_args *a, struct errmsg *e);

#endif
