#!/bin/sh
# Regenerate the build system from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
# autoreconf runs autopoint (AM_GNU_GETTEXT_VERSION): po/'s Makefile and the
# gettext macros come from it.
for tool in autoreconf autopoint; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "autogen.sh: $tool not found: apt-get install autoconf automake gettext autopoint" >&2
		exit 1
	}
done
autoreconf --install --force
