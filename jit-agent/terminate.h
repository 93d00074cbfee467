/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Ending sessions (terminate.c): through logind where it runs, and by
 * signalling every process of the audit session; SIGKILL after kill_grace. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent.h"

int session_terminate(struct agent *a, const char *id, uint32_t audit_session,
                      const char *logind_session, const char *why);
/* Only the processes of the session that hold uid as their real, effective,
 * saved or file-system uid (an elevation's target), never spare. */
int session_kill_uid(struct agent *a, const char *id, uint32_t audit_session,
                     const char *logind_session, uid_t uid, pid_t spare, const char *why);
/* SIGKILL what outlived its grace, finish what is empty (its ending file
 * and, for a whole session, its record go); rearms the grace timer. */
int pending_kills_run(struct agent *a);
/* Every pending SIGKILL now, grace or not (the agent is stopping). What
 * survives stays on disk for the next start. */
int pending_kills_now(struct agent *a);
/* At start: the pending SIGKILLs a previous agent left in run_dir/ending. */
int pending_kills_load(struct agent *a);
/* Is the whole session being ended (SIGTERM sent, not yet empty)? */
bool session_is_ending(struct agent *a, const char *session);

/* sudo's timestamp records of a user, so no cached sudo outlives a grant. */
void sudo_timestamps_remove(const char *user);
