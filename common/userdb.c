/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>

#include "macro.h"
#include "userdb.h"

#define NSS_BUF_START 4096
#define NSS_BUF_MAX (1024 * 1024)

int user_uid_get(const char *user, uid_t *ret) {
        _cleanup_free_ char *buf = NULL;
        struct passwd pw, *res = NULL;
        size_t size = NSS_BUF_START;

        for (;;) {
                int r;

                free(buf);
                buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
                r = getpwnam_r(user, &pw, buf, size, &res);
                if (r == ERANGE && size < NSS_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (r != 0)
                        return -r;
                if (!res)
                        return -ESRCH;
                *ret = pw.pw_uid;
                return 0;
        }
}
