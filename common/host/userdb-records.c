/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "parse.h"
#include "user-record.h"
#include "userdb-records.h"

#define RECORD_FILE_MAX 4096

static int dir_open(const char *dir, bool create, int *ret, struct jit_error *err) {
        struct stat st;
        int fd;

        if (create && mkdir(dir, 0755) < 0 && errno != EEXIST)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot create: %s", dir,
                                     strerror_r(errno, (char[128]){}, 128));
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: %s", dir,
                                     strerror_r(errno, (char[128]){}, 128));
        /* What is here names users to every process on the host. */
        if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
                close(fd);
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                     "%s: not root's, or writable by others", dir);
        }
        *ret = fd;
        return 0;
}

/* 1: dir/file is a regular file holding a record of ours, 0: there is
 * none, -EEXIST: something else is there. */
static int record_file_state(const char *dir, const char *file) {
        _cleanup_free_ char *path = path_join3(dir, file, NULL), *text = NULL;
        size_t len = 0;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_file_secure(path, 0, RECORD_FILE_MAX, &text, &len, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return -EEXIST;
        return user_record_is_ours(text, len) ? 1 : -EEXIST;
}

/* The same, where a link (ours point at "<name>.user" or "<name>.group"
 * beside them) is judged by the file it names. */
static int entry_state(const char *dir, const char *file) {
        _cleanup_free_ char *path = path_join3(dir, file, NULL);
        char target[256];
        struct stat st;
        ssize_t n;

        if (!path)
                return -ENOMEM;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISLNK(st.st_mode))
                return record_file_state(dir, file);
        n = readlink(path, target, sizeof(target) - 1);
        if (n <= 0 || memchr(target, '/', (size_t) n))
                return -EEXIST;
        target[n] = '\0';
        return record_file_state(dir, target) == 1 ? 1 : -EEXIST;
}

static int link_replace(int dfd, const char *target, const char *name) {
        _cleanup_free_ char *tmp = NULL;

        if (asprintf(&tmp, ".#%s.%d", name, (int) getpid()) < 0)
                return -ENOMEM;
        (void) unlinkat(dfd, tmp, 0);
        if (symlinkat(target, dfd, tmp) < 0)
                return -errno;
        if (renameat(dfd, tmp, dfd, name) < 0) {
                int r = -errno;

                (void) unlinkat(dfd, tmp, 0);
                return r;
        }
        return 0;
}

int userdb_records_write(const char *dir, const char *name, uid_t uid, const char *user_text,
                         const char *group_text, struct jit_error *err) {
        _cleanup_free_ char *user_file = NULL, *group_file = NULL, *uid_link = NULL,
                            *gid_link = NULL, *user_path = NULL, *group_path = NULL;
        _cleanup_close_ int dfd = -1;
        const char *files[4];
        int r;

        if (!user_name_is_valid(name, strlen(name)))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid user name");
        if (asprintf(&user_file, "%s.user", name) < 0 ||
            asprintf(&group_file, "%s.group", name) < 0 ||
            asprintf(&uid_link, "%u.user", (unsigned) uid) < 0 ||
            asprintf(&gid_link, "%u.group", (unsigned) uid) < 0)
                return jit_error_oom(err);
        r = dir_open(dir, true, &dfd, err);
        if (r < 0)
                return r;
        files[0] = user_file, files[1] = group_file, files[2] = uid_link, files[3] = gid_link;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                r = entry_state(dir, files[i]);
                if (r == -EEXIST)
                        return jit_error_set(err, EEXIST, JIT_REASON_FILE_UNSAFE,
                                             "%s/%s exists and is not jit-agent's", dir, files[i]);
                if (r < 0)
                        return jit_error_set(err, -r, JIT_REASON_SYSTEM, "%s/%s: %s", dir, files[i],
                                             strerror_r(-r, (char[128]){}, 128));
        }
        user_path = path_join3(dir, user_file, NULL);
        group_path = path_join3(dir, group_file, NULL);
        if (!user_path || !group_path)
                return jit_error_oom(err);
        /* /run is memory: no fsync needed, only atomic replacement. */
        r = write_file_atomic_flags(group_path, group_text, strlen(group_text), 0644,
                                    WRITE_FILE_NO_SYNC, err);
        if (r >= 0)
                r = link_replace(dfd, group_file, gid_link);
        if (r >= 0)
                r = write_file_atomic_flags(user_path, user_text, strlen(user_text), 0644,
                                            WRITE_FILE_NO_SYNC, err);
        if (r >= 0)
                r = link_replace(dfd, user_file, uid_link);
        if (r < 0) {
                /* Nothing half-done: what was written goes again. */
                (void) userdb_records_remove(dir, name, uid, NULL);
                if (!err || !err->message[0])
                        return jit_error_set(err, -r, JIT_REASON_SYSTEM, "%s: cannot write: %s",
                                             dir, strerror_r(-r, (char[128]){}, 128));
                return r;
        }
        return 0;
}

int userdb_records_remove(const char *dir, const char *name, uid_t uid, struct jit_error *err) {
        _cleanup_close_ int dfd = -1;
        char files[4][64];
        bool removed = false;
        int r;

        if (!user_name_is_valid(name, strlen(name)))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid user name");
        r = dir_open(dir, false, &dfd, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        /* The user (the link, then the record) before the group. */
        (void) snprintf(files[0], sizeof(files[0]), "%u.user", (unsigned) uid);
        (void) snprintf(files[1], sizeof(files[1]), "%s.user", name);
        (void) snprintf(files[2], sizeof(files[2]), "%u.group", (unsigned) uid);
        (void) snprintf(files[3], sizeof(files[3]), "%s.group", name);
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                if (entry_state(dir, files[i]) != 1)
                        continue;
                if (unlinkat(dfd, files[i], 0) < 0 && errno != ENOENT)
                        return jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                             "%s/%s: cannot remove: %s", dir, files[i],
                                             strerror_r(errno, (char[128]){}, 128));
                removed = true;
        }
        return removed ? 1 : 0;
}

bool userdb_record_is_ours(const char *dir, const char *name) {
        _cleanup_free_ char *file = NULL;

        if (asprintf(&file, "%s.user", name) < 0)
                return false;
        return entry_state(dir, file) == 1;
}

int userdb_records_list(const char *dir, char ***ret, struct jit_error *err) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        _cleanup_close_ int dfd = -1;
        struct dirent *de;
        DIR *d;
        int r;

        if (!l)
                return jit_error_oom(err);
        r = dir_open(dir, false, &dfd, err);
        if (r == -ENOENT) {
                *ret = TAKE_PTR(l);
                return 0;
        }
        if (r < 0)
                return r;
        d = fdopendir(dfd);
        if (!d)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: %s", dir,
                                     strerror_r(errno, (char[128]){}, 128));
        dfd = -1; /* d owns it */
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                _cleanup_free_ char *name = NULL;

                if (len <= 5 || !streq(de->d_name + len - 5, ".user"))
                        continue;
                name = strndup(de->d_name, len - 5);
                if (!name) {
                        closedir(d);
                        return jit_error_oom(err);
                }
                if (!user_name_is_valid(name, len - 5) || !userdb_record_is_ours(dir, name))
                        continue;
                if (strv_extend(&l, name) < 0) {
                        closedir(d);
                        return jit_error_oom(err);
                }
        }
        closedir(d);
        *ret = TAKE_PTR(l);
        return 0;
}
