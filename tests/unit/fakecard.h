/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FAKECARD_H
#define DLOADCARD_FAKECARD_H

/*
 * What the tests on fake cards (card/fake.h) share: a card in memory or a
 * bail-out, data on its medium, and a digest of the medium to show that a
 * run left it byte for byte as it was.
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card/card.h"
#include "card/fake.h"
#include "tap.h"

static inline void fakecard_open(struct card *c, uint64_t size, const struct fake_model *m)
{
	struct errmsg e;

	if (fake_open(c, size, m, &e) != 0) {
		printf("Bail out! %s\n", e.text);
		exit(1);
	}
}

/* Bytes that depend on where they are and on seed. */
static inline void fakecard_pattern(unsigned char *p, size_t n, uint64_t at, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)((at + i) * 131 + seed + ((at + i) >> 9));
}

/*
 * Something to lose, written on the medium (below the models): its first
 * 20 MiB, where the probe's low filler and the file system go, and a block
 * in every 1/1024th of it.  0 or -1.
 */
static inline int fakecard_fill(struct card *c)
{
	uint64_t step = c->size / 1024 > 64 * 1024 * 1024 ? c->size / 1024 : 64 * 1024 * 1024;
	size_t chunk = 1024 * 1024;
	unsigned char *p = malloc(chunk);
	uint64_t off;
	int rc = p ? 0 : -1;

	for (off = 0; !rc && off < 20 * 1024 * 1024 && off + chunk <= c->size; off += chunk) {
		fakecard_pattern(p, chunk, off, 1);
		rc = pwrite(c->fd, p, chunk, (off_t)off) == (ssize_t)chunk ? 0 : -1;
	}
	for (off = step / 4096 * 4096; !rc && off + 4096 <= c->size; off += step) {
		fakecard_pattern(p, 4096, off, 2);
		rc = pwrite(c->fd, p, 4096, (off_t)off) == 4096 ? 0 : -1;
	}
	free(p);
	return rc;
}

/*
 * SHA-256 of every 4 KiB block of the medium that is not zeros, with its
 * offset: equal digests, equal media (a hole and zeros alike).  Holes are
 * skipped (SEEK_DATA), so a card of a terabyte takes what was written.
 */
static inline void fakecard_digest(struct card *c, unsigned char md[32])
{
	static const unsigned char zeros[4096];
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	size_t chunk = 1024 * 1024, i;
	unsigned char *p = malloc(chunk);
	off_t data = 0, hole;
	unsigned int len;

	EVP_DigestInit_ex(sha, EVP_sha256(), NULL);
	while (p && (data = lseek(c->fd, data, SEEK_DATA)) >= 0) {
		hole = lseek(c->fd, data, SEEK_HOLE);
		data = data / 4096 * 4096;
		for (; data < hole; data += (off_t)chunk) {
			ssize_t n = pread(c->fd, p, chunk, data);

			for (i = 0; n > 0 && i < (size_t)n; i += 4096) {
				uint64_t at = (uint64_t)data + i;
				size_t k = (size_t)n - i < 4096 ? (size_t)n - i : 4096;

				if (memcmp(p + i, zeros, k) == 0)
					continue;
				EVP_DigestUpdate(sha, &at, sizeof(at));
				EVP_DigestUpdate(sha, p + i, k);
			}
		}
	}
	EVP_DigestFinal_ex(sha, md, &len);
	EVP_MD_CTX_free(sha);
	free(p);
}

#endif
