/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The user database through NSS, with the reentrant calls only: this runs
 * inside sshd and sudo, which may use PAM from more than one thread. */

#include <sys/types.h>

/* uid of a user name: -ESRCH when there is no such user. */
int user_uid_get(const char *user, uid_t *ret);
