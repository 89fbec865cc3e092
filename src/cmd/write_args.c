/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <string.h>

#include "card/safety.h"
#include "cmd/cli.h"
#include "cmd/write_args.h"
#include "fat/format.h"
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
