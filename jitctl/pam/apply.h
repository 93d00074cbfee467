/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Files of jitctl pam under the root it acts on (/, or --root DIR): reading
 * them safely, the planned change of one file, its backup, applying it
 * atomically with its mode kept, and showing it as a diff. Messages go
 * through output.h; the callers turn errors into exit codes. */

#include <stdbool.h>
#include <sys/types.h>

#include "lines.h"

#define PAM_BACKUP_DIR "/var/lib/jit/pam-backup"

struct wiring {
        const char *root; /* "" for "/", else absolute without a trailing '/' */
        bool dry_run;
        bool refused;      /* something was not possible: exit 1 */
        bool system_error; /* I/O failed: exit 3 */
};

/* Record a failure: I/O and memory are system errors, the rest refusals. */
void wiring_fail(struct wiring *w, int r);
/* host_path as seen under the root (malloc'd). */
char *root_path(const struct wiring *w, const char *host_path);

/* Read path (owned by root or us, not writable by others, no symlink on the
 * way, at most PAM_FILE_MAX bytes). file_read() says why it failed, except
 * -ENOENT when missing_ok; file_read_quiet() gives the message instead. */
int file_read(const char *path, bool missing_ok, struct lines *ret, mode_t *ret_mode);
int file_read_quiet(const char *path, struct lines *ret, mode_t *ret_mode, char **ret_error);

/* An included file, which may be a symlink (RHEL: /etc/pam.d/system-auth
 * -> /etc/authselect/system-auth): followed under the root, a few hops, no
 * "..", each link owned by root or us; the file it ends at passes the
 * checks of file_read(). Only for reading: nothing is written through a
 * symlink. */
int include_read_quiet(const struct wiring *w, const char *host_path, struct lines *ret,
                       char **ret_error);

/* One file's change. */
struct change {
        char *host_path; /* as the host sees it */
        char *path;      /* under the root */
        char *summary;   /* "account and session rules added" … */
        struct lines old, new;
        mode_t mode;
        bool existed;
        bool remove; /* delete the file */
};

void change_done(struct change *c);
void changes_free(struct change *c, size_t n);
bool change_is_noop(const struct change *c);
/* The change as a unified diff on standard output (a/…, b/…). */
int change_show(const struct change *c);
/* Write the new lines atomically with the old mode, owner and group, or
 * remove the file. */
int change_apply(const struct change *c);

/* The file as it was, once, in PAM_BACKUP_DIR: a later enable keeps the
 * first backup. */
int backup_save(const struct wiring *w, const struct change *c);
/* After disable: when the file is back to its backup, remove the backup;
 * else show the difference (an administrator's edits, never undone). */
int backup_compare(const struct wiring *w, const struct change *c);
