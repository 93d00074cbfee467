/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The built pam_jit.so loads with every symbol resolved (RTLD_NOW), offers
 * the five PAM entry points and nothing of libjit: a module that leaked its
 * internals could collide with the host program's own symbols (sshd, sudo)
 * and would be an ABI nobody promised. check-exports.sh lists the whole
 * dynamic symbol table with nm. */

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const entry_points[] = {
        "pam_sm_authenticate", "pam_sm_setcred",       "pam_sm_acct_mgmt",
        "pam_sm_open_session", "pam_sm_close_session",
};

/* Internal functions of the module and of common/ (libjit, linked in
 * statically) that must stay hidden. */
static const char *const hidden[] = {
        "pam_sm_chauthtok",  "grant_verify",           "grant_from_token",
        "grant_check_time",  "jws_verify_raw",         "jws_verify_compact",
        "jws_sign_compact",  "trust_store_parse",      "trust_store_load",
        "config_load",       "config_parse",           "read_file_secure",
        "write_file_atomic", "hoststate_apply_bundle", "user_grants_load",
        "host_facts_load",   "session_record_save",    "session_record_load",
        "session_id_of_pid", "bundle_from_token",      "base64url_decode",
        "json_parse_strict", "jit_error_set",          "explicit_wipe",
        "strv_free",         "user_name_is_valid",     "selector_matches",
        "audit_log",
};

int main(int argc, char **argv) {
        bool ok = true;
        void *h;

        if (argc != 2) {
                fprintf(stderr, "usage: %s /path/to/pam_jit.so\n", argv[0]);
                return 2;
        }
        h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                fprintf(stderr, "dlopen(RTLD_NOW): %s\n", dlerror());
                return 1;
        }
        for (size_t i = 0; i < sizeof(entry_points) / sizeof(entry_points[0]); i++) {
                if (!dlsym(h, entry_points[i])) {
                        fprintf(stderr, "missing entry point %s\n", entry_points[i]);
                        ok = false;
                } else
                        printf("ok: %s exported\n", entry_points[i]);
        }
        for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
                if (dlsym(h, hidden[i])) {
                        fprintf(stderr, "internal symbol %s is exported\n", hidden[i]);
                        ok = false;
                } else
                        printf("ok: %s hidden\n", hidden[i]);
        }
        if (dlclose(h) != 0) {
                fprintf(stderr, "dlclose: %s\n", dlerror());
                ok = false;
        }
        return ok ? 0 : 1;
}
