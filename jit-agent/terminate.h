/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Ending sessions (terminate.c): through logind where it runs, and by
 * signalling every process of the audit session; SIGKILL after kill_grace. */

#include <stdint.h>
#include <sys/types.h>

#include "agent.h"

int session_terminate(struct agent *a, const char *id, uint32_t audit_session,
                      const char *logind_session, const char *why);
/* Only the processes of uid in the session (an elevation's target), never
 * spare. */
int session_kill_uid(struct agent *a, uint32_t audit_session, uid_t uid, pid_t spare,
                     const char *why);
/* SIGKILL what outlived its grace; rearms the grace timer. */
int pending_kills_run(struct agent *a);

/* sudo's timestamp records of a user, so no cached sudo outlives a grant. */
void sudo_timestamps_remove(const char *user);
