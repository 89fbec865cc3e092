/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef DLOADCARD_LIB_NLS_H
#define DLOADCARD_LIB_NLS_H

/*
 * Messages through gettext, as util-linux's include/nls.h has them:
 *
 *   _("text")            a message, translated where it is used
 *   N_("text")           marked for the catalogue, translated later with _()
 *                        (a table of strings, an initialiser)
 *   P_("1 card", "%u cards", n)   a count (ngettext)
 *
 * Every layer may mark messages (a library builds the words of its errmsg
 * where it forms them); only main() chooses the locale.  What a script or a
 * program parses is never marked: --json, list's column names and values,
 * --raw, file names.  Without NLS (configure --disable-nls) the macros give
 * the English text back.
 */
/* ENABLE_NLS comes from configure: without config.h a file would compile
 * with the English text alone, silently. */
#include "config.h"

#ifdef ENABLE_NLS
# include <libintl.h>
# define _(Text) gettext(Text)
# define P_(Singular, Plural, n) ngettext(Singular, Plural, n)
#else
# undef bindtextdomain
# define bindtextdomain(Domain, Directory) /* empty */
# undef textdomain
# define textdomain(Domain) /* empty */
# define _(Text) (Text)
# define P_(Singular, Plural, n) ((n) == 1 ? (Singular) : (Plural))
#endif
#define N_(Text) (Text)

#endif
