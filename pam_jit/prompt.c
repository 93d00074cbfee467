/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The auth hook: a grant token typed at the prompt (keyboard-interactive in
 * sshd), for access before the agent's next poll. It is verified exactly like
 * a stored token and serves this PAM handle only.
 *
 * sshd runs the auth stack in a child process and hands the monitor only the
 * child's PAM environment (docs/decisions.md, "A typed token crosses sshd's
 * process boundary"): so the accepted token also goes into the PAM
 * environment under a private name. Account and session hooks with "prompt"
 * take it from there; the session hook removes it, always, before the
 * application builds the session's environment from the PAM one. */

#include <ctype.h>
#include <errno.h>
#include <security/pam_ext.h>
#include <string.h>
#include <syslog.h>

#include "hooks.h"
#include "identity.h"
#include "jit-limits.h"
#include "messages.h"

#define PAM_DATA_TYPED_TOKEN "pam_jit_typed_token"
#define PAM_ENV_TYPED_TOKEN "PAM_JIT_TYPED_TOKEN"

static void typed_token_cleanup(pam_handle_t *pamh, void *data, int error_status) {
        strfreezero(data);
}

const char *typed_token_get(pam_handle_t *pamh) {
        const void *data = NULL;

        if (pam_get_data(pamh, PAM_DATA_TYPED_TOKEN, &data) != PAM_SUCCESS)
                return NULL;
        return data;
}

static int typed_token_keep(pam_handle_t *pamh, const char *token) {
        _cleanup_strfreezero_ char *copy = strdup(token);

        if (!copy)
                return -ENOMEM;
        if (pam_set_data(pamh, PAM_DATA_TYPED_TOKEN, copy, typed_token_cleanup) != PAM_SUCCESS)
                return -ENOMEM;
        copy = NULL; /* owned by the PAM handle now, wiped by its cleanup */
        return 0;
}

int typed_token_import(pam_handle_t *pamh, const struct pam_jit_args *args, bool remove) {
        const char *env;
        int r = 0;

        env = pam_getenv(pamh, PAM_ENV_TYPED_TOKEN);
        /* Only a line with "prompt" takes a typed token it did not see
         * typed: elsewhere the name is just a variable (pam_env.so with
         * user_readenv could set it) and is ignored. */
        if (env && args->prompt && !typed_token_get(pamh))
                r = typed_token_keep(pamh, env);
        /* Linux-PAM wipes a removed variable's value. Removed even after a
         * failure: a bearer token never reaches the session's environment. */
        if (env && remove && pam_putenv(pamh, PAM_ENV_TYPED_TOKEN) != PAM_SUCCESS)
                r = -ENOMEM;
        return r;
}

static int typed_token_export(pam_handle_t *pamh, const char *token) {
        _cleanup_strfreezero_ char *var = NULL;

        if (asprintf(&var, "%s=%s", PAM_ENV_TYPED_TOKEN, token) < 0)
                return -ENOMEM;
        return pam_putenv(pamh, var) == PAM_SUCCESS ? 0 : -ENOMEM;
}

/* Strip the white space a paste brings along; the token itself has none. */
static char *token_trim(char *s) {
        size_t n;

        while (isspace((unsigned char) *s))
                s++;
        n = strlen(s);
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                s[--n] = '\0';
        return s;
}

enum outcome auth_hook(pam_handle_t *pamh, const struct pam_jit_args *args, int64_t now) {
        _cleanup_(context_done) struct jit_context ctx = {};
        _cleanup_(snapshot_done) struct host_snapshot snap = {};
        struct decision d = {};
        _cleanup_strfreezero_ char *answer = NULL;
        bool sudo = args->mode == PAM_JIT_MODE_SUDO;
        struct jit_error err = {};
        const char *user;
        char *token;
        enum outcome o;
        int r;

        if (!args->prompt) {
                pam_syslog(pamh, LOG_ERR,
                           "pam_jit in an auth stack needs the \"prompt\" argument; refusing");
                return OUTCOME_ERROR;
        }
        if (pam_user_get(pamh, &user) < 0)
                return OUTCOME_DENY;

        r = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &answer, "JIT grant token: ");
        if (r != PAM_SUCCESS || !answer) {
                pam_syslog(pamh, LOG_NOTICE, "no token from the conversation (%s)",
                           pam_strerror(pamh, r));
                return OUTCOME_DENY;
        }
        if (strnlen(answer, JIT_GRANT_TOKEN_MAX + 1) > JIT_GRANT_TOKEN_MAX) {
                (void) pam_error(pamh, "jit: that is not a grant token");
                return OUTCOME_DENY;
        }
        token = token_trim(answer);

        r = context_load(args->config, &ctx, &err);
        if (r < 0) {
                pam_syslog(pamh, LOG_ERR, "%s", err.message);
                message_internal_error(pamh);
                return OUTCOME_ERROR;
        }
        if (!hook_snapshot(pamh, &ctx, &(struct snapshot_load){.user = user, .typed_token = token},
                           &snap, &o))
                return o;
        if (!decide_or_deny(pamh, args, &ctx, &snap,
                            &(struct decide_request){
                                    .user = user,
                                    .scope = sudo ? GRANT_SCOPE_SUDO : GRANT_SCOPE_SSH,
                                    .typed_only = true,
                                    .now = now,
                            },
                            AUDIT_LOGIN_DENIED, "typed token of", &d, &o))
                return o;

        if (typed_token_keep(pamh, token) < 0 || typed_token_export(pamh, token) < 0) {
                message_internal_error(pamh);
                return OUTCOME_ERROR;
        }
        decision_log(pamh, &ctx, AUDIT_LOGIN_ALLOWED, LOG_INFO, "typed token of", user, &d,
                     "accepted for this session");
        return OUTCOME_ALLOW;
}
