/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_PIPELINE_VERIFY_H
#define DLOADCARD_PIPELINE_VERIFY_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "card/card.h"
#include "lib/progress.h"
#include "pipeline/readback.h"

/*
 * The audit of a card, whoever made it: read only, every check one line
 * with a result and a reason, and a verdict.  Used by verify, and by list
 * and batch --watch to recognise a card that is already right.
 */
enum vresult { V_PASS, V_INFO, V_WARN, V_FAIL, V_SKIP };

/* What a failure means for the verdict. */
enum vclass {
	VC_LAYOUT,	/* the card is not a dload card */
	VC_CONTENT,	/* a dload card whose content is damaged */
	VC_IO,		/* the card could not be read */
};

struct vcheck {
	const char *name;	/* stable: "partition-table", "filesystem", ... */
	enum vresult result;
	enum vclass cls;
	int file;		/* the files[] it judges, or -1: the card, the set */
	char text[400];
};

#define VERIFY_MAX_CHECKS 256	/* a line or two of the card, 8 of each file */
#define VERIFY_MAX_FILES 24

/* What dload/ holds, as the device will take it. */
enum vlayout {
	VL_NONE,		/* nothing the device takes */
	VL_UPDATE_APP,		/* dload/UPDATE.APP */
	VL_SD_SET,		/* SD packages (zips), each under its own name */
};

/* A file of dload/. */
struct vfile {
	char name[768];		/* as the card names it (long name, else 8.3) */
	char short_name[13];	/* the 8.3 entry */
	uint64_t size;
	const char *kind;	/* "update-app", "sd-package", "download-zip", "two-step-zip",
				 * "zip" (no SD package: no firmware at its root,
				 * unreadable, or beside an UPDATE.APP), "leftover" (*.tmp),
				 * "folder", "other" */
	const char *role;	/* an SD package's "base", "cust", "preload", or NULL */
	char model[64];		/* from its name, or "" */
	bool read_done;		/* read from the card: sha256 set */
	unsigned char sha256[32];
	const char *container;	/* the checker's verdict name of its UPDATE.APP, or NULL */
	uint64_t members;	/* a zip's files checked by their CRC-32 */
	struct diff_report diff;	/* against its --against file */
};

/* A --against file, recognised and checked by the caller: compared with the
 * card's file of card_name (an SD package's name: byte for byte, as it is;
 * "UPDATE.APP": by sha256, the difference located in the file's UPDATE.APP). */
struct verify_ref {
	const char *path;
	char card_name[256];
	unsigned char sha256[32];	/* its UPDATE.APP's (an SD package's: unused) */
};

struct verify_opts {
	bool quick;				/* read no file */
	const unsigned char *expect_sha256;	/* dload/UPDATE.APP's, or NULL (--sha256) */
	const struct verify_ref *refs;		/* --against FILE..., or NULL */
	size_t n_refs;
	struct progress *pg;
	volatile sig_atomic_t *cancel;
};

struct verify_report {
	struct vcheck checks[VERIFY_MAX_CHECKS];
	size_t n;
	int exit_code;			/* EXIT_OK, EXIT_VERIFY_WARN, EXIT_NOT_DLOAD, ... */
	char verdict[512];
	/* Facts found on the way, for --json */
	char pttype[16];
	uint64_t part_offset, part_size;
	char fstype[48];
	char label[12];
	enum vlayout layout;
	struct vfile files[VERIFY_MAX_FILES];	/* dload/'s, in its order */
	size_t n_files;
	int cur_file;			/* the file being judged, -1 none (private) */
	/* The one-file layout (VL_UPDATE_APP), as before sets */
	char dload_path[64];		/* as stored: "DLOAD/UPDATE.APP" */
	bool have_file;
	uint64_t file_size;
	bool read_done;
	unsigned char sha256[32];
	const char *container;		/* the checker's verdict name, or NULL */
	struct diff_report diff;	/* against --against */
};

/* Audit an opened card.  Returns rep->exit_code: EXIT_USAGE (verdict says
 * why) for expect_sha256 on a card holding SD packages. */
int verify_card(struct card *c, const struct verify_opts *o, struct verify_report *rep);

const char *vresult_name(enum vresult r);	/* "PASS", "WARN", ... */
const char *vlayout_name(enum vlayout l);	/* "update-app", "sd-set", NULL */

#endif
