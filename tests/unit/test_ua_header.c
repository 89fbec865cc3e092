/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The 98 fixed bytes of an UPDATE.APP entry header (src/firmware/
 * updateapp_header.c): its fields, its checksum, and the form every known
 * file gives them, on the real header of doc/updateapp-format.md and on
 * variants of it one field at a time.
 */
#include <stdio.h>
#include <string.h>

#include "firmware/updateapp_private.h"
#include "tap.h"

/* doc/updateapp-format.md's example: entry INPUT, 40 bytes of data. */
static const char real_hex[] =
	"55aa5aa56400000001000000485738783235ffff000000fb28000000323031332e30332e3232"
	"00000000000031372e35392e33330000000000000000494e5055540000000000000000000000"
	"00000000000000000000000000000000968600100000";

static unsigned char real[UA_FIXED_HEADER];

static void load_real(void)
{
	for (size_t i = 0; i < UA_FIXED_HEADER; i++) {
		unsigned v;

		sscanf(real_hex + 2 * i, "%2x", &v);
		real[i] = (unsigned char)v;
	}
}

static void test_fields(void)
{
	struct ua_entry e;

	memset(&e, 0, sizeof(e));
	e.header_offset = 92;
	ua_header_fields(real, &e);
	ok(e.header_length == 100 && e.data_size == 40 && e.block_size == 4096 &&
	   e.block_count == 1, "lengths: header 100, data 40, one block of 4096");
	ok(!strcmp(e.hardware_id, "HW8x25") && !strcmp(e.name, "INPUT") &&
	   !strcmp(e.date, "2013.03.22") && !strcmp(e.time, "17.59.33"),
	   "hardware id, name, date and time up to their padding");
	ok(e.sequence == 0xfb000000u && e.header_crc == 0x8696 && !e.is_signature,
	   "sequence, stored checksum, not a signature");
	ok(e.data_offset == 192, "the data follows the header's 100 bytes");
	is_int(ua_header_crc(real), 0x8696, "the checksum recomputes to the stored one");
	is_int(ua_header_oddities(real), 0, "every field has the usual form");
	ok(ua_header_plausible(real), "a plausible header");
}

/* The real header with len bytes at off replaced. */
static unsigned oddities_with(size_t off, const void *bytes, size_t len)
{
	unsigned char h[UA_FIXED_HEADER];

	memcpy(h, real, sizeof(h));
	memcpy(h + off, bytes, len);
	return ua_header_oddities(h);
}

static void test_oddities(void)
{
	is_int(oddities_with(28, "2013.13.22", 10), UA_ODD_DATE, "month 13");
	is_int(oddities_with(28, "2013.03.00", 10), UA_ODD_DATE, "day 0");
	is_int(oddities_with(28, "2013-03-22", 10), UA_ODD_DATE, "dashes, not dots");
	is_int(oddities_with(38, "x", 1), UA_ODD_DATE, "bytes after the date");
	is_int(oddities_with(44, "24.00.00", 8), UA_ODD_TIME, "hour 24");
	is_int(oddities_with(44, "23.59.60", 8), 0, "second 60 (a leap second) is a time");
	is_int(oddities_with(44, "23.59.61", 8), UA_ODD_TIME, "second 61");
	is_int(oddities_with(12, "XW", 2), UA_ODD_HARDWARE_ID, "a hardware id without HW");
	is_int(oddities_with(14, " ", 1), UA_ODD_HARDWARE_ID, "a blank in the hardware id");
	is_int(oddities_with(60, "\0", 1), UA_ODD_NAME, "an empty name");
	is_int(oddities_with(62, " ", 1), UA_ODD_NAME, "a blank in the name");
	is_int(oddities_with(70, "x", 1), UA_ODD_NAME, "bytes after the name's NUL");
}

static void test_plausible(void)
{
	unsigned char h[UA_FIXED_HEADER];

	memcpy(h, real, sizeof(h));
	h[8] = 2;
	ok(!ua_header_plausible(h), "the constant is not 1: not a header");
	memcpy(h, real, sizeof(h));
	h[94] = h[95] = 0;
	ok(!ua_header_plausible(h), "block size 0: not a header");
	memcpy(h, real, sizeof(h));
	h[4] = 102;
	ok(!ua_header_plausible(h), "a header length that is not 98 + 2 x blocks: not a header");
	memcpy(h, real, sizeof(h));
	memcpy(h + 60, "SHA256RSA", 10);
	ok(ua_header_plausible(h) && ua_header_oddities(h) == 0, "another name: still a header");
}

static void test_signature(void)
{
	unsigned char h[UA_FIXED_HEADER];
	struct ua_entry e;

	memcpy(h, real, sizeof(h));
	memcpy(h + 60, "SHA256RSA", 10);
	memset(&e, 0, sizeof(e));
	ua_header_fields(h, &e);
	ok(e.is_signature, "SHA256RSA is a signature entry");
	memcpy(h + 60, "RSA\0\0\0\0\0\0", 10);
	ua_header_fields(h, &e);
	ok(!e.is_signature, "RSA alone is not");
}

int main(void)
{
	load_real();
	test_fields();
	test_oddities();
	test_plausible();
	test_signature();
	return done_testing();
}
