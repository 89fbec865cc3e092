#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"
done_testing
