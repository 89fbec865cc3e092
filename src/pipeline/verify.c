/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * verify: read a card as the device will, and say exactly why it would fail.
 * Checks run from the outside in (partition table, file system, dload/,
 * UPDATE.APP's clusters, its content); each adds one line.  Nothing is
 * written: the card is opened read-only.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "card/content.h"
#include "fat/fat.h"
#include "fat/format.h"
#include "fat/layout.h"
#include "fat/volume.h"
#include "firmware/package.h"
#include "firmware/scan.h"
#include "firmware/source.h"
#include "firmware/updateapp.h"
#include "lib/exitcodes.h"
#include "lib/nls.h"
#include "lib/strutils.h"
#include "pipeline/verify.h"

#define ALIGN_4M	(4ULL << 20)

const char *vresult_name(enum vresult r)
{
	static const char *const names[] = { "PASS", "INFO", "WARN", "FAIL", "SKIP" };

	return r <= V_SKIP ? names[r] : "?";
}

static struct vcheck *add(struct verify_report *rep, const char *name, enum vresult res,
			  enum vclass cls, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static struct vcheck *add(struct verify_report *rep, const char *name, enum vresult res,
			  enum vclass cls, const char *fmt, ...)
{
	struct vcheck *ck;
	va_list ap;

	if (rep->n >= VERIFY_MAX_CHECKS)
		return NULL;
	ck = &rep->checks[rep->n++];
	ck->name = name;
	ck->result = res;
	ck->cls = cls;
	ck->file = rep->cur_file;
	va_start(ap, fmt);
	vsnprintf(ck->text, sizeof(ck->text), fmt, ap);
	va_end(ap);
	/* In a set, a line on one file names it. */
	if (ck->file >= 0 && rep->layout == VL_SD_SET &&
	    !strstr(ck->text, rep->files[ck->file].name)) {
		char text[sizeof(ck->text)];

		snprintf(text, sizeof(text), "%s: %s", rep->files[ck->file].name, ck->text);
		memcpy(ck->text, text, sizeof(text));
	}
	return ck;
}

static bool is_extended(unsigned type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

static bool is_fat32_type(unsigned type)
{
	return type == 0x0b || type == 0x0c;
}

/* The SD layout's type: 0x0B while the partition ends within CHS reach. */
static void check_partition_type(const struct content_item *p, struct verify_report *rep)
{
	uint64_t end = (p->offset + p->size) / 512;
	bool in_chs = end <= LAYOUT_CHS_MAX_SECTORS;

	if (p->type_code == (in_chs ? LAYOUT_MBR_TYPE_CHS : LAYOUT_MBR_TYPE_LBA))
		add(rep, "partition-type", V_PASS, VC_LAYOUT,
		    _("type 0x%02x, as the SD layout has it for a partition ending at sector %" PRIu64),
		    p->type_code, end);
	else if (in_chs)
		add(rep, "partition-type", V_WARN, VC_LAYOUT,
		    _("type 0x0c for a partition that ends within CHS reach (sector %" PRIu64 "), "
		    "where the SD layout has 0x0b: a reader written for that layout may pass it "
		    "over; run dloadcard prepare"), end);
	else
		add(rep, "partition-type", V_WARN, VC_LAYOUT,
		    _("type 0x0b (FAT32 by CHS) for a partition that ends past CHS reach (sector "
		    "%" PRIu64 "): a reader that goes by CHS cannot reach all of it; run dloadcard "
		    "prepare"), end);
}

/*
 * The partition must lie on the card, after the table: an MBR can say
 * anything (a fake card's, an image cut short, a typing error in sfdisk).
 * false when nothing of it is on the card; one that runs past the end is
 * checked in the part that is there (part_on_card()).
 */
static bool check_partition_geometry(const struct card *c, struct verify_report *rep)
{
	const uint64_t s = 512;
	uint64_t start = rep->part_offset, end = start + rep->part_size;

	if (start < s) {
		add(rep, "partition-geometry", V_FAIL, VC_LAYOUT,
		    _("the partition starts at sector 0, on the partition table itself; "
		    "run dloadcard prepare"));
		return false;
	}
	if (start >= c->size) {
		add(rep, "partition-geometry", V_FAIL, VC_LAYOUT,
		    _("the partition starts at sector %" PRIu64 ", past the end of the card "
		    "(%" PRIu64 " sectors): the table does not fit this card; run dloadcard prepare"),
		    start / s, c->size / s);
		return false;
	}
	if (end > c->size) {
		add(rep, "partition-geometry", V_FAIL, VC_LAYOUT,
		    _("the partition (%" PRIu64 " sectors from sector %" PRIu64 ") ends %" PRIu64
		    " sectors past the end of the card (%" PRIu64 " sectors): the device would look "
		    "for data where there is none; run dloadcard prepare"), rep->part_size / s,
		    start / s, (end - c->size + s - 1) / s, c->size / s);
		return true;
	}
	add(rep, "partition-geometry", V_PASS, VC_LAYOUT,
	    _("the partition (sectors %" PRIu64 " to %" PRIu64 ") lies inside the card "
	    "(%" PRIu64 " sectors)"), start / s, end / s - 1, c->size / s);
	return true;
}

/* The bytes of the partition that are on the card: all that is checked. */
static uint64_t part_on_card(const struct card *c, const struct verify_report *rep)
{
	uint64_t left = c->size - rep->part_offset;

	return rep->part_size < left ? rep->part_size : left;
}

/* The partition the device will look at: the first primary one, or the
 * whole card when there is no table.  false when there is none to check. */
static bool check_partition_table(struct card *c, struct verify_report *rep)
{
	struct card_content cc;
	const struct content_item *first = NULL;
	size_t i, parts = 0, extended = 0;

	content_probe(card_tool_fd(c), c->size, &cc);
	xstrncpy(rep->pttype, cc.pttype, sizeof(rep->pttype));
	for (i = 0; i < cc.n; i++) {
		if (!cc.items[i].partno)
			continue;
		parts++;
		if (is_extended(cc.items[i].type_code))
			extended++;
		else if (!first && cc.items[i].partno <= 4)
			first = &cc.items[i];
	}

	if (!*cc.pttype) {
		if (cc.n && !cc.items[0].partno && strcmp(cc.items[0].type, "vfat") == 0) {
			add(rep, "partition-table", V_WARN, VC_LAYOUT,
			    _("no partition table: a file system fills the whole card (\"superfloppy\"); "
			    "many devices read it, some do not; prepare makes a partitioned card"));
			rep->part_offset = 0;
			rep->part_size = c->size;
			return true;
		}
		if (cc.n && !cc.items[0].partno) {
			add(rep, "partition-table", V_FAIL, VC_LAYOUT,
			    _("no partition table: %s fills the whole card; the device needs an MBR "
			    "with a FAT32 partition: run dloadcard prepare"), cc.items[0].type);
			rep->part_offset = 0;
			rep->part_size = c->size;
			return true;
		}
		add(rep, "partition-table", V_FAIL, VC_LAYOUT,
		    _("no partition table and no file system: the card is blank or unreadable; "
		    "run dloadcard prepare"));
		return false;
	}
	if (strcmp(cc.pttype, "gpt") == 0) {
		add(rep, "partition-table", V_FAIL, VC_LAYOUT,
		    _("a GPT partition table: the device's recovery looks for an MBR (DOS) card "
		    "and is likely to ignore this one; run dloadcard prepare"));
	} else if (strcmp(cc.pttype, "dos") != 0) {
		add(rep, "partition-table", V_FAIL, VC_LAYOUT,
		    _("a \"%s\" partition table: the device needs an MBR (DOS) card; "
		    "run dloadcard prepare"), cc.pttype);
	} else if (!first) {
		add(rep, "partition-table", V_FAIL, VC_LAYOUT,
		    extended ? _("MBR with only an extended partition: the device reads a primary "
			       "partition; run dloadcard prepare") :
			       _("MBR without any partition: run dloadcard prepare"));
		return false;
	} else if (!is_fat32_type(first->type_code)) {
		add(rep, "partition-table", V_WARN, VC_LAYOUT,
		    _("MBR, but the first partition's type is 0x%02x, not FAT32 (0x0b/0x0c); "
		    "some devices go by the type"), first->type_code);
	} else if (parts > 1) {
		add(rep, "partition-table", V_WARN, VC_LAYOUT,
		    extended ?
		    _("MBR with %zu partitions (one extended): the device reads the first, which "
		      "is FAT32 (0x%02x); a single partition is safer") :
		    _("MBR with %zu partitions: the device reads the first, which is FAT32 "
		      "(0x%02x); a single partition is safer"), parts, first->type_code);
	} else {
		add(rep, "partition-table", V_PASS, VC_LAYOUT,
		    _("MBR with one FAT32 partition (type 0x%02x)"), first->type_code);
	}
	if (first && is_fat32_type(first->type_code))
		check_partition_type(first, rep);
	if (!first)
		return false;
	rep->part_offset = first->offset;
	rep->part_size = first->size;
	if (!check_partition_geometry(c, rep))
		return false;
	if (first->offset % ALIGN_4M)
		add(rep, "partition-alignment", V_WARN, VC_LAYOUT,
		    _("the partition starts at sector %" PRIu64 ", not on a 4 MiB boundary: "
		    "slower writes and more wear on the card"), first->offset / 512);
	else
		add(rep, "partition-alignment", V_PASS, VC_LAYOUT,
		    _("the partition starts at %" PRIu64 " MiB, on a 4 MiB boundary"),
		    first->offset >> 20);
	return true;
}

static const char *kind_advice(enum fat_kind k)
{
	switch (k) {
	case FAT_KIND_EXFAT:
		return _("exFAT: the device needs FAT32 (Windows formats cards above 32 GiB as "
		       "exFAT); run dloadcard prepare, which makes FAT32 at any size");
	case FAT_KIND_NTFS:
		return _("NTFS: the device needs FAT32; run dloadcard prepare");
	case FAT_KIND_FAT16:
	case FAT_KIND_FAT12:
		return _("too small a FAT: the device needs FAT32; run dloadcard prepare");
	case FAT_KIND_EXT2:
	case FAT_KIND_EXT3:
	case FAT_KIND_EXT4:
		return _("a Linux file system: the device needs FAT32; run dloadcard prepare");
	case FAT_KIND_BLANK:
	case FAT_KIND_TOO_SMALL:
		return _("nothing: the partition holds no file system; run dloadcard prepare");
	default:
		return _("the device needs FAT32; run dloadcard prepare");
	}
}

/* The points of FAT's specification that a bootloader's reader trips on,
 * each its own check; the rest of the reader's warnings are details. */
static const struct {
	unsigned bit;
	const char *name;
} fs_points[] = {
	{ FAT_WARN_FEW_CLUSTERS, "fat-type" },
	{ FAT_WARN_CLUSTER_SIZE, "cluster-size" },
	{ FAT_WARN_OEM_NAME, "oem-name" },
	{ FAT_WARN_DRIVE_NUMBER, "drive-number" },
	{ FAT_WARN_MEDIA, "media" },
	{ FAT_WARN_FSINFO, "fsinfo" },
	{ FAT_WARN_FSINFO_RANGE, "fsinfo" },
	{ FAT_WARN_BACKUP_BOOT, "backup-boot" },
	{ FAT_WARN_BACKUP_FSINFO, "backup-boot" },
};

static void check_fs_points(const struct fat_geom *g, struct verify_report *rep)
{
	unsigned bit, named = 0;
	size_t i;

	for (i = 0; i < sizeof(fs_points) / sizeof(fs_points[0]); i++) {
		bit = fs_points[i].bit;
		named |= bit;
		if (!(g->warnings & bit))
			continue;
		/* Only too few clusters hides the file from a reader that
		 * follows the specification: it reads FAT16 structures. */
		if (bit == FAT_WARN_CLUSTER_SIZE)
			add(rep, fs_points[i].name, V_WARN, VC_LAYOUT,
			    _("%u KiB clusters: %s; run dloadcard prepare"), g->cluster_size / 1024,
			    fat_warning_text(bit));
		else
			add(rep, fs_points[i].name, bit == FAT_WARN_FEW_CLUSTERS ? V_FAIL : V_WARN,
			    VC_LAYOUT, _("%s; run dloadcard prepare"), fat_warning_text(bit));
	}
	for (bit = 1; bit && bit <= FAT_WARN_LAST; bit <<= 1) {
		if (g->warnings & bit & ~named)
			add(rep, "filesystem-detail", V_WARN, VC_LAYOUT, "%s", fat_warning_text(bit));
	}
	if (!(g->warnings & (FAT_WARN_STRICT | FAT_WARN_FEW_CLUSTERS | FAT_WARN_FSINFO |
			     FAT_WARN_FSINFO_RANGE | FAT_WARN_BACKUP_BOOT)))
		add(rep, "fat-spec", V_PASS, VC_LAYOUT,
		    _("boot sector as FAT's specification asks: \"%s\", drive 0x%02x, media 0x%02x, "
		    "FSInfo, backup boot record identical"), g->oem, g->drive_number, g->media);
}

static struct fat_vol *check_filesystem(struct card *c, struct verify_report *rep)
{
	struct fat_io io = volume_io(c, true);
	uint64_t part_size = part_on_card(c, rep);
	const struct fat_geom *g;
	struct fat_vol *vol;
	enum fat_kind kind = FAT_KIND_UNKNOWN;
	struct errmsg e;
	int rc;

	rc = fat_identify(&io, rep->part_offset, part_size, &kind, &e);
	if (rc) {
		add(rep, "filesystem", V_FAIL, VC_IO, "%s", e.text);
		return NULL;
	}
	xstrncpy(rep->fstype, fat_kind_name(kind), sizeof(rep->fstype));
	if (kind != FAT_KIND_FAT32) {
		add(rep, "filesystem", V_FAIL, VC_LAYOUT, "%s (%s)", kind_advice(kind),
		    fat_kind_name(kind));
		return NULL;
	}
	rc = volume_open(c, true, rep->part_offset, part_size, &vol, &e);
	if (rc) {
		add(rep, "filesystem", V_FAIL,
		    rc == -EMEDIUMTYPE || rc == -EUCLEAN ? VC_LAYOUT : VC_IO,
		    _("FAT32, but it cannot be read: %s; run dloadcard prepare"), e.text);
		return NULL;
	}
	g = fat_geometry(vol);
	xstrncpy(rep->label, g->has_root_label ? g->root_label : g->label, sizeof(rep->label));
	/* Powers of two: 512 B (small cards) to 64 KiB, shown exactly. */
	add(rep, "filesystem", V_PASS, VC_LAYOUT,
	    _("FAT32, %u %s clusters, %u clusters, label \"%s\", formatted by \"%s\""),
	    g->cluster_size >= 1024 ? g->cluster_size / 1024 : g->cluster_size,
	    g->cluster_size >= 1024 ? "KiB" : "B", g->cluster_count, rep->label, g->oem);
	check_fs_points(g, rep);
	if ((rep->part_offset + g->data_offset) % ALIGN_4M)
		add(rep, "data-alignment", V_WARN, VC_LAYOUT,
		    _("the data area starts at card offset %" PRIu64 ", not on a 4 MiB boundary: "
		    "slower writes and more wear on the card"), rep->part_offset + g->data_offset);
	else
		add(rep, "data-alignment", V_PASS, VC_LAYOUT,
		    _("the data area starts on a 4 MiB boundary (%" PRIu64 " MiB)"),
		    (rep->part_offset + g->data_offset) >> 20);
	return vol;
}

/* dload/ itself, any letter case; false when the card has none. */
static bool check_dload_dir(struct fat_vol *vol, struct verify_report *rep,
			    struct fat_dirent *dir, char *stored, size_t len)
{
	struct fat_dirent other;
	int rc;

	rc = fat_lookup(vol, DLOAD_DIR, dir, stored, len, NULL);
	if (rc == 0 && (dir->attr & FAT_ATTR_DIRECTORY)) {
		if (strcmp(stored, DLOAD_DIR) != 0)
			add(rep, "dload", V_PASS, VC_LAYOUT,
			    _("folder %s/ at the root (stored as \"%s\"; FAT ignores case, so the device "
			    "finds it)"), DLOAD_DIR, stored);
		else
			add(rep, "dload", V_PASS, VC_LAYOUT, _("folder dload/ at the root"));
		return true;
	}
	if (fat_lookup(vol, DLOAD_FILE, &other, stored, len, NULL) == 0)
		add(rep, "dload", V_FAIL, VC_LAYOUT,
		    _("%s is at the root, not in dload/: the device looks for dload/UPDATE.APP; "
		    "make a folder dload and move it there"), stored);
	else if (rc == 0)
		add(rep, "dload", V_FAIL, VC_LAYOUT,
		    _("%s at the root is a file, not a folder: the device looks for "
		    "dload/UPDATE.APP"), stored);
	else
		add(rep, "dload", V_FAIL, VC_LAYOUT,
		    _("no dload folder at the root: the device looks for dload/UPDATE.APP"));
	return false;
}

/* A name from the card, as the report may show it on a terminal: control
 * characters (an escape sequence in a long name) become '?'. */
static void printable_name(char *out, const char *name, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		out[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
	out[i] = '\0';
}

/* What a file of dload/ is, by its name (its content is judged later). */
static const char *kind_by_name(const struct fat_dirent *de)
{
	if (de->attr & FAT_ATTR_DIRECTORY)
		return "folder";
	if (strcasecmp(de->name, DLOAD_FILE) == 0)
		return "update-app";
	if (endswith_ci(de->name, ".tmp"))
		return "leftover";
	if (endswith_ci(de->name, ".zip"))
		return "sd-package";
	return "other";
}

/* The files of dload/, in its order, into rep->files (their entries into
 * des); the layout they make.  -errno when dload/ cannot be read. */
static int list_dload(struct fat_vol *vol, const struct fat_dirent *dir,
		      struct verify_report *rep, struct fat_dirent *des)
{
	struct fat_dirent de;
	struct fat_dir *d = NULL;
	struct errmsg e;
	bool app = false, zip = false, sd_named = false;
	int rc;

	rc = fat_dir_open(vol, dir, &d, &e);
	while (rc == 0 && (rc = fat_dir_next(d, &de, &e)) == 1) {
		struct vfile *f;

		if (rep->n_files == VERIFY_MAX_FILES) {
			add(rep, "stray", V_WARN, VC_LAYOUT,
			    _("dload/ holds more than %d files: the rest are not judged"),
			    VERIFY_MAX_FILES);
			break;
		}
		f = &rep->files[rep->n_files];
		printable_name(f->name, de.name, sizeof(f->name));
		printable_name(f->short_name, de.short_name, sizeof(f->short_name));
		f->size = de.size;
		f->kind = kind_by_name(&de);
		app |= strcmp(f->kind, "update-app") == 0;
		zip |= strcmp(f->kind, "sd-package") == 0;
		sd_named |= package_sd_named(f->name);
		des[rep->n_files++] = de;
		rc = 0;
	}
	if (d)
		fat_dir_close(d);
	if (rc < 0) {
		add(rep, "dload", V_FAIL, VC_IO, _("dload/ cannot be read: %s"), e.text);
		return rc;
	}
	/* Beside an UPDATE.APP, only zips named as SD packages make a set
	 * (a download zip left there after extracting it does not). */
	rep->layout = zip && (!app || sd_named) ? VL_SD_SET : app ? VL_UPDATE_APP : VL_NONE;
	for (size_t i = 0; rep->layout == VL_UPDATE_APP && i < rep->n_files; i++)
		if (strcmp(rep->files[i].kind, "sd-package") == 0)
			rep->files[i].kind = "zip";
	return 0;
}

/* The files of dload/ that are no part of what the device takes, each
 * named with what it risks. */
static void report_strays(struct verify_report *rep)
{
	char size[32];

	for (size_t i = 0; i < rep->n_files; i++) {
		const struct vfile *f = &rep->files[i];

		rep->cur_file = (int)i;
		size_to_human(f->size, size, sizeof(size));
		if (strcmp(f->kind, "leftover") == 0)
			add(rep, "leftover", rep->layout == VL_NONE ? V_INFO : V_WARN, VC_LAYOUT,
			    rep->layout == VL_SD_SET ?
			    _("dload/%s is left over from an interrupted dloadcard prepare (%s): the "
			      "device ignores it, but the set beside it may be incomplete; run "
			      "dloadcard prepare again") :
			    rep->layout == VL_UPDATE_APP ?
			    _("dload/%s is left over from an interrupted dloadcard prepare (%s; the "
			      "device ignores it)") :
			    _("dload/%s is left over from an interrupted dloadcard prepare (%s)"),
			    f->name, size);
		else if (strcmp(f->kind, "folder") == 0)
			add(rep, "stray", V_INFO, VC_LAYOUT,
			    _("dload/%s/ is a folder, no part of an update: the device ignores it"),
			    f->name);
		else if (strcmp(f->kind, "zip") == 0)
			add(rep, "stray", V_WARN, VC_LAYOUT,
			    _("dload/%s (%s) is a zip beside UPDATE.APP: a device that takes SD "
			      "packages may take it instead; delete it"), f->name, size);
		else if (strcmp(f->kind, "other") == 0)
			add(rep, "stray", V_INFO, VC_LAYOUT,
			    _("dload/%s (%s) is no part of an update: the device ignores it"),
			    f->name, size);
		else if (strcmp(f->kind, "update-app") == 0 && rep->layout == VL_SD_SET)
			add(rep, "update-app", V_FAIL, VC_CONTENT,
			    _("dload/%s (%s) is left beside the SD packages: a device may take this "
			      "single package instead of the set, and install another firmware; "
			      "delete it, or run dloadcard prepare"), f->name, size);
	}
	rep->cur_file = -1;
}

/* The one UPDATE.APP of dload/: as stored, not empty. */
static bool check_update_app(struct fat_vol *vol, struct verify_report *rep,
			     struct fat_dirent *de)
{
	struct fat_dirent other;
	char stored[FAT_PATH_MAX];
	char size[32];
	int rc;

	rc = fat_lookup(vol, DLOAD_DIR "/" DLOAD_FILE, de, stored, sizeof(stored), NULL);
	xstrncpy(rep->dload_path, rc == 0 ? stored : "", sizeof(rep->dload_path));
	if (rc) {
		if (fat_lookup(vol, DLOAD_FILE, &other, stored, sizeof(stored), NULL) == 0)
			add(rep, "update-app", V_FAIL, VC_LAYOUT,
			    _("dload/ holds no UPDATE.APP, but %s is at the root: move it into dload/"),
			    stored);
		else
			add(rep, "update-app", V_FAIL, VC_LAYOUT,
			    _("dload/ holds no UPDATE.APP and no SD package: copy the firmware's "
			    "UPDATE.APP (or its SD packages) there, or run dloadcard prepare"));
		return false;
	}
	if (de->attr & FAT_ATTR_DIRECTORY) {
		add(rep, "update-app", V_FAIL, VC_LAYOUT, _("%s is a folder, not a file"), stored);
		return false;
	}
	rep->have_file = true;
	rep->file_size = de->size;
	if (de->size == 0) {
		add(rep, "update-app", V_FAIL, VC_CONTENT,
		    _("%s is empty: the copy failed; run dloadcard prepare"), stored);
		return false;
	}
	add(rep, "update-app", V_PASS, VC_LAYOUT, "%s, %s", stored,
	    size_to_human(de->size, size, sizeof(size)));
	return true;
}

/* FSInfo's free count is a hint a reader may trust: is it the FAT's? */
static void check_fsinfo_count(const struct fat_geom *g, const struct fat_tree_report *tr,
			       struct verify_report *rep)
{
	if (!g->fsinfo_valid)
		return;		/* said by the fsinfo check */
	if (g->fsinfo_free == FAT_FSINFO_UNKNOWN)
		add(rep, "fsinfo-count", V_PASS, VC_LAYOUT,
		    _("FSInfo leaves the free count unknown (0xFFFFFFFF), which readers count"));
	else if (g->fsinfo_free != tr->free_clusters)
		add(rep, "fsinfo-count", V_WARN, VC_LAYOUT,
		    _("FSInfo says %u clusters are free, the FAT has %u: a reader that trusts "
		    "FSInfo gets the free space wrong (fsck.fat: \"Free cluster summary "
		    "wrong\"); run dloadcard prepare"), g->fsinfo_free, tr->free_clusters);
	else
		add(rep, "fsinfo-count", V_PASS, VC_LAYOUT,
		    _("FSInfo's free count is the FAT's (%u clusters)"), tr->free_clusters);
}

/* The file's clusters: chain as long as the size, FAT copies agree, no
 * other file shares them.  name: the file's, in the words. */
static void check_clusters(struct fat_vol *vol, struct verify_report *rep,
			   const struct fat_dirent *de, const char *name, bool fsinfo)
{
	struct fat_chain_report cr;
	struct fat_fat_diff fd;
	struct fat_tree_report *tr;
	struct errmsg e;
	int rc;

	rc = fat_check_chain(vol, de, &cr, &e);
	if (rc)
		add(rep, "cluster-chain", V_FAIL, VC_IO, _("cannot read the FAT: %s"), e.text);
	else if (cr.problem != FAT_CHAIN_OK)
		add(rep, "cluster-chain", V_FAIL, VC_CONTENT,
		    _("%s's cluster chain is broken: %s (cluster %u); the device would read "
		    "other data; run dloadcard prepare"), name, fat_chain_problem_text(cr.problem),
		    cr.at_cluster);
	else
		add(rep, "cluster-chain", V_PASS, VC_CONTENT,
		    P_("cluster chain: %u clusters in %u run, as long as the size says",
		       "cluster chain: %u clusters in %u runs, as long as the size says", cr.runs),
		    cr.clusters, cr.runs);

	rc = fat_compare_fats(vol, de, &fd, &e);
	if (rc < 0)
		add(rep, "fat-copies", V_FAIL, VC_IO, _("cannot read the FATs: %s"), e.text);
	else if (rc == 1)
		add(rep, "fat-copies", V_FAIL, VC_CONTENT,
		    _("the FAT copies disagree over %s's clusters (cluster %u: copy %u "
		    "holds 0x%x, the first 0x%x); run dloadcard prepare"), name, fd.cluster,
		    fd.copy + 1, fd.value, fd.active_value);
	else
		add(rep, "fat-copies", V_PASS, VC_CONTENT,
		    _("the FAT copies agree over %s's clusters"), name);

	tr = calloc(1, sizeof(*tr));
	if (!tr)
		return;
	rc = fat_check_tree(vol, de, tr, &e);
	if (rc)
		add(rep, "cross-links", V_WARN, VC_CONTENT, _("the folders could not all be read: %s"),
		    e.text);
	else if (tr->target_xlinks)
		add(rep, "cross-links", V_FAIL, VC_CONTENT,
		    _("%s shares cluster %u with %s: one of them is corrupt; "
		    "run dloadcard prepare"), name, tr->target_xlink_cluster, tr->first_target_xlink);
	else if (tr->bad_chains || tr->other_xlinks)
		add(rep, "cross-links", V_WARN, VC_CONTENT,
		    _("%s is intact, but other files are damaged (%s): fsck.fat would "
		    "repair them"), name, tr->bad_chains ? tr->first_bad_chain : tr->first_other_xlink);
	else
		add(rep, "cross-links", V_PASS, VC_CONTENT,
		    _("no other file shares %s's clusters (%u files, %u folders checked)"),
		    name, tr->files, tr->dirs);
	if (!rc && fsinfo) {
		int file = rep->cur_file;

		rep->cur_file = -1;
		check_fsinfo_count(fat_geometry(vol), tr, rep);
		rep->cur_file = file;
	}
	free(tr);
}

struct extent_list {
	struct card_extent *v;
	size_t n, cap;
};

static int collect_extent(void *arg, const struct fat_extent *e)
{
	struct extent_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct card_extent *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].file_off = e->file_off;
	l->v[l->n].card_off = e->card_off;
	l->v[l->n].len = e->len;
	l->n++;
	return 0;
}

static void feed_checker(void *ctx, const void *buf, size_t len)
{
	ua_check_feed(ctx, buf, len);
}

/* A file of the card, read from its clusters past the page cache: how the
 * firmware layer reads a zip on the card (source_open_reader()). */
struct card_file {
	struct fat_io io;
	const struct extent_list *ext;
	struct progress *pg;
	volatile sig_atomic_t *cancel;
	uint64_t done;		/* bytes read, for the progress */
	int err;		/* the card's failure, or 0 */
	uint64_t err_off;	/* and where, on the card */
};

static int card_file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct card_file *cf = ctx;
	unsigned char *p = buf;
	size_t i = 0;

	if (cf->cancel && *cf->cancel) {
		cf->err = -EINTR;
		return -EINTR;
	}
	while (len) {
		const struct card_extent *x;
		uint64_t in, n;
		int rc;

		while (i < cf->ext->n && cf->ext->v[i].file_off + cf->ext->v[i].len <= off)
			i++;
		if (i == cf->ext->n)
			return -EIO;	/* past the clusters mapped: the size bounds it */
		x = &cf->ext->v[i];
		in = off - x->file_off;
		n = x->len - in < len ? x->len - in : len;
		rc = cf->io.read(cf->io.ctx, x->card_off + in, p, (size_t)n);
		if (rc) {
			cf->err = rc;
			cf->err_off = x->card_off + in;
			return rc;
		}
		p += n;
		off += n;
		len -= (size_t)n;
		cf->done += n;
	}
	progress_update(cf->pg, cf->done);
	return 0;
}

/* The card's failure under a read through the zip, as its check's line. */
static void card_file_failed(struct verify_report *rep, const char *check, const char *name,
			     const struct card_file *cf)
{
	if (cf->err == -EINTR)
		add(rep, check, V_FAIL, VC_IO, _("interrupted while reading %s"), name);
	else
		add(rep, check, V_FAIL, VC_IO,
		    _("the card failed while reading %s at card offset %" PRIu64 ": %s"), name,
		    cf->err_off, strerror(-cf->err));
}

static bool cancelled(const struct verify_opts *o)
{
	return o->cancel && *o->cancel;
}

/* The file's runs on the card; false (said) when they cannot be mapped. */
static bool map_file(struct fat_vol *vol, const struct fat_dirent *de, const char *name,
		     struct extent_list *ext, struct verify_report *rep)
{
	struct errmsg e;
	int rc = fat_extents(vol, de, collect_extent, ext, &e);

	if (rc)
		add(rep, "content", V_FAIL, rc == -ENOMEM ? VC_IO : VC_CONTENT,
		    _("cannot map %s's clusters: %s"), name,
		    rc != -ENOMEM ? e.text : strerror(ENOMEM));
	return rc == 0;
}

/* Read the file from the card past the page cache and hash it, every byte
 * also to job->consume; false (said) when it could not be read.  label:
 * the caller's buffer for the progress. */
static bool read_file(struct card *c, const struct extent_list *ext, uint64_t size,
		      const char *name, const struct verify_opts *o, struct verify_report *rep,
		      struct readback_job *job, char *label, size_t label_len)
{
	snprintf(label, label_len, _("Reading %s"), name);
	job->card = c;
	job->ext = ext->v;
	job->n_ext = ext->n;
	job->length = size;
	job->pg = o->pg;
	job->label = label;
	job->cancel = o->cancel;
	/* Past the page cache: what the card holds, not what the kernel kept. */
	card_flush(c);
	switch (readback_hash(job)) {
	case READBACK_OK:
		progress_end(o->pg, _("done"));
		return true;
	case READBACK_READ_ERROR:
	case READBACK_SOURCE_ERROR:	/* not with readback_hash */
		progress_end(o->pg, _("failed"));
		add(rep, "content", V_FAIL, VC_IO,
		    _("the card failed while reading %s at card offset %" PRIu64 ": %s"),
		    name, job->err_card_off, strerror(job->err));
		return false;
	case READBACK_CANCELLED:
		progress_end(o->pg, _("interrupted"));
		add(rep, "content", V_FAIL, VC_IO, _("interrupted while reading %s"), name);
		return false;
	}
	return false;
}

/* The container's verdict, and where its first error lies: on the card
 * (de, a plain UPDATE.APP), or in the zip's member (de NULL). */
static void report_container(struct fat_vol *vol, const struct fat_dirent *de, const char *name,
			     struct verify_report *rep, struct ua_check *chk, const char **verdict)
{
	enum ua_verdict v = ua_check_verdict(chk);
	const struct ua_finding *f = NULL;
	uint64_t card_off = 0;
	size_t i;

	*verdict = ua_verdict_name(v);
	for (i = 0; i < ua_check_finding_count(chk) && !f; i++) {
		const struct ua_finding *x = ua_check_finding(chk, i);

		if (x->severity == (v == UA_VALID_WITH_WARNINGS ? UA_WARNING : UA_ERROR))
			f = x;
	}
	if (v == UA_VALID) {
		add(rep, "container", V_PASS, VC_CONTENT,
		    _("%s read back from the card: %zu entries, every CRC right"), name,
		    ua_check_entry_count(chk));
	} else if (v == UA_VALID_WITH_WARNINGS) {
		add(rep, "container", V_WARN, VC_CONTENT, _("%s is intact, but: %s"), name,
		    f ? f->message : _("warnings"));
	} else if (!de) {
		add(rep, "container", V_FAIL, VC_CONTENT,
		    v == UA_DAMAGED ? _("%s on the card is damaged: %s (byte %" PRIu64 " of it)") :
		    _("%s on the card is not an UPDATE.APP: %s (byte %" PRIu64 " of it)"), name,
		    f ? f->message : _("see dloadcard check"), f ? f->offset : 0);
	} else {
		if (f && f->offset < de->size)
			fat_map_offset(vol, de, f->offset, &card_off, NULL);
		add(rep, "container", V_FAIL, VC_CONTENT,
		    v == UA_DAMAGED ?
		    _("%s on the card is damaged: %s (card offset %" PRIu64 ")") :
		    _("%s on the card is not an UPDATE.APP: %s (card offset %" PRIu64 ")"), name,
		    f ? f->message : _("see dloadcard check"), card_off);
	}
}

/* The --against file of the card's file name, or NULL. */
static const struct verify_ref *ref_of(const struct verify_opts *o, const char *name)
{
	for (size_t i = 0; i < o->n_refs; i++)
		if (strcasecmp(o->refs[i].card_name, name) == 0)
			return &o->refs[i];
	return NULL;
}

/* The first difference, in words. */
static void report_difference(struct verify_report *rep, const char *against, const char *name,
			      const struct diff_report *diff)
{
	const struct diff_range *d = &diff->ranges[0];

	add(rep, "against", V_FAIL, VC_CONTENT,
	    diff->bytes == 1 ?
	    _("differs from %s: %" PRIu64 " byte in %zu place, the first at byte %" PRIu64
	      " of %s (card offset %" PRIu64 ")") :
	    P_("differs from %s: %" PRIu64 " bytes in %zu place, the first at byte %" PRIu64
	       " of %s (card offset %" PRIu64 ")",
	       "differs from %s: %" PRIu64 " bytes in %zu places, the first at byte %" PRIu64
	       " of %s (card offset %" PRIu64 ")", diff->total_ranges),
	    against, diff->bytes, diff->total_ranges, d->file_off, name, d->card_off);
}

/* Read the file again and compare it with src, into f->diff; the job as
 * it ended into *done. */
static void locate_differences(const struct readback_job *job, struct source *src,
			       struct vfile *f, struct readback_job *done)
{
	*done = *job;
	done->consume = NULL;
	done->want_sha256 = false;
	done->label = _("Locating differences");
	readback_compare(done, src, &f->diff);
}

/* An UPDATE.APP against the SHA-256 given (--sha256, or its --against
 * file's, whose difference is then located). */
static void check_against(struct verify_report *rep, const struct verify_opts *o,
			  struct readback_job *job, struct vfile *f, const char *name)
{
	const struct verify_ref *ref = ref_of(o, name);
	const unsigned char *expect = ref ? ref->sha256 : o->expect_sha256;
	struct source *src = NULL;
	char hex[65];

	if (!expect)
		return;
	if (memcmp(f->sha256, expect, 32) == 0) {
		add(rep, "against", V_PASS, VC_CONTENT, _("identical to %s (SHA-256 %s)"),
		    ref ? ref->path : _("the SHA-256 given"), hex_string(f->sha256, 32, hex));
		return;
	}
	if (ref && source_open(&src, ref->path, NULL) == 0) {
		struct readback_job cmp;

		locate_differences(job, src, f, &cmp);
		source_close(src);
	}
	if (!f->diff.n)
		add(rep, "against", V_FAIL, VC_CONTENT,
		    _("differs from %s (SHA-256 %s on the card)"),
		    ref ? ref->path : _("the SHA-256 given"), hex_string(f->sha256, 32, hex));
	else
		report_difference(rep, ref->path, name, &f->diff);
}

/* An SD package against its --against zip, byte for byte. */
static void compare_raw(struct verify_report *rep, const struct verify_opts *o,
			struct readback_job *job, struct vfile *f)
{
	const struct verify_ref *ref = ref_of(o, f->name);
	struct readback_job cmp;
	struct source *src;
	struct errmsg e;
	char a[32], b[32];

	if (!ref)
		return;
	if (source_open_raw(&src, ref->path, &e) != 0) {
		add(rep, "against", V_FAIL, VC_CONTENT, "%s", e.text);
		return;
	}
	if (source_size(src) != f->size) {
		add(rep, "against", V_FAIL, VC_CONTENT,
		    _("differs from %s: %s on the card, %s in the file"), ref->path,
		    size_to_human(f->size, a, sizeof(a)), size_to_human(source_size(src), b, sizeof(b)));
		source_close(src);
		return;
	}
	locate_differences(job, src, f, &cmp);
	if (f->diff.total_ranges)
		report_difference(rep, ref->path, f->name, &f->diff);
	else if (cmp.status == READBACK_OK)
		add(rep, "against", V_PASS, VC_CONTENT, _("identical to %s, byte for byte"),
		    ref->path);
	else
		add(rep, "against", V_FAIL, cmp.status == READBACK_SOURCE_ERROR ? VC_CONTENT : VC_IO,
		    _("cannot compare with %s: %s"), ref->path,
		    cmp.status == READBACK_SOURCE_ERROR ? cmp.source_error.text :
		    strerror(cmp.err ? cmp.err : EINTR));
	source_close(src);
}

static void check_content(struct card *c, struct fat_vol *vol, const struct fat_dirent *de,
			  const struct verify_opts *o, struct verify_report *rep)
{
	/* Not among the files listed: dload/ holds more than VERIFY_MAX_FILES. */
	struct vfile unlisted = { .kind = "update-app" };
	struct vfile *f = rep->cur_file >= 0 ? &rep->files[rep->cur_file] : &unlisted;
	struct extent_list ext = { 0 };
	struct readback_job job = { 0 };
	struct ua_check *chk = NULL;
	char label[FAT_NAME_MAX + 32];
	char hex[65];

	if (o->quick) {
		add(rep, "content", V_SKIP, VC_CONTENT, _("UPDATE.APP not read (--quick)"));
		return;
	}
	if (!map_file(vol, de, DLOAD_FILE, &ext, rep))
		goto out;
	chk = ua_check_new(de->size);
	if (!chk) {
		add(rep, "content", V_FAIL, VC_IO, "%s", strerror(ENOMEM));
		goto out;
	}
	job.consume = feed_checker;
	job.consume_ctx = chk;
	if (!read_file(c, &ext, de->size, DLOAD_FILE, o, rep, &job, label, sizeof(label)))
		goto out;
	ua_check_finish(chk);
	rep->read_done = f->read_done = true;
	memcpy(rep->sha256, job.sha256, sizeof(rep->sha256));
	memcpy(f->sha256, job.sha256, sizeof(f->sha256));
	add(rep, "sha256", V_INFO, VC_CONTENT, _("SHA-256 of UPDATE.APP as read from the card: %s"),
	    hex_string(rep->sha256, 32, hex));
	report_container(vol, de, DLOAD_FILE, rep, chk, &rep->container);
	f->container = rep->container;
	check_against(rep, o, &job, f, DLOAD_FILE);
	rep->diff = f->diff;
out:
	ua_check_free(chk);
	free(ext.v);
}

/* The UPDATE.APP inside an SD package, streamed from the card through the
 * zip, by the full container check. */
static void check_inner(struct vfile *f, const struct source_io *rd, const char *member,
			struct card_file *cf, const struct verify_opts *o,
			struct verify_report *rep)
{
	struct scan_opts so = { .what = SCAN_CHECK, .cancel = o->cancel };
	struct scan_result res = { 0 };
	struct source *src = NULL;
	char name[FAT_NAME_MAX + PKG_NAME_MAX + 2];
	struct errmsg e;
	int rc;

	snprintf(name, sizeof(name), "%s:%s", f->name, member);
	rc = source_open_reader(&src, f->name, rd, member, &e);
	if (!rc)
		rc = scan_source(src, &so, &res, &e);
	if (rc && cf->err)
		card_file_failed(rep, "container", name, cf);
	else if (rc)
		add(rep, "container", V_FAIL, rc == -ENOMEM || rc == -ECANCELED ? VC_IO : VC_CONTENT,
		    "%s", e.text);
	else
		report_container(NULL, NULL, name, rep, res.check, &f->container);
	ua_check_free(res.check);
	source_close(src);
}

/* An SD package by its name alone (--quick). */
static void package_by_name(struct vfile *f, struct package *pk, struct verify_report *rep)
{
	char size[32];

	memset(pk, 0, sizeof(*pk));
	pk->kind = PKG_SD_PACKAGE;
	pk->role = package_role_of(f->name, pk->model, sizeof(pk->model));
	xstrncpy(pk->card_name, f->name, sizeof(pk->card_name));
	size_to_human(f->size, size, sizeof(size));
	if (pk->role)
		add(rep, "package", V_PASS, VC_CONTENT,
		    _("%s, %s: an SD package (%s) by its name; not read (--quick)"), f->name, size,
		    package_role_name(pk->role));
	else
		add(rep, "package", V_INFO, VC_CONTENT,
		    _("%s, %s: a zip, taken for an SD package; not read (--quick)"), f->name, size);
}

/* What the zip on the card is, from its members.  true for an SD package.
 * One the device cannot take fails when its name is an SD package's (the
 * device goes for it), else is a warning (a device may pass it over). */
static bool recognise_package(struct vfile *f, const struct source_io *rd,
			      struct card_file *cf, struct package *pk, struct verify_report *rep)
{
	enum vresult unusable = package_sd_named(f->name) ? V_FAIL : V_WARN;
	struct errmsg e;
	char size[32];
	char **names;
	size_t n;
	int r = source_zip_list_reader(f->name, rd, &names, &n, &e);

	size_to_human(f->size, size, sizeof(size));
	if (r) {
		f->kind = "zip";
		if (cf->err)
			card_file_failed(rep, "zip-integrity", f->name, cf);
		else
			add(rep, "zip-integrity", unusable, VC_CONTENT,
			    r == 1 ? _("%s is no zip: the device cannot take it as an SD package; "
				     "delete it, or run dloadcard prepare") :
			    _("%s cannot be read as a zip (%s): the device cannot take it; run "
			      "dloadcard prepare"), f->name, r == 1 ? size : e.text);
		return false;
	}
	package_recognise_zip(f->name, (const char *const *)names, n, PKG_GUESS, NULL, pk, &e);
	source_free_list(names, n);
	f->kind = pk->kind == PKG_OTHER ? "zip" : package_kind_name(pk->kind);
	f->role = package_role_name(pk->role);
	xstrncpy(f->model, pk->model, sizeof(f->model));
	if (pk->kind != PKG_SD_PACKAGE) {
		add(rep, "package", unusable, VC_CONTENT,
		    pk->kind == PKG_DOWNLOAD_ZIP ?
		    _("%s, %s: a download zip, whose UPDATE.APP is in a folder, not at its root: the "
		      "device does not extract it; run dloadcard prepare with it, which extracts "
		      "its UPDATE.APP") :
		    _("%s, %s: no UPDATE.APP at its root, so no SD package: the device cannot take "
		      "it; delete it, or run dloadcard prepare"), f->name, size);
		return false;
	}
	if (pk->role)
		add(rep, "package", V_PASS, VC_CONTENT, _("%s, %s: an SD package (%s), UPDATE.APP "
		    "at its root"), f->name, size, package_role_name(pk->role));
	else
		add(rep, "package", V_WARN, VC_CONTENT,
		    _("%s, %s: UPDATE.APP at its root, as SD packages have, but not named "
		    "update_sd_base.zip, update_sd_cust_* or update_sd_preload_*: a device that "
		    "goes by the name may pass it over"), f->name, size);
	return true;
}

/* One zip of a set: read from the card (SHA-256), recognised from its
 * members, its UPDATE.APP checked through the zip, every other member by
 * its CRC-32; against its --against zip.  true when it belongs to the set
 * (pk filled). */
static bool check_package(struct card *c, struct fat_vol *vol, const struct fat_dirent *de,
			  const struct verify_opts *o, struct verify_report *rep, struct package *pk)
{
	struct vfile *f = &rep->files[rep->cur_file];
	struct extent_list ext = { 0 };
	struct readback_job job = { 0 };
	char label[FAT_NAME_MAX + 32];
	struct card_file cf = { .io = volume_io(c, true), .ext = &ext, .pg = o->pg,
				.cancel = o->cancel };
	struct source_io rd = { .ctx = &cf, .read = card_file_read, .size = de->size };
	bool in_set = false;
	uint64_t checked = 0;
	struct errmsg e;
	char hex[65];

	if (o->quick) {
		package_by_name(f, pk, rep);
		f->role = package_role_name(pk->role);
		xstrncpy(f->model, pk->model, sizeof(f->model));
		add(rep, "content", V_SKIP, VC_CONTENT, _("%s not read (--quick)"), f->name);
		return true;
	}
	if (!map_file(vol, de, f->name, &ext, rep) ||
	    !read_file(c, &ext, de->size, f->name, o, rep, &job, label, sizeof(label)))
		goto out;
	f->read_done = true;
	memcpy(f->sha256, job.sha256, sizeof(f->sha256));
	snprintf(label, sizeof(label), _("Checking %s"), f->name);
	progress_begin(o->pg, label, 2 * de->size);
	in_set = recognise_package(f, &rd, &cf, pk, rep);
	if (in_set) {
		check_inner(f, &rd, pk->member, &cf, o, rep);
		if (source_zip_verify_reader(f->name, &rd, pk->member, &checked, &e) == 0) {
			f->members = checked + 1;
			add(rep, "zip-integrity", V_PASS, VC_CONTENT,
			    P_("%s: %" PRIu64 " file in the zip, its CRC-32 right, read from the card",
			       "%s: %" PRIu64 " files in the zip, every CRC-32 right, read from the card",
			       f->members), f->name, f->members);
		} else if (cf.err) {
			card_file_failed(rep, "zip-integrity", f->name, &cf);
		} else {
			size_t len = strlen(f->name);
			const char *why = strncmp(e.text, f->name, len) == 0 &&
					  e.text[len] == ':' ? e.text + len + 2 : e.text;

			add(rep, "zip-integrity", V_FAIL, VC_CONTENT, _("%s on the card: %s"), f->name,
			    why);
		}
	}
	progress_end(o->pg, "%s", cancelled(o) ? _("interrupted") : _("done"));
	add(rep, "sha256", V_INFO, VC_CONTENT, _("SHA-256 of %s as read from the card: %s"),
	    f->name, hex_string(f->sha256, 32, hex));
	compare_raw(rep, o, &job, f);
out:
	free(ext.v);
	return in_set;
}

/* The set as the device will find it (package.c's rules). */
static void check_set(struct verify_report *rep, const struct package *pk, size_t n)
{
	char warn[1024], list[600] = "", *line, *save;
	struct errmsg e;
	size_t at = 0;
	int rc;

	if (!n) {	/* as a dload/ without UPDATE.APP */
		add(rep, "set", V_FAIL, VC_LAYOUT,
		    _("dload/ holds zips, but no SD package the device can take; run dloadcard "
		    "prepare"));
		return;
	}
	rc = package_card_set_check(pk, n, warn, sizeof(warn), &e);
	if (rc) {
		add(rep, "set", V_FAIL, VC_CONTENT, "%s", e.text);
		return;
	}
	for (line = strtok_r(warn, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		add(rep, "set", V_WARN, VC_CONTENT, "%s", line);
	for (size_t i = 0; i < n && at + 1 < sizeof(list); i++) {
		const char *role = package_role_name(pk[i].role);
		int k = snprintf(list + at, sizeof(list) - at, "%s%s%s%s%s", i ? ", " : "",
				 pk[i].card_name, role ? " (" : "", role ? role : "", role ? ")" : "");

		if (k < 0)
			break;
		at += (size_t)k;
	}
	if (*warn)	/* said above: the set's line only lists it */
		add(rep, "set", V_INFO, VC_CONTENT, P_("%zu SD package: %s", "%zu SD packages: %s", n),
		    n, list);
	else
		add(rep, "set", V_PASS, VC_CONTENT,
		    P_("%zu SD package, the base among them: %s",
		       "%zu SD packages, the base among them: %s", n), n, list);
}

/* --against: every file given is on the card, and every file of the card
 * was given. */
static void check_against_files(struct verify_report *rep, const struct verify_opts *o)
{
	for (size_t i = 0; i < o->n_refs; i++) {
		size_t j;

		for (j = 0; j < rep->n_files; j++)
			if (strcasecmp(rep->files[j].name, o->refs[i].card_name) == 0)
				break;
		if (j == rep->n_files)
			add(rep, "against", V_FAIL, VC_CONTENT,
			    _("%s is not on the card: dload/ holds no %s"), o->refs[i].path,
			    o->refs[i].card_name);
	}
	for (size_t j = 0; j < rep->n_files; j++) {
		const char *k = rep->files[j].kind;

		if (strcmp(k, "update-app") != 0 && strcmp(k, "sd-package") != 0)
			continue;
		if (!ref_of(o, rep->files[j].name)) {
			rep->cur_file = (int)j;
			add(rep, "against", V_FAIL, VC_CONTENT,
			    _("dload/%s is on the card but not among the files given"),
			    rep->files[j].name);
		}
	}
	rep->cur_file = -1;
}

/* Every zip of dload/ and the set they make. */
static void check_sd_set(struct card *c, struct fat_vol *vol, const struct fat_dirent *des,
			 const struct verify_opts *o, struct verify_report *rep)
{
	struct package *pk = calloc(VERIFY_MAX_FILES, sizeof(*pk));
	size_t n = 0;
	bool fsinfo = true;

	if (!pk) {
		add(rep, "set", V_FAIL, VC_IO, "%s", strerror(ENOMEM));
		return;
	}
	for (size_t i = 0; i < rep->n_files && !cancelled(o); i++) {
		if (strcmp(rep->files[i].kind, "sd-package") != 0)
			continue;
		rep->cur_file = (int)i;
		check_clusters(vol, rep, &des[i], rep->files[i].name, fsinfo);
		fsinfo = false;
		if (check_package(c, vol, &des[i], o, rep, &pk[n]))
			n++;
	}
	rep->cur_file = -1;
	/* Interrupted: the files not read are no part of a verdict on the set
	 * (the interruption is said where it happened). */
	if (!cancelled(o))
		check_set(rep, pk, n);
	free(pk);
}

static void conclude(struct verify_report *rep, const struct verify_opts *o)
{
	bool io = false, layout = false, content = false, warn = false;
	bool set = rep->layout == VL_SD_SET;
	const struct vcheck *first = NULL;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct vcheck *ck = &rep->checks[i];

		if (ck->result == V_WARN)
			warn = true;
		if (ck->result != V_FAIL)
			continue;
		if (!first)
			first = ck;
		io |= ck->cls == VC_IO;
		layout |= ck->cls == VC_LAYOUT;
		content |= ck->cls == VC_CONTENT;
	}
	if (io) {
		rep->exit_code = EXIT_READ_ERROR;
		snprintf(rep->verdict, sizeof(rep->verdict), _("UNREADABLE: %s"), first->text);
	} else if (layout) {
		rep->exit_code = EXIT_NOT_DLOAD;
		snprintf(rep->verdict, sizeof(rep->verdict),
			 _("NOT A DLOAD CARD: the device will not start an update from it"));
	} else if (content) {
		rep->exit_code = EXIT_DAMAGED_CARD;
		snprintf(rep->verdict, sizeof(rep->verdict), "%s",
			 set ? _("DAMAGED: a dload card, but its SD package set is not right or not "
				 "complete; the update would fail or be refused") :
			 _("DAMAGED: a dload card, but its UPDATE.APP is not right; the update "
			   "would fail or be refused"));
	} else if (set) {
		rep->exit_code = warn ? EXIT_VERIFY_WARN : EXIT_OK;
		snprintf(rep->verdict, sizeof(rep->verdict),
			 o->quick ? _("%s: a dload card with an SD package set the device should "
				      "accept; the packages were not read (--quick)") :
			 o->n_refs ? _("%s: a dload card with an SD package set the device should "
				       "accept; every package read back from the card and checked, "
				       "identical to the files given") :
			 _("%s: a dload card with an SD package set the device should accept; every "
			   "package read back from the card and checked"),
			 warn ? _("GOOD, WITH WARNINGS") : _("GOOD"));
	} else {
		rep->exit_code = warn ? EXIT_VERIFY_WARN : EXIT_OK;
		snprintf(rep->verdict, sizeof(rep->verdict),
			 o->quick ? _("%s: a dload card the device should accept; UPDATE.APP was "
				      "not read (--quick)") :
			 o->expect_sha256 || o->n_refs ?
			 _("%s: a dload card the device should accept; UPDATE.APP read back from "
			   "the card and checked, identical to the reference") :
			 _("%s: a dload card the device should accept; UPDATE.APP read back "
			   "from the card and checked"),
			 warn ? _("GOOD, WITH WARNINGS") : _("GOOD"));
	}
}

/* dload/UPDATE.APP, the one file the device takes (or why there is none). */
static void check_app_layout(struct card *c, struct fat_vol *vol, const struct verify_opts *o,
			     struct verify_report *rep)
{
	struct fat_dirent de;

	for (size_t i = 0; i < rep->n_files; i++)
		if (strcmp(rep->files[i].kind, "update-app") == 0)
			rep->cur_file = (int)i;
	if (check_update_app(vol, rep, &de)) {
		check_clusters(vol, rep, &de, DLOAD_FILE, true);
		check_content(c, vol, &de, o, rep);
	}
	rep->cur_file = -1;
}

/* dload/: what it holds, each file judged, the strays named. */
static void check_dload(struct card *c, struct fat_vol *vol, const struct verify_opts *o,
			struct verify_report *rep)
{
	struct fat_dirent dir, *des;
	char stored[FAT_PATH_MAX];

	if (!check_dload_dir(vol, rep, &dir, stored, sizeof(stored)))
		return;
	des = calloc(VERIFY_MAX_FILES, sizeof(*des));
	if (!des) {
		add(rep, "dload", V_FAIL, VC_IO, "%s", strerror(ENOMEM));
		return;
	}
	if (list_dload(vol, &dir, rep, des) != 0)
		goto out;
	if (rep->layout == VL_SD_SET && o->expect_sha256 && !o->n_refs) {
		rep->exit_code = EXIT_USAGE;
		snprintf(rep->verdict, sizeof(rep->verdict),
			 _("--sha256 is the SHA-256 of one UPDATE.APP, but dload/ holds SD "
			   "packages: give the packages with --against instead"));
		goto out;
	}
	report_strays(rep);
	if (rep->layout == VL_SD_SET)
		check_sd_set(c, vol, des, o, rep);
	else
		check_app_layout(c, vol, o, rep);
	if (o->n_refs)
		check_against_files(rep, o);
out:
	free(des);
}

const char *vlayout_name(enum vlayout l)
{
	return l == VL_UPDATE_APP ? "update-app" : l == VL_SD_SET ? "sd-set" : NULL;
}

int verify_card(struct card *c, const struct verify_opts *o, struct verify_report *rep)
{
	struct fat_vol *vol;

	memset(rep, 0, sizeof(*rep));
	rep->cur_file = -1;
	if (check_partition_table(c, rep) && (vol = check_filesystem(c, rep))) {
		check_dload(c, vol, o, rep);
		fat_close(vol);
	}
	if (rep->exit_code != EXIT_USAGE)
		conclude(rep, o);
	return rep->exit_code;
}
