/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The work behind each pam_sm_* entry point. Each returns an outcome; the
 * entry points map it to a PAM code in one place (pam_jit.c). */

#include <security/pam_modules.h>
#include <stdint.h>

#include "access.h"
#include "args.h"
#include "audit.h"
#include "identity.h"

enum outcome {
        OUTCOME_ALLOW,
        OUTCOME_DENY,  /* a decision: no usable grant */
        OUTCOME_ERROR, /* could not decide (config, state, memory): denies too */
};

enum outcome account_hook(pam_handle_t *pamh, const struct pam_jit_args *args, int64_t now);
enum outcome session_open_hook(pam_handle_t *pamh, const struct pam_jit_args *args, int64_t now);
enum outcome session_close_hook(pam_handle_t *pamh, const struct pam_jit_args *args);
enum outcome auth_hook(pam_handle_t *pamh, const struct pam_jit_args *args, int64_t now);

/* Who a hook decides about: PAM_USER, or for sudo the invoking user. */
struct hook_subject {
        char invoker[USER_NAME_BUF];
        const char *user;
        bool sudo;
};

/* The opening every account and session hook shares: name the subject
 * (sudo's invoker by its real uid; root through sudo gains nothing and is
 * let through), load the host context and the snapshot of the subject (with
 * typed_token, and own_session left out of its session view), let exempt
 * users through (the account hook logs that loudly). Returns true to go on
 * to the decision; false with *ret the hook's outcome. */
bool hook_begin(pam_handle_t *pamh, const struct pam_jit_args *args, bool account,
                const char *typed_token, const char *own_session, struct hook_subject *s,
                struct jit_context *ctx, struct host_snapshot *snap, enum outcome *ret);

/* Load the snapshot of one user; on failure log, tell the user, *ret the
 * outcome and false. */
bool hook_snapshot(pam_handle_t *pamh, const struct jit_context *ctx,
                   const struct snapshot_load *what, struct host_snapshot *snap, enum outcome *ret);

/* decide(), and on anything but a usable grant tell the user and the logs
 * why. Returns true when a grant allows; false with *ret the outcome. what
 * names the act in the log ("login of", "sudo for"). */
bool decide_or_deny(pam_handle_t *pamh, const struct pam_jit_args *args,
                    const struct jit_context *ctx, const struct host_snapshot *snap,
                    const struct decide_request *req, enum audit_event denied_event,
                    const char *what, struct decision *d, enum outcome *ret);

/* The token accepted by the auth hook of this PAM handle, or NULL. */
const char *typed_token_get(pam_handle_t *pamh);

/* Take a token the auth hook accepted in another process of the same
 * application (sshd: its PAM environment, prompt.c) into this handle, when
 * args has "prompt"; with remove, delete it from the PAM environment in any
 * case. -ENOMEM on failure. */
int typed_token_import(pam_handle_t *pamh, const struct pam_jit_args *args, bool remove);

/* Log a decision to syslog (pam_syslog) and journald (an audit event):
 * "<what> <user>: <result>[ by grant …]". result defaults to the verdict. */
void decision_log(pam_handle_t *pamh, const struct jit_context *ctx, enum audit_event ev,
                  int priority, const char *what, const char *user, const struct decision *d,
                  const char *result);
