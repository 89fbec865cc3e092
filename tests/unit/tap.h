/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_TAP_H
#define DLOADCARD_TAP_H

/*
 * A tiny TAP (version 13) producer for the unit tests, header only.
 *
 *	plan(3);              // or no plan: done_testing() prints "1..N"
 *	ok(x == 1, "x is %d", x);
 *	is_int(got, 42, "answer");
 *	is_str(s, "abc", "name");
 *	skip(2, "no PCLMULQDQ");
 *	todo_ok(x == 2, "why not yet", "name");
 *	return done_testing();  // exit status: 0 if all passed
 *
 * Test names must not start with a digit (TAP would read it as a number).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_planned = -1;
static int tap_run;
static int tap_failed;

static inline void tap_header(void)
{
	static int done;

	if (!done) {
		printf("TAP version 13\n");
		done = 1;
	}
}

static inline void plan(int n)
{
	tap_header();
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	tap_header();
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static inline int tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_header();
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

static inline int ok(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vok(cond, fmt, ap);
	va_end(ap);
	return r;
}

static inline int is_int(intmax_t got, intmax_t want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int is_int(intmax_t got, intmax_t want, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_vok(got == want, fmt, ap);
	va_end(ap);
	if (!r)
		diag("  got: %jd (0x%jx), expected: %jd (0x%jx)",
		     got, (uintmax_t)got, want, (uintmax_t)want);
	return r;
}

static inline int is_str(const char *got, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int same = (got == NULL && want == NULL) ||
		   (got && want && strcmp(got, want) == 0);
	int r;

	va_start(ap, fmt);
	r = tap_vok(same, fmt, ap);
	va_end(ap);
	if (!r)
		diag("  got: \"%s\", expected: \"%s\"", got ? got : "(null)",
		     want ? want : "(null)");
	return r;
}

/*
 * A known shortcoming, said where it shows: "not ok N - name # TODO why",
 * which the harness counts as an expected failure.  Once it passes, the
 * harness counts the "ok ... # TODO" as an unexpected pass, a failure:
 * the check is then to become a plain one.
 */
static inline int todo_ok(int cond, const char *why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int todo_ok(int cond, const char *why, const char *fmt, ...)
{
	va_list ap;

	tap_header();
	tap_run++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # TODO %s\n", why);
	fflush(stdout);
	return cond;
}

static inline void skip(int n, const char *reason)
{
	tap_header();
	while (n-- > 0) {
		tap_run++;
		printf("ok %d # SKIP %s\n", tap_run, reason);
	}
	fflush(stdout);
}

/* Ends the test: the exit status for main(). */
static inline int done_testing(void)
{
	tap_header();
	if (tap_planned < 0)
		printf("1..%d\n", tap_run);
	else if (tap_planned != tap_run)
		diag("planned %d tests but ran %d", tap_planned, tap_run);
	if (tap_failed)
		diag("failed %d of %d tests", tap_failed, tap_run);
	fflush(stdout);
	return tap_failed || (tap_planned >= 0 && tap_planned != tap_run);
}

#endif
