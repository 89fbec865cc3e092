/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "lib/progress.h"
#include "lib/strutils.h"

#define BAR_WIDTH 24

void progress_init(struct progress *p, FILE *out, bool quiet)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->quiet = quiet;
	p->tty = out && isatty(fileno(out));
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
	p->last_draw.tv_sec = 0;
	p->last_draw.tv_nsec = 0;
	progress_beat(p);
	emit(p, PROGRESS_BEGIN);
}

static void draw_bar(struct progress *p)
{
	double secs = elapsed_since(&p->start);
	double rate = secs > 0 ? (double)p->done / secs : 0;
	char done[32], total[32], eta[16], bar[BAR_WIDTH + 1];
	unsigned fill = p->total ? (unsigned)((double)p->done / (double)p->total * BAR_WIDTH) : 0;

	if (fill > BAR_WIDTH)
		fill = BAR_WIDTH;
	memset(bar, '#', fill);
	memset(bar + fill, '.', BAR_WIDTH - fill);
	bar[BAR_WIDTH] = '\0';
	size_to_human(p->done, done, sizeof(done));
	size_to_human(p->total, total, sizeof(total));
	if (rate > 0 && p->total > p->done)
		format_duration((double)(p->total - p->done) / rate, eta, sizeof(eta));
	else
		xstrncpy(eta, "-:--", sizeof(eta));
	fprintf(p->out, "\r%-20s [%s] %3u%%  %s / %s  %.1f MB/s  ETA %s\033[K",
		p->label, bar, p->total ? (unsigned)(p->done * 100 / p->total) : 0,
		done, total, rate / 1e6, eta);
	fflush(p->out);
}

void progress_update(struct progress *p, uint64_t done)
{
	p->done = done;
	progress_beat(p);
	emit(p, PROGRESS_UPDATE);
	if (p->quiet || !p->tty || !p->out)
		return;
	/* Ten redraws a second are plenty and cost nothing. */
	if (elapsed_since(&p->last_draw) < 0.1 && done < p->total)
		return;
	time_now(&p->last_draw);
	draw_bar(p);
}

void progress_end(struct progress *p, const char *fmt, ...)
{
	double secs = elapsed_since(&p->start);
	char size[32], rate[48] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->text, sizeof(p->text), fmt, ap);
	va_end(ap);
	progress_beat(p);
	if (p->total && secs > 0.05)
		snprintf(rate, sizeof(rate), ", %.1f MB/s", (double)p->done / secs / 1e6);
	emit(p, PROGRESS_END);
	if (p->quiet || !p->out)
		return;
	if (p->total)
		fprintf(p->out, "%s%s: %s (%s in %.1f s%s)%s\n", p->tty ? "\r" : "", p->label,
			p->text, size_to_human(p->done, size, sizeof(size)), secs, rate,
			p->tty ? "\033[K" : "");
	else
		fprintf(p->out, "%s%s: %s%s\n", p->tty ? "\r" : "", p->label, p->text,
			p->tty ? "\033[K" : "");
	fflush(p->out);
}

void progress_note(struct progress *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->text, sizeof(p->text), fmt, ap);
	va_end(ap);
	emit(p, PROGRESS_NOTE);
	if (p->quiet || !p->out)
		return;
	fprintf(p->out, "%s\n", p->text);
	fflush(p->out);
}
