/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <security/pam_modules.h>
#include <stdbool.h>
#include <sys/types.h>

#include "jit-conf.h"
#include "userdb.h"

#define USER_NAME_BUF 64

/* PAM_USER, refused unless it is a valid Unix user name. */
int pam_user_get(pam_handle_t *pamh, const char **ret);

/* The user who ran sudo: the real uid of this process, which sudo keeps as
 * the invoker's (euid is 0). It must agree with PAM_RUSER (or, where that
 * is unset, PAM_USER in the account stack). sudoedit opens its session with
 * every uid root: there PAM_RUSER counts when it is the user whose login
 * (audit login uid) the process belongs to. */
int sudo_invoker_get(pam_handle_t *pamh, bool account, char ret[USER_NAME_BUF], uid_t *ret_uid);
