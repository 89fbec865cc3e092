/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CMD_WRITE_ARGS_H
#define DLOADCARD_CMD_WRITE_ARGS_H

#include <getopt.h>
#include <stdbool.h>

#include "cmd/cli.h"
#include "firmware/package.h"
#include "pipeline/prepare.h"

/*
 * The options of the commands that write cards (prepare, batch): they
 * write them the same way, so they take the same options, parsed here into
 * the part of their control struct they share (unit-tested).
 */
struct write_args {
	struct prepare_opts opts;
	bool yes, json, quiet;
	unsigned stall_timeout;		/* seconds without progress; 0: never */
	bool have_sha256, have_md5;
	unsigned char sha256[32], md5[16];
	struct package_args pkg;	/* --keep-zip, --extract, --member */
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
	{ "quiet", no_argument, NULL, 'q' }, \
	PACKAGE_LONGOPTS
#define WRITE_SHORTOPTS "ys:L:jq"

/* The defaults: label DLOAD, a 30 s stall timeout, nothing else. */
void write_args_init(struct write_args *w);

/* Whether c (with its arg) was one of the shared options, now in w.  A bad
 * value is a usage error (cli.h): it exits. */
bool write_args_parse(struct write_args *w, int c, const char *arg);

/*
 * The source of a card, recognised (firmware/package.h) and said in one
 * line on stderr (unless quiet) before anything is written: EXIT_OK with p
 * filled (p->member: the zip member to write, or ""), or the exit code of a
 * source that cannot be written, e saying why: EXIT_USAGE for a --member
 * not in the zip, EXIT_SOURCE_INVALID for a two-step zip.
 */
int write_args_source(const struct write_args *w, const char *path, struct package *p,
		      struct errmsg *e);

#endif
