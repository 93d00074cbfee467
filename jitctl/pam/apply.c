/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "diff.h"
#include "fileio.h"
#include "jitctl.h"
#include "stack.h"

void wiring_fail(struct wiring *w, int r) {
        if (r == -ENOMEM || r == -EIO || r == -EACCES || r == -ENOSPC || r == -EROFS)
                w->system_error = true;
        else
                w->refused = true;
}

char *root_path(const struct wiring *w, const char *host_path) {
        char *p;

        if (asprintf(&p, "%s%s", w->root, host_path) < 0)
                return NULL;
        return p;
}

int file_read_quiet(const char *path, struct lines *ret, mode_t *ret_mode, char **ret_error) {
        _cleanup_free_ char *data = NULL;
        struct jit_error err = {};
        struct stat st;
        size_t len = 0;
        int r;

        *ret_error = NULL;
        r = read_file_secure(path, geteuid(), PAM_FILE_MAX, &data, &len, &err);
        if (r < 0) {
                size_t n = strlen(path);

                /* Most library messages already name the file. */
                if (strncmp(err.message, path, n) == 0 && err.message[n] == ':')
                        *ret_error = strdup(err.message);
                else if (asprintf(ret_error, "%s: %s", path, err.message) < 0)
                        *ret_error = NULL;
                return r;
        }
        if (ret_mode) {
                if (lstat(path, &st) < 0) {
                        r = -errno;
                        if (asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0)
                                *ret_error = NULL;
                        return r;
                }
                *ret_mode = st.st_mode & 07777;
        }
        r = lines_split(data, len, ret);
        if (r == -EBADMSG) {
                if (asprintf(ret_error, "%s: contains a NUL byte; not a text file", path) < 0)
                        *ret_error = NULL;
        } else if (r < 0 && asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0)
                *ret_error = NULL;
        return r;
}

int file_read(const char *path, bool missing_ok, struct lines *ret, mode_t *ret_mode) {
        _cleanup_free_ char *error = NULL;
        int r;

        r = file_read_quiet(path, ret, ret_mode, &error);
        if (r == -ENOENT && missing_ok)
                return r;
        if (r < 0)
                ctl_error("%s", error ?: strerror(-r));
        return r;
}

/* ---- one file's change ---- */

void change_done(struct change *c) {
        free(c->host_path);
        free(c->path);
        lines_done(&c->old);
        lines_done(&c->new);
        free(c->summary);
        *c = (struct change){};
}

bool change_is_noop(const struct change *c) {
        return !c->remove && c->existed && lines_eq(&c->old, &c->new);
}

void changes_free(struct change *c, size_t n) {
        for (size_t i = 0; i < n; i++)
                change_done(c + i);
}

static char *backup_path(const struct wiring *w, const char *host_path) {
        _cleanup_free_ char *name = strdup(host_path);
        char *p;

        if (!name)
                return NULL;
        for (char *c = name; *c; c++)
                if (*c == '/')
                        *c = '_';
        if (asprintf(&p, "%s" PAM_BACKUP_DIR "/%s", w->root, name) < 0)
                return NULL;
        return p;
}

/* mkdir -p of a host folder under the root; the last part gets mode. */
static int mkdir_under_root(const struct wiring *w, const char *host_dir, mode_t mode) {
        _cleanup_free_ char *p = root_path(w, host_dir);
        size_t base;

        if (!p)
                return -ENOMEM;
        base = strlen(w->root);
        for (char *c = p + base + 1;; c++) {
                bool last = *c == '\0';

                if (*c != '/' && !last)
                        continue;
                *c = '\0';
                if (mkdir(p, last ? mode : 0755) < 0 && errno != EEXIST) {
                        int r = -errno;

                        ctl_error("%s: cannot create folder: %s", p, strerror(-r));
                        return r;
                }
                if (last)
                        return 0;
                *c = '/';
        }
}

static int write_lines(const char *path, const struct lines *l, mode_t mode) {
        _cleanup_free_ char *data = NULL;
        struct jit_error err = {};
        size_t len;
        int r;

        r = lines_join(l, &data, &len);
        if (r < 0)
                return r;
        r = write_file_atomic(path, data, len, mode, &err);
        if (r < 0)
                ctl_file_error(path, &err);
        return r;
}

int backup_save(const struct wiring *w, const struct change *c) {
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r;

        if (!c->existed)
                return 0;
        path = backup_path(w, c->host_path);
        if (!path)
                return -ENOMEM;
        if (lstat(path, &st) >= 0)
                return 0;
        r = mkdir_under_root(w, PAM_BACKUP_DIR, 0700);
        if (r < 0)
                return r;
        r = write_lines(path, &c->old, 0600);
        if (r < 0)
                return r;
        /* The copy keeps the original's times, for disable to give them back
         * (integrity monitors compare them too). */
        if (lstat(c->path, &st) >= 0)
                (void) utimensat(AT_FDCWD, path, (const struct timespec[2]){st.st_atim, st.st_mtim},
                                 AT_SYMLINK_NOFOLLOW);
        return 0;
}

static void diff_labels(const struct change *c, char **ret_a, char **ret_b) {
        if (!c->existed || asprintf(ret_a, "a%s", c->host_path) < 0)
                *ret_a = NULL;
        if (c->remove || asprintf(ret_b, "b%s", c->host_path) < 0)
                *ret_b = NULL;
}

int change_show(const struct change *c) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        struct lines none = {};

        diff_labels(c, &a, &b);
        return diff_print(stdout, a ?: "/dev/null", b ?: "/dev/null", c->existed ? &c->old : &none,
                          c->remove ? &none : &c->new);
}

int change_apply(const struct change *c) {
        struct stat before, after;
        bool had;
        int r;

        if (c->remove) {
                if (unlink(c->path) < 0 && errno != ENOENT) {
                        r = -errno;
                        ctl_error("%s: cannot remove: %s", c->path, strerror(-r));
                        return r;
                }
                return 0;
        }
        had = c->existed && lstat(c->path, &before) >= 0 && S_ISREG(before.st_mode);
        r = write_lines(c->path, &c->new, c->mode ? c->mode : 0644);
        if (r < 0 || !had)
                return r;
        /* The new file is ours: give it the owner and group of the one it
         * replaces (a PAM file may be root:adm 0640). */
        if (lstat(c->path, &after) < 0 ||
            ((after.st_uid != before.st_uid || after.st_gid != before.st_gid) &&
             lchown(c->path, before.st_uid, before.st_gid) < 0)) {
                r = -errno;
                ctl_error("%s: cannot give it back its owner %u:%u: %s", c->path,
                          (unsigned) before.st_uid, (unsigned) before.st_gid, strerror(-r));
                return r;
        }
        return 0;
}

int backup_compare(const struct wiring *w, const struct change *c) {
        _cleanup_(lines_done) struct lines b = {};
        _cleanup_free_ char *path = NULL, *label = NULL;
        int r;

        path = backup_path(w, c->host_path);
        if (!path)
                return -ENOMEM;
        r = file_read(path, true, &b, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (lines_eq(&b, &c->new)) {
                struct stat st;

                if (w->dry_run)
                        return 0;
                /* Byte for byte the original again: its times too. */
                if (lstat(path, &st) >= 0)
                        (void) utimensat(AT_FDCWD, c->path,
                                         (const struct timespec[2]){st.st_atim, st.st_mtim},
                                         AT_SYMLINK_NOFOLLOW);
                if (unlink(path) < 0)
                        ctl_warning("%s: cannot remove: %m", path);
                else
                        printf("%s: identical to the copy saved before enable; backup removed\n",
                               c->host_path);
                return 0;
        }
        /* Edits made since enable are the admin's: shown, never undone. */
        fprintf(w->dry_run ? stderr : stdout,
                "%s: differs from the copy saved before enable (%s), left as is:\n", c->host_path,
                path);
        if (asprintf(&label, "b%s", c->host_path) < 0)
                return -ENOMEM;
        return diff_print(w->dry_run ? stderr : stdout, path, label, &b, &c->new);
}

#define INCLUDE_SYMLINKS_MAX 8u

int include_read_quiet(const struct wiring *w, const char *host_path, struct lines *ret,
                       char **ret_error) {
        _cleanup_free_ char *host = strdup(host_path);

        *ret_error = NULL;
        if (!host)
                return -ENOMEM;
        for (unsigned hop = 0; hop <= INCLUDE_SYMLINKS_MAX; hop++) {
                _cleanup_free_ char *path = root_path(w, host), *next = NULL;
                char target[4096];
                struct stat st;
                ssize_t n;

                if (!path)
                        return -ENOMEM;
                if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
                        return file_read_quiet(path, ret, NULL, ret_error);
                if (st.st_uid != 0 && st.st_uid != geteuid()) {
                        if (asprintf(ret_error, "%s: a symlink not owned by root", path) < 0)
                                *ret_error = NULL;
                        return -EPERM;
                }
                n = readlink(path, target, sizeof(target) - 1);
                if (n < 0)
                        return -errno;
                target[n] = '\0';
                /* Resolved by hand under the root, so ".." could leave it. */
                if (streq(target, "..") || strncmp(target, "../", 3) == 0 ||
                    strstr(target, "/../") || (n >= 3 && streq(target + n - 3, "/.."))) {
                        if (asprintf(ret_error, "%s: a symlink to '%s' (with ..)", path, target) <
                            0)
                                *ret_error = NULL;
                        return -EPERM;
                }
                if (target[0] == '/')
                        next = strdup(target);
                else if (asprintf(&next, "%.*s/%s", (int) (strrchr(host, '/') - host), host,
                                  target) < 0)
                        next = NULL;
                if (!next)
                        return -ENOMEM;
                free(host);
                host = TAKE_PTR(next);
        }
        if (asprintf(ret_error, "%s: more than %u symlinks", host_path, INCLUDE_SYMLINKS_MAX) < 0)
                *ret_error = NULL;
        return -ELOOP;
}
