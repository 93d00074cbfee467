/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

/* Missing, unreadable or failing files are system errors, not unsafe ones:
 * the reason tells the admin where to look. */
static int error_errno(struct jit_error *err, int errnum, const char *what, int what_len,
                       const char *action) {
        char buf[128];

        /* strerror_r, not strerror: this runs inside sshd and sudo, which
         * may use PAM from more than one thread. */
        return jit_error_set(err, errnum, JIT_REASON_SYSTEM, "%.*s: %s: %s", what_len, what, action,
                             strerror_r(errnum, buf, sizeof(buf)));
}

static int check_owner_mode(const struct stat *st, uid_t owner, bool folder, const char *what,
                            int what_len, struct jit_error *err) {
        if (st->st_uid != 0 && st->st_uid != owner) {
                if (owner == 0)
                        return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                             "%.*s: owned by uid %u, not by root", what_len, what,
                                             (unsigned) st->st_uid);
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                     "%.*s: owned by uid %u, not by root or uid %u", what_len, what,
                                     (unsigned) st->st_uid, (unsigned) owner);
        }
        /* A root-owned sticky folder (/tmp) lets others add entries but not
         * replace ours, so it may be world-writable as an ancestor. */
        if ((st->st_mode & 022) != 0 && !(folder && st->st_uid == 0 && (st->st_mode & S_ISVTX)))
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                     "%.*s: writable by group or others", what_len, what);
        return 0;
}

/* Why did opening component name (in dfd) as a folder fail? */
static int folder_open_error(int dfd, const char *name, int errnum, const char *what, int what_len,
                             struct jit_error *err) {
        struct stat st;

        if (errnum == ELOOP || errnum == ENOTDIR) {
                if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISLNK(st.st_mode))
                        return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                             "%.*s: is a symlink", what_len, what);
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE, "%.*s: not a folder",
                                     what_len, what);
        }
        return error_errno(err, errnum, what, what_len, "cannot open");
}

static int path_check_syntax(const char *path, struct jit_error *err) {
        const char *p;

        if (!path || path[0] != '/')
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE, "%s: not an absolute path",
                                     strempty(path));
        if (strnlen(path, PATH_MAX) >= PATH_MAX)
                return jit_error_set(err, ENAMETOOLONG, JIT_REASON_SYSTEM, "path too long");
        /* Refuse "." and ".." anywhere: a path must mean what it says. */
        for (p = path;;) {
                size_t l;

                while (*p == '/')
                        p++;
                if (*p == '\0')
                        break;
                l = strcspn(p, "/");
                if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
                        return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                             "%s: '.' or '..' in path", path);
                if (l > NAME_MAX)
                        return jit_error_set(err, ENAMETOOLONG, JIT_REASON_SYSTEM,
                                             "%s: name too long", path);
                p += l;
        }
        if (path[strlen(path) - 1] == '/')
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                     "%s: names a folder, not a file", path);
        return 0;
}

static int read_all(int fd, size_t size_hint, size_t max_size, const char *path, char **ret,
                    size_t *ret_len, struct jit_error *err) {
        _cleanup_free_ char *buf = NULL;
        /* Room for one byte past max_size: reading it proves the file grew. */
        size_t limit = max_size < SIZE_MAX - 2 ? max_size + 1 : SIZE_MAX - 2;
        size_t cap = size_hint < limit ? size_hint + 1 : limit, n = 0;

        buf = malloc(cap + 1);
        if (!buf)
                return jit_error_oom(err);
        for (;;) {
                ssize_t k;

                if (n == cap) {
                        size_t ncap;
                        char *nb;

                        if (cap >= limit)
                                return jit_error_set(err, EFBIG, JIT_REASON_TOO_LARGE,
                                                     "%s: larger than %zu bytes", path, max_size);
                        ncap = cap < limit / 2 ? cap * 2 : limit;
                        if (ncap < 4096 && limit > 4096)
                                ncap = 4096;
                        nb = realloc(buf, ncap + 1);
                        if (!nb)
                                return jit_error_oom(err);
                        buf = nb;
                        cap = ncap;
                }
                k = read(fd, buf + n, cap - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return error_errno(err, errno, path, (int) strlen(path), "read failed");
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = n;
        return 0;
}

int read_file_secure(const char *path, uid_t owner, size_t max_size, char **ret, size_t *ret_len,
                     struct jit_error *err) {
        _cleanup_close_ int dfd = -1, fd = -1;
        const char *p;
        struct stat st;
        int r;

        if (!ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "no result pointer");
        r = path_check_syntax(path, err);
        if (r < 0)
                return r;

        dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return error_errno(err, errno, "/", 1, "cannot open");
        if (fstat(dfd, &st) < 0)
                return error_errno(err, errno, "/", 1, "cannot stat");
        r = check_owner_mode(&st, owner, true, "/", 1, err);
        if (r < 0)
                return r;

        for (p = path;;) {
                char name[NAME_MAX + 1];
                size_t l;
                int what_len;

                while (*p == '/')
                        p++;
                l = strcspn(p, "/");
                memcpy(name, p, l);
                name[l] = '\0';
                what_len = (int) (p + l - path);
                p += l;
                if (*p == '\0')
                        break; /* name is the file */

                /* O_NOFOLLOW on each component, relative to the folder
                 * already checked: no symlink and no swap in between. */
                fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return folder_open_error(dfd, name, errno, path, what_len, err);
                if (fstat(fd, &st) < 0)
                        return error_errno(err, errno, path, what_len, "cannot stat");
                r = check_owner_mode(&st, owner, true, path, what_len, err);
                if (r < 0)
                        return r;
                (void) close(dfd);
                dfd = TAKE_FD(fd);
        }

        {
                const char *name = strrchr(path, '/') + 1;

                /* O_NONBLOCK: a FIFO planted here must not hang the reader
                 * (sudo, sshd) before fstat() can refuse it. */
                fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
                if (fd < 0) {
                        if (errno == ELOOP)
                                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                                     "%s: is a symlink", path);
                        return error_errno(err, errno, path, (int) strlen(path), "cannot open");
                }
        }
        if (fstat(fd, &st) < 0)
                return error_errno(err, errno, path, (int) strlen(path), "cannot stat");
        if (!S_ISREG(st.st_mode))
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE, "%s: not a regular file",
                                     path);
        r = check_owner_mode(&st, owner, false, path, (int) strlen(path), err);
        if (r < 0)
                return r;
        if ((uint64_t) st.st_size > max_size)
                return jit_error_set(err, EFBIG, JIT_REASON_TOO_LARGE, "%s: larger than %zu bytes",
                                     path, max_size);

        return read_all(fd, (size_t) st.st_size, max_size, path, ret, ret_len, err);
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      struct jit_error *err) {
        return write_file_atomic_flags(path, data, len, mode, 0, err);
}

int write_file_atomic_flags(const char *path, const void *data, size_t len, mode_t mode,
                            unsigned flags, struct jit_error *err) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -1, fd = -1;
        const char *name, *slash;
        char tmp[NAME_MAX + 1];
        uint8_t rnd[6];
        size_t done = 0;
        int r;

        if (!path || (!data && len > 0))
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing path or data");
        slash = strrchr(path, '/');
        name = slash ? slash + 1 : path;
        if (*name == '\0' || streq(name, ".") || streq(name, ".."))
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "%s: not a file name", path);
        if (strlen(name) + strlen(".#.") + 12 > NAME_MAX)
                return jit_error_set(err, ENAMETOOLONG, JIT_REASON_SYSTEM, "%s: name too long",
                                     path);
        if (!slash)
                dir = strdup(".");
        else if (slash == path)
                dir = strdup("/");
        else
                dir = strndup(path, (size_t) (slash - path));
        if (!dir)
                return jit_error_oom(err);

        /* A real (not O_PATH) descriptor: the folder is fsync()ed at the end. */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return error_errno(err, errno, dir, (int) strlen(dir), "cannot open folder");

        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
                return jit_error_set(err, EIO, JIT_REASON_SYSTEM, "getrandom failed");
        (void) snprintf(tmp, sizeof(tmp), ".#%s.%02x%02x%02x%02x%02x%02x", name, rnd[0], rnd[1],
                        rnd[2], rnd[3], rnd[4], rnd[5]);

        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 07777);
        if (fd < 0)
                return error_errno(err, errno, path, (int) strlen(path),
                                   "cannot create temporary file");

        /* The umask narrowed the mode given to openat(); readers of
         * 0644 files (sshd for keys) need exactly what was asked. */
        if (fchmod(fd, mode & 07777) < 0) {
                r = error_errno(err, errno, path, (int) strlen(path), "fchmod failed");
                goto fail;
        }
        while (done < len) {
                ssize_t k = write(fd, (const char *) data + done, len - done);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = error_errno(err, errno, path, (int) strlen(path), "write failed");
                        goto fail;
                }
                done += (size_t) k;
        }
        if (!(flags & WRITE_FILE_NO_SYNC) && fsync(fd) < 0) {
                r = error_errno(err, errno, path, (int) strlen(path), "fsync failed");
                goto fail;
        }
        if (close(TAKE_FD(fd)) < 0) {
                r = error_errno(err, errno, path, (int) strlen(path), "close failed");
                goto fail;
        }
        if (renameat(dfd, tmp, dfd, name) < 0) {
                r = error_errno(err, errno, path, (int) strlen(path), "rename failed");
                goto fail;
        }
        /* The rename is durable only once the folder is. */
        if (!(flags & WRITE_FILE_NO_SYNC) && fsync(dfd) < 0)
                return error_errno(err, errno, dir, (int) strlen(dir), "fsync failed");
        return 0;

fail:
        (void) unlinkat(dfd, tmp, 0);
        return r;
}

char *path_join3(const char *a, const char *b, const char *c) {
        char *p = NULL;

        if (asprintf(&p, "%s/%s%s", a, b, strempty(c)) < 0)
                return NULL;
        return p;
}
