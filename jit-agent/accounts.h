/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Accounts from grants (jit.conf(5), create_users): a user record in
 * /run/userdb for each holder of a usable ssh grant on this host who has no
 * account of their own, with a uid kept for good in state_dir/uids; the
 * record goes when their last such grant ends or is revoked (the reconcile
 * calls this after it ended their sessions). A name or uid that exists in
 * any other source of the user database is never shadowed: the account is
 * refused, once in the journal. */

#include <stdbool.h>

#include "agent.h"

/* wanted: users with a usable ssh grant now; unwanted: users without.
 * full: every record of ours whose user is not in wanted goes too (after a
 * new bundle, a reload, the start). With create_users off, records of ours
 * that are left (the key was just turned off) go, and nothing is made. */
void accounts_sync(struct agent *a, char *const *wanted, char *const *unwanted, bool full);
