/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_STATION_SHOPLOG_H
#define DLOADCARD_STATION_SHOPLOG_H

#include <stddef.h>
#include <time.h>

#include "lib/errmsg.h"
#include "lib/json.h"

/*
 * batch --log FILE: the shop's record, one JSON object per line and per card.
 * Opened with O_APPEND, so that several stations (or runs) can share a file;
 * each line goes out in one write(2) and is fsync'ed before the card is
 * reported done, so that a power cut never leaves a card without its line.
 * Safe to call from several threads.
 */
struct shoplog;

/* 0 with *log open, or -errno when the file cannot be opened for appending. */
int shoplog_open(struct shoplog **log, const char *path, struct errmsg *e);
void shoplog_close(struct shoplog *log);

/*
 * Append one line: fill writes the members of one object (json_open and
 * json_close are done here).  0, or -errno with the reason in e.
 */
int shoplog_write(struct shoplog *log, void (*fill)(struct json *j, void *arg), void *arg,
		  struct errmsg *e);

/* "2026-11-05T14:03:12+01:00": local time with its offset. */
char *shoplog_time(time_t t, char *buf, size_t len);

#endif
