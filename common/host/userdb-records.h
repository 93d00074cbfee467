/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The records jit-agent keeps in /run/userdb, the drop-in folder that
 * nss-systemd reads with or without systemd-userdbd running: per account
 * <name>.user and its <uid>.user link, <name>.group and its <gid>.group
 * link (systemd's user and group records, user-record.h). Only records
 * whose "service" is jit-agent's are ever replaced or removed. */

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

#define USERDB_DIR "/run/userdb"

/* Write name's user and group records (text from user-record.h) with their
 * uid/gid links, each file replaced atomically, the group first (the user
 * record names it). A record of name or a link of uid that is not
 * jit-agent's: -EEXIST, nothing written. dir is created (0755) if missing
 * and must be root's and not writable by others. */
int userdb_records_write(const char *dir, const char *name, uid_t uid, const char *user_text,
                         const char *group_text, struct jit_error *err);

/* Remove name's records and links, the user record first (from then on the
 * name no longer resolves). Records that are not jit-agent's are left.
 * 0 when there was nothing of ours to remove, 1 when something went. */
int userdb_records_remove(const char *dir, const char *name, uid_t uid, struct jit_error *err);

/* Is there a user record of name by jit-agent in dir? (false on any error) */
bool userdb_record_is_ours(const char *dir, const char *name);

/* The names of jit-agent's user records in dir (NULL-terminated; empty
 * when dir does not exist). This is what `jitctl status` lists. */
int userdb_records_list(const char *dir, char ***ret, struct jit_error *err);
