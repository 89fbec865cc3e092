/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A zip read through the caller's callback (firmware/source.h,
 * source_open_reader()): how verify reads an SD package on the card.  The
 * same listing, the same member bytes and the same CRC-32 verdicts as the
 * zip read from its path; the callback is never asked for a byte past the
 * size; its failure is the read's; such a source is never reopened.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tools/ua_build.h"
#include "firmware/source.h"
#include "tap.h"

struct mem {
	unsigned char *buf;
	size_t len;
	size_t calls;
	bool past_end;		/* asked for a byte past len */
	uint64_t fail_at;	/* a read covering this offset fails, or UINT64_MAX */
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mem *m = ctx;

	m->calls++;
	if (off > m->len || len > m->len - off) {
		m->past_end = true;
		return -EINVAL;
	}
	if (m->fail_at >= off && m->fail_at < off + len)
		return -EIO;
	memcpy(buf, m->buf + off, len);
	return 0;
}

static char path[] = "/tmp/dloadcard-zipreader.XXXXXX";

/* update_sd_base.zip: UPDATE.APP at its root and two small files. */
static unsigned char *make_zip(size_t *len)
{
	struct uab_spec *s = calloc(1, sizeof(*s));
	unsigned char *data = NULL;

	if (s && uab_default_spec(s, 700 * 1024 + 17, 0, false) == 0) {
		s->zip_path = "UPDATE.APP";
		s->zip_extra[s->nzip_extra++] = "SOFTWARE_VER_LIST.mbn";
		s->zip_extra[s->nzip_extra++] = "META-INF/CERT.RSA";
		data = uab_build(s, len);
	}
	free(s);
	return data;
}

/* The bytes of a source to its end, or NULL. */
static unsigned char *read_all(struct source *src, size_t *len, int *err, struct errmsg *e)
{
	size_t size = (size_t)source_size(src), at = 0;
	unsigned char *buf = malloc(size + 1);
	ssize_t n = 0;

	while (buf && (n = source_read(src, buf + at, 65536, e)) > 0)
		at += (size_t)n;
	*err = (int)n;
	*len = at;
	return buf;
}

static void test_same_as_the_file(struct mem *m)
{
	struct source_io rd = { .ctx = m, .read = mem_read, .size = m->len };
	struct source *a = NULL, *b = NULL, *copy = NULL;
	char **na = NULL, **nb = NULL;
	size_t ca = 0, cb = 0, la = 0, lb = 0;
	unsigned char *da = NULL, *db = NULL;
	uint64_t checked = 0;
	struct errmsg e;
	int ea = 0, eb = 0;
	bool same;

	ok(source_zip_list_reader("card:update_sd_base.zip", &rd, &na, &ca, &e) == 0 &&
	   source_zip_list(path, &nb, &cb, &e) == 0 && ca == 3 && ca == cb,
	   "the listing through the callback: 3 files, as from the path");
	same = ca == cb;
	for (size_t i = 0; same && i < ca; i++)
		same = strcmp(na[i], nb[i]) == 0;
	ok(same && ca == 3 && (!strcmp(na[0], "UPDATE.APP") || !strcmp(na[1], "UPDATE.APP") ||
			       !strcmp(na[2], "UPDATE.APP")),
	   "... the same names, in the same order, UPDATE.APP among them");
	source_free_list(na, ca);
	source_free_list(nb, cb);

	if (source_open_reader(&a, "card:update_sd_base.zip", &rd, "UPDATE.APP", &e) == 0 &&
	    source_open_member(&b, path, "UPDATE.APP", &e) == 0) {
		da = read_all(a, &la, &ea, &e);
		db = read_all(b, &lb, &eb, &e);
		ok(ea == 0 && eb == 0 && la == lb && la == source_size(b) && da && db &&
		   memcmp(da, db, la) == 0,
		   "the member UPDATE.APP through the callback: the bytes read from the path");
		ok(source_is_zip(a) && strcmp(source_describe(a), "card:update_sd_base.zip:UPDATE.APP") == 0,
		   "... described by the name given and the member");
		ok(source_check_unchanged(a, &e) == 0, "... a reader's source is not checked for changes");
		ok(source_reopen(a, &copy, &e) == -EINVAL && !copy,
		   "... and never reopened by its name (it is no path here)");
	} else {
		ok(0, "the member opens through the callback and from the path (%s)", e.text);
	}
	free(da);
	free(db);
	source_close(a);
	source_close(b);

	ok(source_zip_verify_reader("card:update_sd_base.zip", &rd, "UPDATE.APP", &checked, &e) == 0 &&
	   checked == 2, "every other file's CRC-32 through the callback: 2 checked, right");
	ok(!m->past_end, "the callback was never asked for a byte past the size");
}

static void test_damage(struct mem *m)
{
	struct source_io rd = { .ctx = m, .read = mem_read, .size = m->len };
	unsigned char *at = memmem(m->buf, m->len, "an extra file", 13);
	struct source *src = NULL;
	uint64_t checked = 0;
	struct errmsg e;
	size_t len;
	int err = 0;

	if (!at) {
		ok(0, "the extra file's text is in the (stored) zip");
		return;
	}
	*at ^= 0xff;
	ok(source_zip_verify_reader("card:z.zip", &rd, "UPDATE.APP", &checked, &e) == -EIO &&
	   strstr(e.text, "card:z.zip: SOFTWARE_VER_LIST.mbn in the zip fails its check"),
	   "a member's byte flipped: -EIO naming the zip and the member (%s)", e.text);
	*at ^= 0xff;

	/* The callback fails in the middle of UPDATE.APP: the read fails. */
	m->fail_at = m->len / 2;
	if (source_open_reader(&src, "card:z.zip", &rd, "UPDATE.APP", &e) == 0) {
		free(read_all(src, &len, &err, &e));
		ok(err < 0 && len < source_size(src),
		   "the callback's failure mid-member: the read fails, short (%s)", e.text);
	} else {
		ok(1, "the callback's failure: the open already fails (%s)", e.text);
	}
	source_close(src);
	m->fail_at = UINT64_MAX;

	/* Cut short: the local headers still list it (libarchive's streaming
	 * reader), but the central directory the device reads is gone. */
	rd.size = m->len - 100;
	ok(source_zip_verify_reader("card:z.zip", &rd, "UPDATE.APP", &checked, &e) == -EIO &&
	   strstr(e.text, "card:z.zip: the zip is incomplete: it does not end with its list of files"),
	   "a zip cut short (its end record gone): incomplete (%s)", e.text);
	rd.size = m->len;
	m->buf[m->len - 22 + 20] = 1;	/* the end record announces a comment not there */
	ok(source_zip_verify_reader("card:z.zip", &rd, "UPDATE.APP", &checked, &e) == -EIO,
	   "an end record whose comment runs past the end: incomplete");
	m->buf[m->len - 22 + 20] = 0;
	ok(source_zip_verify_reader("card:z.zip", &rd, NULL, &checked, &e) == 0 && checked == 3,
	   "the whole zip again: every file right, UPDATE.APP too (3)");
}

static void test_raw(const struct mem *m)
{
	struct source *src = NULL;
	unsigned char *buf;
	struct errmsg e;
	size_t len = 0;
	int err = -1;

	if (source_open_raw(&src, path, &e) != 0) {
		ok(0, "source_open_raw: %s", e.text);
		return;
	}
	buf = read_all(src, &len, &err, &e);
	ok(!source_is_zip(src) && err == 0 && len == m->len && buf && !memcmp(buf, m->buf, len),
	   "source_open_raw: a zip read as it is, byte for byte");
	free(buf);
	source_close(src);
}

int main(void)
{
	struct mem m = { .fail_at = UINT64_MAX };
	int fd = mkstemp(path);

	m.buf = make_zip(&m.len);
	if (fd < 0 || !m.buf || write(fd, m.buf, m.len) != (ssize_t)m.len) {
		printf("Bail out! cannot write a zip in /tmp\n");
		return 1;
	}
	close(fd);
	test_same_as_the_file(&m);
	test_damage(&m);
	test_raw(&m);
	unlink(path);
	free(m.buf);
	return done_testing();
}
