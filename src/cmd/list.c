/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dloadcard list: the disks a card could be on, what each card is, what it
 * holds, and whether dloadcard would write to it (and if not, why).
 * Read-only: disks are opened O_RDONLY, only to see what they hold.
 */
#include "config.h"

#include <err.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libsmartcols.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "card/card.h"
#include "card/disks.h"
#include "cmd/cli.h"
#include "cmd/commands.h"
#include "cmd/report.h"
#include "lib/exitcodes.h"
#include "lib/nls.h"
#include "lib/strutils.h"
#include "pipeline/guard.h"
#include "pipeline/verify.h"

enum {
	COL_DEVICE, COL_MAJMIN, COL_SIZE, COL_BUS, COL_MODEL, COL_SERIAL, COL_READER,
	COL_READER_ID, COL_READER_SERIAL, COL_CID, COL_CARD_NAME, COL_MANFID, COL_OEMID,
	COL_DATE, COL_CONTENT, COL_DLOAD, COL_MOUNT, COL_RO, COL_RM, COL_STATE, COL_REASON,
	NCOLS
};

static const struct colinfo {
	const char *name;
	double whint;
	int flags;
	int json_type;
	const char *help;
} infos[NCOLS] = {
	[COL_DEVICE] = { "DEVICE", 0.1, 0, SCOLS_JSON_STRING, N_("device node") },
	[COL_MAJMIN] = { "MAJ:MIN", 6, 0, SCOLS_JSON_STRING, N_("device number") },
	[COL_SIZE] = { "SIZE", 6, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, N_("size (bytes in JSON)") },
	[COL_BUS] = { "BUS", 4, 0, SCOLS_JSON_STRING, N_("usb, mmc, ... (empty: fixed)") },
	[COL_MODEL] = { "MODEL", 0.2, SCOLS_FL_TRUNC, SCOLS_JSON_STRING, N_("vendor and model, or SD card name") },
	[COL_SERIAL] = { "SERIAL", 0.1, SCOLS_FL_TRUNC, SCOLS_JSON_STRING, N_("serial of the card (mmc) or the disk") },
	[COL_READER] = { "READER", 0.2, SCOLS_FL_TRUNC, SCOLS_JSON_STRING, N_("USB card reader") },
	[COL_READER_ID] = { "READER-ID", 9, 0, SCOLS_JSON_STRING, N_("USB vendor:product of the reader") },
	[COL_READER_SERIAL] = { "READER-SERIAL", 0.1, SCOLS_FL_TRUNC, SCOLS_JSON_STRING, N_("serial of the reader") },
	[COL_CID] = { "CID", 32, 0, SCOLS_JSON_STRING, N_("SD card identification register") },
	[COL_CARD_NAME] = { "NAME", 6, 0, SCOLS_JSON_STRING, N_("SD card product name") },
	[COL_MANFID] = { "MANFID", 8, 0, SCOLS_JSON_STRING, N_("SD card manufacturer id") },
	[COL_OEMID] = { "OEMID", 6, 0, SCOLS_JSON_STRING, N_("SD card OEM id") },
	[COL_DATE] = { "DATE", 7, 0, SCOLS_JSON_STRING, N_("SD card manufacturing date") },
	[COL_CONTENT] = { "CONTENT", 0.3, SCOLS_FL_TRUNC, SCOLS_JSON_STRING, N_("partition table and file systems") },
	[COL_DLOAD] = { "DLOAD", 5, 0, SCOLS_JSON_STRING, N_("a dload card? yes, no, damaged, unreadable") },
	[COL_MOUNT] = { "MOUNTED", 0.1, SCOLS_FL_TRUNC, SCOLS_JSON_STRING, N_("where it is mounted") },
	[COL_RO] = { "RO", 2, SCOLS_FL_RIGHT, SCOLS_JSON_BOOLEAN, N_("write-protected") },
	[COL_RM] = { "RM", 2, SCOLS_FL_RIGHT, SCOLS_JSON_BOOLEAN, N_("removable") },
	[COL_STATE] = { "STATE", 0.1, 0, SCOLS_JSON_STRING, N_("eligible, no card, refused (why), protected (why)") },
	[COL_REASON] = { "REASON", 0.3, SCOLS_FL_WRAP, SCOLS_JSON_STRING, N_("why it would be refused, and the fix") },
};

static const int default_cols[] = {
	COL_DEVICE, COL_SIZE, COL_BUS, COL_MODEL, COL_SERIAL, COL_READER, COL_CONTENT,
	COL_DLOAD, COL_MOUNT, COL_RO, COL_STATE
};

/* A disk that does not answer within this long is listed as such. */
#define LIST_STALL_TIMEOUT 5

/* The command line. */
struct list_control {
	bool all, json;
	bool raw, noheadings;		/* for scripts and the shell's completion */
	const char *sysroot;		/* --sysroot, or NULL */
	unsigned stall_timeout;		/* seconds; 0 waits for ever */
	int cols[NCOLS];
	size_t ncols;
};

/* What is on one disk, seen through a read-only open (by a child process,
 * in memory shared with list). */
struct disk_content {
	bool done;			/* the look at the disk ended */
	bool probed;
	bool no_answer;			/* still waiting for the disk at the timeout */
	int open_errno;
	struct card_content cc;
	char dload[16];
};

static const int list_exit_codes[] = { EXIT_OK, EXIT_ERROR, EXIT_USAGE, -1 };

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;
	size_t i;

	fputs(USAGE_HEADER, out);
	fputs(_(" dloadcard list [options]\n"), out);
	fputs(_("\nList the disks a card could be on: size, model, reader, the card's identity,\n"
	      "what it holds (and whether it is already a dload card), whether it is mounted\n"
	      "or write-protected, and whether dloadcard would write to it, or why not.\n"
	      "Nothing is written: disks are only opened read-only, to see what they hold.\n"),
	      out);
	fputs(USAGE_OPTIONS, out);
	fputs(_(" -a, --all            also show fixed disks (marked protected)\n"
	      " -o, --output <list>  the columns to show; +<list> adds to the default\n"
	      " -j, --json           print JSON (every column)\n"
	      " -r, --raw            one line per disk, columns separated by one space,\n"
	      "                      spaces and unusual characters as \\x<hex>\n"
	      " -n, --noheadings     no header line\n"
	      "     --sysroot <dir>  read the disks' facts from <dir>/sys and <dir>/proc\n"
	      "                      (for tests, as lsblk's)\n"
	      "     --stall-timeout <seconds>\n"
	      "                      a disk that does not answer within this long is\n"
	      "                      listed as not answering (default 5; 0 waits forever)\n"), out);
	usage_help_options(out, 22);
	fputs(_("\nColumns:\n"), out);
	for (i = 0; i < NCOLS; i++)
		fprintf(out, " %14s  %s\n", infos[i].name, _(infos[i].help));
	usage_exit_codes(out, list_exit_codes);
	fputs(USAGE_EXAMPLES, out);
	fputs(" sudo dloadcard list\n"
	      " dloadcard list --all -o +REASON\n"
	      " dloadcard list -o DEVICE,STATE --raw --noheadings\n", out);
	fputs(USAGE_MAN_TAIL, out);
	exit(EXIT_OK);
}

static int column_id(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NCOLS; i++)
		if (strlen(infos[i].name) == len && strncasecmp(infos[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static void parse_columns(const char *arg, struct list_control *ctl)
{
	const char *p = arg;

	if (*p == '+')
		p++;
	else
		ctl->ncols = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		int id = column_id(p, len);

		if (id < 0)
			cli_usage_error(_("unknown column '%.*s'"), (int)len, p);
		if (ctl->ncols < NCOLS)
			ctl->cols[ctl->ncols++] = id;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!ctl->ncols)
		cli_usage_error(_("no columns in '%s'"), arg);
}

static void probe_content(const struct disk_info *d, struct disk_content *dc)
{
	struct verify_opts vo = { .quick = true };
	struct verify_report *rep;
	struct card c;
	int rc;

	if (!d->media)
		return;
	rc = card_open(&c, d->path, 0, 0, NULL);	/* O_RDONLY */
	if (rc) {
		/* card_open() reports EACCES as a write-protected card, which
		 * is what it means for a write; here, the open's own errno. */
		int fd = open(d->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

		dc->open_errno = fd < 0 ? errno : -rc;
		if (fd >= 0)
			close(fd);
		xstrncpy(dc->dload, "?", sizeof(dc->dload));
		return;
	}
	dc->probed = true;
	content_probe(c.fd, c.size, &dc->cc);
	if (!*dc->cc.pttype && !dc->cc.n) {
		xstrncpy(dc->dload, "no", sizeof(dc->dload));
		card_close(&c);
		return;
	}
	rep = malloc(sizeof(*rep));
	if (!rep)
		err(EXIT_ERROR, _("cannot allocate memory"));
	switch (verify_card(&c, &vo, rep)) {
	case EXIT_OK:
	case EXIT_VERIFY_WARN:
		xstrncpy(dc->dload, "yes", sizeof(dc->dload));
		break;
	case EXIT_DAMAGED_CARD:
		xstrncpy(dc->dload, "damaged", sizeof(dc->dload));
		break;
	case EXIT_READ_ERROR:
		xstrncpy(dc->dload, "unreadable", sizeof(dc->dload));
		break;
	default:
		xstrncpy(dc->dload, "no", sizeof(dc->dload));
	}
	free(rep);
	card_close(&c);
}

/*
 * Look at every disk at once, each in a child process: a card that hangs
 * blocks its reader in the kernel, uninterruptibly, and would hold up the
 * whole list (and, as a thread, the exit).  A child still waiting at the
 * timeout is killed and left to the kernel (as guard.c does); the list goes
 * on without it.
 */
static void probe_all(const struct disk_info *v, size_t n, const bool *shown,
		      unsigned timeout, struct disk_content *dc)
{
	const struct timespec tick = { 0, 20 * 1000 * 1000 };
	pid_t *pid = calloc(n ? n : 1, sizeof(*pid));
	struct timespec start;
	size_t i, left = 0;

	if (!pid)
		err(EXIT_ERROR, _("cannot allocate memory"));
	fflush(NULL);	/* nothing buffered may be printed twice */
	for (i = 0; i < n; i++) {
		if (!shown[i] || !v[i].media)
			continue;
		pid[i] = fork();
		if (pid[i] == 0) {
			probe_content(&v[i], &dc[i]);
			__atomic_store_n(&dc[i].done, true, __ATOMIC_RELEASE);
			_exit(0);
		}
		if (pid[i] < 0) {	/* no process to spare: look here */
			pid[i] = 0;
			probe_content(&v[i], &dc[i]);
			continue;
		}
		left++;
	}
	time_now(&start);
	while (left) {
		for (i = 0; i < n; i++) {
			if (pid[i] > 0 && waitpid(pid[i], NULL, WNOHANG) == pid[i]) {
				pid[i] = 0;
				left--;
			}
		}
		if (left && timeout && elapsed_since(&start) >= timeout)
			break;
		if (left)
			nanosleep(&tick, NULL);
	}
	for (i = 0; i < n; i++) {
		if (pid[i] > 0) {
			kill(pid[i], SIGKILL);
			dc[i].no_answer = true;
		} else if (shown[i] && v[i].media &&
			   !__atomic_load_n(&dc[i].done, __ATOMIC_ACQUIRE)) {
			dc[i].open_errno = EIO;		/* the child died */
		}
		if (dc[i].no_answer || (!dc[i].probed && dc[i].open_errno))
			xstrncpy(dc[i].dload, "?", sizeof(dc[i].dload));
	}
	free(pid);
}

static const char *cell(int col, const struct disk_info *d, const struct disk_content *dc,
			bool json, char *buf, size_t len)
{
	const struct disk_identity *id = &d->id;

	switch (col) {
	case COL_DEVICE:	return d->path;
	case COL_MAJMIN:
		snprintf(buf, len, "%u:%u", major(d->devno), minor(d->devno));
		return buf;
	case COL_SIZE:
		if (json)
			snprintf(buf, len, "%" PRIu64, id->size);
		else
			size_to_human(id->size, buf, len);
		return buf;
	case COL_BUS:		return id->bus;
	case COL_MODEL:
		snprintf(buf, len, "%s%s%s", id->vendor, *id->vendor && *id->model ? " " : "",
			 id->model);
		return buf;
	case COL_SERIAL:	return id->serial;
	case COL_READER:	return id->reader;
	case COL_READER_ID:	return id->reader_id;
	case COL_READER_SERIAL:	return id->reader_serial;
	case COL_CID:		return id->cid;
	case COL_CARD_NAME:	return id->card_name;
	case COL_MANFID:	return id->manfid;
	case COL_OEMID:		return id->oemid;
	case COL_DATE:		return id->date;
	case COL_CONTENT:
		if (dc->no_answer)
			return "not answering";
		if (!dc->probed)
			return dc->open_errno ? "?" : "";
		return disks_content_summary(&dc->cc, buf, len);
	case COL_DLOAD:		return dc->dload;
	case COL_MOUNT:		return d->mount;
	case COL_RO:		return id->ro ? "1" : "0";
	case COL_RM:		return id->removable ? "1" : "0";
	case COL_STATE:		return disks_state(d, buf, len);
	case COL_REASON:	return d->reason;
	}
	return "";
}

static struct libscols_table *new_table(const struct list_control *ctl)
{
	struct libscols_table *tb = scols_new_table();
	size_t i;

	if (!tb)
		err(EXIT_ERROR, _("cannot create a table"));
	scols_table_enable_raw(tb, ctl->raw);
	scols_table_enable_noheadings(tb, ctl->noheadings);
	for (i = 0; i < ctl->ncols; i++) {
		const struct colinfo *ci = &infos[ctl->cols[i]];

		if (!scols_table_new_column(tb, ci->name, ci->whint, ci->flags))
			err(EXIT_ERROR, _("cannot create a table"));
	}
	return tb;
}

static void add_row(struct libscols_table *tb, const struct list_control *ctl,
		    const struct disk_info *d, const struct disk_content *dc)
{
	struct libscols_line *ln = scols_table_new_line(tb, NULL);
	char buf[1024];
	size_t i;

	if (!ln)
		err(EXIT_ERROR, _("cannot create a table"));
	for (i = 0; i < ctl->ncols; i++)
		scols_line_set_data(ln, i, cell(ctl->cols[i], d, dc, false, buf, sizeof(buf)));
}

/* One disk as a JSON object: its columns by their names in lower case, sizes
 * in bytes, RO and RM booleans, null for what is not known. */
static void json_row(struct json *j, const struct list_control *ctl, const struct disk_info *d,
		     const struct disk_content *dc)
{
	char buf[1024], key[32];
	size_t i, k;

	json_open(j, NULL);
	for (i = 0; i < ctl->ncols; i++) {
		const struct colinfo *ci = &infos[ctl->cols[i]];
		const char *v = cell(ctl->cols[i], d, dc, true, buf, sizeof(buf));

		for (k = 0; ci->name[k] && k < sizeof(key) - 1; k++)
			key[k] = (char)tolower((unsigned char)ci->name[k]);
		key[k] = '\0';
		if (!*v)
			json_null(j, key);
		else if (ci->json_type == SCOLS_JSON_NUMBER)
			json_u64(j, key, strtoull(v, NULL, 10));
		else if (ci->json_type == SCOLS_JSON_BOOLEAN)
			json_bool(j, key, strcmp(v, "1") == 0);
		else
			json_str(j, key, v);
	}
	json_close(j);
}

static void print_disks(struct report *rp, const struct list_control *ctl,
			const struct disk_info *v, size_t n, const bool *shown,
			const struct disk_content *dc)
{
	struct libscols_table *tb;
	struct json *j;
	size_t i;

	if (!ctl->json) {
		tb = new_table(ctl);
		for (i = 0; i < n; i++)
			if (shown[i])
				add_row(tb, ctl, &v[i], &dc[i]);
		scols_print_table(tb);
		scols_unref_table(tb);
		return;
	}
	j = report_begin(rp);
	json_open_array(j, "disks");
	for (i = 0; i < n; i++)
		if (shown[i])
			json_row(j, ctl, &v[i], &dc[i]);
	json_close_array(j);
	json_int(j, "exit_code", EXIT_OK);
	report_end(rp);
}

/* On stderr, under the table: the disks whose content is not shown, and why. */
static void explain_unknown(const struct disk_info *v, size_t n, const bool *shown,
			    const struct disk_content *dc, unsigned timeout)
{
	bool denied = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!shown[i])
			continue;
		if (dc[i].no_answer)
			fprintf(stderr, _("(%s did not answer within %u s: the card or its reader hangs; "
				"remove it, or try another reader.)\n"), v[i].path, timeout);
		else if (!dc[i].probed && dc[i].open_errno)
			fprintf(stderr, _("(%s could not be opened to see what it holds: %s.)\n"),
				v[i].path, strerror(dc[i].open_errno));
		denied |= dc[i].open_errno == EACCES || dc[i].open_errno == EPERM;
	}
	/* Root is denied too (a container's device rules): then it is no hint. */
	if (denied && geteuid() != 0)
		fputs(_("(Opening a disk needs root: run dloadcard list as root.)\n"), stderr);
}

/* Only CONTENT and DLOAD open the disks: a list of names and states (the
 * shell's completion asks for one at each Tab) reads sysfs alone. */
static bool needs_content(const struct list_control *ctl)
{
	size_t i;

	for (i = 0; i < ctl->ncols; i++)
		if (ctl->cols[i] == COL_CONTENT || ctl->cols[i] == COL_DLOAD)
			return true;
	return false;
}

/* An empty table prints nothing at all: say why, on stderr, so that
 * stdout stays the table (or the JSON) alone. */
static void explain_empty(const struct list_control *ctl)
{
	if (ctl->all)
		fputs(_("No disk found.\n"), stderr);
	else
		fputs(_("No card found: no removable disk or card reader is attached "
		      "(dloadcard list --all shows every disk).\n"), stderr);
}

static int list_disks(const struct list_control *ctl)
{
	struct disk_content *dc;
	struct disk_info *v;
	struct sysroot root;
	struct report rp;
	size_t n, i, nshown = 0;
	bool *shown;
	int rc;

	report_init(&rp, "list", ctl->json);
	sysroot_init(&root, ctl->sysroot);
	rc = disks_scan(&root, &v, &n);
	if (rc)
		return report_fail(&rp, NULL, EXIT_ERROR, _("cannot read %s/block: %s"), root.sys,
				   strerror(-rc));
	shown = calloc(n ? n : 1, sizeof(*shown));
	if (!shown)
		err(EXIT_ERROR, _("cannot allocate memory"));
	for (i = 0; i < n; i++) {
		shown[i] = !v[i].fixed || ctl->all;
		nshown += shown[i];
	}
	dc = guard_shared_alloc(n ? n * sizeof(*dc) : 1);
	if (!dc)
		err(EXIT_ERROR, _("cannot allocate shared memory"));
	if (needs_content(ctl))
		probe_all(v, n, shown, ctl->stall_timeout, dc);
	print_disks(&rp, ctl, v, n, shown, dc);
	if (!nshown)
		explain_empty(ctl);
	else if (!ctl->json)
		explain_unknown(v, n, shown, dc, ctl->stall_timeout);
	guard_shared_free(dc, n ? n * sizeof(*dc) : 1);
	free(shown);
	free(v);
	return EXIT_OK;
}

static void parse_args(int argc, char **argv, struct list_control *ctl)
{
	enum { OPT_SYSROOT = 256, OPT_STALL_TIMEOUT };
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT },
		{ "output", required_argument, NULL, 'o' },
		{ "sysroot", required_argument, NULL, OPT_SYSROOT },
		{ "json", no_argument, NULL, 'j' },
		{ "raw", no_argument, NULL, 'r' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *output = NULL;
	size_t i;
	int c;

	memset(ctl, 0, sizeof(*ctl));
	ctl->stall_timeout = LIST_STALL_TIMEOUT;
	while ((c = getopt_long(argc, argv, "ao:jrnhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			ctl->all = true;
			break;
		case 'o':
			output = optarg;
			break;
		case 'j':
			ctl->json = true;
			break;
		case 'r':
			ctl->raw = true;
			break;
		case 'n':
			ctl->noheadings = true;
			break;
		case OPT_SYSROOT:
			ctl->sysroot = cli_parse_sysroot(optarg);
			break;
		case OPT_STALL_TIMEOUT:
			ctl->stall_timeout = cli_parse_stall_timeout(optarg);
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			errtryhelp(EXIT_USAGE);
		}
	}
	if (optind < argc)
		cli_usage_error(_("unexpected argument '%s'"), argv[optind]);

	if (ctl->json && !output) {
		for (i = 0; i < NCOLS; i++)
			ctl->cols[ctl->ncols++] = (int)i;
	} else {
		for (i = 0; i < sizeof(default_cols) / sizeof(default_cols[0]); i++)
			ctl->cols[ctl->ncols++] = default_cols[i];
	}
	if (output)
		parse_columns(output, ctl);
}

int cmd_list(int argc, char **argv)
{
	struct list_control ctl;

	parse_args(argc, argv, &ctl);
	return list_disks(&ctl);
}
