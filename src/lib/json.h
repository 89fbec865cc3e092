/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_LIB_JSON_H
#define DLOADCARD_LIB_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A small streaming JSON writer for --json results (libsmartcols covers
 * tables; results are nested objects).  Keys are given for members of
 * objects and NULL for elements of arrays.
 */
#define JSON_MAX_DEPTH 16

struct json {
	FILE *out;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool compact;		/* one line, for log files */
};

void json_init(struct json *j, FILE *out, bool compact);
void json_open(struct json *j, const char *key);	/* { */
void json_close(struct json *j);			/* } */
void json_open_array(struct json *j, const char *key);	/* [ */
void json_close_array(struct json *j);			/* ] */
void json_str(struct json *j, const char *key, const char *val);	/* NULL: null */
void json_u64(struct json *j, const char *key, uint64_t val);
void json_int(struct json *j, const char *key, long long val);
void json_double(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* Ends the document with a newline. */
void json_end(struct json *j);

/* Write a JSON string literal (quotes included), escaping as needed. */
void json_write_string(FILE *out, const char *s);

#endif
