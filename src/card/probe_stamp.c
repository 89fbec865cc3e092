/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The probe's stamps (see probe.h): what a block written at an offset holds,
 * sector by sector, and what a block read back says of itself.  Pure: no I/O.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "card/probe.h"
#include "card/probe_private.h"
#include "lib/byteorder.h"

#define STAMP_MAGIC	0x45424f5250434c44ULL	/* "DLCPROBE", little-endian */
#define SECTOR_WORDS	(PROBE_SECTOR / 8)

/* ---- Stamps ------------------------------------------------------------ */

static uint64_t sector_sum(const uint64_t *w)
{
	uint64_t h = 0x6a09e667f3bcc908ULL;
	int i;

	for (i = 0; i < SECTOR_WORDS - 1; i++)
		h = mix64(h ^ w[i]);
	return h;
}

/* The words of the stamp of the sector written at off. */
static void sector_words(uint64_t *w, uint64_t off, uint64_t nonce)
{
	uint64_t seed = off ^ mix64(nonce);
	int i;

	w[0] = STAMP_MAGIC;
	w[1] = off;
	w[2] = nonce;
	for (i = 3; i < SECTOR_WORDS - 1; i++)
		w[i] = next_rand(&seed);
	w[SECTOR_WORDS - 1] = sector_sum(w);
}

void probe_stamp_fill(void *buf, size_t len, uint64_t off, uint64_t nonce)
{
	unsigned char *p = buf;
	uint64_t w[SECTOR_WORDS];
	size_t s;
	int i;

	for (s = 0; s + PROBE_SECTOR <= len; s += PROBE_SECTOR) {
		sector_words(w, off + s, nonce);
		for (i = 0; i < SECTOR_WORDS; i++)
			put_le64(p + s + 8 * i, w[i]);
	}
}

enum sector_kind { SEC_BLANK, SEC_STAMP, SEC_OTHER };

/* A sector read back: blank, a stamp of this run (*where it was written),
 * or anything else (stale data, a stamp of an earlier run, damage). */
static enum sector_kind read_sector(const unsigned char *p, uint64_t nonce, uint64_t *where)
{
	uint64_t w[SECTOR_WORDS];
	bool zeros = true, ones = true;
	int i;

	for (i = 0; i < SECTOR_WORDS; i++) {
		w[i] = get_le64(p + 8 * i);
		zeros = zeros && w[i] == 0;
		ones = ones && w[i] == UINT64_MAX;
	}
	if (zeros || ones)
		return SEC_BLANK;
	if (w[0] != STAMP_MAGIC || w[2] != nonce || sector_sum(w) != w[SECTOR_WORDS - 1])
		return SEC_OTHER;
	*where = w[1];
	return SEC_STAMP;
}

/* Is p the stamp of off with a few bits flipped (under a quarter of them)?
 * Random data or another stamp differs in about half of the bits. */
static bool sector_flipped(const unsigned char *p, uint64_t off, uint64_t nonce)
{
	uint64_t w[SECTOR_WORDS];
	unsigned bits = 0;
	int i;

	sector_words(w, off, nonce);
	for (i = 0; i < SECTOR_WORDS; i++)
		bits += (unsigned)__builtin_popcountll(get_le64(p + 8 * i) ^ w[i]);
	return bits > 0 && bits < PROBE_SECTOR * 8 / 4;
}

enum probe_state probe_stamp_check(const void *buf, size_t len, uint64_t off, uint64_t nonce,
				   uint64_t *found)
{
	const unsigned char *p = buf;
	size_t nsec = len / PROBE_SECTOR, own = 0, flipped = 0, alias = 0, blank = 0, s;
	uint64_t where = 0, first = 0;

	*found = off;
	if (!nsec)
		return PROBE_S_UNKNOWN;
	for (s = 0; s < nsec; s++) {
		const unsigned char *sec = p + s * PROBE_SECTOR;
		uint64_t so = off + s * PROBE_SECTOR;

		switch (read_sector(sec, nonce, &where)) {
		case SEC_STAMP:
			if (where == so) {
				own++;
			} else {
				if (!alias)
					first = where - s * PROBE_SECTOR;
				alias++;
			}
			break;
		case SEC_BLANK:
			blank++;
			break;
		case SEC_OTHER:
			if (sector_flipped(sec, so, nonce))
				flipped++;
			break;
		}
	}
	if (own == nsec)
		return PROBE_S_GOOD;
	if (alias == nsec) {
		*found = first;
		return PROBE_S_ALIAS;
	}
	if (blank == nsec)
		return PROBE_S_ZEROS;
	if (own + flipped == nsec)
		return PROBE_S_CHANGED;
	if (own + flipped)
		return PROBE_S_TORN;
	return PROBE_S_GARBAGE;
}
