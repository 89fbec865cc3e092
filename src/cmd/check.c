/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dloadcard check FILE...: is each file a complete, undamaged UPDATE.APP,
 * and the one the user means?  srccheck does the work (one pass: the
 * container checker, SHA-256, MD5); this file shows what it found.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "cmd/report.h"
#include "cmd/term.h"
#include "firmware/package.h"
#include "firmware/source.h"
#include "firmware/srccheck.h"
#include "lib/exitcodes.h"
#include "lib/interrupt.h"
#include "lib/json.h"
#include "lib/nls.h"
#include "lib/strutils.h"

#define TEXT_LINES_SHOWN 8	/* lines of one text entry in the Package block */

static const int check_exit_codes[] = {
	EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SOURCE_DAMAGED, EXIT_SOURCE_INVALID,
	EXIT_DIGEST_MISMATCH, EXIT_INTERRUPTED, -1
};

/* The command line. */
struct check_control {
	bool json, quiet;
	const char *model;
	struct package_args pkg;	/* --keep-zip, --extract, --member */
	bool have_sha256, have_md5;
	unsigned char sha256[32], md5[16];
	char **files;
	int nfiles;
};

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fputs(USAGE_HEADER, out);
	fputs(_(" dloadcard check [options] <file>...\n"), out);
	fputs(_("\nCheck that each file is a complete, undamaged UPDATE.APP: its container\n"
	      "structure, every header and block checksum, and where it ends; its CRC\n"
	      "entry, when of the known layout, also says whether entries are missing (a\n"
	      "file cut at an entry boundary).  A firmware zip is checked through the\n"
	      "dload/UPDATE.APP inside it.  The SHA-256 is computed in the same pass.\n"
	      "Nothing is written.\n"), out);
	fputs(USAGE_OPTIONS, out);
	fputs(USAGE_PACKAGE_OPTIONS, out);
	fputs(_("     --model <name>   warn when the package names another product\n"
	      "     --sha256 <hex>   compare with the vendor's SHA-256 (each file)\n"
	      "     --md5 <hex>      compare with the vendor's MD5 (each file)\n"
	      " -j, --json           print every fact as JSON\n"
	      " -q, --quiet          no progress\n"), out);
	usage_help_options(out, 22);
	usage_exit_codes(out, check_exit_codes);
	fputs(_(" A file that is valid with warnings exits with 0.  With several files, the\n"
	      " status is the worst one's, in this order: 130, 1, 5, 4, 6, 0.\n"), out);
	fputs(USAGE_EXAMPLES, out);
	fputs(" dloadcard check --model S7-721u UPDATE.APP\n"
	      " dloadcard check --sha256 3f2a...c9 S7-721u_firmware.zip\n", out);
	fputs(USAGE_MAN_TAIL, out);
	exit(EXIT_OK);
}

/* Which of two exit codes is worse, for several files: no answer at all
 * (interrupted, a system error), then the wrong kind of file, a damaged
 * one, a good one that is not the file expected, and success. */
static int exit_rank(int code)
{
	switch (code) {
	case EXIT_OK:			return 0;
	case EXIT_DIGEST_MISMATCH:	return 1;
	case EXIT_SOURCE_DAMAGED:	return 2;
	case EXIT_SOURCE_INVALID:	return 3;
	case EXIT_INTERRUPTED:		return 5;
	default:			return 4;
	}
}

/* The verdict as a stable word, also when the file could not be checked. */
static const char *verdict_name(const struct srccheck *sc)
{
	if (sc->chk)
		return ua_verdict_name(sc->verdict);
	switch (sc->exit_code) {
	case EXIT_SOURCE_INVALID:	return ua_verdict_name(UA_NOT_UPDATEAPP);
	case EXIT_SOURCE_DAMAGED:	return ua_verdict_name(UA_DAMAGED);
	case EXIT_INTERRUPTED:		return "interrupted";
	}
	return "error";
}

/* "entry 3 (BOOT)", or "entry 3" when it was not recorded. */
static const char *entry_label(const struct ua_check *chk, int index, char *buf, size_t len)
{
	const struct ua_entry *e = index >= 0 ? ua_check_entry(chk, (size_t)index) : NULL;

	if (e && *e->name)
		snprintf(buf, len, _("entry %d (%s)"), index, e->name);
	else
		snprintf(buf, len, _("entry %d"), index);
	return buf;
}

static const char *entry_result(const struct ua_entry *e, char *buf, size_t len)
{
	/* The signature is reported, never judged: only its CRCs are ours. */
	snprintf(buf, len, "%s%s", ua_entry_result_name(e->result),
		 e->is_signature ? _(" (signature, not judged)") : "");
	return buf;
}

/* ---- text output ----------------------------------------------------------- */

static void print_entries(const struct ua_check *chk)
{
	struct libscols_table *tb;
	char buf[64];

	if (!ua_check_entry_count(chk))
		return;
	tb = scols_new_table();
	if (!tb)
		return;
	/* TRANSLATORS: the headings of a table for a person (list's are names
	 * that scripts and -o use, and stay). */
	scols_table_new_column(tb, _("INDEX"), 0, SCOLS_FL_RIGHT);
	scols_table_new_column(tb, _("NAME"), 0, 0);
	scols_table_new_column(tb, _("HWID"), 0, 0);
	scols_table_new_column(tb, _("SIZE"), 0, SCOLS_FL_RIGHT);
	scols_table_new_column(tb, _("DATE"), 0, 0);
	scols_table_new_column(tb, _("OFFSET"), 0, SCOLS_FL_RIGHT);
	scols_table_new_column(tb, _("RESULT"), 0, 0);
	for (size_t i = 0; i < ua_check_entry_count(chk); i++) {
		const struct ua_entry *e = ua_check_entry(chk, i);
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		if (!ln)
			break;
		snprintf(buf, sizeof(buf), "%u", e->index);
		scols_line_set_data(ln, 0, buf);
		scols_line_set_data(ln, 1, e->name);
		scols_line_set_data(ln, 2, e->hardware_id);
		snprintf(buf, sizeof(buf), "%" PRIu32, e->data_size);
		scols_line_set_data(ln, 3, buf);
		scols_line_set_data(ln, 4, e->date);
		snprintf(buf, sizeof(buf), "%" PRIu64, e->header_offset);
		scols_line_set_data(ln, 5, buf);
		scols_line_set_data(ln, 6, entry_result(e, buf, sizeof(buf)));
	}
	scols_table_set_stream(tb, stdout);
	scols_print_table(tb);
	scols_unref_table(tb);
	if (ua_check_entries_seen(chk) > ua_check_entry_count(chk))
		printf(_("(and %" PRIu64 " more entries, checked but not listed)\n"),
		       ua_check_entries_seen(chk) - ua_check_entry_count(chk));
}

/* One text entry, its lines under each other after the name. */
static void print_text(const struct ua_entry *e, int width)
{
	const char *p = e->text;
	unsigned shown = 0, more = 0;

	while (*p) {
		size_t len = strcspn(p, "\r\n");

		if (shown < TEXT_LINES_SHOWN)
			printf("  %-*s  %.*s\n", width, shown ? "" : e->name, (int)len, p);
		else
			more++;
		shown++;
		p += len;
		p += strspn(p, "\r\n");
	}
	if (more)
		printf(_("  %-*s  (%u more lines: see --json)\n"), width, "", more);
}

/* The small text entries say which device and build the package is for. */
static void print_package(const struct srccheck *sc)
{
	const struct ua_check *chk = sc->chk;
	int width = 0;

	for (size_t i = 0; i < ua_check_entry_count(chk); i++) {
		const struct ua_entry *e = ua_check_entry(chk, i);

		if (e->text && (int)strlen(e->name) > width)
			width = (int)strlen(e->name);
	}
	if (!width) {
		if (ua_check_entry_count(chk))
			puts(_("\nPackage: no text entries, so its product and version are not known."));
		return;
	}
	if (*sc->products)
		printf(_("\nPackage: for %s\n"), sc->products);
	else
		puts(_("\nPackage: it names no product"));
	for (size_t i = 0; i < ua_check_entry_count(chk); i++) {
		const struct ua_entry *e = ua_check_entry(chk, i);

		if (e->text)
			print_text(e, width);
	}
}

/* A finding's severity for a person; --json keeps ua_severity_name(). */
static const char *severity_word(enum ua_severity s)
{
	switch (s) {
	/* TRANSLATORS: a finding's severity, in a column 8 wide. */
	case UA_INFO:		return _("info");
	case UA_WARNING:	return _("warning");
	case UA_ERROR:		return _("error");
	}
	return ua_severity_name(s);
}

static void print_finding(const char *sev, const char *kind, const char *where,
			  const char *message, const char *advice)
{
	printf("  %-8s %s, %s\n", sev, kind, where);
	printf("           %s\n", message);
	if (advice && *advice)
		printf(_("           Advice: %s\n"), advice);
}

static void print_findings(const struct srccheck *sc)
{
	const struct ua_check *chk = sc->chk;
	size_t n = ua_check_finding_count(chk);
	char where[160], label[64];

	if (!n && !sc->model.kind)
		return;
	puts(_("\nFindings:"));
	for (size_t i = 0; i < n; i++) {
		const struct ua_finding *f = ua_check_finding(chk, i);

		if (f->entry >= 0)
			snprintf(where, sizeof(where), _("%s, byte %" PRIu64 " (0x%" PRIX64 ")"),
				 entry_label(chk, f->entry, label, sizeof(label)), f->offset,
				 f->offset);
		else if (f->offset)
			snprintf(where, sizeof(where), _("the file, byte %" PRIu64 " (0x%" PRIX64 ")"),
				 f->offset, f->offset);
		else
			xstrncpy(where, _("the file"), sizeof(where));
		print_finding(severity_word(f->severity), ua_kind_name(f->kind), where,
			      f->message, f->severity > UA_INFO ? f->advice : NULL);
	}
	if (ua_check_findings_dropped(chk))
		printf(_("  (and %" PRIu64 " more findings, counted but not listed)\n"),
		       ua_check_findings_dropped(chk));
	if (sc->model.kind)
		print_finding(severity_word(sc->model.severity), sc->model.kind, _("the package"),
			      sc->model.message,
			      sc->model.severity > UA_INFO ? sc->model.advice : NULL);
}

/* One line on the CRC entry, whatever it said (nothing when there is none). */
static void print_crc_entry(const struct ua_check *chk)
{
	struct ua_crc_summary cs;

	ua_check_crc(chk, &cs);
	switch (cs.result) {
	case UA_CRC_ABSENT:
		return;
	case UA_CRC_PASS:
		printf(_("CRC entry: PASS, %" PRIu64 " checksums of 32 KiB pieces match the data\n"),
		       cs.listed);
		break;
	case UA_CRC_CUT:
		printf(_("CRC entry: the file was cut: it lists %" PRIu64 " pieces of 32 KiB, the file holds %" PRIu64 "\n"),
		       cs.listed, cs.pieces);
		break;
	case UA_CRC_MISMATCH:
		printf(_("CRC entry: its first %" PRIu64 " of %" PRIu64 " checksums match, not all (a warning)\n"),
		       cs.matched, cs.listed);
		break;
	case UA_CRC_UNKNOWN:
		puts(_("CRC entry: of another layout: not understood, not judged"));
		break;
	case UA_CRC_NOT_JUDGED:
		puts(_("CRC entry: not judged (the file is damaged)"));
		break;
	}
}

static void print_digest(const char *what, const unsigned char *got,
			 const unsigned char *want, size_t len)
{
	char hex[65];

	printf("%-8s %s", what, hex_string(got, len, hex));
	if (want && memcmp(got, want, len) == 0)
		fputs(_("  (matches the one given)"), stdout);
	else if (want)
		printf(_("  (NOT the %s given)"), hex_string(want, len, hex));
	putchar('\n');
}

static uint64_t warnings_of(const struct srccheck *sc)
{
	return ua_check_count(sc->chk, UA_WARNING) +
	       (sc->model.kind && sc->model.severity == UA_WARNING);
}

static void print_verdict(const struct srccheck *sc)
{
	uint64_t errors = ua_check_count(sc->chk, UA_ERROR), warnings = warnings_of(sc);

	putchar('\n');
	if (sc->exit_code == EXIT_OK && warnings)
		printf(P_("Verdict: valid, with %" PRIu64 " warning: every certain check passed "
			  "(exit status 0); see the warnings above.\n",
			  "Verdict: valid, with %" PRIu64 " warnings: every certain check passed "
			  "(exit status 0); see the warnings above.\n", warnings), warnings);
	else if (sc->exit_code == EXIT_OK)
		puts(_("Verdict: valid: every check passed."));
	else if (sc->exit_code == EXIT_DIGEST_MISMATCH)
		printf(_("Verdict: a valid UPDATE.APP, but not the file expected: %s\n"),
		       sc->error.text);
	else if (sc->verdict == UA_DAMAGED)
		printf(P_("Verdict: damaged (%" PRIu64 " error): %s\n",
			  "Verdict: damaged (%" PRIu64 " errors): %s\n", errors), errors,
		       sc->error.text);
	else
		printf(_("Verdict: not an UPDATE.APP: %s\n"), sc->error.text);
	if (sc->exit_code && *sc->advice)
		printf("  %s\n", sc->advice);
}

static void print_report(const struct srccheck *sc, const struct check_control *ctl)
{
	uint64_t entries;
	char size[48];

	if (!sc->chk) {
		/* Not opened or not read through: nothing to show but why. */
		printf(_("File: %s\n\nVerdict: not checked: %s\n"), sc->name, sc->error.text);
		if (*sc->advice)
			printf("  %s\n", sc->advice);
		return;
	}
	entries = ua_check_entries_seen(sc->chk);
	printf(_("File: %s, %" PRIu64 " bytes"), sc->name, sc->size);
	if (sc->size >= 1024)
		printf(" (%s)", size_to_human(sc->size, size, sizeof(size)));
	if (entries)
		printf(P_(", %" PRIu64 " entry", ", %" PRIu64 " entries", entries), entries);
	putchar('\n');
	print_entries(sc->chk);
	print_package(sc);
	print_findings(sc);
	if (ua_check_error(sc->chk))
		puts(_("(Out of memory while recording: the lists above are incomplete.)"));
	putchar('\n');
	print_crc_entry(sc->chk);
	if (sc->have_sha256)
		print_digest("SHA-256:", sc->sha256, ctl->have_sha256 ? ctl->sha256 : NULL, 32);
	if (sc->have_md5)
		print_digest("MD5:", sc->md5, ctl->have_md5 ? ctl->md5 : NULL, 16);
	print_verdict(sc);
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_entry(struct json *j, const struct ua_entry *e)
{
	json_open(j, NULL);
	json_u64(j, "index", e->index);
	json_str(j, "name", e->name);
	json_str(j, "hardware_id", e->hardware_id);
	json_u64(j, "sequence", e->sequence);
	json_u64(j, "size", e->data_size);
	json_str(j, "date", e->date);
	json_str(j, "time", e->time);
	json_u64(j, "offset", e->header_offset);
	json_u64(j, "header_length", e->header_length);
	json_u64(j, "data_offset", e->data_offset);
	json_u64(j, "block_size", e->block_size);
	json_u64(j, "blocks", e->block_count);
	json_u64(j, "blocks_checked", e->blocks_checked);
	json_u64(j, "bad_blocks", e->bad_blocks);
	if (e->bad_blocks)
		json_u64(j, "first_bad_offset", e->first_bad_offset);
	else
		json_null(j, "first_bad_offset");
	json_bool(j, "header_crc_ok", e->header_crc_ok);
	json_bool(j, "signature", e->is_signature);
	json_str(j, "result", ua_entry_result_name(e->result));
	json_str(j, "text", e->text);
	json_close(j);
}

static void json_finding(struct json *j, const struct ua_finding *f)
{
	json_open(j, NULL);
	json_str(j, "severity", ua_severity_name(f->severity));
	json_str(j, "kind", ua_kind_name(f->kind));
	if (f->entry >= 0)
		json_int(j, "entry", f->entry);
	else
		json_null(j, "entry");
	json_u64(j, "offset", f->offset);
	json_u64(j, "value", f->value);
	json_str(j, "message", f->message);
	json_str(j, "advice", f->advice);
	json_close(j);
}

static void json_note(struct json *j, const struct srccheck_note *n)
{
	json_open(j, NULL);
	json_str(j, "severity", ua_severity_name(n->severity));
	json_str(j, "kind", n->kind);
	json_null(j, "entry");
	json_null(j, "offset");
	json_null(j, "value");
	json_str(j, "message", n->message);
	json_str(j, "advice", n->advice);
	json_close(j);
}

static void json_crc_entry(struct json *j, const struct ua_check *chk)
{
	struct ua_crc_summary cs;

	if (!chk) {
		json_null(j, "crc_entry");
		return;
	}
	ua_check_crc(chk, &cs);
	json_open(j, "crc_entry");
	json_str(j, "result", ua_crc_result_name(cs.result));
	if (cs.entry >= 0)
		json_int(j, "entry", cs.entry);
	else
		json_null(j, "entry");
	json_u64(j, "listed", cs.listed);
	json_u64(j, "pieces", cs.pieces);
	json_u64(j, "matched", cs.matched);
	json_close(j);
}

static void json_digest(struct json *j, const char *key, bool have, const unsigned char *got,
			const unsigned char *want, size_t len)
{
	char hex[65], k[32];

	json_str(j, key, have ? hex_string(got, len, hex) : NULL);
	snprintf(k, sizeof(k), "%s_expected", key);
	json_str(j, k, want ? hex_string(want, len, hex) : NULL);
	snprintf(k, sizeof(k), "%s_match", key);
	if (want && have)
		json_bool(j, k, memcmp(got, want, len) == 0);
	else
		json_null(j, k);
}

static void json_products(struct json *j, const char *products)
{
	const char *p = products;

	json_open_array(j, "products");
	while (*p) {
		size_t n = strcspn(p, ",");
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		json_str(j, NULL, name);
		p += n;
		p += strspn(p, ", ");
	}
	json_close_array(j);
}

static void json_package(struct json *j, const struct package *p);

static void json_file(struct json *j, const char *path, const struct srccheck *sc,
		      const struct check_control *ctl, const struct package *pkg)
{
	const struct ua_check *chk = sc->chk;

	json_open(j, NULL);
	json_str(j, "path", path);
	json_str(j, "name", sc->name);
	json_str(j, "zip_entry", sc->src ? source_zip_entry(sc->src) : NULL);
	json_u64(j, "size", sc->size);
	json_str(j, "verdict", verdict_name(sc));
	json_int(j, "exit_code", sc->exit_code);
	json_str(j, "error", sc->exit_code ? sc->error.text : NULL);
	json_str(j, "advice", sc->exit_code && *sc->advice ? sc->advice : NULL);
	json_digest(j, "sha256", sc->have_sha256, sc->sha256,
		    ctl->have_sha256 ? ctl->sha256 : NULL, 32);
	json_digest(j, "md5", sc->have_md5, sc->md5, ctl->have_md5 ? ctl->md5 : NULL, 16);
	json_str(j, "model", ctl->model);
	json_double(j, "seconds", sc->seconds);
	json_products(j, sc->products);
	/* The same keys when the file could not be checked: null counts and
	 * empty lists, so that scripts need no special case. */
	if (chk) {
		json_u64(j, "errors", ua_check_count(chk, UA_ERROR));
		json_u64(j, "warnings", warnings_of(sc));
		json_u64(j, "entries_seen", ua_check_entries_seen(chk));
	} else {
		json_null(j, "errors");
		json_null(j, "warnings");
		json_null(j, "entries_seen");
	}
	json_package(j, pkg);
	json_crc_entry(j, chk);
	json_open_array(j, "entries");
	for (size_t i = 0; chk && i < ua_check_entry_count(chk); i++)
		json_entry(j, ua_check_entry(chk, i));
	json_close_array(j);
	json_open_array(j, "findings");
	for (size_t i = 0; chk && i < ua_check_finding_count(chk); i++)
		json_finding(j, ua_check_finding(chk, i));
	if (sc->model.kind)
		json_note(j, &sc->model);
	json_close_array(j);
	json_u64(j, "findings_dropped", chk ? ua_check_findings_dropped(chk) : 0);
	json_bool(j, "incomplete", chk && ua_check_error(chk) != 0);
	json_close(j);
}

/* ---- recognition ----------------------------------------------------------- */

/* What the file is and where it goes on the card (package.h), said before
 * it is checked.  Returns EXIT_OK, EXIT_SOURCE_INVALID for a two-step zip,
 * or EXIT_USAGE for a --member not in the zip. */
static int recognise(const char *path, const struct check_control *ctl, struct package *p,
		     struct errmsg *e)
{
	if (package_recognise(path, ctl->pkg.how, ctl->pkg.member, p, e) < 0)
		return EXIT_USAGE;
	return p->kind == PKG_TWO_STEP ? EXIT_SOURCE_INVALID : EXIT_OK;
}

static void json_package(struct json *j, const struct package *p)
{
	json_open(j, "package");
	json_str(j, "kind", package_kind_name(p->kind));
	json_str(j, "role", package_role_name(p->role));
	json_str(j, "model", *p->model ? p->model : NULL);
	json_str(j, "card_name", *p->card_name ? p->card_name : NULL);
	json_str(j, "what", p->what);
	json_str(j, "warning", *p->warning ? p->warning : NULL);
	json_close(j);
}

/* The files as the set of one card (package_set_check()): whether prepare
 * would take them together, and its warnings.  Says nothing of the exit
 * status: check checks files, several UPDATE.APP among them. */
static void print_set(const struct package *set, size_t n)
{
	struct errmsg e = { { 0 } };
	char warn[1024];

	if (package_set_check(set, n, warn, sizeof(warn), &e) < 0) {
		printf(_("\nAs one card's set: not possible: %s\n"), e.text);
		return;
	}
	printf(_("\nAs one card's set: possible"));
	for (const char *w = warn; *w;) {
		size_t len = strcspn(w, "\n");

		printf("%s%.*s", w == warn ? _(", with warnings:\n  warning: ") : _("\n  warning: "),
		       (int)len, w);
		w += len + (w[len] == '\n');
	}
	putchar('\n');
}

static void json_set(struct json *j, const struct package *set, size_t n)
{
	struct errmsg e = { { 0 } };
	char warn[1024];
	int rc = package_set_check(set, n, warn, sizeof(warn), &e);

	json_open(j, "card_set");
	json_bool(j, "possible", rc == 0);
	json_str(j, "error", rc ? e.text : NULL);
	json_open_array(j, "warnings");
	for (const char *w = warn; rc == 0 && *w;) {
		size_t len = strcspn(w, "\n");
		char line[600];

		snprintf(line, sizeof(line), "%.*s", (int)len, w);
		json_str(j, NULL, line);
		w += len + (w[len] == '\n');
	}
	json_close_array(j);
	json_close(j);
}

/* ---- the command --------------------------------------------------------- */

static void parse_args(int argc, char **argv, struct check_control *ctl)
{
	enum { OPT_MODEL = 256, OPT_SHA256, OPT_MD5 };
	static const struct option longopts[] = {
		PACKAGE_LONGOPTS,
		{ "model", required_argument, NULL, OPT_MODEL },
		{ "sha256", required_argument, NULL, OPT_SHA256 },
		{ "md5", required_argument, NULL, OPT_MD5 },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(ctl, 0, sizeof(*ctl));
	while ((c = getopt_long(argc, argv, "jqhV", longopts, NULL)) != -1) {
		if (cli_parse_package_opt(&ctl->pkg, c, optarg))
			continue;
		switch (c) {
		case OPT_MODEL:
			if (!*optarg)
				cli_usage_error(_("--model needs a product name (e.g. S7-721u)"));
			ctl->model = optarg;
			break;
		case OPT_SHA256:
			cli_parse_digest("--sha256", optarg, ctl->sha256, sizeof(ctl->sha256));
			ctl->have_sha256 = true;
			break;
		case OPT_MD5:
			cli_parse_digest("--md5", optarg, ctl->md5, sizeof(ctl->md5));
			ctl->have_md5 = true;
			break;
		case 'j':
			ctl->json = true;
			break;
		case 'q':
			ctl->quiet = true;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			errtryhelp(EXIT_USAGE);
		}
	}
	if (optind >= argc)
		cli_usage_error(_("give at least one file (an UPDATE.APP or a firmware zip)"));
	ctl->files = argv + optind;
	ctl->nfiles = argc - optind;
}

int cmd_check(int argc, char **argv)
{
	struct check_control ctl;
	struct srccheck_opts so;
	struct progress pg;
	struct report rp;
	struct term term;
	struct json *j = NULL;
	struct package *set;
	size_t nset = 0;
	int worst = EXIT_OK;

	parse_args(argc, argv, &ctl);
	set = calloc((size_t)ctl.nfiles, sizeof(*set));
	if (!set)
		err(EXIT_ERROR, "out of memory");
	so = (struct srccheck_opts){
		.want_sha256 = true,	/* what users compare with the vendor's */
		.want_md5 = ctl.have_md5,
		.expect_sha256 = ctl.have_sha256 ? ctl.sha256 : NULL,
		.expect_md5 = ctl.have_md5 ? ctl.md5 : NULL,
		.model = ctl.model,
	};
	interrupt_catch();
	term_init(&term, stderr, ctl.quiet || ctl.json);
	term_progress(&term, &pg);
	report_init(&rp, "check", ctl.json);
	if (ctl.json) {
		j = report_begin(&rp);
		json_open_array(j, "files");
	}
	for (int i = 0; i < ctl.nfiles && !interrupt_signal; i++) {
		struct srccheck sc;
		struct package pkg;
		struct errmsg pe = { { 0 } };
		int pc = recognise(ctl.files[i], &ctl, &pkg, &pe), rc;

		if (!j) {
			if (i > 0)
				putchar('\n');
			if (pc == EXIT_OK || pc == EXIT_SOURCE_INVALID)
				printf(_("Recognised: %s\n"), pkg.what);
			if (pc == EXIT_OK && *pkg.warning)
				printf(_("  warning: %s\n"), pkg.warning);
		}
		if (pc == EXIT_USAGE) {
			warnx("%s", pe.text);
			worst = exit_rank(EXIT_USAGE) > exit_rank(worst) ? EXIT_USAGE : worst;
			continue;
		}
		set[nset++] = pkg;
		so.member = NULL;
		so.whole_zip = false;
		if (pc == EXIT_OK)
			srccheck_opts_for(&so, &pkg);
		rc = srccheck_run(ctl.files[i], &so, &pg, &interrupt_signal, &sc);
		if (pc == EXIT_SOURCE_INVALID && rc == EXIT_OK)
			rc = pc;
		if (j) {
			json_file(j, ctl.files[i], &sc, &ctl, &pkg);
		} else {
			print_report(&sc, &ctl);
			fflush(stdout);
		}
		if (exit_rank(rc) > exit_rank(worst))
			worst = rc;
		srccheck_free(&sc);
	}
	if (interrupt_signal)
		worst = EXIT_INTERRUPTED;
	if (!j && nset > 1 && !interrupt_signal)
		print_set(set, nset);
	if (j) {
		json_close_array(j);
		json_set(j, set, nset);
		json_int(j, "exit_code", worst);
		report_end(&rp);
	}
	free(set);
	return worst;
}
