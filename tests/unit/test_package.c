/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Recognising packages of every generation, and the rules of a set. */
#include <errno.h>
#include <string.h>

#include "firmware/package.h"
#include "tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct package recog(const char *path, const char *const *m, size_t n,
			    enum package_override how, const char *member)
{
	struct package p;
	struct errmsg e = { 0 };

	if (package_recognise_zip(path, m, n, how, member, &p, &e) < 0)
		p.kind = (enum package_kind)-1;
	return p;
}

static void test_kinds(void)
{
	static const char *const sd[] = { "UPDATE.APP", "SOFTWARE_VER_LIST.mbn", "META-INF/CERT.RSA" };
	static const char *const dl[] = { "S7-721u_fw/instructions.pdf", "S7-721u_fw/dload/UPDATE.APP" };
	static const char *const two[] = { "step1/dload/UPDATE.APP", "step2/dload/UPDATE.APP", "readme.txt" };
	static const char *const none[] = { "readme.txt", "tool.exe" };
	static const char *const odd[] = { "firmware/UPDATE.APP" };
	struct package p;
	struct errmsg e = { 0 };
	char model[64];

	p = recog("/x/update_sd_base.zip", sd, N(sd), PKG_GUESS, NULL);
	ok(p.kind == PKG_SD_PACKAGE && p.role == PKG_ROLE_BASE && !*p.warning &&
	   strcmp(p.card_name, "update_sd_base.zip") == 0 && strcmp(p.member, "UPDATE.APP") == 0,
	   "update_sd_base.zip with UPDATE.APP at its root: an SD package, kept under its name");
	ok(strstr(p.what, "an SD package (base), kept as it is in dload/update_sd_base.zip") != NULL,
	   "and its line says where it goes");

	p = recog("fw.zip", sd, N(sd), PKG_GUESS, NULL);
	ok(p.kind == PKG_SD_PACKAGE && p.role == PKG_ROLE_NONE && strstr(p.warning, "--extract"),
	   "UPDATE.APP at the root of another name: an SD package, with a warning naming --extract");

	p = recog("S7-721u.zip", dl, N(dl), PKG_GUESS, NULL);
	ok(p.kind == PKG_DOWNLOAD_ZIP && !*p.warning && strcmp(p.card_name, "UPDATE.APP") == 0 &&
	   strcmp(p.member, "S7-721u_fw/dload/UPDATE.APP") == 0,
	   "a folder with dload/UPDATE.APP: a download zip, extracted to dload/UPDATE.APP");

	p = recog("update_sd_base.zip", dl, N(dl), PKG_GUESS, NULL);
	ok(p.kind == PKG_DOWNLOAD_ZIP && strstr(p.warning, "--keep-zip"),
	   "named like an SD package but holding dload/UPDATE.APP: extracted, with a warning");

	p = recog("two.zip", two, N(two), PKG_GUESS, NULL);
	ok(p.kind == PKG_TWO_STEP && strstr(p.what, "step1/dload/UPDATE.APP, step2/dload/UPDATE.APP") &&
	   strstr(p.what, "--member PATH"),
	   "two UPDATE.APP: a two-step zip, refused with their list and --member");
	p = recog("two.zip", two, N(two), PKG_GUESS, "step2/dload/UPDATE.APP");
	ok(p.kind == PKG_DOWNLOAD_ZIP && strcmp(p.member, "step2/dload/UPDATE.APP") == 0,
	   "--member picks one of them");
	ok(package_recognise_zip("two.zip", two, N(two), PKG_GUESS, "step3/dload/UPDATE.APP",
				 &p, &e) == -EINVAL && strstr(e.text, "step3/dload/UPDATE.APP"),
	   "--member not in the zip: an error naming it");

	p = recog("none.zip", none, N(none), PKG_GUESS, NULL);
	ok(p.kind == PKG_OTHER && strstr(p.what, "holds no UPDATE.APP"), "no UPDATE.APP: refused");
	p = recog("none.zip", none, N(none), PKG_KEEP_ZIP, NULL);
	ok(p.kind == PKG_SD_PACKAGE, "--keep-zip keeps it anyway");
	p = recog("odd.zip", odd, N(odd), PKG_GUESS, NULL);
	ok(p.kind == PKG_OTHER && strstr(p.what, "--member firmware/UPDATE.APP"),
	   "an UPDATE.APP in another folder: refused, --member suggested");
	p = recog("odd.zip", odd, N(odd), PKG_EXTRACT, NULL);
	ok(p.kind == PKG_DOWNLOAD_ZIP, "--extract takes it");
	p = recog("update_sd_base.zip", sd, N(sd), PKG_EXTRACT, NULL);
	ok(p.kind == PKG_DOWNLOAD_ZIP && strcmp(p.member, "UPDATE.APP") == 0,
	   "--extract on an SD package extracts its root UPDATE.APP");
	p = recog("S7-721u.zip", dl, N(dl), PKG_KEEP_ZIP, NULL);
	ok(p.kind == PKG_SD_PACKAGE, "--keep-zip on a download zip keeps it zipped");

	ok(package_role_of("update_sd_cust_VOG-L29_hw_eu.zip", model, sizeof(model)) == PKG_ROLE_CUST &&
	   strcmp(model, "VOG-L29") == 0, "cust: role and model from the name");
	ok(package_role_of("dir/update_sd_preload_VOG-L29_hw_eu_R1.zip", model, sizeof(model)) ==
	   PKG_ROLE_PRELOAD && strcmp(model, "VOG-L29") == 0, "preload: role and model");
	ok(package_role_of("UPDATE_SD_BASE.ZIP", model, sizeof(model)) == PKG_ROLE_BASE,
	   "any letter case");
	ok(package_role_of("update_sd_other.zip", model, sizeof(model)) == PKG_ROLE_NONE &&
	   !*model, "another form: no role");
}

static void sdp(struct package *p, const char *name)
{
	static const char *const m[] = { "UPDATE.APP" };

	*p = recog(name, m, 1, PKG_GUESS, NULL);
}

static void test_sets(void)
{
	struct package s[4];
	struct errmsg e = { 0 };
	char warn[1024];

	sdp(&s[0], "update_sd_base.zip");
	sdp(&s[1], "update_sd_cust_VOG-L29_hw_eu.zip");
	sdp(&s[2], "update_sd_preload_VOG-L29_hw_eu_R1.zip");
	ok(package_set_check(s, 3, warn, sizeof(warn), &e) == 0 && !*warn,
	   "base, cust and preload of one model: a good set, no warning");

	sdp(&s[2], "update_sd_preload_ELE-L29_hw_eu_R1.zip");
	ok(package_set_check(s, 3, warn, sizeof(warn), &e) == 0 &&
	   strstr(warn, "is for ELE-L29 but update_sd_cust_VOG-L29_hw_eu.zip is for VOG-L29"),
	   "models that disagree: a warning, not a refusal");

	ok(package_set_check(s + 1, 1, warn, sizeof(warn), &e) == 0 && strstr(warn, "no base package"),
	   "a cust package alone: a warning that the base is missing");

	sdp(&s[1], "update_sd_base.zip");
	ok(package_set_check(s, 2, warn, sizeof(warn), &e) == -EINVAL &&
	   strstr(e.text, "dload/update_sd_base.zip"), "the same name twice: refused");

	package_recognise_plain("a/UPDATE.APP", &s[0]);
	package_recognise_plain("b/UPDATE.APP", &s[1]);
	ok(package_set_check(s, 2, warn, sizeof(warn), &e) == -EINVAL &&
	   strstr(e.text, "dload/UPDATE.APP"), "two bare UPDATE.APP: refused");

	sdp(&s[1], "update_sd_base.zip");
	ok(package_set_check(s, 2, warn, sizeof(warn), &e) == -EINVAL &&
	   strstr(e.text, "an UPDATE.APP and SD packages"), "an UPDATE.APP with SD packages: refused");
}

/* The set a card holds (verify): what would not start is a failure. */
static void test_card_sets(void)
{
	struct package s[4];
	struct errmsg e = { 0 };
	char warn[1024];

	sdp(&s[0], "update_sd_cust_VOG-L29_hw_eu.zip");
	sdp(&s[1], "update_sd_preload_VOG-L29_hw_eu_R1.zip");
	sdp(&s[2], "update_sd_base.zip");
	ok(package_card_set_check(s, 3, warn, sizeof(warn), &e) == 0 && !*warn,
	   "a card's set: cust, preload, base (the base last, as prepare writes it): good");
	ok(package_card_set_check(s, 2, warn, sizeof(warn), &e) == -ENOENT &&
	   strstr(e.text, "no base package (update_sd_base.zip) beside the cust/preload packages") &&
	   strstr(e.text, "would not start"),
	   "a card's set: cust and preload without a base: a failure, the device would not start");
	ok(package_card_set_check(s + 1, 1, warn, sizeof(warn), &e) == -ENOENT,
	   "a card's set: a preload package alone: a failure");
	ok(package_card_set_check(s + 2, 1, warn, sizeof(warn), &e) == 0 && !*warn,
	   "a card's set: the base alone: good");

	sdp(&s[3], "firmware.zip");
	ok(package_card_set_check(s + 3, 1, warn, sizeof(warn), &e) == 0 &&
	   strstr(warn, "no SD package is named update_sd_base.zip"),
	   "a card's set: one package of another name: a warning, no failure");

	sdp(&s[1], "update_sd_preload_ELE-L29_hw_eu_R1.zip");
	ok(package_card_set_check(s, 3, warn, sizeof(warn), &e) == 0 &&
	   strstr(warn, "is for ELE-L29 but update_sd_cust_VOG-L29_hw_eu.zip is for VOG-L29") &&
	   !strchr(warn, '\n'), "a card's set: models that disagree: one warning");

	sdp(&s[1], "UPDATE_SD_BASE.ZIP");
	ok(package_card_set_check(s + 1, 2, warn, sizeof(warn), &e) == -EINVAL,
	   "a card's set: two bases: refused");
}

/* The order a set goes on the card: as given, the base last. */
static void test_order(void)
{
	struct package s[3];
	size_t order[3];

	sdp(&s[0], "update_sd_base.zip");
	sdp(&s[1], "update_sd_cust_VOG-L29_hw_eu.zip");
	sdp(&s[2], "update_sd_preload_VOG-L29_hw_eu_R1.zip");
	package_set_order(s, 3, order);
	ok(order[0] == 1 && order[1] == 2 && order[2] == 0,
	   "base, cust, preload go on the card as cust, preload, base");
	sdp(&s[0], "update_sd_preload_VOG-L29_hw_eu_R1.zip");
	sdp(&s[1], "update_sd_base.zip");
	sdp(&s[2], "update_sd_cust_VOG-L29_hw_eu.zip");
	package_set_order(s, 3, order);
	ok(order[0] == 0 && order[1] == 2 && order[2] == 1,
	   "preload, base, cust: as given, the base moved last");
	package_recognise_plain("UPDATE.APP", &s[0]);
	package_set_order(s, 1, order);
	ok(order[0] == 0, "an UPDATE.APP alone: itself");
	sdp(&s[0], "update_sd_cust_VOG-L29_hw_eu.zip");
	sdp(&s[1], "update_sd_preload_VOG-L29_hw_eu_R1.zip");
	package_set_order(s, 2, order);
	ok(order[0] == 0 && order[1] == 1, "no base: as given");
}

int main(void)
{
	test_kinds();
	test_sets();
	test_card_sets();
	test_order();
	return done_testing();
}
