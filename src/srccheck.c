/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exitcodes.h"
#include "scan.h"
#include "source.h"
#include "srccheck.h"
#include "strutils.h"

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	(void)total;
	progress_update(arg, done);
}

const struct ua_finding *srccheck_first_problem(const struct srccheck *sc)
{
	size_t i;

	if (!sc->chk)
		return NULL;
	for (i = 0; i < ua_check_finding_count(sc->chk); i++) {
		const struct ua_finding *f = ua_check_finding(sc->chk, i);

		if (f->severity == UA_ERROR)
			return f;
	}
	return NULL;
}

static int conclude(struct srccheck *sc)
{
	const struct ua_finding *f = srccheck_first_problem(sc);

	sc->verdict = ua_check_verdict(sc->chk);
	if (sc->verdict == UA_VALID || sc->verdict == UA_VALID_WITH_WARNINGS)
		return EXIT_OK;
	snprintf(sc->error, sizeof(sc->error), "%s: %s", sc->name,
		 f ? f->message : "not a valid UPDATE.APP");
	xstrncpy(sc->advice, f && f->advice ? f->advice : "", sizeof(sc->advice));
	return sc->verdict == UA_DAMAGED ? EXIT_SOURCE_DAMAGED : EXIT_SOURCE_INVALID;
}

static int compare_digest(struct srccheck *sc, const char *what, const unsigned char *got,
			  const unsigned char *want, size_t len)
{
	char g[65], w[65];

	if (memcmp(got, want, len) == 0)
		return EXIT_OK;
	snprintf(sc->error, sizeof(sc->error), "%s: its %s is %s, not the %s given",
		 sc->name, what, hex_string(got, len, g), hex_string(want, len, w));
	xstrncpy(sc->advice, "It is not the file the vendor published (another build, or "
		 "damaged in transfer): download it again, or check the checksum you copied.",
		 sizeof(sc->advice));
	return EXIT_DIGEST_MISMATCH;
}

int srccheck_run(const char *path, const struct srccheck_opts *o, struct progress *pg,
		 volatile sig_atomic_t *cancel, struct srccheck *sc)
{
	struct scan_opts so = {
		.what = SCAN_CHECK,
		.progress = on_progress,
		.progress_arg = pg,
		.cancel = cancel,
	};
	struct scan_result res;
	struct timespec t;
	int rc;

	memset(sc, 0, sizeof(*sc));
	time_now(&t);
	xstrncpy(sc->name, path, sizeof(sc->name));
	sc->src = source_open(path, sc->error, sizeof(sc->error));
	if (!sc->src) {
		xstrncpy(sc->advice, "Give the UPDATE.APP from the firmware package (or the "
			 "firmware zip itself).", sizeof(sc->advice));
		return sc->exit_code = EXIT_SOURCE_INVALID;
	}
	xstrncpy(sc->name, source_describe(sc->src), sizeof(sc->name));
	sc->size = source_size(sc->src);

	if (o->want_sha256 || o->expect_sha256)
		so.what |= SCAN_SHA256;
	if (o->want_md5 || o->expect_md5)
		so.what |= SCAN_MD5;
	progress_begin(pg, "Checking UPDATE.APP", sc->size);
	rc = scan_source(sc->src, &so, &res, sc->error, sizeof(sc->error));
	sc->seconds = elapsed_since(&t);
	if (rc == -ECANCELED) {
		progress_end(pg, "interrupted");
		snprintf(sc->error, sizeof(sc->error), "interrupted while checking %s", sc->name);
		return sc->exit_code = EXIT_INTERRUPTED;
	}
	if (rc) {
		progress_end(pg, "failed");
		/* A zip that fails to inflate is a damaged download. */
		return sc->exit_code = source_is_zip(sc->src) ? EXIT_SOURCE_DAMAGED : EXIT_SOURCE_INVALID;
	}
	sc->chk = res.check;
	sc->have_sha256 = so.what & SCAN_SHA256;
	sc->have_md5 = so.what & SCAN_MD5;
	memcpy(sc->sha256, res.sha256, sizeof(sc->sha256));
	memcpy(sc->md5, res.md5, sizeof(sc->md5));

	sc->exit_code = conclude(sc);
	if (!sc->exit_code && o->expect_sha256)
		sc->exit_code = compare_digest(sc, "SHA-256", sc->sha256, o->expect_sha256, 32);
	if (!sc->exit_code && o->expect_md5)
		sc->exit_code = compare_digest(sc, "MD5", sc->md5, o->expect_md5, 16);
	progress_end(pg, sc->exit_code ? "FAILED" :
		     sc->verdict == UA_VALID ? "valid" : "valid, with warnings");
	return sc->exit_code;
}

void srccheck_free(struct srccheck *sc)
{
	if (sc->chk)
		ua_check_free(sc->chk);
	if (sc->src)
		source_close(sc->src);
	sc->chk = NULL;
	sc->src = NULL;
}
