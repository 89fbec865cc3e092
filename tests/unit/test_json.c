/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The JSON writer: valid documents, escaped strings, card names in any code page. */
#include "config.h"

#include <stdlib.h>

#include "lib/json.h"
#include "tap.h"

static char *render(void (*fill)(struct json *j), bool compact)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f, compact);
	fill(&j);
	fclose(f);
	return buf;
}

static void doc(struct json *j)
{
	json_open(j, NULL);
	json_str(j, "name", "a \"quoted\" \\ name\n\t\x01");
	json_u64(j, "size", 18446744073709551615ULL);
	json_int(j, "neg", -3);
	json_bool(j, "ok", true);
	json_null(j, "none");
	json_str(j, "nullstr", NULL);
	json_open_array(j, "list");
	json_u64(j, NULL, 1);
	json_open(j, NULL);
	json_close(j);
	json_close_array(j);
	json_open_array(j, "empty");
	json_close_array(j);
	json_close(j);
	json_end(j);
}

static void bad_utf8(struct json *j)
{
	json_open(j, NULL);
	json_str(j, "s", "ok \xc3\xa9 bad \xff\xfe end");
	json_close(j);
	json_end(j);
}

int main(void)
{
	char *s = render(doc, true);

	is_str(s, "{\"name\":\"a \\\"quoted\\\" \\\\ name\\n\\t\\u0001\",\"size\":18446744073709551615,"
		  "\"neg\":-3,\"ok\":true,\"none\":null,\"nullstr\":null,\"list\":[1,{}],\"empty\":[]}\n",
	       "a compact document, every type, escapes");
	free(s);
	s = render(doc, false);
	ok(s && strstr(s, "\n   \"size\": 18446744073709551615,") != NULL, "pretty: indented members");
	free(s);
	s = render(bad_utf8, true);
	is_str(s, "{\"s\":\"ok \xc3\xa9 bad \\ufffd\\ufffd end\"}\n",
	       "valid UTF-8 kept, invalid bytes replaced");
	free(s);
	return done_testing();
}
