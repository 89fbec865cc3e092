/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the UPDATE.APP checker.  Each input is checked twice:
 * whole, and fed in pseudo-random chunks (derived from the input, so the
 * corpus files stay plain UPDATE.APP files); both must agree exactly.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *     tests/fuzz/fuzz_updateapp.c src/firmware/updateapp{,_header,_names,_sniff}.c \
 *     src/firmware/crc16.c -o fuzz_updateapp
 *   ./fuzz_updateapp -max_total_time=60 tests/fuzz/corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/updateapp.h"

static struct ua_check *run(const uint8_t *data, size_t size, uint32_t seed,
			    size_t max_chunk)
{
	struct ua_check *c = ua_check_new((seed & 1) ? UA_SIZE_UNKNOWN : size);
	uint32_t x = seed | 1;
	size_t off = 0;

	if (!c)
		abort();
	while (off < size) {
		size_t n;

		x = x * 1103515245u + 12345u;
		n = 1 + (x >> 8) % max_chunk;
		if (n > size - off)
			n = size - off;
		ua_check_feed(c, data + off, n);
		off += n;
	}
	ua_check_finish(c);
	return c;
}

/* Read every string the checker returns, so the sanitizers see them. */
static size_t touch(const struct ua_check *c)
{
	size_t sum = strlen(ua_verdict_name(ua_check_verdict(c)));

	for (size_t i = 0; i < ua_check_entry_count(c); i++) {
		const struct ua_entry *e = ua_check_entry(c, i);

		sum += strlen(e->name) + strlen(e->hardware_id) + strlen(e->date) +
		       strlen(e->time) + (e->text ? strlen(e->text) : 0) +
		       strlen(ua_entry_result_name(e->result));
	}
	for (size_t i = 0; i < ua_check_finding_count(c); i++) {
		const struct ua_finding *f = ua_check_finding(c, i);

		sum += strlen(f->message) + strlen(f->advice) +
		       strlen(ua_kind_name(f->kind)) +
		       strlen(ua_severity_name(f->severity));
	}
	return sum;
}

static int same(const struct ua_check *a, const struct ua_check *b)
{
	if (ua_check_verdict(a) != ua_check_verdict(b) ||
	    ua_check_entry_count(a) != ua_check_entry_count(b) ||
	    ua_check_finding_count(a) != ua_check_finding_count(b))
		return 0;
	for (size_t i = 0; i < ua_check_entry_count(a); i++) {
		const struct ua_entry *x = ua_check_entry(a, i), *y = ua_check_entry(b, i);

		if (x->header_offset != y->header_offset ||
		    x->bad_blocks != y->bad_blocks || x->result != y->result ||
		    (x->text == NULL) != (y->text == NULL))
			return 0;
	}
	for (size_t i = 0; i < ua_check_finding_count(a); i++) {
		const struct ua_finding *x = ua_check_finding(a, i), *y = ua_check_finding(b, i);

		if (x->kind != y->kind || x->entry != y->entry ||
		    x->offset != y->offset || strcmp(x->message, y->message) != 0)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seed = (uint32_t)size * 2654435761u ^ (size ? data[size / 2] : 0);
	struct ua_check *whole = run(data, size, seed, size ? size : 1);
	struct ua_check *split = run(data, size, seed,
				     (seed & 2) ? 7 : 1 + seed % 5000);
	volatile size_t sink;

	sink = touch(whole) + touch(split);
	(void)sink;
	(void)ua_sniff(data, size < 512 ? size : 512);
	if (!same(whole, split))
		__builtin_trap();       /* chunking changed the result */
	ua_check_free(whole);
	ua_check_free(split);
	return 0;
}
