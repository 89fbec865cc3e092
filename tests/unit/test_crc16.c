/* SPDX-License-Identifier: GPL-3.0-or-later */
/* CRC-16/X-25: the documented vectors, a real header, and the three
 * implementations against each other. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/crc16.h"
#include "tap.h"

/*
 * The real 98-byte fixed header of doc/updateapp-format.md, checksum 96 86.
 * (The doc's hex has one zero byte too many in the name/blank run, 99 bytes
 * in all; this copy has the 32 bytes that field really holds.)
 */
static const char real_header_hex[] =
	"55aa5aa56400000001000000485738783235ffff000000fb28000000323031332e30332e3232"
	"00000000000031372e35392e33330000000000000000494e5055540000000000000000000000"
	"00000000000000000000000000000000968600100000";

static int unhex(const char *hex, unsigned char *out, size_t max)
{
	size_t n = strlen(hex) / 2;

	if (n > max)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return (int)n;
}

/* xorshift64*: deterministic test data. */
static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next_rand(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Du;
}

static void test_vectors(void)
{
	static const unsigned char zeros[4096];

	is_int(crc16_x25("123456789", 9), 0x906E, "check value of \"123456789\"");
	is_int(crc16_x25("test", 4), 0x0788, "CRC of \"test\"");
	is_int(crc16_x25(zeros, sizeof(zeros)), 0x0408, "CRC of 4096 zero bytes");
	is_int(crc16_x25("", 0), 0, "CRC of nothing is 0");
	is_int(crc16_x25_bitwise(0, "123456789", 9), 0x906E, "bitwise check value");
	is_int(crc16_x25_slice8(0, "123456789", 9), 0x906E, "slice-by-8 check value");
	is_int(crc16_x25_bitwise(0, zeros, sizeof(zeros)), 0x0408,
	       "bitwise: 4096 zero bytes");
	is_int(crc16_x25_slice8(0, zeros, sizeof(zeros)), 0x0408,
	       "slice-by-8: 4096 zero bytes");
	is_int(crc16_x25_pclmul(0, zeros, sizeof(zeros)), 0x0408,
	       "pclmul: 4096 zero bytes");
}

static void test_real_header(void)
{
	unsigned char h[98];
	uint16_t stored, crc;

	is_int(unhex(real_header_hex, h, sizeof(h)), 98, "real header is 98 bytes");
	stored = (uint16_t)(h[92] | h[93] << 8);
	is_int(stored, 0x8696, "stored header checksum reads 0x8696");
	h[92] = h[93] = 0;
	crc = crc16_x25(h, sizeof(h));
	is_int(crc, 0x8696, "header checksum recomputes to 0x8696");
	ok((crc & 0xff) == 0x96 && (crc >> 8) == 0x86,
	   "stored little-endian as 96 86");
}

/* Every implementation agrees with the bitwise definition on random data,
 * random lengths and misaligned starts. */
static void test_agreement(void)
{
	enum { MAX = 70000, ROUNDS = 400 };
	unsigned char *buf = malloc(MAX + 64);
	int bad_slice = 0, bad_fast = 0, bad_best = 0;

	if (!buf)
		abort();
	for (size_t i = 0; i < MAX + 64; i++)
		buf[i] = (unsigned char)next_rand();
	for (int r = 0; r < ROUNDS; r++) {
		/* Small lengths often: the fast path switches at 128 bytes. */
		size_t len = (r < 300) ? (size_t)r : next_rand() % (MAX + 1);
		size_t mis = next_rand() % 64;
		uint16_t seed = (r & 1) ? (uint16_t)next_rand() : 0;
		uint16_t want = crc16_x25_bitwise(seed, buf + mis, len);

		bad_slice += crc16_x25_slice8(seed, buf + mis, len) != want;
		bad_fast += crc16_x25_pclmul(seed, buf + mis, len) != want;
		bad_best += crc16_x25_update(seed, buf + mis, len) != want;
	}
	is_int(bad_slice, 0, "slice-by-8 agrees with bitwise (%d rounds)", ROUNDS);
	if (crc16_x25_have_pclmul())
		is_int(bad_fast, 0, "pclmul agrees with bitwise (%d rounds)", ROUNDS);
	else
		skip(1, "no PCLMULQDQ on this CPU");
	is_int(bad_best, 0, "default (%s) agrees with bitwise", crc16_x25_impl());
	free(buf);
}

/* Feeding in pieces gives the same CRC as feeding at once. */
static void test_incremental(void)
{
	enum { LEN = 20000 };
	unsigned char *buf = malloc(LEN);
	int bad = 0;

	if (!buf)
		abort();
	for (size_t i = 0; i < LEN; i++)
		buf[i] = (unsigned char)next_rand();
	uint16_t whole = crc16_x25(buf, LEN);

	for (int r = 0; r < 200; r++) {
		uint16_t crc = CRC16_X25_INIT;
		size_t off = 0;

		while (off < LEN) {
			size_t n = (r < 10) ? (size_t)r + 1 : next_rand() % 5000;

			if (n > LEN - off)
				n = LEN - off;
			crc = crc16_x25_update(crc, buf + off, n);
			off += n;
		}
		bad += crc != whole;
	}
	is_int(bad, 0, "split feeds give the whole-buffer CRC");

	uint16_t a = crc16_x25_update(CRC16_X25_INIT, "1234", 4);
	is_int(crc16_x25_update(a, "56789", 5), 0x906E, "\"1234\" then \"56789\"");
	free(buf);
}

int main(void)
{
	test_vectors();
	test_real_header();
	test_agreement();
	test_incremental();
	diag("implementation: %s", crc16_x25_impl());
	return done_testing();
}
