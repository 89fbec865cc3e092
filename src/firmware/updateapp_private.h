/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FIRMWARE_UPDATEAPP_PRIVATE_H
#define DLOADCARD_FIRMWARE_UPDATEAPP_PRIVATE_H

/*
 * What the files of the UPDATE.APP checker share, and no one outside them
 * may include:
 *
 *   updateapp.c         the container parser (streaming), its findings
 *   updateapp_header.c  the 98 fixed bytes of an entry header: fields, shape
 *   updateapp_sniff.c   what a file is when it is not an UPDATE.APP (HTML,
 *                       a zip, update.bin, text...), and what bytes look like
 *   updateapp_names.c   the stable names, and each finding kind's severity
 *                       and advice
 *   updateapp_crc.c     the CRC entry: its list kept, the pieces' CRCs, the
 *                       comparison at the end
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/updateapp.h"

#define UA_MAGIC "\x55\xAA\x5A\xA5"    /* the 4 bytes every entry starts with */

/* updateapp_names.c */

enum ua_severity ua_kind_severity(enum ua_kind k);
/* One line: what to do. */
const char *ua_kind_advice(enum ua_kind k);

/* updateapp_sniff.c */

static inline bool ua_is_print(unsigned char ch)
{
	return ch >= 0x20 && ch < 0x7f;
}

/* How many bytes from p on are zero (fast: gigabytes of padding happen). */
size_t ua_zero_run(const unsigned char *p, size_t len);
/* A fixed-width field up to its first NUL (or stop byte), made printable. */
void ua_field_str(char *out, size_t outsz, const unsigned char *p, size_t len,
		  unsigned char stop);
/* Plain ASCII text: printable, tabs and line ends (stricter than the sniffer,
 * so that a tiny binary entry is not taken for text). */
bool ua_is_ascii_text(const unsigned char *p, size_t len);
/* "RAR", "7z", "tar", ... when ua_sniff() says UA_FMT_ARCHIVE. */
const char *ua_archive_name(const unsigned char *p, size_t len);
/* The first line of a text file, printable, past a BOM and blanks. */
void ua_text_excerpt(char *out, size_t outsz, const unsigned char *p, size_t len);
/* " (product X, version Y)" of an update.bin, or "". */
void ua_update_bin_product(char *out, size_t outsz, const unsigned char *p, size_t len);

/* updateapp_crc.c: fed by the parser with each entry's data. */

struct ua_crcent;
struct ua_crcent *ua_crcent_new(void);
void ua_crcent_free(struct ua_crcent *k);
bool ua_crcent_is_crc_name(const char *name);
/* The data of entry e (its header read) begins, ... passes, ... ends. */
void ua_crcent_begin(struct ua_crcent *k, const struct ua_entry *e);
void ua_crcent_data(struct ua_crcent *k, const unsigned char *p, size_t len);
void ua_crcent_end(struct ua_crcent *k);
/* The comparison, at the end; damaged: the file has an error already, so
 * the pieces are not what the list was made from. */
void ua_crcent_judge(const struct ua_crcent *k, bool damaged, struct ua_crc_summary *s);

/* updateapp_header.c */

/* Blocks of bs bytes that size bytes need (0 for bs 0). */
static inline uint64_t ua_blocks_for(uint64_t size, uint32_t bs)
{
	return bs ? (size + bs - 1) / bs : 0;
}

/* The fields of the fixed header h into e, whose index and header_offset
 * the caller has set. */
void ua_header_fields(const unsigned char h[UA_FIXED_HEADER], struct ua_entry *e);
/* The CRC-16 the header should hold at bytes 92-93. */
uint16_t ua_header_crc(const unsigned char h[UA_FIXED_HEADER]);

/* Fields whose form is not that of every known file (heuristics). */
enum {
	UA_ODD_HARDWARE_ID = 1u << 0,   /* not "HW", letters, FF padding */
	UA_ODD_DATE        = 1u << 1,   /* not YYYY.MM.DD */
	UA_ODD_TIME        = 1u << 2,   /* not HH.MM.SS */
	UA_ODD_NAME        = 1u << 3,   /* empty, or unprintable bytes */
};
unsigned ua_header_oddities(const unsigned char h[UA_FIXED_HEADER]);

/* A header whose magic was hit, not random bytes: the constant 1 and
 * lengths consistent with each other. */
bool ua_header_plausible(const unsigned char h[UA_FIXED_HEADER]);

#endif
