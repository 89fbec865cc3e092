/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sizes and digests as users type them. */
#include "config.h"

#include <errno.h>

#include "lib/strutils.h"
#include "tap.h"

static void size_is(const char *s, uint64_t want)
{
	uint64_t v = 0;
	int rc = parse_size(s, &v);

	ok(rc == 0 && v == want, "size '%s' is %ju", s, (uintmax_t)want);
}

static void size_bad(const char *s)
{
	uint64_t v;

	ok(parse_size(s, &v) != 0, "size '%s' is refused", s);
}

int main(void)
{
	unsigned char bin[4];
	char buf[64];

	size_is("8G", 8 * GiB);
	size_is("8GiB", 8 * GiB);
	size_is("8g", 8 * GiB);
	size_is("8GB", 8000000000ULL);
	size_is("512M", 512 * MiB);
	size_is("1.5G", 3 * GiB / 2);
	size_is("4096", 4096);
	size_is("1T", 1024 * GiB);
	size_is("7.5GiB", 15 * GiB / 2);
	size_is("1KB", 1000);
	size_is("100b", 100);
	size_is("1e9", 1000000000);
	size_is("0x1000", 4096);
	/* whole numbers are exact, past the 53 bits of a double */
	size_is("9007199254740993", 9007199254740993ULL);
	size_is("18446744073709551615", UINT64_MAX);
	size_bad("");
	size_bad("-1G");
	size_bad("8X");
	size_bad("G");
	size_bad("8Gx");
	size_bad("18446744073709551616");
	size_bad("16384P");
	/* what strtod would take, but is no size */
	size_bad("nan");
	size_bad("inf");
	size_bad(" 8G");
	size_bad("+8G");
	size_bad("0x");
	size_bad("0x-5");

	{
		unsigned v = 0;

		ok(parse_uint("30", 86400, &v) == 0 && v == 30, "a whole number");
		ok(parse_uint("0", 10, &v) == 0 && v == 0, "zero");
		ok(parse_uint("86400", 86400, &v) == 0, "the maximum itself");
		ok(parse_uint("86401", 86400, &v) != 0, "past the maximum refused");
		ok(parse_uint("-1", 86400, &v) != 0, "a negative number refused");
		ok(parse_uint("", 86400, &v) != 0, "nothing refused");
		ok(parse_uint("5s", 86400, &v) != 0, "a unit after it refused");
		ok(parse_uint(" 5", 86400, &v) != 0, "a blank before it refused");
		ok(parse_uint("99999999999999999999", 4000000000U, &v) != 0, "an overflow refused");
	}

	is_str(size_to_human(0, buf, sizeof(buf)), "0 B", "0 bytes");
	is_str(size_to_human(8 * GiB, buf, sizeof(buf)), "8.0 GiB", "8 GiB");
	is_str(size_to_human_both(16 * GiB, buf, sizeof(buf)), "16.0 GiB (17.2 GB)",
	       "both binary and decimal, as cards are sold");

	ok(parse_hex("DEADbeef", bin, 4) == 0 && bin[0] == 0xde && bin[3] == 0xef, "hex in any case");
	ok(parse_hex("  deadbeef\n", bin, 4) == 0, "hex with blanks around it");
	ok(parse_hex("deadbee", bin, 4) != 0, "short hex refused");
	ok(parse_hex("deadbeef00", bin, 4) != 0, "long hex refused");
	ok(parse_hex("deadbeeg", bin, 4) != 0, "non-hex refused");
	is_str(hex_string(bin, 4, buf), "deadbeef", "hex string");

	ok(endswith_ci("dload/Update.App", "UPDATE.APP"), "suffix in another case");
	ok(endswith_ci("a.zip", ".zip") && !endswith_ci("zip", ".zip"), "suffix longer than the name");
	ok(!endswith_ci("a.zip.txt", ".zip"), "suffix not at the end");
	return done_testing();
}
