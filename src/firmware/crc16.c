/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CRC-16/X-25.  Three implementations of one function:
 *
 *  - bitwise: the definition, one bit at a time; the reference for tests;
 *  - slice-by-8: eight 256-entry tables, eight bytes per step; portable;
 *  - pclmul: x86-64 carry-less multiplication folding (the method of
 *    Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ"),
 *    four 128-bit lanes, 64 bytes per step.  The last 128-bit remainder and
 *    the tail are finished with the tables, which costs a few nanoseconds
 *    per call and spares a Barrett reduction.
 *
 * Internally the functions work on the raw shift register (initial value
 * 0xFFFF, no final XOR); the public value is the register XOR 0xFFFF, so that
 * chaining calls needs no separate init/final step.
 */
#include "firmware/crc16.h"

#include <pthread.h>

#include "lib/byteorder.h"

/* -DCRC16_PORTABLE builds the tables only (for testing the fallback). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
	!defined(CRC16_PORTABLE)
#define HAVE_PCLMUL_CODE 1
#include <immintrin.h>
#endif

#define POLY_REFLECTED 0x8408u
#define POLY_NORMAL 0x1021u

typedef uint16_t (*crc_fn)(uint16_t reg, const unsigned char *p, size_t len);

static uint16_t table[8][256];
static crc_fn best;
static int have_pclmul;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static uint16_t raw_bitwise(uint16_t reg, const unsigned char *p, size_t len)
{
	while (len--) {
		reg ^= *p++;
		for (int i = 0; i < 8; i++)
			reg = (reg & 1) ? (reg >> 1) ^ POLY_REFLECTED : reg >> 1;
	}
	return reg;
}

static uint16_t raw_slice8(uint16_t reg, const unsigned char *p, size_t len)
{
	while (len >= 8) {
		uint64_t w = get_le64(p) ^ reg;
		/* Byte j of the word is followed by 7 - j more bytes. */
		reg = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^
		      table[5][(w >> 16) & 0xff] ^ table[4][(w >> 24) & 0xff] ^
		      table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
		      table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		reg = (reg >> 8) ^ table[0][(reg ^ *p++) & 0xff];
	return reg;
}

#ifdef HAVE_PCLMUL_CODE
/*
 * Folding constants.  A 128-bit lane loaded from memory holds message bits in
 * order: bit k of the register is the coefficient of x^(127-k), so the low
 * quadword is the high-degree half.  Moving a lane D bits further down the
 * message multiplies its high half by x^(D+64) and its low half by x^D, both
 * reduced mod P.  A carry-less product of two bit-reflected 64-bit values
 * comes out shifted by one degree, hence the "- 1" in the exponents.
 */
static uint64_t k512_hi, k512_lo, k128_hi, k128_lo;

/* x^n mod P, in the normal (unreflected) bit order. */
static uint16_t xpow_mod(unsigned n)
{
	uint32_t r = 1;

	while (n--) {
		r <<= 1;
		if (r & 0x10000)
			r ^= 0x10000 | POLY_NORMAL;
	}
	return (uint16_t)r;
}

/* A remainder of degree < 16 placed as a bit-reflected 64-bit operand. */
static uint64_t reflect64(uint16_t r)
{
	uint64_t v = 0;

	for (int t = 0; t < 16; t++)
		if (r & (1u << t))
			v |= UINT64_C(1) << (63 - t);
	return v;
}

static void pclmul_init(void)
{
	k512_hi = reflect64(xpow_mod(512 + 64 - 1));
	k512_lo = reflect64(xpow_mod(512 - 1));
	k128_hi = reflect64(xpow_mod(128 + 64 - 1));
	k128_lo = reflect64(xpow_mod(128 - 1));
}

__attribute__((target("pclmul,sse2")))
static inline __m128i fold(__m128i lane, __m128i k, __m128i next)
{
	__m128i hi = _mm_clmulepi64_si128(lane, k, 0x00);
	__m128i lo = _mm_clmulepi64_si128(lane, k, 0x11);

	return _mm_xor_si128(_mm_xor_si128(hi, lo), next);
}

__attribute__((target("pclmul,sse2")))
static uint16_t raw_pclmul(uint16_t reg, const unsigned char *p, size_t len)
{
	/* Below a few lanes the setup costs more than the tables. */
	if (len < 128)
		return raw_slice8(reg, p, len);

	const __m128i k512 = _mm_set_epi64x((long long)k512_lo, (long long)k512_hi);
	const __m128i k128 = _mm_set_epi64x((long long)k128_lo, (long long)k128_hi);
	__m128i x0 = _mm_loadu_si128((const __m128i *)p);
	__m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
	__m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
	__m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
	unsigned char rest[16];

	/* The register is XORed into the first two message bytes. */
	x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128(reg));
	p += 64;
	len -= 64;

	while (len >= 64) {
		x0 = fold(x0, k512, _mm_loadu_si128((const __m128i *)p));
		x1 = fold(x1, k512, _mm_loadu_si128((const __m128i *)(p + 16)));
		x2 = fold(x2, k512, _mm_loadu_si128((const __m128i *)(p + 32)));
		x3 = fold(x3, k512, _mm_loadu_si128((const __m128i *)(p + 48)));
		p += 64;
		len -= 64;
	}

	x1 = fold(x0, k128, x1);
	x2 = fold(x1, k128, x2);
	x0 = fold(x2, k128, x3);
	while (len >= 16) {
		x0 = fold(x0, k128, _mm_loadu_si128((const __m128i *)p));
		p += 16;
		len -= 16;
	}

	/* What is left is a 16-byte message, CRCed from a zero register. */
	_mm_storeu_si128((__m128i *)rest, x0);
	reg = raw_slice8(0, rest, sizeof(rest));
	return raw_slice8(reg, p, len);
}
#endif

static void crc16_init(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint16_t c = (uint16_t)i;

		for (int b = 0; b < 8; b++)
			c = (c & 1) ? (c >> 1) ^ POLY_REFLECTED : c >> 1;
		table[0][i] = c;
	}
	/* table[k][i]: byte i followed by k zero bytes. */
	for (int k = 1; k < 8; k++)
		for (unsigned i = 0; i < 256; i++)
			table[k][i] = (table[k - 1][i] >> 8) ^
				      table[0][table[k - 1][i] & 0xff];

	best = raw_slice8;
#ifdef HAVE_PCLMUL_CODE
	__builtin_cpu_init();
	if (__builtin_cpu_supports("pclmul")) {
		pclmul_init();
		have_pclmul = 1;
		best = raw_pclmul;
	}
#endif
}

static uint16_t run(crc_fn fn, uint16_t crc, const void *buf, size_t len)
{
	pthread_once(&init_once, crc16_init);
	return fn(crc ^ 0xFFFF, buf, len) ^ 0xFFFF;
}

uint16_t crc16_x25_update(uint16_t crc, const void *buf, size_t len)
{
	pthread_once(&init_once, crc16_init);
	return best(crc ^ 0xFFFF, buf, len) ^ 0xFFFF;
}

uint16_t crc16_x25(const void *buf, size_t len)
{
	return crc16_x25_update(CRC16_X25_INIT, buf, len);
}

uint16_t crc16_x25_bitwise(uint16_t crc, const void *buf, size_t len)
{
	return raw_bitwise(crc ^ 0xFFFF, buf, len) ^ 0xFFFF;
}

uint16_t crc16_x25_slice8(uint16_t crc, const void *buf, size_t len)
{
	return run(raw_slice8, crc, buf, len);
}

uint16_t crc16_x25_pclmul(uint16_t crc, const void *buf, size_t len)
{
	pthread_once(&init_once, crc16_init);
	return run(have_pclmul ? best : raw_slice8, crc, buf, len);
}

int crc16_x25_have_pclmul(void)
{
	pthread_once(&init_once, crc16_init);
	return have_pclmul;
}

const char *crc16_x25_impl(void)
{
	return crc16_x25_have_pclmul() ? "pclmul" : "slice-by-8";
}
