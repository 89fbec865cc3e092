/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <string.h>

#include "card/safety.h"
#include "cmd/cli.h"
#include "cmd/write_args.h"
#include "fat/format.h"
#include "firmware/source.h"
#include "lib/exitcodes.h"
#include "lib/nls.h"
#include "lib/stall.h"
#include "lib/strutils.h"

void write_args_init(struct write_args *w)
{
	memset(w, 0, sizeof(*w));
	xstrncpy(w->opts.label, DEFAULT_LABEL, sizeof(w->opts.label));
	w->stall_timeout = DEFAULT_STALL_TIMEOUT;
}

bool write_args_parse(struct write_args *w, int c, const char *arg)
{
	switch (c) {
	case 'y':
		w->yes = true;
		return true;
	case 's':
		w->opts.create_size = cli_parse_size("--size", arg);
		return true;
	case 'L':
		cli_parse_label("--label", arg, w->opts.label);
		return true;
	case WRITE_OPT_ALLOW_FIXED:
		w->opts.safety_flags |= SAFETY_ALLOW_FIXED;
		return true;
	case WRITE_OPT_FORCE:
		w->opts.safety_flags |= SAFETY_FORCE;
		return true;
	case WRITE_OPT_SYSROOT:
		w->opts.sysroot = cli_parse_sysroot(arg);
		return true;
	case WRITE_OPT_NO_PROBE:
		w->opts.no_probe = true;
		return true;
	case WRITE_OPT_SHA256:
		cli_parse_digest("--sha256", arg, w->sha256, sizeof(w->sha256));
		w->have_sha256 = true;
		return true;
	case WRITE_OPT_MD5:
		cli_parse_digest("--md5", arg, w->md5, sizeof(w->md5));
		w->have_md5 = true;
		return true;
	case WRITE_OPT_STALL_TIMEOUT:
		w->stall_timeout = cli_parse_stall_timeout(arg);
		return true;
	case 'j':
		w->json = true;
		return true;
	case 'q':
		w->quiet = true;
		return true;
	}
	return cli_parse_package_opt(&w->pkg, c, arg);
}

int write_args_source(const struct write_args *w, const char *path, struct package *p,
		      struct errmsg *e)
{
	if (package_recognise(path, w->pkg.how, w->pkg.member, p, e) < 0)
		return EXIT_USAGE;
	if (!w->quiet && !w->json)
		fprintf(stderr, _("Recognised: %s\n"), p->what);
	if (*p->warning)
		warnx(_("warning: %s"), p->warning);
	switch (p->kind) {
	case PKG_TWO_STEP:
		errmsg_set(e, -EINVAL, "%s", p->what);
		return EXIT_SOURCE_INVALID;
	default:
		return EXIT_OK;
	}
}

int write_args_recognise(const struct write_args *w, char *const *files, size_t n,
			 struct write_file *wf, struct errmsg *e)
{
	struct package given[PREPARE_MAX_FILES];
	size_t order[PREPARE_MAX_FILES];
	char warn[1024] = "", why[sizeof(e->text)];
	int rc;

	memset(given, 0, sizeof(given));
	for (size_t i = 0; i < n; i++) {
		rc = write_args_source(w, files[i], &given[i], e);
		if (rc)
			return rc;
	}
	if (n > 1 && package_set_check(given, n, warn, sizeof(warn), e) < 0) {
		xstrncpy(why, e->text, sizeof(why));
		errmsg_set(e, -EINVAL, _("these files cannot go on one card: %s"), why);
		return EXIT_SOURCE_INVALID;
	}
	for (const char *l = warn; *l;) {
		size_t len = strcspn(l, "\n");

		warnx(_("warning: %.*s"), (int)len, l);
		l += len + (l[len] == '\n');
	}
	package_set_order(given, n, order);
	for (size_t i = 0; i < n; i++) {
		memset(&wf[i], 0, sizeof(wf[i]));
		wf[i].path = files[order[i]];
		wf[i].pkg = given[order[i]];
	}
	return EXIT_OK;
}

int write_args_check(struct write_file *wf, size_t n, struct progress *pg,
		     volatile sig_atomic_t *cancel, size_t *bad, struct errmsg *e)
{
	int rc;

	errmsg_clear(e);
	for (size_t i = 0; i < n; i++) {
		const struct package *p = &wf[i].pkg;
		struct srccheck_opts so = { 0 };

		srccheck_opts_for(&so, p);
		*bad = i;
		rc = srccheck_run(wf[i].path, &so, pg, cancel, &wf[i].sc);
		if (rc)
			return rc;
		wf[i].src = wf[i].sc.src;
		if (p->kind == PKG_SD_PACKAGE &&
		    source_reopen_raw(wf[i].sc.src, &wf[i].src, e) != 0) {
			wf[i].src = NULL;
			return EXIT_SOURCE_DAMAGED;
		}
	}
	return EXIT_OK;
}

void write_args_sources(const struct write_file *wf, size_t n, struct prepare_source *ps)
{
	for (size_t i = 0; i < n; i++) {
		bool sd = wf[i].pkg.kind == PKG_SD_PACKAGE;

		ps[i] = (struct prepare_source){
			.path = wf[i].path,
			.member = !sd && *wf[i].pkg.member ? wf[i].pkg.member : NULL,
			.card_name = sd ? wf[i].pkg.card_name : NULL,
			.size = source_size(wf[i].src),
		};
	}
}

void write_args_free(struct write_file *wf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (wf[i].src != wf[i].sc.src)
			source_close(wf[i].src);
		srccheck_free(&wf[i].sc);
	}
}
