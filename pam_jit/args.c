/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <security/pam_ext.h>
#include <string.h>
#include <syslog.h>

#include "args.h"
#include "jit-conf.h"
#include "macro.h"
#include "parse.h"

/* exempt=a,b: user names (the rules of exempt_users), none twice. */
static bool exempt_list_is_valid(const char *v) {
        size_t n = 0;

        if (!*v)
                return false;
        for (const char *p = v;; n++) {
                size_t k = strcspn(p, ",");

                if (n >= PAM_JIT_EXEMPT_ARGS_MAX || !user_name_is_valid(p, k))
                        return false;
                for (const char *q = v; q < p;) {
                        size_t m = strcspn(q, ",");

                        if (m == k && strncmp(q, p, k) == 0)
                                return false;
                        q += m + 1;
                }
                if (!p[k])
                        return true;
                p += k + 1;
        }
}

static bool service_is_sudo(const char *service) {
        return service && (streq(service, "sudo") || streq(service, "sudo-i"));
}

int args_parse(pam_handle_t *pamh, int argc, const char **argv, struct pam_jit_args *ret) {
        const void *service = NULL;
        bool mode_set = false;

        *ret = (struct pam_jit_args){.config = JIT_CONFIG_PATH};
        for (int i = 0; i < argc; i++) {
                const char *a = argv[i];

                if (streq(a, "debug"))
                        ret->debug = true;
                else if (streq(a, "prompt"))
                        ret->prompt = true;
                else if (strncmp(a, "config=", 7) == 0 && a[7] == '/')
                        ret->config = a + 7;
                else if (strncmp(a, "exempt=", 7) == 0 && exempt_list_is_valid(a + 7))
                        ret->exempt_users = a + 7;
                else if (strncmp(a, "exempt_group=", 13) == 0 &&
                         user_name_is_valid(a + 13, strlen(a + 13)))
                        ret->exempt_group = a + 13;
                else if (streq(a, "mode=ssh") || streq(a, "mode=sudo")) {
                        ret->mode = streq(a, "mode=sudo") ? PAM_JIT_MODE_SUDO : PAM_JIT_MODE_SSH;
                        mode_set = true;
                } else {
                        pam_syslog(pamh, LOG_ERR, "unknown or malformed argument \"%s\"", a);
                        return -EINVAL;
                }
        }
        if (!mode_set) {
                /* Unread is not "not sudo": sudo's checks must not fall away. */
                if (pam_get_item(pamh, PAM_SERVICE, &service) != PAM_SUCCESS) {
                        pam_syslog(pamh, LOG_ERR, "cannot read PAM_SERVICE");
                        return -EINVAL;
                }
                ret->mode = service_is_sudo(service) ? PAM_JIT_MODE_SUDO : PAM_JIT_MODE_SSH;
        }
        return 0;
}
