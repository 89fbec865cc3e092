/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FIRMWARE_PACKAGE_H
#define DLOADCARD_FIRMWARE_PACKAGE_H

/*
 * What a file given to dloadcard is, and where it goes on the card: the
 * packages of every generation (issue 14).
 *
 *   UPDATE.APP      the container itself: dload/UPDATE.APP
 *   download zip    a vendor's zip holding <folder>/dload/UPDATE.APP (the
 *                   S7-721u's kind): that UPDATE.APP is extracted to
 *                   dload/UPDATE.APP
 *   SD package      an EMUI SD forced-update zip (update_sd_base.zip,
 *                   update_sd_cust_<model>_<vendor>.zip,
 *                   update_sd_preload_<model>_<vendor>_R<n>.zip) holding
 *                   UPDATE.APP at its root: kept as it is, under its own
 *                   name, in dload/
 *   two-step zip    several UPDATE.APP in separate folders, to be applied
 *                   one after the other: refused, --member PATH picks one
 *
 * The facts behind the names are second-hand, so the rules are built so
 * that a wrong guess costs a warning, never a refused good package: the
 * content decides (UPDATE.APP at the root: kept zipped; in a dload folder:
 * extracted), the name only adds a warning where it disagrees, and
 * --keep-zip / --extract override the guess.
 *
 * package_recognise() lists the zip; the rest is pure.
 */
#include <stdbool.h>
#include <stddef.h>

#include "lib/errmsg.h"

enum package_kind {
	PKG_UPDATE_APP,         /* a plain UPDATE.APP */
	PKG_DOWNLOAD_ZIP,       /* its UPDATE.APP extracted */
	PKG_SD_PACKAGE,         /* kept zipped */
	PKG_TWO_STEP,           /* refused: several UPDATE.APP */
	PKG_OTHER,              /* refused: no UPDATE.APP in it, or not firmware */
};

/* What an SD package's name says it is. */
enum package_role {
	PKG_ROLE_NONE,          /* not an SD package, or a name of another form */
	PKG_ROLE_BASE,          /* update_sd_base.zip */
	PKG_ROLE_CUST,          /* update_sd_cust_<model>_<vendor>.zip */
	PKG_ROLE_PRELOAD,       /* update_sd_preload_<model>_<vendor>_R<n>.zip */
};

enum package_override {
	PKG_GUESS,              /* the content and the name decide */
	PKG_KEEP_ZIP,           /* --keep-zip: an SD package, whatever it holds */
	PKG_EXTRACT,            /* --extract: extract its UPDATE.APP */
};

#define PKG_NAME_MAX 256
#define PKG_MODEL_MAX 64

struct package {
	enum package_kind kind;
	enum package_role role;
	char model[PKG_MODEL_MAX];      /* from the name: "VOG-L29", or "" */
	char member[PKG_NAME_MAX];      /* the UPDATE.APP inside a zip, or "" */
	char card_name[PKG_NAME_MAX];   /* its name in dload/: "UPDATE.APP", or the zip's */
	char warning[512];              /* a guess the name disagrees with, or "" */
	char what[512];                 /* one line: what it is, where it goes */
};

/*
 * Recognise a zip from its file name (the last path component counts) and
 * the names of its members (files only, in the zip's order).  member: the
 * --member PATH, or NULL.  Returns 0 with p filled (a refused kind
 * included: p->what says why, the list of a two-step zip's UPDATE.APP and
 * --member among it), or -EINVAL with e set for a --member not in the zip.
 */
int package_recognise_zip(const char *path, const char *const *members, size_t n,
			  enum package_override how, const char *member,
			  struct package *p, struct errmsg *e);

/*
 * The file at path: a zip is listed (source_zip_list()) and recognised; any
 * other file is taken as an UPDATE.APP, which its check then judges.  A
 * file that cannot be listed is PKG_OTHER, its check says why.  -EINVAL for
 * a --member not in the zip, as package_recognise_zip().
 */
int package_recognise(const char *path, enum package_override how, const char *member,
		      struct package *p, struct errmsg *e);

/* A plain UPDATE.APP (the file is no zip). */
void package_recognise_plain(const char *path, struct package *p);

/* The name is update_sd_*.zip, any case (the name alone, no folder). */
bool package_sd_named(const char *name);

/* The role and model an SD package's file name gives; PKG_ROLE_NONE when it
 * is of another form. */
enum package_role package_role_of(const char *name, char *model, size_t len);

/*
 * The set as a whole, before anything is written: refused (-EINVAL, e says
 * why) for two files that would both be dload/UPDATE.APP, two files of one
 * name, an UPDATE.APP together with SD packages (the device would see both),
 * two base packages, or a refused kind; warnings (one line each, "\n"
 * between, in warn) for a cust or preload package of a model other than
 * another's, or SD packages without a base.
 */
int package_set_check(const struct package *set, size_t n, char *warn, size_t wlen,
		      struct errmsg *e);

/*
 * The set a card's dload/ holds (verify): the rules above, and a set that
 * would not start: cust or preload packages without a base, -ENOENT (e says
 * why); SD packages of other names without a base, a warning.
 */
int package_card_set_check(const struct package *set, size_t n, char *warn, size_t wlen,
			   struct errmsg *e);

/*
 * The order a set goes on the card, and is named in: as given, the base
 * package last (the device starts from it, so it is never there without
 * the others).  order receives n indices of set.
 */
void package_set_order(const struct package *set, size_t n, size_t *order);

const char *package_kind_name(enum package_kind k);   /* "update-app", "sd-package", ... */
const char *package_role_name(enum package_role r);   /* "base", "cust", ... or NULL */

#endif
