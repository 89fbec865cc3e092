/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/nls.h"
#include "lib/strutils.h"
#include "station/view.h"

#define REDRAW_SECONDS	0.1
#define BAR_WIDTH	20
#define NAME_WIDTH	12
#define ROW_MAX	512	/* a row of the live block */
#define MESSAGE_MAX	4096	/* a message, its lines of advice and state included */

void view_init(struct view *v, const struct view_screen *screen)
{
	memset(v, 0, sizeof(*v));
	pthread_mutex_init(&v->lock, NULL);
	v->screen = screen;
}

static bool live(const struct view *v)
{
	return v->screen->live && !v->screen->quiet;
}

static void format_row(const struct view_row *r, char *buf, size_t len)
{
	char done[32], total[32], eta[16], bar[BAR_WIDTH + 1];
	double secs, rate;
	unsigned fill;

	if (!r->bar) {
		snprintf(buf, len, "%-*s %s", NAME_WIDTH, r->name, *r->text ? r->text : r->label);
		return;
	}
	secs = elapsed_since(&r->start);
	rate = secs > 0 ? (double)r->done / secs : 0;
	fill = r->total ? (unsigned)((double)r->done / (double)r->total * BAR_WIDTH) : 0;
	if (fill > BAR_WIDTH)
		fill = BAR_WIDTH;
	memset(bar, '#', fill);
	memset(bar + fill, '.', BAR_WIDTH - fill);
	bar[BAR_WIDTH] = '\0';
	if (rate > 0 && r->total > r->done)
		format_duration((double)(r->total - r->done) / rate, eta, sizeof(eta));
	else
		xstrncpy(eta, "-:--", sizeof(eta));
	snprintf(buf, len, "%-*s %-20s [%s] %3u%%  %s / %s  %.1f MB/s  ETA %s", NAME_WIDTH,
		 r->name, r->label, bar, r->total ? (unsigned)(r->done * 100 / r->total) : 0,
		 size_to_human(r->done, done, sizeof(done)),
		 size_to_human(r->total, total, sizeof(total)), rate / 1e6, eta);
}

/* The live block, one line per row, on the screen. */
static void draw_block(struct view *v)
{
	char (*text)[ROW_MAX] = malloc(v->n ? v->n * sizeof(*text) : 1);
	const char **lines = malloc(v->n ? v->n * sizeof(*lines) : 1);
	size_t i;

	if (text && lines) {
		for (i = 0; i < v->n; i++) {
			format_row(v->rows[i], text[i], sizeof(text[i]));
			lines[i] = text[i];
		}
		v->screen->block(v->screen->arg, lines, v->n);
		v->drawn = true;
	}
	free(lines);
	free(text);
	time_now(&v->last_draw);
}

static void clear_block(struct view *v)
{
	if (!v->drawn)
		return;
	v->screen->clear(v->screen->arg);
	v->drawn = false;
}

void view_finish(struct view *v)
{
	pthread_mutex_lock(&v->lock);
	if (live(v))
		clear_block(v);
	v->n = 0;
	pthread_mutex_unlock(&v->lock);
}

void view_destroy(struct view *v)
{
	free(v->rows);
	v->rows = NULL;
	v->n = v->cap = 0;
	pthread_mutex_destroy(&v->lock);
}

void view_row_init(struct view_row *row, const char *name)
{
	memset(row, 0, sizeof(*row));
	xstrncpy(row->name, name, sizeof(row->name));
}

/* A line that stays: above the live block, which is drawn again under it. */
static void put_line(struct view *v, const char *text)
{
	if (live(v))
		clear_block(v);
	v->screen->line(v->screen->arg, text);
	if (live(v) && v->n)
		draw_block(v);
}

static void put_linef(struct view *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put_linef(struct view *v, const char *fmt, ...)
{
	char text[MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	v->screen->line(v->screen->arg, text);
}

void view_show(struct view *v, struct view_row *row, const char *label)
{
	pthread_mutex_lock(&v->lock);
	xstrncpy(row->label, label, sizeof(row->label));
	row->text[0] = '\0';
	row->bar = false;
	if (!row->shown && v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 8;
		struct view_row **more = reallocarray(v->rows, cap, sizeof(*v->rows));

		/* Out of memory: the card runs all the same, without its live row. */
		if (more) {
			v->rows = more;
			v->cap = cap;
		}
	}
	if (!row->shown && v->n < v->cap) {
		v->rows[v->n++] = row;
		row->shown = true;
	}
	if (live(v))
		draw_block(v);
	else if (!v->screen->quiet)
		put_linef(v, "%s: %s", row->name, label);
	pthread_mutex_unlock(&v->lock);
}

static void vmessage(struct view *v, const char *fmt, va_list ap)
{
	char text[MESSAGE_MAX];

	vsnprintf(text, sizeof(text), fmt, ap);
	put_line(v, text);
}

void view_hide(struct view *v, struct view_row *row, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	pthread_mutex_lock(&v->lock);
	for (i = 0; i < v->n; i++) {
		if (v->rows[i] == row) {
			memmove(v->rows + i, v->rows + i + 1, (v->n - i - 1) * sizeof(*v->rows));
			v->n--;
			break;
		}
	}
	row->shown = false;
	va_start(ap, fmt);
	vmessage(v, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&v->lock);
}

void view_message(struct view *v, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&v->lock);
	va_start(ap, fmt);
	vmessage(v, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&v->lock);
}

/* Not live: a line when a phase ends or says something. */
static void plain_line(struct view *v, const struct view_row *row, const struct progress *p,
		       enum progress_event ev)
{
	char size[32];

	if (ev == PROGRESS_NOTE)
		put_linef(v, "%s: %s", row->name, p->text);
	else if (ev == PROGRESS_END && p->total)
		put_linef(v, _("%s: %s: %s (%s in %.1f s)"), row->name, p->label, p->text,
			  size_to_human(p->done, size, sizeof(size)), elapsed_since(&p->start));
	else if (ev == PROGRESS_END)
		put_linef(v, "%s: %s: %s", row->name, p->label, p->text);
}

void view_progress(struct view *v, struct view_row *row, const struct progress *p,
		   enum progress_event ev)
{
	pthread_mutex_lock(&v->lock);
	switch (ev) {
	case PROGRESS_BEGIN:
		xstrncpy(row->label, p->label, sizeof(row->label));
		row->text[0] = '\0';
		row->start = p->start;
		row->total = p->total;
		row->done = 0;
		row->bar = true;
		break;
	case PROGRESS_UPDATE:
		row->done = p->done;
		break;
	case PROGRESS_END:
		row->bar = false;
		snprintf(row->text, sizeof(row->text), "%s: %s", p->label, p->text);
		break;
	case PROGRESS_NOTE:
		row->bar = false;
		xstrncpy(row->label, p->text, sizeof(row->label));
		xstrncpy(row->text, p->text, sizeof(row->text));
		break;
	}
	if (!v->screen->live && !v->screen->quiet)
		plain_line(v, row, p, ev);
	pthread_mutex_unlock(&v->lock);
}

void view_phase(struct view *v, const struct view_row *row, char *buf, size_t len)
{
	pthread_mutex_lock(&v->lock);
	xstrncpy(buf, row->label, len);
	pthread_mutex_unlock(&v->lock);
}

void view_tick(struct view *v)
{
	pthread_mutex_lock(&v->lock);
	if (live(v) && v->n && elapsed_since(&v->last_draw) >= REDRAW_SECONDS)
		draw_block(v);
	pthread_mutex_unlock(&v->lock);
}

int view_timeout(struct view *v)
{
	int ms = -1;

	pthread_mutex_lock(&v->lock);
	if (live(v) && v->n)
		ms = (int)(REDRAW_SECONDS * 1000);
	pthread_mutex_unlock(&v->lock);
	return ms;
}
