/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "audit.h"
#include "authorized-keys.h"
#include "fileio.h"
#include "jit-conf.h"
#include "jit-limits.h"
#include "parse.h"

#define KEY_FILE_MAX (JIT_KEYS_MAX * 64u * 1024u)

static size_t key_lines(const char *text) {
        size_t n = 0;

        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);

                if (len > 0 && *p != '#')
                        n++;
                p = nl ? nl + 1 : NULL;
        }
        return n;
}

int agent_authorized_keys(const char *config_path, const char *user) {
        _cleanup_(config_freep) struct jit_config *c = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        struct jit_error err = {};
        size_t len = 0;
        int r;

        if (!user_name_is_valid(user, strlen(user))) {
                fprintf(stderr, "jit-agent: not a user name\n");
                return EXIT_FAILURE;
        }
        if (config_load(config_path, 0, &c, &err) < 0) {
                fprintf(stderr, "jit-agent: %s\n", err.message);
                return EXIT_FAILURE;
        }
        path = path_join3(c->run_dir, "keys/", user);
        if (!path)
                return EXIT_FAILURE;
        r = read_file_secure(path, 0, KEY_FILE_MAX, &text, &len, &err);
        if (r < 0 && r != -ENOENT) {
                fprintf(stderr, "jit-agent: %s\n", err.message);
                return EXIT_FAILURE;
        }
        if (text && fwrite(text, 1, len, stdout) != len)
                return EXIT_FAILURE;
        if ((!text || key_lines(text) == 0) && !strv_contains(c->exempt_users, user))
                (void) audit_emit(AUDIT_LOGIN_DENIED, LOG_NOTICE, "jit-agent",
                                  &(struct audit_fields){
                                          .user = user, .service = "sshd", .result = "no grant"},
                                  "login of %s: no grant (refused at the key stage: no key of a "
                                  "usable grant)",
                                  user);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
