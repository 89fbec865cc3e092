/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Long names (VFAT): up to 20 entries of 13 UCS-2 characters each, stored
 * last part first before their 8.3 entry, and tied to it by a checksum of
 * the 8.3 name.  Parts out of order, orphaned or with the wrong checksum
 * are dropped (the 8.3 name is shown, and the entry flagged), as Windows
 * and Linux do.  Names become UTF-8.
 */
#include "fat/fat_private.h"

#define LFN_MAX_NAME 255u

uint8_t fat_lfn_checksum(const uint8_t *name11)
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name11[i]);
	return sum;
}

void fat_lfn_drop(struct fat_lfn *lfn)
{
	if (lfn->active)
		lfn->broken = true;
	lfn->active = false;
}

/* The 13 UCS-2 characters of a long-name entry sit in three places. */
void fat_lfn_add(struct fat_lfn *lfn, const uint8_t *e)
{
	static const uint8_t where[LFN_CHARS] = {
		1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30
	};
	unsigned seq = e[0] & 0x1f;

	if (e[0] & 0x40) {
		fat_lfn_drop(lfn);	/* a new name starts: the old one is orphaned */
		if (seq == 0 || seq > LFN_MAX_ENTRIES || e[12] != 0) {
			lfn->broken = true;
			return;
		}
		lfn->active = true;
		lfn->count = seq;
		lfn->next = seq;
		lfn->sum = e[13];
	} else if (!lfn->active || seq == 0 || seq != lfn->next ||
		   e[13] != lfn->sum) {
		fat_lfn_drop(lfn);
		lfn->broken = true;
		return;
	}
	for (unsigned i = 0; i < LFN_CHARS; i++)
		lfn->name[(seq - 1) * LFN_CHARS + i] = get_le16(e + where[i]);
	lfn->next = seq - 1;
}

size_t fat_put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At most 3 bytes a unit (a pair makes 4 of 2), so 255 units fit FAT_NAME_MAX. */
void fat_utf16_to_utf8(const uint16_t *u, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t cp = u[i];

		if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n &&
		    u[i + 1] >= 0xdc00 && u[i + 1] <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (u[i + 1] - 0xdc00);
			i++;
		} else if (cp >= 0xd800 && cp <= 0xdfff) {
			cp = 0xfffd;
		}
		o += fat_put_utf8(out + o, cp);
	}
	out[o] = '\0';
}

bool fat_lfn_take(struct fat_lfn *lfn, const uint8_t *e, char name[FAT_NAME_MAX])
{
	size_t n = 0, max;

	if (!lfn->active)
		return false;
	lfn->active = false;
	if (lfn->next != 0 || fat_lfn_checksum(e) != lfn->sum) {
		lfn->broken = true;
		return false;
	}
	max = (size_t)lfn->count * LFN_CHARS;
	while (n < max && lfn->name[n] != 0)
		n++;
	if (n == 0 || n > LFN_MAX_NAME) {
		lfn->broken = true;
		return false;
	}
	fat_utf16_to_utf8(lfn->name, n, name);
	return true;
}

