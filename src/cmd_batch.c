/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "commands.h"
#include "exitcodes.h"

int cmd_batch(int argc, char **argv)
{
	return EXIT_USAGE;
}
