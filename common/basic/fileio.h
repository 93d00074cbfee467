/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* File access with the checks sshd's StrictModes makes. Paths are absolute;
 * every component is opened with O_NOFOLLOW relative to its parent, so no
 * symlink is followed and nothing can be swapped between check and use. */

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Read a whole regular file of at most max_size bytes. The file and every
 * folder on its path must be owned by root or by `owner`, and not writable
 * by group or others (a root-owned folder with the sticky bit, like /tmp, is
 * accepted as an ancestor). *ret is NUL-terminated. Refusals return -EPERM
 * with reason JIT_REASON_FILE_UNSAFE; oversize -EFBIG (TOO_LARGE). */
int read_file_secure(const char *path, uid_t owner, size_t max_size, char **ret, size_t *ret_len,
                     struct jit_error *err);

/* Replace path with data atomically: write a temporary file beside it
 * (O_EXCL, mode), fsync, rename over path, fsync the folder. On failure the
 * old file is untouched and no temporary is left behind. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      struct jit_error *err);

/* Without an fsync of the file and its folder: for many files written at
 * once, made durable by one syncfs() after them and a commit point written
 * with write_file_atomic() last (the agent's users/ files, then state). */
#define WRITE_FILE_NO_SYNC (1u << 0)
int write_file_atomic_flags(const char *path, const void *data, size_t len, mode_t mode,
                            unsigned flags, struct jit_error *err);

/* "a/b" followed by c (NULL: nothing); NULL when out of memory. */
char *path_join3(const char *a, const char *b, const char *c);
