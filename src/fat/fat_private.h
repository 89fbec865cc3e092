/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FAT_FAT_PRIVATE_H
#define DLOADCARD_FAT_FAT_PRIVATE_H

/*
 * What the files of the FAT32 library share, and no one outside src/fat/
 * may include: the volume, the on-disk constants, and what each file
 * offers the others.  The files, by on-disk concept (as dosfstools splits
 * fsck.fat):
 *
 *   identify.c  what a partition holds: FAT32, exFAT, ext4, an MBR, zeros
 *   boot.c      boot sector, BPB, FSInfo, backup boot sector; open, close
 *   fatio.c     reading the partition: bounds, aligned buffers, messages
 *   table.c     the FAT: entries through a window, chains, the copies compared
 *   dir.c       directories: entries, 8.3 names, timestamps, look-up
 *   lfn.c       long names: their parts put together, UCS-2 to UTF-8
 *   tree.c      the audit of the whole tree: cross-links, lost clusters
 *   extents.c   where a file lies on the card
 *   alloc.c     the allocator of prepare, the only code that writes
 *               (fat/alloc.h: verify's code does not include it)
 *
 * Every name here starts with fat_, as the public ones do.  A failure
 * returns a negative errno and, in the caller's struct errmsg *e (may be
 * NULL), its sentence (lib/errmsg.h): the volume keeps no error.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fat/fat.h"
#include "lib/byteorder.h"
#include "lib/errmsg.h"

#define FAT_MASK        0x0fffffffu  /* FAT32 entries are 28 bits; 4 reserved */
#define FAT_EOC         0x0fffffffu
#define FAT_EOC_MIN     0x0ffffff8u
#define FAT_BAD         0x0ffffff7u
#define FAT_RSVD_MIN    0x0ffffff0u

#define FAT_PROBE_LEN   4096u          /* enough for a BPB, GPT header, ext sb */
#define FAT_WIN         (256u * 1024)  /* FAT cache window */
#define FAT_CHUNK       (64u * 1024)   /* FAT comparisons and updates */
#define DIR_MAX_ENTRIES 65536u         /* the spec's limit: 2 MiB of entries */
#define DIR_ENT         32u
#define LFN_MAX_ENTRIES 20u            /* 20 x 13 >= 255 characters */
#define LFN_CHARS       13u

struct fat_vol {
	struct fat_io io;
	struct fat_geom g;
	uint8_t *win;           /* FAT cache: one window of one FAT copy */
	uint64_t win_start;     /* byte offset inside that FAT */
	uint32_t win_copy;
	uint32_t win_len;
	bool win_valid;
};

/* A long name being put together: its entries come last part first. */
struct fat_lfn {
	uint16_t name[LFN_MAX_ENTRIES * LFN_CHARS];
	bool active;
	unsigned count;         /* parts announced by the first entry */
	unsigned next;          /* sequence number expected next; 0: complete */
	uint8_t sum;
	bool broken;            /* parts were dropped since the last 8.3 entry */
};

struct fat_dir {
	struct fat_vol *v;
	uint32_t cluster;       /* cluster being read */
	uint32_t pos;           /* offset of the next entry inside it */
	uint8_t *buf;
	uint32_t buf_len;
	uint32_t buf_start;     /* offset of buf inside the cluster */
	bool buf_valid;
	uint32_t entries;
	bool end;
	struct fat_lfn lfn;
};

static inline bool fat_is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* fatio.c */

/* Page aligned, so that an O_DIRECT callback can use it; free() it. */
void *fat_io_alloc(size_t len);
/* A callback's return value as the library's: 0 or -errno. */
int fat_io_result(int r);
/* -EINVAL with a message unless off..off+len lies inside the partition. */
int fat_vol_range(struct fat_vol *v, const char *what, uint64_t off, size_t len,
		  struct errmsg *e);
/* r, with "cannot <what> <len> bytes at card offset ..." in e. */
int fat_io_failed(struct fat_vol *v, int r, const char *what, uint64_t off, size_t len,
		  struct errmsg *e);
/* off from the partition start. */
int fat_vol_read(struct fat_vol *v, uint64_t off, void *buf, size_t len, struct errmsg *e);

/* identify.c */

bool fat_valid_bps(unsigned bps);
/* Reads the first (up to) 4 KiB of the partition into buf; *len 0: too small. */
int fat_probe_read(const struct fat_io *io, uint64_t part_offset,
		   uint64_t part_size, uint8_t *buf, size_t *len);
enum fat_kind fat_identify_buf(const uint8_t *b, size_t len);

/* boot.c */

/* Copies an 11- or 8-byte blank-padded field, cutting trailing blanks. */
void fat_copy_field(char *dst, const uint8_t *src, size_t n);
/* Does the sector b carry FSInfo's three signatures? */
bool fat_fsinfo_signed(const uint8_t *b);

/* table.c */

/* What a FAT entry links to. */
enum fat_link { L_NEXT, L_EOC, L_FREE, L_RESERVED, L_BAD, L_RANGE };

static inline uint32_t fat_max_cluster(const struct fat_vol *v)
{
	return v->g.cluster_count + 1;
}

static inline bool fat_valid_cluster(const struct fat_vol *v, uint32_t c)
{
	return c >= 2 && c <= fat_max_cluster(v);
}

/* Offset of cluster c from the partition start. */
static inline uint64_t fat_cluster_off(const struct fat_vol *v, uint32_t c)
{
	return v->g.data_offset + (uint64_t)(c - 2) * v->g.cluster_size;
}

static inline uint32_t fat_clusters_for(const struct fat_vol *v, uint64_t size)
{
	return (uint32_t)((size + v->g.cluster_size - 1) / v->g.cluster_size);
}

/* The clusters of the longest directory (DIR_MAX_ENTRIES entries). */
static inline uint64_t fat_dir_max_clusters(const struct fat_vol *v)
{
	return DIR_MAX_ENTRIES * (uint64_t)DIR_ENT / v->g.cluster_size;
}

enum fat_chain_problem fat_link_problem(enum fat_link l);
/* Entry c (0 and 1 too) of FAT copy `copy`, through the window cache. */
int fat_get(struct fat_vol *v, uint32_t copy, uint32_t c, uint32_t *val, struct errmsg *e);
/* What entry c of the active FAT links to. */
int fat_next_cluster(struct fat_vol *v, uint32_t c, uint32_t *next, enum fat_link *l,
		     struct errmsg *e);
/* fn(arg, c, value) for every data cluster's entry of the active FAT, one
 * window at a time (a big card has millions). */
int fat_scan(struct fat_vol *v, void (*fn)(void *arg, uint32_t c, uint32_t val), void *arg,
	     struct errmsg *e);
/* FAT[0] and FAT[1]: the media byte, the clean and error bits. */
int fat_check_reserved_entries(struct fat_vol *v, struct errmsg *e);

/* The cluster bitmaps of the checks: one bit a cluster, 0 and 1 included. */
static inline uint8_t *fat_bitmap_new(const struct fat_vol *v)
{
	return calloc(((size_t)v->g.cluster_count + 2 + 7) / 8, 1);
}

static inline bool fat_bit_test(const uint8_t *bm, uint32_t c)
{
	return bm[c / 8] & (1u << (c % 8));
}

static inline void fat_bit_set(uint8_t *bm, uint32_t c)
{
	bm[c / 8] |= (uint8_t)(1u << (c % 8));
}

/* Problems of a directory entry itself, before any FAT entry is read:
 * true when there is no chain to walk (r->problem says whether that is
 * wrong). */
bool fat_entry_problem(const struct fat_vol *v, const struct fat_dirent *de,
		       struct fat_chain_report *r);
/* After a walk that reached the chain's end at last (EOC value eoc): does
 * its length fit the size?  should_end: the cluster where it should end. */
void fat_length_problem(const struct fat_dirent *de, uint32_t last, uint32_t eoc,
			uint32_t should_end, struct fat_chain_report *r);

/* dir.c */

/* The root as an entry, as fat_lookup() gives it. */
void fat_root_dirent(const struct fat_vol *v, struct fat_dirent *de);
/* "NAME    EXT" to "NAME.EXT"; 0x05 stands for a leading 0xE5. */
void fat_format_short(const uint8_t *e, char out[13]);
/* Appends "/name" (or "name" to an empty path), when it fits. */
void fat_append_path(char *buf, size_t len, const char *name);
/* The root's volume-label entry into v->g. */
int fat_read_root_label(struct fat_vol *v, struct errmsg *e);

/* lfn.c */

uint8_t fat_lfn_checksum(const uint8_t *name11);
/* An entry that is not part of the name being put together: drop it. */
void fat_lfn_drop(struct fat_lfn *lfn);
/* A long-name entry. */
void fat_lfn_add(struct fat_lfn *lfn, const uint8_t *e);
/* The 8.3 entry e ends the name: true with name filled (UTF-8) when the
 * parts are complete and their checksum is e's. */
bool fat_lfn_take(struct fat_lfn *lfn, const uint8_t *e, char name[FAT_NAME_MAX]);
/* Code point cp as UTF-8 at out (1 to 4 bytes); returns the count. */
size_t fat_put_utf8(char *out, uint32_t cp);
/* n UCS-2 units (UTF-16 in practice) as UTF-8, NUL-terminated; a lone
 * surrogate becomes U+FFFD.  At most 3 bytes a unit. */
void fat_utf16_to_utf8(const uint16_t *u, size_t n, char *out);

#endif
