/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CMD_WRITE_ARGS_H
#define DLOADCARD_CMD_WRITE_ARGS_H

#include <getopt.h>
#include <stdbool.h>

#include "cmd/cli.h"
#include "firmware/package.h"
#include "firmware/srccheck.h"
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

/* A file of a card's set, as the commands that write cards take it. */
struct write_file {
	const char *path;		/* as given */
	struct package pkg;
	struct srccheck sc;		/* its check */
	struct source *src;		/* what is written: sc.src, or an SD package's own bytes */
};

/*
 * The n files (at most PREPARE_MAX_FILES): each recognised and said
 * (write_args_source()), then, for several, the set's rules
 * (package_set_check(), its warnings on stderr), then the order they go on
 * the card (package_set_order()) in wf.  EXIT_OK, or the exit code with e
 * (EXIT_SOURCE_INVALID for a set that cannot be one card's).
 */
int write_args_recognise(const struct write_args *w, char *const *files, size_t n,
			 struct write_file *wf, struct errmsg *e);

/*
 * Every file's check before a card is touched (srccheck.h: an SD package
 * whole, every member by its CRC-32), and what is to be written opened: an
 * SD package's zip as it is.  EXIT_OK; or the code of the file *bad, whose
 * check failed (wf[*bad].sc says why, e is empty) or whose bytes would not
 * open again (e says why).
 */
int write_args_check(struct write_file *wf, size_t n, struct progress *pg,
		     volatile sig_atomic_t *cancel, size_t *bad, struct errmsg *e);

/* What the pipeline is given of each file (ps[i].hash: NULL). */
void write_args_sources(const struct write_file *wf, size_t n, struct prepare_source *ps);

void write_args_free(struct write_file *wf, size_t n);

#endif
