/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The UPDATE.APP checker, on containers built in memory by tests/ua_build.c. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/crc16.h"
#include "firmware/updateapp.h"
#include "firmware/updateapp_private.h"
#include "lib/byteorder.h"
#include "../tools/ua_build.h"
#include "tap.h"

/* ---- helpers ------------------------------------------------------------- */

static struct ua_check *check_chunked(const unsigned char *buf, size_t len,
				      size_t chunk, uint64_t announced)
{
	struct ua_check *c = ua_check_new(announced);

	if (!c)
		abort();
	for (size_t off = 0; off < len; off += chunk)
		ua_check_feed(c, buf + off, len - off < chunk ? len - off : chunk);
	ua_check_finish(c);
	return c;
}

static struct ua_check *check_buf(const unsigned char *buf, size_t len)
{
	return check_chunked(buf, len, len ? len : 1, len);
}

/* Everything the checker says, as one string, to compare runs. */
static char *summary(const struct ua_check *c)
{
	struct uab_mem m = { 0 };
	char line[512];

	snprintf(line, sizeof(line), "%s %" PRIu64 " %" PRIu64 "\n",
		 ua_verdict_name(ua_check_verdict(c)), ua_check_bytes(c),
		 ua_check_entries_seen(c));
	uab_mem_write(&m, line, strlen(line));
	for (size_t i = 0; i < ua_check_entry_count(c); i++) {
		const struct ua_entry *e = ua_check_entry(c, i);

		snprintf(line, sizeof(line),
			 "E %u %" PRIu64 " %u %" PRIu64 " %u %s %s %u %s %s %u %u %u %u %" PRIu64 " %u %d %d %s\n",
			 e->index, e->header_offset, e->header_length,
			 e->data_offset, e->data_size, e->name, e->hardware_id,
			 e->sequence, e->date, e->time, e->block_size,
			 e->block_count, e->blocks_checked, e->bad_blocks,
			 e->first_bad_offset, e->header_crc, e->header_crc_ok,
			 (int)e->result, e->text ? e->text : "-");
		uab_mem_write(&m, line, strlen(line));
	}
	for (size_t i = 0; i < ua_check_finding_count(c); i++) {
		const struct ua_finding *f = ua_check_finding(c, i);

		snprintf(line, sizeof(line), "F %d %d %d %" PRIu64 " %" PRIu64 " %s\n",
			 f->severity, f->kind, f->entry, f->offset, f->value,
			 f->message);
		uab_mem_write(&m, line, strlen(line));
	}
	uab_mem_write(&m, "", 1);
	return (char *)m.buf;
}

/* The findings that are not information. */
static size_t problems(const struct ua_check *c, const struct ua_finding **first)
{
	size_t n = 0;

	*first = NULL;
	for (size_t i = 0; i < ua_check_finding_count(c); i++) {
		const struct ua_finding *f = ua_check_finding(c, i);

		if (f->severity == UA_INFO)
			continue;
		if (!*first)
			*first = f;
		n++;
	}
	return n;
}

static void dump(const struct ua_check *c)
{
	char *s = summary(c);

	for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n"))
		diag("  %s", line);
	free(s);
}

/* A small container with every feature: signature first, version text,
 * a 17-character name with a partial last block, an empty entry, pads. */
static void small_spec(struct uab_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->seed = 7;
	uab_add(s, "SHA256RSA", 64);
	uab_add_text(s, "VERLIST", "S7-721u V100R001C00B008\nS7-721w V100R001C00B008\n");
	uab_add(s, "ERECOVERY_RAMDISK", 5001);
	uab_add(s, "RESERVED", 0);
	uab_add(s, "SYSTEM", 4099);
}

static unsigned char *build(const struct uab_spec *s, size_t *len)
{
	unsigned char *buf = uab_build(s, len);

	if (!buf)
		abort();
	return buf;
}

/* ---- valid files ----------------------------------------------------------- */

static void test_valid_small(void)
{
	struct uab_spec s;
	struct uab_layout l;
	const struct ua_finding *f;
	size_t len;
	unsigned char *buf;
	struct ua_check *c;
	int layout_ok = 1;

	small_spec(&s);
	buf = build(&s, &len);
	c = check_buf(buf, len);
	is_int(ua_check_verdict(c), UA_VALID, "small container is valid");
	is_int(problems(c, &f), 0, "no warnings or errors");
	is_int(ua_check_entry_count(c), 5, "five entries");
	for (size_t i = 0; i < s.n && i < ua_check_entry_count(c); i++) {
		const struct ua_entry *e = ua_check_entry(c, i);

		uab_layout(&s, i, &l);
		layout_ok &= e->header_offset == l.header_offset &&
			     e->header_length == l.header_length &&
			     e->data_offset == l.data_offset &&
			     e->data_size == l.data_size &&
			     strcmp(e->name, s.entries[i].name) == 0 &&
			     e->header_crc_ok && e->bad_blocks == 0 &&
			     e->blocks_checked == e->block_count &&
			     e->result == UA_ENTRY_OK;
	}
	ok(layout_ok, "entries match the layout, checksums all good");
	is_str(ua_check_entry(c, 2)->name, "ERECOVERY_RAMDISK",
	       "17-character name read across the field boundary");
	is_int(ua_check_entry(c, 2)->block_count, 2, "5001 bytes are 2 blocks");
	is_str(ua_check_entry(c, 1)->text,
	       "S7-721u V100R001C00B008\nS7-721w V100R001C00B008",
	       "version list shown as text");
	ok(ua_check_entry(c, 0)->is_signature && !ua_check_entry(c, 0)->text,
	   "signature entry recognised, not shown as text");
	is_str(ua_check_entry(c, 0)->hardware_id, "HW7x25", "hardware id");
	is_str(ua_check_entry(c, 0)->date, "2015.03.22", "date");
	ok(ua_check_finding_count(c) == 1 &&
	   ua_check_finding(c, 0)->kind == UA_K_SIGNATURE &&
	   ua_check_finding(c, 0)->severity == UA_INFO,
	   "the signature is reported as information");
	ua_check_free(c);
	free(buf);

	s.no_last_pad = true;
	buf = build(&s, &len);
	c = check_buf(buf, len);
	is_int(ua_check_verdict(c), UA_VALID, "valid without the last pad bytes");
	ua_check_free(c);
	free(buf);
}

static void test_valid_default(void)
{
	struct uab_spec s = { 0 };
	const struct ua_finding *f;
	size_t len;
	unsigned char *buf;
	struct ua_check *c;

	is_int(uab_default_spec(&s, 3 << 20, 0, false), 0, "default 3 MiB layout");
	buf = build(&s, &len);
	is_int(len, 3 << 20, "built exactly 3 MiB");
	c = check_chunked(buf, len, 65536, len);
	is_int(ua_check_verdict(c), UA_VALID, "default container is valid");
	is_int(problems(c, &f), 0, "no warnings or errors");
	is_int(ua_check_entry_count(c), s.n, "all %zu entries listed", s.n);
	ua_check_free(c);
	free(buf);
}

/* The 98-byte header from doc/updateapp-format.md, with 40 bytes of data. */
static void test_real_header(void)
{
	static const char hex[] =
		"55aa5aa56400000001000000485738783235ffff000000fb28000000323031332e30332e3232"
		"00000000000031372e35392e33330000000000000000494e5055540000000000000000000000"
		"00000000000000000000000000000000968600100000";
	unsigned char file[92 + 100 + 40] = { 0 };
	const struct ua_finding *f;
	struct ua_check *c;
	uint16_t crc;

	for (size_t i = 0; i < 98; i++) {
		unsigned v;

		sscanf(hex + 2 * i, "%2x", &v);
		file[92 + i] = (unsigned char)v;
	}
	memset(file + 192, 0xA5, 40);
	crc = crc16_x25(file + 192, 40);
	file[190] = (unsigned char)crc;
	file[191] = (unsigned char)(crc >> 8);
	c = check_buf(file, sizeof(file));
	is_int(ua_check_verdict(c), UA_VALID, "real header: valid");
	is_int(problems(c, &f), 0, "real header: no warnings (INPUT needs no signature)");
	ok(ua_check_entry_count(c) == 1 && ua_check_entry(c, 0)->header_crc_ok &&
	   strcmp(ua_check_entry(c, 0)->hardware_id, "HW8x25") == 0 &&
	   strcmp(ua_check_entry(c, 0)->name, "INPUT") == 0 &&
	   ua_check_entry(c, 0)->sequence == 0xFB000000u,
	   "real header: fields read");
	ua_check_free(c);
}

/* ---- damage ---------------------------------------------------------------- */

struct damage_case {
	enum uab_damage_kind damage;
	unsigned entry;
	uint64_t arg;
	enum ua_kind kind;
	enum ua_verdict verdict;
	int want_entry;         /* -2: the damaged entry */
	uint64_t want_offset;   /* filled in from the layout */
	uint64_t want_value;
};

static void run_damage(const struct uab_spec *base, struct damage_case *t,
		       const char *label)
{
	struct uab_spec s = *base;
	const struct ua_finding *f;
	size_t len;
	unsigned char *buf;
	struct ua_check *c;
	size_t n;

	uab_add_damage(&s, t->damage, t->entry, t->arg);
	buf = build(&s, &len);
	c = check_buf(buf, len);
	n = problems(c, &f);
	if (t->want_entry == -2)
		t->want_entry = (int)t->entry;
	if (!ok(n == 1 && f->kind == t->kind && f->entry == t->want_entry &&
		f->offset == t->want_offset && f->value == t->want_value &&
		ua_check_verdict(c) == t->verdict,
		"%s: one %s finding, entry %d, offset %" PRIu64 ", value %" PRIu64,
		label, ua_kind_name(t->kind), t->want_entry, t->want_offset,
		t->want_value))
		dump(c);
	ok(f && f->message && f->message[0] && f->advice && f->advice[0] &&
	   !strchr(f->advice, '\n'),
	   "%s: has a message and one line of advice", label);
	ua_check_free(c);
	free(buf);
}

static void test_damage(void)
{
	struct uab_spec s;
	struct uab_layout l[5], last;
	uint64_t size;

	small_spec(&s);
	for (size_t i = 0; i < 5; i++)
		uab_layout(&s, i, &l[i]);
	last = l[4];
	size = uab_container_size(&s);

	struct damage_case cases[] = {
		{ UAB_HEADER_CRC, 2, 0, UA_K_HEADER_CRC, UA_DAMAGED, -2,
		  l[2].header_offset + 92, 0 },
		{ UAB_BLOCK_CRC, 2, 0, UA_K_BLOCK_CRC, UA_DAMAGED, -2,
		  l[2].data_offset, 1 },
		{ UAB_BLOCK_CRC, 2, 1, UA_K_BLOCK_CRC, UA_DAMAGED, -2,
		  l[2].data_offset + 4096, 1 },    /* the partial last block */
		{ UAB_BLOCK_CRC, 0, 0, UA_K_BLOCK_CRC, UA_DAMAGED, -2,
		  l[0].data_offset, 1 },
		{ UAB_BAD_MAGIC, 0, 0, UA_K_BAD_MAGIC, UA_DAMAGED, -2,
		  l[0].header_offset, 0 },
		{ UAB_BAD_MAGIC, 3, 0, UA_K_BAD_MAGIC, UA_DAMAGED, -2,
		  l[3].header_offset, 0 },
		{ UAB_BAD_HEADER_LENGTH, 4, 0, UA_K_BAD_HEADER_LENGTH, UA_DAMAGED, -2,
		  l[4].header_offset + 4, l[4].header_length + 2 },
		{ UAB_BAD_CONST, 1, 0, UA_K_BAD_CONST, UA_DAMAGED, -2,
		  l[1].header_offset + 8, 2 },
		{ UAB_ZERO_BLOCK_SIZE, 2, 0, UA_K_ZERO_BLOCK_SIZE, UA_DAMAGED, -2,
		  l[2].header_offset + 94, 0 },
		{ UAB_PADDING, 2, 0, UA_K_PADDING, UA_VALID_WITH_WARNINGS, -2,
		  l[2].data_offset + l[2].data_size, 0 },
		{ UAB_HWID, 1, 0, UA_K_HARDWARE_ID, UA_VALID_WITH_WARNINGS, -2,
		  l[1].header_offset + 12, 0 },
		{ UAB_DATE, 1, 0, UA_K_DATE, UA_VALID_WITH_WARNINGS, -2,
		  l[1].header_offset + 28, 0 },
		{ UAB_TIME, 4, 0, UA_K_TIME, UA_VALID_WITH_WARNINGS, -2,
		  l[4].header_offset + 44, 0 },
		{ UAB_NAME, 3, 0, UA_K_NAME, UA_VALID_WITH_WARNINGS, -2,
		  l[3].header_offset + 60, 0 },
		{ UAB_NO_SIGNATURE, 0, 0, UA_K_SIGNATURE_POSITION,
		  UA_VALID_WITH_WARNINGS, 0, l[0].header_offset, 0 },
		{ UAB_LEADING_ZEROS, 0, 100, UA_K_LEADING_ZEROS,
		  UA_VALID_WITH_WARNINGS, -1, 0, 100 },
		{ UAB_TRUNCATE, 0, 1000, UA_K_TRUNCATED, UA_DAMAGED, 4,
		  size - 1000, 1000 - last.pad },
		/* Cut inside SYSTEM's header: the lengths were read. */
		{ UAB_TRUNCATE, 0, size - last.header_offset - 50, UA_K_TRUNCATED,
		  UA_DAMAGED, 4, last.header_offset + 50,
		  last.data_offset + last.data_size - last.header_offset - 50 },
		/* Cut inside ERECOVERY_RAMDISK's checksum table. */
		{ UAB_TRUNCATE, 0, size - l[2].header_offset - 99, UA_K_TRUNCATED,
		  UA_DAMAGED, 2, l[2].header_offset + 99,
		  l[2].data_offset + l[2].data_size - l[2].header_offset - 99 },
		{ UAB_TRAILING, 0, 77, UA_K_TRAILING, UA_DAMAGED, -1, size, 77 },
		{ UAB_TRAILING, 0, 3, UA_K_TRAILING, UA_DAMAGED, -1, size, 3 },
		{ UAB_TRAILING_ZEROS, 0, 4096, UA_K_TRAILING, UA_DAMAGED, -1,
		  size, 4096 },
		{ UAB_HTML, 0, 0, UA_K_HTML, UA_NOT_UPDATEAPP, -1, 0, 0 },
		{ UAB_ZIP, 0, 0, UA_K_ZIP, UA_NOT_UPDATEAPP, -1, 0, 0 },
		{ UAB_EMPTY, 0, 0, UA_K_EMPTY, UA_NOT_UPDATEAPP, -1, 0, 0 },
		{ UAB_ZEROS, 0, 0, UA_K_ZEROS, UA_NOT_UPDATEAPP, -1, 0, size },
		{ UAB_UPDATE_BIN, 0, 0, UA_K_UPDATE_BIN, UA_NOT_UPDATEAPP, -1, 0, 0 },
		{ UAB_TEXT, 0, 0, UA_K_TEXT, UA_NOT_UPDATEAPP, -1, 0, 0 },
		{ UAB_RAR, 0, 0, UA_K_ARCHIVE, UA_NOT_UPDATEAPP, -1, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char label[80];

		snprintf(label, sizeof(label), "%s@%u:%" PRIu64,
			 uab_damage_name(cases[i].damage), cases[i].entry,
			 cases[i].arg);
		run_damage(&s, &cases[i], label);
	}
}

/* Truncation that leaves the last entry complete up to its pad is fine. */
static void test_truncate_pad(void)
{
	struct uab_spec s;
	struct uab_layout last;
	size_t len;
	unsigned char *buf;
	struct ua_check *c;

	small_spec(&s);
	uab_layout(&s, s.n - 1, &last);
	ok(last.pad > 0, "the last entry has %u pad bytes", last.pad);
	uab_add_damage(&s, UAB_TRUNCATE, 0, last.pad);
	buf = build(&s, &len);
	c = check_buf(buf, len);
	is_int(ua_check_verdict(c), UA_VALID, "end of file inside the last pad is valid");
	ua_check_free(c);
	free(buf);

	s.damage[0].arg = last.pad + 1;
	buf = build(&s, &len);
	c = check_buf(buf, len);
	is_int(ua_check_verdict(c), UA_DAMAGED, "one data byte less is truncated");
	ok(ua_check_finding_count(c) >= 1 &&
	   ua_check_finding(c, ua_check_finding_count(c) - 1)->value == 1,
	   "and 1 byte is missing");
	ok(ua_check_entry(c, s.n - 1) &&
	   ua_check_entry(c, s.n - 1)->result == UA_ENTRY_TRUNCATED,
	   "the last entry is marked truncated");
	ua_check_free(c);
	free(buf);
}

/* Odd starts: garbage in the leading zeros, a header cut short, two files. */
static void test_odd_files(void)
{
	struct uab_spec s;
	size_t len;
	unsigned char *buf, *two;
	struct ua_check *c;
	const struct ua_finding *f;
	unsigned char tiny[96] = { 0 };

	small_spec(&s);
	buf = build(&s, &len);

	buf[10] = 0x33;
	c = check_buf(buf, len);
	ok(ua_check_verdict(c) == UA_VALID_WITH_WARNINGS &&
	   problems(c, &f) == 1 && f->kind == UA_K_LEADING_ZEROS && f->offset == 10,
	   "a non-zero byte in the leading zeros: a warning at byte 10");
	is_int(ua_check_entry_count(c), s.n, "and every entry is still read");
	ua_check_free(c);
	buf[10] = 0;

	two = malloc(2 * len);
	memcpy(two, buf, len);
	memcpy(two + len, buf, len);
	c = check_buf(two, 2 * len);
	ok(problems(c, &f) == 1 && f->kind == UA_K_TRAILING && f->value == len &&
	   strstr(f->message, "second copy"),
	   "two copies joined: trailing, named as a second copy");
	ua_check_free(c);
	free(two);

	memcpy(tiny + 92, "\x55\xAA", 2);
	c = check_buf(tiny, 94);
	ok(ua_check_verdict(c) == UA_DAMAGED && problems(c, &f) == 1 &&
	   f->kind == UA_K_TRUNCATED,
	   "zeros and half a magic: truncated");
	ua_check_free(c);

	memcpy(tiny + 50, "hello", 5);
	c = check_buf(tiny, 60);
	ok(ua_check_verdict(c) == UA_NOT_UPDATEAPP && problems(c, &f) == 1 &&
	   f->kind == UA_K_UNKNOWN_FORMAT,
	   "zeros then other bytes: unknown format");
	ua_check_free(c);

	c = check_chunked(buf, len, 4096, len + 10);
	ok(problems(c, &f) == 1 && f->kind == UA_K_SIZE_MISMATCH && f->value == len,
	   "fewer bytes than announced: size-mismatch");
	ua_check_free(c);
	c = check_chunked(buf, len, 4096, UA_SIZE_UNKNOWN);
	is_int(ua_check_verdict(c), UA_VALID, "unknown size: no size check");
	ua_check_free(c);
	free(buf);
}

/* A block size of 1 over 3 MB needs a 6 MB table: refused, not allocated. */
static void test_table_cap(void)
{
	struct uab_spec s;
	size_t len;
	unsigned char *buf;
	struct ua_check *c;
	int too_large = 0, bs_warn = 0;

	memset(&s, 0, sizeof(s));
	uab_add(&s, "SHA256RSA", 16);
	uab_add(&s, "SYSTEM", 3000000)->block_size = 1;
	buf = build(&s, &len);
	c = check_chunked(buf, len, 1 << 20, len);
	for (size_t i = 0; i < ua_check_finding_count(c); i++) {
		too_large += ua_check_finding(c, i)->kind == UA_K_TABLE_TOO_LARGE;
		bs_warn += ua_check_finding(c, i)->kind == UA_K_BLOCK_SIZE;
	}
	ok(ua_check_verdict(c) == UA_DAMAGED && too_large == 1 && bs_warn == 1,
	   "a 6 MB checksum table is reported, not loaded");
	ok(ua_check_entry_count(c) == 2 && ua_check_entry(c, 1)->blocks_checked == 0,
	   "that entry is listed, its blocks unchecked");
	ua_check_free(c);
	free(buf);
}

/* Thousands of tiny entries: the lists stay capped, the counts exact. */
static void test_caps(void)
{
	enum { N = UA_MAX_ENTRIES + 10 };
	size_t len = 92 + (size_t)N * 100;
	unsigned char *buf = calloc(1, len);
	struct ua_check *c;

	for (size_t i = 0; i < N; i++) {
		unsigned char *h = buf + 92 + i * 100;
		uint16_t crc;

		memcpy(h, "\x55\xAA\x5A\xA5\x62\0\0\0\1\0\0\0HW7x25\xFF\xFF", 20);
		memcpy(h + 28, "2015/03/22", 10);  /* a warning each */
		memcpy(h + 44, "17.59.33", 8);
		memcpy(h + 60, i ? "EMPTY" : "SHA256RSA", i ? 5 : 9);
		h[95] = 0x10;
		crc = crc16_x25(h, 98);
		h[92] = (unsigned char)crc;
		h[93] = (unsigned char)(crc >> 8);
	}
	c = check_chunked(buf, len, 8192, len);
	is_int(ua_check_verdict(c), UA_VALID_WITH_WARNINGS, "%d entries: valid with warnings", N);
	is_int(ua_check_entries_seen(c), N, "all entries seen");
	is_int(ua_check_entry_count(c), UA_MAX_ENTRIES, "entries listed up to the cap");
	is_int(ua_check_finding_count(c), UA_MAX_FINDINGS, "findings recorded up to the cap");
	is_int(ua_check_count(c, UA_WARNING), N + 1, "every warning counted");
	is_int(ua_check_finding_count(c) + ua_check_findings_dropped(c),
	       N + 2, "recorded + dropped = all");
	ua_check_free(c);
	free(buf);
}

/* ---- chunking ------------------------------------------------------------ */

static uint64_t rng = 88172645463325252u;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_chunking_one(const struct uab_spec *s, const char *label,
			      size_t max_chunk)
{
	size_t len;
	unsigned char *buf = build(s, &len);
	struct ua_check *c = check_buf(buf, len);
	char *want = summary(c);
	int bad = 0, bad_random = 0;

	ua_check_free(c);
	for (size_t k = 1; k <= max_chunk && k <= len; k++) {
		char *got;

		c = check_chunked(buf, len, k, len);
		got = summary(c);
		if (strcmp(got, want) != 0 && bad++ == 0)
			diag("chunk size %zu differs", k);
		free(got);
		ua_check_free(c);
	}
	for (int r = 0; r < 100; r++) {
		char *got;
		size_t off = 0;

		c = ua_check_new(len);
		while (off < len) {
			size_t n = next_rand() % (r < 50 ? 7 : 3000);

			if (n > len - off)
				n = len - off;
			ua_check_feed(c, buf + off, n);
			off += n;
		}
		ua_check_finish(c);
		got = summary(c);
		bad_random += strcmp(got, want) != 0;
		free(got);
		ua_check_free(c);
	}
	ok(bad == 0 && bad_random == 0,
	   "%s: every chunk size 1..%zu and 100 random splits give the same result",
	   label, max_chunk < len ? max_chunk : len);
	free(want);
	free(buf);
}

static void test_chunking(void)
{
	static const struct {
		enum uab_damage_kind kind;
		unsigned entry;
		uint64_t arg;
	} variants[] = {
		{ UAB_NONE, 0, 0 },
		{ UAB_BLOCK_CRC, 2, 1 },
		{ UAB_HEADER_CRC, 1, 0 },
		{ UAB_BAD_MAGIC, 2, 0 },
		{ UAB_BAD_MAGIC, 0, 0 },
		{ UAB_TRUNCATE, 0, 333 },
		{ UAB_TRAILING, 0, 5 },
		{ UAB_PADDING, 2, 0 },
		{ UAB_LEADING_ZEROS, 0, 3 },
		{ UAB_HTML, 0, 0 },
		{ UAB_UPDATE_BIN, 0, 0 },
	};

	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		struct uab_spec s;
		char label[64];

		small_spec(&s);
		if (variants[v].kind != UAB_NONE)
			uab_add_damage(&s, variants[v].kind, variants[v].entry,
				       variants[v].arg);
		snprintf(label, sizeof(label), "split %s",
			 uab_damage_name(variants[v].kind));
		test_chunking_one(&s, label, v == 0 ? 2048 : 300);
	}
}

/* ---- ua_sniff and names --------------------------------------------------- */

static void test_sniff(void)
{
	unsigned char b[600];

	is_int(ua_sniff("", 0), UA_FMT_EMPTY, "sniff: empty");
	memset(b, 0, sizeof(b));
	is_int(ua_sniff(b, 512), UA_FMT_ZEROS, "sniff: zeros");
	memcpy(b + 92, "\x55\xAA\x5A\xA5", 4);
	is_int(ua_sniff(b, 512), UA_FMT_UPDATE_APP, "sniff: UPDATE.APP");
	is_int(ua_sniff("\x55\xAA\x5A\xA5\x62", 5), UA_FMT_UPDATE_APP,
	       "sniff: entry magic at byte 0");
	is_int(ua_sniff("<!DOCTYPE html>", 15), UA_FMT_HTML, "sniff: doctype");
	is_int(ua_sniff("\xEF\xBB\xBF \r\n<html>", 13), UA_FMT_HTML,
	       "sniff: BOM, spaces, <html>");
	is_int(ua_sniff("PK\x03\x04\x14\0", 6), UA_FMT_ZIP, "sniff: zip");
	is_int(ua_sniff("Rar!\x1a\x07\x00", 7), UA_FMT_ARCHIVE, "sniff: rar");
	is_int(ua_sniff("7z\xbc\xaf\x27\x1c\0", 7), UA_FMT_ARCHIVE, "sniff: 7z");
	memset(b, 0, sizeof(b));
	memcpy(b, "dload/", 6);
	memcpy(b + 257, "ustar", 5);
	is_int(ua_sniff(b, 512), UA_FMT_ARCHIVE, "sniff: tar");
	memset(b, 0, sizeof(b));
	memcpy(b, "\x01\x00\x88\x00", 4);
	memcpy(b + 140, "\x02\x00\x20\x00", 4);
	memcpy(b + 176, "\x05\x00", 2);
	is_int(ua_sniff(b, 512), UA_FMT_UPDATE_BIN, "sniff: update.bin");
	b[176] = 9;
	is_int(ua_sniff(b, 512), UA_FMT_UNKNOWN, "sniff: not update.bin if the TLVs differ");
	is_int(ua_sniff("404 Not Found\n", 14), UA_FMT_TEXT, "sniff: text");
	is_int(ua_sniff("\x7f" "ELF\2\1\1", 7), UA_FMT_UNKNOWN, "sniff: unknown");
}

/* The words a finding uses for a file that is something else. */
static void test_sniff_words(void)
{
	unsigned char b[600];
	char out[160];

	memset(b, 0, sizeof(b));
	b[3 + 100] = 1;
	is_int((int)ua_zero_run(b + 3, 200), 100, "zero run from an odd address");
	is_int((int)ua_zero_run(b + 3, 50), 50, "zero run to the end");
	ua_text_excerpt(out, 61, (const unsigned char *)"\xEF\xBB\xBF \r\n404 Not\tFound\r\nmore", 30);
	is_str(out, "404 Not Found", "text excerpt: past the BOM and blanks, one line, printable");
	memset(b, 'x', 100);
	ua_text_excerpt(out, 61, b, 100);
	is_int((int)strlen(out), 60, "text excerpt: cut to its buffer");
	memset(b, 0, sizeof(b));
	memcpy(b + 12, "ALN-AL00", 8);
	memcpy(b + 76, "ALN-AL00 4.0.0.100", 18);
	ua_update_bin_product(out, sizeof(out), b, 512);
	is_str(out, " (product ALN-AL00, version ALN-AL00 4.0.0.100)", "update.bin: product, version");
	ua_update_bin_product(out, sizeof(out), b, 100);
	is_str(out, " (product ALN-AL00)", "update.bin cut short: the product alone");
	ua_field_str(out, sizeof(out), (const unsigned char *)"HW\x01x\xff\xff", 6, 0xff);
	is_str(out, "HW?x", "a field: up to its stop byte, unprintable bytes as ?");
	is_str(ua_archive_name((const unsigned char *)"Rar!\x1a\x07\x00", 7), "RAR", "archive: RAR");
}

/* ---- the CRC entry ----------------------------------------------------------- */

/* A split partition (SYSTEM twice), an entry with no name, an empty one
 * last: 1 + 3 + 2 + 1 pieces of 32 KiB.  crc_at: where the CRC entry goes. */
static void crc_spec(struct uab_spec *s, size_t crc_at)
{
	static const struct { const char *name; uint32_t size; } list[] = {
		{ "VERLIST", 0 }, { "SYSTEM", 70000 }, { "SYSTEM", 40000 },
		{ "", 5000 }, { "RESERVED", 0 },
	};

	memset(s, 0, sizeof(*s));
	s->seed = 11;
	uab_add(s, "SHA256RSA", 64);
	for (size_t i = 0; i <= sizeof(list) / sizeof(list[0]); i++) {
		if (i + 1 == crc_at)
			uab_add(s, "CRC", 0)->crc_list = true;
		if (i == sizeof(list) / sizeof(list[0]))
			break;
		if (!list[i].size && i == 0)
			uab_add_text(s, list[i].name, "S7-721u V100R001C00B008\n");
		else
			uab_add(s, list[i].name, list[i].size);
	}
	uab_fix_crc_lists(s);
}

static bool crc_is(const struct ua_check *c, enum ua_crc_result r, uint64_t listed,
		   uint64_t pieces, uint64_t matched)
{
	struct ua_crc_summary cs;

	ua_check_crc(c, &cs);
	if (cs.result == r && cs.listed == listed && cs.pieces == pieces &&
	    cs.matched == matched)
		return true;
	diag("CRC entry: %s, listed %" PRIu64 ", pieces %" PRIu64 ", matched %" PRIu64,
	     ua_crc_result_name(cs.result), cs.listed, cs.pieces, cs.matched);
	return false;
}

static const struct ua_finding *find_kind(const struct ua_check *c, enum ua_kind k)
{
	for (size_t i = 0; i < ua_check_finding_count(c); i++)
		if (ua_check_finding(c, i)->kind == k)
			return ua_check_finding(c, i);
	return NULL;
}

static void test_crc_entry(void)
{
	struct uab_spec s;
	struct uab_layout l[8], sys;
	const struct ua_finding *f;
	unsigned char *buf;
	struct ua_check *c;
	size_t len;
	char *whole, *chunked;

	crc_spec(&s, 1);
	is_int(uab_data_size(&s.entries[1]), 14, "the CRC list of 7 pieces is 14 bytes");
	for (size_t i = 0; i < s.n; i++)
		uab_layout(&s, i, &l[i]);
	buf = build(&s, &len);
	c = check_buf(buf, len);
	ok(crc_is(c, UA_CRC_PASS, 7, 7, 7), "split entries, no name, empty: the CRC entry passes");
	ok(ua_check_count(c, UA_ERROR) == 0 && ua_check_verdict(c) != UA_DAMAGED,
	   "and the file is valid");
	f = find_kind(c, UA_K_CRC_ENTRY);
	ok(f && f->severity == UA_INFO && f->entry == 1 && f->value == 7 &&
	   strncmp(f->message, "PASS", 4) == 0, "a PASS finding on entry 1, 7 checksums");
	whole = summary(c);
	ua_check_free(c);
	c = check_chunked(buf, len, 777, len);
	chunked = summary(c);
	ok(strcmp(whole, chunked) == 0 && crc_is(c, UA_CRC_PASS, 7, 7, 7),
	   "the same in chunks of 777 bytes");
	free(whole);
	free(chunked);
	ua_check_free(c);

	/* Cut at each entry boundary after the CRC entry. */
	for (size_t i = 2; i + 1 < s.n; i++) {
		static const uint64_t pieces_before[] = { 0, 0, 0, 1, 4, 6 };

		c = check_buf(buf, l[i].header_offset);
		f = find_kind(c, UA_K_CRC_ENTRY_CUT);
		ok(ua_check_verdict(c) == UA_DAMAGED && ua_check_count(c, UA_ERROR) == 1 &&
		   f && f->entry == -1 && f->offset == l[i].header_offset &&
		   f->value == (7 - pieces_before[i]) * 32768 &&
		   crc_is(c, UA_CRC_CUT, 7, pieces_before[i], pieces_before[i]),
		   "cut before entry %zu: damaged, crc-entry-cut at byte %" PRIu64 ", %" PRIu64 " pieces missing",
		   i, l[i].header_offset, 7 - pieces_before[i]);
		ua_check_free(c);
	}
	c = check_buf(buf, l[s.n - 1].header_offset);
	ok(crc_is(c, UA_CRC_PASS, 7, 7, 7),
	   "an empty last entry cut off leaves no data missing: still a pass");
	ua_check_free(c);

	/* A piece that differs while its block checksum was fixed up. */
	sys = l[3];
	buf[sys.data_offset + 32768 + 5] ^= 0x40;
	put_le16(buf + sys.header_offset + 98 + 2 * 8,
		 crc16_x25(buf + sys.data_offset + 8 * 4096, 4096));
	c = check_buf(buf, len);
	f = find_kind(c, UA_K_CRC_ENTRY_MISMATCH);
	ok(ua_check_count(c, UA_ERROR) == 0 && f && f->severity == UA_WARNING &&
	   f->entry == 3 && f->offset == sys.data_offset + 32768 && f->value == 2 &&
	   crc_is(c, UA_CRC_MISMATCH, 7, 7, 2),
	   "a rebuilt piece: a warning at SYSTEM's second piece, never an error");
	ua_check_free(c);
	free(buf);

	/* The CRC entry after the entries it covers. */
	crc_spec(&s, 4);
	buf = build(&s, &len);
	c = check_buf(buf, len);
	ok(crc_is(c, UA_CRC_PASS, 7, 7, 7), "the CRC entry after the data it covers: a pass");
	ua_check_free(c);
	free(buf);

	/* Of another layout: random bytes, an odd size. */
	crc_spec(&s, 1);
	s.entries[1].crc_list = false;
	s.entries[1].size = 14;
	buf = build(&s, &len);
	c = check_buf(buf, len);
	f = find_kind(c, UA_K_CRC_ENTRY_UNKNOWN);
	ok(ua_check_count(c, UA_ERROR) == 0 && f && f->severity == UA_INFO &&
	   strstr(f->message, "not understood, not judged") &&
	   crc_is(c, UA_CRC_UNKNOWN, 7, 7, 0),
	   "random bytes in the CRC entry: not understood, not judged, no error");
	ua_check_free(c);
	c = check_buf(buf, l[3].header_offset);
	ok(ua_check_count(c, UA_ERROR) == 0, "and cut at a boundary it is no error either");
	ua_check_free(c);
	free(buf);
	s.entries[1].size = 13;
	buf = build(&s, &len);
	c = check_buf(buf, len);
	ok(ua_check_count(c, UA_ERROR) == 0 && crc_is(c, UA_CRC_UNKNOWN, 0, 7, 0),
	   "an odd-sized CRC entry: not understood");
	ua_check_free(c);
	free(buf);

	/* A damaged block: the block checksums say it, the CRC entry is silent. */
	crc_spec(&s, 1);
	uab_add_damage(&s, UAB_BLOCK_CRC, 3, 2);
	buf = build(&s, &len);
	c = check_buf(buf, len);
	ok(ua_check_count(c, UA_ERROR) == 1 && !find_kind(c, UA_K_CRC_ENTRY_MISMATCH) &&
	   crc_is(c, UA_CRC_NOT_JUDGED, 0, 7, 0),
	   "a damaged block: one error, the CRC entry not judged");
	ua_check_free(c);
	free(buf);
}

static void test_names(void)
{
	int unique = 1, named = 1;

	for (int k = 0; k < UA_K_COUNT; k++) {
		named &= strcmp(ua_kind_name(k), "unknown") != 0;
		for (int j = 0; j < k; j++)
			unique &= strcmp(ua_kind_name(k), ua_kind_name(j)) != 0;
	}
	ok(named && unique, "every finding kind has its own name");
	is_str(ua_kind_name(UA_K_BLOCK_CRC), "block-crc", "block-crc name");
	is_str(ua_kind_name(UA_K_TRUNCATED), "truncated", "truncated name");
	is_str(ua_kind_name(UA_K_HTML), "html", "html name");
	is_str(ua_verdict_name(UA_VALID_WITH_WARNINGS), "valid-with-warnings",
	       "verdict name");
	is_str(ua_severity_name(UA_WARNING), "warning", "severity name");
	is_str(ua_entry_result_name(UA_ENTRY_TRUNCATED), "truncated",
	       "entry result name");
	is_str(ua_format_name(UA_FMT_UPDATE_BIN), "update-bin", "format name");
}

int main(void)
{
	test_valid_small();
	test_valid_default();
	test_real_header();
	test_damage();
	test_truncate_pad();
	test_odd_files();
	test_table_cap();
	test_caps();
	test_chunking();
	test_sniff();
	test_sniff_words();
	test_names();
	test_crc_entry();
	return done_testing();
}
