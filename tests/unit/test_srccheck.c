/* SPDX-License-Identifier: GPL-3.0-or-later */
/* srccheck_products(): the products a package's text entries name, on
 * containers built in memory by tests/ua_build.c. */
#include <stdlib.h>
#include <string.h>

#include "firmware/srccheck.h"
#include "firmware/updateapp.h"
#include "../tools/ua_build.h"
#include "tap.h"

/* The products of a container holding a signature, then these texts. */
static void products_of(const char *const *texts, size_t n, char *out, size_t len)
{
	struct uab_spec *s = calloc(1, sizeof(*s));
	struct ua_check *c;
	unsigned char *buf;
	size_t size;

	if (!s)
		abort();
	uab_add(s, "SHA256RSA", 256);
	for (size_t i = 0; i < n; i++)
		uab_add_text(s, i ? "VERLIST" : "CURVER", texts[i]);
	uab_add(s, "SYSTEM", 5000);
	buf = uab_build(s, &size);
	c = buf ? ua_check_new(size) : NULL;
	if (!c)
		abort();
	ua_check_feed(c, buf, size);
	ua_check_finish(c);
	srccheck_products(c, out, len);
	ua_check_free(c);
	free(buf);
	free(s);
}

static void products(const char *text, const char *want, const char *what)
{
	char out[256];

	products_of(&text, 1, out, sizeof(out));
	is_str(out, want, "%s", what);
}

int main(void)
{
	const char *two[] = { "S7-721uV100R001C00B008", "s7-721U V100R001C00B008\nS7-722u V100R001C00B008\n" };
	char many[2048] = "", out[64];
	const char *p = many;

	products("S7-721uV100R001C00B008", "S7-721u", "a model glued to V100R001...");
	products("S7-721u V100R001C00B008\nS7-721w V100R001C00B008\nS7-722u V100R001C00B008\n",
		 "S7-721u, S7-721w, S7-722u", "a version list, one model per line");
	products("VTR-L09C432B120", "VTR-L09", "a model glued to its region and build (C432B120)");
	products("HUAWEI Y6C00B008", "Y6", "a word, then a model glued to C00B008");
	products("VTR-L09 8.0.0.046(C432)", "VTR-L09", "a model, then a dotted version");
	products("normal", "", "a package type names no product");
	products("normal 1.0", "", "a word before \"1.0\" is no product");
	products("V100R001C00B008\nS7-721u\n", "", "a version alone, and a model on another line");
	products("base\r\nELE-L29 10.0.0.168(C432E4R1P4)\r\n", "ELE-L29", "CRLF lines");

	products_of(two, 2, out, sizeof(out));
	is_str(out, "S7-721u, S7-722u", "each product once, in any letter case, across entries");

	for (int i = 0; i < 100; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "MODEL-%02d V100R001C00B0%02d\n", i, i);
	products_of(&p, 1, out, sizeof(out));
	is_str(out, "MODEL-00, MODEL-01, MODEL-02, MODEL-03, MODEL-04, MODEL-05",
	       "many products are cut to fit, whole names only");
	return done_testing();
}
