# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# Drive the bash completion as bash does at a Tab: a new bash (no rc files,
# nothing of the test's own shell) loads bash-completion and the completion
# file, sets COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT, calls the
# function `complete -p dloadcard` names, and prints COMPREPLY, one a line.
# COMP_WORDS is cut as bash cuts it, at = and : too (COMP_WORDBREAKS):
# "--output=+MA" is "--output" "=" "+MA", as the completion gets it at a Tab.
#
#   have_bash_completion || skip ...
#   complete_words FILE PROGRAM WORD... ''   # the last word is the one completed
#
# The cursor is at the end of the last word; PROGRAM is words[0], the
# dloadcard that the completion asks for its help and its disks.

BASH_COMPLETION_MAIN=${BASH_COMPLETION_MAIN:-/usr/share/bash-completion/bash_completion}

have_bash_completion() {
	[ -r "$BASH_COMPLETION_MAIN" ]
}

complete_words() {	# complete_words FILE WORD...
	local file=$1
	shift
	bash --norc --noprofile -c '
		. "$1" || exit 1
		. "$2" || exit 1
		shift 2
		COMP_WORDS=()
		for w in "$@"; do
			[ -n "$w" ] || COMP_WORDS+=("")
			while [ -n "$w" ]; do
				if [[ $w =~ ^([=:]+)(.*)$ || $w =~ ^([^=:]+)(.*)$ ]]; then
					COMP_WORDS+=("${BASH_REMATCH[1]}")
					w=${BASH_REMATCH[2]}
				fi
			done
		done
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMP_TYPE=9 COMP_KEY=9
		fn=$(complete -p dloadcard 2>/dev/null | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		[ -n "$fn" ] || { echo "no completion for dloadcard" >&2; exit 1; }
		"$fn" dloadcard "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"
	' complete "$BASH_COMPLETION_MAIN" "$file" "$@"
}
