/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_UNPRIV_H
#define DLOADCARD_UNPRIV_H

/*
 * The tests on fake cards need no privilege.  Run as root (as make check
 * often is), they drop to nobody first, so that passing shows it.
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "tap.h"

#define UNPRIV_ID 65534		/* nobody, nogroup */

static inline void drop_privileges(void)
{
	if (geteuid() == 0) {
		if (setgroups(0, NULL) != 0 || setgid(UNPRIV_ID) != 0 || setuid(UNPRIV_ID) != 0) {
			printf("Bail out! cannot drop from root to uid %d\n", UNPRIV_ID);
			exit(1);
		}
		/* Dumpable again, as a process that never was root: its
		 * /proc/self/fd is its own, and LeakSanitizer can stop it. */
		prctl(PR_SET_DUMPABLE, 1);
	}
	ok(geteuid() != 0 && getuid() != 0 && getegid() != 0,
	   "runs unprivileged (uid %d, gid %d)", (int)geteuid(), (int)getegid());
}

#endif
