/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <security/pam_ext.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "identity.h"
#include "parse.h"
#include "proc.h"
#include "userdb.h"

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

/* The invoker of a session whose process is all root: PAM_RUSER, believed
 * only when it names the user this process's login belongs to (its audit
 * login uid, which pam_loginuid set at login and sudo keeps). A root process
 * outside that user's login session cannot borrow the name, and the hook
 * then decides about the invoker as for any sudo: the grant, its runas and
 * the recorded login session. -EPERM when the names disagree. */
static int sudoedit_invoker_get(const char *ruser, char ret[USER_NAME_BUF], uid_t *ret_uid) {
        uid_t login_uid, ruid;
        int r;

        if (!user_name_is_valid(ruser, strnlen(ruser, USER_NAME_BUF)) ||
            proc_login_uid(0, &login_uid) < 0 || login_uid == 0)
                return -EPERM;
        r = user_uid_get(ruser, &ruid);
        if (r < 0 || ruid != login_uid)
                return -EPERM;
        (void) snprintf(ret, USER_NAME_BUF, "%s", ruser);
        *ret_uid = ruid;
        return 0;
}

int sudo_invoker_get(pam_handle_t *pamh, bool account, char ret[USER_NAME_BUF], uid_t *ret_uid) {
        const void *ruser = NULL, *user = NULL;
        const char *claimed;
        uid_t uid = getuid();
        int r;

        r = user_name_get(uid, ret, USER_NAME_BUF);
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
        if (!account && uid == 0 && claimed && !streq(claimed, ret)) {
                /* sudoedit opens the session after making all its uids root
                 * (it copies the files as root, the editor runs as the user),
                 * so the real uid no longer names the invoker. */
                r = sudoedit_invoker_get(claimed, ret, ret_uid);
                if (r != -EPERM)
                        return r;
        }
        if (!claimed || !streq(claimed, ret)) {
                pam_syslog(pamh, LOG_ERR,
                           "invoking user \"%s\" (uid %u) does not match PAM's \"%s\"", ret,
                           (unsigned) uid, claimed ? (const char *) claimed : "(unset)");
                return -EPERM;
        }
        *ret_uid = uid;
        return 0;
}
