/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The source: a plain file, or an entry streamed out of a zip with
 * libarchive.  libarchive reads through our own callbacks on our file
 * descriptor, so that the descriptor stays ours (for the identity check and
 * for rewinding) and seeking works (the zip's central directory gives sizes
 * even for entries written with data descriptors).
 */
#include "config.h"

#include "firmware/source.h"
#include "lib/nls.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/byteorder.h"
#include "lib/strutils.h"

#define ZIP_IO_SIZE (256u << 10)
#define LIST_MAX 20                 /* names shown for a zip without the file */
#define WANTED "dload/update.app"

struct source {
	int fd;
	struct stat st;                 /* at open, for source_unchanged() */
	char *path;
	char *desc;
	uint64_t size;
	uint64_t done;                  /* bytes delivered */
	bool raw;                       /* the file's own bytes, a zip's too */

	/* a file read through the caller's callback (source_open_reader()) */
	struct source_io rd;        /* rd.read NULL: the descriptor */
	uint64_t pos;                   /* libarchive's position in it */

	/* zip only */
	char *member;                   /* the member to read, or NULL: dload/UPDATE.APP */
	struct archive *ar;
	char *entry;                    /* path inside the zip */
	uint64_t entry_index;           /* its position among the headers */
	unsigned char *io;              /* libarchive's read buffer */
};

int source_changed_error(const struct source *src, const char *how, struct errmsg *e)
{
	return errmsg_set(e, -ESTALE, _("%s changed while dloadcard was using it (%s)"), src->path,
			  how);
}

static int change_seen(const struct source *src, const char **how);

/* ---- libarchive callbacks on our descriptor -------------------------------- */

static la_ssize_t cb_read(struct archive *a, void *arg, const void **buf)
{
	struct source *src = arg;
	ssize_t n;

	*buf = src->io;
	if (src->rd.read) {
		uint64_t left = src->rd.size - src->pos;
		size_t len = left < ZIP_IO_SIZE ? (size_t)left : ZIP_IO_SIZE;
		int r = len ? src->rd.read(src->rd.ctx, src->pos, src->io, len) : 0;

		if (r < 0) {
			archive_set_error(a, -r, "read error");
			return ARCHIVE_FATAL;
		}
		src->pos += len;
		return (la_ssize_t)len;
	}
	do
		n = read(src->fd, src->io, ZIP_IO_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		archive_set_error(a, errno, "read error");
	*buf = src->io;
	return n;
}

static la_int64_t cb_seek(struct archive *a, void *arg, la_int64_t off, int whence)
{
	struct source *src = arg;
	off_t r;

	if (src->rd.read) {
		int64_t at = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)src->pos :
			     (int64_t)src->rd.size;

		if (off < -at || at + off > (int64_t)src->rd.size) {
			archive_set_error(a, EINVAL, "seek error");
			return ARCHIVE_FATAL;
		}
		src->pos = (uint64_t)(at + off);
		return (la_int64_t)src->pos;
	}
	r = lseek(src->fd, (off_t)off, whence);
	if (r < 0) {
		archive_set_error(a, errno, "seek error");
		return ARCHIVE_FATAL;
	}
	return r;
}

static la_int64_t cb_skip(struct archive *a, void *arg, la_int64_t request)
{
	struct source *src = arg;

	(void)a;
	if (src->rd.read) {
		uint64_t left = src->rd.size - src->pos;

		if (request < 0)
			return 0;
		if ((uint64_t)request > left)
			request = (la_int64_t)left;
		src->pos += (uint64_t)request;
		return request;
	}
	if (lseek(src->fd, (off_t)request, SEEK_CUR) < 0)
		return 0;       /* libarchive then reads instead */
	return request;
}

static int zip_open(struct source *src, struct errmsg *e)
{
	struct archive *a = archive_read_new();

	int rc;

	if (!a)
		return errmsg_set(e, -ENOMEM, _("%s: out of memory"), src->path);
	src->pos = 0;
	if (!src->rd.read && lseek(src->fd, 0, SEEK_SET) < 0) {
		rc = errmsg_set(e, -errno, _("%s: cannot go back to the start: %s"), src->path,
				strerror(errno));
		archive_read_free(a);
		return rc;
	}
	archive_read_support_format_zip(a);
	archive_read_set_read_callback(a, cb_read);
	archive_read_set_seek_callback(a, cb_seek);
	archive_read_set_skip_callback(a, cb_skip);
	archive_read_set_callback_data(a, src);
	if (archive_read_open1(a) != ARCHIVE_OK) {
		errmsg_set(e, -EIO, _("%s: cannot read it as a zip: %s"), src->path,
			   archive_error_string(a) ? archive_error_string(a) : _("unknown error"));
		archive_read_free(a);
		return -EIO;
	}
	src->ar = a;
	return 0;
}

static void zip_close(struct source *src)
{
	if (src->ar)
		archive_read_free(src->ar);
	src->ar = NULL;
}

static const char *entry_name(struct archive_entry *e)
{
	const char *name = archive_entry_pathname_utf8(e);

	if (!name)
		name = archive_entry_pathname(e);
	return name ? name : "";
}

bool source_is_dload_app(const char *name)
{
	size_t n = strlen(name), w = strlen(WANTED);

	if (n < w)
		return false;
	for (size_t i = 0; i < w; i++) {
		char ch = name[n - w + i] == '\\' ? '/' : name[n - w + i];

		if (tolower((unsigned char)ch) != WANTED[i])
			return false;
	}
	return n == w || name[n - w - 1] == '/' || name[n - w - 1] == '\\';
}

/* ---- finding the entry ---------------------------------------------------- */

struct zip_scan {
	uint64_t count;                 /* files in the zip */
	uint64_t matches;
	char *list;                     /* the first LIST_MAX names */
	size_t list_len;
	char *found[2];                 /* the first two matches */
	uint64_t index;
	uint64_t size;
	bool size_set;
	bool encrypted;
	char *other_app;                /* an UPDATE.APP outside a dload folder */
	char *inner_zip;                /* a zip inside the zip */
};

static void list_add(struct zip_scan *z, const char *name)
{
	size_t n = strlen(name);
	char *p = realloc(z->list, z->list_len + n + 3);

	if (!p)
		return;
	z->list = p;
	if (z->list_len)
		memcpy(p + z->list_len, ", ", 2), z->list_len += 2;
	memcpy(p + z->list_len, name, n + 1);
	z->list_len += n;
}

static void scan_free(struct zip_scan *z)
{
	free(z->list);
	free(z->found[0]);
	free(z->found[1]);
	free(z->other_app);
	free(z->inner_zip);
}

static int zip_scan(struct source *src, struct zip_scan *z, struct errmsg *e)
{
	struct archive_entry *ent;
	uint64_t index = 0;
	int r;

	while ((r = archive_read_next_header(src->ar, &ent)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		const char *name = entry_name(ent);

		if (archive_entry_filetype(ent) == AE_IFDIR) {
			index++;
			continue;
		}
		if (z->count++ < LIST_MAX)
			list_add(z, name);
		if (src->member ? strcmp(name, src->member) == 0 : source_is_dload_app(name)) {
			if (z->matches < 2)
				z->found[z->matches] = strdup(name);
			if (z->matches++ == 0) {
				z->index = index;
				z->size_set = archive_entry_size_is_set(ent);
				z->size = (uint64_t)archive_entry_size(ent);
				z->encrypted = archive_entry_is_encrypted(ent);
			}
		} else if (!z->other_app && endswith_ci(name, "UPDATE.APP")) {
			z->other_app = strdup(name);
		} else if (!z->inner_zip && endswith_ci(name, ".zip")) {
			z->inner_zip = strdup(name);
		}
		index++;
	}
	if (r != ARCHIVE_EOF)
		return errmsg_set(e, -EIO, _("%s: the zip is damaged or incomplete (%s): download it "
				  "again."), src->path, archive_error_string(src->ar) ?
				  archive_error_string(src->ar) : _("its list of files cannot be read"));
	return 0;
}

static int explain_missing(const struct source *src, const struct zip_scan *z,
			   struct errmsg *e)
{
	char more[64] = "";
	char hint[600] = "";

	if (z->count > LIST_MAX)
		snprintf(more, sizeof(more), _(", and %" PRIu64 " more"),
			 z->count - LIST_MAX);
	if (z->other_app)
		snprintf(hint, sizeof(hint),
			 _(" It has %s, which is not in a dload folder: this may be an update package for the phone's own updater, not for an SD card."),
			 z->other_app);
	else if (z->inner_zip)
		snprintf(hint, sizeof(hint),
			 _(" It holds another zip, %s: the firmware may be inside it; extract it and give that zip to dloadcard."),
			 z->inner_zip);
	if (z->count == 0)
		return errmsg_set(e, -ENOENT, _("%s: the zip holds no files, so no dload/UPDATE.APP."),
				  src->path);
	/* TRANSLATORS: the second %s is one of the sentences above, or nothing. */
	return errmsg_set(e, -ENOENT, P_("%s: the zip holds no dload/UPDATE.APP.%s It holds %" PRIu64
					 " file: %s%s.",
					 "%s: the zip holds no dload/UPDATE.APP.%s It holds %" PRIu64
					 " files: %s%s.", z->count),
			  src->path, hint, z->count, z->list ? z->list : "", more);
}

static int zip_goto(struct source *src, uint64_t index, struct errmsg *e)
{
	struct archive_entry *ent;

	for (uint64_t i = 0; i <= index; i++) {
		int r = archive_read_next_header(src->ar, &ent);

		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return errmsg_set(e, -EIO, _("%s: cannot find %s again in the zip: %s"),
					  src->path, src->entry, archive_error_string(src->ar) ?
					  archive_error_string(src->ar) : _("it changed"));
	}
	if (strcmp(entry_name(ent), src->entry) != 0)
		return errmsg_set(e, -EIO, _("%s: the zip changed: %s is no longer where it was"),
				  src->path, src->entry);
	return 0;
}

static int too_big(const char *what, uint64_t size, struct errmsg *e)
{
	return errmsg_set(e, -EFBIG, _("%s is %" PRIu64 " bytes, larger than 4 GiB - 1 (%" PRIu64
			  " bytes), the largest file a FAT32 card can hold."), what, size,
			  SOURCE_MAX_SIZE);
}

/* The entry found in the zip: the one that can be read, or why not. */
static int take_entry(struct source *src, struct zip_scan *z, struct errmsg *e)
{
	if (z->matches == 0)
		return explain_missing(src, z, e);
	if (z->matches > 1)
		return errmsg_set(e, -EEXIST, _("%s: the zip holds %" PRIu64 " dload/UPDATE.APP files "
				  "(%s, %s%s): a two-step package; choose one with --member PATH."),
				  src->path, z->matches, z->found[0], z->found[1],
				  z->matches > 2 ? ", ..." : "");
	src->entry = z->found[0];
	z->found[0] = NULL;
	src->entry_index = z->index;
	if (z->encrypted)
		return errmsg_set(e, -EACCES, _("%s: %s is encrypted (password-protected) in the zip; "
				  "extract it with its password first."), src->path, src->entry);
	if (!z->size_set)
		return errmsg_set(e, -EINVAL, _("%s: the zip does not record the size of %s; extract "
				  "it first."), src->path, src->entry);
	src->size = z->size;
	if (src->size > SOURCE_MAX_SIZE)
		return too_big(src->entry, src->size, e);
	return 0;
}

static int open_zip(struct source *src, struct errmsg *e)
{
	struct zip_scan z = { 0 };
	int err;

	src->io = malloc(ZIP_IO_SIZE);
	if (!src->io)
		return errmsg_set(e, -ENOMEM, _("%s: out of memory"), src->path);
	err = zip_open(src, e);
	if (!err)
		err = zip_scan(src, &z, e);
	if (!err)
		err = take_entry(src, &z, e);
	if (!err) {
		zip_close(src);
		err = zip_open(src, e);
	}
	if (!err)
		err = zip_goto(src, src->entry_index, e);
	scan_free(&z);
	return err;
}

/* ---- opening ------------------------------------------------------------- */

static const char *file_type(mode_t mode)
{
	if (S_ISDIR(mode))
		return _("a directory");
	if (S_ISBLK(mode))
		return _("a block device (a disk)");
	if (S_ISCHR(mode))
		return _("a character device");
	if (S_ISFIFO(mode))
		return _("a FIFO (a named pipe)");
	if (S_ISSOCK(mode))
		return _("a socket");
	return _("not a regular file");
}

static bool starts_like_zip(const struct source *src)
{
	unsigned char m[4];
	bool got = src->rd.read ?
		   src->rd.size >= sizeof(m) && src->rd.read(src->rd.ctx, 0, m, sizeof(m)) == 0 :
		   pread(src->fd, m, sizeof(m), 0) == (ssize_t)sizeof(m);

	/* Local file header, or the end record of an empty zip. */
	return got && m[0] == 'P' && m[1] == 'K' &&
	       ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6));
}

static int open_file(struct source *src, struct errmsg *e)
{
	int fl;

	if (src->rd.read)
		return 0;	/* the caller's, already open */
	/* O_NONBLOCK: a FIFO (or a device) must not hang the open; what it is
	 * is refused just below. */
	src->fd = open(src->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (src->fd < 0)
		return errmsg_set(e, -errno, _("cannot open %s: %s"), src->path, strerror(errno));
	if (fstat(src->fd, &src->st) < 0)
		return errmsg_set(e, -errno, _("cannot stat %s: %s"), src->path, strerror(errno));
	if (!S_ISREG(src->st.st_mode))
		return errmsg_set(e, -EINVAL, _("%s is %s, not a file: give the path of an UPDATE.APP "
				  "or a firmware zip."), src->path, file_type(src->st.st_mode));
	fl = fcntl(src->fd, F_GETFL);
	if (fl < 0 || fcntl(src->fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return errmsg_set(e, -errno, _("cannot read %s: %s"), src->path, strerror(errno));
	/* Read once, front to back: let the kernel read ahead. */
	posix_fadvise(src->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

int source_open(struct source **srcp, const char *path, struct errmsg *e)
{
	return source_open_member(srcp, path, NULL, e);
}

static int open_source(struct source **srcp, const char *path, const struct source_io *rd,
		       const char *member, bool raw, struct errmsg *e)
{
	struct source *src = calloc(1, sizeof(*src));
	int r;

	*srcp = NULL;
	if (!src || !(src->path = strdup(path))) {
		free(src);
		return errmsg_set(e, -ENOMEM, _("%s: out of memory"), path);
	}
	src->fd = -1;
	src->raw = raw;
	if (rd)
		src->rd = *rd;
	if (member && !(src->member = strdup(member))) {
		free(src->path);
		free(src);
		return errmsg_set(e, -ENOMEM, "%s: out of memory", path);
	}
	r = open_file(src, e);
	if (!r && !raw && starts_like_zip(src)) {
		r = open_zip(src, e);
		if (!r && asprintf(&src->desc, "%s:%s", path, src->entry) < 0) {
			src->desc = NULL;
			r = errmsg_set(e, -ENOMEM, _("%s: out of memory"), path);
		}
	} else if (!r) {
		src->size = rd ? rd->size : (uint64_t)src->st.st_size;
		if (src->size > SOURCE_MAX_SIZE)
			r = too_big(path, src->size, e);
		else if (!(src->desc = strdup(path)))
			r = errmsg_set(e, -ENOMEM, _("%s: out of memory"), path);
	}
	if (r) {
		source_close(src);
		return r;
	}
	*srcp = src;
	return 0;
}

int source_open_member(struct source **srcp, const char *path, const char *member,
		       struct errmsg *e)
{
	return open_source(srcp, path, NULL, member, false, e);
}

int source_open_raw(struct source **srcp, const char *path, struct errmsg *e)
{
	return open_source(srcp, path, NULL, NULL, true, e);
}

int source_open_reader(struct source **srcp, const char *name, const struct source_io *rd,
		       const char *member, struct errmsg *e)
{
	return open_source(srcp, name, rd, member, false, e);
}

/*
 * Open the zip at path on its own and call fn on each file (directories
 * left out), in the zip's order, until fn returns non-zero.  0, 1 when
 * the file is no zip, or a negative errno with e set.
 */
typedef int (*zip_file_fn)(struct source *src, struct archive_entry *ent, void *arg,
			   struct errmsg *e);

/*
 * A zip ends with its end of central directory record (22 bytes, then a
 * comment of up to 65535): a zip without one was cut short.  libarchive's
 * streaming reader lists and reads such a zip from its local headers; the
 * device's recovery reads the central directory.  0 when it is there,
 * -EIO (said) when not, or the read's error.
 */
#define ZIP_END_LEN 22u
#define ZIP_END_MAX (ZIP_END_LEN + 65535u)

static int zip_end_check(struct source *src, struct errmsg *e)
{
	uint64_t size = src->rd.read ? src->rd.size : (uint64_t)src->st.st_size;
	size_t tail = size < ZIP_END_MAX ? (size_t)size : ZIP_END_MAX;
	unsigned char *buf = malloc(tail ? tail : 1);
	ssize_t n;
	int r = 0;

	if (!buf)
		return errmsg_set(e, -ENOMEM, _("%s: out of memory"), src->path);
	if (src->rd.read) {
		r = src->rd.read(src->rd.ctx, size - tail, buf, tail);
	} else {
		n = pread(src->fd, buf, tail, (off_t)(size - tail));
		r = n == (ssize_t)tail ? 0 : n < 0 ? -errno : -EIO;
	}
	if (r) {
		free(buf);
		return errmsg_set(e, r, _("cannot read %s: %s"), src->path, strerror(-r));
	}
	for (size_t i = tail >= ZIP_END_LEN ? tail - ZIP_END_LEN + 1 : 0; i-- > 0;) {
		if (buf[i] == 'P' && buf[i + 1] == 'K' && buf[i + 2] == 5 && buf[i + 3] == 6 &&
		    get_le16(buf + i + 20) == tail - i - ZIP_END_LEN) {
			free(buf);
			return 0;
		}
	}
	free(buf);
	return errmsg_set(e, -EIO, _("%s: the zip is incomplete: it does not end with its list of "
			  "files (the central directory), which the device reads; download it again."),
			  src->path);
}

static int zip_walk(const char *path, const struct source_io *rd, bool need_end, zip_file_fn fn,
		    void *arg, struct errmsg *e)
{
	struct source src = { .fd = -1, .path = (char *)path };
	struct archive_entry *ent;
	int r, ar = ARCHIVE_OK;

	if (rd)
		src.rd = *rd;
	r = open_file(&src, e);
	if (!r && !starts_like_zip(&src))
		r = 1;
	if (!r && need_end)
		r = zip_end_check(&src, e);
	if (!r && !(src.io = malloc(ZIP_IO_SIZE)))
		r = errmsg_set(e, -ENOMEM, "%s: out of memory", path);
	if (!r)
		r = zip_open(&src, e);
	while (!r && ((ar = archive_read_next_header(src.ar, &ent)) == ARCHIVE_OK ||
		      ar == ARCHIVE_WARN))
		if (archive_entry_filetype(ent) != AE_IFDIR)
			r = fn(&src, ent, arg, e);
	if (!r && ar != ARCHIVE_EOF)
		r = errmsg_set(e, -EIO, "%s: the zip is damaged or incomplete (%s): download it again.",
			       path, archive_error_string(src.ar) ? archive_error_string(src.ar) :
			       "its list of files cannot be read");
	zip_close(&src);
	free(src.io);
	if (src.fd >= 0)
		close(src.fd);
	return r;
}

struct name_list {
	char **names;
	size_t n, cap;
};

static int add_name(struct source *src, struct archive_entry *ent, void *arg,
		    struct errmsg *e)
{
	struct name_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **p = realloc(l->names, cap * sizeof(*p));

		if (!p)
			return errmsg_set(e, -ENOMEM, "%s: out of memory", src->path);
		l->names = p;
		l->cap = cap;
	}
	if (!(l->names[l->n] = strdup(entry_name(ent))))
		return errmsg_set(e, -ENOMEM, "%s: out of memory", src->path);
	l->n++;
	return 0;
}

int source_zip_list(const char *path, char ***names, size_t *n, struct errmsg *e)
{
	return source_zip_list_reader(path, NULL, names, n, e);
}

int source_zip_list_reader(const char *path, const struct source_io *rd, char ***names,
			   size_t *n, struct errmsg *e)
{
	struct name_list l = { 0 };
	int r = zip_walk(path, rd, false, add_name, &l, e);

	if (r < 0) {
		source_free_list(l.names, l.n);
		l.names = NULL;
		l.n = 0;
	}
	*names = l.names;
	*n = l.n;
	return r;
}

struct verify_walk {
	const char *skip;
	uint64_t checked;
	unsigned char *sink;		/* what is read, dropped: not src->io, which is
					 * libarchive's own read buffer (cb_read) */
};

/* Read the file to its end: libarchive checks its CRC-32 there. */
static int read_through(struct source *src, struct archive_entry *ent, void *arg,
			struct errmsg *e)
{
	struct verify_walk *v = arg;
	const char *name = entry_name(ent), *why, *how;
	la_ssize_t n;

	if (v->skip && strcmp(name, v->skip) == 0)
		return 0;
	while ((n = archive_read_data(src->ar, v->sink, ZIP_IO_SIZE)) > 0)
		;
	if (n == 0) {
		v->checked++;
		return 0;
	}
	/* A zip being rewritten reads as a damaged one: say which. */
	if (change_seen(src, &how) == 0 && how)
		return source_changed_error(src, how, e);
	why = archive_error_string(src->ar);
	return errmsg_set(e, -EIO, "%s: %s in the zip fails its check (%s): the zip is damaged; "
			  "download it again.", src->path, name, why ? why : "unknown error");
}

int source_zip_verify(const char *path, const char *skip, uint64_t *checked,
		      struct errmsg *e)
{
	return source_zip_verify_reader(path, NULL, skip, checked, e);
}

int source_zip_verify_reader(const char *path, const struct source_io *rd, const char *skip,
			     uint64_t *checked, struct errmsg *e)
{
	struct verify_walk v = { .skip = skip, .sink = malloc(ZIP_IO_SIZE) };
	int r = v.sink ? zip_walk(path, rd, true, read_through, &v, e) :
		errmsg_set(e, -ENOMEM, _("%s: out of memory"), path);

	free(v.sink);
	*checked = v.checked;
	return r == 1 ? errmsg_set(e, -EINVAL, "%s is no zip", path) : r;
}

void source_free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void source_close(struct source *src)
{
	if (!src)
		return;
	zip_close(src);
	if (src->fd >= 0)
		close(src->fd);
	free(src->io);
	free(src->entry);
	free(src->member);
	free(src->desc);
	free(src->path);
	free(src);
}

/* ---- reading ------------------------------------------------------------- */


/*
 * Read, never map: a file that shrinks under a mapping kills the process
 * with SIGBUS, in whichever thread touches the page.  The copy into our
 * buffers costs about 0.1 s per GiB, on a core the hashing leaves free.
 */
static ssize_t read_plain(struct source *src, unsigned char *buf, size_t len, struct errmsg *e)
{
	size_t got = 0;

	if (src->rd.read) {
		int r = src->rd.read(src->rd.ctx, src->done, buf, len);

		return r ? errmsg_set(e, r, _("reading %s at byte %" PRIu64 ": %s"), src->path,
				      src->done, strerror(-r)) : (ssize_t)len;
	}
	while (got < len) {
		ssize_t n = pread(src->fd, buf + got, len - got, (off_t)(src->done + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errmsg_set(e, -errno, _("reading %s at byte %" PRIu64 ": %s"), src->path,
					  src->done + got, strerror(errno));
		if (n == 0) {
			struct stat now;
			char how[96];

			/* source_read() asks for no more than the size at open. */
			if (fstat(src->fd, &now) == 0 && (uint64_t)now.st_size < src->size)
				snprintf(how, sizeof(how), _("it shrank from %" PRIu64 " to %" PRIu64
							     " bytes"), src->size, (uint64_t)now.st_size);
			else
				snprintf(how, sizeof(how), _("it ended at byte %" PRIu64 " of %" PRIu64),
					 src->done + got, src->size);
			return source_changed_error(src, how, e);
		}
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int zip_damaged(struct source *src, uint64_t at, struct errmsg *e)
{
	const char *why = archive_error_string(src->ar), *how;

	/* A zip that is being rewritten reads as a damaged one: say which. */
	if (change_seen(src, &how) == 0 && how)
		return source_changed_error(src, how, e);

	return errmsg_set(e, -EIO, _("%s: reading %s from the zip at byte %" PRIu64 " failed: %s "
			  "(the zip is damaged or incomplete)"), src->path, src->entry, at,
			  why ? why : _("unknown error"));
}

/*
 * libarchive checks an entry's CRC-32 when it reaches the entry's end: for
 * a stored entry, only on the read after the last byte.  Ask for it.
 */
static int zip_entry_end(struct source *src, struct errmsg *e)
{
	char extra;
	la_ssize_t n = archive_read_data(src->ar, &extra, 1);

	if (n < 0)
		return zip_damaged(src, src->size, e);
	if (n > 0)
		return errmsg_set(e, -EIO, _("%s: %s holds more than the %" PRIu64 " bytes the zip "
				  "records (the zip is damaged)"), src->path, src->entry, src->size);
	return 0;
}

static ssize_t read_zip(struct source *src, unsigned char *buf, size_t len, struct errmsg *e)
{
	size_t got = 0;
	int rc;

	while (got < len) {
		la_ssize_t n = archive_read_data(src->ar, buf + got, len - got);

		if (n < 0)
			return zip_damaged(src, src->done + got, e);
		if (n == 0)
			return errmsg_set(e, -EIO, _("%s: %s ends at byte %" PRIu64 ", before the %" PRIu64
					  " bytes the zip records (the zip is damaged or incomplete)"),
					  src->path, src->entry, src->done + got, src->size);
		got += (size_t)n;
	}
	if (src->done + got == src->size && (rc = zip_entry_end(src, e)) != 0)
		return rc;
	return (ssize_t)got;
}

ssize_t source_read(struct source *src, void *buf, size_t len, struct errmsg *e)
{
	ssize_t n;

	if (len > src->size - src->done)
		len = (size_t)(src->size - src->done);
	if (len == 0)
		return 0;
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	n = src->ar ? read_zip(src, buf, len, e) : read_plain(src, buf, len, e);
	if (n > 0)
		src->done += (uint64_t)n;
	return n;
}

int source_rewind(struct source *src, struct errmsg *e)
{
	int err;

	src->done = 0;
	if (!src->entry) {
		if (!src->rd.read && lseek(src->fd, 0, SEEK_SET) < 0)
			return errmsg_set(e, -errno, _("%s: cannot go back to the start: %s"), src->path,
					  strerror(errno));
		return 0;
	}
	zip_close(src);
	err = zip_open(src, e);
	if (!err)
		err = zip_goto(src, src->entry_index, e);
	return err;
}

/* How the file now differs from the file as opened, or NULL. */
static const char *stat_change(const struct stat *opened, const struct stat *now)
{
	if (now->st_dev != opened->st_dev || now->st_ino != opened->st_ino)
		return _("the name now belongs to another file");
	if (now->st_size != opened->st_size)
		return _("its size changed");
	if (now->st_mtim.tv_sec != opened->st_mtim.tv_sec ||
	    now->st_mtim.tv_nsec != opened->st_mtim.tv_nsec)
		return _("it was modified");
	if (now->st_ctim.tv_sec != opened->st_ctim.tv_sec ||
	    now->st_ctim.tv_nsec != opened->st_ctim.tv_nsec)
		return _("its status changed");
	return NULL;
}

/* How the file differs from the one opened: *how, or NULL.  0 or -errno. */
static int change_seen(const struct source *src, const char **how)
{
	struct stat now, named;

	*how = NULL;
	if (fstat(src->fd, &now) < 0)
		return -errno;
	/* Our descriptor keeps reading the file we opened; the path may
	 * have been given to another file since (a new download saved over
	 * it), which the user would not expect us to ignore. */
	if (stat(src->path, &named) < 0)
		*how = _("it was deleted or renamed");
	else if (named.st_dev != src->st.st_dev || named.st_ino != src->st.st_ino)
		*how = _("the name now belongs to another file");
	else
		*how = stat_change(&src->st, &now);
	return 0;
}

/* Another reader of the file src opened, raw or not: -ESTALE if it changed. */
static int reopen(const struct source *src, bool raw, struct source **copy, struct errmsg *e)
{
	const char *how;
	int rc;

	if (src->rd.read)	/* a file on a card: its name is no path here */
		return errmsg_set(e, -EINVAL, "%s: cannot be reopened", src->path);
	rc = open_source(copy, src->path, NULL, raw ? NULL : src->member, raw, e);

	/* One that no longer opens (or no longer holds its entry) has most
	 * likely changed: say so, and how. */
	if (rc && change_seen(src, &how) == 0 && how)
		return source_changed_error(src, how, e);
	if (rc)
		return rc;
	how = stat_change(&src->st, &(*copy)->st);
	if (how) {
		source_close(*copy);
		*copy = NULL;
		return source_changed_error(src, how, e);
	}
	return 0;
}

int source_reopen(const struct source *src, struct source **copy, struct errmsg *e)
{
	return reopen(src, src->raw, copy, e);
}

int source_reopen_raw(const struct source *src, struct source **raw, struct errmsg *e)
{
	return reopen(src, true, raw, e);
}

int source_check_unchanged(const struct source *src, struct errmsg *e)
{
	const char *how;
	int rc;

	if (src->rd.read)
		return 0;	/* no file of this machine: the caller's to watch */
	rc = change_seen(src, &how);
	if (rc)
		return errmsg_set(e, rc, _("cannot stat %s: %s"), src->path, strerror(-rc));
	return how ? source_changed_error(src, how, e) : 0;
}

/* ---- accessors ----------------------------------------------------------- */

uint64_t source_size(const struct source *src)
{
	return src->size;
}

const char *source_describe(const struct source *src)
{
	return src->desc;
}

const char *source_path(const struct source *src)
{
	return src->path;
}

bool source_is_zip(const struct source *src)
{
	return src->entry != NULL;
}

const char *source_zip_entry(const struct source *src)
{
	return src->entry;
}

