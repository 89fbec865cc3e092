/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/strutils.h"

/* The multiplier of a unit ("", "K", "KiB", "KB", ... "P"), 0 if none. */
static uint64_t size_unit(const char *u)
{
	static const char prefixes[] = "KMGTP";
	const char *p;
	uint64_t mult = 1, base = 1024;
	int power;

	if (*u == '\0' || !strcasecmp(u, "B"))
		return 1;
	p = *u ? strchr(prefixes, toupper((unsigned char)*u)) : NULL;
	if (!p)
		return 0;
	/* As coreutils: "8G" and "8GiB" are binary, "8GB" is decimal. */
	if (!strcasecmp(u + 1, "B"))
		base = 1000;
	else if (u[1] && strcasecmp(u + 1, "iB"))
		return 0;
	for (power = (int)(p - prefixes) + 1; power > 0; power--)
		mult *= base;
	return mult;
}

int parse_size(const char *str, uint64_t *bytes)
{
	bool hex = str && str[0] == '0' && (str[1] == 'x' || str[1] == 'X');
	uint64_t whole, mult;
	char *end;

	/* Digits first: no sign, no blank, no "nan" or "inf" for strtod. */
	if (!str || !(hex ? isxdigit((unsigned char)str[2])
			  : isdigit((unsigned char)*str) || *str == '.'))
		return -EINVAL;
	errno = 0;
	whole = strtoull(hex ? str + 2 : str, &end, hex ? 16 : 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (!hex && (*end == '.' || *end == 'e' || *end == 'E')) {
		/* "7.5GiB", "1e9": a fraction (exact to the byte up to 2^53) */
		double val = strtod(str, &end);

		mult = size_unit(end);
		if (!mult)
			return -EINVAL;
		if (val * (double)mult >= 18446744073709549568.0)
			return -ERANGE;
		*bytes = (uint64_t)(val * (double)mult);
		return 0;
	}
	mult = size_unit(end);
	if (!mult)
		return -EINVAL;
	if (whole > UINT64_MAX / mult)
		return -ERANGE;
	*bytes = whole * mult;
	return 0;
}

int parse_uint(const char *str, unsigned max, unsigned *val)
{
	unsigned long v;
	char *end;

	if (!str || !isdigit((unsigned char)*str))
		return -EINVAL;
	errno = 0;
	v = strtoul(str, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*val = (unsigned)v;
	return 0;
}

char *size_to_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024.0 && u < sizeof(units) / sizeof(units[0]) - 1) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

char *size_to_human_both(uint64_t bytes, char *buf, size_t len)
{
	char bin[32];

	size_to_human(bytes, bin, sizeof(bin));
	if (bytes >= 1000ULL * 1000 * 1000)
		snprintf(buf, len, "%s (%.1f GB)", bin, (double)bytes / 1e9);
	else if (bytes >= 1000ULL * 1000)
		snprintf(buf, len, "%s (%.1f MB)", bin, (double)bytes / 1e6);
	else
		snprintf(buf, len, "%s", bin);
	return buf;
}

char *hex_string(const unsigned char *bin, size_t len, char *buf)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		buf[2 * i] = digits[bin[i] >> 4];
		buf[2 * i + 1] = digits[bin[i] & 0xf];
	}
	buf[2 * len] = '\0';
	return buf;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int parse_hex(const char *str, unsigned char *bin, size_t len)
{
	size_t i;

	while (isspace((unsigned char)*str))
		str++;
	for (i = 0; i < len; i++) {
		int hi = hexval((unsigned char)str[2 * i]);
		int lo = hi < 0 ? -1 : hexval((unsigned char)str[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		bin[i] = (unsigned char)(hi << 4 | lo);
	}
	str += 2 * len;
	while (isspace((unsigned char)*str))
		str++;
	return *str ? -EINVAL : 0;
}

void xstrncpy(char *dst, const char *src, size_t size)
{
	size_t n;

	if (!size)
		return;
	n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

char *rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

void time_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

double elapsed_since(const struct timespec *start)
{
	struct timespec now;

	time_now(&now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

bool endswith_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}
