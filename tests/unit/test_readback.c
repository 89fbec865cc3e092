/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reading back and comparing: a card image holding a file in two runs is
 * compared with a source that differs in known places; every difference is
 * counted, nearby ones are one range, and each is placed on the card.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card/card.h"
#include "firmware/source.h"
#include "lib/progress.h"
#include "pipeline/readback.h"
#include "tap.h"

#define LEN (3 * 1024 * 1024 + 123)	/* not a whole number of chunks */

static char srcpath[] = "/tmp/dloadcard-readback-src.XXXXXX";

/* The source as a file, as prepare has it; NULL on failure. */
static struct source *source_of(const unsigned char *data)
{
	struct source *src;
	int fd = open(srcpath, O_WRONLY | O_TRUNC);

	if (fd < 0 || write(fd, data, LEN) != LEN) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	return source_open(&src, srcpath, NULL) == 0 ? src : NULL;
}

static enum readback_status compare_with(struct readback_job *job, const unsigned char *data,
					 struct diff_report *rep)
{
	struct source *src = source_of(data);
	enum readback_status st;

	if (!src)
		return READBACK_SOURCE_ERROR;
	st = readback_compare(job, src, rep);
	source_close(src);
	return st;
}

int main(void)
{
	char path[] = "/tmp/dloadcard-readback.XXXXXX";
	unsigned char *file = malloc(LEN), *other = malloc(LEN);
	struct card_extent ext[2];
	struct readback_job job;
	struct diff_report rep;
	struct progress pg;
	struct card c;
	struct errmsg e;
	size_t i;
	int fd, sfd;

	sfd = mkstemp(srcpath);
	if (sfd >= 0)
		close(sfd);
	fd = mkstemp(path);
	if (fd < 0 || !file || !other) {
		printf("Bail out! no temporary file\n");
		return 1;
	}
	for (i = 0; i < LEN; i++)
		file[i] = (unsigned char)(i * 7 + (i >> 13));
	/* The file in two runs: the first 1 MiB + 5 at card offset 8 MiB, the
	 * rest at 20 MiB (an odd split, as a fragmented card has). */
	ext[0] = (struct card_extent){ 0, 8 << 20, (1 << 20) + 5 };
	ext[1] = (struct card_extent){ (1 << 20) + 5, 20 << 20, LEN - (1 << 20) - 5 };
	if (ftruncate(fd, 32 << 20) != 0 ||
	    pwrite(fd, file, ext[0].len, (off_t)ext[0].card_off) != (ssize_t)ext[0].len ||
	    pwrite(fd, file + ext[1].file_off, ext[1].len, (off_t)ext[1].card_off) != (ssize_t)ext[1].len) {
		printf("Bail out! cannot write the image\n");
		return 1;
	}
	close(fd);
	if (card_open(&c, path, 0, 0, &e) != 0) {
		printf("Bail out! %s\n", e.text);
		return 1;
	}
	progress_init(&pg, NULL, NULL);

	memset(&job, 0, sizeof(job));
	job.card = &c;
	job.ext = ext;
	job.n_ext = 2;
	job.length = LEN;
	job.pg = &pg;

	ok(compare_with(&job, file, &rep) == READBACK_OK, "an identical copy reads back");
	is_int(rep.bytes, 0, "no byte differs");
	is_int(rep.total_ranges, 0, "no range");

	memcpy(other, file, LEN);
	other[10] ^= 1;			/* range 1 */
	other[20] ^= 1;			/* same range: 10 bytes further */
	other[(1 << 20) + 7] ^= 0xff;	/* second run of the file */
	other[LEN - 1] ^= 0x80;		/* the very last byte */
	compare_with(&job, other, &rep);
	is_int(rep.bytes, 4, "four bytes differ");
	is_int(rep.total_ranges, 3, "in three places");
	is_int(rep.ranges[0].file_off, 10, "the first at byte 10");
	is_int(rep.ranges[0].len, 11, "10 to 20 is one range");
	is_int(rep.ranges[0].card_off, (8 << 20) + 10, "placed in the first run on the card");
	is_int(rep.ranges[1].card_off, (20 << 20) + 2, "placed in the second run on the card");
	is_int(rep.ranges[2].file_off, LEN - 1, "the last byte");

	/* Many scattered differences: all counted, the first 16 kept. */
	memcpy(other, file, LEN);
	for (i = 0; i < 100; i++)
		other[i * 20000 + 3] ^= 1;
	compare_with(&job, other, &rep);
	is_int(rep.bytes, 100, "a hundred scattered bytes counted");
	is_int(rep.total_ranges, 100, "as a hundred ranges");
	is_int(rep.n, 16, "the first sixteen kept");
	is_int(rep.ranges[15].file_off, 15 * 20000 + 3, "in order");

	/* A long damaged stretch is one range. */
	memcpy(other, file, LEN);
	for (i = 1100000; i < 1400000; i += 100)
		other[i] ^= 1;
	compare_with(&job, other, &rep);
	is_int(rep.total_ranges, 1, "a stretch with a difference every 100 bytes is one range");
	/* (one run of the card: a stretch across two runs is two places) */
	is_int(rep.ranges[0].len, 299901, "as long as the stretch");

	job.want_sha256 = false;
	ok(readback_hash(&job) == READBACK_OK && job.want_sha256, "readback_hash hashes");

	card_close(&c);
	unlink(path);
	unlink(srcpath);
	free(file);
	free(other);
	return done_testing();
}
