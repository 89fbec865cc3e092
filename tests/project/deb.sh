#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The Debian package, made as README.md says: dpkg-buildpackage in a copy of
# the clone (here with the source package too, for lintian's source checks),
# lintian with no error, the .deb unpacked into a scratch root (dpkg -x)
# whose dloadcard runs on the system's libraries, the same files as
# make install, and nothing left in the tree that git would see.
#
# Run by `make check-deb` (./quickstart test), not by make check: it takes a
# minute, and builds nothing the sanitizers could look at.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/helpers/lib.sh"

top_srcdir=$(cd "$TESTS_SRCDIR/.." && pwd)
top_builddir=$(cd "${TESTS_BUILDDIR:-$(pwd)/tests}/.." && pwd)
# The make running this test must not hand its jobserver to the builds below.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
# Nothing written outside $TMP: lintian and git look at $HOME.
export HOME=$TMP/home
mkdir -p "$HOME"

missing=()
for tool in dpkg-buildpackage:dpkg-dev dh:debhelper dh_autoreconf:dh-autoreconf lintian:lintian git:git; do
	command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "1..0 # SKIP no Debian packaging tools here (apt-get install ${missing[*]})"
	exit 0
fi
if ! git -C "$top_srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "1..0 # SKIP $top_srcdir is not a git clone, and the package is built from one"
	exit 0
fi

# --- The copy of the clone: the files git sees (tracked or new, not ignored) -----
src=$TMP/pkg/dloadcard
mkdir -p "$src"
(cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard |
	tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$src" -xf -
git -C "$src" init -q && git -C "$src" add -A &&
	git -C "$src" -c user.name=test -c user.email=test@example.org commit -qm copy
ok $? "a copy of the clone, as a git repository of its own"

# --- Build --------------------------------------------------------------------------
(cd "$src" && dpkg-buildpackage -us -uc -J"$(nproc)") >"$TMP/build.log" 2>&1
status=$?
ok $status "dpkg-buildpackage -us -uc builds the package"
if [ $status -ne 0 ]; then
	diag "$(tail -40 "$TMP/build.log")"
	echo "Bail out! no package to look at"
	exit 1
fi

version=$(cd "$src" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
deb=$TMP/pkg/dloadcard_${version}_$arch.deb
changes=$TMP/pkg/dloadcard_${version}_$arch.changes
[ -f "$deb" ] && [ -f "$changes" ]
ok $? "it is dloadcard_${version}_$arch.deb, written beside the tree"

grep -q '^PASS: tests/unit/' "$TMP/build.log"
ok $? "the package build runs the unit tests"
! grep -Eq '^(PASS|FAIL|SKIP|ERROR): tests/[a-z_-]+\.sh' "$TMP/build.log"
ok $? "and no end-to-end test (no loop device or FUSE mount in a package build)"

run git -C "$src" status --porcelain --untracked-files=all
[ $status -eq 0 ] && [ -z "$out" ]
ok $? "the build leaves nothing in the tree that git would see"
[ -z "$out" ] || diag "$out"

# --- lintian ------------------------------------------------------------------------
run lintian --display-info "$changes"
is_status 0 "lintian checks the source and the binary package: no error"
! grep -q '^E: ' <<<"$out"
ok $? "lintian: no E: line"
[ -z "$out" ] || diag "$out"

# --- The package's fields -------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
like "$(field Depends)" '(^|, )mtools(,|$)' "Depends: mtools"
like "$(field Depends)" 'libfdisk1' "Depends: the shared libraries, from shlibs (libfdisk1...)"
like "$(field Recommends)" '^dosfstools$' "Recommends: dosfstools"
like "$(field Section)" '^admin$' "Section: admin"

# --- Installed into a scratch root ---------------------------------------------------
root=$TMP/root
dpkg -x "$deb" "$root"
ok $? "dpkg -x unpacks it"
bin=$root/usr/bin/dloadcard
for f in usr/bin/dloadcard usr/share/man/man1/dloadcard.1.gz \
	usr/share/doc/dloadcard/README.md usr/share/doc/dloadcard/sd-layout.md \
	usr/share/doc/dloadcard/updateapp-format.md usr/share/doc/dloadcard/copyright \
	usr/share/bash-completion/completions/dloadcard \
	usr/share/locale/es/LC_MESSAGES/dloadcard.mo; do
	[ -f "$root/$f" ]
	ok $? "the package installs /$f"
done

run "$bin" --version
is_status 0 "the installed dloadcard --version runs"
like "$out" "^dloadcard $version\$" "it is version $version, the version of debian/changelog"

for m in mformat mmd mcopy mren mdel; do
	grep -aq "/usr/bin/$m" "$bin"
	ok $? "it runs /usr/bin/$m, where Debian's mtools puts it"
done

# The packaged completion, loaded as bash-completion loads it, completes the
# packaged binary's commands (from its own --help).
. "$TESTS_SRCDIR/helpers/complete-lib.sh"
if have_bash_completion; then
	run complete_words "$root/usr/share/bash-completion/completions/dloadcard" "$bin" ''
	got=$(tr '\n' ' ' <<<"$out")
	[ "$got" = "prepare check verify probe list batch " ]
	ok $? "the package's bash completion completes the installed dloadcard's commands"
	[ "$got" = "prepare check verify probe list batch " ] || diag "got: $got $errout"
else
	skip "the package's bash completion" "no $BASH_COMPLETION_MAIN (apt-get install bash-completion)"
fi

make_sample "$TMP/UPDATE.APP" 2M || { echo "Bail out! cannot make a sample UPDATE.APP"; exit 1; }
run "$bin" check "$TMP/UPDATE.APP"
is_status 0 "the installed dloadcard check: a valid UPDATE.APP"
make_sample "$TMP/fw.zip" 2M --zip dload/UPDATE.APP || { echo "Bail out! cannot make a zip"; exit 1; }
run "$bin" check "$TMP/fw.zip"
is_status 0 "the installed dloadcard check: a firmware zip (libarchive)"
make_sample "$TMP/bad.APP" 2M --damage block-crc || { echo "Bail out! cannot make a damaged file"; exit 1; }
run "$bin" check "$TMP/bad.APP"
is_status 4 "the installed dloadcard check: a damaged UPDATE.APP"

# --- The same files as make install ---------------------------------------------------
# Debian compresses the man page and adds its changelog and copyright.
files() { (cd "$1" && find . \( -type f -o -type l \) -printf '/%P\n' | sort); }
make -C "$top_builddir" install prefix=/usr DESTDIR="$TMP/inst" >"$TMP/install.log" 2>&1
ok $? "make install prefix=/usr DESTDIR=..., from the build that runs this test"
files "$TMP/inst" >"$TMP/inst.list"
files "$root" | sed '\,^/usr/share/doc/dloadcard/\(changelog\.gz\|copyright\)$,d
	s,^\(/usr/share/man/.*\)\.gz$,\1,' >"$TMP/deb.list"
run diff "$TMP/inst.list" "$TMP/deb.list"
is_status 0 "make install installs the files of the .deb (less Debian's changelog and copyright)"

done_testing
