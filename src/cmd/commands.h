/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CMD_COMMANDS_H
#define DLOADCARD_CMD_COMMANDS_H

/* Each command takes its own argv, argv[0] being its name; returns EXIT_*. */
int cmd_prepare(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_probe(int argc, char **argv);

#endif
