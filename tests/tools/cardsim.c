/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cardsim: a faulty SD card, simulated with FUSE, for end-to-end tests and
 * benchmarks.
 *
 * The mount point holds one file, MOUNTPOINT/card, that behaves like a card
 * of the announced size: dloadcard, mtools, losetup and O_DIRECT readers can
 * be pointed at it.  Every open is direct_io, so no page cache hides the
 * card: each read and write reaches this daemon, where the faults are.
 *
 * The device model follows the shape of f3's (a card maps each byte to real
 * storage, to an alias, or to nowhere), plus faults on the path (bit flips,
 * I/O errors, stalls, throttling, unplugging, the lock switch).
 *
 * Build (tests only, not installed):
 *   gcc -std=gnu11 -Wall -Wextra -O2 -o cardsim cardsim.c \
 *       $(pkg-config --cflags --libs fuse3) -lpthread
 *
 * Run "cardsim --help" for the options; tests/cardsim-lib.sh drives it.
 */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 312

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/strutils.h"

#define CARDSIM_VERSION "1.0"

/* The largest request asked of the kernel; FUSE's ceiling is 256 pages. */
#define MAX_IO (1024 * 1024)

/* A card's logical sector: O_DIRECT requests must be multiples of it. */
#define SECTOR 512

/* Each fault option may be given this many times. */
#define MAX_RANGES 16

/* Long sleeps are cut in slices so that an unmount does not wait for them. */
#define SLEEP_SLICE 0.1

enum { STALL_ON_READ = 1, STALL_ON_WRITE };

enum fake_mode {
	FAKE_NONE,
	FAKE_WRAP,        /* beyond the real bytes, offset X is X mod real */
	FAKE_DROP_ZERO,   /* beyond, writes are lost and reads return zeros */
	FAKE_DROP_STALE,  /* beyond, writes are lost; reads return garbage */
};

struct range {
	uint64_t off;
	uint64_t len;
	atomic_bool fired;   /* for stalls that happen once */
};

struct range_list {
	struct range r[MAX_RANGES];
	unsigned n;
};

struct config {
	const char *mountpoint;
	const char *name;          /* file name in the mount point */
	uint64_t size;             /* announced */
	uint64_t real;             /* really stored, <= size */
	bool real_set;
	enum fake_mode fake;
	const char *backing;
	struct range_list flip_read, flip_write, eio_read, eio_write, stall;
	double stall_seconds;
	bool stall_every;
	int stall_on;              /* 0: any request; or only STALL_ON_READ, _WRITE */
	bool stall_abort;          /* a stall ends when its caller is killed */
	bool vanish_set;
	uint64_t vanish_after;
	bool vanish_writes_only;
	int vanish_errno;
	double read_bps, write_bps;   /* bytes per second; 0 = unlimited */
	bool read_only;
	const char *stats_path;
	const char *ready_path;
	char *fuse_opts;              /* -o options, comma separated */
	bool debug;
};

/* Counters, shown by --stats. */
struct stats {
	atomic_uint_fast64_t opens, read_calls, write_calls, flush_calls,
		fsync_calls, bytes_read, bytes_written, largest_read, largest_write;
	/* faults hit */
	atomic_uint_fast64_t flip_read, flip_write, eio_read, eio_write, stalls,
		stalls_aborted, vanished_calls, read_only, past_end, misaligned, wrapped_bytes,
		dropped_bytes;
};

static struct config cfg = {
	.name = "card",
	.stall_seconds = 5,
	.vanish_errno = ENODEV,
};
static struct stats st;
static int backing_fd = -1;
static time_t start_time;

/* Bytes moved so far, for --vanish-after, and whether the card is gone. */
static atomic_uint_fast64_t vanish_moved;
static atomic_bool vanished;

/* The throttle's virtual clock: when the card is next free. */
static pthread_mutex_t throttle_lock = PTHREAD_MUTEX_INITIALIZER;
static double throttle_next;

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool stats_quit;

static struct fuse_session *session;
static atomic_bool ready_failed;

/* ---- small helpers ---------------------------------------------------- */

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep until the monotonic time @until, but give up early on unmount. */
static void sleep_until(double until)
{
	for (;;) {
		double left = until - now_mono();
		struct timespec ts;

		if (left <= 0 || (session && fuse_session_exited(session)))
			return;
		if (left > SLEEP_SLICE)
			left = SLEEP_SLICE;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

static void counter_max(atomic_uint_fast64_t *c, uint64_t v)
{
	uint_fast64_t cur = atomic_load(c);

	while (cur < v && !atomic_compare_exchange_weak(c, &cur, v))
		;
}

static void count(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void count_n(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static double min_dbl(double a, double b)
{
	return a < b ? a : b;
}

/* ---- parsing ---------------------------------------------------------- */

/*
 * Sizes and offsets, as dloadcard's own parse_size() reads them ("123",
 * "0x1000", "4K", "64G" and "64GiB" binary, "64GB" decimal; whole numbers
 * exact), and "2048s": 512-byte sectors, as the kernel counts them.
 */
static int parse_bytes(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	char num[64];

	if (n < 2 || n >= sizeof(num) || s[n - 1] != 's' || !isdigit((unsigned char)s[n - 2]))
		return parse_size(s, out) ? -1 : 0;
	memcpy(num, s, n - 1);
	num[n - 1] = '\0';
	if (parse_size(num, out) || *out > UINT64_MAX / 512)
		return -1;
	*out *= 512;
	return 0;
}

/* "OFF" (one byte) or "OFF:LEN". */
static int parse_range(const char *s, struct range_list *l)
{
	char buf[128];
	char *colon;
	uint64_t off, len = 1;

	if (l->n == MAX_RANGES || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		if (parse_bytes(colon + 1, &len) || len == 0)
			return -1;
	}
	if (parse_bytes(buf, &off) || off + len < off)
		return -1;
	l->r[l->n].off = off;
	l->r[l->n].len = len;
	atomic_init(&l->r[l->n].fired, false);
	l->n++;
	return 0;
}

static int parse_positive(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int parse_errno(const char *s)
{
	static const struct {
		const char *name;
		int value;
	} names[] = {
		{ "ENODEV", ENODEV }, { "EIO", EIO }, { "ENXIO", ENXIO },
		{ "ENOMEDIUM", ENOMEDIUM }, { "ESHUTDOWN", ESHUTDOWN },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].value;
	return -1;
}

static int parse_fake(const char *s)
{
	if (strcmp(s, "wrap") == 0)
		return FAKE_WRAP;
	if (strcmp(s, "drop-zero") == 0)
		return FAKE_DROP_ZERO;
	if (strcmp(s, "drop-stale") == 0 || strcmp(s, "limbo") == 0)
		return FAKE_DROP_STALE;
	return -1;
}

static const char *fake_name(enum fake_mode m)
{
	switch (m) {
	case FAKE_WRAP:
		return "wrap";
	case FAKE_DROP_ZERO:
		return "drop-zero";
	case FAKE_DROP_STALE:
		return "drop-stale";
	default:
		return "none";
	}
}

static void append_fuse_opt(const char *opt)
{
	size_t old = cfg.fuse_opts ? strlen(cfg.fuse_opts) : 0;
	char *p = realloc(cfg.fuse_opts, old + strlen(opt) + 2);

	if (!p) {
		perror("cardsim");
		exit(1);
	}
	if (old)
		p[old++] = ',';
	strcpy(p + old, opt);
	cfg.fuse_opts = p;
}

static void usage(void)
{
	fputs(
"Usage: cardsim MOUNTPOINT --size SIZE [options]\n"
"\n"
"Mounts a FUSE file system holding one file, MOUNTPOINT/card, that behaves\n"
"like an SD card of SIZE bytes with the faults asked for.  Runs in the\n"
"foreground; SIGTERM, SIGINT or fusermount3 -u unmounts it cleanly.\n"
"\n"
"Card:\n"
"  --size SIZE             announced size (required; a multiple of 512)\n"
"  --backing FILE          keep the real bytes in FILE (created, sparse, kept);\n"
"                          default: a deleted temporary file in $TMPDIR\n"
"  --name NAME             file name in the mount point (default: card)\n"
"  --read-only             the lock switch: opens for writing fail with EROFS\n"
"  O_DIRECT opens get EINVAL for requests not in whole 512-byte sectors,\n"
"  as from a block device.\n"
"\n"
"Fake capacity:\n"
"  --real SIZE             only the first SIZE bytes are real (needs --fake)\n"
"  --fake wrap             beyond, byte X is byte X mod real (both ways)\n"
"  --fake drop-zero        beyond, writes are lost; reads return zeros\n"
"  --fake drop-stale       beyond, writes are lost; reads return the same\n"
"                          pseudo-random garbage each time (alias: limbo)\n"
"\n"
"Faults (OFF and OFF:LEN in bytes; each option up to 16 times):\n"
"  --flip-read OFF[:LEN]   reads of these bytes return them XOR 0x01;\n"
"                          what is stored stays right\n"
"  --flip-write OFF[:LEN]  writes store these bytes XOR 0x01\n"
"  --eio-read OFF[:LEN]    a read request touching these bytes fails with EIO\n"
"  --eio-write OFF[:LEN]   a write request touching them fails with EIO,\n"
"                          and stores nothing\n"
"  --stall-at OFF[:LEN]    a request touching these bytes waits\n"
"                          --stall-seconds first (once per range)\n"
"  --stall-seconds N       default 5; fractions allowed\n"
"  --stall-every           stall on every request touching the range\n"
"  --stall-on read|write   only read (write) requests stall; the others pass\n"
"                          (default: any)\n"
"  --stall-abort           a stalled request ends (EINTR) as soon as the\n"
"                          process that made it is killed, as with a reader\n"
"                          that gives up a command when the kernel asks;\n"
"                          otherwise it waits out its stall whatever happens\n"
"  --vanish-after BYTES    once BYTES have been read and written, the card\n"
"                          is unplugged: every later open, read, write, flush\n"
"                          and fsync fails (the request crossing the limit is\n"
"                          cut short there)\n"
"  --vanish-count all|write  count reads and writes (default) or writes only\n"
"  --vanish-errno NAME     ENODEV (default), EIO, ENXIO, ENOMEDIUM, ESHUTDOWN\n"
"  --write-speed MBPS      throttle writes to MBPS x 1,000,000 bytes a second\n"
"  --read-speed MBPS       throttle reads likewise\n"
"\n"
"Harness:\n"
"  --ready-file PATH       created (holding the pid) once the mount serves\n"
"                          requests; removed at exit\n"
"  --stats FILE            written as JSON on SIGUSR1 and at exit\n"
"  -o OPT[,OPT...]         extra FUSE mount options (e.g. allow_other)\n"
"  -d, --debug             FUSE debug output on stderr\n"
"  -h, --help              this text\n"
"  -V, --version           version\n"
"\n"
"Sizes (whole bytes): 123, 0x7b, 2048s (sectors), 4K, 64M, 64G, 64GiB\n"
"(binary), 64GB (decimal).  Speeds: MB/s, decimal, fractions allowed.\n",
	      stdout);
}

enum {
	OPT_SIZE = 256, OPT_BACKING, OPT_NAME, OPT_READ_ONLY, OPT_REAL, OPT_FAKE,
	OPT_FLIP_READ, OPT_FLIP_WRITE, OPT_EIO_READ, OPT_EIO_WRITE, OPT_STALL_AT,
	OPT_STALL_SECONDS, OPT_STALL_EVERY, OPT_STALL_ON, OPT_STALL_ABORT, OPT_VANISH_AFTER, OPT_VANISH_COUNT,
	OPT_VANISH_ERRNO, OPT_WRITE_SPEED, OPT_READ_SPEED, OPT_READY_FILE,
	OPT_STATS,
};

static const struct option long_opts[] = {
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "backing", required_argument, NULL, OPT_BACKING },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "real", required_argument, NULL, OPT_REAL },
	{ "fake", required_argument, NULL, OPT_FAKE },
	{ "flip-read", required_argument, NULL, OPT_FLIP_READ },
	{ "flip-write", required_argument, NULL, OPT_FLIP_WRITE },
	{ "eio-read", required_argument, NULL, OPT_EIO_READ },
	{ "eio-write", required_argument, NULL, OPT_EIO_WRITE },
	{ "stall-at", required_argument, NULL, OPT_STALL_AT },
	{ "stall-seconds", required_argument, NULL, OPT_STALL_SECONDS },
	{ "stall-every", no_argument, NULL, OPT_STALL_EVERY },
	{ "stall-on", required_argument, NULL, OPT_STALL_ON },
	{ "stall-abort", no_argument, NULL, OPT_STALL_ABORT },
	{ "vanish-after", required_argument, NULL, OPT_VANISH_AFTER },
	{ "vanish-count", required_argument, NULL, OPT_VANISH_COUNT },
	{ "vanish-errno", required_argument, NULL, OPT_VANISH_ERRNO },
	{ "write-speed", required_argument, NULL, OPT_WRITE_SPEED },
	{ "read-speed", required_argument, NULL, OPT_READ_SPEED },
	{ "ready-file", required_argument, NULL, OPT_READY_FILE },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "debug", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void try_help(void)
{
	fputs("Usage: cardsim MOUNTPOINT --size SIZE [options]\n"
	      "Try 'cardsim --help' for more information.\n", stderr);
	exit(2);
}

static void bad_arg(const char *opt, const char *arg)
{
	fprintf(stderr, "cardsim: bad value for --%s: '%s'\n", opt, arg);
	exit(2);
}

static void check_config(void)
{
	if (!cfg.mountpoint || cfg.size == 0) {
		fputs("cardsim: a MOUNTPOINT and --size are required "
		      "(see --help)\n", stderr);
		exit(2);
	}
	/* Loop devices and O_DIRECT want whole sectors; so do real cards. */
	if (cfg.size % 512 || cfg.real % 512) {
		fputs("cardsim: --size and --real must be multiples of 512\n",
		      stderr);
		exit(2);
	}
	if (!cfg.real_set)
		cfg.real = cfg.size;
	if (cfg.real > cfg.size) {
		fputs("cardsim: --real is larger than --size\n", stderr);
		exit(2);
	}
	if (cfg.real < cfg.size && cfg.fake == FAKE_NONE) {
		fputs("cardsim: --real needs --fake\n", stderr);
		exit(2);
	}
	if (cfg.fake != FAKE_NONE && !cfg.real_set) {
		fputs("cardsim: --fake needs --real\n", stderr);
		exit(2);
	}
	if (cfg.fake == FAKE_WRAP && cfg.real == 0) {
		fputs("cardsim: --fake wrap needs --real above 0\n", stderr);
		exit(2);
	}
	if (strchr(cfg.name, '/') || !strcmp(cfg.name, ".") ||
	    !strcmp(cfg.name, "..") || !*cfg.name) {
		fputs("cardsim: --name must be a plain file name\n", stderr);
		exit(2);
	}
}

static void parse_args(int argc, char **argv)
{
	int c, v;

	while ((c = getopt_long(argc, argv, "dho:V", long_opts, NULL)) != -1) {
		const char *name = NULL;

		for (v = 0; long_opts[v].name; v++)
			if (long_opts[v].val == c)
				name = long_opts[v].name;
		switch (c) {
		case OPT_SIZE:
			if (parse_bytes(optarg, &cfg.size))
				bad_arg(name, optarg);
			break;
		case OPT_REAL:
			if (parse_bytes(optarg, &cfg.real))
				bad_arg(name, optarg);
			cfg.real_set = true;
			break;
		case OPT_FAKE:
			v = parse_fake(optarg);
			if (v < 0)
				bad_arg(name, optarg);
			cfg.fake = (enum fake_mode)v;
			break;
		case OPT_BACKING:
			cfg.backing = optarg;
			break;
		case OPT_NAME:
			cfg.name = optarg;
			break;
		case OPT_READ_ONLY:
			cfg.read_only = true;
			break;
		case OPT_FLIP_READ:
			if (parse_range(optarg, &cfg.flip_read))
				bad_arg(name, optarg);
			break;
		case OPT_FLIP_WRITE:
			if (parse_range(optarg, &cfg.flip_write))
				bad_arg(name, optarg);
			break;
		case OPT_EIO_READ:
			if (parse_range(optarg, &cfg.eio_read))
				bad_arg(name, optarg);
			break;
		case OPT_EIO_WRITE:
			if (parse_range(optarg, &cfg.eio_write))
				bad_arg(name, optarg);
			break;
		case OPT_STALL_AT:
			if (parse_range(optarg, &cfg.stall))
				bad_arg(name, optarg);
			break;
		case OPT_STALL_SECONDS:
			if (parse_positive(optarg, &cfg.stall_seconds))
				bad_arg(name, optarg);
			break;
		case OPT_STALL_EVERY:
			cfg.stall_every = true;
			break;
		case OPT_STALL_ON:
			if (!strcmp(optarg, "read"))
				cfg.stall_on = STALL_ON_READ;
			else if (!strcmp(optarg, "write"))
				cfg.stall_on = STALL_ON_WRITE;
			else if (strcmp(optarg, "any"))
				bad_arg(name, optarg);
			break;
		case OPT_STALL_ABORT:
			cfg.stall_abort = true;
			break;
		case OPT_VANISH_AFTER:
			if (parse_bytes(optarg, &cfg.vanish_after))
				bad_arg(name, optarg);
			cfg.vanish_set = true;
			break;
		case OPT_VANISH_COUNT:
			if (strcmp(optarg, "all") && strcmp(optarg, "write"))
				bad_arg(name, optarg);
			cfg.vanish_writes_only = !strcmp(optarg, "write");
			break;
		case OPT_VANISH_ERRNO:
			cfg.vanish_errno = parse_errno(optarg);
			if (cfg.vanish_errno < 0)
				bad_arg(name, optarg);
			break;
		case OPT_WRITE_SPEED:
			if (parse_positive(optarg, &cfg.write_bps))
				bad_arg(name, optarg);
			cfg.write_bps *= 1e6;
			break;
		case OPT_READ_SPEED:
			if (parse_positive(optarg, &cfg.read_bps))
				bad_arg(name, optarg);
			cfg.read_bps *= 1e6;
			break;
		case OPT_READY_FILE:
			cfg.ready_path = optarg;
			break;
		case OPT_STATS:
			cfg.stats_path = optarg;
			break;
		case 'o':
			append_fuse_opt(optarg);
			break;
		case 'd':
			cfg.debug = true;
			break;
		case 'h':
			usage();
			exit(0);
		case 'V':
			puts("cardsim " CARDSIM_VERSION);
			exit(0);
		default:
			try_help();
		}
	}
	if (optind + 1 != argc)
		try_help();
	cfg.mountpoint = argv[optind];
	check_config();
}

/* ---- the card: where each byte lives ------------------------------------ */

/*
 * A 64-bit mixer (splitmix64's finaliser), so that stale garbage depends on
 * the offset only: the same on every read, and unlike anything written.
 */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static void fill_stale(char *buf, uint64_t off, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint64_t o = off + i;
		uint64_t word = mix64((o >> 3) + 0x5eed);
		unsigned b;

		for (b = (unsigned)(o & 7); b < 8 && i < n; b++)
			buf[i++] = (char)(word >> (8 * b));
	}
}

enum place { PLACE_REAL, PLACE_WRAPPED, PLACE_NOWHERE };

/*
 * Where card offset @off lives: its offset in the backing file (*phys) and
 * how many of the @n bytes from there are contiguous (*chunk).
 */
static enum place locate(uint64_t off, uint64_t n, uint64_t *phys,
			 uint64_t *chunk)
{
	if (off < cfg.real) {
		*phys = off;
		*chunk = min_u64(n, cfg.real - off);
		return PLACE_REAL;
	}
	if (cfg.fake == FAKE_WRAP) {
		*phys = off % cfg.real;
		*chunk = min_u64(n, cfg.real - *phys);
		return PLACE_WRAPPED;
	}
	*phys = 0;
	*chunk = n;
	return PLACE_NOWHERE;
}

static int pread_full(char *buf, size_t n, uint64_t off)
{
	while (n) {
		ssize_t r = pread(backing_fd, buf, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) {   /* a --backing file shorter than it was */
			memset(buf, 0, n);
			return 0;
		}
		buf += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int pwrite_full(const char *buf, size_t n, uint64_t off)
{
	while (n) {
		ssize_t r = pwrite(backing_fd, buf, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		buf += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int card_read(char *buf, size_t n, uint64_t off)
{
	while (n) {
		uint64_t phys, chunk;
		enum place p = locate(off, n, &phys, &chunk);
		int rc = 0;

		if (p == PLACE_NOWHERE) {
			if (cfg.fake == FAKE_DROP_STALE)
				fill_stale(buf, off, chunk);
			else
				memset(buf, 0, chunk);
		} else {
			rc = pread_full(buf, chunk, phys);
		}
		if (rc)
			return rc;
		buf += chunk;
		n -= chunk;
		off += chunk;
	}
	return 0;
}

static int card_write(const char *buf, size_t n, uint64_t off)
{
	while (n) {
		uint64_t phys, chunk;
		enum place p = locate(off, n, &phys, &chunk);

		if (p == PLACE_NOWHERE) {
			count_n(&st.dropped_bytes, chunk);
		} else {
			int rc = pwrite_full(buf, chunk, phys);

			if (rc)
				return rc;
			if (p == PLACE_WRAPPED)
				count_n(&st.wrapped_bytes, chunk);
		}
		buf += chunk;
		n -= chunk;
		off += chunk;
	}
	return 0;
}

/* ---- faults on the path ----------------------------------------------- */

static bool range_touched(const struct range *r, uint64_t off, size_t n)
{
	return off < r->off + r->len && r->off < off + n;
}

static bool touches(const struct range_list *l, uint64_t off, size_t n)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		if (range_touched(&l->r[i], off, n))
			return true;
	return false;
}

/* XOR 0x01 into the bytes of buf (card offset @off) inside the ranges. */
static void flip_bits(char *buf, uint64_t off, size_t n,
		      const struct range_list *l)
{
	unsigned i;

	for (i = 0; i < l->n; i++) {
		uint64_t from, to, o;

		if (!range_touched(&l->r[i], off, n))
			continue;
		from = l->r[i].off > off ? l->r[i].off : off;
		to = min_u64(l->r[i].off + l->r[i].len, off + n);
		for (o = from; o < to; o++)
			buf[o - off] ^= 0x01;
	}
}

/* Sleep until @until, or until the kernel interrupts the request (its
 * caller got a fatal signal): false then. */
static bool stall_until(double until)
{
	while (now_mono() < until) {
		if (fuse_interrupted())
			return false;
		sleep_until(min_dbl(until, now_mono() + SLEEP_SLICE));
		if (session && fuse_session_exited(session))
			break;
	}
	return true;
}

/* A stall, if this request has one; false when it was given up (EINTR). */
static bool maybe_stall(uint64_t off, size_t n, bool is_write)
{
	struct range_list *l = &cfg.stall;
	double until;
	unsigned i;

	if (cfg.stall_on && cfg.stall_on != (is_write ? STALL_ON_WRITE : STALL_ON_READ))
		return true;
	for (i = 0; i < l->n; i++) {
		if (!range_touched(&l->r[i], off, n))
			continue;
		/* Once: only the first request through wins the exchange. */
		if (!cfg.stall_every && atomic_exchange(&l->r[i].fired, true))
			continue;
		count(&st.stalls);
		until = now_mono() + cfg.stall_seconds;
		if (!cfg.stall_abort) {
			sleep_until(until);
			return true;
		}
		if (stall_until(until))
			return true;
		count(&st.stalls_aborted);
		return false;
	}
	return true;
}

/*
 * A virtual clock: each request books n / rate seconds of the card after the
 * previous booking, does its work within that time, and returns when its
 * booking ends.  The card does one thing at a time and idle time earns no
 * credit, so the rate holds over any stretch of a second or more, as a real
 * card's does; a request arriving a few milliseconds late (the round trip
 * through FUSE) is booked as if it had been queued, as a real card's queue
 * would have it.
 */
#define THROTTLE_SLACK 0.005

static double throttle_book(double rate, size_t n)
{
	double now, end;

	if (rate <= 0)
		return 0;
	pthread_mutex_lock(&throttle_lock);
	now = now_mono();
	if (throttle_next < now - THROTTLE_SLACK)
		throttle_next = now;
	throttle_next += (double)n / rate;
	end = throttle_next;
	pthread_mutex_unlock(&throttle_lock);
	return end;
}

/* The request's result, once its booking has ended. */
static int throttle_done(double due, int rc)
{
	if (due > 0)
		sleep_until(due);
	return rc;
}

static int gone_error(void)
{
	count(&st.vanished_calls);
	return -cfg.vanish_errno;
}

/*
 * Count @*n bytes towards --vanish-after.  The request that reaches the
 * limit is cut to end there; the card is gone for every request after it.
 */
static int vanish_reserve(bool is_write, size_t *n)
{
	uint_fast64_t cur, take;

	if (!cfg.vanish_set || (cfg.vanish_writes_only && !is_write))
		return 0;
	cur = atomic_load(&vanish_moved);
	do {
		if (cur >= cfg.vanish_after) {
			atomic_store(&vanished, true);
			return gone_error();
		}
		take = min_u64(*n, cfg.vanish_after - cur);
	} while (!atomic_compare_exchange_weak(&vanish_moved, &cur, cur + take));
	if (cur + take >= cfg.vanish_after)
		atomic_store(&vanished, true);
	*n = take;
	return 0;
}

/*
 * A block device refuses O_DIRECT requests that are not whole sectors, and
 * FUSE would take them: refuse them here, so that a tool's alignment bugs
 * show up on the simulated card as they would on a real one.  (The buffer's
 * alignment cannot be seen from here.)
 */
static bool misaligned(const struct fuse_file_info *fi, uint64_t off,
		       size_t n)
{
	if (!(fi->fh & O_DIRECT) || (off % SECTOR == 0 && n % SECTOR == 0))
		return false;
	count(&st.misaligned);
	return true;
}

/* ---- FUSE operations -------------------------------------------------- */

static bool is_card(const char *path)
{
	return path[0] == '/' && strcmp(path + 1, cfg.name) == 0;
}

static int cs_getattr(const char *path, struct stat *s,
		      struct fuse_file_info *fi)
{
	(void)fi;
	memset(s, 0, sizeof(*s));
	s->st_uid = getuid();
	s->st_gid = getgid();
	s->st_atime = s->st_mtime = s->st_ctime = start_time;
	if (strcmp(path, "/") == 0) {
		s->st_mode = S_IFDIR | 0755;
		s->st_nlink = 2;
		return 0;
	}
	if (!is_card(path))
		return -ENOENT;
	/* Still there after --vanish-after, as a reader's /dev/sdX is. */
	s->st_mode = S_IFREG | 0644;
	s->st_nlink = 1;
	s->st_size = (off_t)cfg.size;
	s->st_blocks = (blkcnt_t)(cfg.size / 512);
	s->st_blksize = 4096;
	return 0;
}

static int cs_readdir(const char *path, void *buf, fuse_fill_dir_t fill,
		      off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/") != 0)
		return -ENOTDIR;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, cfg.name, NULL, 0, 0);
	return 0;
}

static int cs_open(const char *path, struct fuse_file_info *fi)
{
	if (!is_card(path))
		return -ENOENT;
	if (atomic_load(&vanished))
		return gone_error();
	if (cfg.read_only && (fi->flags & O_ACCMODE) != O_RDONLY) {
		count(&st.read_only);
		return -EROFS;
	}
	/* A card has a fixed size; "dd" without conv=notrunc must fail. */
	if (fi->flags & O_TRUNC)
		return -EINVAL;
	count(&st.opens);
	fi->direct_io = 1;   /* no page cache: every byte comes from here */
	fi->fh = (uint64_t)fi->flags;
	fi->keep_cache = 0;
	return 0;
}

static int cs_access(const char *path, int mask)
{
	if (strcmp(path, "/") != 0 && !is_card(path))
		return -ENOENT;
	if (is_card(path) && cfg.read_only && (mask & W_OK))
		return -EROFS;
	return 0;
}

static int cs_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	uint64_t pos = (uint64_t)off;
	size_t n;
	double due;
	int rc;

	(void)path;
	count(&st.read_calls);
	if (atomic_load(&vanished))
		return gone_error();
	if (misaligned(fi, pos, size))
		return -EINVAL;
	if (pos >= cfg.size)
		return 0;   /* end of the card */
	n = (size_t)min_u64(size, cfg.size - pos);
	if (!maybe_stall(pos, n, false))
		return -EINTR;
	due = throttle_book(cfg.read_bps, n);
	if (touches(&cfg.eio_read, pos, n)) {
		count(&st.eio_read);
		return throttle_done(due, -EIO);
	}
	rc = vanish_reserve(false, &n);
	if (rc)
		return throttle_done(due, rc);
	rc = card_read(buf, n, pos);
	if (rc)
		return throttle_done(due, rc);
	if (touches(&cfg.flip_read, pos, n)) {
		count(&st.flip_read);
		flip_bits(buf, pos, n, &cfg.flip_read);
	}
	count_n(&st.bytes_read, n);
	counter_max(&st.largest_read, n);
	return throttle_done(due, (int)n);
}

/* Store a copy with the --flip-write bytes flipped. */
static int write_flipped(const char *buf, size_t n, uint64_t pos)
{
	char *copy = malloc(n);
	int rc;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, n);
	flip_bits(copy, pos, n, &cfg.flip_write);
	rc = card_write(copy, n, pos);
	free(copy);
	return rc;
}

static int cs_write(const char *path, const char *buf, size_t size,
		    off_t off, struct fuse_file_info *fi)
{
	uint64_t pos = (uint64_t)off;
	size_t n;
	double due;
	int rc;

	(void)path;
	count(&st.write_calls);
	if (cfg.read_only) {
		count(&st.read_only);
		return -EROFS;
	}
	if (atomic_load(&vanished))
		return gone_error();
	if (misaligned(fi, pos, size))
		return -EINVAL;
	if (pos >= cfg.size) {
		count(&st.past_end);
		return -ENOSPC;   /* as a block device past its end */
	}
	n = (size_t)min_u64(size, cfg.size - pos);
	if (!maybe_stall(pos, n, true))
		return -EINTR;
	due = throttle_book(cfg.write_bps, n);
	if (touches(&cfg.eio_write, pos, n)) {
		count(&st.eio_write);
		return throttle_done(due, -EIO);
	}
	rc = vanish_reserve(true, &n);
	if (rc)
		return throttle_done(due, rc);
	if (touches(&cfg.flip_write, pos, n)) {
		count(&st.flip_write);
		rc = write_flipped(buf, n, pos);
	} else {
		rc = card_write(buf, n, pos);
	}
	if (rc)
		return throttle_done(due, rc);
	count_n(&st.bytes_written, n);
	counter_max(&st.largest_write, n);
	return throttle_done(due, (int)n);
}

/* Nothing is cached here, so flush and fsync have nothing to do. */
static int cs_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	count(&st.flush_calls);
	return atomic_load(&vanished) ? gone_error() : 0;
}

static int cs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	(void)fi;
	count(&st.fsync_calls);
	return atomic_load(&vanished) ? gone_error() : 0;
}

static int cs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	(void)fi;
	if (!is_card(path))
		return -ENOENT;
	/* A block device refuses ftruncate (EINVAL); the same size is harmless. */
	return (uint64_t)size == cfg.size ? 0 : -EINVAL;
}

static int cs_utimens(const char *path, const struct timespec tv[2],
		      struct fuse_file_info *fi)
{
	(void)tv;
	(void)fi;
	return strcmp(path, "/") == 0 || is_card(path) ? 0 : -ENOENT;
}

/*
 * Write @text to @path atomically, so a waiting test never reads half.
 * Returns 0 or -errno.
 */
static int write_file_atomic(const char *path, const char *text)
{
	size_t len = strlen(path) + 32;
	char *tmp = malloc(len);
	FILE *f;
	int rc = 0;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.tmp%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	if (fputs(text, f) == EOF)
		rc = -errno;
	if (fclose(f) == EOF && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) != 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

static void *cs_init(struct fuse_conn_info *conn, struct fuse_config *fcfg)
{
	/* 1 MiB requests: max_read must match the max_read= mount option. */
	conn->max_write = MAX_IO;
	conn->max_read = MAX_IO;
	/* The size is fixed: have O_TRUNC come to open(), to refuse it there. */
	conn->want |= conn->capable & FUSE_CAP_ATOMIC_O_TRUNC;
	fcfg->direct_io = 1;
	fcfg->kernel_cache = 0;

	/* The kernel's INIT is the first request: from now on we serve. */
	if (cfg.ready_path) {
		char pid[32];
		int rc;

		snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		rc = write_file_atomic(cfg.ready_path, pid);
		if (rc) {
			fprintf(stderr, "cardsim: %s: %s\n", cfg.ready_path,
				strerror(-rc));
			atomic_store(&ready_failed, true);
			fuse_session_exit(session);
		}
	}
	return NULL;
}

static const struct fuse_operations cs_ops = {
	.getattr = cs_getattr,
	.readdir = cs_readdir,
	.open = cs_open,
	.access = cs_access,
	.read = cs_read,
	.write = cs_write,
	.flush = cs_flush,
	.fsync = cs_fsync,
	.truncate = cs_truncate,
	.utimens = cs_utimens,
	.init = cs_init,
};

/* ---- stats ------------------------------------------------------------ */

#define STAT_FIELD(f) "  \"" #f "\": %" PRIuFAST64 ",\n"
#define FAULT_FIELD(f) "    \"" #f "\": %" PRIuFAST64

static void stats_write(void)
{
	char text[2048];
	int rc;

	if (!cfg.stats_path)
		return;
	pthread_mutex_lock(&stats_lock);
	snprintf(text, sizeof(text),
		 "{\n"
		 "  \"size\": %" PRIu64 ",\n"
		 "  \"real\": %" PRIu64 ",\n"
		 "  \"fake\": \"%s\",\n"
		 "  \"vanished\": %s,\n"
		 STAT_FIELD(opens) STAT_FIELD(read_calls) STAT_FIELD(write_calls)
		 STAT_FIELD(flush_calls) STAT_FIELD(fsync_calls)
		 STAT_FIELD(bytes_read) STAT_FIELD(bytes_written)
		 STAT_FIELD(largest_read) STAT_FIELD(largest_write)
		 "  \"faults\": {\n"
		 FAULT_FIELD(flip_read) ",\n" FAULT_FIELD(flip_write) ",\n"
		 FAULT_FIELD(eio_read) ",\n" FAULT_FIELD(eio_write) ",\n"
		 FAULT_FIELD(stalls) ",\n" FAULT_FIELD(stalls_aborted) ",\n"
		 FAULT_FIELD(vanished_calls) ",\n"
		 FAULT_FIELD(read_only) ",\n" FAULT_FIELD(past_end) ",\n"
		 FAULT_FIELD(misaligned) ",\n"
		 FAULT_FIELD(wrapped_bytes) ",\n" FAULT_FIELD(dropped_bytes) "\n"
		 "  }\n"
		 "}\n",
		 cfg.size, cfg.real, fake_name(cfg.fake),
		 atomic_load(&vanished) ? "true" : "false",
		 atomic_load(&st.opens), atomic_load(&st.read_calls),
		 atomic_load(&st.write_calls), atomic_load(&st.flush_calls),
		 atomic_load(&st.fsync_calls), atomic_load(&st.bytes_read),
		 atomic_load(&st.bytes_written), atomic_load(&st.largest_read),
		 atomic_load(&st.largest_write),
		 atomic_load(&st.flip_read), atomic_load(&st.flip_write),
		 atomic_load(&st.eio_read), atomic_load(&st.eio_write),
		 atomic_load(&st.stalls), atomic_load(&st.stalls_aborted),
		 atomic_load(&st.vanished_calls),
		 atomic_load(&st.read_only), atomic_load(&st.past_end),
		 atomic_load(&st.misaligned),
		 atomic_load(&st.wrapped_bytes), atomic_load(&st.dropped_bytes));
	rc = write_file_atomic(cfg.stats_path, text);
	if (rc)
		fprintf(stderr, "cardsim: %s: %s\n", cfg.stats_path,
			strerror(-rc));
	pthread_mutex_unlock(&stats_lock);
}

/*
 * SIGUSR1 is blocked in every thread and taken here with sigwait(), so the
 * file is written outside any signal handler.
 */
static void *stats_thread(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (atomic_load(&stats_quit))
			return NULL;
		stats_write();
	}
}

/* ---- setup ------------------------------------------------------------ */

static int open_backing(void)
{
	struct stat s;

	if (cfg.backing) {
		int flags = cfg.read_only ? O_RDONLY : O_RDWR | O_CREAT;

		backing_fd = open(cfg.backing, flags | O_CLOEXEC, 0644);
		if (backing_fd < 0) {
			fprintf(stderr, "cardsim: %s: %s\n", cfg.backing,
				strerror(errno));
			return -1;
		}
	} else {
		const char *dir = getenv("TMPDIR");
		char path[4096];

		snprintf(path, sizeof(path), "%s/cardsim.XXXXXX",
			 dir && *dir ? dir : "/tmp");
		backing_fd = mkostemp(path, O_CLOEXEC);
		if (backing_fd < 0) {
			fprintf(stderr, "cardsim: %s: %s\n", path,
				strerror(errno));
			return -1;
		}
		/* Deleted now, so that even a crash leaves nothing behind. */
		unlink(path);
	}
	/* Never a disk: the backing store must be a plain file. */
	if (fstat(backing_fd, &s) != 0 || !S_ISREG(s.st_mode)) {
		fprintf(stderr, "cardsim: %s: not a regular file\n",
			cfg.backing ? cfg.backing : "backing");
		return -1;
	}
	/* Sparse: only the real bytes, and only those written take space. */
	if ((uint64_t)s.st_size < cfg.real && !cfg.read_only &&
	    ftruncate(backing_fd, (off_t)cfg.real) != 0) {
		fprintf(stderr, "cardsim: backing file: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int build_fuse_args(struct fuse_args *args, const char *argv0)
{
	char opts[4096];

	snprintf(opts, sizeof(opts),
		 "fsname=cardsim,subtype=cardsim,max_read=%d%s%s", MAX_IO,
		 cfg.fuse_opts ? "," : "", cfg.fuse_opts ? cfg.fuse_opts : "");
	if (fuse_opt_add_arg(args, argv0) || fuse_opt_add_arg(args, "-o") ||
	    fuse_opt_add_arg(args, opts))
		return -1;
	if (cfg.debug && fuse_opt_add_arg(args, "-d"))
		return -1;
	return 0;
}

static int serve(struct fuse *f)
{
	struct fuse_loop_config *loop = fuse_loop_cfg_create();
	int rc;

	if (!loop)
		return -1;
	fuse_loop_cfg_set_clone_fd(loop, 0);
	rc = fuse_loop_mt(f, loop);
	fuse_loop_cfg_destroy(loop);
	/* 0: unmounted; > 0: the signal that asked us to stop. */
	return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse *f = NULL;
	pthread_t stats_tid;
	bool stats_started = false;
	sigset_t usr1;
	int rc = 1;

	parse_args(argc, argv);
	start_time = time(NULL);
	if (cfg.vanish_set && cfg.vanish_after == 0)
		atomic_store(&vanished, true);

	/* Blocked before any thread exists, so all of them inherit it. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);

	if (open_backing() || build_fuse_args(&args, argv[0]))
		goto out;
	f = fuse_new(&args, &cs_ops, sizeof(cs_ops), NULL);
	if (!f)
		goto out;
	session = fuse_get_session(f);
	if (fuse_mount(f, cfg.mountpoint) != 0)
		goto out;
	/*
	 * A shell starts background jobs with SIGINT ignored, and libfuse
	 * only takes over signals left at their default: reset them, so that
	 * SIGINT unmounts a card started with "&" too.
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (fuse_set_signal_handlers(session) != 0)
		goto unmount;
	if (cfg.stats_path) {
		if (pthread_create(&stats_tid, NULL, stats_thread, NULL) != 0)
			goto handlers;
		stats_started = true;
	}
	rc = serve(f) || atomic_load(&ready_failed) ? 1 : 0;

	if (stats_started) {
		atomic_store(&stats_quit, true);
		pthread_kill(stats_tid, SIGUSR1);
		pthread_join(stats_tid, NULL);
	}
	stats_write();
handlers:
	fuse_remove_signal_handlers(session);
unmount:
	if (cfg.ready_path)
		unlink(cfg.ready_path);
	fuse_unmount(f);
out:
	if (f)
		fuse_destroy(f);
	fuse_opt_free_args(&args);
	free(cfg.fuse_opts);
	if (backing_fd >= 0)
		close(backing_fd);
	return rc;
}
