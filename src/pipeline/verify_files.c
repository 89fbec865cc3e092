/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * verify: the files of dload/ read from the card, as the device will read
 * them: UPDATE.APP's clusters and container, an SD package set's zips (each
 * read through its clusters, its UPDATE.APP checked inside it, its members
 * by CRC-32) and the set they make, and the comparison with --against.
 * verify.c checks the card around them and draws the verdict.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fat/fat.h"
#include "fat/format.h"
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

/* FSInfo's free count is a hint a reader may trust: is it the FAT's? */
static void check_fsinfo_count(const struct fat_geom *g, const struct fat_tree_report *tr,
			       struct verify_report *rep)
{
	if (!g->fsinfo_valid)
		return;		/* said by the fsinfo check */
	if (g->fsinfo_free == FAT_FSINFO_UNKNOWN)
		verify_add(rep, "fsinfo-count", V_PASS, VC_LAYOUT,
			   _("FSInfo leaves the free count unknown (0xFFFFFFFF), which readers count"));
	else if (g->fsinfo_free != tr->free_clusters)
		verify_add(rep, "fsinfo-count", V_WARN, VC_LAYOUT,
			   _("FSInfo says %u clusters are free, the FAT has %u: a reader that trusts "
			   "FSInfo gets the free space wrong (fsck.fat: \"Free cluster summary "
			   "wrong\"); run dloadcard prepare"), g->fsinfo_free, tr->free_clusters);
	else
		verify_add(rep, "fsinfo-count", V_PASS, VC_LAYOUT,
			   _("FSInfo's free count is the FAT's (%u clusters)"), tr->free_clusters);
}

/* The file's clusters: chain as long as the size, FAT copies agree, no
 * other file shares them.  name: the file's, in the words. */
void verify_clusters(struct fat_vol *vol, struct verify_report *rep,
		     const struct fat_dirent *de, const char *name, bool fsinfo)
{
	struct fat_chain_report cr;
	struct fat_fat_diff fd;
	struct fat_tree_report *tr;
	struct errmsg e;
	int rc;

	rc = fat_check_chain(vol, de, &cr, &e);
	if (rc)
		verify_add(rep, "cluster-chain", V_FAIL, VC_IO, _("cannot read the FAT: %s"), e.text);
	else if (cr.problem != FAT_CHAIN_OK)
		verify_add(rep, "cluster-chain", V_FAIL, VC_CONTENT,
			   _("%s's cluster chain is broken: %s (cluster %u); the device would read "
			   "other data; run dloadcard prepare"), name, fat_chain_problem_text(cr.problem),
			   cr.at_cluster);
	else
		verify_add(rep, "cluster-chain", V_PASS, VC_CONTENT,
			   P_("cluster chain: %u clusters in %u run, as long as the size says",
			      "cluster chain: %u clusters in %u runs, as long as the size says", cr.runs),
			   cr.clusters, cr.runs);

	rc = fat_compare_fats(vol, de, &fd, &e);
	if (rc < 0)
		verify_add(rep, "fat-copies", V_FAIL, VC_IO, _("cannot read the FATs: %s"), e.text);
	else if (rc == 1)
		verify_add(rep, "fat-copies", V_FAIL, VC_CONTENT,
			   _("the FAT copies disagree over %s's clusters (cluster %u: copy %u "
			   "holds 0x%x, the first 0x%x); run dloadcard prepare"), name, fd.cluster,
			   fd.copy + 1, fd.value, fd.active_value);
	else
		verify_add(rep, "fat-copies", V_PASS, VC_CONTENT,
			   _("the FAT copies agree over %s's clusters"), name);

	tr = calloc(1, sizeof(*tr));
	if (!tr)
		return;
	rc = fat_check_tree(vol, de, tr, &e);
	if (rc)
		verify_add(rep, "cross-links", V_WARN, VC_CONTENT, _("the folders could not all be read: %s"),
			   e.text);
	else if (tr->target_xlinks)
		verify_add(rep, "cross-links", V_FAIL, VC_CONTENT,
			   _("%s shares cluster %u with %s: one of them is corrupt; "
			   "run dloadcard prepare"), name, tr->target_xlink_cluster, tr->first_target_xlink);
	else if (tr->bad_chains || tr->other_xlinks)
		verify_add(rep, "cross-links", V_WARN, VC_CONTENT,
			   _("%s is intact, but other files are damaged (%s): fsck.fat would "
			   "repair them"), name, tr->bad_chains ? tr->first_bad_chain : tr->first_other_xlink);
	else
		verify_add(rep, "cross-links", V_PASS, VC_CONTENT,
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
		verify_add(rep, check, V_FAIL, VC_IO, _("interrupted while reading %s"), name);
	else
		verify_add(rep, check, V_FAIL, VC_IO,
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
		verify_add(rep, "content", V_FAIL, rc == -ENOMEM ? VC_IO : VC_CONTENT,
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
		verify_add(rep, "content", V_FAIL, VC_IO,
			   _("the card failed while reading %s at card offset %" PRIu64 ": %s"),
			   name, job->err_card_off, strerror(job->err));
		return false;
	case READBACK_CANCELLED:
		progress_end(o->pg, _("interrupted"));
		verify_add(rep, "content", V_FAIL, VC_IO, _("interrupted while reading %s"), name);
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
		verify_add(rep, "container", V_PASS, VC_CONTENT,
			   _("%s read back from the card: %zu entries, every CRC right"), name,
			   ua_check_entry_count(chk));
	} else if (v == UA_VALID_WITH_WARNINGS) {
		verify_add(rep, "container", V_WARN, VC_CONTENT, _("%s is intact, but: %s"), name,
			   f ? f->message : _("warnings"));
	} else if (!de) {
		verify_add(rep, "container", V_FAIL, VC_CONTENT,
			   v == UA_DAMAGED ? _("%s on the card is damaged: %s (byte %" PRIu64 " of it)") :
			   _("%s on the card is not an UPDATE.APP: %s (byte %" PRIu64 " of it)"), name,
			   f ? f->message : _("see dloadcard check"), f ? f->offset : 0);
	} else {
		if (f && f->offset < de->size)
			fat_map_offset(vol, de, f->offset, &card_off, NULL);
		verify_add(rep, "container", V_FAIL, VC_CONTENT,
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

	verify_add(rep, "against", V_FAIL, VC_CONTENT,
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
		verify_add(rep, "against", V_PASS, VC_CONTENT, _("identical to %s (SHA-256 %s)"),
			   ref ? ref->path : _("the SHA-256 given"), hex_string(f->sha256, 32, hex));
		return;
	}
	if (ref && source_open(&src, ref->path, NULL) == 0) {
		struct readback_job cmp;

		locate_differences(job, src, f, &cmp);
		source_close(src);
	}
	if (!f->diff.n)
		verify_add(rep, "against", V_FAIL, VC_CONTENT,
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
		verify_add(rep, "against", V_FAIL, VC_CONTENT, "%s", e.text);
		return;
	}
	if (source_size(src) != f->size) {
		verify_add(rep, "against", V_FAIL, VC_CONTENT,
			   _("differs from %s: %s on the card, %s in the file"), ref->path,
			   size_to_human(f->size, a, sizeof(a)), size_to_human(source_size(src), b, sizeof(b)));
		source_close(src);
		return;
	}
	locate_differences(job, src, f, &cmp);
	if (f->diff.total_ranges)
		report_difference(rep, ref->path, f->name, &f->diff);
	else if (cmp.status == READBACK_OK)
		verify_add(rep, "against", V_PASS, VC_CONTENT, _("identical to %s, byte for byte"),
			   ref->path);
	else
		verify_add(rep, "against", V_FAIL, cmp.status == READBACK_SOURCE_ERROR ? VC_CONTENT : VC_IO,
			   _("cannot compare with %s: %s"), ref->path,
			   cmp.status == READBACK_SOURCE_ERROR ? cmp.source_error.text :
			   strerror(cmp.err ? cmp.err : EINTR));
	source_close(src);
}

void verify_update_app(struct card *c, struct fat_vol *vol, const struct fat_dirent *de,
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
		verify_add(rep, "content", V_SKIP, VC_CONTENT, _("UPDATE.APP not read (--quick)"));
		return;
	}
	if (!map_file(vol, de, DLOAD_FILE, &ext, rep))
		goto out;
	chk = ua_check_new(de->size);
	if (!chk) {
		verify_add(rep, "content", V_FAIL, VC_IO, "%s", strerror(ENOMEM));
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
	verify_add(rep, "sha256", V_INFO, VC_CONTENT, _("SHA-256 of UPDATE.APP as read from the card: %s"),
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
		verify_add(rep, "container", V_FAIL, rc == -ENOMEM || rc == -ECANCELED ? VC_IO : VC_CONTENT,
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
		verify_add(rep, "package", V_PASS, VC_CONTENT,
			   _("%s, %s: an SD package (%s) by its name; not read (--quick)"), f->name, size,
			   package_role_name(pk->role));
	else
		verify_add(rep, "package", V_INFO, VC_CONTENT,
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
			verify_add(rep, "zip-integrity", unusable, VC_CONTENT,
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
		verify_add(rep, "package", unusable, VC_CONTENT,
			   pk->kind == PKG_DOWNLOAD_ZIP ?
			   _("%s, %s: a download zip, whose UPDATE.APP is in a folder, not at its root: the "
			     "device does not extract it; run dloadcard prepare with it, which extracts "
			     "its UPDATE.APP") :
			   _("%s, %s: no UPDATE.APP at its root, so no SD package: the device cannot take "
			     "it; delete it, or run dloadcard prepare"), f->name, size);
		return false;
	}
	if (pk->role)
		verify_add(rep, "package", V_PASS, VC_CONTENT, _("%s, %s: an SD package (%s), UPDATE.APP "
			   "at its root"), f->name, size, package_role_name(pk->role));
	else
		verify_add(rep, "package", V_WARN, VC_CONTENT,
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
		verify_add(rep, "content", V_SKIP, VC_CONTENT, _("%s not read (--quick)"), f->name);
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
			verify_add(rep, "zip-integrity", V_PASS, VC_CONTENT,
				   P_("%s: %" PRIu64 " file in the zip, its CRC-32 right, read from the card",
				      "%s: %" PRIu64 " files in the zip, every CRC-32 right, read from the card",
				      f->members), f->name, f->members);
		} else if (cf.err) {
			card_file_failed(rep, "zip-integrity", f->name, &cf);
		} else {
			size_t len = strlen(f->name);
			const char *why = strncmp(e.text, f->name, len) == 0 &&
					  e.text[len] == ':' ? e.text + len + 2 : e.text;

			verify_add(rep, "zip-integrity", V_FAIL, VC_CONTENT, _("%s on the card: %s"), f->name,
				   why);
		}
	}
	progress_end(o->pg, "%s", cancelled(o) ? _("interrupted") : _("done"));
	verify_add(rep, "sha256", V_INFO, VC_CONTENT, _("SHA-256 of %s as read from the card: %s"),
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
		verify_add(rep, "set", V_FAIL, VC_LAYOUT,
			   _("dload/ holds zips, but no SD package the device can take; run dloadcard "
			   "prepare"));
		return;
	}
	rc = package_card_set_check(pk, n, warn, sizeof(warn), &e);
	if (rc) {
		verify_add(rep, "set", V_FAIL, VC_CONTENT, "%s", e.text);
		return;
	}
	for (line = strtok_r(warn, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		verify_add(rep, "set", V_WARN, VC_CONTENT, "%s", line);
	for (size_t i = 0; i < n && at + 1 < sizeof(list); i++) {
		const char *role = package_role_name(pk[i].role);
		int k = snprintf(list + at, sizeof(list) - at, "%s%s%s%s%s", i ? ", " : "",
				 pk[i].card_name, role ? " (" : "", role ? role : "", role ? ")" : "");

		if (k < 0)
			break;
		at += (size_t)k;
	}
	if (*warn)	/* said above: the set's line only lists it */
		verify_add(rep, "set", V_INFO, VC_CONTENT, P_("%zu SD package: %s", "%zu SD packages: %s", n),
			   n, list);
	else
		verify_add(rep, "set", V_PASS, VC_CONTENT,
			   P_("%zu SD package, the base among them: %s",
			      "%zu SD packages, the base among them: %s", n), n, list);
}

/* --against: every file given is on the card, and every file of the card
 * was given. */
void verify_against_files(struct verify_report *rep, const struct verify_opts *o)
{
	for (size_t i = 0; i < o->n_refs; i++) {
		size_t j;

		for (j = 0; j < rep->n_files; j++)
			if (strcasecmp(rep->files[j].name, o->refs[i].card_name) == 0)
				break;
		if (j == rep->n_files)
			verify_add(rep, "against", V_FAIL, VC_CONTENT,
				   _("%s is not on the card: dload/ holds no %s"), o->refs[i].path,
				   o->refs[i].card_name);
	}
	for (size_t j = 0; j < rep->n_files; j++) {
		const char *k = rep->files[j].kind;

		if (strcmp(k, "update-app") != 0 && strcmp(k, "sd-package") != 0)
			continue;
		if (!ref_of(o, rep->files[j].name)) {
			rep->cur_file = (int)j;
			verify_add(rep, "against", V_FAIL, VC_CONTENT,
				   _("dload/%s is on the card but not among the files given"),
				   rep->files[j].name);
		}
	}
	rep->cur_file = -1;
}

/* Every zip of dload/ and the set they make. */
void verify_sd_set(struct card *c, struct fat_vol *vol, const struct fat_dirent *des,
		   const struct verify_opts *o, struct verify_report *rep)
{
	struct package *pk = calloc(VERIFY_MAX_FILES, sizeof(*pk));
	size_t n = 0;
	bool fsinfo = true;

	if (!pk) {
		verify_add(rep, "set", V_FAIL, VC_IO, "%s", strerror(ENOMEM));
		return;
	}
	for (size_t i = 0; i < rep->n_files && !cancelled(o); i++) {
		if (strcmp(rep->files[i].kind, "sd-package") != 0)
			continue;
		rep->cur_file = (int)i;
		verify_clusters(vol, rep, &des[i], rep->files[i].name, fsinfo);
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
