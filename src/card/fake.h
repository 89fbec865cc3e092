/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_CARD_FAKE_H
#define DLOADCARD_CARD_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card/card.h"
#include "lib/errmsg.h"

/*
 * Fake cards, for the unit tests: a layer that stacks on any open card
 * (fake_stack) and makes it fail in the ways the FUSE simulator
 * (tests/tools/cardsim.c) and f3's file device do, and an in-memory card to
 * stack it on (fake_open): a memfd, sparse, so that a card of a terabyte
 * costs what is written on it.
 *
 * The models apply to what dloadcard itself reads and writes through the
 * interface (card.h): the probe, the FAT reader and its allocation, the
 * copy, the read-back, verify.  libblkid, libfdisk and mtools work on the
 * card's descriptor (card_tool_fd), on the medium below every model: the
 * wipe, the partition table and mformat's file system are written without
 * fault, a fake capacity does not wrap them, and a card that vanished is
 * still there for them.  Enough to test the algorithms, which is what the
 * models are for; the FUSE simulator, which the tools go through too,
 * stays for the end-to-end tests.
 *
 * The unit of the caches is a 512-byte sector.
 */
#define FAKE_SECTOR 512

struct fake_range {
	uint64_t off, len;	/* len 0: none */
};

enum fake_op { FAKE_READ, FAKE_WRITE, FAKE_FLUSH, FAKE_RESET };

struct fake_model {
	/*
	 * What the card holds, as f3 models it.  With fake_capacity, a byte's
	 * offset is taken modulo wrap (when not 0: the controller ignores the
	 * high address bits) and it lands on the medium if that is below real;
	 * otherwise it is lost: its writes go nowhere and its reads give zeros,
	 * or with lost_garbage the same garbage each time (limbo).  A cache of
	 * lost_cache bytes keeps the last lost sectors written, one slot per
	 * sector number modulo its size, and answers reads from them; a
	 * strict one only for the sector a slot holds, otherwise for whatever
	 * it holds.  A reset does not empty it: it is the controller's.
	 */
	bool fake_capacity;
	uint64_t real, wrap;
	bool lost_garbage;
	uint64_t lost_cache;
	bool lost_cache_strict;

	/*
	 * Faults on the way, as the simulator's: the bytes of flip_read read
	 * XOR 0x01, those of flip_write are stored XOR 0x01; a request that
	 * reaches eio_read (eio_write) moves the bytes before it, to the
	 * card's O_DIRECT alignment, and then fails with EIO there.
	 */
	struct fake_range flip_read, flip_write, eio_read, eio_write;

	/* With vanishes, the card is gone once vanish_after bytes have moved
	 * (the request that gets there is cut short): every request then
	 * fails with vanish_errno (ENODEV if 0), and card_gone() says so. */
	bool vanishes;
	uint64_t vanish_after;
	int vanish_errno;

	/* The first request that touches stall waits stall_ms first. */
	struct fake_range stall;
	unsigned stall_ms;

	/*
	 * A write cache of cache bytes (0: none) in front of the medium, as a
	 * card's RAM: writes stay in it, reads come from it, a sector goes to
	 * the medium when another takes its slot or at a sync; a reset loses
	 * what was not synced.  With cache_lies, a sync leaves it as it is.
	 * Handing the descriptor to the tools writes it back and empties it,
	 * as if it had been evicted: they see the medium only.
	 */
	uint64_t cache;
	bool cache_lies;

	/* Called at each request, before it is served, with the card locked
	 * (it must not use the card): tests stop a run at a chosen step. */
	void (*on_io)(void *arg, enum fake_op op, uint64_t off, size_t len);
	void *on_io_arg;
};

/* What the card saw and did, for the tests' assertions. */
struct fake_stats {
	uint64_t reads, writes, flushes, resets, handoffs;	/* requests */
	uint64_t bytes_read, bytes_written;
	uint64_t flipped_read, flipped_write;	/* bytes */
	uint64_t eio, stalls;			/* requests */
	uint64_t wrapped, lost;			/* bytes written elsewhere, or nowhere */
	uint64_t cache_lost;			/* bytes a reset took from the cache */
	bool vanished;
};

/*
 * Stack the model on the open card c: c becomes the fake, which reads and
 * writes the card it was (closed with it).  Its properties stay (size,
 * sector size, alignment, descriptor).  0; -EINVAL for a model that does not
 * fit the card; -ENOMEM.
 */
int fake_stack(struct card *c, const struct fake_model *m);

/*
 * An in-memory medium of size bytes, zeros: a memfd, whose name
 * /proc/self/fd/N (written to path) card_open(), prepare_open() and mtools
 * open like an image file.  Returns the descriptor (the medium lives while
 * it or a card on it is open), or -errno.
 */
int fake_memfd(uint64_t size, char *path, size_t len);

/* An in-memory card of size bytes with the model stacked on it (NULL: a
 * good card), opened for writing.  0 or -errno (e says why). */
int fake_open(struct card *c, uint64_t size, const struct fake_model *m, struct errmsg *e);

/* The counts of the fake at c's top.  0, or -EINVAL if c is no fake. */
int fake_get_stats(struct card *c, struct fake_stats *st);

#endif
