/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FIRMWARE_CRC16_H
#define DLOADCARD_FIRMWARE_CRC16_H

#include <stddef.h>
#include <stdint.h>

/*
 * CRC-16/X-25, the checksum of UPDATE.APP headers and blocks: polynomial
 * 0x1021 processed reflected (0x8408), initial value 0xFFFF, input and output
 * reflected, final XOR 0xFFFF.  Check value: "123456789" -> 0x906E.
 *
 * The value passed around is always a finished CRC, zlib style: the CRC of
 * nothing is CRC16_X25_INIT (0), and feeding a message in pieces gives the
 * same value as feeding it at once, with no separate final step:
 *
 *	uint16_t crc = CRC16_X25_INIT;
 *	crc = crc16_x25_update(crc, part1, len1);
 *	crc = crc16_x25_update(crc, part2, len2);   // == crc16_x25(whole, len)
 *
 * Thread-safe.  On x86-64 with PCLMULQDQ a carry-less multiplication
 * implementation is picked at run time; elsewhere slicing-by-8 tables.
 */
#define CRC16_X25_INIT 0

uint16_t crc16_x25(const void *buf, size_t len);
uint16_t crc16_x25_update(uint16_t crc, const void *buf, size_t len);

/* The name of the implementation in use: "pclmul" or "slice-by-8". */
const char *crc16_x25_impl(void);

/*
 * The individual implementations, same contract as crc16_x25_update(), for
 * tests and benchmarks.  crc16_x25_pclmul() returns the slice-by-8 result
 * when the CPU (or the build) has no PCLMULQDQ; crc16_x25_have_pclmul()
 * tells which.
 */
uint16_t crc16_x25_bitwise(uint16_t crc, const void *buf, size_t len);
uint16_t crc16_x25_slice8(uint16_t crc, const void *buf, size_t len);
uint16_t crc16_x25_pclmul(uint16_t crc, const void *buf, size_t len);
int crc16_x25_have_pclmul(void);

#endif
