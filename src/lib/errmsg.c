/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lib/errmsg.h"

int errmsg_vset(struct errmsg *e, int rc, const char *fmt, va_list ap)
{
	if (e)
		vsnprintf(e->text, sizeof(e->text), fmt, ap);
	return rc;
}

int errmsg_set(struct errmsg *e, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errmsg_vset(e, rc, fmt, ap);
	va_end(ap);
	return rc;
}

int errmsg_prefix(struct errmsg *e, int rc, const char *fmt, ...)
{
	char tail[sizeof(e->text)];
	size_t n;
	va_list ap;

	if (!e)
		return rc;
	memcpy(tail, e->text, sizeof(tail));
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	n = strlen(e->text);
	snprintf(e->text + n, sizeof(e->text) - n, ": %s", tail);
	return rc;
}
