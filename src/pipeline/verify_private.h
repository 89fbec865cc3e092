/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_PIPELINE_VERIFY_PRIVATE_H
#define DLOADCARD_PIPELINE_VERIFY_PRIVATE_H

/*
 * Shared by verify.c (the card around dload/, the verdict) and
 * verify_files.c (the files of dload/ read from the card); no one else
 * includes it.
 */
#include <stdbool.h>

#include "card/card.h"
#include "fat/fat.h"
#include "pipeline/verify.h"

/* One line of the report, naming the set's current file when there is one;
 * NULL when the report is full. */
struct vcheck *verify_add(struct verify_report *rep, const char *name, enum vresult res,
			  enum vclass cls, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The file's clusters: chain as long as its size, the FAT copies agree over
 * them, no other file shares them; with fsinfo, FSInfo's count too (the
 * whole tree is walked once). */
void verify_clusters(struct fat_vol *vol, struct verify_report *rep,
		     const struct fat_dirent *de, const char *name, bool fsinfo);

/* dload/UPDATE.APP read from the card: its container checked, its SHA-256,
 * the comparison with --sha256 or --against. */
void verify_update_app(struct card *c, struct fat_vol *vol, const struct fat_dirent *de,
		       const struct verify_opts *o, struct verify_report *rep);

/* Every zip of dload/ (des: rep->n_files entries, as listed), each judged,
 * and the set they make. */
void verify_sd_set(struct card *c, struct fat_vol *vol, const struct fat_dirent *des,
		   const struct verify_opts *o, struct verify_report *rep);

/* --against: every file given is on the card, and every file of the card
 * was given. */
void verify_against_files(struct verify_report *rep, const struct verify_opts *o);

#endif
