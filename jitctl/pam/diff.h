/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A unified diff of two files as lines (longest common subsequence), for
 * jitctl pam --dry-run and for showing edits made since a backup. The
 * output applies with patch -p1. */

#include <stdio.h>

#include "lines.h"

#define DIFF_CONTEXT 3u
#define DIFF_CELLS_MAX (4u * 1024u * 1024u) /* LCS table; beyond it, replace */

/* Print a unified diff from a to b under the given labels ("--- label_a",
 * "+++ label_b"); nothing when they are equal. */
int diff_print(FILE *f, const char *label_a, const char *label_b, const struct lines *a,
               const struct lines *b);
