/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The JSON user and group records jit-agent writes to /run/userdb for the
 * holders of grants (jit.conf(5), create_users), in systemd's user and
 * group record format, which nss-systemd reads. Text only, no I/O: the
 * agent writes what these functions make and nothing else, so a record can
 * never hold more than a name, a uid, its group, a home and a shell — no
 * supplementary groups, no password, no privileged section. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* "service" of every record jit-agent writes: how it knows its own. */
#define USER_RECORD_SERVICE "io.github.jit-access"

/* The user record of name (a valid user name), uid (gid = uid), its home
 * home_base/name and shell. *ret is malloc'd and NUL-terminated, one line.
 * -EINVAL for an invalid name, a relative home_base or shell. */
int user_record_format(const char *name, uid_t uid, const char *home_base, const char *shell,
                       char **ret);

/* The group record of the user's primary group: the same name, gid. */
int group_record_format(const char *name, gid_t gid, char **ret);

/* Does text (a record read from /run/userdb) carry jit-agent's service? */
bool user_record_is_ours(const char *text, size_t len);
