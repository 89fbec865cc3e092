/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FAT_FAT_H
#define DLOADCARD_FAT_FAT_H

/*
 * A small FAT32 library: a read-only auditor for `verify`, and (in
 * fat/alloc.h, the only part that writes) the contiguous allocation of one
 * file for `prepare`.
 *
 * Everything on the card is untrusted: every number read from it is range
 * checked before it is used as a size, an offset or a cluster.  The library
 * never prints and never exits; functions return 0 (or a count) on success
 * and a negative errno on failure, with a sentence saying why in the
 * caller's struct errmsg *e (lib/errmsg.h; e may be NULL).  Errors of the
 * I/O callbacks are passed through unchanged.
 *
 *   -EMEDIUMTYPE  the partition holds something that is not FAT32
 *   -EUCLEAN      FAT32, but a structure is inconsistent (chain, boot sector)
 *   -EFBIG        a directory longer than 65536 entries (or a loop)
 *   -ENOENT, -ENOTDIR, -EISDIR, -ENAMETOOLONG   path look-ups
 *   -ENOSPC, -EFBIG, -EEXIST, -EROFS, -EBUSY    allocation (fat/alloc.h)
 *   -ENOMEM, and whatever the callbacks return (-EIO, ...)
 *
 * Names come from the card: escape them before printing.
 *
 * Memory: a 256 KiB FAT window per volume, 4 KiB per open directory,
 * 64 KiB buffers while comparing or allocating, and the cluster bitmaps
 * of the checks (cluster_count bits each: 4 MiB for 32M clusters).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errmsg.h"

/*
 * How the library reaches the card.  Offsets are absolute on the card (the
 * partition's start is added by the library).  Every request is a whole
 * number of 512-byte units at a 512-byte aligned offset when part_offset is
 * 512-aligned, and after fat_open() a whole number of file-system sectors;
 * buffers are 4096-byte aligned.  A callback whose device needs more
 * (O_DIRECT on a 4Kn disk) must bounce.  Return 0, or a negative errno;
 * a short transfer is an error (-EIO).  write may be NULL for a read-only
 * volume.
 */
struct fat_io {
	void *ctx;
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	int (*write)(void *ctx, uint64_t off, const void *buf, size_t len);
};

/* What was found at the start of a partition. */
enum fat_kind {
	FAT_KIND_UNKNOWN = 0,
	FAT_KIND_FAT32,
	FAT_KIND_FAT16,
	FAT_KIND_FAT12,
	FAT_KIND_EXFAT,
	FAT_KIND_NTFS,
	FAT_KIND_EXT2,
	FAT_KIND_EXT3,
	FAT_KIND_EXT4,
	FAT_KIND_PARTITION_TABLE,  /* an MBR or GPT: a whole disk, not a partition */
	FAT_KIND_BLANK,            /* only zeros (or only 0xff) */
	FAT_KIND_TOO_SMALL,        /* the partition is smaller than a sector */
};

/* "FAT32", "exFAT", "ext4", "no file system (blank)", ... */
const char *fat_kind_name(enum fat_kind kind);

/*
 * Name what is at the start of the partition.  FAT_KIND_FAT32 means "looks
 * like FAT32" (a FAT BPB without a 16-bit FAT size, or a damaged BPB whose
 * type field says "FAT32"); fat_open() does the full validation and says
 * what is wrong.  FAT12 and FAT16 are told apart by their cluster count.
 * Reads at most the first 4 KiB.  Returns 0 or -errno.
 */
int fat_identify(const struct fat_io *io, uint64_t part_offset,
		 uint64_t part_size, enum fat_kind *kind, struct errmsg *e);

/* Things that do not stop the volume from being read, but deserve a word. */
enum {
	FAT_WARN_JUMP          = 1u << 0,  /* no x86 jump at byte 0 */
	FAT_WARN_FEW_CLUSTERS  = 1u << 1,  /* < 65525 clusters: others see FAT16 */
	FAT_WARN_FSINFO        = 1u << 2,  /* no FSInfo, or bad signatures */
	FAT_WARN_FSINFO_RANGE  = 1u << 3,  /* FSInfo counters out of range */
	FAT_WARN_HIDDEN        = 1u << 4,  /* hidden sectors != partition start */
	FAT_WARN_BACKUP_BOOT   = 1u << 5,  /* backup boot sector missing/differs */
	FAT_WARN_DIRTY         = 1u << 6,  /* FAT[1]: not cleanly unmounted */
	FAT_WARN_HARD_ERRORS   = 1u << 7,  /* FAT[1]: I/O errors were seen */
	FAT_WARN_FAT_ID        = 1u << 8,  /* FAT[0] does not carry the media byte */
	FAT_WARN_NO_MIRROR     = 1u << 9,  /* FAT mirroring disabled (one active FAT) */
	FAT_WARN_VERSION       = 1u << 10, /* FAT32 version is not 0.0 */
	/* Readable, but not as Microsoft's FAT specification (fatgen103)
	 * asks, which is what a bootloader's small FAT reader follows: */
	FAT_WARN_CLUSTER_SIZE  = 1u << 11, /* clusters above 32 KiB */
	FAT_WARN_OEM_NAME      = 1u << 12, /* BS_OEMName is not "MSWIN4.1" */
	FAT_WARN_DRIVE_NUMBER  = 1u << 13, /* BS_DrvNum not 0x80 on a partition */
	FAT_WARN_MEDIA         = 1u << 14, /* BPB_Media not 0xF8 (fixed media) */
	FAT_WARN_BACKUP_FSINFO = 1u << 15, /* FSInfo's copy in the backup differs */
};
#define FAT_WARN_LAST FAT_WARN_BACKUP_FSINFO
/* The departures from fatgen103 that other formatters make as a rule
 * (mkfs.fat's and mformat's OEM names, a floppy's drive number, ...). */
#define FAT_WARN_STRICT (FAT_WARN_CLUSTER_SIZE | FAT_WARN_OEM_NAME | FAT_WARN_DRIVE_NUMBER | \
			 FAT_WARN_MEDIA | FAT_WARN_BACKUP_FSINFO)

/* A sentence for one FAT_WARN_ bit, or NULL for an unknown bit. */
const char *fat_warning_text(unsigned warning);

#define FAT_FSINFO_UNKNOWN 0xffffffffu

struct fat_geom {
	uint32_t bytes_per_sector;
	uint32_t sectors_per_cluster;
	uint32_t cluster_size;          /* bytes */
	uint32_t reserved_sectors;
	uint32_t num_fats;
	uint32_t fat_sectors;           /* sectors per FAT */
	uint32_t hidden_sectors;
	uint32_t total_sectors;
	uint32_t root_cluster;
	uint32_t cluster_count;         /* data clusters are 2 .. cluster_count + 1 */
	uint32_t active_fat;            /* the copy the library reads (0 unless mirroring is off) */
	uint16_t fsinfo_sector;         /* 0 when there is none */
	uint16_t backup_boot_sector;    /* 0 when there is none */
	uint16_t ext_flags;
	uint8_t media;
	uint8_t drive_number;           /* BS_DrvNum */
	uint64_t part_offset;           /* as given to fat_open() */
	uint64_t part_size;
	uint64_t fat_offset;            /* first FAT, bytes from the partition start */
	uint64_t fat_bytes;             /* length of one FAT */
	uint64_t data_offset;           /* cluster 2, bytes from the partition start */
	char oem[9];                    /* bytes 3-10, NUL-terminated, raw */
	bool has_volume_id;             /* extended boot signature 0x29 present */
	uint32_t volume_id;
	char label[12];                 /* boot-sector label, trailing blanks cut */
	char fs_type[9];                /* "FAT32", trailing blanks cut */
	bool has_root_label;
	char root_label[12];            /* volume-label entry of the root directory */
	bool fsinfo_valid;
	uint32_t fsinfo_free;           /* FAT_FSINFO_UNKNOWN when unknown */
	uint32_t fsinfo_next;           /* last allocated cluster hint */
	unsigned warnings;              /* FAT_WARN_ bits */
};

struct fat_vol;

/*
 * Open the FAT32 file system of the partition at part_offset (bytes, from
 * the card's start) of part_size bytes.  On failure e says why ("the
 * partition holds exFAT, not FAT32", "300 bytes per sector", ...).  io is
 * copied.
 */
int fat_open(const struct fat_io *io, uint64_t part_offset, uint64_t part_size,
	     struct fat_vol **volp, struct errmsg *e);
void fat_close(struct fat_vol *vol);
const struct fat_geom *fat_geometry(const struct fat_vol *vol);

/*
 * The active FAT counted, one pass a window at a time: free entries, and
 * the highest cluster in use (0 when none), which is where FSInfo's
 * next-free hint points after an allocation (the last cluster allocated,
 * as Linux, mtools and Windows leave it).  Returns 0 or -errno.
 */
int fat_count_free(struct fat_vol *vol, uint32_t *free_clusters, uint32_t *last_used,
		   struct errmsg *e);

/* Directory entries */

enum {
	FAT_ATTR_READ_ONLY = 0x01,
	FAT_ATTR_HIDDEN    = 0x02,
	FAT_ATTR_SYSTEM    = 0x04,
	FAT_ATTR_VOLUME_ID = 0x08,
	FAT_ATTR_DIRECTORY = 0x10,
	FAT_ATTR_ARCHIVE   = 0x20,
};

/* Flags of a directory entry. */
enum {
	FAT_DE_LFN       = 1u << 0,  /* name comes from long-name entries */
	FAT_DE_LFN_BAD   = 1u << 1,  /* long-name entries present but broken or
	                                orphaned (checksum): the 8.3 name is used */
	FAT_DE_ROOT      = 1u << 2,  /* the root directory (from fat_lookup) */
};

/* A DOS timestamp, decoded; all zero when the card leaves it unset. */
struct fat_time {
	uint16_t year;
	uint8_t month, day, hour, minute, second;
	uint16_t msec;
};

#define FAT_NAME_MAX 768  /* 255 UCS-2 units as UTF-8, and a NUL */

struct fat_dirent {
	char name[FAT_NAME_MAX];   /* long name (UTF-8), else 8.3 with case flags */
	char short_name[13];       /* 8.3 as stored: "UPDATE.APP" (raw bytes) */
	uint8_t attr;
	uint32_t first_cluster;
	uint32_t size;
	unsigned flags;            /* FAT_DE_ */
	struct fat_time mtime, ctime, atime;
	uint64_t entry_offset;     /* the 8.3 entry, bytes from the partition start */
};

struct fat_dir;

/* Iterate a directory (dir NULL: the root).  "." and ".." and volume-label
 * entries are not reported. */
int fat_dir_open(struct fat_vol *vol, const struct fat_dirent *dir,
		 struct fat_dir **dirp, struct errmsg *e);
/* 1: *de filled; 0: end of the directory; < 0: error. */
int fat_dir_next(struct fat_dir *dir, struct fat_dirent *de, struct errmsg *e);
void fat_dir_close(struct fat_dir *dir);

/*
 * Look up "dload/UPDATE.APP" (components separated by '/'; "" or "/" is the
 * root) against long and 8.3 names, ignoring the case of ASCII letters (other
 * letters must match exactly).  If stored is not NULL it receives the path
 * as stored on the card ("DLOAD/UPDATE.APP").
 */
int fat_lookup(struct fat_vol *vol, const char *path, struct fat_dirent *de,
	       char *stored, size_t storedlen, struct errmsg *e);

/* Cluster chains */

enum fat_chain_problem {
	FAT_CHAIN_OK = 0,
	FAT_CHAIN_LOOP,          /* comes back to a cluster it already used */
	FAT_CHAIN_SHORT,         /* ends before the size is covered */
	FAT_CHAIN_LONG,          /* goes on after the size is covered */
	FAT_CHAIN_FREE,          /* links to a free cluster */
	FAT_CHAIN_RESERVED,      /* links to cluster 1 or a reserved value */
	FAT_CHAIN_BAD,           /* links to a cluster marked bad */
	FAT_CHAIN_RANGE,         /* links past the last cluster */
	FAT_CHAIN_FIRST_INVALID, /* the entry's first cluster is 1 or out of range */
	FAT_CHAIN_NO_CLUSTER,    /* a non-empty file (or a directory) without a cluster */
};

const char *fat_chain_problem_text(enum fat_chain_problem p);

struct fat_chain_report {
	enum fat_chain_problem problem;
	uint32_t clusters;       /* clusters walked (the chain's length when it ends) */
	uint32_t expected;       /* clusters the size needs (0 for a directory) */
	uint32_t runs;           /* runs of contiguous clusters walked */
	uint32_t at_cluster;     /* the cluster whose FAT entry is wrong (0: the dir entry) */
	uint32_t value;          /* that entry's value (28 bits) */
};

/*
 * Walk the whole chain of de (to its end, whatever the size says), with a
 * bitmap against loops.  Returns 0 with r->problem set, or -errno.
 */
int fat_check_chain(struct fat_vol *vol, const struct fat_dirent *de,
		    struct fat_chain_report *r, struct errmsg *e);

struct fat_fat_diff {
	uint32_t cluster;        /* first entry that differs */
	uint32_t copy;           /* in this FAT copy ... */
	uint32_t value;          /* ... which holds this (28 bits) */
	uint32_t active_value;   /* where the active FAT holds this */
};

/*
 * Compare the FAT copies over the clusters of de (as the active FAT chains
 * them), or over the whole FAT when de is NULL.  Returns 0 when they agree,
 * 1 with *diff filled at the first difference, or -errno.
 */
int fat_compare_fats(struct fat_vol *vol, const struct fat_dirent *de,
		     struct fat_fat_diff *diff, struct errmsg *e);

#define FAT_PATH_MAX 1024

struct fat_tree_report {
	uint32_t files, dirs;
	uint32_t used_clusters;      /* clusters reached from the root */
	uint32_t free_clusters;      /* free entries in the active FAT */
	uint32_t bad_clusters;       /* entries marked bad */
	uint32_t lost_clusters;      /* allocated but reached from no entry */
	uint32_t bad_chains;         /* entries whose chain check failed */
	char first_bad_chain[FAT_PATH_MAX];
	struct fat_chain_report first_bad_report;
	uint32_t target_xlinks;      /* entries sharing clusters with the target */
	char first_target_xlink[FAT_PATH_MAX];
	uint32_t target_xlink_cluster;
	uint32_t other_xlinks;       /* entries sharing clusters with another */
	char first_other_xlink[FAT_PATH_MAX];
	uint32_t too_deep;           /* directories not entered: nesting > 128 */
	uint32_t unreadable_dirs;    /* directories whose listing failed */
};

/*
 * Walk the whole tree from the root, marking every cluster in a bitmap of
 * cluster_count bits (two when a target is given): cross-links with target
 * (an entry from fat_lookup(), may be NULL), cross-links among the others,
 * broken chains, lost clusters, and the true free count.  A directory
 * whose chain loops or is shared is not entered (so cycles end there).
 * Returns 0 or -errno (I/O, memory).
 */
int fat_check_tree(struct fat_vol *vol, const struct fat_dirent *target,
		   struct fat_tree_report *r, struct errmsg *e);

/* Where a file lies on the card */

struct fat_extent {
	uint64_t file_off;       /* offset of the run inside the file */
	uint64_t part_off;       /* from the partition start */
	uint64_t card_off;       /* from the card start */
	uint64_t len;            /* bytes of the file in this run */
	uint32_t first_cluster;
	uint32_t clusters;
};

/*
 * Call cb for every run of contiguous clusters of de, in file order (a
 * directory: the whole chain).  The last run's len stops at the size; links
 * past the size are not read (fat_check_chain() judges those).  Stops when
 * cb returns non-zero and returns that.  -EUCLEAN when the chain breaks
 * before the size is covered.
 */
int fat_extents(struct fat_vol *vol, const struct fat_dirent *de,
		int (*cb)(void *arg, const struct fat_extent *ext), void *arg,
		struct errmsg *e);

/* Card offset of byte file_off of de (-EINVAL past its end, -EUCLEAN when
 * the chain breaks before it). */
int fat_map_offset(struct fat_vol *vol, const struct fat_dirent *de,
		   uint64_t file_off, uint64_t *card_off, struct errmsg *e);

#endif
