/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_MTOOLS_H
#define DLOADCARD_MTOOLS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/*
 * mtools is run without a shell, by the absolute path configure found, with
 * a clean environment: no ~/.mtoolsrc, /etc/mtools.conf or MTOOLS_*
 * variable of the user's changes what it does.
 */

/* The "-i" drive argument for a FAT file system at offset bytes of path. */
void mtools_drive(char *buf, size_t len, const char *path, uint64_t offset);

/*
 * Run argv (argv[0] an absolute path, NULL-terminated), stdin from in_fd
 * (-1: /dev/null), stdout to out_fd (-1: /dev/null).  Returns the exit
 * status (0 success), or -errno when it could not run; on failure err holds
 * the program's own first error line.
 */
int mtools_run(const char *const argv[], int in_fd, int out_fd, char *err, size_t errlen);

/*
 * The child runs in a process group of its own, ignoring SIGINT, SIGTERM and
 * SIGHUP (dloadcard decides when to stop), and is killed when the thread
 * that runs it dies (PR_SET_PDEATHSIG), with the process or not.
 */

/* Kill the mtools child that thread waits for (a stalled card hangs it too). */
void mtools_kill_thread(pthread_t thread);

#endif
