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
	va_start(ap, fmt);
	vsnprintf(ck->text, sizeof(ck->text), fmt, ap);
	va_end(ap);
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

/* dload/ and dload/UPDATE.APP, any letter case; leftovers named. */
static bool check_dload(struct fat_vol *vol, struct verify_report *rep, struct fat_dirent *de)
{
	struct fat_dirent dir, other;
	char stored[FAT_PATH_MAX];
	char size[32];
	int rc;

	rc = fat_lookup(vol, DLOAD_DIR, &dir, stored, sizeof(stored), NULL);
	if (rc || !(dir.attr & FAT_ATTR_DIRECTORY)) {
		if (fat_lookup(vol, DLOAD_FILE, &other, stored, sizeof(stored), NULL) == 0)
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
	if (strcmp(stored, DLOAD_DIR) != 0)
		add(rep, "dload", V_PASS, VC_LAYOUT,
		    _("folder %s/ at the root (stored as \"%s\"; FAT ignores case, so the device "
		    "finds it)"), DLOAD_DIR, stored);
	else
		add(rep, "dload", V_PASS, VC_LAYOUT, _("folder dload/ at the root"));

	rc = fat_lookup(vol, DLOAD_DIR "/" DLOAD_FILE, de, stored, sizeof(stored), NULL);
	xstrncpy(rep->dload_path, rc == 0 ? stored : "", sizeof(rep->dload_path));
	if (fat_lookup(vol, DLOAD_DIR "/" DLOAD_TMPFILE, &other, NULL, 0, NULL) == 0)
		add(rep, "leftover", rc == 0 ? V_WARN : V_INFO, VC_LAYOUT,
		    rc == 0 ?
		    _("dload/%s is left over from an interrupted dloadcard prepare (the device "
		      "ignores it)") :
		    _("dload/%s is left over from an interrupted dloadcard prepare"),
		    DLOAD_TMPFILE);
	if (rc) {
		if (fat_lookup(vol, DLOAD_FILE, &other, stored, sizeof(stored), NULL) == 0)
			add(rep, "update-app", V_FAIL, VC_LAYOUT,
			    _("dload/ holds no UPDATE.APP, but %s is at the root: move it into dload/"),
			    stored);
		else
			add(rep, "update-app", V_FAIL, VC_LAYOUT,
			    _("dload/ holds no UPDATE.APP: copy the firmware's UPDATE.APP there, "
			    "or run dloadcard prepare"));
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
 * other file shares them. */
static void check_clusters(struct fat_vol *vol, struct verify_report *rep,
			   const struct fat_dirent *de)
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
		    _("UPDATE.APP's cluster chain is broken: %s (cluster %u); the device would read "
		    "other data; run dloadcard prepare"), fat_chain_problem_text(cr.problem),
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
		    _("the FAT copies disagree over UPDATE.APP's clusters (cluster %u: copy %u "
		    "holds 0x%x, the first 0x%x); run dloadcard prepare"), fd.cluster, fd.copy + 1,
		    fd.value, fd.active_value);
	else
		add(rep, "fat-copies", V_PASS, VC_CONTENT,
		    _("the FAT copies agree over UPDATE.APP's clusters"));

	tr = calloc(1, sizeof(*tr));
	if (!tr)
		return;
	rc = fat_check_tree(vol, de, tr, &e);
	if (rc)
		add(rep, "cross-links", V_WARN, VC_CONTENT, _("the folders could not all be read: %s"),
		    e.text);
	else if (tr->target_xlinks)
		add(rep, "cross-links", V_FAIL, VC_CONTENT,
		    _("UPDATE.APP shares cluster %u with %s: one of them is corrupt; "
		    "run dloadcard prepare"), tr->target_xlink_cluster, tr->first_target_xlink);
	else if (tr->bad_chains || tr->other_xlinks)
		add(rep, "cross-links", V_WARN, VC_CONTENT,
		    _("UPDATE.APP is intact, but other files are damaged (%s): fsck.fat would "
		    "repair them"), tr->bad_chains ? tr->first_bad_chain : tr->first_other_xlink);
	else
		add(rep, "cross-links", V_PASS, VC_CONTENT,
		    _("no other file shares UPDATE.APP's clusters (%u files, %u folders checked)"),
		    tr->files, tr->dirs);
	if (!rc)
		check_fsinfo_count(fat_geometry(vol), tr, rep);
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

/* The container's verdict, and where its first error lies on the card. */
static void report_container(struct fat_vol *vol, const struct fat_dirent *de,
			     struct verify_report *rep, struct ua_check *chk)
{
	enum ua_verdict v = ua_check_verdict(chk);
	const struct ua_finding *f = NULL;
	uint64_t card_off = 0;
	size_t i;

	rep->container = ua_verdict_name(v);
	for (i = 0; i < ua_check_finding_count(chk) && !f; i++) {
		const struct ua_finding *x = ua_check_finding(chk, i);

		if (x->severity == (v == UA_VALID_WITH_WARNINGS ? UA_WARNING : UA_ERROR))
			f = x;
	}
	if (v == UA_VALID) {
		add(rep, "container", V_PASS, VC_CONTENT,
		    _("UPDATE.APP read back from the card: %zu entries, every CRC right"),
		    ua_check_entry_count(chk));
	} else if (v == UA_VALID_WITH_WARNINGS) {
		add(rep, "container", V_WARN, VC_CONTENT, _("UPDATE.APP is intact, but: %s"),
		    f ? f->message : _("warnings"));
	} else {
		if (f && f->offset < de->size)
			fat_map_offset(vol, de, f->offset, &card_off, NULL);
		add(rep, "container", V_FAIL, VC_CONTENT,
		    v == UA_DAMAGED ?
		    _("UPDATE.APP on the card is damaged: %s (card offset %" PRIu64 ")") :
		    _("UPDATE.APP on the card is not an UPDATE.APP: %s (card offset %" PRIu64 ")"),
		    f ? f->message : _("see dloadcard check"), card_off);
	}
}

static void check_against(struct verify_report *rep, const struct verify_opts *o,
			  struct readback_job *job)
{
	struct source *src = NULL;
	const struct diff_range *d;
	char hex[65];

	if (memcmp(rep->sha256, o->expect_sha256, 32) == 0) {
		add(rep, "against", V_PASS, VC_CONTENT, _("identical to %s (SHA-256 %s)"),
		    o->against ? o->against : _("the SHA-256 given"),
		    hex_string(rep->sha256, 32, hex));
		return;
	}
	if (o->against && source_open(&src, o->against, NULL) == 0) {
		struct readback_job cmp = *job;

		cmp.consume = NULL;
		cmp.want_sha256 = false;
		cmp.label = _("Locating differences");
		readback_compare(&cmp, src, &rep->diff);
		source_close(src);
	}
	if (!rep->diff.n) {
		add(rep, "against", V_FAIL, VC_CONTENT,
		    _("differs from %s (SHA-256 %s on the card)"),
		    o->against ? o->against : _("the SHA-256 given"), hex_string(rep->sha256, 32, hex));
		return;
	}
	d = &rep->diff.ranges[0];
	add(rep, "against", V_FAIL, VC_CONTENT,
	    rep->diff.bytes == 1 ?
	    _("differs from %s: %" PRIu64 " byte in %zu place, the first at byte %" PRIu64
	      " of UPDATE.APP (card offset %" PRIu64 ")") :
	    P_("differs from %s: %" PRIu64 " bytes in %zu place, the first at byte %" PRIu64
	       " of UPDATE.APP (card offset %" PRIu64 ")",
	       "differs from %s: %" PRIu64 " bytes in %zu places, the first at byte %" PRIu64
	       " of UPDATE.APP (card offset %" PRIu64 ")", rep->diff.total_ranges),
	    o->against, rep->diff.bytes, rep->diff.total_ranges, d->file_off, d->card_off);
}

static void check_content(struct card *c, struct fat_vol *vol, const struct fat_dirent *de,
			  const struct verify_opts *o, struct verify_report *rep)
{
	struct extent_list ext = { 0 };
	struct readback_job job = { 0 };
	struct ua_check *chk;
	struct errmsg e;
	char hex[65];
	int rc;

	if (o->quick) {
		add(rep, "content", V_SKIP, VC_CONTENT, _("UPDATE.APP not read (--quick)"));
		return;
	}
	rc = fat_extents(vol, de, collect_extent, &ext, &e);
	chk = ua_check_new(de->size);
	if (rc || !chk) {
		add(rep, "content", V_FAIL, rc == -ENOMEM || !chk ? VC_IO : VC_CONTENT,
		    _("cannot map UPDATE.APP's clusters: %s"),
		    rc && rc != -ENOMEM ? e.text : strerror(ENOMEM));
		goto out;
	}
	job.card = c;
	job.ext = ext.v;
	job.n_ext = ext.n;
	job.length = de->size;
	job.pg = o->pg;
	job.label = _("Reading UPDATE.APP");
	job.cancel = o->cancel;
	job.consume = feed_checker;
	job.consume_ctx = chk;
	/* Past the page cache: what the card holds, not what the kernel kept. */
	card_flush(c);
	switch (readback_hash(&job)) {
	case READBACK_OK:
		progress_end(o->pg, _("done"));
		break;
	case READBACK_READ_ERROR:
	case READBACK_SOURCE_ERROR:	/* not with readback_hash */
		progress_end(o->pg, _("failed"));
		add(rep, "content", V_FAIL, VC_IO,
		    _("the card failed while reading UPDATE.APP at card offset %" PRIu64 ": %s"),
		    job.err_card_off, strerror(job.err));
		goto out;
	case READBACK_CANCELLED:
		progress_end(o->pg, _("interrupted"));
		add(rep, "content", V_FAIL, VC_IO, _("interrupted while reading UPDATE.APP"));
		goto out;
	}
	ua_check_finish(chk);
	rep->read_done = true;
	memcpy(rep->sha256, job.sha256, sizeof(rep->sha256));
	add(rep, "sha256", V_INFO, VC_CONTENT, _("SHA-256 of UPDATE.APP as read from the card: %s"),
	    hex_string(rep->sha256, 32, hex));
	report_container(vol, de, rep, chk);
	if (o->expect_sha256)
		check_against(rep, o, &job);
out:
	ua_check_free(chk);
	free(ext.v);
}

static void conclude(struct verify_report *rep, const struct verify_opts *o)
{
	bool io = false, layout = false, content = false, warn = false;
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
		snprintf(rep->verdict, sizeof(rep->verdict),
			 _("DAMAGED: a dload card, but its UPDATE.APP is not right; the update "
			   "would fail or be refused"));
	} else {
		rep->exit_code = warn ? EXIT_VERIFY_WARN : EXIT_OK;
		snprintf(rep->verdict, sizeof(rep->verdict),
			 o->quick ? _("%s: a dload card the device should accept; UPDATE.APP was "
				      "not read (--quick)") :
			 o->expect_sha256 ? _("%s: a dload card the device should accept; "
					      "UPDATE.APP read back from the card and checked, "
					      "identical to the reference") :
			 _("%s: a dload card the device should accept; UPDATE.APP read back "
			   "from the card and checked"),
			 warn ? _("GOOD, WITH WARNINGS") : _("GOOD"));
	}
}

int verify_card(struct card *c, const struct verify_opts *o, struct verify_report *rep)
{
	struct fat_dirent de;
	struct fat_vol *vol;

	memset(rep, 0, sizeof(*rep));
	if (check_partition_table(c, rep) && (vol = check_filesystem(c, rep))) {
		if (check_dload(vol, rep, &de)) {
			check_clusters(vol, rep, &de);
			check_content(c, vol, &de, o, rep);
		}
		fat_close(vol);
	}
	conclude(rep, o);
	return rep->exit_code;
}
