/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * verify: read a card as the device will, and say exactly why it would fail.
 * Checks run from the outside in (partition table, file system, dload/ and
 * what it holds, then each file: verify_files.c); each adds one line.
 * Nothing is written: the card is opened read-only.
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
#include "pipeline/verify_private.h"

#define ALIGN_4M	(4ULL << 20)

const char *vresult_name(enum vresult r)
{
	static const char *const names[] = { "PASS", "INFO", "WARN", "FAIL", "SKIP" };

	return r <= V_SKIP ? names[r] : "?";
}

struct vcheck *verify_add(struct verify_report *rep, const char *name, enum vresult res,
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
		verify_add(rep, "partition-type", V_PASS, VC_LAYOUT,
			   _("type 0x%02x, as the SD layout has it for a partition ending at sector %" PRIu64),
			   p->type_code, end);
	else if (in_chs)
		verify_add(rep, "partition-type", V_WARN, VC_LAYOUT,
			   _("type 0x0c for a partition that ends within CHS reach (sector %" PRIu64 "), "
			   "where the SD layout has 0x0b: a reader written for that layout may pass it "
			   "over; run dloadcard prepare"), end);
	else
		verify_add(rep, "partition-type", V_WARN, VC_LAYOUT,
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
		verify_add(rep, "partition-geometry", V_FAIL, VC_LAYOUT,
			   _("the partition starts at sector 0, on the partition table itself; "
			   "run dloadcard prepare"));
		return false;
	}
	if (start >= c->size) {
		verify_add(rep, "partition-geometry", V_FAIL, VC_LAYOUT,
			   _("the partition starts at sector %" PRIu64 ", past the end of the card "
			   "(%" PRIu64 " sectors): the table does not fit this card; run dloadcard prepare"),
			   start / s, c->size / s);
		return false;
	}
	if (end > c->size) {
		verify_add(rep, "partition-geometry", V_FAIL, VC_LAYOUT,
			   _("the partition (%" PRIu64 " sectors from sector %" PRIu64 ") ends %" PRIu64
			   " sectors past the end of the card (%" PRIu64 " sectors): the device would look "
			   "for data where there is none; run dloadcard prepare"), rep->part_size / s,
			   start / s, (end - c->size + s - 1) / s, c->size / s);
		return true;
	}
	verify_add(rep, "partition-geometry", V_PASS, VC_LAYOUT,
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
			verify_add(rep, "partition-table", V_WARN, VC_LAYOUT,
				   _("no partition table: a file system fills the whole card (\"superfloppy\"); "
				   "many devices read it, some do not; prepare makes a partitioned card"));
			rep->part_offset = 0;
			rep->part_size = c->size;
			return true;
		}
		if (cc.n && !cc.items[0].partno) {
			verify_add(rep, "partition-table", V_FAIL, VC_LAYOUT,
				   _("no partition table: %s fills the whole card; the device needs an MBR "
				   "with a FAT32 partition: run dloadcard prepare"), cc.items[0].type);
			rep->part_offset = 0;
			rep->part_size = c->size;
			return true;
		}
		verify_add(rep, "partition-table", V_FAIL, VC_LAYOUT,
			   _("no partition table and no file system: the card is blank or unreadable; "
			   "run dloadcard prepare"));
		return false;
	}
	if (strcmp(cc.pttype, "gpt") == 0) {
		verify_add(rep, "partition-table", V_FAIL, VC_LAYOUT,
			   _("a GPT partition table: the device's recovery looks for an MBR (DOS) card "
			   "and is likely to ignore this one; run dloadcard prepare"));
	} else if (strcmp(cc.pttype, "dos") != 0) {
		verify_add(rep, "partition-table", V_FAIL, VC_LAYOUT,
			   _("a \"%s\" partition table: the device needs an MBR (DOS) card; "
			   "run dloadcard prepare"), cc.pttype);
	} else if (!first) {
		verify_add(rep, "partition-table", V_FAIL, VC_LAYOUT,
			   extended ? _("MBR with only an extended partition: the device reads a primary "
				      "partition; run dloadcard prepare") :
				      _("MBR without any partition: run dloadcard prepare"));
		return false;
	} else if (!is_fat32_type(first->type_code)) {
		verify_add(rep, "partition-table", V_WARN, VC_LAYOUT,
			   _("MBR, but the first partition's type is 0x%02x, not FAT32 (0x0b/0x0c); "
			   "some devices go by the type"), first->type_code);
	} else if (parts > 1) {
		verify_add(rep, "partition-table", V_WARN, VC_LAYOUT,
			   extended ?
			   _("MBR with %zu partitions (one extended): the device reads the first, which "
			     "is FAT32 (0x%02x); a single partition is safer") :
			   _("MBR with %zu partitions: the device reads the first, which is FAT32 "
			     "(0x%02x); a single partition is safer"), parts, first->type_code);
	} else {
		verify_add(rep, "partition-table", V_PASS, VC_LAYOUT,
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
		verify_add(rep, "partition-alignment", V_WARN, VC_LAYOUT,
			   _("the partition starts at sector %" PRIu64 ", not on a 4 MiB boundary: "
			   "slower writes and more wear on the card"), first->offset / 512);
	else
		verify_add(rep, "partition-alignment", V_PASS, VC_LAYOUT,
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
			verify_add(rep, fs_points[i].name, V_WARN, VC_LAYOUT,
				   _("%u KiB clusters: %s; run dloadcard prepare"), g->cluster_size / 1024,
				   fat_warning_text(bit));
		else
			verify_add(rep, fs_points[i].name, bit == FAT_WARN_FEW_CLUSTERS ? V_FAIL : V_WARN,
				   VC_LAYOUT, _("%s; run dloadcard prepare"), fat_warning_text(bit));
	}
	for (bit = 1; bit && bit <= FAT_WARN_LAST; bit <<= 1) {
		if (g->warnings & bit & ~named)
			verify_add(rep, "filesystem-detail", V_WARN, VC_LAYOUT, "%s", fat_warning_text(bit));
	}
	if (!(g->warnings & (FAT_WARN_STRICT | FAT_WARN_FEW_CLUSTERS | FAT_WARN_FSINFO |
			     FAT_WARN_FSINFO_RANGE | FAT_WARN_BACKUP_BOOT)))
		verify_add(rep, "fat-spec", V_PASS, VC_LAYOUT,
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
		verify_add(rep, "filesystem", V_FAIL, VC_IO, "%s", e.text);
		return NULL;
	}
	xstrncpy(rep->fstype, fat_kind_name(kind), sizeof(rep->fstype));
	if (kind != FAT_KIND_FAT32) {
		verify_add(rep, "filesystem", V_FAIL, VC_LAYOUT, "%s (%s)", kind_advice(kind),
			   fat_kind_name(kind));
		return NULL;
	}
	rc = volume_open(c, true, rep->part_offset, part_size, &vol, &e);
	if (rc) {
		verify_add(rep, "filesystem", V_FAIL,
			   rc == -EMEDIUMTYPE || rc == -EUCLEAN ? VC_LAYOUT : VC_IO,
			   _("FAT32, but it cannot be read: %s; run dloadcard prepare"), e.text);
		return NULL;
	}
	g = fat_geometry(vol);
	xstrncpy(rep->label, g->has_root_label ? g->root_label : g->label, sizeof(rep->label));
	/* Powers of two: 512 B (small cards) to 64 KiB, shown exactly. */
	verify_add(rep, "filesystem", V_PASS, VC_LAYOUT,
		   _("FAT32, %u %s clusters, %u clusters, label \"%s\", formatted by \"%s\""),
		   g->cluster_size >= 1024 ? g->cluster_size / 1024 : g->cluster_size,
		   g->cluster_size >= 1024 ? "KiB" : "B", g->cluster_count, rep->label, g->oem);
	check_fs_points(g, rep);
	if ((rep->part_offset + g->data_offset) % ALIGN_4M)
		verify_add(rep, "data-alignment", V_WARN, VC_LAYOUT,
			   _("the data area starts at card offset %" PRIu64 ", not on a 4 MiB boundary: "
			   "slower writes and more wear on the card"), rep->part_offset + g->data_offset);
	else
		verify_add(rep, "data-alignment", V_PASS, VC_LAYOUT,
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
			verify_add(rep, "dload", V_PASS, VC_LAYOUT,
				   _("folder %s/ at the root (stored as \"%s\"; FAT ignores case, so the device "
				   "finds it)"), DLOAD_DIR, stored);
		else
			verify_add(rep, "dload", V_PASS, VC_LAYOUT, _("folder dload/ at the root"));
		return true;
	}
	if (fat_lookup(vol, DLOAD_FILE, &other, stored, len, NULL) == 0)
		verify_add(rep, "dload", V_FAIL, VC_LAYOUT,
			   _("%s is at the root, not in dload/: the device looks for dload/UPDATE.APP; "
			   "make a folder dload and move it there"), stored);
	else if (rc == 0)
		verify_add(rep, "dload", V_FAIL, VC_LAYOUT,
			   _("%s at the root is a file, not a folder: the device looks for "
			   "dload/UPDATE.APP"), stored);
	else
		verify_add(rep, "dload", V_FAIL, VC_LAYOUT,
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
			verify_add(rep, "stray", V_WARN, VC_LAYOUT,
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
		verify_add(rep, "dload", V_FAIL, VC_IO, _("dload/ cannot be read: %s"), e.text);
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
			verify_add(rep, "leftover", rep->layout == VL_NONE ? V_INFO : V_WARN, VC_LAYOUT,
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
			verify_add(rep, "stray", V_INFO, VC_LAYOUT,
				   _("dload/%s/ is a folder, no part of an update: the device ignores it"),
				   f->name);
		else if (strcmp(f->kind, "zip") == 0)
			verify_add(rep, "stray", V_WARN, VC_LAYOUT,
				   _("dload/%s (%s) is a zip beside UPDATE.APP: a device that takes SD "
				     "packages may take it instead; delete it"), f->name, size);
		else if (strcmp(f->kind, "other") == 0)
			verify_add(rep, "stray", V_INFO, VC_LAYOUT,
				   _("dload/%s (%s) is no part of an update: the device ignores it"),
				   f->name, size);
		else if (strcmp(f->kind, "update-app") == 0 && rep->layout == VL_SD_SET)
			verify_add(rep, "update-app", V_FAIL, VC_CONTENT,
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
			verify_add(rep, "update-app", V_FAIL, VC_LAYOUT,
				   _("dload/ holds no UPDATE.APP, but %s is at the root: move it into dload/"),
				   stored);
		else
			verify_add(rep, "update-app", V_FAIL, VC_LAYOUT,
				   _("dload/ holds no UPDATE.APP and no SD package: copy the firmware's "
				   "UPDATE.APP (or its SD packages) there, or run dloadcard prepare"));
		return false;
	}
	if (de->attr & FAT_ATTR_DIRECTORY) {
		verify_add(rep, "update-app", V_FAIL, VC_LAYOUT, _("%s is a folder, not a file"), stored);
		return false;
	}
	rep->have_file = true;
	rep->file_size = de->size;
	if (de->size == 0) {
		verify_add(rep, "update-app", V_FAIL, VC_CONTENT,
			   _("%s is empty: the copy failed; run dloadcard prepare"), stored);
		return false;
	}
	verify_add(rep, "update-app", V_PASS, VC_LAYOUT, "%s, %s", stored,
		   size_to_human(de->size, size, sizeof(size)));
	return true;
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
		verify_clusters(vol, rep, &de, DLOAD_FILE, true);
		verify_update_app(c, vol, &de, o, rep);
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
		verify_add(rep, "dload", V_FAIL, VC_IO, "%s", strerror(ENOMEM));
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
		verify_sd_set(c, vol, des, o, rep);
	else
		check_app_layout(c, vol, o, rep);
	if (o->n_refs)
		verify_against_files(rep, o);
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
