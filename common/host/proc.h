/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What /proc says about processes and sessions. Nothing else in the tree
 * reads /proc: a new question about a process gets a function here. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "session-record.h"

/* The session id of a process: its audit session id when set, otherwise its
 * logind session ("logind-<id>") where logind runs. -ENXIO when neither. */
int session_id_of_pid(pid_t pid, char *ret, size_t size);

/* The logind session of a process (pid 0: this one), read from its cgroup:
 * -ENXIO when it is in none. */
int logind_session_of_pid(pid_t pid, char *ret, size_t size);

/* Is the session's leader still there? It exists, is not a zombie, and (when
 * the record knows its audit session) is still in it. */
bool session_record_is_live(const struct session_record *r);
/* The same, told apart: 1 live, 0 gone, or a negative errno when /proc could
 * not be read. Where "gone" admits (a bound grant's holder), an error must
 * refuse: session_record_is_live() counts it as gone. */
int session_record_liveness(const struct session_record *r);

/* Call fn for each process of an audit session: not a zombie (zombies keep
 * their sessionid), not exclude. fn returning non-zero stops the walk; a
 * negative value is returned. */
int session_foreach_process(uint32_t audit_session, pid_t exclude,
                            int (*fn)(pid_t pid, void *userdata), void *userdata);
int session_process_count(uint32_t audit_session, pid_t exclude, size_t *ret);

/* The real and effective uid of a process (/proc/PID/status). -ESRCH when
 * it is gone or unreadable. */
int proc_uids(pid_t pid, uid_t *ret_ruid, uid_t *ret_euid);

/* The controlling terminal of a process, field 7 (tty_nr) of
 * /proc/PID/stat: 0 when it has none. */
int proc_tty_nr(pid_t pid, unsigned long *ret);

/* The audit login uid of a process (/proc/PID/loginuid), set by
 * pam_loginuid at login and kept across sudo. -ENXIO when unset. */
int proc_login_uid(pid_t pid, uid_t *ret);
