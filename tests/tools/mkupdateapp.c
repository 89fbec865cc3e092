/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mkupdateapp: write a sample UPDATE.APP (valid or damaged) for tests,
 * benchmarks and the README quick start.  The data is pseudo-random but the
 * structure and every checksum are real, so `dloadcard check` accepts it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/strutils.h"
#include "ua_build.h"

static void usage(FILE *f)
{
	fputs("Usage: mkupdateapp [OPTION]...\n"
	      "Write a test UPDATE.APP container: pseudo-random data, real structure and\n"
	      "checksums (a signature entry first, version texts, ERECOVERY_RAMDISK, an empty\n"
	      "entry, SYSTEM last), valid unless damage is asked for.\n"
	      "\n"
	      "  -o, --output FILE     write to FILE (default: standard output)\n"
	      "  -s, --size SIZE       total size, e.g. 4K, 100M, 1G, 3.5G (default 1M)\n"
	      "  -n, --entries N       at most N entries (default 12)\n"
	      "      --seed N          seed of the data (default 1)\n"
	      "  -d, --damage KIND[:N] damage the file (repeatable); KIND is one of\n"
	      "                          header-crc block-crc[:BLOCK] bad-magic\n"
	      "                          bad-header-length bad-const zero-block-size padding\n"
	      "                          hardware-id date time name no-signature\n"
	      "                          truncate:BYTES trailing:BYTES trailing-zeros:BYTES\n"
	      "                          leading-zeros:COUNT html zip empty zeros updatebin\n"
	      "                          text rar\n"
	      "  -e, --entry I         entry damaged by the following --damage options\n"
	      "                        (default: the last one; for padding, the first\n"
	      "                        entry that has pad bytes)\n"
	      "      --no-last-pad     end the file right after the last entry's data\n"
	      "      --crc KIND        the CRC entry: layout (default: one CRC-16 per 32 KiB\n"
	      "                        of the other entries), foreign (random bytes), none\n"
	      "      --zip PATH        wrap the result in a zip, stored at PATH inside\n"
	      "      --zip-extra PATH  also put a small file at PATH in the zip (repeatable)\n"
	      "  -l, --list            print the layout on standard error\n"
	      "  -h, --help            show this help\n", f);
}

static int fd_write(void *arg, const void *buf, size_t len)
{
	int fd = *(int *)arg;
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void list_layout(const struct uab_spec *s)
{
	struct uab_layout l;

	fprintf(stderr, "%5s  %-18s %12s %8s %12s %11s %3s\n", "entry", "name",
		"header-at", "hdr-len", "data-at", "data-size", "pad");
	for (size_t i = 0; i < s->n; i++) {
		uab_layout(s, i, &l);
		fprintf(stderr, "%5zu  %-18s %12" PRIu64 " %8" PRIu32 " %12" PRIu64
			" %11" PRIu32 " %3" PRIu32 "\n", i, s->entries[i].name,
			l.header_offset, l.header_length, l.data_offset,
			l.data_size, l.pad);
	}
	fprintf(stderr, "container size %" PRIu64 " bytes (before damage)\n",
		uab_container_size(s));
}

struct pending {
	enum uab_damage_kind kind;
	long entry;             /* -1: default */
	uint64_t arg;
};

static unsigned default_entry(const struct uab_spec *s, enum uab_damage_kind k)
{
	struct uab_layout l;

	if (k == UAB_PADDING)
		for (size_t i = 0; i < s->n; i++) {
			uab_layout(s, i, &l);
			if (l.pad)
				return (unsigned)i;
		}
	return s->n ? (unsigned)s->n - 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "entries", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 'S' },
		{ "damage", required_argument, NULL, 'd' },
		{ "entry", required_argument, NULL, 'e' },
		{ "no-last-pad", no_argument, NULL, 'P' },
		{ "crc", required_argument, NULL, 'C' },
		{ "zip", required_argument, NULL, 'z' },
		{ "zip-extra", required_argument, NULL, 'x' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct uab_spec *s = calloc(1, sizeof(*s));
	struct pending pend[UAB_MAX_DAMAGE];
	size_t npend = 0;
	const char *output = NULL, *zip = NULL, *extra[UAB_MAX_ZIP_EXTRA];
	size_t nextra = 0, max_entries = 0;
	uint64_t size = UINT64_C(1) << 20, seed = 1;
	long entry = -1;
	bool no_last_pad = false, list = false, foreign_crc = false, no_crc = false;
	int c, fd, err;

	if (!s)
		return 1;
	while ((c = getopt_long(argc, argv, "o:s:n:d:e:lh", opts, NULL)) != -1) {
		char *colon, *end;

		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 's':
			/* dloadcard's sizes; a sample above 64 GiB is a typo */
			if (parse_size(optarg, &size) < 0 || size > 64 * GiB) {
				fprintf(stderr, "mkupdateapp: bad size '%s'\n", optarg);
				return 2;
			}
			break;
		case 'n':
			max_entries = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'e':
			entry = strtol(optarg, &end, 10);
			if (*end || entry < 0) {
				fprintf(stderr, "mkupdateapp: bad entry '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			if (npend == UAB_MAX_DAMAGE) {
				fprintf(stderr, "mkupdateapp: too many --damage\n");
				return 2;
			}
			colon = strchr(optarg, ':');
			if (colon)
				*colon++ = '\0';
			pend[npend].kind = uab_damage_by_name(optarg);
			pend[npend].entry = entry;
			pend[npend].arg = colon ? strtoull(colon, NULL, 0) : 0;
			if (pend[npend].kind == UAB_NONE) {
				fprintf(stderr, "mkupdateapp: unknown damage '%s'\n", optarg);
				return 2;
			}
			npend++;
			break;
		case 'P':
			no_last_pad = true;
			break;
		case 'C':
			foreign_crc = strcmp(optarg, "foreign") == 0;
			no_crc = strcmp(optarg, "none") == 0;
			if (!foreign_crc && !no_crc && strcmp(optarg, "layout") != 0) {
				fprintf(stderr, "mkupdateapp: bad --crc '%s'\n", optarg);
				return 2;
			}
			break;
		case 'z':
			zip = optarg;
			break;
		case 'x':
			if (nextra == UAB_MAX_ZIP_EXTRA) {
				fprintf(stderr, "mkupdateapp: too many --zip-extra\n");
				return 2;
			}
			extra[nextra++] = optarg;
			break;
		case 'l':
			list = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	if (uab_default_spec_crc(s, size, max_entries, no_last_pad,
				 foreign_crc || no_crc) < 0) {
		fprintf(stderr, "mkupdateapp: cannot lay out %" PRIu64 " bytes\n", size);
		return 2;
	}
	if (no_crc)
		for (size_t i = 0; i < s->n; i++)
			if (strcmp(s->entries[i].name, "CRC") == 0)
				memcpy(s->entries[i].name, "RESERVED2", 10);
	s->seed = seed;
	s->zip_path = zip;
	for (size_t i = 0; i < nextra; i++)
		s->zip_extra[s->nzip_extra++] = extra[i];
	for (size_t i = 0; i < npend; i++) {
		unsigned e = pend[i].entry >= 0 ? (unsigned)pend[i].entry :
			     default_entry(s, pend[i].kind);

		if (e >= s->n) {
			fprintf(stderr, "mkupdateapp: entry %u does not exist (0-%zu)\n",
				e, s->n - 1);
			return 2;
		}
		uab_add_damage(s, pend[i].kind, e, pend[i].arg);
	}
	if (list)
		list_layout(s);

	if (output) {
		fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "mkupdateapp: %s: %s\n", output, strerror(errno));
			return 1;
		}
	} else {
		if (isatty(STDOUT_FILENO)) {
			fprintf(stderr, "mkupdateapp: not writing binary data to a terminal; use -o FILE\n");
			return 2;
		}
		fd = STDOUT_FILENO;
	}
	err = uab_write(s, fd_write, &fd);
	if (!err && output && close(fd) < 0)
		err = -errno;
	if (err) {
		fprintf(stderr, "mkupdateapp: %s: %s\n", output ? output : "stdout",
			err == -EINVAL ? "that damage does not apply to that entry" :
			strerror(-err));
		if (output)
			unlink(output);     /* no half-written sample left behind */
		return 1;
	}
	free(s);
	return 0;
}
