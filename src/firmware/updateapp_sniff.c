/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a file is when it is not an UPDATE.APP, from its first bytes: a web
 * page saved instead of the download, the firmware zip itself, another
 * archive, a HarmonyOS update.bin, an error message as text, or nothing but
 * zeros; and the words that name what it is.  Also the small byte tests the
 * parser shares.
 */
#include <stdio.h>
#include <string.h>

#include "firmware/updateapp_private.h"
#include "lib/byteorder.h"
#include "lib/nls.h"

size_t ua_zero_run(const unsigned char *p, size_t len)
{
	size_t i = 0;

	/* Word at a time: all-zero files and zero padding can be gigabytes. */
	while (i + 8 <= len) {
		uint64_t w;

		memcpy(&w, p + i, sizeof(w));
		if (w)
			break;
		i += 8;
	}
	while (i < len && p[i] == 0)
		i++;
	return i;
}

void ua_field_str(char *out, size_t outsz, const unsigned char *p, size_t len,
		  unsigned char stop)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < outsz; i++) {
		if (p[i] == 0 || p[i] == stop)
			break;
		out[n++] = ua_is_print(p[i]) ? (char)p[i] : '?';
	}
	out[n] = '\0';
}

static bool is_update_bin(const unsigned char *p, size_t len)
{
	/* OpenHarmony update package: a TLV (type 1 for SHA-256 or 0x11 for
	 * SHA-384 signing, length 136) holding the package header, then a
	 * time TLV (type 2, length 32) at 140, then the component TLV
	 * (type 5) at 176. */
	if (len < 4)
		return false;
	if ((get_le16(p) != 0x0001 && get_le16(p) != 0x0011) || get_le16(p + 2) != 136)
		return false;
	if (len >= 144 && (get_le16(p + 140) != 0x0002 || get_le16(p + 142) != 32))
		return false;
	if (len >= 178 && get_le16(p + 176) != 0x0005)
		return false;
	return true;
}

const char *ua_archive_name(const unsigned char *p, size_t len)
{
	static const struct {
		const char *name;
		size_t off, len;
		const char *sig;
	} sigs[] = {
		{ "RAR", 0, 6, "Rar!\x1a\x07" },
		{ "7z", 0, 6, "7z\xbc\xaf\x27\x1c" },
		{ "gzip", 0, 2, "\x1f\x8b" },
		{ "bzip2", 0, 3, "BZh" },
		{ "xz", 0, 6, "\xfd" "7zXZ\0" },
		{ "zstd", 0, 4, "\x28\xb5\x2f\xfd" },
		{ "cab", 0, 4, "MSCF" },
		{ "tar", 257, 5, "ustar" },
	};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (len >= sigs[i].off + sigs[i].len &&
		    memcmp(p + sigs[i].off, sigs[i].sig, sigs[i].len) == 0)
			return sigs[i].name;
	return NULL;
}

static bool is_zip(const unsigned char *p, size_t len)
{
	return len >= 4 && p[0] == 'P' && p[1] == 'K' &&
	       ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6) ||
		(p[2] == 7 && p[3] == 8));
}

static size_t skip_bom_space(const unsigned char *p, size_t len)
{
	size_t i = 0;

	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		i = 3;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
			   p[i] == '\n' || p[i] == '\f'))
		i++;
	return i;
}

static bool is_text(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 ? !(p[i] == '\t' || p[i] == '\n' ||
				    p[i] == '\r' || p[i] == '\f')
				: p[i] == 0x7f)
			return false;
	return true;
}

bool ua_is_ascii_text(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!ua_is_print(p[i]) && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
	return true;
}

enum ua_format ua_sniff(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t z, i;

	if (len == 0)
		return UA_FMT_EMPTY;
	z = ua_zero_run(p, len);
	if (z == len)
		return UA_FMT_ZEROS;
	if (memcmp(p + z, UA_MAGIC, len - z < 4 ? len - z : 4) == 0)
		return UA_FMT_UPDATE_APP;
	if (z > 0)
		return UA_FMT_UNKNOWN;
	if (is_zip(p, len))
		return UA_FMT_ZIP;
	if (ua_archive_name(p, len))
		return UA_FMT_ARCHIVE;
	if (is_update_bin(p, len))
		return UA_FMT_UPDATE_BIN;
	i = skip_bom_space(p, len);
	if (i < len && p[i] == '<')
		return UA_FMT_HTML;
	if (is_text(p + i, len - i))
		return UA_FMT_TEXT;
	return UA_FMT_UNKNOWN;
}

void ua_text_excerpt(char *out, size_t outsz, const unsigned char *p, size_t len)
{
	size_t i = skip_bom_space(p, len), n = 0;

	for (; i < len && n + 1 < outsz; i++) {
		if (p[i] == '\n' || p[i] == '\r')
			break;
		out[n++] = ua_is_print(p[i]) ? (char)p[i] : ' ';
	}
	out[n] = '\0';
}

void ua_update_bin_product(char *out, size_t outsz, const unsigned char *p, size_t len)
{
	char product[65] = "", version[65] = "";

	if (len >= 12 + 64)
		ua_field_str(product, sizeof(product), p + 12, 64, 0);
	if (len >= 76 + 64)
		ua_field_str(version, sizeof(version), p + 76, 64, 0);
	if (product[0] && version[0])
		snprintf(out, outsz, _(" (product %s, version %s)"), product, version);
	else if (product[0])
		snprintf(out, outsz, _(" (product %s)"), product);
	else
		out[0] = '\0';
}
