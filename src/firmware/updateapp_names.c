/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The words of the UPDATE.APP checker: the stable short names of verdicts,
 * severities, entry results, formats and finding kinds (for JSON and
 * scripts: never change one), and for each kind of finding its severity
 * and the one line of advice a user gets with it.
 */
#include "firmware/updateapp_private.h"
#include "lib/nls.h"

static const struct kind_info {
	const char *name;
	enum ua_severity severity;
	const char *advice;
} kinds[UA_K_COUNT] = {
	[UA_K_EMPTY] = { "empty", UA_ERROR,
		N_("Download or copy the firmware again.") },
	[UA_K_ZEROS] = { "zeros", UA_ERROR,
		N_("Download or copy the firmware again and let it finish.") },
	[UA_K_HTML] = { "html", UA_ERROR,
		N_("Download the firmware again from a working link and compare its size with the published one.") },
	[UA_K_ZIP] = { "zip", UA_ERROR,
		N_("Give dloadcard the zip itself, or extract dload/UPDATE.APP from it first.") },
	[UA_K_ARCHIVE] = { "archive", UA_ERROR,
		N_("Extract the archive and use the dload/UPDATE.APP inside it.") },
	[UA_K_UPDATE_BIN] = { "update-bin", UA_ERROR,
		N_("Use an UPDATE.APP firmware (from a dload folder) for an SD-card update.") },
	[UA_K_TEXT] = { "text", UA_ERROR,
		N_("Read the file in a text editor, then download the firmware again.") },
	[UA_K_UNKNOWN_FORMAT] = { "unknown-format", UA_ERROR,
		N_("Make sure this is the UPDATE.APP from the firmware's dload folder.") },
	[UA_K_BAD_MAGIC] = { "bad-magic", UA_ERROR,
		N_("Download or copy the firmware again.") },
	[UA_K_BAD_HEADER_LENGTH] = { "bad-header-length", UA_ERROR,
		N_("Download or copy the firmware again.") },
	[UA_K_BAD_CONST] = { "bad-const", UA_ERROR,
		N_("Download or copy the firmware again.") },
	[UA_K_ZERO_BLOCK_SIZE] = { "zero-block-size", UA_ERROR,
		N_("Download or copy the firmware again.") },
	[UA_K_HEADER_CRC] = { "header-crc", UA_ERROR,
		N_("Download or copy the firmware again.") },
	[UA_K_BLOCK_CRC] = { "block-crc", UA_ERROR,
		N_("Get a fresh copy of the firmware; if the same blocks fail again, suspect the disk or card it is stored on.") },
	[UA_K_TRUNCATED] = { "truncated", UA_ERROR,
		N_("Download or copy the firmware again, let it finish, and compare its size with the published one.") },
	[UA_K_TRAILING] = { "trailing", UA_ERROR,
		N_("Download the firmware again into a new file (do not resume into an old one).") },
	[UA_K_TABLE_TOO_LARGE] = { "table-too-large", UA_ERROR,
		N_("Download or copy the firmware again.") },
	[UA_K_SIZE_MISMATCH] = { "size-mismatch", UA_ERROR,
		N_("Make sure nothing writes to the file while it is read, then try again.") },
	[UA_K_CRC_ENTRY_CUT] = { "crc-entry-cut", UA_ERROR,
		N_("Download or copy the firmware again, let it finish, and compare its size with the published one.") },
	[UA_K_LEADING_ZEROS] = { "leading-zeros", UA_WARNING,
		N_("Compare the file with a fresh download if the device rejects it.") },
	[UA_K_PADDING] = { "padding", UA_WARNING,
		N_("Compare the file with a fresh download if the device rejects it.") },
	[UA_K_HARDWARE_ID] = { "hardware-id", UA_WARNING,
		N_("Compare the file with a fresh download if the device rejects it.") },
	[UA_K_DATE] = { "date", UA_WARNING,
		N_("Compare the file with a fresh download if the device rejects it.") },
	[UA_K_TIME] = { "time", UA_WARNING,
		N_("Compare the file with a fresh download if the device rejects it.") },
	[UA_K_NAME] = { "name", UA_WARNING,
		N_("Compare the file with a fresh download if the device rejects it.") },
	[UA_K_BLOCK_SIZE] = { "block-size", UA_WARNING,
		N_("Compare the file with a fresh download if the device rejects it.") },
	[UA_K_SIGNATURE_POSITION] = { "signature-position", UA_WARNING,
		N_("Prefer official firmware: an edited file may be refused by the device.") },
	[UA_K_TOO_MANY_ENTRIES] = { "too-many-entries", UA_WARNING,
		N_("Make sure this is a real firmware file.") },
	[UA_K_CRC_ENTRY_MISMATCH] = { "crc-entry-mismatch", UA_WARNING,
		N_("Prefer official firmware, or compare the file with a fresh download if the device rejects it.") },
	[UA_K_SIGNATURE] = { "signature", UA_INFO,
		N_("Nothing to do: the device checks the signature itself.") },
	[UA_K_CRC_ENTRY] = { "crc-entry", UA_INFO,
		N_("Nothing to do.") },
	[UA_K_CRC_ENTRY_UNKNOWN] = { "crc-entry-unknown", UA_INFO,
		N_("Nothing to do: the rest of the file was checked as usual.") },
};

const char *ua_kind_name(enum ua_kind k)
{
	return (unsigned)k < UA_K_COUNT ? kinds[k].name : "unknown";
}

enum ua_severity ua_kind_severity(enum ua_kind k)
{
	return (unsigned)k < UA_K_COUNT ? kinds[k].severity : UA_ERROR;
}

const char *ua_kind_advice(enum ua_kind k)
{
	return (unsigned)k < UA_K_COUNT ? _(kinds[k].advice) : "";
}

/* A name from a table indexed by the enum, "unknown" past it or for a gap. */
#define NAME_OF(table, v) \
	((unsigned)(v) < sizeof(table) / sizeof(table[0]) && table[v] ? table[v] : "unknown")

const char *ua_verdict_name(enum ua_verdict v)
{
	static const char *const names[] = {
		[UA_VALID] = "valid",
		[UA_VALID_WITH_WARNINGS] = "valid-with-warnings",
		[UA_DAMAGED] = "damaged",
		[UA_NOT_UPDATEAPP] = "not-updateapp",
	};

	return NAME_OF(names, v);
}

const char *ua_severity_name(enum ua_severity s)
{
	static const char *const names[] = {
		[UA_INFO] = "info",
		[UA_WARNING] = "warning",
		[UA_ERROR] = "error",
	};

	return NAME_OF(names, s);
}

const char *ua_entry_result_name(enum ua_entry_result r)
{
	static const char *const names[] = {
		[UA_ENTRY_OK] = "ok",
		[UA_ENTRY_WARNING] = "warning",
		[UA_ENTRY_DAMAGED] = "damaged",
		[UA_ENTRY_TRUNCATED] = "truncated",
	};

	return NAME_OF(names, r);
}

const char *ua_crc_result_name(enum ua_crc_result r)
{
	static const char *const names[] = {
		[UA_CRC_ABSENT] = "absent",
		[UA_CRC_PASS] = "pass",
		[UA_CRC_CUT] = "cut",
		[UA_CRC_MISMATCH] = "mismatch",
		[UA_CRC_UNKNOWN] = "not-understood",
		[UA_CRC_NOT_JUDGED] = "not-judged",
	};

	return NAME_OF(names, r);
}

const char *ua_format_name(enum ua_format f)
{
	static const char *const names[] = {
		[UA_FMT_UNKNOWN] = "unknown",
		[UA_FMT_UPDATE_APP] = "update-app",
		[UA_FMT_EMPTY] = "empty",
		[UA_FMT_ZEROS] = "zeros",
		[UA_FMT_HTML] = "html",
		[UA_FMT_ZIP] = "zip",
		[UA_FMT_ARCHIVE] = "archive",
		[UA_FMT_UPDATE_BIN] = "update-bin",
		[UA_FMT_TEXT] = "text",
	};

	return NAME_OF(names, f);
}
