/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "firmware/package.h"
#include "firmware/scan.h"
#include "firmware/source.h"
#include "firmware/srccheck.h"
#include "firmware/srchash.h"
#include "lib/exitcodes.h"
#include "lib/nls.h"
#include "lib/strutils.h"

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	(void)total;
	progress_update(arg, done);
}

const struct ua_finding *srccheck_first_problem(const struct srccheck *sc)
{
	size_t i;

	if (!sc->chk)
		return NULL;
	for (i = 0; i < ua_check_finding_count(sc->chk); i++) {
		const struct ua_finding *f = ua_check_finding(sc->chk, i);

		if (f->severity == UA_ERROR)
			return f;
	}
	return NULL;
}

static int conclude(struct srccheck *sc)
{
	const struct ua_finding *f = srccheck_first_problem(sc);

	sc->verdict = ua_check_verdict(sc->chk);
	if (sc->verdict == UA_VALID || sc->verdict == UA_VALID_WITH_WARNINGS)
		return EXIT_OK;
	errmsg_set(&sc->error, 0, "%s: %s", sc->name, f ? f->message : _("not a valid UPDATE.APP"));
	xstrncpy(sc->advice, f && f->advice ? f->advice : "", sizeof(sc->advice));
	return sc->verdict == UA_DAMAGED ? EXIT_SOURCE_DAMAGED : EXIT_SOURCE_INVALID;
}

/* ---- what the package is for -------------------------------------------- */

static bool all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)p[i]))
			return false;
	return true;
}

/*
 * Where a Huawei version starts in a token: "V100R001..." (release), or
 * "C432B120" / "C00B008" (region, then build) right after the model in
 * newer packages.  -1 when the token holds none.
 */
static int version_start(const char *tok, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		const char *p = tok + i;
		size_t left = len - i;

		if (left >= 8 && p[0] == 'V' && all_digits(p + 1, 3) && p[4] == 'R' &&
		    all_digits(p + 5, 3))
			return (int)i;
		if (left >= 7 && p[0] == 'C' && all_digits(p + 1, 2) &&
		    ((p[3] == 'B' && all_digits(p + 4, 3)) ||
		     (left >= 8 && isdigit((unsigned char)p[3]) && p[4] == 'B' &&
		      all_digits(p + 5, 3))))
			return (int)i;
	}
	return -1;
}

/* A token that is only a version: "V100R001C00B008", "8.0.0.046(C432)"
 * (two dots at least, so that "1.0" after a word names no product). */
static bool is_version(const char *tok, size_t len)
{
	size_t dots = 0;

	if (version_start(tok, len) == 0)
		return true;
	for (size_t i = 0; i < len; i++)
		dots += tok[i] == '.';
	return isdigit((unsigned char)tok[0]) && dots >= 2;
}

static bool listed(const char *list, const char *name, size_t len)
{
	while (*list) {
		size_t n = strcspn(list, ",");

		if (n == len && strncasecmp(list, name, len) == 0)
			return true;
		list += n;
		list += strspn(list, ", ");
	}
	return false;
}

static void add_product(char *out, size_t outlen, const char *name, size_t len)
{
	size_t used = strlen(out), need;

	while (len && strchr("-_.(", name[len - 1]))
		len--;
	if (len < 2 || len > 32 || !isalnum((unsigned char)name[0]) || listed(out, name, len))
		return;
	need = (used ? 2 : 0) + len + 1;
	if (need > outlen - used)
		return;		/* cut to fit: the first ones are the main ones */
	snprintf(out + used, outlen - used, "%s%.*s", used ? ", " : "", (int)len, name);
}

/* The products one text names: per line, a model glued to its version, or
 * the word before a version. */
static void text_products(const char *text, char *out, size_t outlen)
{
	const char *prev = NULL, *p = text;
	size_t prev_len = 0;

	while (*p) {
		size_t len = strcspn(p, " \t\r\n,;");
		int v = version_start(p, len);

		if (len == 0) {
			if (*p == '\n')
				prev = NULL;	/* a model and its version share a line */
			p++;
			continue;
		}
		if (v > 0)
			add_product(out, outlen, p, (size_t)v);
		else if (is_version(p, len) && prev && !is_version(prev, prev_len))
			add_product(out, outlen, prev, prev_len);
		prev = p;
		prev_len = len;
		p += len;
	}
}

void srccheck_products(const struct ua_check *chk, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < ua_check_entry_count(chk); i++) {
		const struct ua_entry *e = ua_check_entry(chk, i);

		if (e->text)
			text_products(e->text, out, len);
	}
}

/* The line of text that holds s, for a message: at most 80 bytes. */
static void line_around(const char *text, const char *s, char *out, size_t len)
{
	const char *b = s, *e = s + strcspn(s, "\r\n");

	while (b > text && b[-1] != '\n')
		b--;
	snprintf(out, len, "%.*s", (int)(e - b > 80 ? 80 : e - b), b);
}

static void note(struct srccheck *sc, const char *kind, enum ua_severity sev, const char *advice)
{
	sc->model.kind = kind;
	sc->model.severity = sev;
	sc->model.advice = advice;
}

/*
 * --model: a case-insensitive substring of the text entries (or their
 * names), since packages write the model in several forms ("S7-721u",
 * "VTR-L09C432B120").  Another product is a warning, never an error: the
 * model a user types can be a marketing name.
 */
static void check_model(struct srccheck *sc, const char *model)
{
	char line[96];

	for (size_t i = 0; i < ua_check_entry_count(sc->chk); i++) {
		const struct ua_entry *e = ua_check_entry(sc->chk, i);
		const char *hit = e->text ? strcasestr(e->text, model) : NULL;

		if (!e->text || (!hit && !strcasestr(e->name, model)))
			continue;
		line_around(e->text, hit ? hit : e->text, line, sizeof(line));
		snprintf(sc->model.message, sizeof(sc->model.message),
			 _("The package names %s: entry %u (%s) says \"%s\"."), model, e->index,
			 e->name, line);
		note(sc, "model", UA_INFO, _("Nothing to do."));
		return;
	}
	if (*sc->products) {
		snprintf(sc->model.message, sizeof(sc->model.message),
			 _("This package is for %s, not %s: no text entry in it names %s."),
			 sc->products, model, model);
		note(sc, "model-mismatch", UA_WARNING,
		     _("Check the model on the device (its label, or Settings > About phone) and use "
		     "the firmware made for it: a device refuses another model's firmware, or is "
		     "harmed by it."));
		if (sc->verdict == UA_VALID)
			sc->verdict = UA_VALID_WITH_WARNINGS;
		return;
	}
	snprintf(sc->model.message, sizeof(sc->model.message),
		 _("Nothing is known of the product this package is for: no text entry names one, "
		   "so it cannot be compared with %s."), model);
	note(sc, "model-unknown", UA_INFO,
	     _("Make sure from where you got the firmware that it is made for this model."));
}

static int compare_digests(struct srccheck *sc, const struct srccheck_opts *o)
{
	if (srchash_compare(sc->name, sc->sha256, sc->md5, o->expect_sha256, o->expect_md5,
			    &sc->error) == 0)
		return EXIT_OK;
	xstrncpy(sc->advice, SRCHASH_MISMATCH_ADVICE, sizeof(sc->advice));
	return EXIT_DIGEST_MISMATCH;
}

void srccheck_opts_for(struct srccheck_opts *o, const struct package *p)
{
	o->member = *p->member ? p->member : NULL;
	o->whole_zip = p->kind == PKG_SD_PACKAGE;
}

/* Several files are checked in a row: each progress line names its own
 * ("update_sd_base.zip:UPDATE.APP"). */
static void begin_check(struct progress *pg, const struct srccheck *sc)
{
	const char *slash = strrchr(sc->name, '/');
	char label[sizeof(pg->label)];

	snprintf(label, sizeof(label), _("Checking %s"), slash ? slash + 1 : sc->name);
	progress_begin(pg, label, sc->size);
}

int srccheck_run(const char *path, const struct srccheck_opts *o, struct progress *pg,
		 volatile sig_atomic_t *cancel, struct srccheck *sc)
{
	struct scan_opts so = {
		.what = SCAN_CHECK,
		.progress = on_progress,
		.progress_arg = pg,
		.cancel = cancel,
	};
	struct scan_result res;
	struct timespec t;
	int rc;

	memset(sc, 0, sizeof(*sc));
	time_now(&t);
	xstrncpy(sc->name, path, sizeof(sc->name));
	if (source_open_member(&sc->src, path, o->member, &sc->error) != 0) {
		xstrncpy(sc->advice, _("Give the UPDATE.APP from the firmware package (or the "
				       "firmware zip itself)."), sizeof(sc->advice));
		return sc->exit_code = EXIT_SOURCE_INVALID;
	}
	xstrncpy(sc->name, source_describe(sc->src), sizeof(sc->name));
	sc->size = source_size(sc->src);

	if (o->want_sha256 || o->expect_sha256)
		so.what |= SCAN_SHA256;
	if (o->want_md5 || o->expect_md5)
		so.what |= SCAN_MD5;
	begin_check(pg, sc);
	rc = scan_source(sc->src, &so, &res, &sc->error);
	sc->seconds = elapsed_since(&t);
	if (rc == -ECANCELED) {
		progress_end(pg, _("interrupted"));
		errmsg_set(&sc->error, 0, _("interrupted while checking %s"), sc->name);
		return sc->exit_code = EXIT_INTERRUPTED;
	}
	if (rc == -ESTALE) {
		progress_end(pg, _("failed"));
		/* The code of a source that changed under prepare, too. */
		xstrncpy(sc->advice, _("Run the command again once nothing writes to the file "
				       "(a download still running, a copy, an editor)."), sizeof(sc->advice));
		return sc->exit_code = EXIT_SOURCE_DAMAGED;
	}
	if (rc) {
		progress_end(pg, _("failed"));
		/* A zip that fails to inflate is a damaged download. */
		return sc->exit_code = source_is_zip(sc->src) ? EXIT_SOURCE_DAMAGED : EXIT_SOURCE_INVALID;
	}
	sc->chk = res.check;
	sc->have_sha256 = so.what & SCAN_SHA256;
	sc->have_md5 = so.what & SCAN_MD5;
	memcpy(sc->sha256, res.sha256, sizeof(sc->sha256));
	memcpy(sc->md5, res.md5, sizeof(sc->md5));

	sc->exit_code = conclude(sc);
	srccheck_products(sc->chk, sc->products, sizeof(sc->products));
	if (o->model)
		check_model(sc, o->model);
	if (!sc->exit_code && o->whole_zip && source_is_zip(sc->src) &&
	    source_zip_verify(path, source_zip_entry(sc->src), &sc->members_checked,
			      &sc->error) < 0) {
		xstrncpy(sc->advice, _("The package goes onto the card whole, so every file in it "
			 "must be intact: download it again."), sizeof(sc->advice));
		sc->exit_code = EXIT_SOURCE_DAMAGED;
	}
	if (!sc->exit_code)
		sc->exit_code = compare_digests(sc, o);
	progress_end(pg, sc->exit_code ? _("FAILED") :
		     sc->verdict == UA_VALID ? _("valid") : _("valid, with warnings"));
	return sc->exit_code;
}

void srccheck_free(struct srccheck *sc)
{
	if (sc->chk)
		ua_check_free(sc->chk);
	if (sc->src)
		source_close(sc->src);
	sc->chk = NULL;
	sc->src = NULL;
}

