/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a file is and where it goes on the card (package.h): the rules, in
 * the order they apply to a zip.
 *
 *  1. --member PATH: that UPDATE.APP is extracted (it must be in the zip).
 *  2. --keep-zip: an SD package; --extract: its one UPDATE.APP extracted.
 *  3. Two or more UPDATE.APP anywhere but the root: a two-step zip, refused
 *     with their list.
 *  4. UPDATE.APP at the root: an SD package (its name is kept); a warning
 *     when the name is not update_sd_*.zip.
 *  5. One .../dload/UPDATE.APP: a download zip, extracted; a warning when
 *     the name is update_sd_*.zip.
 *  6. Anything else: refused, named for what it holds.
 *
 * All is pure but package_recognise(), which lists the zip (source.c).
 */
#include "firmware/package.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "firmware/source.h"
#include "firmware/updateapp.h"
#include "lib/nls.h"
#include "lib/strutils.h"

#define SD_PREFIX "update_sd_"

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool is_root_app(const char *name)
{
	return strcasecmp(name, "UPDATE.APP") == 0;
}

static bool is_any_app(const char *name)
{
	const char *b = strrchr(name, '/'), *bs = strrchr(name, '\\');

	if (bs > b)
		b = bs;
	return strcasecmp(b ? b + 1 : name, "UPDATE.APP") == 0;
}

bool package_sd_named(const char *name)
{
	return strncasecmp(name, SD_PREFIX, strlen(SD_PREFIX)) == 0 &&
	       endswith_ci(name, ".zip");
}

enum package_role package_role_of(const char *path, char *model, size_t len)
{
	const char *name = base_name(path), *rest, *us;
	size_t n;

	if (len)
		model[0] = '\0';
	if (!package_sd_named(name))
		return PKG_ROLE_NONE;
	rest = name + strlen(SD_PREFIX);
	if (strcasecmp(rest, "base.zip") == 0)
		return PKG_ROLE_BASE;
	if (strncasecmp(rest, "cust_", 5) == 0)
		rest += 5;
	else if (strncasecmp(rest, "preload_", 8) == 0)
		rest += 8;
	else
		return PKG_ROLE_NONE;
	/* <model>_<vendor>...: the model is up to the first '_'. */
	us = strchr(rest, '_');
	n = us ? (size_t)(us - rest) : 0;
	if (n == 0)
		return PKG_ROLE_NONE;
	if (len)
		snprintf(model, len, "%.*s", (int)n, rest);
	return tolower((unsigned char)name[strlen(SD_PREFIX)]) == 'c' ? PKG_ROLE_CUST :
									 PKG_ROLE_PRELOAD;
}

void package_recognise_plain(const char *path, struct package *p)
{
	memset(p, 0, sizeof(*p));
	p->kind = PKG_UPDATE_APP;
	xstrncpy(p->card_name, "UPDATE.APP", sizeof(p->card_name));
	snprintf(p->what, sizeof(p->what), _("%s: an UPDATE.APP, written to dload/UPDATE.APP"),
		 path);
}

static void as_sd_package(const char *path, const char *root_app, struct package *p)
{
	p->kind = PKG_SD_PACKAGE;
	p->role = package_role_of(path, p->model, sizeof(p->model));
	xstrncpy(p->member, root_app ? root_app : "", sizeof(p->member));
	xstrncpy(p->card_name, base_name(path), sizeof(p->card_name));
	if (p->role)
		snprintf(p->what, sizeof(p->what), _("%s: an SD package (%s), kept as it is in dload/%s"),
			 path, package_role_name(p->role), p->card_name);
	else
		snprintf(p->what, sizeof(p->what), _("%s: an SD package, kept as it is in dload/%s"),
			 path, p->card_name);
}

static void as_download(const char *path, const char *member, struct package *p)
{
	p->kind = PKG_DOWNLOAD_ZIP;
	xstrncpy(p->member, member, sizeof(p->member));
	xstrncpy(p->card_name, "UPDATE.APP", sizeof(p->card_name));
	snprintf(p->what, sizeof(p->what),
		 _("%s: a download zip, its %s extracted to dload/UPDATE.APP"), path, member);
}

/* "a/dload/UPDATE.APP, b/dload/UPDATE.APP" of a two-step zip. */
static void list_apps(const char *const *members, size_t n, char *out, size_t len)
{
	size_t at = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && at + 1 < len; i++) {
		int k;

		if (!is_any_app(members[i]) || is_root_app(members[i]))
			continue;
		k = snprintf(out + at, len - at, "%s%s", at ? ", " : "", members[i]);
		if (k < 0)
			break;
		at += (size_t)k;
	}
}

int package_recognise_zip(const char *path, const char *const *members, size_t n,
			  enum package_override how, const char *member,
			  struct package *p, struct errmsg *e)
{
	const char *root_app = NULL, *dload_app = NULL, *any_app = NULL;
	size_t nested = 0, ndload = 0;
	bool named_sd = package_sd_named(base_name(path));
	char list[400];

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		if (member && strcmp(members[i], member) == 0) {
			as_download(path, member, p);
			return 0;
		}
		if (is_root_app(members[i])) {
			root_app = root_app ? root_app : members[i];
		} else if (is_any_app(members[i])) {
			nested++;
			any_app = any_app ? any_app : members[i];
			if (source_is_dload_app(members[i]) && !ndload++)
				dload_app = members[i];
		}
	}
	if (member)
		return errmsg_set(e, -EINVAL, _("%s: the zip holds no %s (give --member the path of one "
				  "of its UPDATE.APP, as check lists them)"), path, member);
	if (how == PKG_KEEP_ZIP) {
		as_sd_package(path, root_app, p);
		return 0;
	}
	if (nested >= 2 && !(how == PKG_EXTRACT && root_app)) {
		p->kind = PKG_TWO_STEP;
		list_apps(members, n, list, sizeof(list));
		snprintf(p->what, sizeof(p->what),
			 _("%s: a two-step zip, refused: it holds %zu UPDATE.APP (%s), to be applied one after the other; choose one with --member PATH"),
			 path, nested, list);
		return 0;
	}
	if (how == PKG_EXTRACT && (root_app || any_app)) {
		as_download(path, root_app ? root_app : any_app, p);
		return 0;
	}
	if (root_app) {
		as_sd_package(path, root_app, p);
		if (!named_sd)
			snprintf(p->warning, sizeof(p->warning),
				 _("%s holds UPDATE.APP at its root, as SD packages do, but is not named update_sd_*.zip: kept zipped; give --extract to write its UPDATE.APP instead"),
				 path);
		return 0;
	}
	if (dload_app) {
		as_download(path, dload_app, p);
		if (named_sd)
			snprintf(p->warning, sizeof(p->warning),
				 _("%s is named like an SD package but holds %s, as download zips do: extracted; give --keep-zip to keep it zipped instead"),
				 path, dload_app);
		return 0;
	}
	p->kind = PKG_OTHER;
	if (any_app)
		snprintf(p->what, sizeof(p->what),
			 _("%s: a zip whose only UPDATE.APP, %s, is neither at its root nor in a dload folder: refused; give --member %s to use it"),
			 path, any_app, any_app);
	else
		snprintf(p->what, sizeof(p->what),
			 P_("%s: a zip that holds no UPDATE.APP (%zu file): refused; give --keep-zip if the device takes it as it is",
			    "%s: a zip that holds no UPDATE.APP (%zu files): refused; give --keep-zip if the device takes it as it is",
			    n), path, n);
	return 0;
}

/* A file that is no zip: an UPDATE.APP, or named for what it certainly is
 * instead, from its first bytes (its check then says more). */
static void recognise_file(const char *path, struct package *p)
{
	static const struct { enum ua_format f; const char *words; } kinds[] = {
		{ UA_FMT_EMPTY, N_("an empty file") },
		{ UA_FMT_ZEROS, N_("nothing but zero bytes") },
		{ UA_FMT_HTML, N_("a web page (HTML)") },
		{ UA_FMT_ARCHIVE, N_("an archive of another kind than zip") },
		{ UA_FMT_UPDATE_BIN, N_("a HarmonyOS update.bin") },
		{ UA_FMT_TEXT, N_("a text file") },
		/* Not UA_FMT_UNKNOWN: the checker may still find entries (garbage
		 * in the leading zeros), and it decides. */
	};
	unsigned char head[512];
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	enum ua_format f;

	if (fd >= 0) {
		n = pread(fd, head, sizeof(head), 0);
		close(fd);
	}
	package_recognise_plain(path, p);
	f = n >= 0 ? ua_sniff(head, (size_t)n) : UA_FMT_UPDATE_APP;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].f == f) {
			p->kind = PKG_OTHER;
			p->card_name[0] = '\0';
			snprintf(p->what, sizeof(p->what), _("%s: not an UPDATE.APP but %s: refused"),
				 path, _(kinds[i].words));
		}
}

int package_recognise(const char *path, enum package_override how, const char *member,
		      struct package *p, struct errmsg *e)
{
	char **names;
	size_t n;
	int r = source_zip_list(path, &names, &n, NULL);

	if (r < 0) {
		/* Cannot be listed (not there, a damaged zip): the check says why. */
		memset(p, 0, sizeof(*p));
		p->kind = PKG_OTHER;
		snprintf(p->what, sizeof(p->what), _("%s: not recognised (it cannot be read as a file or a zip)"),
			 path);
		return 0;
	}
	if (r == 1) {
		recognise_file(path, p);
		return 0;
	}
	r = package_recognise_zip(path, (const char *const *)names, n, how, member, p, e);
	source_free_list(names, n);
	return r;
}

/* ---- the set ------------------------------------------------------------- */

static void add_warning(char *warn, size_t wlen, const char *line)
{
	size_t at = strlen(warn);

	if (at + 1 < wlen)
		snprintf(warn + at, wlen - at, "%s%s", at ? "\n" : "", line);
}

/* The rules both a set given and a card's set follow; *base_found, *sd_found
 * and *roles (cust or preload packages) for the callers' own rules. */
static int set_rules(const struct package *set, size_t n, char *warn, size_t wlen,
		     bool *sd_found, bool *base_found, bool *roles, struct errmsg *e)
{
	const struct package *app = NULL, *base = NULL, *sd = NULL, *modelled = NULL;
	char line[600];

	if (wlen)
		warn[0] = '\0';
	*roles = false;
	for (size_t i = 0; i < n; i++) {
		const struct package *p = &set[i];

		if (p->kind == PKG_TWO_STEP || p->kind == PKG_OTHER)
			return errmsg_set(e, -EINVAL, "%s", p->what);
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(set[j].card_name, p->card_name) == 0)
				return errmsg_set(e, -EINVAL, _("two files would both be dload/%s on the card (the card holds one of each name): give only one of them"),
						  p->card_name);
		if (p->kind != PKG_SD_PACKAGE) {
			app = p;
			continue;
		}
		sd = sd ? sd : p;
		*roles |= p->role == PKG_ROLE_CUST || p->role == PKG_ROLE_PRELOAD;
		if (p->role == PKG_ROLE_BASE) {
			if (base)
				return errmsg_set(e, -EINVAL, _("two base packages given (%s, %s): give one"),
						  base->card_name, p->card_name);
			base = p;
		}
		if (*p->model) {
			if (modelled && strcasecmp(modelled->model, p->model) != 0) {
				snprintf(line, sizeof(line),
					 _("%s is for %s but %s is for %s: make sure the packages are for the same device"),
					 p->card_name, p->model, modelled->card_name, modelled->model);
				add_warning(warn, wlen, line);
			}
			modelled = modelled ? modelled : p;
		}
	}
	if (app && sd)
		return errmsg_set(e, -EINVAL, _("an UPDATE.APP and SD packages given together (%s, %s): the device would find both in dload/; give one kind"),
				  app->card_name, sd->card_name);
	*sd_found = sd != NULL;
	*base_found = base != NULL;
	return 0;
}

int package_set_check(const struct package *set, size_t n, char *warn, size_t wlen,
		      struct errmsg *e)
{
	bool sd, base, roles;
	int r = set_rules(set, n, warn, wlen, &sd, &base, &roles, e);

	if (!r && sd && !base && roles)
		add_warning(warn, wlen, _("no base package (update_sd_base.zip) among the SD packages: the device may need it"));
	return r;
}

int package_card_set_check(const struct package *set, size_t n, char *warn, size_t wlen,
			   struct errmsg *e)
{
	bool sd, base, roles;
	int r = set_rules(set, n, warn, wlen, &sd, &base, &roles, e);

	if (r || !sd || base)
		return r;
	if (roles)
		return errmsg_set(e, -ENOENT, _("no base package (update_sd_base.zip) beside the cust/preload packages: the device would not start the update; copy the base package into dload/, or run dloadcard prepare with the whole set"));
	add_warning(warn, wlen, _("no SD package is named update_sd_base.zip: a device that looks for the base package by its name would not find it"));
	return 0;
}

void package_set_order(const struct package *set, size_t n, size_t *order)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (set[i].role != PKG_ROLE_BASE || set[i].kind != PKG_SD_PACKAGE)
			order[k++] = i;
	for (size_t i = 0; i < n; i++)
		if (set[i].role == PKG_ROLE_BASE && set[i].kind == PKG_SD_PACKAGE)
			order[k++] = i;
}

const char *package_kind_name(enum package_kind k)
{
	static const char *const names[] = {
		[PKG_UPDATE_APP] = "update-app",
		[PKG_DOWNLOAD_ZIP] = "download-zip",
		[PKG_SD_PACKAGE] = "sd-package",
		[PKG_TWO_STEP] = "two-step-zip",
		[PKG_OTHER] = "other",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "other";
}

const char *package_role_name(enum package_role r)
{
	switch (r) {
	case PKG_ROLE_BASE:	return "base";
	case PKG_ROLE_CUST:	return "cust";
	case PKG_ROLE_PRELOAD:	return "preload";
	default:		return NULL;
	}
}
