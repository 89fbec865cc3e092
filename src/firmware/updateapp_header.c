/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The 98 fixed bytes that start every entry of an UPDATE.APP
 * (doc/updateapp-format.md): its fields, its checksum, and the form every
 * known file gives them.  Pure functions of the bytes; what a finding says
 * about them is the parser's.
 */
#include <string.h>

#include "firmware/crc16.h"
#include "firmware/updateapp_private.h"
#include "lib/byteorder.h"

/* p matches shape ('d' a digit, other bytes themselves), then NULs to 16. */
static bool shaped(const unsigned char *p, const char *shape)
{
	size_t n = strlen(shape);

	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? (p[i] < '0' || p[i] > '9') : p[i] != shape[i])
			return false;
	for (size_t i = n; i < 16; i++)
		if (p[i])
			return false;
	return true;
}

static int two_digits(const unsigned char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

static bool valid_date(const unsigned char *p)
{
	int mon = two_digits(p + 5), day = two_digits(p + 8);

	return shaped(p, "dddd.dd.dd") && mon >= 1 && mon <= 12 && day >= 1 && day <= 31;
}

static bool valid_time(const unsigned char *p)
{
	return shaped(p, "dd.dd.dd") && two_digits(p) < 24 && two_digits(p + 3) < 60 &&
	       two_digits(p + 6) < 61;
}

static bool valid_hwid(const unsigned char *p)
{
	/* "HW...", printable, then 0xFF to the end of the 8 bytes */
	int i = 0;

	if (p[0] != 'H' || p[1] != 'W')
		return false;
	while (i < 8 && p[i] != 0xFF) {
		if (!ua_is_print(p[i]) || p[i] == ' ')
			return false;
		i++;
	}
	return true;
}

static bool valid_name(const unsigned char *p)
{
	/* printable, NUL terminated, zeros to the end of the 32 bytes */
	int i = 0;

	while (i < 32 && p[i]) {
		if (!ua_is_print(p[i]) || p[i] == ' ')
			return false;
		i++;
	}
	if (i == 0)
		return false;
	for (; i < 32; i++)
		if (p[i])
			return false;
	return true;
}

static bool is_signature_name(const char *name)
{
	size_t n = strlen(name);

	/* MD5RSA, SHA256RSA, ... */
	return n > 3 && strcmp(name + n - 3, "RSA") == 0;
}

void ua_header_fields(const unsigned char h[UA_FIXED_HEADER], struct ua_entry *e)
{
	e->header_length = get_le32(h + 4);
	ua_field_str(e->hardware_id, sizeof(e->hardware_id), h + 12, 8, 0xFF);
	e->sequence = get_le32(h + 20);
	e->data_size = get_le32(h + 24);
	ua_field_str(e->date, sizeof(e->date), h + 28, 16, 0);
	ua_field_str(e->time, sizeof(e->time), h + 44, 16, 0);
	ua_field_str(e->name, sizeof(e->name), h + 60, 32, 0);
	e->header_crc = get_le16(h + 92);
	e->block_size = get_le16(h + 94);
	e->block_count = (uint32_t)ua_blocks_for(e->data_size, e->block_size);
	e->is_signature = is_signature_name(e->name);
	e->data_offset = e->header_offset + e->header_length;
}

uint16_t ua_header_crc(const unsigned char h[UA_FIXED_HEADER])
{
	unsigned char tmp[UA_FIXED_HEADER];

	/* The checksum covers the fixed part with itself as zero. */
	memcpy(tmp, h, sizeof(tmp));
	tmp[92] = tmp[93] = 0;
	return crc16_x25(tmp, sizeof(tmp));
}

unsigned ua_header_oddities(const unsigned char h[UA_FIXED_HEADER])
{
	return (valid_hwid(h + 12) ? 0 : UA_ODD_HARDWARE_ID) |
	       (valid_date(h + 28) ? 0 : UA_ODD_DATE) |
	       (valid_time(h + 44) ? 0 : UA_ODD_TIME) |
	       (valid_name(h + 60) ? 0 : UA_ODD_NAME);
}

bool ua_header_plausible(const unsigned char h[UA_FIXED_HEADER])
{
	uint32_t hl = get_le32(h + 4), ds = get_le32(h + 24);
	uint16_t bs = get_le16(h + 94);

	return get_le32(h + 8) == 1 && bs != 0 &&
	       hl == UA_FIXED_HEADER + 2 * ua_blocks_for(ds, bs);
}
