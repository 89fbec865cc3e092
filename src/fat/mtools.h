/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_FAT_MTOOLS_H
#define DLOADCARD_FAT_MTOOLS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errmsg.h"

/*
 * mtools is run without a shell, by the absolute path configure found, with
 * a clean environment: no ~/.mtoolsrc, /etc/mtools.conf or MTOOLS_*
 * variable of the user's changes what it does.
 */

/*
 * The card is never named to mtools by its path, which mtools could misread
 * (it splits "-i" at the first "@@", a name may hold anything) or which
 * could name another file by the time it opens it: it gets the card's own
 * descriptor, as MTOOLS_CARD_FD, and this drive names that.
 */
#define MTOOLS_CARD_FD 3

/* The "-i" drive argument for a FAT file system at offset bytes of the card. */
void mtools_drive(char *buf, size_t len, uint64_t offset);

/*
 * Run argv (argv[0] an absolute path, NULL-terminated), stdin from in_fd
 * (-1: /dev/null), stdout to out_fd (-1: /dev/null), the card card_fd as
 * MTOOLS_CARD_FD (-1: none).  Returns the exit status (0 success; 128 + N
 * killed by signal N), or -errno when it could not run; on failure e holds
 * the program's own first error line.
 */
int mtools_run(const char *const argv[], int in_fd, int out_fd, int card_fd,
	       struct errmsg *e);

/* The same, with MTOOLS_LONG_NAMES: VFAT long-name entries (mtools_run
 * writes 8.3 names only, MTOOLS_NO_VFAT). */
#define MTOOLS_LONG_NAMES 0x1u
int mtools_run_flags(const char *const argv[], int in_fd, int out_fd, int card_fd,
		     unsigned flags, struct errmsg *e);

/*
 * The child runs in a process group of its own, ignoring SIGINT, SIGTERM and
 * SIGHUP (dloadcard decides when to stop), and is killed when the thread
 * that runs it dies (PR_SET_PDEATHSIG), with the process or not.
 */

/* Kill the mtools child that thread waits for (a stalled card hangs it too). */
void mtools_kill_thread(pthread_t thread);

#endif
