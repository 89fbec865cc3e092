/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CARD_PROBE_PRIVATE_H
#define DLOADCARD_CARD_PROBE_PRIVATE_H

/* What the probe's engine (probe.c), its stamps (probe_stamp.c) and its
 * plan and judgement (probe_judge.c) share; nobody else includes this. */

#include <stdbool.h>
#include <stdint.h>

#include "lib/strutils.h"

/* The first power of two tried, and where the cache filler goes: the first
 * MiB holds the partition table, which the probe leaves alone when it can. */
#define LOW_START	(1 * MiB)

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* splitmix64: good enough for payloads, positions and shuffles. */
static inline uint64_t next_rand(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return mix64(*state);
}

static inline bool in_keep(uint64_t off, unsigned block, uint64_t keep_off, uint64_t keep_len)
{
	return keep_len && off < keep_off + keep_len && keep_off < off + block;
}

#endif
