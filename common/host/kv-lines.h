/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "keyword value" lines, the syntax of state_dir/state and
 * state_dir/users/<user>: every line ends with '\n', holds "keyword SP
 * value", no NUL, no blank line. */

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* One line; number counts from 1 as kv_line_next() advances. */
struct kv_line {
        unsigned number;
        const char *key, *value;
        size_t key_len, value_len;
};

/* Split the next line at *p (before end) into l, and move *p past it. */
int kv_line_next(const char **p, const char *end, struct kv_line *l, struct jit_error *err);
bool kv_is(const struct kv_line *l, const char *key);
/* The next line, which must be key's: a file's fixed header, so that a
 * file cut or spliced at the front fails ("line N: missing/expected"). */
int kv_line_expect(const char **p, const char *end, const char *key, struct kv_line *l,
                   struct jit_error *err);
/* The errors every reader reports alike (-EINVAL, MALFORMED). */
int kv_unknown(const struct kv_line *l, struct jit_error *err);
int kv_bad_value(const struct kv_line *l, struct jit_error *err);
