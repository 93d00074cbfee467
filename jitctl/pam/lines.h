/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A text file as lines, kept byte for byte: what jitctl pam reads, changes
 * and writes back, so that disable gives back the exact bytes enable saw. */

#include <stdbool.h>
#include <stddef.h>

struct line {
        char *text; /* without its newline */
        bool nl;    /* ended by a newline: false only for a last line without one */
};

struct lines {
        struct line *v;
        size_t n;
};

void lines_done(struct lines *l);
/* Text with a NUL byte is not a config file: refused (-EBADMSG). */
int lines_split(const char *data, size_t len, struct lines *ret);
/* The bytes again, NUL-terminated; *ret_len without the NUL. */
int lines_join(const struct lines *l, char **ret, size_t *ret_len);
int lines_copy(const struct lines *a, struct lines *ret);
/* Insert a copy of text[0..len) before line at (at == n appends). */
int lines_insert(struct lines *l, size_t at, const char *text, size_t len, bool nl);
void lines_remove(struct lines *l, size_t at);
bool line_eq(const struct line *a, const struct line *b);
bool lines_eq(const struct lines *a, const struct lines *b);
