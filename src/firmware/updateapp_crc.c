/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The CRC entry of an UPDATE.APP (doc/updateapp-format.md): one CRC-16/X-25
 * of every 32 KiB piece of every entry's data, the signatures and the CRC
 * entry itself left out, in entry order, the last piece of each entry
 * short.  Its length says how much data the file must hold, so a file cut
 * exactly at an entry boundary, which every other check passes, is caught.
 *
 * The layout comes from one public library and is unconfirmed on a real
 * file, so a CRC entry that does not fit it is "not understood", never an
 * error: only a list whose checksums match every piece present and that
 * goes on past the end of the file says the file was cut.
 *
 * Streaming, as the checker: the CRC entry's data is kept (at most
 * UA_MAX_CRC_BYTES) and each piece's CRC recorded as the data passes, so
 * the CRC entry may come before or after the entries it covers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/crc16.h"
#include "firmware/updateapp_private.h"
#include "lib/byteorder.h"
#include "lib/nls.h"

struct ua_crcent {
	int entry;              /* the (first) CRC entry's index, or -1 */
	bool kept;              /* its data has the layout's form, and is kept */
	unsigned char *list;
	size_t list_len, list_have;
	bool in_list;           /* the entry being read is that CRC entry */

	uint16_t *pieces;       /* the CRC of each piece, in file order */
	size_t n, cap;
	bool lost;              /* a piece could not be recorded */
	bool covered;           /* the entry being read is one the list covers */
	uint16_t crc;           /* of the current piece so far */
	uint32_t pos;           /* bytes of the current piece so far */
};

struct ua_crcent *ua_crcent_new(void)
{
	struct ua_crcent *k = calloc(1, sizeof(*k));

	if (k)
		k->entry = -1;
	return k;
}

void ua_crcent_free(struct ua_crcent *k)
{
	if (!k)
		return;
	free(k->list);
	free(k->pieces);
	free(k);
}

bool ua_crcent_is_crc_name(const char *name)
{
	return strcmp(name, "CRC") == 0;
}

void ua_crcent_begin(struct ua_crcent *k, const struct ua_entry *e)
{
	k->in_list = false;
	k->covered = false;
	if (ua_crcent_is_crc_name(e->name)) {
		if (k->entry >= 0)
			return;         /* a second one: neither kept nor covered */
		k->entry = (int)e->index;
		k->kept = e->data_size > 0 && e->data_size % 2 == 0 &&
			  e->data_size <= UA_MAX_CRC_BYTES;
		if (k->kept) {
			k->list = malloc(e->data_size);
			if (!k->list) {
				k->kept = false;
				k->lost = true;
				return;
			}
			k->list_len = e->data_size;
			k->list_have = 0;
			k->in_list = true;
		}
		return;
	}
	if (e->is_signature)
		return;
	k->covered = true;
	k->crc = CRC16_X25_INIT;
	k->pos = 0;
}

static void push(struct ua_crcent *k)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 1024;
		void *p;

		if (cap > UA_MAX_CRC_BYTES / 2 ||
		    !(p = realloc(k->pieces, cap * sizeof(*k->pieces)))) {
			k->lost = true;
			return;
		}
		k->pieces = p;
		k->cap = cap;
	}
	k->pieces[k->n++] = k->crc;
	k->crc = CRC16_X25_INIT;
	k->pos = 0;
}

void ua_crcent_data(struct ua_crcent *k, const unsigned char *p, size_t len)
{
	if (k->in_list) {
		size_t n = len < k->list_len - k->list_have ? len : k->list_len - k->list_have;

		memcpy(k->list + k->list_have, p, n);
		k->list_have += n;
	}
	while (k->covered && !k->lost && len) {
		size_t take = UA_CRC_PIECE - k->pos;

		if (take > len)
			take = len;
		k->crc = crc16_x25_update(k->crc, p, take);
		k->pos += (uint32_t)take;
		p += take;
		len -= take;
		if (k->pos == UA_CRC_PIECE)
			push(k);
	}
}

void ua_crcent_end(struct ua_crcent *k)
{
	if (k->covered && !k->lost && k->pos)
		push(k);        /* the entry's last piece, short */
	k->covered = false;
	k->in_list = false;
}

void ua_crcent_judge(const struct ua_crcent *k, bool damaged, struct ua_crc_summary *s)
{
	uint64_t listed = k->list_len / 2, common;

	memset(s, 0, sizeof(*s));
	s->entry = k->entry;
	s->pieces = k->n;
	if (k->entry < 0) {
		s->result = UA_CRC_ABSENT;
		return;
	}
	if (damaged || k->lost || (k->kept && k->list_have != k->list_len)) {
		s->result = UA_CRC_NOT_JUDGED;
		return;
	}
	if (!k->kept) {
		s->result = UA_CRC_UNKNOWN;
		return;
	}
	s->listed = listed;
	common = listed < k->n ? listed : k->n;
	while (s->matched < common &&
	       get_le16(k->list + 2 * s->matched) == k->pieces[s->matched])
		s->matched++;
	if (s->matched == k->n)
		s->result = listed == k->n ? UA_CRC_PASS : UA_CRC_CUT;
	else if (s->matched == 0)
		s->result = UA_CRC_UNKNOWN;
	else
		s->result = UA_CRC_MISMATCH;
}
