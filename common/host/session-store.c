/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* run_dir/sessions: where the records live, under one lock for writers. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "grant.h"
#include "jit-limits.h"
#include "parse.h"
#include "session-store.h"

/* Open run_dir/sessions, creating it 0700 when asked; refuse a folder that
 * anyone but root could change (pam_jit trusts what is in it), unless
 * unchecked. */
static int sessions_dir_open_full(const char *run_dir, bool create, bool unchecked, int *ret,
                                  struct jit_error *err) {
        _cleanup_close_ int dfd = -1, fd = -1;
        struct stat st;

        if (!run_dir || run_dir[0] != '/')
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "run_dir is not absolute");
        dfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot open: %m", run_dir);
        if (create && mkdirat(dfd, "sessions", 0700) < 0 && errno != EEXIST)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                     "%s/sessions: cannot create: %m", run_dir);
        fd = openat(dfd, "sessions", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ELOOP || errno == ENOTDIR)
                        return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                             "%s/sessions: not a folder (or a symlink)", run_dir);
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/sessions: cannot open: %m",
                                     run_dir);
        }
        if (fstat(fd, &st) < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/sessions: cannot stat: %m",
                                     run_dir);
        if (!unchecked && (st.st_uid != 0 || (st.st_mode & 022) != 0))
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                     "%s/sessions: owned by uid %u, mode %04o: must be root, not "
                                     "writable by group or others",
                                     run_dir, (unsigned) st.st_uid,
                                     (unsigned) (st.st_mode & 07777));
        *ret = TAKE_FD(fd);
        return 0;
}

static int sessions_dir_open(const char *run_dir, bool create, int *ret, struct jit_error *err) {
        return sessions_dir_open_full(run_dir, create, false, ret, err);
}

static char *session_path(const char *run_dir, const char *id) {
        char *p = NULL;

        if (asprintf(&p, "%s/sessions/%s", run_dir, id) < 0)
                return NULL;
        return p;
}

int session_record_load(const char *run_dir, const char *id, struct session_record **ret,
                        struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        int r;

        if (!run_dir || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (!session_id_is_valid(id))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid session id");
        path = session_path(run_dir, id);
        if (!path)
                return jit_error_oom(err);
        r = read_file_secure(path, 0, JIT_SESSION_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        r = session_record_parse(id, text, len, ret, err);
        if (r < 0)
                jit_error_prefix(err, "%s", path);
        return r;
}

int session_record_save(const char *run_dir, const struct session_record *r,
                        struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_close_ int fd = -1;
        int q;

        if (!run_dir || !r)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (!session_id_is_valid(r->id))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid session id");
        q = session_record_format(r, &text);
        if (q == -ENOMEM)
                return jit_error_oom(err);
        if (q < 0)
                return jit_error_set(err, q, JIT_REASON_MALFORMED,
                                     "session %s: record has invalid fields", r->id);
        q = sessions_dir_open(run_dir, true, &fd, err);
        if (q < 0)
                return q;
        path = session_path(run_dir, r->id);
        if (!path)
                return jit_error_oom(err);
        return write_file_atomic(path, text, strlen(text), 0600, err);
}

/* flock() on sessions/.lock: serialises read-modify-write of records. The
 * lock goes with the descriptor. */
static int sessions_lock(int dfd, const char *run_dir, int *ret, struct jit_error *err) {
        _cleanup_close_ int fd = -1;

        fd = openat(dfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                     "%s/sessions/.lock: cannot open: %m", run_dir);
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                             "%s/sessions/.lock: cannot lock: %m", run_dir);
        *ret = TAKE_FD(fd);
        return 0;
}

int session_record_remove(const char *run_dir, const char *id, struct jit_error *err) {
        _cleanup_close_ int dfd = -1, lock = -1;
        int r;

        if (!run_dir)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (!session_id_is_valid(id))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid session id");
        r = sessions_dir_open(run_dir, false, &dfd, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        /* Under the lock: an elevation being added now must not write the
         * record back after it is gone. */
        r = sessions_lock(dfd, run_dir, &lock, err);
        if (r < 0)
                return r;
        if (unlinkat(dfd, id, 0) < 0 && errno != ENOENT)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                     "%s/sessions/%s: cannot remove: %m", run_dir, id);
        return 0;
}

int session_record_update(const char *run_dir, const char *id, session_record_edit_t edit,
                          void *userdata, struct jit_error *err) {
        _cleanup_(session_record_freep) struct session_record *r = NULL;
        _cleanup_close_ int dfd = -1, lock = -1;
        int q;

        if (!run_dir || !edit)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (!session_id_is_valid(id))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid session id");

        /* The record exists already (session open made it): no create. */
        q = sessions_dir_open(run_dir, false, &dfd, err);
        if (q < 0)
                return q;
        q = sessions_lock(dfd, run_dir, &lock, err);
        if (q < 0)
                return q;
        q = session_record_load(run_dir, id, &r, err);
        if (q < 0)
                return q;
        q = edit(r, userdata, err);
        if (q <= 0)
                return q; /* an error, or nothing to change */
        return session_record_save(run_dir, r, err);
}

struct elevation {
        const char *entry;
        const char *id;
};

static int elevation_add(struct session_record *r, void *userdata, struct jit_error *err) {
        const struct elevation *e = userdata;

        /* r is from session_record_load(), set whenever it returns >= 0;
         * the analysers lose that several calls deep: say it here. */
        if (!r)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "no session record");
        if (strv_contains(r->elevated, e->entry))
                return 0;
        if (strv_length(r->elevated) >= JIT_SESSION_ELEVATED_MAX)
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                     "session %s: more than %u elevations", e->id,
                                     JIT_SESSION_ELEVATED_MAX);
        if (strv_extend(&r->elevated, e->entry) < 0)
                return jit_error_oom(err);
        return 1;
}

int session_record_add_elevation(const char *run_dir, const char *id, const char *target,
                                 const char *jti, struct jit_error *err) {
        _cleanup_free_ char *entry = NULL;

        if (!target || !jti)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (!user_name_is_valid(target, strlen(target)) || !grant_id_is_valid(jti, strlen(jti)))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "invalid target user or grant id");
        if (asprintf(&entry, "%s %s", target, jti) < 0)
                return jit_error_oom(err);
        return session_record_update(run_dir, id, elevation_add,
                                     &(struct elevation){.entry = entry, .id = id}, err);
}

static int records_list(const char *run_dir, bool unchecked, char ***ret, struct jit_error *err) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_close_ int dfd = -1;
        size_t n = 0;
        DIR *d;
        int r;

        if (!run_dir || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        l = calloc(1, sizeof(char *));
        if (!l)
                return jit_error_oom(err);
        r = sessions_dir_open_full(run_dir, false, unchecked, &dfd, err);
        if (r == -ENOENT) {
                *ret = TAKE_PTR(l);
                return 0;
        }
        if (r < 0)
                return r;
        d = fdopendir(dfd);
        if (!d)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/sessions: cannot list: %m",
                                     run_dir);
        dfd = -1; /* owned by d now */
        for (r = 0;;) {
                struct dirent *de;
                struct stat st;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                r = jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                                  "%s/sessions: cannot list: %m", run_dir);
                        break;
                }
                /* Skips ".", "..", ".lock" and write_file_atomic's ".#…". */
                if (!session_id_is_valid(de->d_name))
                        continue;
                if (de->d_type != DT_REG &&
                    (de->d_type != DT_UNKNOWN ||
                     fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                     !S_ISREG(st.st_mode)))
                        continue;
                if (n >= JIT_SESSIONS_MAX) {
                        r = jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                          "%s/sessions: more than %u records", run_dir,
                                          JIT_SESSIONS_MAX);
                        break;
                }
                if (strv_extend(&l, de->d_name) < 0) {
                        r = jit_error_oom(err);
                        break;
                }
                n++;
        }
        (void) closedir(d);
        if (r < 0)
                return r;
        qsort(l, n, sizeof(char *), strcmp_ptr);
        *ret = TAKE_PTR(l);
        return 0;
}

int session_records_list(const char *run_dir, char ***ret, struct jit_error *err) {
        return records_list(run_dir, false, ret, err);
}

int session_records_list_unchecked(const char *run_dir, char ***ret) {
        return records_list(run_dir, true, ret, NULL);
}
