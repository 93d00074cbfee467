/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "userdb.h"

/* The *_r calls need a buffer; large group lists need more. */
#define NSS_BUF_START 4096
#define NSS_BUF_MAX (1024 * 1024)

/* getpwnam_r (name) or getpwuid_r, the buffer grown on ERANGE; *buf is the
 * caller's to free. -ESRCH when there is no such user. */
static int passwd_lookup(const char *name, uid_t uid, struct passwd *pw, char **buf) {
        for (size_t size = NSS_BUF_START;; size *= 2) {
                struct passwd *res = NULL;
                int r;

                free(*buf);
                *buf = malloc(size);
                if (!*buf)
                        return -ENOMEM;
                r = name ? getpwnam_r(name, pw, *buf, size, &res)
                         : getpwuid_r(uid, pw, *buf, size, &res);
                if (r == ERANGE && size < NSS_BUF_MAX)
                        continue;
                if (r != 0)
                        return -r;
                return res ? 0 : -ESRCH;
        }
}

static int group_lookup(const char *name, gid_t gid, struct group *gr, char **buf) {
        for (size_t size = NSS_BUF_START;; size *= 2) {
                struct group *res = NULL;
                int r;

                free(*buf);
                *buf = malloc(size);
                if (!*buf)
                        return -ENOMEM;
                r = name ? getgrnam_r(name, gr, *buf, size, &res)
                         : getgrgid_r(gid, gr, *buf, size, &res);
                if (r == ERANGE && size < NSS_BUF_MAX)
                        continue;
                if (r != 0)
                        return -r;
                return res ? 0 : -ESRCH;
        }
}

int user_uid_get(const char *user, uid_t *ret) {
        _cleanup_free_ char *buf = NULL;
        struct passwd pw;
        int r;

        r = passwd_lookup(user, 0, &pw, &buf);
        if (r < 0)
                return r;
        *ret = pw.pw_uid;
        return 0;
}

int user_name_get(uid_t uid, char *ret, size_t size) {
        _cleanup_free_ char *buf = NULL;
        struct passwd pw;
        size_t len;
        int r;

        r = passwd_lookup(NULL, uid, &pw, &buf);
        if (r < 0)
                return r;
        len = strlen(pw.pw_name);
        if (len >= size)
                return -ENAMETOOLONG;
        memcpy(ret, pw.pw_name, len + 1);
        return 0;
}

int user_in_group(const char *user, const char *group, bool *ret) {
        _cleanup_free_ char *pw_buf = NULL, *gr_buf = NULL;
        struct passwd pw;
        struct group gr;
        int r;

        *ret = false;
        r = passwd_lookup(user, 0, &pw, &pw_buf);
        if (r == -ESRCH)
                return 0;
        if (r < 0)
                return r;
        r = group_lookup(group, 0, &gr, &gr_buf);
        if (r == -ESRCH)
                return 0;
        if (r < 0)
                return r;
        if (gr.gr_gid == pw.pw_gid) {
                *ret = true;
                return 0;
        }
        for (char **m = gr.gr_mem; m && *m; m++)
                if (streq(*m, user)) {
                        *ret = true;
                        return 0;
                }
        return 0;
}

int group_gid_get(const char *group, gid_t *ret) {
        _cleanup_free_ char *buf = NULL;
        struct group gr;
        int r;

        r = group_lookup(group, 0, &gr, &buf);
        if (r < 0)
                return r;
        *ret = gr.gr_gid;
        return 0;
}

int group_name_get(gid_t gid, char *ret, size_t size) {
        _cleanup_free_ char *buf = NULL;
        struct group gr;
        size_t len;
        int r;

        r = group_lookup(NULL, gid, &gr, &buf);
        if (r < 0)
                return r;
        len = strlen(gr.gr_name);
        if (len >= size)
                return -ENAMETOOLONG;
        memcpy(ret, gr.gr_name, len + 1);
        return 0;
}
