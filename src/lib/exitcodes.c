/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "lib/exitcodes.h"

const struct exit_code exit_codes[] = {
#define EXIT_CODE_ENTRY(name, code, text) { code, #name, text },
	EXIT_CODES(EXIT_CODE_ENTRY)
#undef EXIT_CODE_ENTRY
};

const size_t exit_codes_count = sizeof(exit_codes) / sizeof(exit_codes[0]);

const char *exit_code_text(int code)
{
	size_t i;

	for (i = 0; i < exit_codes_count; i++)
		if (exit_codes[i].code == code)
			return exit_codes[i].text;
	return NULL;
}
