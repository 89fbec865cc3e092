/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The safety rules, driven by a fake system root as --sysroot gives it
 * (sys/, proc/self/mountinfo, proc/swaps): a USB card, an SD card in a
 * native slot, a SATA disk holding /, a disk under LVM, a mounted card, a
 * write-protected card, a partition node.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "card/safety.h"
#include "card/sysfs.h"
#include "lib/strutils.h"
#include "fakeroot.h"
#include "tap.h"

static void add_part(const char *devpath, const char *disk, const char *name,
		     unsigned maj, unsigned min)
{
	char rel[512], target[512];

	snprintf(rel, sizeof(rel), "devices/%s/block/%s/%s/dev", devpath, disk, name);
	fake_put(rel, "%u:%u\n", maj, min);
	snprintf(rel, sizeof(rel), "devices/%s/block/%s/%s/partition", devpath, disk, name);
	fake_put(rel, "1\n");
	snprintf(target, sizeof(target), "../../devices/%s/block/%s/%s", devpath, disk, name);
	snprintf(rel, sizeof(rel), "dev/block/%u:%u", maj, min);
	fake_link(target, rel);
	snprintf(target, sizeof(target), "../../devices/%s/block/%s/%s", devpath, disk, name);
	snprintf(rel, sizeof(rel), "class/block/%s", name);
	fake_link(target, rel);
}

static enum safety_refusal check(const struct sysroot *r, unsigned maj, unsigned min,
				 unsigned flags, struct safety_result *res)
{
	return safety_check_disk(r, makedev(maj, min), flags, res);
}

int main(void)
{
	struct sysroot r;
	struct safety_result res;

	if (fake_root_make("safety") != 0) {
		printf("Bail out! cannot make a temporary folder\n");
		return 1;
	}
	/* sda: SATA disk holding / on sda2 and swap on sda3 (by devno only). */
	fake_disk("pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0", "sda", 8, 0, 0, 0);
	add_part("pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0", "sda", "sda2", 8, 2);
	/* sdb: a USB card reader's card, with a partition sdb1. */
	fake_disk("pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0",
		 "sdb", 8, 16, 1, 0);
	add_part("pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0",
		 "sdb", "sdb1", 8, 17);
	fake_link("../../../../../bus/usb", "devices/pci0000:00/0000:00:14.0/usb2/2-1/subsystem");
	/* mmcblk0: SD card in a native slot: removable 0, on the mmc bus. */
	fake_disk("pci0000:00/0000:00:1a.0/mmc_host/mmc0/mmc0:aaaa", "mmcblk0", 179, 0, 0, 0);
	fake_link("../../../../../bus/mmc", "devices/pci0000:00/0000:00:1a.0/mmc_host/mmc0/mmc0:aaaa/subsystem");
	/* sdc: a USB card, mounted through sdc1. */
	fake_disk("pci0000:00/0000:00:14.0/usb2/2-2/2-2:1.0/host7/target7:0:0/7:0:0:0",
		 "sdc", 8, 32, 1, 0);
	add_part("pci0000:00/0000:00:14.0/usb2/2-2/2-2:1.0/host7/target7:0:0/7:0:0:0",
		 "sdc", "sdc1", 8, 33);
	/* sdd: a write-protected USB card. */
	fake_disk("pci0000:00/0000:00:14.0/usb2/2-3/2-3:1.0/host8/target8:0:0/8:0:0:0",
		 "sdd", 8, 48, 1, 1);
	/* nvme0n1: under LVM (dm-0's slave), not mounted itself. */
	fake_disk("pci0000:00/0000:00:1d.0/nvme/nvme0", "nvme0n1", 259, 0, 0, 0);
	fake_put("devices/pci0000:00/0000:00:1d.0/nvme/nvme0/block/nvme0n1/holders/dm-1", "%s", "");
	/* dm-0 (/) sits on sda2. */
	fake_disk("virtual", "dm-0", 254, 0, 0, 0);
	fake_link("../../../../pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2",
		"devices/virtual/block/dm-0/slaves/sda2");

	fake_put("proc/self/mountinfo", "%s",
		 "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/mapper/root rw\n"
		 "30 22 8:33 / /media/card rw,relatime shared:2 - vfat /dev/sdc1 rw\n");
	sysroot_init(&r, fake_root);

	is_int(check(&r, 8, 16, 0, &res), SAFE_OK, "a card in a USB reader is eligible");
	is_int(check(&r, 179, 0, 0, &res), SAFE_OK, "an SD card in a native slot (removable 0) is eligible");
	is_int(check(&r, 8, 0, 0, &res), SAFE_SYSTEM, "the disk under / (through device mapper) is refused");
	ok(strstr(res.reason.text, "/dev/sda is a system disk (it holds /)") != NULL, "and named as the system disk");
	is_int(check(&r, 8, 0, SAFETY_ALLOW_FIXED, &res), SAFE_SYSTEM, "--allow-fixed does not lift it");
	is_int(check(&r, 8, 17, 0, &res), SAFE_PARTITION, "a partition node is refused");
	ok(strstr(res.reason.text, "give the whole card, /dev/sdb") != NULL, "with the whole disk named");
	is_int(check(&r, 8, 32, 0, &res), SAFE_MOUNTED, "a card mounted through a partition is refused");
	ok(strstr(res.reason.text, "/media/card") != NULL, "with the mount point named");
	is_int(check(&r, 8, 48, 0, &res), SAFE_READ_ONLY, "a write-protected card is refused");
	ok(strstr(res.reason.text, "lock switch") != NULL, "and the lock switch named");
	is_int(check(&r, 259, 0, SAFETY_ALLOW_FIXED, &res), SAFE_IN_USE, "a disk held by LVM is refused");
	is_int(check(&r, 7, 99, 0, &res), SAFE_NOT_DISK, "an unknown device is refused");

	/* A fixed disk that holds nothing. */
	fake_disk("pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0", "sde", 8, 64, 0, 0);
	is_int(check(&r, 8, 64, 0, &res), SAFE_FIXED, "a fixed disk is refused");
	ok(strstr(res.reason.text, "--allow-fixed") != NULL, "and the message names --allow-fixed");
	is_int(check(&r, 8, 64, SAFETY_ALLOW_FIXED, &res), SAFE_OK, "unless --allow-fixed");

	/* Swap on a partition makes a system disk. */
	add_part("pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0", "sde", "sde1", 8, 65);
	/* A block device node that exists stands in for the swap partition:
	 * the rule goes by its device number. */
	fake_put("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/loop7 partition 1 0 -2\n");
	fake_disk("virtual", "loop7", 7, 7, 0, 0);
	if (access("/dev/loop7", F_OK) == 0)
		is_int(check(&r, 7, 7, SAFETY_ALLOW_FIXED, &res), SAFE_SYSTEM,
		       "the disk holding active swap is refused");
	else
		skip(2, "no /dev/loop7 to stand in for a swap partition");
	if (access("/dev/loop7", F_OK) == 0)
		ok(strstr(res.reason.text, "swap") != NULL, "and the swap named");

	fake_root_remove();
	return done_testing();
}
