/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The user database through NSS, with the reentrant calls only: this runs
 * inside sshd and sudo, which may use PAM from more than one thread. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* uid of a user name: -ESRCH when there is no such user. */
int user_uid_get(const char *user, uid_t *ret);

/* The name of a uid into ret (size bytes): -ESRCH when there is none,
 * -ENAMETOOLONG when it does not fit. */
int user_name_get(uid_t uid, char *ret, size_t size);

/* gid of a group name, and the name of a gid: as for users. */
int group_gid_get(const char *group, gid_t *ret);
int group_name_get(gid_t gid, char *ret, size_t size);

/* Is user in group, as its primary group or a listed member? An unknown user
 * or group is in no group (*ret false, 0 returned). */
int user_in_group(const char *user, const char *group, bool *ret);
