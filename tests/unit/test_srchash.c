/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The hash of a source in threads of its own (firmware/srchash.h): the
 * digests are the file's, whoever waits and however often; the digests
 * given are checked once; a wait can be stopped while the hash goes on, and
 * the hash itself stopped; a file that changes while it is hashed, or before,
 * is -ESTALE, never a digest; a damaged zip is a read error; the caller's
 * own reader is left where it was.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware/scan.h"
#include "firmware/source.h"
#include "firmware/srchash.h"
#include "lib/progress.h"
#include "lib/strutils.h"
#include "tap.h"
#include "unpriv.h"

#define SMALL (3 * MiB + 123)	/* not a multiple of the hash's buffers */
#define BIG (256 * MiB)		/* sparse: long enough to change it meanwhile */

static char dir[] = "/tmp/dloadcard-srchash.XXXXXX";
static char small[128], big[128], other[128], zip[128];
static unsigned char *data, sha[32], md5[16];
static const struct srchash_opts sha_only = { .what = SCAN_SHA256 };

static struct source *open_source(const char *path)
{
	struct source *src;
	struct errmsg e;

	if (source_open(&src, path, &e) != 0) {
		printf("Bail out! %s\n", e.text);
		exit(1);
	}
	return src;
}

/* Start hashing path (its source closed again at once: the hash has its own). */
static int start(const char *path, const struct srchash_opts *o, struct srchash **h,
		 struct errmsg *e)
{
	struct source *src = open_source(path);
	int rc = srchash_start(h, src, o, e);

	source_close(src);
	return rc;
}

static void test_digests(void)
{
	struct srchash_opts both = { .what = SCAN_SHA256 | SCAN_MD5 };
	struct source *src = open_source(small);
	struct srchash_result res, again;
	struct srchash *h;
	struct errmsg e;
	unsigned char first[16];
	int rc;

	rc = srchash_start(&h, src, &both, &e);
	is_int(rc, 0, "a hash starts");
	if (rc) {
		source_close(src);
		return;
	}
	is_int(srchash_wait(h, NULL, NULL, &res, &e), 0, "its wait ends");
	ok(!memcmp(res.sha256, sha, 32), "... with the file's SHA-256");
	ok(!memcmp(res.md5, md5, 16), "... and its MD5");
	ok(res.what == (SCAN_SHA256 | SCAN_MD5) && res.seconds >= 0, "... both said computed");
	ok(srchash_poll(h, &again, &e) == 0 && !memcmp(again.sha256, sha, 32),
	   "polled afterwards: the same answer");
	ok(srchash_done(h) == SMALL && srchash_total(h) == SMALL, "every byte hashed");
	srchash_free(h);
	ok(source_read(src, first, sizeof(first), &e) == sizeof(first) &&
	   !memcmp(first, data, sizeof(first)), "the caller's reader was not moved: it reads "
	   "from the first byte");
	source_close(src);
}

static void test_expected(void)
{
	unsigned char wrong_sha[32], wrong_md5[16];
	struct srchash_opts o = { .what = SCAN_SHA256, .expect_sha256 = sha, .expect_md5 = md5 };
	struct srchash_result res;
	struct srchash *h;
	struct errmsg e;
	char want[65], got[65], line[300];

	ok(start(small, &o, &h, &e) == 0 && srchash_wait(h, NULL, NULL, &res, &e) == 0,
	   "the right SHA-256 and MD5 given: the verdict is 0");
	ok(res.what == (SCAN_SHA256 | SCAN_MD5), "... the MD5 given is computed without asking");
	srchash_free(h);

	memcpy(wrong_sha, sha, 32);
	wrong_sha[31] ^= 1;
	o.expect_sha256 = wrong_sha;
	ok(start(small, &o, &h, &e) == 0, "a wrong SHA-256 given: the hash starts");
	is_int(srchash_wait(h, NULL, NULL, &res, &e), -EBADMSG, "... the verdict is -EBADMSG");
	snprintf(line, sizeof(line), "%s: its SHA-256 is %s, not the %s given", small,
		 hex_string(sha, 32, got), hex_string(wrong_sha, 32, want));
	is_str(e.text, line, "... saying which is which");
	ok(!memcmp(res.sha256, sha, 32), "... and the file's SHA-256 is still given");
	is_int(srchash_poll(h, NULL, NULL), -EBADMSG, "... to every caller");
	srchash_free(h);

	memcpy(wrong_md5, md5, 16);
	wrong_md5[0] ^= 0x80;
	o.expect_sha256 = sha;
	o.expect_md5 = wrong_md5;
	ok(start(small, &o, &h, &e) == 0 &&
	   srchash_wait(h, NULL, NULL, &res, &e) == -EBADMSG && strstr(e.text, "its MD5 is"),
	   "a wrong MD5 given: -EBADMSG, about the MD5 (%s)", e.text);
	srchash_free(h);
}

struct waiter {
	struct srchash *h;
	int rc;
	struct srchash_result res;
};

static void *wait_main(void *arg)
{
	struct waiter *w = arg;

	w->rc = srchash_wait(w->h, NULL, NULL, &w->res, NULL);
	return NULL;
}

struct seen {
	char label[64];
	char end[64];
	uint64_t done, total;
};

static void on_progress(void *arg, const struct progress *p, enum progress_event ev)
{
	struct seen *s = arg;

	if (ev == PROGRESS_BEGIN)
		xstrncpy(s->label, p->label, sizeof(s->label));
	if (ev == PROGRESS_END)
		xstrncpy(s->end, p->text, sizeof(s->end));
	s->done = p->done;
	s->total = p->total;
}

/* The big file: several threads wait, one of them with a progress. */
static void test_waiters(void)
{
	struct waiter w[3];
	pthread_t t[3];
	struct seen seen = { "", "", 0, 0 };
	struct progress pg;
	struct srchash_result res;
	struct srchash *h;
	struct errmsg e;
	int i, started = 0;

	progress_init(&pg, on_progress, &seen);
	if (start(big, &sha_only, &h, &e) != 0) {
		ok(0, "the hash starts (%s)", e.text);
		return;
	}
	for (i = 0; i < 3; i++) {
		w[i] = (struct waiter){ .h = h, .rc = 1 };
		if (pthread_create(&t[started], NULL, wait_main, &w[i]) == 0)
			started++;
	}
	is_int(srchash_wait(h, NULL, &pg, &res, &e), 0, "a wait with a progress ends");
	ok(!strcmp(seen.label, "Computing SHA-256") && !strcmp(seen.end, "done") &&
	   seen.done == BIG && seen.total == BIG,
	   "... and the progress showed it (\"%s\", \"%s\", %" PRIu64 " of %" PRIu64 ")",
	   seen.label, seen.end, seen.done, seen.total);
	/* No one may wait on a hash that is freed: the waiters end first. */
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	ok(started == 3, "three more waiters in threads");
	ok(w[0].rc == 0 && w[1].rc == 0 && w[2].rc == 0 &&
	   !memcmp(w[0].res.sha256, res.sha256, 32) && !memcmp(w[2].res.sha256, res.sha256, 32),
	   "... all get the same digest");
	srchash_free(h);
}

static void test_cancel(void)
{
	volatile sig_atomic_t stop = SIGINT;
	struct srchash_result res;
	struct srchash *h;
	struct errmsg e;
	unsigned int len;
	int rc;

	if (start(big, &sha_only, &h, &e) != 0) {
		ok(0, "the hash starts (%s)", e.text);
		return;
	}
	is_int(srchash_wait(h, &stop, NULL, &res, &e), -ECANCELED, "a wait asked to stop: "
	       "-ECANCELED");
	is_int(srchash_wait(h, NULL, NULL, &res, &e), 0, "... the hash went on: a wait without "
	       "a stop gets the digest");
	{
		unsigned char *z = calloc(1, MiB);
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		unsigned char want[32];

		EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
		EVP_DigestUpdate(ctx, data, SMALL);
		for (uint64_t off = SMALL; z && off < BIG; off += MiB)
			EVP_DigestUpdate(ctx, z, BIG - off < MiB ? BIG - off : MiB);
		EVP_DigestFinal_ex(ctx, want, &len);
		EVP_MD_CTX_free(ctx);
		free(z);
		ok(!memcmp(res.sha256, want, 32), "... the file's");
	}
	srchash_free(h);

	ok(start(big, &sha_only, &h, &e) == 0, "stopped while it runs: ");
	srchash_stop(h);
	rc = srchash_poll(h, &res, &e);
	ok(rc == -ECANCELED || (rc == 0 && srchash_done(h) == BIG),
	   "... srchash_stop ends it: its verdict is -ECANCELED, unless it had ended (%d)", rc);
	is_int(srchash_wait(h, NULL, NULL, &res, &e), rc, "... and a wait after it says the same");
	srchash_free(h);

	ok(start(big, &sha_only, &h, &e) == 0, "freed while it runs: ");
	srchash_free(h);
	ok(1, "... srchash_free stops it and returns");
}

/* A change while the big file is hashed: -ESTALE, how it changed. */
static void changed_while(const char *what, int (*change)(int fd), const char *how)
{
	struct srchash_result res;
	struct srchash *h;
	struct errmsg e;
	int fd, rc;

	if (start(big, &sha_only, &h, &e) != 0) {
		ok(0, "the hash starts (%s)", e.text);
		return;
	}
	fd = open(big, O_WRONLY);
	ok(fd >= 0 && change(fd) == 0, "%s while it is hashed", what);
	rc = srchash_wait(h, NULL, NULL, &res, &e);
	ok(rc == -ESTALE && strstr(e.text, "changed while dloadcard was using it") &&
	   strstr(e.text, how), "... -ESTALE, not a digest (%d: %s)", rc, e.text);
	srchash_free(h);
	if (fd >= 0)
		close(fd);
}

static int shrink(int fd)
{
	return ftruncate(fd, BIG / 2);
}

static int grow_back(int fd)
{
	return ftruncate(fd, BIG);
}

static int modify(int fd)
{
	return pwrite(fd, "x", 1, BIG / 2) == 1 ? 0 : -1;
}

static void test_changes(void)
{
	struct source *src;
	struct srchash *h;
	struct errmsg e;
	int rc;

	changed_while("shrunk", shrink, "");
	grow_back(open(big, O_WRONLY));	/* the descriptor ends with the test */
	changed_while("modified in the middle", modify, "");

	/* Before the hash begins: the name given to another file, then none. */
	src = open_source(small);
	rename(other, small);
	rc = srchash_start(&h, src, &sha_only, &e);
	ok(rc == -ESTALE && h == NULL && strstr(e.text, "the name now belongs to another file"),
	   "the path given to another file before the hash starts: -ESTALE (%s)", e.text);
	unlink(small);
	rc = srchash_start(&h, src, &sha_only, &e);
	ok(rc == -ESTALE && strstr(e.text, "deleted or renamed"),
	   "the file deleted: -ESTALE (%s)", e.text);
	source_close(src);
}

/* A zip whose dload/UPDATE.APP is stored with one byte changed after its
 * CRC-32 was written. */
static bool make_bad_zip(void)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ent = archive_entry_new();
	size_t len = 64 * 1024;
	bool made;
	int fd;

	archive_write_set_format_zip(a);
	archive_write_zip_set_compression_store(a);
	made = archive_write_open_filename(a, zip) == ARCHIVE_OK;
	archive_entry_set_pathname(ent, "fw/dload/UPDATE.APP");
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_perm(ent, 0644);
	archive_entry_set_size(ent, (la_int64_t)len);
	made = made && archive_write_header(a, ent) == ARCHIVE_OK &&
	       archive_write_data(a, data, len) == (la_ssize_t)len &&
	       archive_write_close(a) == ARCHIVE_OK;
	archive_entry_free(ent);
	archive_write_free(a);
	/* Stored: the entry's bytes are in the file as they are. */
	fd = open(zip, O_RDWR);
	if (made && fd >= 0) {
		unsigned char *z = malloc(len + 4096);
		ssize_t n = z ? pread(fd, z, len + 4096, 0) : -1;
		unsigned char *at = n > 0 ? memmem(z, (size_t)n, data + 1000, 64) : NULL;

		made = at && pwrite(fd, "\xff", 1, at - z) == 1;
		free(z);
	}
	if (fd >= 0)
		close(fd);
	return made;
}

static void test_error(void)
{
	struct srchash_result res;
	struct srchash *h;
	struct errmsg e;
	int rc;

	if (!make_bad_zip()) {
		skip(1, "cannot write a zip");
		return;
	}
	if (start(zip, &sha_only, &h, &e) != 0) {
		ok(0, "a damaged zip: the hash starts (%s)", e.text);
		return;
	}
	rc = srchash_wait(h, NULL, NULL, &res, &e);
	ok(rc == -EIO && strstr(e.text, "damaged"), "a zip whose entry fails its CRC-32: a read "
	   "error, -EIO, in words (%d: %s)", rc, e.text);
	srchash_free(h);
}

static void test_compare(void)
{
	unsigned char other_sha[32];
	struct errmsg e;

	memset(other_sha, 0xab, sizeof(other_sha));
	is_int(srchash_compare("x", sha, md5, NULL, NULL, &e), 0, "compare: nothing given, "
	       "nothing differs");
	is_int(srchash_compare("x", sha, md5, sha, md5, &e), 0, "compare: both given, both right");
	ok(srchash_compare("fw.zip:UPDATE.APP", sha, md5, other_sha, NULL, &e) == -EBADMSG &&
	   !strncmp(e.text, "fw.zip:UPDATE.APP: its SHA-256 is ", 34) &&
	   strstr(e.text, ", not the abababab"), "compare: another SHA-256 is -EBADMSG, named");
}

static bool write_file(const char *path, const void *p, size_t len, off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	bool done = fd >= 0 && write(fd, p, len) == (ssize_t)len &&
		    (size == 0 || ftruncate(fd, size) == 0);

	if (fd >= 0)
		close(fd);
	return done;
}

static bool make_files(void)
{
	unsigned int len;

	if (!mkdtemp(dir))
		return false;
	snprintf(small, sizeof(small), "%s/UPDATE.APP", dir);
	snprintf(big, sizeof(big), "%s/big.APP", dir);
	snprintf(other, sizeof(other), "%s/other.APP", dir);
	snprintf(zip, sizeof(zip), "%s/fw.zip", dir);
	data = malloc(SMALL);
	if (!data)
		return false;
	for (size_t i = 0; i < SMALL; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	EVP_Digest(data, SMALL, sha, &len, EVP_sha256(), NULL);
	EVP_Digest(data, SMALL, md5, &len, EVP_md5(), NULL);
	return write_file(small, data, SMALL, 0) && write_file(big, data, SMALL, BIG) &&
	       write_file(other, data, SMALL, 0);
}

int main(void)
{
	drop_privileges();
	if (!make_files()) {
		printf("Bail out! cannot write the samples in /tmp\n");
		return 1;
	}
	test_digests();
	test_expected();
	test_waiters();
	test_cancel();
	test_error();
	test_compare();
	test_changes();
	unlink(small);
	unlink(big);
	unlink(other);
	unlink(zip);
	rmdir(dir);
	free(data);
	return done_testing();
}
