/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One card, many names: which card a name is (an image, its hard link, the
 * loop devices on it, a loop device's backing file), on a fake system root
 * whose loop devices name real files; what an existing file holds, for the
 * rule on erasing it; the one open for writing refusing the source, a
 * file that is no disk image, and a second open of the same card; and the
 * model a user reads, never a bare vendor id.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "card/card.h"
#include "card/identity.h"
#include "card/safety.h"
#include "card/sysfs.h"
#include "lib/strutils.h"
#include "fakeroot.h"
#include "tap.h"
#include "card/content.h"

/*
 * A loop device of the fake sysfs, attached to file.  Its name is no real
 * device's (no /dev node), so that its backing file is the one sysfs names.
 */
static void add_loop(const char *name, unsigned minor, const char *file)
{
	char rel[256];

	fake_disk("virtual", name, 7, minor, 0, 0);
	snprintf(rel, sizeof(rel), "devices/virtual/block/%s/loop/backing_file", name);
	fake_put(rel, "%s\n", file);
}

static int make_file(const char *path, uint64_t size, const void *head, size_t hlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)size) != 0 ||
	    (hlen && pwrite(fd, head, hlen, 0) != (ssize_t)hlen)) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static enum content_kind classify(const char *path, char *what, size_t len)
{
	struct card_content cc;
	struct stat st;
	enum content_kind k;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0)
		return CONTENT_DATA;
	content_probe(fd, (uint64_t)st.st_size, &cc);
	k = content_classify(fd, (uint64_t)st.st_size, &cc, what, len);
	close(fd);
	return k;
}

static void test_sysroot(void)
{
	struct sysroot r;

	sysroot_init(&r, NULL);
	is_str(r.sys, "/sys", "no --sysroot: /sys");
	is_str(r.mountinfo, "/proc/self/mountinfo", "no --sysroot: /proc/self/mountinfo");
	is_str(r.swaps, "/proc/swaps", "no --sysroot: /proc/swaps");
	sysroot_init(&r, "/srv/guest");
	is_str(r.sys, "/srv/guest/sys", "--sysroot DIR: DIR/sys");
	is_str(r.mountinfo, "/srv/guest/proc/self/mountinfo", "--sysroot DIR: DIR/proc/self/mountinfo");
	is_str(r.swaps, "/srv/guest/proc/swaps", "--sysroot DIR: DIR/proc/swaps");
	sysroot_init(&r, "/");
	is_str(r.sys, "/sys", "--sysroot /: /sys");
}

static void test_names(const struct sysroot *r, const char *img, const char *link,
		       const char *other)
{
	struct card_identity a, b, l0, l1;
	struct stat st = { 0 };
	char how[PATH_MAX * 3];

	ok(identity_of_path(r, img, &a) == 0, "an image has an identity");
	ok(a.have_file && !a.blockdev, "an image is a file");
	is_int(a.nloops, 2, "the two loop devices on it are found");
	ok(a.nloops == 2 && identity_has_loop(&a, makedev(7, 200)) &&
	   identity_has_loop(&a, makedev(7, 201)), "by their device numbers");
	ok(identity_of_path(r, link, &b) == 0 && identity_same(&a, &b),
	   "a hard link is the same card");
	is_str(identity_explain(&b, "link", &a, "img", how, sizeof(how)),
	       "link and img are the same file", "said as the same file");
	ok(identity_of_path(r, other, &b) == 0 && !identity_same(&a, &b),
	   "another file is another card");
	is_int(b.nloops, 0, "with no loop device on it");

	/* The loop devices, as a stat of /dev/loopfake0 would describe them. */
	st.st_mode = S_IFBLK | 0660;
	st.st_rdev = makedev(7, 200);
	ok(identity_resolve(r, &st, &l0) == 0, "a loop device has an identity");
	is_str(l0.name, "loopfake0", "its kernel name, from sysfs");
	ok(l0.have_file && identity_same(&l0, &a), "a loop device is the card of its file");
	is_str(l0.file, img, "its backing file, as sysfs names it");
	is_str(identity_explain(&l0, "/dev/loopfake0", &a, "img", how, sizeof(how)),
	       "/dev/loopfake0 is a loop device on img", "said as a loop device on the file");
	is_str(identity_explain(&a, "img", &l0, "/dev/loopfake0", how, sizeof(how)),
	       "img is the backing file of /dev/loopfake0", "and the other way round");
	st.st_rdev = makedev(7, 201);
	ok(identity_resolve(r, &st, &l1) == 0 && identity_same(&l0, &l1),
	   "two loop devices on one file are one card");
	ok(strstr(identity_explain(&l1, "l1", &l0, "l0", how, sizeof(how)),
		  "are loop devices on the same file") != NULL, "said so");
	st.st_rdev = makedev(7, 202);
	ok(identity_resolve(r, &st, &l1) == 0 && !l1.have_file && !identity_same(&l1, &a),
	   "a block device unknown to sysfs is only itself");
	st.st_mode = S_IFDIR | 0755;
	is_int(identity_resolve(r, &st, &l1), -EINVAL, "a directory is no card");
}

static void test_content(const char *dir)
{
	static const char pdf[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n";
	unsigned char mbr[512];
	char path[PATH_MAX], what[160], *zeros;
	int fd;

	snprintf(path, sizeof(path), "%s/sparse.img", dir);
	fd = make_file(path, 64 << 20, NULL, 0);
	close(fd);
	is_int(classify(path, what, sizeof(what)), CONTENT_BLANK, "a sparse file is blank");
	is_str(what, "no data", "and holds no data");

	snprintf(path, sizeof(path), "%s/zeros.img", dir);
	zeros = calloc(1, 4 << 20);
	fd = make_file(path, 4 << 20, zeros, 4 << 20);
	free(zeros);
	close(fd);
	is_int(classify(path, what, sizeof(what)), CONTENT_BLANK, "a file of written zeros is blank");

	snprintf(path, sizeof(path), "%s/report.pdf", dir);
	fd = make_file(path, 8 << 20, pdf, sizeof(pdf) - 1);
	close(fd);
	is_int(classify(path, what, sizeof(what)), CONTENT_DATA, "a document is data");
	ok(strstr(what, "of data") != NULL, "said as data: %s", what);

	/* An MBR with one partition: a disk image. */
	memset(mbr, 0, sizeof(mbr));
	mbr[446 + 4] = 0x83;
	mbr[446 + 8] = 0x00; mbr[446 + 9] = 0x08;		/* start 2048 */
	mbr[446 + 12] = 0x00; mbr[446 + 13] = 0x20;		/* 8192 sectors */
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	snprintf(path, sizeof(path), "%s/disk.img", dir);
	fd = make_file(path, 8 << 20, mbr, sizeof(mbr));
	close(fd);
	is_int(classify(path, what, sizeof(what)), CONTENT_DISK_IMAGE, "an MBR makes a disk image");
	is_str(what, "a dos partition table", "said as a dos partition table");
}

static void test_open(const struct sysroot *r, const char *dir, const char *src)
{
	struct card_identity sid;
	const struct card_identity *sids[] = { &sid };
	struct safety_target t = { .flags = SAFETY_ERASE, .sources = &src, .nsources = 1 };
	struct safety_result res;
	struct card c, c2;
	char path[PATH_MAX];

	identity_of_path(r, src, &sid);
	t.source_ids = sids;
	is_int(safety_open_card(r, &c, src, &t, &res), SAFE_SOURCE, "the source is never a card");
	ok(strstr(res.reason.text, "is the source itself") != NULL, "and said so: %s", res.reason.text);

	snprintf(path, sizeof(path), "%s/report.pdf", dir);
	is_int(safety_open_card(r, &c, path, &t, &res), SAFE_NOT_IMAGE,
	       "a document is not erased");
	ok(strstr(res.reason.text, "not a disk image") && strstr(res.reason.text, "--force"),
	   "and the message names --force: %s", res.reason.text);
	t.flags |= SAFETY_FORCE;
	is_int(safety_open_card(r, &c, path, &t, &res), SAFE_OK, "unless --force");
	ok(res.forced && strstr(res.holds, "of data, not a disk image"),
	   "which says what it holds: %s", res.holds);
	is_int(safety_open_card(r, &c2, path, &t, &res), SAFE_LOCKED,
	   "a second open of the same card is refused as locked");
	card_close(&c);

	snprintf(path, sizeof(path), "%s/new.img", dir);
	t.create_size = 64 << 20;
	is_int(safety_open_card(r, &c, path, &t, &res), SAFE_OK, "a missing image is created");
	ok(c.created && access(path, F_OK) == 0, "and exists");
	card_discard(&c);
	card_close(&c);
	ok(access(path, F_OK) != 0, "discarded, it is gone again");
}

/* A disk whose device is devices/<dev>, on bus, with these attributes. */
static void add_device_disk(const char *dev, const char *bus, const char *name, unsigned maj,
			    const char *vendor, const char *model)
{
	char rel[512], target[512] = "../";
	const char *p;

	fake_disk(dev, name, maj, 0, 0, 0);
	snprintf(rel, sizeof(rel), "devices/%s/block/%s/device", dev, name);
	fake_link("../..", rel);
	for (p = dev; *p; p++)		/* up from devices/<dev> to sys/ */
		if (*p == '/')
			strcat(target, "../");
	snprintf(target + strlen(target), sizeof(target) - strlen(target), "../bus/%s", bus);
	snprintf(rel, sizeof(rel), "devices/%s/subsystem", dev);
	fake_link(target, rel);
	if (vendor) {
		snprintf(rel, sizeof(rel), "devices/%s/vendor", dev);
		fake_put(rel, "%s\n", vendor);
	}
	if (model) {
		snprintf(rel, sizeof(rel), "devices/%s/model", dev);
		fake_put(rel, "%s\n", model);
	}
}

static void test_model(const struct sysroot *r)
{
	struct disk_identity id;
	char line[512];

	/* A virtual machine's disk: sysfs has only virtio's vendor number. */
	identity_read(r, "vda", &id);
	is_str(id.model, "Virtio block device", "a virtio disk's model says what it is");
	is_str(id.vendor, "", "and its vendor id 0x1af4 is no vendor name");
	identity_summary(&id, line, sizeof(line));
	ok(strncmp(line, "Virtio block device, ", 21) == 0,
	   "the summary of what will be erased starts with it: %s", line);
	identity_read(r, "xvda", &id);
	is_str(id.model, "Xen virtual block device", "a Xen disk's model says what it is");
	identity_read(r, "sdx", &id);
	is_str(id.vendor, "Generic", "a disk that names its vendor keeps it");
	is_str(id.model, "STORAGE DEVICE", "and its model");
	identity_read(r, "sdy", &id);
	is_str(id.model, "", "a model that is only a number is none (no bus to name it)");
	is_str(id.vendor, "", "nor a vendor that is only a number");
}

int main(void)
{
	char img[PATH_MAX], hard[PATH_MAX], other[PATH_MAX];
	struct sysroot r;
	int fd;

	if (fake_root_make("identity") != 0) {
		printf("Bail out! cannot make a temporary folder\n");
		return 1;
	}
	snprintf(img, sizeof(img), "%s/card.img", fake_root);
	snprintf(hard, sizeof(hard), "%s/link.img", fake_root);
	snprintf(other, sizeof(other), "%s/other.img", fake_root);
	fd = make_file(img, 64 << 20, NULL, 0);
	close(fd);
	fd = make_file(other, 64 << 20, NULL, 0);
	close(fd);
	if (link(img, hard) != 0)
		perror(hard);
	add_loop("loopfake0", 200, img);
	add_loop("loopfake1", 201, img);
	add_device_disk("pci0000:00/0000:00:02.0/virtio1", "virtio", "vda", 254, "0x1af4", NULL);
	add_device_disk("vbd-51712", "xen", "xvda", 202, NULL, NULL);
	add_device_disk("pci0000:00/0000:00:14.0/host6/target6:0:0/6:0:0:0", "scsi", "sdx", 8,
			"Generic", "STORAGE DEVICE");
	add_device_disk("pci0000:00/0000:00:14.0/host7/target7:0:0/7:0:0:0", "scsi", "sdy", 65,
			"0x8086", "0x0a54");
	sysroot_init(&r, fake_root);

	test_sysroot();
	test_names(&r, img, hard, other);
	test_content(fake_root);
	test_open(&r, fake_root, other);
	test_model(&r);

	fake_root_remove();
	return done_testing();
}
