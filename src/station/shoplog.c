/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/nls.h"
#include "station/shoplog.h"

struct shoplog {
	int fd;
	pthread_mutex_t lock;
};

int shoplog_open(struct shoplog **logp, const char *path, struct errmsg *e)
{
	struct shoplog *log = calloc(1, sizeof(*log));
	int fd;

	*logp = NULL;
	if (!log)
		return errmsg_set(e, -ENOMEM, _("cannot open the log %s: out of memory"), path);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		free(log);
		return errmsg_set(e, -errno, _("cannot open the log %s: %s"), path, strerror(errno));
	}
	log->fd = fd;
	pthread_mutex_init(&log->lock, NULL);
	*logp = log;
	return 0;
}

void shoplog_close(struct shoplog *log)
{
	if (!log)
		return;
	close(log->fd);
	pthread_mutex_destroy(&log->lock);
	free(log);
}

char *shoplog_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	char zone[8];

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	/* ISO 8601 wants the offset as +01:00, strftime gives +0100. */
	if (strlen(zone) == 5 && strlen(buf) + 7 <= len)
		snprintf(buf + strlen(buf), len - strlen(buf), "%.3s:%.2s", zone, zone + 3);
	return buf;
}

/* The whole line in one write: appenders never interleave within a line. */
static int append(int fd, const char *line, size_t len)
{
	ssize_t n;

	do {
		n = write(fd, line, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len) {
		/* Disk full: end the cut line, so that the next one parses. */
		if (write(fd, "\n", 1) < 0)
			return -errno;
		return -ENOSPC;
	}
	return fsync(fd) == 0 ? 0 : -errno;
}

int shoplog_write(struct shoplog *log, void (*fill)(struct json *j, void *arg), void *arg,
		  struct errmsg *e)
{
	char *line = NULL;
	size_t len = 0;
	struct json j;
	FILE *mem;
	int rc;

	mem = open_memstream(&line, &len);
	if (!mem)
		return errmsg_set(e, -ENOMEM, _("cannot write the log: %s"), strerror(errno));
	json_init(&j, mem, true);
	json_open(&j, NULL);
	fill(&j, arg);
	json_close(&j);
	json_end(&j);
	if (fclose(mem) != 0) {
		free(line);
		return errmsg_set(e, -ENOMEM, _("cannot write the log: out of memory"));
	}
	pthread_mutex_lock(&log->lock);
	rc = append(log->fd, line, len);
	pthread_mutex_unlock(&log->lock);
	free(line);
	if (rc)
		return errmsg_set(e, rc, _("cannot write the log: %s"), strerror(-rc));
	return 0;
}
