/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Key files (key-files.c): run_dir/keys/<user> holds exactly the keys of
 * the user's usable ssh grants. */

#include <stddef.h>
#include <stdint.h>

#include "agent.h"

/* Rewrite the key files of users (NULL: of every user in snap, and remove
 * those of users with no file in the bundle any more), each decided on snap,
 * which must hold their grants. a->keys learns when each of them changes
 * next, and a->n_grants the number of usable grants. */
int keys_sync(struct agent *a, const struct host_snapshot *snap, char *const *users, int64_t now);

/* The users whose key files change at now or before (a->keys): the names
 * in state_dir/users whose hash an entry due then carries. *ret is NULL when
 * nothing is due, else a list (maybe empty: the due entries still go at the
 * next keys_sync()). */
int key_schedule_due(const struct key_schedule *s, const char *state_dir, int64_t now, char ***ret);
/* When a key file changes next; 0 for never. */
int64_t key_schedule_next(const struct key_schedule *s);
/* The usable ssh grants of every user, as the last syncs found them. */
size_t key_schedule_usable(const struct key_schedule *s);
void key_schedule_done(struct key_schedule *s);
