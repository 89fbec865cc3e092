/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The exit codes are defined once (lib/exitcodes.h): --help prints them from
 * that table, and the man page's EXIT STATUS must say the same, every code
 * with its number and its meaning, and no other code.  The comparison is
 * also run on doctored copies of the man page, to show that it catches a
 * number, a meaning or an entry that drifted.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/exitcodes.h"
#include "tap.h"

#define MAX_ENTRIES 64

struct entry {
	int code;
	char text[2048];	/* the paragraph, roff markup taken out */
};

/* Append s (len bytes) to the entry's text, words separated by one space. */
static void add_text(struct entry *e, const char *s, size_t len)
{
	size_t used = strlen(e->text);

	if (used && used < sizeof(e->text) - 1 && e->text[used - 1] != ' ')
		e->text[used++] = ' ';
	snprintf(e->text + used, sizeof(e->text) - used, "%.*s", (int)len, s);
}

/* The text of a font macro's arguments: .B and .I as they are, the
 * alternating ones (.BR, .IR, ...) joined without spaces. */
static void add_macro(struct entry *e, const char *line)
{
	char buf[1024];
	const char *p = line + 1;
	size_t n = 0, name = strcspn(p, " \t");
	bool join = name == 2;

	if (name < 1 || name > 2 || !strchr("BIR", p[0]) || (name == 2 && !strchr("BIR", p[1])))
		return;	/* not a font macro: no text */
	for (p += name; *p && n < sizeof(buf) - 1;) {
		p += strspn(p, " \t");
		if (*p == '"') {
			for (p++; *p && *p != '"' && n < sizeof(buf) - 1; p++)
				buf[n++] = *p;
			if (*p == '"')
				p++;
		} else {
			for (; *p && *p != ' ' && *p != '\t' && n < sizeof(buf) - 1; p++)
				buf[n++] = *p;
		}
		if (!join && *p && n < sizeof(buf) - 1)
			buf[n++] = ' ';
	}
	while (n && buf[n - 1] == ' ')
		n--;
	add_text(e, buf, n);
}

/* "\-" is "-", "\&" nothing, spaces one. */
static void plain(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] == '-') {
			*w++ = '-';
			r++;
		} else if (r[0] == '\\' && r[1] == '&') {
			r++;
		} else if (*r == ' ' && w > s && w[-1] == ' ') {
			continue;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* The entries of EXIT STATUS (".TP", ".B <code>", the paragraph). */
static size_t read_exit_status(FILE *f, struct entry *v, size_t max)
{
	char line[1024];
	bool in = false, want_code = false;
	struct entry *cur = NULL;
	size_t n = 0;

	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, ".SH", 3) == 0) {
			if (in)
				break;
			in = strstr(line, "EXIT STATUS") != NULL;
			continue;
		}
		if (!in)
			continue;
		if (strcmp(line, ".TP") == 0) {
			want_code = true;
			cur = NULL;
		} else if (want_code) {
			want_code = false;
			if (strncmp(line, ".B ", 3) == 0 && isdigit((unsigned char)line[3]) && n < max) {
				cur = &v[n++];
				cur->code = atoi(line + 3);
				cur->text[0] = '\0';
			}
		} else if (!cur) {
			continue;
		} else if (line[0] == '.') {
			add_macro(cur, line);
		} else {
			add_text(cur, line, strlen(line));
		}
	}
	for (size_t i = 0; i < n; i++)
		plain(v[i].text);
	return n;
}

static const struct entry *find(const struct entry *v, size_t n, int code)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].code == code)
			return &v[i];
	return NULL;
}

/* Whether the man page's paragraph begins with the table's meaning, the
 * case of its first letter aside, and a word ends there. */
static bool says(const char *man, const char *text)
{
	size_t n = strlen(text);

	return tolower((unsigned char)man[0]) == tolower((unsigned char)text[0]) &&
	       strncmp(man + 1, text + 1, n - 1) == 0 && !isalnum((unsigned char)man[n]);
}

/* How many codes drift between the table and v; each said when verbose. */
static int drift(const struct entry *v, size_t n, bool verbose)
{
	int bad = 0;

	for (size_t i = 0; i < exit_codes_count; i++) {
		const struct exit_code *x = &exit_codes[i];
		const struct entry *e = find(v, n, x->code);

		if (!e || !says(e->text, x->text)) {
			bad++;
			if (verbose)
				diag("exit %d (%s): the table says \"%s\", the man page \"%s\"", x->code,
				     x->name, x->text, e ? e->text : "nothing");
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!exit_code_text(v[i].code)) {
			bad++;
			if (verbose)
				diag("exit %d is in the man page, not in lib/exitcodes.h", v[i].code);
		}
	}
	return bad;
}

int main(void)
{
	const char *srcdir = getenv("TESTS_SRCDIR");
	static struct entry man[MAX_ENTRIES], copy[MAX_ENTRIES];
	char path[4096];
	size_t n, i, j;
	int base;
	FILE *f;

	snprintf(path, sizeof(path), "%s/../man/dloadcard.1", srcdir ? srcdir : "tests");
	f = fopen(path, "r");
	if (!f) {
		printf("Bail out! cannot open %s\n", path);
		return 1;
	}
	n = read_exit_status(f, man, MAX_ENTRIES);
	fclose(f);
	ok(n > 0, "the man page has an EXIT STATUS section with %zu codes", n);

	for (i = 0; i < exit_codes_count; i++) {
		const struct exit_code *x = &exit_codes[i];
		const struct entry *e = find(man, n, x->code);

		ok(e && says(e->text, x->text), "exit %d (%s): the man page says \"%s\"", x->code,
		   x->name, x->text);
		if (e && !says(e->text, x->text))
			diag("it says: %s", e->text);
		for (j = 0; j < i; j++)
			if (exit_codes[j].code == x->code)
				ok(0, "exit %d is defined twice (%s, %s)", x->code, exit_codes[j].name,
				   x->name);
	}
	for (i = 0; i < n; i++)
		ok(exit_code_text(man[i].code) != NULL, "the man page's exit %d is defined",
		   man[i].code);
	ok(drift(man, n, true) == 0, "no drift between lib/exitcodes.h and the man page");

	/* Doctored copies: each drift is caught. */
	base = drift(man, n, false);
	memcpy(copy, man, sizeof(copy));
	copy[n / 2].code += 100;
	ok(drift(copy, n, false) > base, "a number changed in the man page is caught");
	memcpy(copy, man, sizeof(copy));
	memcpy(copy[1].text, "Nothing at all.", 16);
	ok(drift(copy, n, false) > base, "a meaning changed in the man page is caught");
	ok(drift(man, n - 1, false) > base, "a code missing from the man page is caught");
	memcpy(copy, man, sizeof(copy));
	snprintf(copy[0].text + strlen(exit_codes[0].text), 8, "ful");
	ok(drift(copy, n, false) > base, "a meaning that only starts the same is caught");
	return done_testing();
}
