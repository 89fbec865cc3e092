/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_UA_BUILD_H
#define DLOADCARD_UA_BUILD_H

/*
 * Test support: builds UPDATE.APP containers (doc/updateapp-format.md), valid
 * or with one kind of damage, streaming them to a write callback.  Entry data
 * is pseudo-random from a seed, regenerated on demand, so a multi-gigabyte
 * container needs no memory.  Used by tests/mkupdateapp.c and the unit tests.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UAB_MAX_ENTRIES 64
#define UAB_MAX_DAMAGE 8
#define UAB_MAX_ZIP_EXTRA 8

struct uab_entry {
	char name[33];          /* up to 32 characters: runs into the blank */
	char hwid[9];           /* "" means "HW7x25" */
	const char *text;       /* when set, the data is this string */
	uint32_t size;          /* data size, when text is NULL */
	uint16_t block_size;    /* 0 means 4096 */
	uint32_t seq;
	/* The data is a CRC entry of the layout (doc/updateapp-format.md):
	 * one CRC-16/X-25 of every 32 KiB piece of every other entry's data,
	 * signatures and CRC entries left out; its size is set by
	 * uab_fix_crc_lists(). */
	bool crc_list;
};

enum uab_damage_kind {
	UAB_NONE,
	/* One entry (damage.entry); the header checksum is recomputed after
	 * the change, so each gives exactly its own finding. */
	UAB_HEADER_CRC,         /* the stored header checksum is wrong */
	UAB_BLOCK_CRC,          /* a byte of block damage.arg is changed */
	UAB_BAD_MAGIC,
	UAB_BAD_HEADER_LENGTH,  /* header says 2 bytes more than it has */
	UAB_BAD_CONST,          /* the 01 00 00 00 field is 2 */
	UAB_ZERO_BLOCK_SIZE,
	UAB_PADDING,            /* pad bytes not zero (entry needs a pad) */
	UAB_HWID,               /* "XY1234" */
	UAB_DATE,               /* "2015-03-22" */
	UAB_TIME,               /* "25.61.00" */
	UAB_NAME,               /* a control character in the name */
	UAB_NO_SIGNATURE,       /* entry 0 renamed so it is no signature */
	/* The whole file. */
	UAB_TRUNCATE,           /* the last damage.arg bytes are cut off */
	UAB_TRAILING,           /* damage.arg pseudo-random bytes appended */
	UAB_TRAILING_ZEROS,     /* damage.arg zero bytes appended */
	UAB_LEADING_ZEROS,      /* damage.arg leading zeros instead of 92 */
	/* Something else instead of a container. */
	UAB_HTML,
	UAB_ZIP,                /* the container inside a zip, not extracted */
	UAB_EMPTY,
	UAB_ZEROS,              /* as many zero bytes as the container */
	UAB_UPDATE_BIN,         /* an OpenHarmony update.bin header */
	UAB_TEXT,               /* a plain text error message */
	UAB_RAR,
	UAB_DAMAGE_COUNT
};

struct uab_damage {
	enum uab_damage_kind kind;
	unsigned entry;
	uint64_t arg;
};

struct uab_spec {
	uint64_t seed;
	struct uab_entry entries[UAB_MAX_ENTRIES];
	size_t n;
	bool no_last_pad;       /* the file ends right after the last data */
	struct uab_damage damage[UAB_MAX_DAMAGE];
	size_t ndamage;
	/* Wrap the result in a stored zip under this path (e.g.
	 * "Firmware/dload/UPDATE.APP"), with small extra files. */
	const char *zip_path;
	const char *zip_extra[UAB_MAX_ZIP_EXTRA];
	size_t nzip_extra;
};

/* Where entry i sits in the undamaged container. */
struct uab_layout {
	uint64_t header_offset;
	uint32_t header_length;
	uint64_t data_offset;
	uint32_t data_size;
	uint32_t pad;           /* 0 for the last entry with no_last_pad */
	uint64_t end;           /* after the pad */
};

/* Returns 0, or a negative errno (a write error, or -EINVAL for a damage
 * that cannot apply, e.g. padding on an entry without pad). */
typedef int (*uab_write_fn)(void *arg, const void *buf, size_t len);

int uab_write(const struct uab_spec *s, uab_write_fn fn, void *arg);

void uab_layout(const struct uab_spec *s, size_t i, struct uab_layout *out);
uint64_t uab_container_size(const struct uab_spec *s);   /* undamaged */
uint32_t uab_data_size(const struct uab_entry *e);

#define UAB_CRC_PIECE 32768u
/* The size a CRC list of s must have; set it on every crc_list entry. */
uint32_t uab_crc_list_size(const struct uab_spec *s);
void uab_fix_crc_lists(struct uab_spec *s);

/* Entries */
struct uab_entry *uab_add(struct uab_spec *s, const char *name, uint32_t size);
struct uab_entry *uab_add_text(struct uab_spec *s, const char *name,
			       const char *text);
int uab_add_damage(struct uab_spec *s, enum uab_damage_kind kind,
		   unsigned entry, uint64_t arg);

/* Fill s with a realistic entry list (signature, a CRC entry of the layout,
 * version texts, boot
 * images, an empty entry, a 17-character name, SYSTEM last) close to total
 * bytes, keeping at most max_entries (0: all).  -EINVAL if it cannot fit. */
int uab_default_spec(struct uab_spec *s, uint64_t total, size_t max_entries,
		     bool no_last_pad);
/* The same with a CRC entry of another layout (random bytes, as before
 * the layout was known): foreign_crc. */
int uab_default_spec_crc(struct uab_spec *s, uint64_t total, size_t max_entries,
			 bool no_last_pad, bool foreign_crc);

/* Damage kinds by name ("block-crc", "truncate", ...), for command lines. */
const char *uab_damage_name(enum uab_damage_kind k);
enum uab_damage_kind uab_damage_by_name(const char *name);

/* A growing memory buffer as a write callback. */
struct uab_mem {
	unsigned char *buf;
	size_t len, cap;
};
int uab_mem_write(void *arg, const void *buf, size_t len);

/* Build into memory; NULL on error.  Free with free(). */
unsigned char *uab_build(const struct uab_spec *s, size_t *len);

#endif
