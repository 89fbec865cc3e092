/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_LIB_STRUTILS_H
#define DLOADCARD_LIB_STRUTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define KiB 1024ULL
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

/*
 * "8G", "512M", "7.5GiB", "8GB", "4000000000", "0x1000": binary suffixes
 * (K to P, with or without "iB") as dd and truncate, decimal ones with "B".
 * Whole numbers are exact.  0, -EINVAL or -ERANGE.
 */
int parse_size(const char *str, uint64_t *bytes);

/* A whole number from 0 to max, nothing else around it.  0 or -EINVAL. */
int parse_uint(const char *str, unsigned max, unsigned *val);

/* "7.4 GiB"; the buffer should hold at least 16 bytes. */
char *size_to_human(uint64_t bytes, char *buf, size_t len);

/* "7.4 GiB (7.9 GB)": cards are sold in decimal gigabytes. */
char *size_to_human_both(uint64_t bytes, char *buf, size_t len);

/* Lower-case hex of a binary digest; buf holds 2 * len + 1. */
char *hex_string(const unsigned char *bin, size_t len, char *buf);

/* Parse hex (any case, surrounding blanks allowed) into exactly len bytes. */
int parse_hex(const char *str, unsigned char *bin, size_t len);

/* Copy a string, always terminated, cut to fit. */
void xstrncpy(char *dst, const char *src, size_t size);

/* Strip trailing blanks and newlines in place. */
char *rtrim(char *s);

/* Whether s ends with suffix, ignoring ASCII case. */
bool endswith_ci(const char *s, const char *suffix);

double elapsed_since(const struct timespec *start);
void time_now(struct timespec *ts);

#endif
