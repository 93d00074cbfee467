/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sshd's AuthorizedKeysCommand, run as an unprivileged
 * AuthorizedKeysCommandUser: it reads only run_dir, never state_dir. It
 * prints the keys of the user's usable grants (run_dir/keys/<user>); a user
 * with none gets the keys of grants that ended lately or start later
 * (run_dir/keys-ended/<user>, behind restrict and a refusing forced command,
 * key-files.c), so that pam_jit's account stage refuses with its reason and
 * its audit entry instead of sshd's bare "Permission denied (publickey)". */
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
        _cleanup_free_ char *path = NULL, *text = NULL, *ended_path = NULL, *ended = NULL;
        size_t ended_len = 0;
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
        if ((text && key_lines(text) > 0) || strv_contains(c->exempt_users, user))
                return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        /* No usable grant: the keys of ended or future grants, refused by
         * pam_jit with the reason (and its own audit event). */
        ended_path = path_join3(c->run_dir, "keys-ended/", user);
        if (!ended_path)
                return EXIT_FAILURE;
        r = read_file_secure(ended_path, 0, KEY_FILE_MAX, &ended, &ended_len, &err);
        if (r < 0 && r != -ENOENT) {
                fprintf(stderr, "jit-agent: %s\n", err.message);
                return EXIT_FAILURE;
        }
        if (ended && key_lines(ended) > 0) {
                if (fwrite(ended, 1, ended_len, stdout) != ended_len)
                        return EXIT_FAILURE;
        } else
                (void) audit_emit(AUDIT_LOGIN_DENIED, LOG_NOTICE, "jit-agent",
                                  &(struct audit_fields){
                                          .user = user, .service = "sshd", .result = "no grant"},
                                  "login of %s: no grant (refused at the key stage: no key of a "
                                  "usable grant)",
                                  user);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
