/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Names on a FAT card, in memory: long names put together from their
 * entries (src/fat/lfn.c) as Windows and Linux do it, broken ones refused,
 * UCS-2 to UTF-8 with surrogates, and the 8.3 form (src/fat/dir.c).  What a
 * user sees as the name of UPDATE.APP comes from here.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fat/fat_private.h"
#include "tap.h"

/* Where the 13 UCS-2 characters of a long-name entry sit. */
static const uint8_t where[LFN_CHARS] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };

/* Entry seq (1-based) of the long name u[0..n), as Windows writes it: a
 * NUL after the name, 0xFFFF to the end of the last entry. */
static void lfn_entry(uint8_t e[DIR_ENT], const uint16_t *u, size_t n, unsigned seq,
		      bool last, uint8_t sum)
{
	memset(e, 0, DIR_ENT);
	e[0] = (uint8_t)(seq | (last ? 0x40 : 0));
	e[11] = 0x0f;
	e[13] = sum;
	for (unsigned i = 0; i < LFN_CHARS; i++) {
		size_t k = (size_t)(seq - 1) * LFN_CHARS + i;

		put_le16(e + where[i], k < n ? u[k] : k == n ? 0 : 0xffff);
	}
}

/* Every entry of the name, last part first, as they lie in a directory. */
static void feed(struct fat_lfn *l, const uint16_t *u, size_t n, const uint8_t sfn[11])
{
	unsigned parts = (unsigned)((n + LFN_CHARS - 1) / LFN_CHARS);
	uint8_t e[DIR_ENT];

	for (unsigned seq = parts; seq >= 1; seq--) {
		lfn_entry(e, u, n, seq, seq == parts, fat_lfn_checksum(sfn));
		fat_lfn_add(l, e);
	}
}

static size_t ascii16(uint16_t *u, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		u[i] = (uint8_t)s[i];
	return n;
}

static const uint8_t sfn[11] = "ALONGN~1BIN";

static void test_checksum(void)
{
	/* the values mtools writes for these 8.3 names */
	is_int(fat_lfn_checksum(sfn), 0xf0, "checksum of ALONGN~1.BIN as mtools writes it");
	is_int(fat_lfn_checksum((const uint8_t *)"UPDATE  APP"), 0xeb, "checksum of UPDATE.APP");
}

static void test_assembly(void)
{
	uint16_t u[300];
	char name[FAT_NAME_MAX];
	struct fat_lfn l;
	uint8_t e[DIR_ENT];
	size_t n;

	memset(&l, 0, sizeof(l));
	n = ascii16(u, "A long name with spaces.bin");
	feed(&l, u, n, sfn);
	ok(fat_lfn_take(&l, sfn, name) && !strcmp(name, "A long name with spaces.bin") &&
	   !l.broken, "three parts, in order: the long name");

	memset(&l, 0, sizeof(l));
	n = ascii16(u, "Thirteen.char");
	feed(&l, u, n, sfn);
	ok(fat_lfn_take(&l, sfn, name) && !strcmp(name, "Thirteen.char"),
	   "13 characters: one full entry, no NUL");

	memset(&l, 0, sizeof(l));
	for (n = 0; n < 255; n++)
		u[n] = 'a' + n % 26;
	feed(&l, u, n, sfn);
	ok(fat_lfn_take(&l, sfn, name) && strlen(name) == 255, "255 characters in 20 parts");

	memset(&l, 0, sizeof(l));
	u[255] = 'x';
	feed(&l, u, 256, sfn);
	ok(!fat_lfn_take(&l, sfn, name) && l.broken, "256 characters: refused, flagged");

	memset(&l, 0, sizeof(l));
	n = ascii16(u, "A long name with spaces.bin");
	feed(&l, u, n, (const uint8_t *)"OTHER   BIN");
	ok(!fat_lfn_take(&l, sfn, name) && l.broken,
	   "parts of another 8.3 name (checksum): refused, flagged");

	memset(&l, 0, sizeof(l));
	lfn_entry(e, u, n, 3, true, fat_lfn_checksum(sfn));
	fat_lfn_add(&l, e);
	lfn_entry(e, u, n, 1, false, fat_lfn_checksum(sfn));
	fat_lfn_add(&l, e);
	ok(!fat_lfn_take(&l, sfn, name) && l.broken, "a part missing: refused, flagged");

	memset(&l, 0, sizeof(l));
	lfn_entry(e, u, n, 3, true, fat_lfn_checksum(sfn));
	fat_lfn_add(&l, e);
	fat_lfn_drop(&l);	/* a deleted entry in between */
	ok(!fat_lfn_take(&l, sfn, name) && l.broken, "interrupted by another entry: dropped");

	memset(&l, 0, sizeof(l));
	lfn_entry(e, u, n, 3, true, fat_lfn_checksum(sfn));
	fat_lfn_add(&l, e);	/* orphaned by the next name's first entry */
	feed(&l, u, 13, sfn);
	ok(fat_lfn_take(&l, sfn, name) && !strcmp(name, "A long name w") && l.broken,
	   "an orphaned part before a whole name: the name, flagged");

	memset(&l, 0, sizeof(l));
	lfn_entry(e, u, n, 21, true, fat_lfn_checksum(sfn));
	fat_lfn_add(&l, e);
	ok(!fat_lfn_take(&l, sfn, name) && l.broken, "part 21 of 20: refused");

	memset(&l, 0, sizeof(l));
	lfn_entry(e, u, 5, 1, true, fat_lfn_checksum(sfn));
	e[12] = 1;	/* must be 0 */
	fat_lfn_add(&l, e);
	ok(!fat_lfn_take(&l, sfn, name) && l.broken, "a long-name entry with byte 12 set: refused");

	memset(&l, 0, sizeof(l));
	ok(!fat_lfn_take(&l, sfn, name) && !l.broken, "no long name: nothing, nothing flagged");
}

static void utf8_is(const uint16_t *u, size_t n, const char *want, const char *what)
{
	char out[FAT_NAME_MAX];

	fat_utf16_to_utf8(u, n, out);
	ok(!strcmp(out, want), "UTF-8: %s", what);
}

static void test_utf8(void)
{
	static const uint16_t e_acute[] = { 0x00e9 }, euro[] = { 0x20ac },
		pair[] = { 0xd83d, 0xde00 }, lone_high[] = { 0xd83d, 'a' },
		lone_low[] = { 0xde00 }, high_last[] = { 'a', 0xd83d };
	uint16_t worst[255];
	char out[FAT_NAME_MAX], c[4];

	utf8_is(e_acute, 1, "\xc3\xa9", "two bytes");
	utf8_is(euro, 1, "\xe2\x82\xac", "three bytes");
	utf8_is(pair, 2, "\xf0\x9f\x98\x80", "a surrogate pair is one code point");
	utf8_is(lone_high, 2, "\xef\xbf\xbd" "a", "a lone high surrogate is U+FFFD");
	utf8_is(lone_low, 1, "\xef\xbf\xbd", "a lone low surrogate is U+FFFD");
	utf8_is(high_last, 2, "a\xef\xbf\xbd", "a high surrogate at the end is U+FFFD");

	is_int(fat_put_utf8(c, 0x7f), 1, "U+007F: one byte");
	is_int(fat_put_utf8(c, 0x80), 2, "U+0080: two bytes");
	is_int(fat_put_utf8(c, 0x7ff), 2, "U+07FF: two bytes");
	is_int(fat_put_utf8(c, 0x800), 3, "U+0800: three bytes");
	is_int(fat_put_utf8(c, 0xffff), 3, "U+FFFF: three bytes");
	is_int(fat_put_utf8(c, 0x10000), 4, "U+10000: four bytes");

	/* the longest UTF-8 a name can make fits FAT_NAME_MAX */
	for (size_t i = 0; i < 255; i++)
		worst[i] = 0xdc00;
	fat_utf16_to_utf8(worst, 255, out);
	is_int((int)strlen(out), 765, "255 lone surrogates: 765 bytes, within FAT_NAME_MAX");
}

static void short_is(const char *raw11, const char *want, const char *what)
{
	char out[13];

	fat_format_short((const uint8_t *)raw11, out);
	ok(!strcmp(out, want), "8.3 name: %s", what);
}

static void test_short(void)
{
	short_is("UPDATE  APP", "UPDATE.APP", "UPDATE.APP, the blanks cut");
	short_is("DLOAD      ", "DLOAD", "no extension, no dot");
	short_is("A       B  ", "A.B", "one letter each");
	short_is("ALONGN~1BIN", "ALONGN~1.BIN", "a full name and extension");
	short_is("\x05" "BC     TXT", "\xe5" "BC.TXT", "0x05 stands for a leading 0xE5");
}

int main(void)
{
	test_checksum();
	test_assembly();
	test_utf8();
	test_short();
	return done_testing();
}
