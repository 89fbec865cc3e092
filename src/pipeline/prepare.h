/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_PIPELINE_PREPARE_H
#define DLOADCARD_PIPELINE_PREPARE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "card/card.h"
#include "card/content.h"
#include "card/identity.h"
#include "card/probe.h"
#include "card/sysfs.h"
#include "fat/format.h"
#include "fat/layout.h"
#include "lib/errmsg.h"
#include "lib/progress.h"
#include "pipeline/readback.h"

/*
 * The prepare pipeline for one card, in the order it runs:
 *
 *   prepare_open   safety rules, exclusive open and lock, layout, room for
 *                  every file of the set
 *   (the caller shows what will be erased and asks)
 *   prepare_write  wipe, probe the capacity, partition, format, dload/,
 *                  the files under temporary names (UPDATE.TMP, SDPKG1.TMP,
 *                  ...), each contiguous from a 4 MiB boundary, in order;
 *                  each written, flushed, read back past the cache and
 *                  compared, with its source's digests (computed meanwhile:
 *                  ps[i].hash); once every file is verified, each renamed
 *                  to its final name in order (the base package last), the
 *                  names checked on the card, the partition table re-read
 *   prepare_close  release the card
 *
 * A set is one UPDATE.APP, or SD packages (firmware/package.h: the set's
 * rules are the caller's).  No step prints except through the progress
 * reporter, so that batch can run one pipeline per card.
 */
struct prepare_opts {
	char label[FORMAT_LABEL_MAX + 1];	/* volume label as written, "DLOAD" */
	uint64_t create_size;		/* create an image file this big if missing */
	unsigned safety_flags;		/* SAFETY_ALLOW_FIXED, SAFETY_FORCE */
	bool no_probe;			/* skip the capacity probe */
	const char *sysroot;		/* --sysroot, or NULL */
};

struct srchash;

/* A file of the set, checked once, shared by every card of a batch. */
struct prepare_source {
	const char *path;		/* never the card, under any name (safety.h) */
	const char *member;		/* the zip member written (--member), or NULL */
	const char *card_name;		/* its name in dload/: an SD package's own, kept
					 * zipped; NULL: UPDATE.APP */
	uint64_t size;
	/* Its digests, being computed meanwhile in threads of their own, with
	 * --sha256 and --md5 (firmware/srchash.h): one hash for every card of
	 * a batch.  A card's file is named UPDATE.APP only once they are known
	 * and right. */
	struct srchash *hash;
};

enum prepare_phase {
	PHASE_OPEN,
	PHASE_WIPE,
	PHASE_PROBE,
	PHASE_PARTITION,
	PHASE_FORMAT,
	PHASE_WRITE,
	PHASE_READBACK,
	PHASE_FINISH,
	PHASE_COUNT
};

/* The files of a set, at most. */
#define PREPARE_MAX_FILES 8

/* A file of the set on the card. */
struct prepare_file {
	char tmp_name[16];		/* while written: "UPDATE.TMP", "SDPKG1.TMP" */
	uint64_t card_off;		/* where it starts on the card */
	uint32_t first_cluster;
	unsigned char sha256[32];	/* of the source (its hash) */
	bool sha256_known;		/* sha256 is set */
	unsigned char md5[16];		/* ... with --md5 */
	bool md5_known;
	unsigned char card_sha256[32];	/* of what was read back from the card */
	bool card_sha_known;		/* card_sha256 is set */
	bool readback_compared;		/* ... proven by comparing every byte */
	bool temp_created;		/* its temporary name exists */
	bool temp_removed;		/* ... existed, and was removed after a failure */
	bool final_named;		/* the rename to its final name was attempted */
	bool final_removed;		/* ... and taken back after a failure */
	double hash_seconds;		/* the source's hash took, overlapped */
};

/* What the user is told before the card is erased, beside what it holds. */
#define PREPARE_MAX_NOTES 3

struct prepare_run {
	const struct prepare_opts *opts;
	struct progress *pg;
	volatile sig_atomic_t *cancel;
	struct sysroot root;
	struct card card;
	bool card_open;
	struct disk_identity id;	/* block devices only */
	struct card_content before;	/* what the card held */
	char holds[160];		/* an existing image file: what it holds, in words */
	char notes[PREPARE_MAX_NOTES][256];	/* a file that was no disk image (--force),
						 * --size not used, the 2 TiB limit */
	size_t nnotes;
	struct sd_layout layout;
	uint32_t disk_id, volume_id;

	/* Result */
	int exit_code;			/* EXIT_* */
	enum prepare_phase phase;	/* where it stopped */
	struct errmsg error;		/* one line: what went wrong */
	char advice[256];		/* one line: what to do */
	bool card_touched;		/* anything written yet */
	size_t nfiles;
	struct prepare_file files[PREPARE_MAX_FILES];	/* in the order written */
	bool set;			/* SD packages, not dload/UPDATE.APP */
	size_t at;			/* the file the run is at (or failed on) */
	bool verified;			/* every file read back, equal, and named */
	struct diff_report diff;
	bool probed;
	struct probe_result probe;	/* the capacity probe, when it ran */
	double seconds[PHASE_COUNT];	/* the read-back's without hash_wait */
	double hash_wait;		/* after the read-back, waiting for it */
};

const char *prepare_phase_name(enum prepare_phase p);

/*
 * Conclude the run as failed: the exit code, one line of what went wrong and
 * one of what to do (NULL: nothing to add).  Returns code.  The pipeline's
 * own failures come this way, and so do those its callers find around it
 * (batch, the prepare command), so that every failure is reported alike.
 */
int prepare_fail(struct prepare_run *r, int code, const char *advice, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * 0, or the exit code with r->error set.  Nothing is written; an image file
 * it created is removed again by prepare_close unless the card was written.
 */
int prepare_open(struct prepare_run *r, const char *target, const struct prepare_opts *o,
		 const struct prepare_source *ps, size_t n, struct progress *pg,
		 volatile sig_atomic_t *cancel);

/* Start ps->hash on src, for a run of its own (a batch starts one for all):
 * 0, or the exit code with r->error set (4: the source changed). */
struct srchash_opts;
int prepare_start_hash(struct prepare_run *r, struct source *src, struct prepare_source *ps,
		       const struct srchash_opts *o);

/* 0, or the exit code with r->error and r->advice set.  The n files of the
 * set, as prepare_open() was given them: src[i] at its start (an SD
 * package: the zip's own bytes, source_reopen_raw()); ps[i].hash runs
 * (srchash_start() on src[i]), and a source it already found wrong is
 * refused with nothing written. */
int prepare_write(struct prepare_run *r, struct source *const *src,
		  const struct prepare_source *ps, size_t n);

/* The name a file of the set has while it is written: UPDATE.TMP for
 * UPDATE.APP, SDPKG<k>.TMP for the k-th SD package (k from 1).  The device
 * ignores both. */
void prepare_tmp_name(const struct prepare_source *ps, size_t n, size_t i, char *buf,
		      size_t len);

/* The bytes the set takes from the first file's start: each file but the
 * last rounded up to the 4 MiB boundary the next starts on. */
uint64_t prepare_set_span(const struct prepare_source *ps, size_t n);

void prepare_close(struct prepare_run *r);

/* What the card holds now, in words, after a failure ("no UPDATE.APP ..."). */
const char *prepare_card_state(const struct prepare_run *r);

/* What a card left in this phase may hold, when the run could not finish
 * its failure's cleanup (a stall, an abandoned stop); set: SD packages. */
const char *prepare_state_at(enum prepare_phase phase, bool set);

#endif
