/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmd/term.h"
#include "lib/nls.h"
#include "lib/strutils.h"

#define BAR_WIDTH 24

static unsigned width(const struct term *t)
{
	struct winsize ws;

	if (ioctl(fileno(t->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

/* ---- one card's progress --------------------------------------------------- */

static void draw_bar(struct term *t, const struct progress *p)
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
	fprintf(t->out, "\r%-20s [%s] %3u%%  %s / %s  %.1f MB/s  ETA %s\033[K",
		p->label, bar, p->total ? (unsigned)(p->done * 100 / p->total) : 0,
		done, total, rate / 1e6, eta);
	fflush(t->out);
}

/* The phase's result, with its bytes and rate. */
static void end_line(struct term *t, const struct progress *p)
{
	double secs = elapsed_since(&p->start);
	char size[32], rate[48] = "";

	if (p->total && secs > 0.05)
		snprintf(rate, sizeof(rate), ", %.1f MB/s", (double)p->done / secs / 1e6);
	if (p->total)
		/* TRANSLATORS: "writing: done (1.2 GiB in 3.4 s, 350.0 MB/s)"; the
		 * first and last %s are terminal controls. */
		fprintf(t->out, _("%s%s: %s (%s in %.1f s%s)%s\n"), t->tty ? "\r" : "", p->label,
			p->text, size_to_human(p->done, size, sizeof(size)), secs, rate,
			t->tty ? "\033[K" : "");
	else
		fprintf(t->out, "%s%s: %s%s\n", t->tty ? "\r" : "", p->label, p->text,
			t->tty ? "\033[K" : "");
	fflush(t->out);
}

static void on_progress(void *arg, const struct progress *p, enum progress_event ev)
{
	struct term *t = arg;

	switch (ev) {
	case PROGRESS_BEGIN:
		t->last_draw.tv_sec = t->last_draw.tv_nsec = 0;
		break;
	case PROGRESS_UPDATE:
		/* Ten redraws a second are plenty and cost nothing. */
		if (!t->tty || (elapsed_since(&t->last_draw) < 0.1 && p->done < p->total))
			break;
		time_now(&t->last_draw);
		draw_bar(t, p);
		break;
	case PROGRESS_END:
		end_line(t, p);
		break;
	case PROGRESS_NOTE:
		fprintf(t->out, "%s\n", p->text);
		fflush(t->out);
		break;
	}
}

void term_progress(struct term *t, struct progress *p)
{
	progress_init(p, t->quiet ? NULL : on_progress, t);
}

/* ---- batch's view ---------------------------------------------------------- */

static void screen_clear(void *arg)
{
	struct term *t = arg;

	if (t->drawn)
		fprintf(t->out, "\033[%uA\r\033[J", t->drawn);
	t->drawn = 0;
	fflush(t->out);
}

/* Over the old lines rather than cleared first: no flicker.  What is left
 * below (a row gone) is cleared after.  Each line is cut to the width: a
 * wrapped line would throw the cursor arithmetic off. */
static void screen_block(void *arg, const char *const *lines, size_t n)
{
	struct term *t = arg;
	unsigned w = width(t);
	size_t i;

	if (t->drawn)
		fprintf(t->out, "\033[%uA", t->drawn);
	for (i = 0; i < n; i++)
		fprintf(t->out, "\r\033[K%.*s\n", (int)(w - 1), lines[i]);
	fputs("\033[J", t->out);
	t->drawn = (unsigned)n;
	fflush(t->out);
}

static void screen_line(void *arg, const char *text)
{
	struct term *t = arg;

	fprintf(t->out, "%s\n", text);
	fflush(t->out);
}

const struct view_screen *term_screen(struct term *t)
{
	return &t->screen;
}

void term_init(struct term *t, FILE *out, bool quiet)
{
	memset(t, 0, sizeof(*t));
	t->out = out;
	t->quiet = quiet;
	t->tty = isatty(fileno(out));
	t->screen = (struct view_screen){
		.live = t->tty,
		.quiet = quiet,
		.line = screen_line,
		.block = screen_block,
		.clear = screen_clear,
		.arg = t,
	};
}
