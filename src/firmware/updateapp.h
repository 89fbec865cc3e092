/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FIRMWARE_UPDATEAPP_H
#define DLOADCARD_FIRMWARE_UPDATEAPP_H

/*
 * The UPDATE.APP container checker (doc/updateapp-format.md).
 *
 * Streaming: the caller feeds the file's bytes in order, in chunks of any
 * size, then calls ua_check_finish().  Nothing needs random access, and
 * memory stays bounded (one entry's checksum table, at most
 * UA_MAX_TABLE_BYTES, plus small per-entry records).
 *
 *	struct ua_check *c = ua_check_new(size);
 *	while ((n = read(fd, buf, sizeof(buf))) > 0)
 *		ua_check_feed(c, buf, n);
 *	ua_check_finish(c);
 *	switch (ua_check_verdict(c)) ...
 *	for (size_t i = 0; i < ua_check_finding_count(c); i++) ...
 *	ua_check_free(c);
 *
 * Never prints, never exits.  One checker is used by one thread at a time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pass as file_size when the size is not known in advance. */
#define UA_SIZE_UNKNOWN UINT64_MAX

/* Limits that keep memory bounded on hostile input. */
#define UA_MAX_TABLE_BYTES (4u << 20)  /* one entry's checksum table */
#define UA_MAX_ENTRIES 4096            /* entries recorded (all are checked) */
#define UA_MAX_FINDINGS 1000           /* findings recorded (all are counted) */
#define UA_TEXT_MAX 4096               /* largest entry shown as text */

#define UA_LEADING_ZEROS 92            /* zeros before the first entry */
#define UA_FIXED_HEADER 98             /* fixed part of an entry header */

enum ua_verdict {
	UA_VALID,               /* every certain check passed, no warnings */
	UA_VALID_WITH_WARNINGS, /* every certain check passed */
	UA_DAMAGED,             /* an UPDATE.APP, damaged or truncated */
	UA_NOT_UPDATEAPP,       /* something else: HTML, zip, empty, ... */
};

enum ua_severity {
	UA_INFO,
	UA_WARNING,
	UA_ERROR,
};

/*
 * One value per kind of finding; ua_kind_name() gives a stable short string
 * for JSON and scripts.  Append new kinds at the end of their group.
 */
enum ua_kind {
	/* Not an UPDATE.APP at all (verdict UA_NOT_UPDATEAPP). */
	UA_K_EMPTY,              /* "empty": zero bytes */
	UA_K_ZEROS,              /* "zeros": nothing but zero bytes */
	UA_K_HTML,               /* "html": a web page saved instead */
	UA_K_ZIP,                /* "zip": the firmware zip, not extracted */
	UA_K_ARCHIVE,            /* "archive": RAR, 7z, tar, gzip, ... */
	UA_K_UPDATE_BIN,         /* "update-bin": HarmonyOS/OpenHarmony update.bin */
	UA_K_TEXT,               /* "text": a text file (an error message?) */
	UA_K_UNKNOWN_FORMAT,     /* "unknown-format" */

	/* Damaged (verdict UA_DAMAGED). */
	UA_K_BAD_MAGIC,          /* "bad-magic": no 55 AA 5A A5 where an entry starts */
	UA_K_BAD_HEADER_LENGTH,  /* "bad-header-length" */
	UA_K_BAD_CONST,          /* "bad-const": the 01 00 00 00 field */
	UA_K_ZERO_BLOCK_SIZE,    /* "zero-block-size" */
	UA_K_HEADER_CRC,         /* "header-crc" */
	UA_K_BLOCK_CRC,          /* "block-crc": value = number of bad blocks */
	UA_K_TRUNCATED,          /* "truncated": value = bytes missing */
	UA_K_TRAILING,           /* "trailing": value = bytes after the last entry */
	UA_K_TABLE_TOO_LARGE,    /* "table-too-large": entry not verified */
	UA_K_SIZE_MISMATCH,      /* "size-mismatch": value = bytes fed */
	UA_K_CRC_ENTRY_CUT,      /* "crc-entry-cut": the file ends at an entry
				  * boundary where its CRC entry lists more
				  * data; value = bytes missing (at most) */

	/* Warnings: heuristics (verdict at worst UA_VALID_WITH_WARNINGS). */
	UA_K_LEADING_ZEROS,      /* "leading-zeros": value = count */
	UA_K_PADDING,            /* "padding": non-zero pad bytes */
	UA_K_HARDWARE_ID,        /* "hardware-id" */
	UA_K_DATE,               /* "date" */
	UA_K_TIME,               /* "time" */
	UA_K_NAME,               /* "name" */
	UA_K_BLOCK_SIZE,         /* "block-size": not 4096 */
	UA_K_SIGNATURE_POSITION, /* "signature-position": entry 0 not a signature */
	UA_K_TOO_MANY_ENTRIES,   /* "too-many-entries": only the first are listed */
	UA_K_CRC_ENTRY_MISMATCH, /* "crc-entry-mismatch": the CRC entry's first
				  * checksums match, a later one does not (or
				  * it lists less data); value = first piece
				  * that differs */

	/* Information. */
	UA_K_SIGNATURE,          /* "signature": present, cannot be checked */
	UA_K_CRC_ENTRY,          /* "crc-entry": its checksums all match;
				  * value = how many */
	UA_K_CRC_ENTRY_UNKNOWN,  /* "crc-entry-unknown": of another layout,
				  * not judged */

	UA_K_COUNT
};

struct ua_finding {
	enum ua_severity severity;
	enum ua_kind kind;
	int entry;              /* entry index, or -1 for the whole file */
	uint64_t offset;        /* absolute byte offset in the file */
	uint64_t value;         /* kind-specific count (see enum ua_kind), or 0 */
	const char *message;    /* for a user: what, where, likely cause */
	const char *advice;     /* one line: what to do */
};

enum ua_entry_result {
	UA_ENTRY_OK,
	UA_ENTRY_WARNING,       /* a heuristic failed */
	UA_ENTRY_DAMAGED,       /* a certain check failed */
	UA_ENTRY_TRUNCATED,     /* the file ends inside this entry */
};

struct ua_entry {
	unsigned index;
	uint64_t header_offset;
	uint32_t header_length;
	uint64_t data_offset;
	uint32_t data_size;
	char name[33];          /* type field; a long name runs into the next */
	char hardware_id[9];    /* up to the 0xFF padding */
	uint32_t sequence;
	char date[17];
	char time[17];
	uint16_t block_size;
	uint32_t block_count;   /* ceil(data_size / block_size) */
	uint32_t blocks_checked;
	uint32_t bad_blocks;
	uint64_t first_bad_offset;  /* absolute; valid when bad_blocks > 0 */
	uint16_t header_crc;        /* as stored */
	bool header_crc_ok;
	bool is_signature;      /* MD5RSA, SHA256RSA, ...: reported, not judged */
	enum ua_entry_result result;
	const char *text;       /* small printable data (versions...), or NULL */
};

/* What the first bytes of a file look like. */
enum ua_format {
	UA_FMT_UNKNOWN,
	UA_FMT_UPDATE_APP,      /* zeros then 55 AA 5A A5 (or the magic at 0) */
	UA_FMT_EMPTY,
	UA_FMT_ZEROS,           /* every byte given is zero */
	UA_FMT_HTML,
	UA_FMT_ZIP,
	UA_FMT_ARCHIVE,
	UA_FMT_UPDATE_BIN,
	UA_FMT_TEXT,
};

/*
 * Classify a file from its first len bytes (give 512 if there are that many;
 * fewer only when the file is shorter).  Cheap; reads nothing else.
 */
enum ua_format ua_sniff(const void *buf, size_t len);

struct ua_check;

/* NULL when out of memory.  file_size may be UA_SIZE_UNKNOWN. */
struct ua_check *ua_check_new(uint64_t file_size);
void ua_check_feed(struct ua_check *c, const void *buf, size_t len);
/* End of input; fewer (or more) bytes than file_size is itself a finding. */
void ua_check_finish(struct ua_check *c);
void ua_check_free(struct ua_check *c);

/* Valid after ua_check_finish(). */
enum ua_verdict ua_check_verdict(const struct ua_check *c);
/* 0, or -ENOMEM if a record could not be stored (results incomplete). */
int ua_check_error(const struct ua_check *c);
uint64_t ua_check_bytes(const struct ua_check *c);     /* bytes fed */

/* Entries found (at most UA_MAX_ENTRIES recorded), in file order. */
size_t ua_check_entry_count(const struct ua_check *c);
const struct ua_entry *ua_check_entry(const struct ua_check *c, size_t i);
/* Every entry seen, recorded or not. */
uint64_t ua_check_entries_seen(const struct ua_check *c);

/*
 * The CRC entry (doc/updateapp-format.md): one CRC-16/X-25 of every 32 KiB
 * piece of every entry's data but the signatures' and its own, in entry
 * order.  Judged at the end of a file otherwise free of errors.
 */
#define UA_CRC_PIECE 32768u
#define UA_MAX_CRC_BYTES (1u << 20)    /* a CRC entry kept: 16 GiB of data */

enum ua_crc_result {
	UA_CRC_ABSENT,          /* no entry named CRC */
	UA_CRC_PASS,            /* every checksum matches, the lengths agree */
	UA_CRC_CUT,             /* it lists more data than the file holds */
	UA_CRC_MISMATCH,        /* its first checksums match, not all */
	UA_CRC_UNKNOWN,         /* another layout: not understood, not judged */
	UA_CRC_NOT_JUDGED,      /* the file is damaged, or not read through */
};

struct ua_crc_summary {
	enum ua_crc_result result;
	int entry;              /* the CRC entry's index, or -1 */
	uint64_t listed;        /* checksums it holds */
	uint64_t pieces;        /* 32 KiB pieces the file holds */
	uint64_t matched;       /* leading checksums that match */
};

/* Valid after ua_check_finish(). */
void ua_check_crc(const struct ua_check *c, struct ua_crc_summary *out);
const char *ua_crc_result_name(enum ua_crc_result r);  /* "pass", "cut", ... */

/* Findings in file order (at most UA_MAX_FINDINGS recorded). */
size_t ua_check_finding_count(const struct ua_check *c);
const struct ua_finding *ua_check_finding(const struct ua_check *c, size_t i);
/* Findings counted but not recorded past UA_MAX_FINDINGS. */
uint64_t ua_check_findings_dropped(const struct ua_check *c);
/* Findings of a severity, recorded or not. */
uint64_t ua_check_count(const struct ua_check *c, enum ua_severity s);

/* Stable short strings, for JSON and scripts. */
const char *ua_verdict_name(enum ua_verdict v);    /* "valid", "damaged", ... */
const char *ua_severity_name(enum ua_severity s);  /* "info", "warning", "error" */
const char *ua_kind_name(enum ua_kind k);          /* "block-crc", "html", ... */
const char *ua_entry_result_name(enum ua_entry_result r);  /* "ok", ... */
const char *ua_format_name(enum ua_format f);      /* "update-app", "zip", ... */

#endif
