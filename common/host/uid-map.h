/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* state_dir/uids: the uid each user name was given on this host when the
 * agent first created their account (jit.conf(5), create_users), one
 * "name uid" line each, kept for good: the same person gets the same uid
 * (and gid) back on a later grant and owns their files again. Written
 * atomically, 0600, root's; a file that does not parse is refused whole. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* names[i] has uids[i]; names is NULL-terminated (or NULL when empty). */
struct uid_map {
        char **names;
        uid_t *uids;
        size_t n;
};

void uid_map_done(struct uid_map *m);

/* Load state_dir/uids (a missing file is an empty map). Duplicate names or
 * uids, a bad name or number: -EINVAL (MALFORMED), the line named. */
int uid_map_load(const char *state_dir, struct uid_map *ret, struct jit_error *err);

/* Write it atomically. */
int uid_map_save(const char *state_dir, const struct uid_map *m, struct jit_error *err);

/* The uid of name into *ret: 0, or -ENOENT when name has none. */
int uid_map_get(const struct uid_map *m, const char *name, uid_t *ret);
/* Who holds uid in the map, or NULL. */
const char *uid_map_owner(const struct uid_map *m, uid_t uid);

/* Is uid (as a uid, or the same number as a gid) in use by anyone else on
 * the host? The agent asks NSS; tests pass a table. <0 on a lookup error. */
typedef int (*uid_taken_fn)(uid_t uid, void *userdata);

/* The lowest uid of [min, max] that is in neither the map nor taken(), added
 * to the map for name (not there yet). -ENOSPC when the range is full: the
 * map is then unchanged. A lookup error is returned as is, the map
 * unchanged. */
int uid_map_allocate(struct uid_map *m, const char *name, uid_t min, uid_t max, uid_taken_fn taken,
                     void *userdata, uid_t *ret);
