/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_LIB_XALLOC_H
#define DLOADCARD_LIB_XALLOC_H

/* Allocation that cannot fail: out of memory ends the program, as in util-linux. */

#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "lib/exitcodes.h"

static inline void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		err(EXIT_ERROR, "cannot allocate %zu bytes", n);
	return p;
}

static inline void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		err(EXIT_ERROR, "cannot allocate memory");
	return p;
}

static inline void *xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);

	if (!p)
		err(EXIT_ERROR, "cannot allocate %zu bytes", n);
	return p;
}

static inline char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		err(EXIT_ERROR, "cannot allocate memory");
	return p;
}

#endif
