/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exempt.h"
#include "fileio.h"
#include "jitctl.h"
#include "macro.h"
#include "userdb.h"

#define DB_FILE_MAX (16u * 1024 * 1024)

/* Is name the first field of a line of the passwd or group file at path?
 * -ENOENT when the file does not exist. */
static int db_file_has(const char *path, const char *name) {
        _cleanup_free_ char *text = NULL;
        struct jit_error err = {};
        size_t len = 0, n = strlen(name);
        int r;

        r = read_file_secure(path, geteuid(), DB_FILE_MAX, &text, &len, &err);
        if (r < 0)
                return r;
        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');

                if (strncmp(p, name, n) == 0 && p[n] == ':')
                        return 1;
                p = nl ? nl + 1 : NULL;
        }
        return 0;
}

static int name_exists(const struct wiring *w, const char *db, const char *name, bool *ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (!*w->root) {
                if (streq(db, "passwd")) {
                        uid_t uid;

                        r = user_uid_get(name, &uid);
                } else {
                        struct group gr, *res = NULL;
                        char buf[16384];

                        r = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
                        r = r > 0 ? -r : res ? 0 : -ESRCH;
                }
                if (r == -ESRCH) {
                        *ret = false;
                        return 0;
                }
                *ret = r >= 0;
                return r < 0 ? r : 0;
        }
        if (asprintf(&path, "%s/etc/%s", w->root, db) < 0)
                return -ENOMEM;
        r = db_file_has(path, name);
        if (r < 0)
                return r;
        *ret = r > 0;
        return 0;
}

static void exempt_check_one(struct wiring *w, const char *db, const char *what, const char *name) {
        bool exists = false;
        int r = name_exists(w, db, name, &exists);

        if (r == -ENOENT)
                ctl_warning("cannot check that %s %s exists: %s/etc/%s does not exist", what, name,
                            w->root, db);
        else if (r < 0) {
                ctl_error("pam enable: cannot look up %s %s: %s", what, name,
                          strerror_r(-r, (char[128]){}, 128));
                w->system_error = true;
        } else if (!exists) {
                ctl_error("pam enable: refused: %s %s does not exist: the break-glass path "
                          "would lead nowhere",
                          what, name);
                w->refused = true;
        }
}

int exempt_check(struct wiring *w, const struct jit_config *c) {
        if (strv_length(c->exempt_users) == 0 && !c->exempt_group) {
                ctl_warning("no break-glass path: neither exempt_users nor exempt_group is set; "
                            "with a broken trust store or agent only the console gets in");
                return 0;
        }
        for (size_t i = 0; c->exempt_users && c->exempt_users[i]; i++)
                exempt_check_one(w, "passwd", "exempt user", c->exempt_users[i]);
        if (c->exempt_group)
                exempt_check_one(w, "group", "exempt group", c->exempt_group);
        return 0;
}

int exempt_args(const struct jit_config *c, char **ret) {
        _cleanup_free_ char *users = NULL;
        size_t n = 0, k = 0;

        for (size_t i = 0; c->exempt_users && c->exempt_users[i]; i++)
                n += strlen(c->exempt_users[i]) + 1;
        users = calloc(1, n + 1);
        if (!users)
                return -ENOMEM;
        for (size_t i = 0; c->exempt_users && c->exempt_users[i]; i++) {
                size_t len = strlen(c->exempt_users[i]);

                if (i > 0)
                        users[k++] = ',';
                memcpy(users + k, c->exempt_users[i], len);
                k += len;
        }
        users[k] = '\0';
        if (asprintf(ret, "%s%s%s%s", *users ? " exempt=" : "", users,
                     c->exempt_group ? " exempt_group=" : "", strempty(c->exempt_group)) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}
