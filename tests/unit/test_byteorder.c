/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lib/byteorder.h: the little-endian fields of a boot sector or an
 * UPDATE.APP header read and written the same on any host, at any address.
 */
#include <stdint.h>
#include <string.h>

#include "lib/byteorder.h"
#include "tap.h"

int main(void)
{
	/* one byte of slack in front: the fields sit at an odd address */
	static const uint8_t in[1 + 8] = { 0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	static const uint8_t ones[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t out[1 + 8];

	is_int(get_le16(in + 1), 0x2301, "16 bits, least significant byte first");
	ok(get_le32(in + 1) == 0x67452301u, "32 bits");
	ok(get_le64(in + 1) == 0xefcdab8967452301ull, "64 bits");
	ok(get_le16(ones) == 0xffff && get_le32(ones) == 0xffffffffu &&
	   get_le64(ones) == UINT64_MAX, "all ones: no sign extension");

	memset(out, 0, sizeof(out));
	put_le16(out + 1, 0x2301);
	ok(!memcmp(out, in, 3) && out[3] == 0, "put_le16 writes two bytes, low first");
	memset(out, 0, sizeof(out));
	put_le32(out + 1, 0x67452301u);
	ok(!memcmp(out, in, 5) && out[5] == 0, "put_le32 writes four bytes");
	memset(out, 0, sizeof(out));
	put_le64(out + 1, 0xefcdab8967452301ull);
	ok(!memcmp(out, in, 9), "put_le64 writes eight bytes");
	return done_testing();
}
