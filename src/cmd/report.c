/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <err.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>

#include "cmd/report.h"
#include "firmware/srccheck.h"
#include "lib/errmsg.h"
#include "lib/nls.h"
#include "pipeline/readback.h"

void report_init(struct report *rp, const char *command, bool json)
{
	rp->command = command;
	rp->json = json;
	/* --json is read by programs: its words ("error", "advice", "message")
	 * are the C locale's, byte for byte, whatever the user's language.
	 * Before any work, and before batch starts a thread. */
	if (json)
		setlocale(LC_MESSAGES, "C");
}

struct json *report_begin(struct report *rp)
{
	json_init(&rp->j, stdout, false);
	json_open(&rp->j, NULL);
	json_str(&rp->j, "command", rp->command);
	return &rp->j;
}

void report_end(struct report *rp)
{
	json_close(&rp->j);
	json_end(&rp->j);
}

void report_differences(struct json *j, const struct diff_report *d)
{
	size_t i;

	if (!d->total_ranges)
		return;
	json_open_array(j, "differences");
	for (i = 0; i < d->n; i++) {
		json_open(j, NULL);
		json_u64(j, "file_offset", d->ranges[i].file_off);
		json_u64(j, "card_offset", d->ranges[i].card_off);
		json_u64(j, "length", d->ranges[i].len);
		json_close(j);
	}
	json_close_array(j);
}

static const char *or_null(const char *s)
{
	return s && *s ? s : NULL;
}

void report_failure_words(const struct report_failure *f)
{
	warnx("%s", f->error);
	if (or_null(f->advice))
		fprintf(stderr, "  %s\n", f->advice);
	if (or_null(f->last))
		fprintf(stderr, "  %s\n", f->last);
}

int report_failure(struct report *rp, const struct report_failure *f)
{
	struct json *j;

	if (!rp->json) {
		report_failure_words(f);
		return f->exit_code;
	}
	j = report_begin(rp);
	if (f->target)
		json_str(j, "target", f->target);
	json_int(j, "exit_code", f->exit_code);
	json_str(j, "error", f->error);
	json_str(j, "advice", or_null(f->advice));
	if (f->members)
		f->members(j, f->arg);
	report_end(rp);
	return f->exit_code;
}

int report_fail(struct report *rp, const char *target, int code, const char *fmt, ...)
{
	struct errmsg e;
	va_list ap;

	va_start(ap, fmt);
	errmsg_vset(&e, 0, fmt, ap);
	va_end(ap);
	return report_failure(rp, &(struct report_failure){
		.target = target, .exit_code = code, .error = e.text,
	});
}

int report_source_failure(struct report *rp, const struct srccheck *sc, const char *what,
			  void (*members)(struct json *j, const void *arg), const void *arg)
{
	char last[128];

	snprintf(last, sizeof(last), _("Nothing was written to %s."), what);
	return report_failure(rp, &(struct report_failure){
		.exit_code = sc->exit_code,
		.error = sc->error.text,
		.advice = sc->advice,
		.last = last,
		.members = members,
		.arg = arg,
	});
}
