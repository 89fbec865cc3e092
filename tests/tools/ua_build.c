/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Builds UPDATE.APP containers for tests: see ua_build.h.
 *
 * An entry's checksum table precedes its data, so each entry's data is
 * generated twice: once to checksum it, once to write it.  The generator is
 * counter based (the word at offset w is a hash of the seed, the entry and
 * w), so regenerating costs only CPU time and no memory.
 */
#include "ua_build.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/crc16.h"
#include "lib/byteorder.h"

#define LEAD 92
#define FIXED 98
#define STD_BS 4096
#define CHUNK (1u << 20)

static const unsigned char magic[4] = { 0x55, 0xAA, 0x5A, 0xA5 };

static const char *const damage_names[UAB_DAMAGE_COUNT] = {
	[UAB_NONE] = "none",
	[UAB_HEADER_CRC] = "header-crc",
	[UAB_BLOCK_CRC] = "block-crc",
	[UAB_BAD_MAGIC] = "bad-magic",
	[UAB_BAD_HEADER_LENGTH] = "bad-header-length",
	[UAB_BAD_CONST] = "bad-const",
	[UAB_ZERO_BLOCK_SIZE] = "zero-block-size",
	[UAB_PADDING] = "padding",
	[UAB_HWID] = "hardware-id",
	[UAB_DATE] = "date",
	[UAB_TIME] = "time",
	[UAB_NAME] = "name",
	[UAB_NO_SIGNATURE] = "no-signature",
	[UAB_TRUNCATE] = "truncate",
	[UAB_TRAILING] = "trailing",
	[UAB_TRAILING_ZEROS] = "trailing-zeros",
	[UAB_LEADING_ZEROS] = "leading-zeros",
	[UAB_HTML] = "html",
	[UAB_ZIP] = "zip",
	[UAB_EMPTY] = "empty",
	[UAB_ZEROS] = "zeros",
	[UAB_UPDATE_BIN] = "updatebin",
	[UAB_TEXT] = "text",
	[UAB_RAR] = "rar",
};

const char *uab_damage_name(enum uab_damage_kind k)
{
	return (unsigned)k < UAB_DAMAGE_COUNT ? damage_names[k] : "?";
}

enum uab_damage_kind uab_damage_by_name(const char *name)
{
	for (int k = 0; k < UAB_DAMAGE_COUNT; k++)
		if (strcmp(name, damage_names[k]) == 0)
			return (enum uab_damage_kind)k;
	if (strcmp(name, "update-bin") == 0)
		return UAB_UPDATE_BIN;
	return UAB_NONE;
}

/* ---- layout -------------------------------------------------------------- */

uint32_t uab_data_size(const struct uab_entry *e)
{
	return e->text ? (uint32_t)strlen(e->text) : e->size;
}

static uint16_t bs_of(const struct uab_entry *e)
{
	return e->block_size ? e->block_size : STD_BS;
}

static uint64_t blocks_of(const struct uab_entry *e)
{
	return (uab_data_size(e) + (uint64_t)bs_of(e) - 1) / bs_of(e);
}

/* What the checker leaves out of a CRC list: signatures and CRC entries. */
static bool crc_covered(const struct uab_entry *e)
{
	size_t n = strlen(e->name);

	return !(n > 3 && strcmp(e->name + n - 3, "RSA") == 0) &&
	       strcmp(e->name, "CRC") != 0;
}

uint32_t uab_crc_list_size(const struct uab_spec *s)
{
	uint64_t pieces = 0;

	for (size_t i = 0; i < s->n; i++)
		if (crc_covered(&s->entries[i]))
			pieces += (uab_data_size(&s->entries[i]) + UAB_CRC_PIECE - 1) /
				  UAB_CRC_PIECE;
	return (uint32_t)(2 * pieces);
}

void uab_fix_crc_lists(struct uab_spec *s)
{
	uint32_t size = uab_crc_list_size(s);

	for (size_t i = 0; i < s->n; i++)
		if (s->entries[i].crc_list)
			s->entries[i].size = size;
}

static const struct uab_damage *find_damage(const struct uab_spec *s,
					    enum uab_damage_kind k)
{
	for (size_t i = 0; i < s->ndamage; i++)
		if (s->damage[i].kind == k)
			return &s->damage[i];
	return NULL;
}

static const struct uab_damage *entry_damage(const struct uab_spec *s,
					     enum uab_damage_kind k, size_t i)
{
	for (size_t d = 0; d < s->ndamage; d++)
		if (s->damage[d].kind == k && s->damage[d].entry == i)
			return &s->damage[d];
	return NULL;
}

static uint64_t lead_of(const struct uab_spec *s)
{
	const struct uab_damage *d = find_damage(s, UAB_LEADING_ZEROS);

	return d ? d->arg : LEAD;
}

void uab_layout(const struct uab_spec *s, size_t i, struct uab_layout *out)
{
	uint64_t off = lead_of(s);

	for (size_t j = 0; j <= i && j < s->n; j++) {
		const struct uab_entry *e = &s->entries[j];

		out->header_offset = off;
		out->header_length = (uint32_t)(FIXED + 2 * blocks_of(e));
		out->data_offset = off + out->header_length;
		out->data_size = uab_data_size(e);
		out->pad = (4 - (out->header_length + out->data_size) % 4) % 4;
		if (j == s->n - 1 && s->no_last_pad)
			out->pad = 0;
		out->end = out->data_offset + out->data_size + out->pad;
		off = out->end;
	}
}

uint64_t uab_container_size(const struct uab_spec *s)
{
	struct uab_layout l;

	if (s->n == 0)
		return lead_of(s);
	uab_layout(s, s->n - 1, &l);
	return l.end;
}

/* ---- spec helpers -------------------------------------------------------- */

struct uab_entry *uab_add(struct uab_spec *s, const char *name, uint32_t size)
{
	struct uab_entry *e;

	if (s->n >= UAB_MAX_ENTRIES)
		return NULL;
	e = &s->entries[s->n++];
	memset(e, 0, sizeof(*e));
	strncpy(e->name, name, sizeof(e->name) - 1);
	e->size = size;
	e->seq = 0xFB000000u + (uint32_t)s->n;
	return e;
}

struct uab_entry *uab_add_text(struct uab_spec *s, const char *name,
			       const char *text)
{
	struct uab_entry *e = uab_add(s, name, 0);

	if (e)
		e->text = text;
	return e;
}

int uab_add_damage(struct uab_spec *s, enum uab_damage_kind kind,
		   unsigned entry, uint64_t arg)
{
	if (s->ndamage >= UAB_MAX_DAMAGE)
		return -EINVAL;
	s->damage[s->ndamage].kind = kind;
	s->damage[s->ndamage].entry = entry;
	s->damage[s->ndamage].arg = arg;
	s->ndamage++;
	return 0;
}

/* The largest data size whose entry fits in room bytes. */
static uint32_t fill_size(uint64_t room, bool pad)
{
	uint64_t ds;

	if (room < FIXED)
		return 0;
	ds = (room - FIXED) * STD_BS / (STD_BS + 2);
	for (;;) {
		uint64_t hl = FIXED + 2 * ((ds + STD_BS - 1) / STD_BS);
		uint64_t p = pad ? (4 - (hl + ds) % 4) % 4 : 0;

		if (hl + ds + p <= room || ds == 0)
			break;
		ds--;
	}
	return ds > UINT32_MAX ? UINT32_MAX : (uint32_t)ds;
}

/* The CRC list's exact size, and the last filler grown or shrunk so that
 * the file keeps its size: a few rounds, as each changes the other. */
static void fit_crc_list(struct uab_spec *s, uint64_t total)
{
	struct uab_entry *last = s->n ? &s->entries[s->n - 1] : NULL;

	for (int round = 0; round < 8 && last && !last->crc_list; round++) {
		uint32_t want = uab_crc_list_size(s);
		uint64_t used = lead_of(s);
		struct uab_layout l;
		bool changed = false;

		for (size_t i = 0; i < s->n; i++)
			if (s->entries[i].crc_list && s->entries[i].size != want) {
				s->entries[i].size = want;
				changed = true;
			}
		if (!changed)
			return;
		if (s->n > 1) {
			uab_layout(s, s->n - 2, &l);
			used = l.end;
		}
		last->size = fill_size(total > used ? total - used : 0, !s->no_last_pad);
	}
	uab_fix_crc_lists(s);
}

int uab_default_spec(struct uab_spec *s, uint64_t total, size_t max_entries,
		     bool no_last_pad)
{
	return uab_default_spec_crc(s, total, max_entries, no_last_pad, false);
}

int uab_default_spec_crc(struct uab_spec *s, uint64_t total, size_t max_entries,
			 bool no_last_pad, bool foreign_crc)
{
	static const struct {
		const char *name;
		const char *text;
		uint32_t div, add;      /* size = total / div + add */
	} list[] = {
		{ "SHA256RSA", NULL, 0, 256 },
		{ "CRC", NULL, 16384, 2 },
		{ "CURVER", "S7-721uV100R001C00B008", 0, 0 },
		{ "VERLIST", "S7-721u V100R001C00B008\nS7-721w V100R001C00B008\nS7-722u V100R001C00B008\n", 0, 0 },
		{ "PACKAGE_TYPE", "normal", 0, 0 },
		{ "XLOADER", NULL, 256, 13 },
		{ "FASTBOOT", NULL, 128, 7 },
		{ "BOOT", NULL, 32, 1 },
		{ "RECOVERY", NULL, 32, 3 },
		{ "ERECOVERY_RAMDISK", NULL, 64, 5 },
		{ "RESERVED", NULL, 0, 0 },
	};
	/* Entries hold < 4 GiB each: big files get several fillers. */
	static const char *const fillers[] = { "SYSTEM", "CUST", "PRELOAD", "VENDOR" };
	const uint64_t filler_max = UINT64_C(3) << 30;
	size_t keep = sizeof(list) / sizeof(list[0]);

	memset(s, 0, sizeof(*s));
	s->seed = 1;
	s->no_last_pad = no_last_pad;
	if (max_entries && max_entries - 1 < keep)
		keep = max_entries - 1;
	for (size_t i = 0; i < keep; i++) {
		struct uab_entry *e = list[i].text ?
			uab_add_text(s, list[i].name, list[i].text) :
			uab_add(s, list[i].name,
				(uint32_t)((list[i].div ? total / list[i].div : 0) + list[i].add));
		if (!e)
			return -EINVAL;
		e->crc_list = !foreign_crc && strcmp(e->name, "CRC") == 0;
	}
	for (size_t f = 0; f < sizeof(fillers) / sizeof(fillers[0]); f++) {
		uint64_t used = uab_container_size(s);
		uint64_t room = total > used ? total - used : 0;
		if (f > 0 && room < FIXED)
			break;
		if (room > filler_max + FIXED + 2 * (filler_max / STD_BS) &&
		    f + 1 < sizeof(fillers) / sizeof(fillers[0])) {
			uab_add(s, fillers[f], (uint32_t)filler_max);
			continue;
		}
		uab_add(s, fillers[f], fill_size(room, !s->no_last_pad));
		break;
	}
	fit_crc_list(s, total);
	return uab_container_size(s) <= total + FIXED ? 0 : -EINVAL;
}

/* ---- output -------------------------------------------------------------- */

struct out {
	uab_write_fn fn;        /* NULL: count and checksum only */
	void *arg;
	uint64_t limit;         /* bytes still allowed through (truncation) */
	uint64_t written;
	bool want_crc32;
	uint32_t crc32;         /* of what passed, for a zip wrapper */
	int err;
	size_t have;
	unsigned char buf[1u << 16];
};

static uint32_t crc32_table[256];

static void crc32_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int b = 0; b < 8; b++)
			c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
		crc32_table[i] = c;
	}
}

static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t len)
{
	crc = ~crc;
	while (len--)
		crc = (crc >> 8) ^ crc32_table[(crc ^ *p++) & 0xff];
	return ~crc;
}

static void flush(struct out *o)
{
	if (o->have && o->fn && !o->err)
		o->err = o->fn(o->arg, o->buf, o->have);
	o->have = 0;
}

static void put(struct out *o, const void *p, size_t len)
{
	if (len > o->limit)
		len = (size_t)o->limit;
	if (len == 0 || o->err)
		return;
	o->limit -= len;
	o->written += len;
	if (o->want_crc32)
		o->crc32 = crc32_update(o->crc32, p, len);
	if (len > sizeof(o->buf) - o->have) {
		flush(o);
		if (len >= sizeof(o->buf)) {
			if (o->fn)
				o->err = o->fn(o->arg, p, len);
			return;
		}
	}
	memcpy(o->buf + o->have, p, len);
	o->have += len;
}

static void put_zeros(struct out *o, uint64_t n)
{
	static const unsigned char zeros[4096];

	while (n) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);

		put(o, zeros, k);
		n -= k;
	}
}

/* ---- data ---------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
	/* splitmix64's finaliser */
	x += UINT64_C(0x9E3779B97F4A7C15);
	x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

static void random_bytes(uint64_t key, uint64_t off, unsigned char *buf, size_t len)
{
	unsigned char w[8];

	/* The stream is the words mix(key + k), little-endian: any slice of it
	 * is the same bytes, however it is cut. */
	while (len) {
		size_t at = off % 8, n = 8 - at < len ? 8 - at : len;

		put_le64(w, mix(key + off / 8));
		memcpy(buf, w + at, n);
		buf += n;
		off += n;
		len -= n;
	}
}

/* crcl: the CRC list of the file (for crc_list entries), or NULL. */
static void gen_data(const struct uab_spec *s, const unsigned char *crcl, size_t i,
		     uint64_t off, unsigned char *buf, size_t len)
{
	const struct uab_entry *e = &s->entries[i];

	if (e->crc_list && crcl)
		memcpy(buf, crcl + off, len);
	else if (e->text)
		memcpy(buf, e->text + off, len);
	else
		random_bytes(mix(s->seed ^ ((uint64_t)(i + 1) << 40)), off, buf, len);
}

/* The checksum table of entry i, as it should be. */
static unsigned char *make_table(const struct uab_spec *s, const unsigned char *crcl,
				 size_t i, unsigned char *chunk)
{
	const struct uab_entry *e = &s->entries[i];
	uint64_t blocks = blocks_of(e), size = uab_data_size(e), off = 0;
	uint32_t bs = bs_of(e), in_block = 0;
	uint16_t crc = CRC16_X25_INIT;
	unsigned char *t = malloc(2 * blocks + 1);
	uint64_t b = 0;

	if (!t)
		return NULL;
	while (off < size) {
		size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;

		gen_data(s, crcl, i, off, chunk, n);
		for (size_t k = 0; k < n;) {
			size_t take = bs - in_block;

			if (take > n - k)
				take = n - k;
			crc = crc16_x25_update(crc, chunk + k, take);
			in_block += (uint32_t)take;
			k += take;
			if (in_block == bs || off + k == size) {
				put_le16(t + 2 * b++, crc);
				crc = CRC16_X25_INIT;
				in_block = 0;
			}
		}
		off += n;
	}
	return t;
}

static void make_header(const struct uab_spec *s, size_t i, unsigned char *h)
{
	const struct uab_entry *e = &s->entries[i];
	const char *hwid = e->hwid[0] ? e->hwid : "HW7x25";
	const char *name = e->name;
	uint32_t hl = (uint32_t)(FIXED + 2 * blocks_of(e));
	uint16_t bs = bs_of(e);

	if (entry_damage(s, UAB_HWID, i))
		hwid = "XY1234";
	if (entry_damage(s, UAB_NAME, i))
		name = "BAD\001NAME";
	if (i == 0 && find_damage(s, UAB_NO_SIGNATURE))
		name = "CERT";
	if (entry_damage(s, UAB_BAD_HEADER_LENGTH, i))
		hl += 2;
	if (entry_damage(s, UAB_ZERO_BLOCK_SIZE, i))
		bs = 0;

	memset(h, 0, FIXED);
	memcpy(h, magic, 4);
	put_le32(h + 4, hl);
	put_le32(h + 8, entry_damage(s, UAB_BAD_CONST, i) ? 2 : 1);
	memset(h + 12, 0xFF, 8);
	memcpy(h + 12, hwid, strlen(hwid) < 8 ? strlen(hwid) : 8);
	put_le32(h + 20, e->seq);
	put_le32(h + 24, uab_data_size(e));
	memcpy(h + 28, entry_damage(s, UAB_DATE, i) ? "2015-03-22" : "2015.03.22", 10);
	memcpy(h + 44, entry_damage(s, UAB_TIME, i) ? "25.61.00" : "17.59.33", 8);
	memcpy(h + 60, name, strlen(name) < 32 ? strlen(name) : 32);
	put_le16(h + 94, bs);
	put_le16(h + 92, crc16_x25(h, FIXED));
	if (entry_damage(s, UAB_BAD_MAGIC, i))
		h[0] ^= 0xFF;
	if (entry_damage(s, UAB_HEADER_CRC, i))
		h[92] ^= 0x5A;
}

static int write_entry(const struct uab_spec *s, const unsigned char *crcl, size_t i,
		       struct out *o, unsigned char *chunk)
{
	const struct uab_damage *bd = entry_damage(s, UAB_BLOCK_CRC, i);
	const struct uab_damage *pd = entry_damage(s, UAB_PADDING, i);
	struct uab_layout l;
	unsigned char h[FIXED];
	unsigned char *table;
	uint64_t flip = UINT64_MAX, off = 0;

	uab_layout(s, i, &l);
	if ((bd && l.data_size == 0) || (pd && l.pad == 0))
		return -EINVAL;
	if (bd) {
		uint64_t b = bd->arg < blocks_of(&s->entries[i]) ?
			     bd->arg : blocks_of(&s->entries[i]) - 1;

		flip = b * bs_of(&s->entries[i]);
	}
	table = make_table(s, crcl, i, chunk);
	if (!table)
		return -ENOMEM;
	make_header(s, i, h);
	put(o, h, FIXED);
	put(o, table, l.header_length - FIXED);
	free(table);

	while (off < l.data_size) {
		size_t n = l.data_size - off < CHUNK ? (size_t)(l.data_size - off) : CHUNK;

		gen_data(s, crcl, i, off, chunk, n);
		if (flip >= off && flip < off + n)
			chunk[flip - off] ^= 0x01;
		put(o, chunk, n);
		off += n;
	}
	if (pd) {
		unsigned char junk[3] = { 0xAA, 0xAA, 0xAA };

		put(o, junk, l.pad);
	} else {
		put_zeros(o, l.pad);
	}
	return o->err;
}

/* The CRC list of the layout over the entries of s, as they are before
 * any damage (a damaged block is what the list must catch); NULL when s
 * has no crc_list entry, or no memory (-ENOMEM in *err). */
static unsigned char *make_crc_list(const struct uab_spec *s, unsigned char *chunk,
				    int *err)
{
	uint32_t size = uab_crc_list_size(s), at = 0;
	unsigned char *list;
	bool want = false;

	for (size_t i = 0; i < s->n; i++)
		want |= s->entries[i].crc_list;
	if (!want)
		return NULL;
	list = malloc(size + 1);
	if (!list) {
		*err = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < s->n; i++) {
		uint32_t ds = uab_data_size(&s->entries[i]);

		if (!crc_covered(&s->entries[i]))
			continue;
		for (uint64_t off = 0; off < ds && at + 2 <= size; off += UAB_CRC_PIECE) {
			size_t n = ds - off < UAB_CRC_PIECE ? (size_t)(ds - off) : UAB_CRC_PIECE;

			gen_data(s, NULL, i, off, chunk, n);
			put_le16(list + at, crc16_x25(chunk, n));
			at += 2;
		}
	}
	return list;
}

static void write_trailing(const struct uab_spec *s, struct out *o, uint64_t n)
{
	unsigned char buf[4096];
	uint64_t off = 0;

	while (off < n) {
		size_t k = n - off < sizeof(buf) ? (size_t)(n - off) : sizeof(buf);

		random_bytes(mix(s->seed ^ 0x7A11), off, buf, k);
		/* Not the start of an entry header. */
		if (off == 0 && buf[0] == magic[0])
			buf[0] = 0x42;
		put(o, buf, k);
		off += k;
	}
}

static void write_update_bin(const struct uab_spec *s, struct out *o)
{
	unsigned char h[180 + 2 * 87];
	unsigned char rest[1024];

	/* The OpenHarmony layout: header TLV, time TLV, component TLV. */
	memset(h, 0, sizeof(h));
	put_le16(h, 0x0001);
	put_le16(h + 2, 136);
	put_le32(h + 4, 3 * 4 + 136 + 32 + 2 * 87 + 16);
	put_le32(h + 8, 0x03);
	strcpy((char *)h + 12, "ABC-AL00");
	strcpy((char *)h + 76, "ABC-AL00 5.0.0.110(C00E110R2P3)");
	put_le16(h + 140, 0x0002);
	put_le16(h + 142, 32);
	strcpy((char *)h + 144, "2024.10.01");
	strcpy((char *)h + 160, "12:00:00");
	put_le16(h + 176, 0x0005);
	put_le16(h + 178, 2 * 87);
	strcpy((char *)h + 180, "/version_list");
	strcpy((char *)h + 180 + 87, "/system");
	put(o, h, sizeof(h));
	random_bytes(mix(s->seed ^ 0xB1), 0, rest, sizeof(rest));
	put(o, rest, sizeof(rest));
}

static int write_content(const struct uab_spec *s, struct out *o)
{
	static const char html[] =
		"\xEF\xBB\xBF\n<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
		"<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>\n";
	static const char text[] =
		"Error 403: Forbidden. The download link has expired.\n";
	const struct uab_damage *d;
	unsigned char *chunk, *crcl;
	int err = 0;

	if (find_damage(s, UAB_EMPTY))
		return 0;
	if (find_damage(s, UAB_HTML)) {
		put(o, html, sizeof(html) - 1);
		return o->err;
	}
	if (find_damage(s, UAB_TEXT)) {
		put(o, text, sizeof(text) - 1);
		return o->err;
	}
	if (find_damage(s, UAB_ZEROS)) {
		put_zeros(o, uab_container_size(s));
		return o->err;
	}
	if (find_damage(s, UAB_UPDATE_BIN)) {
		write_update_bin(s, o);
		return o->err;
	}
	if (find_damage(s, UAB_RAR)) {
		put(o, "Rar!\x1a\x07\x01\x00", 8);
		write_trailing(s, o, 4088);
		return o->err;
	}

	if ((d = find_damage(s, UAB_TRUNCATE))) {
		uint64_t size = uab_container_size(s);

		o->limit = d->arg < size ? size - d->arg : 0;
	}
	chunk = malloc(CHUNK);
	if (!chunk)
		return -ENOMEM;
	crcl = make_crc_list(s, chunk, &err);
	put_zeros(o, lead_of(s));
	for (size_t i = 0; i < s->n && !err; i++)
		err = write_entry(s, crcl, i, o, chunk);
	free(crcl);
	free(chunk);
	if (err)
		return err;
	o->limit = UINT64_MAX;
	if ((d = find_damage(s, UAB_TRAILING)))
		write_trailing(s, o, d->arg);
	if ((d = find_damage(s, UAB_TRAILING_ZEROS)))
		put_zeros(o, d->arg);
	return o->err;
}

/* ---- zip wrapper --------------------------------------------------------- */

/*
 * A stored (uncompressed) zip: each file as a local header with its CRC-32
 * and sizes, then the central directory.  The container is generated twice:
 * once for its CRC-32 and size, once to write it.
 */
struct zip_file {
	const char *name;
	uint32_t crc, size, offset;
};

#define ZIP_DOS_DATE ((2015 - 1980) << 9 | 3 << 5 | 22)

static void zip_local(struct out *o, const struct zip_file *f)
{
	unsigned char h[30];
	size_t nlen = strlen(f->name);

	memset(h, 0, sizeof(h));
	put_le32(h, 0x04034b50);
	put_le16(h + 4, 10);
	put_le16(h + 12, ZIP_DOS_DATE);
	put_le32(h + 14, f->crc);
	put_le32(h + 18, f->size);
	put_le32(h + 22, f->size);
	put_le16(h + 26, (uint16_t)nlen);
	put(o, h, sizeof(h));
	put(o, f->name, nlen);
}

static void zip_central(struct out *o, const struct zip_file *f)
{
	unsigned char h[46];
	size_t nlen = strlen(f->name);

	memset(h, 0, sizeof(h));
	put_le32(h, 0x02014b50);
	put_le16(h + 4, 0x031E);            /* made by: Unix, zip 3.0 */
	put_le16(h + 6, 10);
	put_le16(h + 14, ZIP_DOS_DATE);
	put_le32(h + 16, f->crc);
	put_le32(h + 20, f->size);
	put_le32(h + 24, f->size);
	put_le16(h + 28, (uint16_t)nlen);
	put_le32(h + 38, 0100644u << 16);
	put_le32(h + 42, f->offset);
	put(o, h, sizeof(h));
	put(o, f->name, nlen);
}

static const char zip_extra_text[] = "Not the firmware: an extra file.\n";

static int write_zip(const struct uab_spec *s, const char *path, struct out *o)
{
	struct zip_file files[UAB_MAX_ZIP_EXTRA + 1];
	struct out *count = calloc(1, sizeof(*count));
	size_t n = 0;
	uint32_t cd_start;
	unsigned char end[22];
	int err;

	if (!count)
		return -ENOMEM;
	count->limit = UINT64_MAX;
	count->want_crc32 = true;
	err = write_content(s, count);
	if (!err && count->written >= UINT32_MAX)
		err = -EFBIG;       /* would need zip64 */
	if (err) {
		free(count);
		return err;
	}
	for (size_t i = 0; i < s->nzip_extra; i++) {
		files[n].name = s->zip_extra[i];
		files[n].size = sizeof(zip_extra_text) - 1;
		files[n].crc = crc32_update(0, (const unsigned char *)zip_extra_text,
					    files[n].size);
		files[n].offset = (uint32_t)o->written;
		zip_local(o, &files[n]);
		put(o, zip_extra_text, files[n].size);
		n++;
	}
	files[n].name = path;
	files[n].size = (uint32_t)count->written;
	files[n].crc = count->crc32;
	files[n].offset = (uint32_t)o->written;
	free(count);
	zip_local(o, &files[n]);
	err = write_content(s, o);
	if (err)
		return err;
	n++;

	cd_start = (uint32_t)o->written;
	for (size_t i = 0; i < n; i++)
		zip_central(o, &files[i]);
	memset(end, 0, sizeof(end));
	put_le32(end, 0x06054b50);
	put_le16(end + 8, (uint16_t)n);
	put_le16(end + 10, (uint16_t)n);
	put_le32(end + 12, (uint32_t)o->written - cd_start);
	put_le32(end + 16, cd_start);
	put(o, end, sizeof(end));
	return o->err;
}

/* ---- entry points -------------------------------------------------------- */

int uab_write(const struct uab_spec *s, uab_write_fn fn, void *arg)
{
	struct out *o = calloc(1, sizeof(*o));
	const char *zip = s->zip_path;
	int err;

	if (!o)
		return -ENOMEM;
	for (size_t d = 0; d < s->ndamage; d++)
		if (s->damage[d].kind < UAB_TRUNCATE && s->damage[d].entry >= s->n) {
			free(o);
			return -EINVAL;
		}
	if (!crc32_table[1])
		crc32_init();
	o->fn = fn;
	o->arg = arg;
	o->limit = UINT64_MAX;
	if (!zip && find_damage(s, UAB_ZIP))
		zip = "dload/UPDATE.APP";
	err = zip ? write_zip(s, zip, o) : write_content(s, o);
	flush(o);
	if (!err)
		err = o->err;
	free(o);
	return err;
}

int uab_mem_write(void *arg, const void *buf, size_t len)
{
	struct uab_mem *m = arg;

	if (len > m->cap - m->len) {
		size_t cap = m->cap ? m->cap : 4096;
		void *p;

		while (cap - m->len < len)
			cap *= 2;
		p = realloc(m->buf, cap);
		if (!p)
			return -ENOMEM;
		m->buf = p;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

unsigned char *uab_build(const struct uab_spec *s, size_t *len)
{
	struct uab_mem m = { 0 };

	if (uab_write(s, uab_mem_write, &m) < 0) {
		free(m.buf);
		return NULL;
	}
	*len = m.len;
	/* An empty file is a valid result: return a non-NULL pointer. */
	return m.buf ? m.buf : malloc(1);
}
