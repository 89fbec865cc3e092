/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/progress.h"
#include "lib/strutils.h"

void progress_init(struct progress *p,
		   void (*sink)(void *arg, const struct progress *p, enum progress_event ev),
		   void *sink_arg)
{
	memset(p, 0, sizeof(*p));
	p->sink = sink;
	p->sink_arg = sink_arg;
}

char *format_duration(double s, char *buf, size_t len)
{
	unsigned long t = s < 0 ? 0 : (unsigned long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
	return buf;
}

static void emit(struct progress *p, enum progress_event ev)
{
	if (p->sink)
		p->sink(p->sink_arg, p, ev);
}

void progress_begin(struct progress *p, const char *label, uint64_t total)
{
	xstrncpy(p->label, label, sizeof(p->label));
	p->total = total;
	p->done = 0;
	p->text[0] = '\0';
	time_now(&p->start);
	progress_beat(p);
	emit(p, PROGRESS_BEGIN);
}

void progress_update(struct progress *p, uint64_t done)
{
	p->done = done;
	progress_beat(p);
	emit(p, PROGRESS_UPDATE);
}

void progress_end(struct progress *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->text, sizeof(p->text), fmt, ap);
	va_end(ap);
	progress_beat(p);
	emit(p, PROGRESS_END);
}

void progress_note(struct progress *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->text, sizeof(p->text), fmt, ap);
	va_end(ap);
	emit(p, PROGRESS_NOTE);
}
