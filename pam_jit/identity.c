/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <security/pam_ext.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "identity.h"
#include "parse.h"
#include "userdb.h"

/* getpwnam_r and friends need a buffer; large group lists need more. */
#define NSS_BUF_START 4096
#define NSS_BUF_MAX (1024 * 1024)

int pam_user_get(pam_handle_t *pamh, const char **ret) {
        const void *user = NULL;

        if (pam_get_item(pamh, PAM_USER, &user) != PAM_SUCCESS || !user ||
            !user_name_is_valid(user, strnlen(user, 256))) {
                pam_syslog(pamh, LOG_NOTICE, "PAM_USER is missing or not a valid user name");
                return -EINVAL;
        }
        *ret = user;
        return 0;
}

static int passwd_by_uid(uid_t uid, char ret[USER_NAME_BUF]) {
        _cleanup_free_ char *buf = NULL;
        struct passwd pw, *res = NULL;
        size_t size = NSS_BUF_START;

        for (;;) {
                size_t len;
                int r;

                free(buf);
                buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
                r = getpwuid_r(uid, &pw, buf, size, &res);
                if (r == ERANGE && size < NSS_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (r != 0)
                        return -r;
                if (!res)
                        return -ESRCH;
                len = strlen(pw.pw_name);
                if (len >= USER_NAME_BUF)
                        return -ENAMETOOLONG;
                memcpy(ret, pw.pw_name, len + 1);
                return 0;
        }
}

int sudo_invoker_get(pam_handle_t *pamh, bool account, char ret[USER_NAME_BUF], uid_t *ret_uid) {
        const void *ruser = NULL, *user = NULL;
        const char *claimed;
        uid_t uid = getuid();
        int r;

        r = passwd_by_uid(uid, ret);
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "cannot name the invoking uid %u: %s", (unsigned) uid,
                           strerror_r(-r, (char[128]){}, 128));
                return r;
        }
        if (pam_get_item(pamh, PAM_RUSER, &ruser) != PAM_SUCCESS ||
            pam_get_item(pamh, PAM_USER, &user) != PAM_SUCCESS) {
                pam_syslog(pamh, LOG_ERR, "cannot read PAM_RUSER or PAM_USER");
                return -EINVAL;
        }
        /* In sudo's account stack PAM_USER is the invoker; in its session
         * stack it is the target and PAM_RUSER the invoker. */
        claimed = ruser ? ruser : account ? user : NULL;
        if (!claimed || !streq(claimed, ret)) {
                pam_syslog(pamh, LOG_ERR,
                           "invoking user \"%s\" (uid %u) does not match PAM's \"%s\"", ret,
                           (unsigned) uid, claimed ? (const char *) claimed : "(unset)");
                return -EPERM;
        }
        *ret_uid = uid;
        return 0;
}

static int group_has_member(const char *group, const char *user, gid_t user_gid, bool *ret) {
        _cleanup_free_ char *buf = NULL;
        struct group gr, *res = NULL;
        size_t size = NSS_BUF_START;

        for (;;) {
                int r;

                free(buf);
                buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
                r = getgrnam_r(group, &gr, buf, size, &res);
                if (r == ERANGE && size < NSS_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (r != 0)
                        return -r;
                break;
        }
        *ret = false;
        if (!res)
                return 0; /* no such group: nobody is exempt through it */
        if (gr.gr_gid == user_gid) {
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

int user_is_exempt(const struct jit_config *c, const char *user, bool *ret) {
        _cleanup_free_ char *buf = NULL;
        struct passwd pw, *res = NULL;
        size_t size = NSS_BUF_START;

        if (strv_contains(c->exempt_users, user)) {
                *ret = true;
                return 0;
        }
        *ret = false;
        if (!c->exempt_group)
                return 0;
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
                break;
        }
        if (!res)
                return 0; /* unknown user: not in any group */
        return group_has_member(c->exempt_group, user, pw.pw_gid, ret);
}
