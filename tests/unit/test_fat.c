/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The FAT32 library (src/fat/) against images made by mtools and dosfstools:
 * geometry, names, chains, contents, the allocation for prepare (checked
 * with mtype, minfo, mshowfat, fsck.fat and mren), deliberate faults, and
 * other file systems.
 * Tests that need a missing tool are skipped.  Images are sparse files in a
 * private temporary directory, removed at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fat/alloc.h"
#include "fat/fat.h"
#include "lib/byteorder.h"
#include "tap.h"

#define MiB (1024u * 1024)

static char tmp[256];   /* the private directory; short, so paths fit */

/* ------------------------------------------------------------------ */
/* I/O callbacks                                                       */

struct fileio {
	int fd;
	uint64_t fail_from;     /* reads ending past this fail ... */
	int fail_err;           /* ... with this errno, when set */
	unsigned misaligned;    /* requests breaking fat.h's promise */
	unsigned writes;
};

static void check_contract(struct fileio *f, uint64_t off, const void *buf, size_t len)
{
	if (off % 512 || len % 512 || len == 0 || (uintptr_t)buf % 4096)
		f->misaligned++;
}

static int file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct fileio *f = ctx;
	ssize_t n;

	check_contract(f, off, buf, len);
	if (f->fail_err && off + len > f->fail_from)
		return -f->fail_err;
	n = pread(f->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int file_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	struct fileio *f = ctx;
	ssize_t n;

	check_contract(f, off, buf, len);
	f->writes++;
	n = pwrite(f->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

struct memio {
	const uint8_t *p;
	size_t len;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct memio *m = ctx;

	if (off > m->len || len > m->len - off)
		return -EIO;
	memcpy(buf, m->p + off, len);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tools and images                                                    */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Output of a command, NUL-terminated (malloc'd), or NULL. */
static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_out(const char *fmt, ...)
{
	char cmd[8192];
	size_t len = 0, cap = 65536;
	char *out = malloc(cap);
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p || !out) {
		free(out);
		if (p)
			pclose(p);
		return NULL;
	}
	while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *bigger = realloc(out, cap * 2);

			if (!bigger)
				break;
			out = bigger;
			cap *= 2;
		}
	}
	out[len] = '\0';
	pclose(p);
	return out;
}

/* Multi-line output as TAP comments. */
static void diag_lines(const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");

		diag("%.*s", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

static bool have(const char *tool)
{
	return sh("command -v %s >/dev/null 2>&1", tool) == 0;
}

static int open_file(struct fileio *f, const char *name, bool rw)
{
	char path[PATH_MAX];

	memset(f, 0, sizeof(*f));
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	f->fd = open(path, rw ? O_RDWR : O_RDONLY);
	return f->fd;
}

static struct fat_io io_of(struct fileio *f, bool rw)
{
	struct fat_io io = { f, file_read, rw ? file_write : NULL };

	return io;
}

static struct fat_vol *vopen(struct fileio *f, uint64_t off, uint64_t size, bool rw)
{
	struct fat_io io = io_of(f, rw);
	struct fat_vol *v = NULL;
	struct errmsg err;
	int r = fat_open(&io, off, size, &v, &err);

	if (r)
		diag("fat_open: %d %s", r, err.text);
	return v;
}

static void put32(int fd, uint64_t off, uint32_t val)
{
	uint8_t b[4];

	put_le32(b, val);
	if (pwrite(fd, b, 4, (off_t)off) != 4)
		diag("pwrite: %s", strerror(errno));
}

static void put16(int fd, uint64_t off, uint16_t val)
{
	uint8_t b[2];

	put_le16(b, val);
	if (pwrite(fd, b, 2, (off_t)off) != 2)
		diag("pwrite: %s", strerror(errno));
}

/* FAT entry c of copy k, as the card holds it. */
static void set_fat(int fd, const struct fat_geom *g, unsigned k, uint32_t c, uint32_t val)
{
	put32(fd, g->part_offset + g->fat_offset + k * g->fat_bytes + (uint64_t)c * 4, val);
}

static void set_fat_all(int fd, const struct fat_geom *g, uint32_t c, uint32_t val)
{
	for (unsigned k = 0; k < g->num_fats; k++)
		set_fat(fd, g, k, c, val);
}

static void set_first_cluster(int fd, const struct fat_geom *g,
			      const struct fat_dirent *de, uint32_t c)
{
	uint64_t e = g->part_offset + de->entry_offset;

	put16(fd, e + 20, (uint16_t)(c >> 16));
	put16(fd, e + 26, (uint16_t)c);
}

/* A file of pseudo-random bytes (xorshift), for content checks. */
static int make_data(const char *name, size_t len, uint64_t seed)
{
	char path[PATH_MAX];
	uint8_t *buf = malloc(len ? len : 1);
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	fp = fopen(path, "w");
	if (!fp || !buf) {
		free(buf);
		if (fp)
			fclose(fp);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		buf[i] = (uint8_t)seed;
	}
	fwrite(buf, 1, len, fp);
	free(buf);
	return fclose(fp);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	uint8_t *buf = NULL;
	long n;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0) {
		buf = malloc((size_t)n + 1);
		rewind(fp);
		if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(fp);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Reading a file through its extents                                  */

struct gather {
	int fd;
	uint8_t *buf;
	uint64_t size;
	unsigned runs;
};

static int gather_run(void *arg, const struct fat_extent *e)
{
	struct gather *g = arg;

	g->runs++;
	if (e->file_off + e->len > g->size)
		return -ERANGE;
	if (pread(g->fd, g->buf + e->file_off, e->len, (off_t)e->card_off) != (ssize_t)e->len)
		return -EIO;
	return 0;
}

/* Does the file at path read (through the library) exactly as mtype prints it? */
static bool same_as_mtype(struct fat_vol *v, struct fileio *f, const char *img,
			  uint64_t off, const char *path, unsigned *runs)
{
	struct fat_dirent de;
	struct gather g = { .fd = f->fd };
	char out[PATH_MAX];
	uint8_t *want;
	size_t len = 0;
	bool same;

	if (fat_lookup(v, path, &de, NULL, 0, NULL))
		return false;
	snprintf(out, sizeof(out), "%s/mtype.out", tmp);
	if (sh("mtype -i '%s/%s@@%llu' '::%s' > '%s'", tmp, img,
	       (unsigned long long)off, path, out))
		return false;
	want = slurp(out, &len);
	g.size = de.size;
	g.buf = malloc(de.size + 1);
	if (!want || !g.buf || len != de.size ||
	    fat_extents(v, &de, gather_run, &g, NULL) != 0) {
		free(want);
		free(g.buf);
		return false;
	}
	same = memcmp(want, g.buf, len) == 0;
	if (runs)
		*runs = g.runs;
	free(want);
	free(g.buf);
	return same;
}

/* mshowfat prints "::/path <a-b> <c>": the runs of the chain. */
static bool same_as_mshowfat(struct fat_vol *v, const char *img, uint64_t off,
			     const char *path)
{
	char *out = sh_out("mshowfat -i '%s/%s@@%llu' '::%s'", tmp, img,
			   (unsigned long long)off, path);
	struct fat_dirent de;
	char mine[4096] = "", *p;
	uint32_t c, start, count = 0;
	bool same;

	if (!out || fat_lookup(v, path, &de, NULL, 0, NULL)) {
		free(out);
		return false;
	}
	/* rebuild the same text from the chain via fat_map_offset */
	start = c = de.first_cluster;
	for (uint64_t o = 0; o < de.size; o += fat_geometry(v)->cluster_size) {
		uint64_t card;
		uint32_t next;

		if (fat_map_offset(v, &de, o, &card, NULL))
			break;
		next = (uint32_t)((card - fat_geometry(v)->part_offset -
				   fat_geometry(v)->data_offset) /
				  fat_geometry(v)->cluster_size + 2);
		if (count && next != c + 1) {
			size_t n = strlen(mine);

			snprintf(mine + n, sizeof(mine) - n, start == c ? "<%u> " : "<%u-%u> ",
				 start, c);
			start = next;
		}
		c = next;
		count++;
	}
	if (count) {
		size_t n = strlen(mine);

		snprintf(mine + n, sizeof(mine) - n, start == c ? "<%u>" : "<%u-%u>",
			 start, c);
	}
	p = strchr(out, '<');
	if (p)
		p[strcspn(p, "\n")] = '\0';
	same = p && !strcmp(p, mine);
	if (!same) {
		diag("src/fat: \"%s\", mshowfat:", mine);
		diag_lines(p ? p : out);
	}
	free(out);
	return same;
}

/* A "key=value" or "key: value" number from minfo's output. */
static unsigned long long minfo_num(const char *out, const char *key, int base)
{
	const char *p = strstr(out, key);

	return p ? strtoull(p + strlen(key), NULL, base) : ~0ull;
}

/* ------------------------------------------------------------------ */
/* Identification without tools                                        */

static void test_identify_synthetic(void)
{
	static uint8_t img[8192];
	struct memio m = { img, sizeof(img) };
	struct fat_io io = { &m, mem_read, NULL };
	struct fat_vol *v;
	enum fat_kind k;
	struct errmsg err;

	memset(img, 0, sizeof(img));
	ok(fat_identify(&io, 0, sizeof(img), &k, NULL) == 0 && k == FAT_KIND_BLANK, "zeros: blank");
	is_int(fat_open(&io, 0, sizeof(img), &v, &err), -EMEDIUMTYPE,
	       "zeros: fat_open says not FAT32");
	ok(strstr(err.text, "blank") != NULL, "zeros: message names it (%s)", err.text);
	memset(img, 0xff, sizeof(img));
	ok(fat_identify(&io, 0, sizeof(img), &k, NULL) == 0 && k == FAT_KIND_BLANK, "0xff: blank");
	ok(fat_identify(&io, 0, 100, &k, NULL) == 0 && k == FAT_KIND_TOO_SMALL, "100 bytes: too small");

	memset(img, 0, sizeof(img));
	memcpy(img + 3, "EXFAT   ", 8);
	ok(fat_identify(&io, 0, sizeof(img), &k, NULL) == 0 && k == FAT_KIND_EXFAT, "exFAT OEM name");
	memcpy(img + 3, "NTFS    ", 8);
	ok(fat_identify(&io, 0, sizeof(img), &k, NULL) == 0 && k == FAT_KIND_NTFS, "NTFS OEM name");

	memset(img, 0, sizeof(img));
	img[446] = 0x80;
	img[446 + 4] = 0x0c;
	img[446 + 9] = 0x08;	/* starts at sector 2048 */
	img[446 + 14] = 0x01;	/* 65536 sectors */
	img[510] = 0x55;
	img[511] = 0xaa;
	ok(fat_identify(&io, 0, sizeof(img), &k, NULL) == 0 && k == FAT_KIND_PARTITION_TABLE,
	   "an MBR: a whole disk");
	is_int(fat_open(&io, 0, sizeof(img), &v, &err), -EMEDIUMTYPE,
	       "an MBR: not FAT32");

	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + 3);
	ok(fat_identify(&io, 0, sizeof(img), &k, NULL) == 0 && k == FAT_KIND_UNKNOWN, "garbage: unknown");
	ok(fat_identify(&io, 8192, 8192, &k, NULL) == -EIO, "a read error is passed on");
	ok(fat_open(&io, 8192, 8192, &v, &err) == -EIO, "fat_open passes -EIO on");
	ok(fat_open(&io, UINT64_MAX - 10, 4096, &v, &err) == -EINVAL,
	   "an offset that overflows is refused");
	ok(fat_warning_text(FAT_WARN_DIRTY) && !fat_warning_text(FAT_WARN_LAST << 1),
	   "warning texts");
}

/* ------------------------------------------------------------------ */
/* The reader on an mformat image                                      */

#define A_IMG "a.img"
#define A_OFF (1ull * MiB)
#define A_SIZE (64ull * MiB)

static bool make_image_a(void)
{
	return sh("cd '%s' && truncate -s 65M " A_IMG
		  " && mformat -i " A_IMG "@@1M -F -T 131072 -H 2048 -c 1 -v TESTVOL ::"
		  " && mmd -i " A_IMG "@@1M ::dload ::dload/sub ::Mixed"
		  " && mcopy -i " A_IMG "@@1M /dev/null ::dload/UPDATE.TMP"
		  " && mcopy -i " A_IMG "@@1M d1 '::dload/A long name with spaces.bin'"
		  " && mcopy -i " A_IMG "@@1M d2 ::dload/sub/small.txt"
		  " && mcopy -i " A_IMG "@@1M d3 ::hole1"
		  " && mcopy -i " A_IMG "@@1M d3 ::keep1"
		  " && mcopy -i " A_IMG "@@1M d3 ::hole2"
		  " && mcopy -i " A_IMG "@@1M d3 ::keep2"
		  " && mdel -i " A_IMG "@@1M ::hole1 ::hole2"
		  /* mtools allocates after FSInfo's last allocated cluster: make
		   * it 2, so that frag.bin fills both holes, then goes on */
		  " && printf '\\002' | dd of=" A_IMG " bs=1 seek=%llu conv=notrunc status=none"
		  " && mcopy -i " A_IMG "@@1M d4 ::frag.bin"
		  " && LC_ALL=C.UTF-8 mcopy -i " A_IMG "@@1M d2 '::Ünïcödé name €.txt'",
		  tmp, A_OFF + 512 + 492) == 0;
}

static void test_reader(void)
{
	struct fileio f;
	struct fat_vol *v;
	const struct fat_geom *g;
	struct fat_dirent de;
	struct fat_dir *d;
	struct fat_chain_report cr;
	struct fat_tree_report tr;
	struct fat_fat_diff diff;
	char stored[256], *info;
	unsigned runs = 0, n = 0;
	bool found_long = false, found_mixed = false, same;
	uint64_t card;
	int r;

	if (make_data("d1", 100000, 1) || make_data("d2", 77, 2) ||
	    make_data("d3", 3000, 3) || make_data("d4", 9000, 4) || !make_image_a()) {
		ok(0, "mformat image with files");
		return;
	}
	open_file(&f, A_IMG, false);
	v = vopen(&f, A_OFF, A_SIZE, false);
	if (!ok(v != NULL, "fat_open on an mformat image")) {
		close(f.fd);
		return;
	}
	g = fat_geometry(v);
	is_int(g->bytes_per_sector, 512, "bytes per sector");
	is_int(g->sectors_per_cluster, 1, "sectors per cluster");
	is_int(g->num_fats, 2, "two FATs");
	is_int(g->hidden_sectors, 2048, "hidden sectors");
	is_int(g->total_sectors, 131072, "total sectors");
	is_int(g->root_cluster, 2, "root cluster");
	/* mformat's OEM name and drive number are not fatgen103's */
	is_int(g->warnings & ~FAT_WARN_STRICT, 0, "no warnings but fatgen103's points");
	ok(g->warnings & FAT_WARN_OEM_NAME, "mformat's OEM name is seen");
	is_str(g->label, "TESTVOL", "boot-sector label");
	ok(g->has_root_label && !strcmp(g->root_label, "TESTVOL"), "root-directory label");
	is_str(g->fs_type, "FAT32", "file-system type field");
	info = sh_out("minfo -i '%s/" A_IMG "@@1M' ::", tmp);
	ok(info && minfo_num(info, "Big fatlen=", 10) == g->fat_sectors, "FAT size as minfo");
	ok(info && minfo_num(info, "serial number: ", 16) == g->volume_id, "volume id as minfo");
	ok(info && minfo_num(info, "free clusters=", 10) == g->fsinfo_free,
	   "FSInfo free count as minfo");
	ok(info && minfo_num(info, "reserved (boot) sectors: ", 10) == g->reserved_sectors,
	   "reserved sectors as minfo");
	free(info);
	/* fsck.fat said so for the same mformat command line */
	is_int(g->data_offset, 1049600, "data area offset");
	is_int(g->cluster_count, 129022, "cluster count");

	r = fat_lookup(v, "DLOAD/update.tmp", &de, stored, sizeof(stored), NULL);
	ok(r == 0 && de.size == 0 && de.first_cluster == 0, "case-blind look-up of an empty file");
	is_str(stored, "dload/UPDATE.TMP", "the path as stored (mtools: lower-case flag)");
	ok(fat_lookup(v, "dload", &de, NULL, 0, NULL) == 0 && (de.attr & FAT_ATTR_DIRECTORY) &&
	   !strcmp(de.short_name, "DLOAD") && !strcmp(de.name, "dload"),
	   "8.3 name DLOAD shown as dload");
	is_int(fat_lookup(v, "dload/nope", &de, NULL, 0, NULL), -ENOENT, "missing file: -ENOENT");
	is_int(fat_lookup(v, "dload/UPDATE.TMP/x", &de, NULL, 0, NULL), -ENOTDIR,
	       "a file used as a directory: -ENOTDIR");
	ok(fat_lookup(v, "/", &de, NULL, 0, NULL) == 0 && (de.flags & FAT_DE_ROOT), "the root");
	r = fat_lookup(v, "/dload//a LONG name WITH spaces.BIN", &de, stored, sizeof(stored), NULL);
	ok(r == 0 && de.size == 100000 && (de.flags & FAT_DE_LFN), "long name, any case");
	is_str(stored, "dload/A long name with spaces.bin", "long name as stored");
	ok(fat_lookup(v, "dload/ALONGN~1.BIN", &de, NULL, 0, NULL) == 0, "its 8.3 alias");
	ok(fat_lookup(v, "Ünïcödé NAME €.TXT", &de, stored, sizeof(stored), NULL) == 0 &&
	   !strcmp(stored, "Ünïcödé name €.txt") && de.size == 77, "non-ASCII long name");
	ok(de.mtime.year >= 2020 && de.mtime.month >= 1 && de.mtime.month <= 12,
	   "a plausible mtime (%u-%u-%u)", de.mtime.year, de.mtime.month, de.mtime.day);

	ok(fat_dir_open(v, NULL, &d, NULL) == 0, "open the root");
	while ((r = fat_dir_next(d, &de, NULL)) > 0) {
		n++;
		if (!strcmp(de.name, "Mixed") && (de.flags & FAT_DE_LFN))
			found_mixed = true;
		if (!strcmp(de.name, "Ünïcödé name €.txt"))
			found_long = true;
	}
	fat_dir_close(d);
	ok(r == 0 && n == 6, "root lists 6 entries (got %u)", n);
	ok(found_mixed && found_long, "names come from the long entries");

	same = same_as_mtype(v, &f, A_IMG, A_OFF, "dload/A long name with spaces.bin", &runs);
	ok(same && runs == 1, "contents via extents equal mtype (%u run)", runs);
	ok(same_as_mtype(v, &f, A_IMG, A_OFF, "dload/sub/small.txt", NULL), "small file equals mtype");
	same = same_as_mtype(v, &f, A_IMG, A_OFF, "frag.bin", &runs);
	ok(same && runs == 3, "fragmented file equals mtype (%u runs)", runs);
	ok(same_as_mshowfat(v, A_IMG, A_OFF, "frag.bin"), "chain of frag.bin as mshowfat");
	ok(same_as_mshowfat(v, A_IMG, A_OFF, "dload/A long name with spaces.bin"),
	   "chain of the long file as mshowfat");

	fat_lookup(v, "frag.bin", &de, NULL, 0, NULL);
	r = fat_check_chain(v, &de, &cr, NULL);
	ok(r == 0 && cr.problem == FAT_CHAIN_OK && cr.clusters == 18 && cr.expected == 18 &&
	   cr.runs == 3, "frag.bin: chain of 18 clusters in %u runs", cr.runs);
	ok(fat_map_offset(v, &de, 8999, &card, NULL) == 0 && card > A_OFF, "map the last byte");
	is_int(fat_map_offset(v, &de, 9000, &card, NULL), -EINVAL, "map past the end: -EINVAL");
	fat_lookup(v, "dload", &de, NULL, 0, NULL);
	ok(fat_check_chain(v, &de, &cr, NULL) == 0 && cr.problem == FAT_CHAIN_OK, "a directory's chain");

	fat_lookup(v, "dload/A long name with spaces.bin", &de, NULL, 0, NULL);
	ok(fat_check_tree(v, &de, &tr, NULL) == 0, "walk the tree");
	ok(tr.files == 7 && tr.dirs == 3, "7 files, 3 directories (%u, %u)", tr.files, tr.dirs);
	ok(tr.target_xlinks == 0 && tr.other_xlinks == 0 && tr.bad_chains == 0 &&
	   tr.lost_clusters == 0 && tr.unreadable_dirs == 0, "nothing wrong");
	is_int(tr.free_clusters, g->fsinfo_free, "free count agrees with FSInfo");
	is_int(tr.used_clusters + tr.free_clusters, g->cluster_count, "used + free = all");
	is_int(fat_compare_fats(v, NULL, &diff, NULL), 0, "the two FATs agree");
	is_int(fat_compare_fats(v, &de, &diff, NULL), 0, "the two FATs agree over a file");
	is_int(f.misaligned, 0, "every request 512-aligned, buffers 4096-aligned");
	fat_close(v);
	close(f.fd);
}

/* ------------------------------------------------------------------ */
/* Faults                                                              */

static struct fat_vol *fault_copy(struct fileio *f)
{
	if (sh("cp --sparse=always '%s/" A_IMG "' '%s/fault.img'", tmp, tmp)) {
		f->fd = -1;
		return NULL;
	}
	open_file(f, "fault.img", true);
	return vopen(f, A_OFF, A_SIZE, false);
}

static struct fat_vol *reopen(struct fileio *f, struct fat_vol *v)
{
	fat_close(v);
	return vopen(f, A_OFF, A_SIZE, false);
}

static void chain_fault(const char *what, uint32_t index, uint32_t value,
			enum fat_chain_problem want)
{
	struct fileio f;
	struct fat_vol *v = fault_copy(&f);
	struct fat_chain_report cr;
	struct fat_tree_report tr;
	struct fat_dirent de;
	uint64_t card;
	uint32_t c;

	if (!v || fat_lookup(v, "dload/A long name with spaces.bin", &de, NULL, 0, NULL)) {
		ok(0, "%s: set up", what);
		goto out;
	}
	c = de.first_cluster + index;	/* the file is contiguous */
	set_fat_all(f.fd, fat_geometry(v), c, value == 0xdead ? de.first_cluster : value);
	v = reopen(&f, v);
	fat_check_chain(v, &de, &cr, NULL);
	ok(cr.problem == want && cr.at_cluster == c,
	   "%s: %s at cluster %u (%u)", what, fat_chain_problem_text(cr.problem),
	   cr.at_cluster, cr.problem);
	ok(fat_check_tree(v, NULL, &tr, NULL) == 0 && tr.bad_chains == 1 &&
	   strstr(tr.first_bad_chain, "A long name"), "%s: the tree walk names the file", what);
	if (index + 1 < cr.expected)
		ok(fat_map_offset(v, &de, de.size - 1, &card, NULL) == -EUCLEAN ||
		   want == FAT_CHAIN_LOOP, "%s: mapping past the break fails", what);
out:
	fat_close(v);
	if (f.fd >= 0)
		close(f.fd);
}

static void test_faults(void)
{
	struct fileio f;
	struct fat_vol *v;
	struct fat_dirent a, b, sub, de;
	struct fat_chain_report cr;
	struct fat_tree_report tr;
	struct errmsg err;
	struct fat_fat_diff diff;
	struct fat_dir *d;
	uint8_t byte;
	int r;

	chain_fault("truncated", 10, 0x0ffffff8, FAT_CHAIN_SHORT);
	chain_fault("link to a free cluster", 5, 0, FAT_CHAIN_FREE);
	chain_fault("link to a bad cluster", 5, 0x0ffffff7, FAT_CHAIN_BAD);
	chain_fault("link to a reserved value", 5, 0x0ffffff0, FAT_CHAIN_RESERVED);
	chain_fault("link to cluster 1", 5, 1, FAT_CHAIN_RESERVED);
	chain_fault("link past the end", 5, 0x0fff0000, FAT_CHAIN_RANGE);
	chain_fault("loop", 100, 0xdead, FAT_CHAIN_LOOP);

	/* one FAT copy differs */
	v = fault_copy(&f);
	if (v && fat_lookup(v, "frag.bin", &a, NULL, 0, NULL) == 0 &&
	    fat_lookup(v, "dload/sub/small.txt", &b, NULL, 0, NULL) == 0) {
		set_fat(f.fd, fat_geometry(v), 1, a.first_cluster, 0x0ffffff8);
		r = fat_compare_fats(v, &a, &diff, NULL);
		ok(r == 1 && diff.cluster == a.first_cluster && diff.copy == 1 &&
		   diff.value == 0x0ffffff8 && diff.active_value == a.first_cluster + 1,
		   "second FAT differs over frag.bin at cluster %u", diff.cluster);
		is_int(fat_compare_fats(v, &b, &diff, NULL), 0, "... but not over small.txt");
		r = fat_compare_fats(v, NULL, &diff, NULL);
		ok(r == 1 && diff.cluster == a.first_cluster,
		   "... and the whole-FAT comparison finds it");
		ok(fat_check_chain(v, &a, &cr, NULL) == 0 && cr.problem == FAT_CHAIN_OK,
		   "the active FAT still chains frag.bin");
	} else {
		ok(0, "FAT copy fault: set up");
	}
	fat_close(v);
	close(f.fd);

	/* cross-links */
	v = fault_copy(&f);
	if (v && fat_lookup(v, "dload/A long name with spaces.bin", &a, NULL, 0, NULL) == 0 &&
	    fat_lookup(v, "keep1", &b, NULL, 0, NULL) == 0 &&
	    fat_lookup(v, "keep2", &de, NULL, 0, NULL) == 0) {
		set_first_cluster(f.fd, fat_geometry(v), &b, a.first_cluster + 50);
		fat_lookup(v, "frag.bin", &sub, NULL, 0, NULL);
		set_first_cluster(f.fd, fat_geometry(v), &de, sub.first_cluster + 3);
		v = reopen(&f, v);
		r = fat_check_tree(v, &a, &tr, NULL);
		ok(r == 0 && tr.target_xlinks == 1 &&
		   !strcmp(tr.first_target_xlink, "keep1") &&
		   tr.target_xlink_cluster == a.first_cluster + 50,
		   "keep1 cross-linked with the target at cluster %u (%s)",
		   tr.target_xlink_cluster, tr.first_target_xlink);
		ok(tr.other_xlinks == 1 && !strcmp(tr.first_other_xlink, "keep2"),
		   "keep2 cross-linked with another file (%s)", tr.first_other_xlink);
		ok(tr.lost_clusters == 12, "the clusters nobody points at are lost (%u)",
		   tr.lost_clusters);
		fat_lookup(v, "keep1", &b, NULL, 0, NULL);
		ok(fat_check_chain(v, &b, &cr, NULL) == 0 && cr.problem == FAT_CHAIN_LONG,
		   "keep1's chain is now longer than its size");
	} else {
		ok(0, "cross-link: set up");
	}
	fat_close(v);
	close(f.fd);

	/* a directory cycle: dload/sub is dload */
	v = fault_copy(&f);
	if (v && fat_lookup(v, "dload", &a, NULL, 0, NULL) == 0 &&
	    fat_lookup(v, "dload/sub", &sub, NULL, 0, NULL) == 0) {
		set_first_cluster(f.fd, fat_geometry(v), &sub, a.first_cluster);
		v = reopen(&f, v);
		r = fat_check_tree(v, NULL, &tr, NULL);
		ok(r == 0 && tr.other_xlinks == 1 &&
		   !strcmp(tr.first_other_xlink, "dload/sub"),
		   "a directory cycle ends as a cross-link (%s)", tr.first_other_xlink);
		ok(fat_lookup(v, "dload/sub/sub/sub/sub/UPDATE.TMP", &de, NULL, 0, NULL) == 0,
		   "look-ups still work inside the cycle");
	} else {
		ok(0, "directory cycle: set up");
	}
	fat_close(v);
	close(f.fd);

	/* a long name whose 8.3 entry changed: checksum mismatch */
	v = fault_copy(&f);
	if (v && fat_lookup(v, "dload/A long name with spaces.bin", &a, NULL, 0, NULL) == 0) {
		byte = 'Q';
		if (pwrite(f.fd, &byte, 1, (off_t)(A_OFF + a.entry_offset + 1)) != 1)
			diag("pwrite failed");
		v = reopen(&f, v);
		ok(fat_lookup(v, "dload/A long name with spaces.bin", &de, NULL, 0, NULL) == -ENOENT,
		   "long name with a bad checksum is not used");
		ok(fat_lookup(v, "dload/AQONGN~1.BIN", &de, NULL, 0, NULL) == 0 &&
		   (de.flags & FAT_DE_LFN_BAD) && !strcmp(de.name, "AQONGN~1.BIN"),
		   "the entry falls back to its 8.3 name, flagged");
		fat_lookup(v, "dload", &de, NULL, 0, NULL);
		fat_dir_open(v, &de, &d, NULL);
		while (fat_dir_next(d, &de, NULL) > 0 && strcmp(de.name, "sub"))
			;
		ok(!(de.flags & FAT_DE_LFN_BAD), "the next entry is not flagged");
		fat_dir_close(d);
	} else {
		ok(0, "LFN checksum: set up");
	}
	fat_close(v);
	close(f.fd);

	/* I/O errors are passed on */
	v = fault_copy(&f);
	if (v) {
		f.fail_err = EIO;
		f.fail_from = A_OFF + fat_geometry(v)->data_offset;
		is_int(fat_check_tree(v, NULL, &tr, &err), -EIO, "an I/O error ends the tree walk: -EIO");
		ok(strstr(err.text, "cannot read") != NULL, "and says where (%s)", err.text);
	} else {
		ok(0, "I/O error: set up");
	}
	fat_close(v);
	close(f.fd);
}

/* The boot sector, damaged field by field. */
static void boot_fault(const char *what, unsigned off, unsigned len, uint32_t val,
		       int want, unsigned want_warn)
{
	struct fileio f;
	struct fat_vol *v = fault_copy(&f);
	struct fat_io io;
	struct errmsg err;
	int r;

	fat_close(v);
	if (f.fd < 0) {
		ok(0, "%s: set up", what);
		return;
	}
	if (len == 4)
		put32(f.fd, A_OFF + off, val);
	else if (len == 2)
		put16(f.fd, A_OFF + off, (uint16_t)val);
	else if (pwrite(f.fd, &val, 1, (off_t)(A_OFF + off)) != 1)
		diag("pwrite failed");
	io = io_of(&f, false);
	v = NULL;
	r = fat_open(&io, A_OFF, A_SIZE, &v, &err);
	if (want)
		ok(r == want, "%s: fails with %d (%s)", what, r, err.text);
	else
		ok(r == 0 && (fat_geometry(v)->warnings & want_warn), "%s: warning %s", what,
		   fat_warning_text(want_warn));
	fat_close(v);
	close(f.fd);
}

static void test_boot_faults(void)
{
	boot_fault("bytes per sector 300", 11, 2, 300, -EUCLEAN, 0);
	boot_fault("no 0x55AA", 510, 2, 0, -EUCLEAN, 0);
	boot_fault("root cluster 0", 44, 4, 0, -EUCLEAN, 0);
	boot_fault("root cluster past the end", 44, 4, 200000, -EUCLEAN, 0);
	boot_fault("more sectors than the partition", 32, 4, 140000, -EUCLEAN, 0);
	boot_fault("FAT too small", 36, 4, 100, -EUCLEAN, 0);
	boot_fault("FATs fill the disk", 36, 4, 70000, -EUCLEAN, 0);
	boot_fault("sectors per cluster 3", 13, 1, 3, -EUCLEAN, 0);
	boot_fault("no FAT", 16, 1, 0, -EUCLEAN, 0);
	boot_fault("root entries on FAT32", 17, 2, 512, -EUCLEAN, 0);
	boot_fault("active FAT 5 of 2", 40, 2, 0x85, -EUCLEAN, 0);
	boot_fault("FSInfo signature", 512, 4, 0, 0, FAT_WARN_FSINFO);
	boot_fault("FSInfo free count", 512 + 488, 4, 999999, 0, FAT_WARN_FSINFO_RANGE);
	boot_fault("hidden sectors", 28, 4, 63, 0, FAT_WARN_HIDDEN);
	boot_fault("backup boot sector", 6 * 512 + 71, 1, 'X', 0, FAT_WARN_BACKUP_BOOT);
	boot_fault("jump", 0, 1, 0, 0, FAT_WARN_JUMP);
	boot_fault("dirty", 16384 + 7, 1, 0x07, 0, FAT_WARN_DIRTY);
	boot_fault("mirroring off", 40, 2, 0x81, 0, FAT_WARN_NO_MIRROR);
}

/* ------------------------------------------------------------------ */
/* Other file systems                                                  */

static void other_fs(const char *what, const char *cmd, enum fat_kind want)
{
	struct fileio f;
	struct fat_io io;
	struct fat_vol *v = NULL;
	enum fat_kind k = FAT_KIND_UNKNOWN;
	struct errmsg err = { "" };
	int r;

	if (sh("cd '%s' && rm -f other.img && truncate -s 32M other.img && %s >/dev/null 2>&1",
	       tmp, cmd)) {
		skip(2, "cannot make the image");
		return;
	}
	open_file(&f, "other.img", false);
	io = io_of(&f, false);
	r = fat_identify(&io, 0, 32 * MiB, &k, NULL);
	ok(r == 0 && k == want, "%s: identified as %s", what, fat_kind_name(k));
	ok(fat_open(&io, 0, 32 * MiB, &v, &err) == -EMEDIUMTYPE &&
	   strstr(err.text, fat_kind_name(want)), "%s: refused (%s)", what, err.text);
	close(f.fd);
}

static void test_other_fs(void)
{
	if (have("mkfs.exfat"))
		other_fs("mkfs.exfat", "mkfs.exfat other.img", FAT_KIND_EXFAT);
	else
		skip(2, "no mkfs.exfat");
	if (have("mkfs.ext4")) {
		other_fs("mkfs.ext4", "mkfs.ext4 -q -F other.img", FAT_KIND_EXT4);
		other_fs("mkfs.ext2", "mkfs.ext4 -q -F -t ext2 other.img", FAT_KIND_EXT2);
		other_fs("mkfs.ext3", "mkfs.ext4 -q -F -t ext3 other.img", FAT_KIND_EXT3);
	} else {
		skip(6, "no mkfs.ext4");
	}
	other_fs("mkfs.fat -F 16", "mkfs.fat -F 16 other.img", FAT_KIND_FAT16);
	other_fs("mkfs.fat -F 12", "truncate -s 2M other.img && mkfs.fat -F 12 other.img",
		 FAT_KIND_FAT12);
	if (have("sfdisk"))
		other_fs("an MBR (sfdisk)", "echo 'start=2048, type=c' | sfdisk -q other.img",
			 FAT_KIND_PARTITION_TABLE);
	else
		skip(2, "no sfdisk");
}

/* ------------------------------------------------------------------ */
/* Allocation                                                          */

/*
 * Copy the partition out of a sparse image, data segments only: dd would
 * read hundreds of MiB of holes.
 */
static int extract(const char *img, uint64_t off, uint64_t size, const char *part)
{
	char src[PATH_MAX], dst[PATH_MAX];
	static char buf[1 << 20];
	int in, out, r = -1;
	off_t pos = (off_t)off, end = (off_t)(off + size);

	snprintf(src, sizeof(src), "%s/%s", tmp, img);
	snprintf(dst, sizeof(dst), "%s/%s", tmp, part);
	in = open(src, O_RDONLY);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in < 0 || out < 0 || ftruncate(out, (off_t)size))
		goto done;
	while (pos < end && (pos = lseek(in, pos, SEEK_DATA)) >= 0 && pos < end) {
		off_t hole = lseek(in, pos, SEEK_HOLE);
		size_t n = (size_t)((hole < end ? hole : end) - pos);
		ssize_t got;

		if (n > sizeof(buf))
			n = sizeof(buf);
		got = pread(in, buf, n, pos);
		if (got <= 0 || pwrite(out, buf, (size_t)got, pos - (off_t)off) != got)
			goto done;
		pos += got;
	}
	r = 0;
done:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return r;
}

/* fsck.fat has no offset option: check a copy of the partition. */
static bool fsck_clean(const char *img, uint64_t off, uint64_t size, bool quiet)
{
	char *out;
	bool clean;

	if (extract(img, off, size, "part.img"))
		return false;
	out = sh_out("fsck.fat -n '%s/part.img' 2>&1; echo rc=$?", tmp);
	clean = out && strstr(out, "rc=0") && !strstr(out, "wrong") && !strstr(out, "Free");
	if (!clean && !quiet)
		diag_lines(out ? out : "fsck.fat did not run");
	free(out);
	return clean;
}

struct alloc_case {
	const char *what;
	const char *mkfs;       /* %s: the image */
	uint64_t off, size;     /* partition */
	uint64_t file_size, align;
};

static void test_alloc_case(const struct alloc_case *t)
{
	struct fileio f;
	struct fat_vol *v;
	struct fat_extent ext;
	struct fat_dirent de;
	struct fat_tree_report tr;
	struct errmsg err;
	struct fat_chain_report cr;
	char data[64], part[64], *info;
	unsigned runs = 0;
	uint32_t free_before;
	int r;

	snprintf(data, sizeof(data), "u%llu", (unsigned long long)t->file_size);
	snprintf(part, sizeof(part), "b.img@@%llu", (unsigned long long)t->off);
	if (make_data(data, t->file_size, t->file_size) ||
	    sh("cd '%s' && rm -f b.img && truncate -s %llu b.img && %s >/dev/null"
	       " && mmd -i %s ::dload && mcopy -i %s /dev/null ::dload/UPDATE.TMP"
	       " && mcopy -i %s d3 ::dload/before.bin",
	       tmp, (unsigned long long)(t->off + t->size), t->mkfs, part, part, part)) {
		ok(0, "%s: image", t->what);
		return;
	}
	make_data("u0", 0, 0);
	open_file(&f, "b.img", true);
	v = vopen(&f, t->off, t->size, true);
	if (!ok(v != NULL, "%s: open", t->what))
		goto out;
	is_int(fat_geometry(v)->warnings & ~FAT_WARN_STRICT, 0,
	       "%s: no warnings but fatgen103's points", t->what);
	free_before = fat_geometry(v)->fsinfo_free;
	r = fat_alloc_contiguous(v, "DLOAD/update.tmp", t->file_size, t->align, &ext, &err);
	ok(r == 0 && ext.len == t->file_size && (!t->align || ext.card_off % t->align == 0) &&
	   ext.card_off == t->off + ext.part_off,
	   "%s: %llu bytes at card offset %llu (%u clusters from %u) %s", t->what,
	   (unsigned long long)ext.len, (unsigned long long)ext.card_off, ext.clusters,
	   ext.first_cluster, r ? err.text : "");
	is_int(fat_geometry(v)->fsinfo_free, free_before - ext.clusters,
	       "%s: FSInfo free count lowered", t->what);
	{
		char src[PATH_MAX];
		size_t len = 0;
		uint8_t *buf;

		snprintf(src, sizeof(src), "%s/%s", tmp, data);
		buf = slurp(src, &len);
		ok(r == 0 && buf && pwrite(f.fd, buf, len, (off_t)ext.card_off) == (ssize_t)len,
		   "%s: data written at the extent", t->what);
		free(buf);
	}
	fat_close(v);
	v = vopen(&f, t->off, t->size, false);
	ok(v && same_as_mtype(v, &f, "b.img", t->off, "dload/UPDATE.TMP", &runs) &&
	   runs == 1, "%s: mtype reads back exactly what was written", t->what);
	ok(v && same_as_mshowfat(v, "b.img", t->off, "dload/UPDATE.TMP"),
	   "%s: mshowfat agrees", t->what);
	info = sh_out("minfo -i '%s/%s' ::", tmp, part);
	ok(v && info && minfo_num(info, "free clusters=", 10) == fat_geometry(v)->fsinfo_free &&
	   minfo_num(info, "last allocated cluster=", 10) == ext.first_cluster + ext.clusters - 1,
	   "%s: minfo agrees on FSInfo", t->what);
	free(info);
	ok(v && fat_check_tree(v, NULL, &tr, NULL) == 0 && tr.bad_chains == 0 && tr.lost_clusters == 0 &&
	   tr.other_xlinks == 0 && tr.free_clusters == fat_geometry(v)->fsinfo_free,
	   "%s: the tree is clean and the free count true", t->what);
	if (have("fsck.fat"))
		ok(fsck_clean("b.img", t->off, t->size, false), "%s: fsck.fat -n finds nothing", t->what);
	else
		skip(1, "no fsck.fat");
	fat_close(v);
	v = NULL;
	ok(sh("mren -i '%s/%s' ::dload/UPDATE.TMP ::dload/UPDATE.APP", tmp, part) == 0,
	   "%s: mren afterwards", t->what);
	v = vopen(&f, t->off, t->size, false);
	ok(v && fat_lookup(v, "dload/UPDATE.APP", &de, NULL, 0, NULL) == 0 &&
	   de.size == t->file_size && de.first_cluster == ext.first_cluster &&
	   fat_check_chain(v, &de, &cr, NULL) == 0 && cr.problem == FAT_CHAIN_OK && cr.runs == 1,
	   "%s: renamed, one run, chain intact", t->what);
out:
	fat_close(v);
	close(f.fd);
}

static uint32_t get_fat(int fd, const struct fat_geom *g, unsigned k, uint32_t c)
{
	uint8_t b[4] = { 0 };

	if (pread(fd, b, 4, (off_t)(g->part_offset + g->fat_offset + k * g->fat_bytes +
				    (uint64_t)c * 4)) != 4)
		diag("pread: %s", strerror(errno));
	return get_le32(b);
}

/* FAT copies that disagree, and the 4 reserved bits of FAT32 entries. */
static void alloc_details(struct fileio *f, struct fat_vol *v)
{
	const struct fat_geom *g = fat_geometry(v);
	struct fat_extent ext;
	uint32_t c = 2;

	while (c < g->cluster_count + 2 && (get_fat(f->fd, g, 0, c) & 0x0fffffff))
		c++;
	set_fat(f->fd, g, 1, c, 0x0ffffff7);
	is_int(fat_alloc_contiguous(v, "dload/EMPTY.TMP", 1000, 0, &ext, NULL), -EUCLEAN,
	       "a cluster free in one FAT only is not taken: -EUCLEAN");
	set_fat_all(f->fd, g, c, 0xa0000000);	/* free, reserved bits set */
	set_fat_all(f->fd, g, c + 1, 0x50000000);
	ok(fat_alloc_contiguous(v, "dload/EMPTY.TMP", 1000, 0, &ext, NULL) == 0 &&
	   ext.first_cluster == c && ext.clusters == 2, "allocated at cluster %u", c);
	ok(get_fat(f->fd, g, 0, c) == (0xa0000000 | (c + 1)) &&
	   get_fat(f->fd, g, 1, c) == (0xa0000000 | (c + 1)) &&
	   get_fat(f->fd, g, 0, c + 1) == 0x5fffffff &&
	   get_fat(f->fd, g, 1, c + 1) == 0x5fffffff, "the reserved bits are kept");
}

static void test_alloc(void)
{
	static const struct alloc_case cases[] = {
		{ "mformat 512 B clusters, 1 MiB aligned",
		  "mformat -i b.img@@1M -F -T 131072 -H 2048 -c 1 ::",
		  1 * MiB, 64ull * MiB, 5 * MiB + 123, 1 * MiB },
		{ "mformat 4 KiB clusters, 4 MiB aligned",
		  /* -L: 32 + 2 x 4080 puts the data area on 8 MiB, as format.c does */
		  "mformat -i b.img@@4M -F -T 614400 -H 8192 -c 8 -L 4080 ::",
		  4 * MiB, 300ull * MiB, 10 * MiB + 1, 4 * MiB },
		{ "mkfs.fat SD layout, 4 MiB aligned",
		  /* 7006 + 2 x 593 (its FAT size) puts the data area on 8 MiB */
		  "mkfs.fat -a -F 32 -s 8 -R 7006 -h 8192 --offset 8192 b.img 307200",
		  4 * MiB, 300ull * MiB, 3 * MiB, 4 * MiB },
		{ "mkfs.fat 4096-byte sectors, 4 MiB aligned",
		  "mkfs.fat -F 32 -S 4096 -s 1 -h 1024 --offset 1024 b.img 307200",
		  4 * MiB, 300ull * MiB, 7 * MiB + 5, 4 * MiB },
		{ "mkfs.fat exact cluster multiple, unaligned",
		  "mkfs.fat -a -F 32 -s 1 -h 2048 --offset 2048 b.img 65536",
		  1 * MiB, 64ull * MiB, 4096, 0 },
	};
	struct fileio f;
	struct fat_vol *v;
	struct fat_extent ext;
	struct fat_io io;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_alloc_case(&cases[i]);

	/* refusals, on the last image */
	if (sh("cd '%s' && mcopy -i b.img@@1M /dev/null ::dload/EMPTY.TMP", tmp)) {
		ok(0, "refusals: set up");
		return;
	}
	open_file(&f, "b.img", true);
	v = vopen(&f, 1 * MiB, 64ull * MiB, true);
	if (!v) {
		ok(0, "refusals: open");
		close(f.fd);
		return;
	}
	if (have("fsck.fat")) {
		/* the control: fsck.fat -n does see a wrong free count */
		const struct fat_geom *g = fat_geometry(v);
		uint64_t at = g->part_offset + (uint64_t)g->fsinfo_sector * g->bytes_per_sector + 488;

		put32(f.fd, at, g->fsinfo_free - 1);
		ok(!fsck_clean("b.img", 1 * MiB, 64ull * MiB, true), "fsck.fat -n sees a wrong free count");
		put32(f.fd, at, g->fsinfo_free);
	} else {
		skip(1, "no fsck.fat");
	}
	is_int(fat_alloc_contiguous(v, "dload/UPDATE.APP", 100, 0, &ext, NULL), -EEXIST,
	       "a file with clusters: -EEXIST");
	is_int(fat_alloc_contiguous(v, "dload/NONE.TMP", 100, 0, &ext, NULL), -ENOENT,
	       "a missing file: -ENOENT");
	is_int(fat_alloc_contiguous(v, "dload", 100, 0, &ext, NULL), -EISDIR, "a directory: -EISDIR");
	is_int(fat_alloc_contiguous(v, "dload/EMPTY.TMP", 5ull << 30, 0, &ext, NULL), -EFBIG,
	       "5 GiB: -EFBIG");
	is_int(fat_alloc_contiguous(v, "dload/EMPTY.TMP", 100ull * MiB, 0, &ext, NULL), -ENOSPC,
	       "more than the card: -ENOSPC");
	is_int(fat_alloc_contiguous(v, "dload/EMPTY.TMP", 100, 3000, &ext, NULL), -EINVAL,
	       "alignment not a power of two: -EINVAL");
	f.writes = 0;
	ok(fat_alloc_contiguous(v, "dload/EMPTY.TMP", 0, 4 * MiB, &ext, NULL) == 0 && ext.len == 0 &&
	   ext.clusters == 0 && f.writes == 0, "zero bytes: no cluster, nothing written");
	alloc_details(&f, v);
	fat_close(v);
	io = io_of(&f, false);
	fat_open(&io, 1 * MiB, 64ull * MiB, &v, NULL);
	is_int(v ? fat_alloc_contiguous(v, "dload/EMPTY.TMP", 100, 0, &ext, NULL) : 0, -EROFS,
	       "no write callback: -EROFS");
	fat_close(v);
	is_int(f.misaligned, 0, "every request 512-aligned, buffers 4096-aligned");
	close(f.fd);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	const char *path = getenv("PATH");
	char newpath[4096];

	/* mtools reads ~/.mtoolsrc and /etc/mtools.conf: keep them out */
	setenv("MTOOLSRC", "/dev/null", 1);
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	snprintf(newpath, sizeof(newpath), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	setenv("PATH", newpath, 1);
	snprintf(tmp, sizeof(tmp), "%s/test_fat.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 99;
	}

	test_identify_synthetic();
	if (have("mformat") && have("mcopy") && have("mkfs.fat")) {
		test_reader();
		test_faults();
		test_boot_faults();
		test_other_fs();
		test_alloc();
	} else {
		skip(1, "mtools or dosfstools not installed");
	}
	sh("rm -rf '%s'", tmp);
	return done_testing();
}
