/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * UPDATE.APP checker: a streaming parser of the container described in
 * doc/updateapp-format.md.
 *
 * The file is consumed as a sequence of regions, each a state below: the
 * leading zeros, then per entry its 98 fixed header bytes, its checksum
 * table, its data (checked block by block as it passes) and 0-3 pad bytes.
 * Only the fixed header and the current entry's table are buffered, so any
 * chunking of the input gives the same result and memory stays bounded.
 *
 * The header's fields are read by updateapp_header.c, a file that is no
 * UPDATE.APP is named by updateapp_sniff.c, and the words of each finding
 * kind are in updateapp_names.c.
 */
#include "firmware/updateapp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/crc16.h"
#include "firmware/updateapp_private.h"
#include "lib/byteorder.h"
#include "lib/nls.h"

#define PREFIX_MAX 512          /* first bytes kept for ua_sniff() */
#define TEXT_TOTAL_MAX (64u << 10)  /* all entry texts together */
#define STD_BLOCK_SIZE 4096

enum state {
	S_LEAD,         /* zeros before the first entry */
	S_HEADER,       /* the 98 fixed header bytes of an entry */
	S_TABLE,        /* its per-block checksum table */
	S_DATA,         /* its data */
	S_PAD,          /* 0-3 pad bytes after the data */
	S_TRAILING,     /* bytes after the last entry */
	S_SKIP,         /* structure lost: the rest is not parsed */
	S_NOT_UA,       /* not an UPDATE.APP: classified at the end */
};

struct ua_check {
	uint64_t file_size;
	uint64_t pos;                   /* bytes consumed */
	enum state state;
	bool finished;
	int err;
	enum ua_verdict verdict;

	unsigned char prefix[PREFIX_MAX];
	size_t prefix_len;
	bool lead_resolved;             /* entry 0's magic found */

	/* The entry being read. */
	struct ua_entry cur;
	bool cur_parsed;                /* its fixed header was read */
	unsigned char hdr[UA_FIXED_HEADER];
	size_t hdr_have;
	unsigned char *table;
	size_t table_cap;
	uint64_t table_len;
	uint64_t table_have;
	bool keep_table;
	bool verify_blocks;
	uint64_t data_done;
	uint32_t block_pos;
	uint16_t block_crc;
	uint16_t zero_crc;              /* CRC of a whole block of zeros */
	uint16_t zero_crc_bs;           /* block size zero_crc is for */
	uint32_t zero_bad_blocks;
	bool keep_text;
	unsigned char text[UA_TEXT_MAX];
	uint32_t pad_left;
	/* Non-zero pad bytes are judged once we know what follows them:
	 * before another entry they are bad padding, before no entry they
	 * are the start of trailing garbage. */
	bool pad_nonzero;
	uint64_t pad_start;
	unsigned pad_entry;

	/* After the last entry. */
	uint64_t trailing_start;
	bool trailing_nonzero;
	bool trailing_copy;             /* looks like a second UPDATE.APP */

	struct ua_entry *entries;
	size_t n_entries, cap_entries;
	uint64_t entries_seen;
	size_t text_total;

	struct ua_crcent *crcent;       /* the CRC entry and the pieces */
	struct ua_crc_summary crc;      /* its judgement, at the end */

	struct ua_finding *findings;
	size_t n_findings, cap_findings;
	uint64_t dropped;
	uint64_t count[3];
	bool not_ua;
};

/* ---- findings ------------------------------------------------------------ */

static void mark_entry(struct ua_check *c, int entry, enum ua_severity sev)
{
	struct ua_entry *e = NULL;
	enum ua_entry_result r;

	if (entry < 0 || sev == UA_INFO)
		return;
	if ((unsigned)entry == c->cur.index && c->state != S_LEAD)
		e = &c->cur;
	else if ((size_t)entry < c->n_entries)
		e = &c->entries[entry];
	if (!e)
		return;
	r = sev == UA_ERROR ? UA_ENTRY_DAMAGED : UA_ENTRY_WARNING;
	if (e->result < r)
		e->result = r;
}

static void finding(struct ua_check *c, enum ua_kind kind, int entry,
		    uint64_t offset, uint64_t value, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void finding(struct ua_check *c, enum ua_kind kind, int entry,
		    uint64_t offset, uint64_t value, const char *fmt, ...)
{
	enum ua_severity sev = ua_kind_severity(kind);
	struct ua_finding *f;
	va_list ap;
	char *msg;
	int n;

	c->count[sev]++;
	if (kind <= UA_K_UNKNOWN_FORMAT)
		c->not_ua = true;
	mark_entry(c, entry, sev);

	if (c->n_findings >= UA_MAX_FINDINGS) {
		c->dropped++;
		return;
	}
	if (c->n_findings == c->cap_findings) {
		size_t cap = c->cap_findings ? c->cap_findings * 2 : 16;
		void *p = realloc(c->findings, cap * sizeof(*c->findings));

		if (!p) {
			c->err = -ENOMEM;
			c->dropped++;
			return;
		}
		c->findings = p;
		c->cap_findings = cap;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!msg) {
		c->err = -ENOMEM;
		c->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (msg[0] >= 'a' && msg[0] <= 'z')
		msg[0] = (char)(msg[0] - 'a' + 'A');    /* "entry 3 (BOOT): ..." */

	f = &c->findings[c->n_findings++];
	f->severity = sev;
	f->kind = kind;
	f->entry = entry;
	f->offset = offset;
	f->value = value;
	f->message = msg;
	f->advice = ua_kind_advice(kind);
}

/* "entry 3 (BOOT)" for messages; one static buffer per checker call. */
static const char *ename(const struct ua_entry *e, char *buf, size_t len)
{
	if (e->name[0])
		snprintf(buf, len, _("entry %u (%s)"), e->index, e->name);
	else
		snprintf(buf, len, _("entry %u"), e->index);
	return buf;
}

#define ENAME(e) ename((e), (char[64]){ 0 }, 64)

/* ---- entries ------------------------------------------------------------- */

static void store_entry(struct ua_check *c)
{
	c->entries_seen++;
	if (c->n_entries >= UA_MAX_ENTRIES) {
		if (c->entries_seen == UA_MAX_ENTRIES + 1)
			finding(c, UA_K_TOO_MANY_ENTRIES, -1, c->cur.header_offset,
				UA_MAX_ENTRIES,
				_("The file has more than %u entries; only the first %u are listed (real firmware has a few dozen)."),
				UA_MAX_ENTRIES, UA_MAX_ENTRIES);
		free((void *)c->cur.text);
		c->cur.text = NULL;
		return;
	}
	if (c->n_entries == c->cap_entries) {
		size_t cap = c->cap_entries ? c->cap_entries * 2 : 32;
		void *p = realloc(c->entries, cap * sizeof(*c->entries));

		if (!p) {
			c->err = -ENOMEM;
			free((void *)c->cur.text);
			c->cur.text = NULL;
			return;
		}
		c->entries = p;
		c->cap_entries = cap;
	}
	c->entries[c->n_entries++] = c->cur;
	c->cur.text = NULL;
}

/* Small printable entries (version lists, package type) are kept as text so
 * that a user sees which device and build the file is for. */
static void keep_text(struct ua_check *c)
{
	size_t n = c->cur.data_size;
	char *t;

	while (n > 0 && (c->text[n - 1] == 0 || c->text[n - 1] == ' ' ||
			 c->text[n - 1] == '\n' || c->text[n - 1] == '\r' ||
			 c->text[n - 1] == '\t'))
		n--;
	if (n == 0 || !ua_is_ascii_text(c->text, n))
		return;
	t = malloc(n + 1);
	if (!t) {
		c->err = -ENOMEM;
		return;
	}
	memcpy(t, c->text, n);
	t[n] = '\0';
	c->cur.text = t;
	c->text_total += n + 1;
}

static void next_entry(struct ua_check *c)
{
	unsigned index = c->cur.index + 1;

	store_entry(c);
	memset(&c->cur, 0, sizeof(c->cur));
	c->cur.index = index;
	c->cur.header_offset = c->pos;
	c->cur_parsed = false;
	c->hdr_have = 0;
	c->state = S_HEADER;
}

/* Entries end on a 4-byte boundary. */
static uint32_t pad_for(uint32_t hl, uint32_t ds)
{
	return (4 - (uint32_t)(((uint64_t)hl + ds) % 4)) % 4;
}

static void start_pad(struct ua_check *c)
{
	c->pad_left = pad_for(c->cur.header_length, c->cur.data_size);
	c->pad_nonzero = false;
	c->pad_start = c->pos;
	c->pad_entry = c->cur.index;
	if (c->pad_left)
		c->state = S_PAD;
	else
		next_entry(c);
}

static void end_data(struct ua_check *c)
{
	struct ua_entry *e = &c->cur;

	if (e->bad_blocks) {
		char zeros[160] = "";

		if (c->zero_bad_blocks == e->bad_blocks)
			snprintf(zeros, sizeof(zeros),
				 "%s", P_(" It holds only zero bytes: that part of the file was never written (an incomplete download or copy).",
					  " They all hold only zero bytes: that part of the file was never written (an incomplete download or copy).",
					  e->bad_blocks));
		else if (c->zero_bad_blocks)
			snprintf(zeros, sizeof(zeros),
				 _(" %" PRIu32 " of them hold only zero bytes, as if never written."),
				 c->zero_bad_blocks);
		finding(c, UA_K_BLOCK_CRC, (int)e->index, e->first_bad_offset,
			e->bad_blocks,
			_("%s: %" PRIu32 " of %" PRIu32 " data blocks fail their checksum, the first at byte %" PRIu64 " (0x%" PRIX64 "): the data changed after the file was made (a damaged download, a bad copy, or a failing disk or card).%s"),
			ENAME(e), e->bad_blocks, e->block_count,
			e->first_bad_offset, e->first_bad_offset, zeros);
	}
	if (c->keep_text)
		keep_text(c);
	ua_crcent_end(c->crcent);
	start_pad(c);
}

static void check_block(struct ua_check *c, uint32_t len)
{
	struct ua_entry *e = &c->cur;
	uint32_t i = e->blocks_checked;
	uint16_t want = get_le16(c->table + 2 * (size_t)i);

	if (c->block_crc != want) {
		if (e->bad_blocks++ == 0)
			e->first_bad_offset = e->data_offset + (uint64_t)i * e->block_size;
		if (len == e->block_size && c->block_crc == c->zero_crc)
			c->zero_bad_blocks++;
	}
	e->blocks_checked++;
}

static uint16_t crc_of_zeros(uint32_t len)
{
	static const unsigned char zeros[4096];
	uint16_t crc = CRC16_X25_INIT;

	while (len) {
		uint32_t n = len < sizeof(zeros) ? len : sizeof(zeros);

		crc = crc16_x25_update(crc, zeros, n);
		len -= n;
	}
	return crc;
}

static void start_data(struct ua_check *c)
{
	struct ua_entry *e = &c->cur;

	e->data_offset = c->pos;
	c->data_done = 0;
	c->block_pos = 0;
	c->block_crc = CRC16_X25_INIT;
	c->zero_bad_blocks = 0;
	if (c->verify_blocks && c->zero_crc_bs != e->block_size) {
		c->zero_crc = crc_of_zeros(e->block_size);
		c->zero_crc_bs = e->block_size;
	}
	c->keep_text = e->data_size > 0 && e->data_size <= UA_TEXT_MAX &&
		       !e->is_signature &&
		       c->text_total + e->data_size < TEXT_TOTAL_MAX;
	ua_crcent_begin(c->crcent, e);
	if (e->data_size == 0)
		end_data(c);
	else
		c->state = S_DATA;
}

/* ---- header checks --------------------------------------------------------- */

static void check_heuristics(struct ua_check *c)
{
	unsigned odd = ua_header_oddities(c->hdr);
	struct ua_entry *e = &c->cur;
	int idx = (int)e->index;
	uint64_t off = e->header_offset;

	if (odd & UA_ODD_HARDWARE_ID)
		finding(c, UA_K_HARDWARE_ID, idx, off + 12, 0,
			_("%s: the hardware id \"%s\" does not have the usual form (\"HW\", then letters, padded with FF bytes)."),
			ENAME(e), e->hardware_id);
	if (odd & UA_ODD_DATE)
		finding(c, UA_K_DATE, idx, off + 28, 0,
			_("%s: the date \"%s\" is not of the form YYYY.MM.DD."),
			ENAME(e), e->date);
	if (odd & UA_ODD_TIME)
		finding(c, UA_K_TIME, idx, off + 44, 0,
			_("%s: the time \"%s\" is not of the form HH.MM.SS."),
			ENAME(e), e->time);
	if (odd & UA_ODD_NAME)
		finding(c, UA_K_NAME, idx, off + 60, 0,
			_("%s: the entry name is empty or holds unprintable bytes."),
			ENAME(e));
	if (e->block_size && e->block_size != STD_BLOCK_SIZE)
		finding(c, UA_K_BLOCK_SIZE, idx, off + 94, e->block_size,
			_("%s: block size %u, where every known file uses %u."),
			ENAME(e), e->block_size, STD_BLOCK_SIZE);
	if (e->is_signature)
		finding(c, UA_K_SIGNATURE, idx, off, e->data_size,
			_("%s is Huawei's signature over the firmware (%" PRIu32 " bytes); it cannot be checked without Huawei's key, and the device checks it itself."),
			ENAME(e), e->data_size);
	if (idx == 0 && !e->is_signature && strcmp(e->name, "INPUT") != 0)
		finding(c, UA_K_SIGNATURE_POSITION, idx, off, 0,
			_("%s comes first, not a signature entry (MD5RSA or SHA256RSA) as in official firmware: the file may have been rebuilt or edited."),
			ENAME(e));
}

/* Decide whether the header's length fields let us find the next entry. */
static bool check_lengths(struct ua_check *c)
{
	struct ua_entry *e = &c->cur;
	uint64_t blocks = ua_blocks_for(e->data_size, e->block_size);
	uint64_t want = UA_FIXED_HEADER + 2 * blocks;
	const char *why = NULL;
	char buf[96];

	if (e->header_length < UA_FIXED_HEADER) {
		/* TRANSLATORS: "the header length %u is %s", the %s being this. */
		why = _("less than the 98 bytes of the fixed header");
	} else if (e->header_length % 2) {
		why = _("odd (the checksum table holds 2 bytes per block)");
	} else if (e->block_size && e->header_length != want) {
		snprintf(buf, sizeof(buf),
			 _("not 98 + 2 x %" PRIu64 " blocks = %" PRIu64), blocks, want);
		why = buf;
	}
	if (!why)
		return true;
	finding(c, UA_K_BAD_HEADER_LENGTH, (int)e->index, e->header_offset + 4,
		e->header_length,
		_("%s at byte %" PRIu64 ": the header length %" PRIu32 " is %s: the header is damaged, and the entries after it cannot be located."),
		ENAME(e), e->header_offset, e->header_length, why);
	return false;
}

static void check_header(struct ua_check *c)
{
	struct ua_entry *e = &c->cur;
	int idx = (int)e->index;
	uint64_t off = e->header_offset;
	uint32_t konst = get_le32(c->hdr + 8);
	uint16_t crc = ua_header_crc(c->hdr);

	ua_header_fields(c->hdr, e);
	c->cur_parsed = true;
	e->header_crc_ok = crc == e->header_crc;
	if (!e->header_crc_ok)
		finding(c, UA_K_HEADER_CRC, idx, off + 92, 0,
			_("%s at byte %" PRIu64 ": the header checksum is 0x%04X but the header computes to 0x%04X: the header is damaged, so its sizes and names may be wrong."),
			ENAME(e), off, e->header_crc, crc);
	if (konst != 1)
		finding(c, UA_K_BAD_CONST, idx, off + 8, konst,
			_("%s at byte %" PRIu64 ": the field at byte %" PRIu64 " holds 0x%08" PRIX32 " where every UPDATE.APP has 1: the header is damaged."),
			ENAME(e), off, off + 8, konst);
	if (e->block_size == 0)
		finding(c, UA_K_ZERO_BLOCK_SIZE, idx, off + 94, 0,
			_("%s at byte %" PRIu64 ": the block size is 0, so its data cannot be checked: the header is damaged."),
			ENAME(e), off);
	check_heuristics(c);

	if (!check_lengths(c)) {
		c->state = S_SKIP;
		return;
	}

	c->table_len = e->header_length - UA_FIXED_HEADER;
	c->table_have = 0;
	c->keep_table = c->table_len <= UA_MAX_TABLE_BYTES;
	if (!c->keep_table) {
		finding(c, UA_K_TABLE_TOO_LARGE, idx, off + UA_FIXED_HEADER,
			c->table_len,
			_("%s: its checksum table has %" PRIu64 " bytes, more than the %u this checker accepts, so its data was not checked: the header is probably damaged."),
			ENAME(e), c->table_len, UA_MAX_TABLE_BYTES);
	} else if (c->table_len > c->table_cap) {
		void *p = realloc(c->table, c->table_len);

		if (p) {
			c->table = p;
			c->table_cap = c->table_len;
		} else {
			c->err = -ENOMEM;
			c->keep_table = false;
		}
	}
	c->verify_blocks = c->keep_table && e->block_size != 0;
	if (c->table_len)
		c->state = S_TABLE;
	else
		start_data(c);
}

/* ---- where an entry should start but does not ---------------------------- */

/* The previous entry's pad held non-zero bytes, and an entry (or the end of
 * the file) follows: they were meant as padding. */
static void report_padding(struct ua_check *c)
{
	char name[64] = "";

	if (!c->pad_nonzero)
		return;
	c->pad_nonzero = false;
	if (c->pad_entry < c->n_entries)
		ename(&c->entries[c->pad_entry], name, sizeof(name));
	else if (c->pad_entry == c->cur.index)
		ename(&c->cur, name, sizeof(name));
	else
		snprintf(name, sizeof(name), _("entry %u"), c->pad_entry);
	finding(c, UA_K_PADDING, (int)c->pad_entry, c->pad_start, 0,
		_("%s: the pad bytes after its data, at byte %" PRIu64 ", are not zero."),
		name, c->pad_start);
}


static const struct ua_entry *last_entry(const struct ua_check *c)
{
	return c->n_entries ? &c->entries[c->n_entries - 1] : NULL;
}

static void no_magic(struct ua_check *c)
{
	const unsigned char *h = c->hdr;
	uint64_t off = c->cur.header_offset;

	/* Damaged magic, or just bytes after the end? */
	if (c->hdr_have == UA_FIXED_HEADER && ua_header_plausible(h)) {
		finding(c, UA_K_BAD_MAGIC, (int)c->cur.index, off, 0,
			_("Entry %u at byte %" PRIu64 " (0x%" PRIX64 ") does not start with 55 AA 5A A5 (it has %02X %02X %02X %02X): the file is damaged there, and the rest of it cannot be checked."),
			c->cur.index, off, off, h[0], h[1], h[2], h[3]);
		c->state = S_SKIP;
		return;
	}
	c->trailing_start = off;
	c->trailing_nonzero = ua_zero_run(h, c->hdr_have) != c->hdr_have;
	if (c->pad_nonzero) {
		/* What looked like padding already belongs to the garbage. */
		c->trailing_start = c->pad_start;
		c->trailing_nonzero = true;
		c->pad_nonzero = false;
	}
	c->trailing_copy = c->hdr_have >= UA_LEADING_ZEROS + 4 &&
			   ua_zero_run(h, UA_LEADING_ZEROS) == UA_LEADING_ZEROS &&
			   memcmp(h + UA_LEADING_ZEROS, UA_MAGIC, 4) == 0;
	c->state = S_TRAILING;
}

static void lead_bad_magic(struct ua_check *c)
{
	const unsigned char *h = c->hdr;
	size_t n = c->hdr_have;

	finding(c, UA_K_BAD_MAGIC, 0, c->cur.header_offset, 0,
		_("The first entry should start at byte %" PRIu64 " after the leading zeros, but the bytes there are %02X %02X %02X %02X, not 55 AA 5A A5: the file is damaged at its start."),
		c->cur.header_offset, h[0], n > 1 ? h[1] : 0, n > 2 ? h[2] : 0,
		n > 3 ? h[3] : 0);
	c->state = S_SKIP;
}

/*
 * Entry 0: its header starts at the first non-zero byte.  Normally that is
 * byte 92 and the magic is there; fewer or more zeros are a warning.  Other
 * bytes before 92 mean another format, unless the magic still sits at 92.
 * Returns false while undecided.
 */
static bool resolve_lead(struct ua_check *c)
{
	uint64_t off = c->cur.header_offset;

	if (c->hdr_have < 4)
		return false;
	if (memcmp(c->hdr, UA_MAGIC, 4) == 0) {
		if (off == 0)
			finding(c, UA_K_LEADING_ZEROS, -1, 0, 0,
				_("The first entry starts at byte 0, without the 92 zero bytes that every known UPDATE.APP starts with."));
		else if (off != UA_LEADING_ZEROS)
			finding(c, UA_K_LEADING_ZEROS, -1, 0, off,
				_("The file starts with %" PRIu64 " zero bytes before the first entry, where every known UPDATE.APP has 92."),
				off);
		c->lead_resolved = true;
		return true;
	}
	if (off >= UA_LEADING_ZEROS) {
		lead_bad_magic(c);
		return true;
	}
	if (c->pos < UA_LEADING_ZEROS + 4)
		return false;
	if (memcmp(c->prefix + UA_LEADING_ZEROS, UA_MAGIC, 4) == 0) {
		/* Garbage in the leading zeros, entry 0 where it belongs. */
		size_t have = (size_t)(c->pos - UA_LEADING_ZEROS);

		finding(c, UA_K_LEADING_ZEROS, -1, off, off,
			_("The 92 bytes before the first entry should all be zero, but byte %" PRIu64 " is not."),
			off);
		memcpy(c->hdr, c->prefix + UA_LEADING_ZEROS, have);
		c->hdr_have = have;
		c->cur.header_offset = UA_LEADING_ZEROS;
		c->lead_resolved = true;
		return true;
	}
	c->state = S_NOT_UA;
	return true;
}

/* ---- feeding --------------------------------------------------------------- */

static size_t feed_lead(struct ua_check *c, const unsigned char *p, size_t len)
{
	size_t n = ua_zero_run(p, len);

	c->pos += n;
	if (n < len) {
		c->state = S_HEADER;
		c->cur.index = 0;
		c->cur.header_offset = c->pos;
		c->hdr_have = 0;
	}
	return n;
}

static size_t feed_header(struct ua_check *c, const unsigned char *p, size_t len)
{
	size_t n = UA_FIXED_HEADER - c->hdr_have;

	if (n > len)
		n = len;
	memcpy(c->hdr + c->hdr_have, p, n);
	c->hdr_have += n;
	c->pos += n;

	if (c->cur.index == 0 && !c->lead_resolved) {
		if (!resolve_lead(c) || c->state != S_HEADER)
			return n;
	}
	if (c->hdr_have < UA_FIXED_HEADER)
		return n;
	if (memcmp(c->hdr, UA_MAGIC, 4) != 0) {
		no_magic(c);
	} else {
		report_padding(c);
		check_header(c);
	}
	return n;
}

static size_t feed_table(struct ua_check *c, const unsigned char *p, size_t len)
{
	uint64_t left = c->table_len - c->table_have;
	size_t n = len < left ? len : (size_t)left;

	if (c->keep_table)
		memcpy(c->table + c->table_have, p, n);
	c->table_have += n;
	c->pos += n;
	if (c->table_have == c->table_len)
		start_data(c);
	return n;
}

static size_t feed_data(struct ua_check *c, const unsigned char *p, size_t len)
{
	struct ua_entry *e = &c->cur;
	uint64_t left = e->data_size - c->data_done;
	size_t n = len < left ? len : (size_t)left;

	if (c->keep_text)
		memcpy(c->text + c->data_done, p, n);
	ua_crcent_data(c->crcent, p, n);
	if (c->verify_blocks) {
		size_t i = 0;

		while (i < n) {
			size_t take = e->block_size - c->block_pos;

			if (take > n - i)
				take = n - i;
			c->block_crc = crc16_x25_update(c->block_crc, p + i, take);
			c->block_pos += (uint32_t)take;
			i += take;
			if (c->block_pos == e->block_size ||
			    c->data_done + i == e->data_size) {
				check_block(c, c->block_pos);
				c->block_pos = 0;
				c->block_crc = CRC16_X25_INIT;
			}
		}
	}
	c->data_done += n;
	c->pos += n;
	if (c->data_done == e->data_size)
		end_data(c);
	return n;
}

static size_t feed_pad(struct ua_check *c, const unsigned char *p, size_t len)
{
	size_t n = len < c->pad_left ? len : c->pad_left;

	if (ua_zero_run(p, n) != n)
		c->pad_nonzero = true;
	c->pad_left -= (uint32_t)n;
	c->pos += n;
	if (c->pad_left == 0)
		next_entry(c);
	return n;
}

static size_t feed_rest(struct ua_check *c, const unsigned char *p, size_t len)
{
	if (c->state == S_TRAILING && !c->trailing_nonzero)
		c->trailing_nonzero = ua_zero_run(p, len) != len;
	c->pos += len;
	return len;
}

void ua_check_feed(struct ua_check *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (c->finished)
		return;
	if (c->prefix_len < PREFIX_MAX) {
		size_t n = PREFIX_MAX - c->prefix_len;

		if (n > len)
			n = len;
		memcpy(c->prefix + c->prefix_len, p, n);
		c->prefix_len += n;
	}
	while (len) {
		size_t n = 0;

		switch (c->state) {
		case S_LEAD: n = feed_lead(c, p, len); break;
		case S_HEADER: n = feed_header(c, p, len); break;
		case S_TABLE: n = feed_table(c, p, len); break;
		case S_DATA: n = feed_data(c, p, len); break;
		case S_PAD: n = feed_pad(c, p, len); break;
		case S_TRAILING:
		case S_SKIP:
		case S_NOT_UA: n = feed_rest(c, p, len); break;
		}
		p += n;
		len -= n;
	}
}

/* ---- the end ------------------------------------------------------------- */

static void report_truncated(struct ua_check *c, uint64_t end)
{
	struct ua_entry *e = &c->cur;
	uint64_t missing = end > c->pos ? end - c->pos : 0;

	finding(c, UA_K_TRUNCATED, (int)e->index, c->pos, missing,
		_("The file ends at byte %" PRIu64 ", inside %s, which needs %" PRIu64 " more bytes: an incomplete download or copy."),
		c->pos, ENAME(e), missing);
}

static void finish_header(struct ua_check *c)
{
	struct ua_entry *e = &c->cur;
	size_t have = c->hdr_have;
	const unsigned char *h = c->hdr;

	if (e->index == 0 && !c->lead_resolved) {
		if (e->header_offset < UA_LEADING_ZEROS) {
			c->state = S_NOT_UA;
			return;
		}
		if (memcmp(h, UA_MAGIC, have < 4 ? have : 4) != 0) {
			lead_bad_magic(c);
			return;
		}
	}
	if (have == 0) {
		report_padding(c);
		return;             /* the clean end, after the last entry */
	}
	if (memcmp(h, UA_MAGIC, have < 4 ? have : 4) == 0) {
		report_padding(c);
		/* A header cut short: with its lengths we can say how much. */
		uint64_t need = e->header_offset + UA_FIXED_HEADER;

		if (have >= 28 && get_le32(h + 4) >= UA_FIXED_HEADER)
			need = e->header_offset + get_le32(h + 4) + get_le32(h + 24);
		c->cur.result = UA_ENTRY_TRUNCATED;
		report_truncated(c, need);
		return;
	}
	if (have >= UA_FIXED_HEADER)
		return;             /* already judged */
	no_magic(c);
}

static void finish_trailing(struct ua_check *c)
{
	const struct ua_entry *last = last_entry(c);
	uint64_t n = c->pos - c->trailing_start;
	char what[64];

	snprintf(what, sizeof(what), _("entry %u"), c->cur.index - 1);
	if (last && last->index + 1 == c->cur.index)
		ename(last, what, sizeof(what));
	finding(c, UA_K_TRAILING, -1, c->trailing_start, n,
		_("%" PRIu64 " extra bytes follow the end of the last entry, %s, at byte %" PRIu64 "%s: %s"),
		n, what, c->trailing_start,
		c->trailing_nonzero ? "" : _(" (all of them zero)"),
		c->trailing_copy ?
		_("they look like a second copy of an UPDATE.APP, from a download saved twice into one file.") :
		_("a download resumed into an old file, or files joined by mistake."));
}

static void finish_not_ua(struct ua_check *c)
{
	const unsigned char *p = c->prefix;
	size_t len = c->prefix_len;
	char buf[160];

	switch (ua_sniff(p, len)) {
	case UA_FMT_HTML:
		finding(c, UA_K_HTML, -1, 0, 0,
			_("The file is a web page (HTML), not firmware: it was saved instead of the firmware because the download link redirected or failed."));
		break;
	case UA_FMT_ZIP:
		finding(c, UA_K_ZIP, -1, 0, 0,
			_("The file is a zip archive that was not extracted: firmware zips hold the UPDATE.APP in a dload folder inside."));
		break;
	case UA_FMT_ARCHIVE:
		finding(c, UA_K_ARCHIVE, -1, 0, 0,
			_("The file is a %s archive, not an UPDATE.APP: it must be extracted first."),
			ua_archive_name(p, len));
		break;
	case UA_FMT_UPDATE_BIN:
		ua_update_bin_product(buf, sizeof(buf), p, len);
		finding(c, UA_K_UPDATE_BIN, -1, 0, 0,
			_("The file is a HarmonyOS/OpenHarmony update.bin package%s, a newer format than UPDATE.APP that dloadcard does not handle."),
			buf);
		break;
	case UA_FMT_TEXT:
		ua_text_excerpt(buf, 61, p, len);
		finding(c, UA_K_TEXT, -1, 0, 0,
			_("The file is plain text, not firmware (it begins \"%s\"): probably an error message saved instead of the download."),
			buf);
		break;
	default:
		snprintf(buf, sizeof(buf), "%02X %02X %02X %02X",
			 len > 0 ? p[0] : 0, len > 1 ? p[1] : 0,
			 len > 2 ? p[2] : 0, len > 3 ? p[3] : 0);
		finding(c, UA_K_UNKNOWN_FORMAT, -1, 0, 0,
			_("The file is not an UPDATE.APP: it does not start with 92 zero bytes and an entry header (55 AA 5A A5), and its format is not recognised (it starts with %s)."),
			buf);
		break;
	}
}

static void finish_size(struct ua_check *c)
{
	if (c->file_size == UA_SIZE_UNKNOWN || c->pos == c->file_size)
		return;
	if (c->pos < c->file_size)
		finding(c, UA_K_SIZE_MISMATCH, -1, c->pos, c->pos,
			_("Only %" PRIu64 " of the %" PRIu64 " bytes the file should have could be read: it shrank while being read, or reading it failed."),
			c->pos, c->file_size);
	else
		finding(c, UA_K_SIZE_MISMATCH, -1, c->file_size, c->pos,
			_("%" PRIu64 " bytes were read, but the file was announced with %" PRIu64 ": it grew while being read."),
			c->pos, c->file_size);
}

/* Where piece p of the CRC list lies: the entry and the byte of the file. */
static const struct ua_entry *piece_entry(const struct ua_check *c, uint64_t p,
					  uint64_t *offset)
{
	for (size_t i = 0; i < c->n_entries; i++) {
		const struct ua_entry *e = &c->entries[i];
		uint64_t n = ua_blocks_for(e->data_size, UA_CRC_PIECE);

		if (e->is_signature || ua_crcent_is_crc_name(e->name))
			continue;
		if (p < n) {
			*offset = e->data_offset + p * UA_CRC_PIECE;
			return e;
		}
		p -= n;
	}
	return NULL;
}

static void judge_crc(struct ua_check *c)
{
	struct ua_crc_summary *s = &c->crc;
	const struct ua_entry *last = last_entry(c), *e;
	uint64_t missing, off = 0, here = 0;
	int idx;

	ua_crcent_judge(c->crcent, c->not_ua || c->count[UA_ERROR] || c->err, s);
	idx = s->entry;
	if (idx >= 0 && (size_t)idx < c->n_entries)
		here = c->entries[idx].header_offset;
	switch (s->result) {
	case UA_CRC_ABSENT:
	case UA_CRC_NOT_JUDGED:
		break;
	case UA_CRC_PASS:
		finding(c, UA_K_CRC_ENTRY, idx, here, s->listed,
			_("PASS: the CRC entry (entry %d) lists %" PRIu64 " checksums, one per 32 KiB of the other entries' data, and every one matches: the file holds all the data it was made with."),
			idx, s->listed);
		break;
	case UA_CRC_CUT:
		missing = (s->listed - s->pieces) * UA_CRC_PIECE;
		finding(c, UA_K_CRC_ENTRY_CUT, -1, c->pos, missing,
			_("The file ends at byte %" PRIu64 ", at an entry boundary after %s, but its CRC entry (entry %d) lists %" PRIu64 " checksums of 32 KiB pieces and the entries present hold only %" PRIu64 ": the file was cut there, and up to %" PRIu64 " bytes of entry data (%" PRIu64 " pieces), with their headers, are missing: an incomplete download or copy."),
			c->pos, last ? ENAME(last) : "the CRC entry", idx, s->listed,
			s->pieces, missing, s->listed - s->pieces);
		break;
	case UA_CRC_MISMATCH:
		if (s->matched == s->listed) {
			finding(c, UA_K_CRC_ENTRY_MISMATCH, idx, here, s->matched,
				_("The CRC entry (entry %d) lists %" PRIu64 " checksums, all matching, but the file holds %" PRIu64 " pieces of 32 KiB: entries were added after it was made."),
				idx, s->listed, s->pieces);
			break;
		}
		e = piece_entry(c, s->matched, &off);
		finding(c, UA_K_CRC_ENTRY_MISMATCH, e ? (int)e->index : idx, off, s->matched,
			_("The CRC entry (entry %d): its first %" PRIu64 " checksums match the data, but checksum %" PRIu64 " (of the 32 KiB at byte %" PRIu64 "%s%s) does not, although every block checksum matched: the file may have been rebuilt or edited."),
			idx, s->matched, s->matched, off, e ? ", in " : "", e ? ENAME(e) : "");
		break;
	case UA_CRC_UNKNOWN:
		finding(c, UA_K_CRC_ENTRY_UNKNOWN, idx, here, 0,
			_("The CRC entry (entry %d) is not of the layout known (one CRC-16 per 32 KiB of the other entries' data): not understood, not judged."),
			idx);
		break;
	}
}

void ua_check_crc(const struct ua_check *c, struct ua_crc_summary *out)
{
	*out = c->crc;
}

void ua_check_finish(struct ua_check *c)
{
	if (c->finished)
		return;
	c->finished = true;

	switch (c->state) {
	case S_LEAD:
		if (c->pos == 0)
			finding(c, UA_K_EMPTY, -1, 0, 0,
				_("The file is empty (0 bytes): the download or copy saved nothing."));
		else
			finding(c, UA_K_ZEROS, -1, 0, c->pos,
				_("All %" PRIu64 " bytes of the file are zero: space was reserved but the content never written (an interrupted download or copy)."),
				c->pos);
		break;
	case S_HEADER:
		finish_header(c);
		break;
	case S_TABLE:
		c->cur.result = UA_ENTRY_TRUNCATED;
		report_truncated(c, c->cur.data_offset + c->cur.data_size);
		store_entry(c);
		break;
	case S_DATA:
		c->cur.result = UA_ENTRY_TRUNCATED;
		report_truncated(c, c->cur.data_offset + c->cur.data_size);
		store_entry(c);
		break;
	case S_PAD:
		/* The last entry may end without its pad bytes. */
		report_padding(c);
		store_entry(c);
		break;
	case S_SKIP:
		if (c->cur_parsed)
			store_entry(c);   /* the entry whose lengths were bad */
		break;
	case S_TRAILING:
	case S_NOT_UA:
		break;
	}
	/* finish_header() may have changed the state. */
	if (c->state == S_TRAILING)
		finish_trailing(c);
	else if (c->state == S_NOT_UA)
		finish_not_ua(c);
	finish_size(c);
	judge_crc(c);

	if (c->not_ua)
		c->verdict = UA_NOT_UPDATEAPP;
	else if (c->count[UA_ERROR])
		c->verdict = UA_DAMAGED;
	else if (c->count[UA_WARNING])
		c->verdict = UA_VALID_WITH_WARNINGS;
	else
		c->verdict = UA_VALID;
}

/* ---- object -------------------------------------------------------------- */

struct ua_check *ua_check_new(uint64_t file_size)
{
	struct ua_check *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->crcent = ua_crcent_new();
	if (!c->crcent) {
		free(c);
		return NULL;
	}
	c->crc.entry = -1;
	c->file_size = file_size;
	c->state = S_LEAD;
	return c;
}

void ua_check_free(struct ua_check *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_findings; i++)
		free((void *)c->findings[i].message);
	for (size_t i = 0; i < c->n_entries; i++)
		free((void *)c->entries[i].text);
	free((void *)c->cur.text);
	free(c->findings);
	free(c->entries);
	free(c->table);
	ua_crcent_free(c->crcent);
	free(c);
}

enum ua_verdict ua_check_verdict(const struct ua_check *c)
{
	return c->verdict;
}

int ua_check_error(const struct ua_check *c)
{
	return c->err;
}

uint64_t ua_check_bytes(const struct ua_check *c)
{
	return c->pos;
}

size_t ua_check_entry_count(const struct ua_check *c)
{
	return c->n_entries;
}

const struct ua_entry *ua_check_entry(const struct ua_check *c, size_t i)
{
	return i < c->n_entries ? &c->entries[i] : NULL;
}

uint64_t ua_check_entries_seen(const struct ua_check *c)
{
	return c->entries_seen;
}

size_t ua_check_finding_count(const struct ua_check *c)
{
	return c->n_findings;
}

const struct ua_finding *ua_check_finding(const struct ua_check *c, size_t i)
{
	return i < c->n_findings ? &c->findings[i] : NULL;
}

uint64_t ua_check_findings_dropped(const struct ua_check *c)
{
	return c->dropped;
}

uint64_t ua_check_count(const struct ua_check *c, enum ua_severity s)
{
	return (unsigned)s < 3 ? c->count[s] : 0;
}
