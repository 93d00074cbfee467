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

/* Who belongs to a session, to count or end it: the processes whose audit
 * session id is audit_session; where logind runs, those in the scope cgroup
 * of logind_session; and every descendant of one of them (a root process
 * that wrote /proc/self/loginuid has a new audit session id, but is still
 * its parent's child and in the scope). exclude (the caller) is none. */
struct session_match {
        uint32_t audit_session;     /* AUDIT_SESSION_UNSET: none */
        const char *logind_session; /* NULL: none */
        pid_t exclude;
};

/* Passes over /proc, each one listing it once. A process is alive while any
 * of its threads is (a leader that called pthread_exit() is a zombie whose
 * threads run on). A member listed but dead before it was read may have
 * forked a member that the listing missed: such a pass is unsure. The state
 * carries the last pass, so a zombie seen twice is not counted again. */
struct session_scan {
        size_t alive;  /* members alive in the last pass */
        size_t unsure; /* members (or unknown processes) that died during it */
        unsigned passes;
        struct proc_entry *prev;
        size_t n_prev;
};
void session_scan_done(struct session_scan *s);

/* What a pass calls; any may be NULL. A callback returning a negative value
 * stops the pass and is returned. */
struct session_scan_ops {
        /* Each live process in the session by its own ids, the moment it is
         * read (newest first). */
        int (*on_read)(pid_t pid, void *userdata);
        /* The walk done and descendants known: each process group whose
         * listed processes are all members (never the caller's group). */
        int (*on_group)(pid_t pgrp, void *userdata);
        /* Then each live member, in pid order. */
        int (*fn)(pid_t pid, void *userdata);
};

/* One pass. A caller that ends the session stops processes in on_read
 * (SIGSTOP: a stopped process neither forks nor exits, so its children stay
 * its children), kills whole groups in on_group and each member in fn. */
int session_scan_pass(struct session_scan *s, const struct session_match *m,
                      const struct session_scan_ops *ops, void *userdata);

/* Passes that agree: this many in a row with no member alive and none
 * dying mean the session is empty (a process forking and exiting every
 * millisecond is seen alive, or dying, in every pass). */
#define SESSION_SCAN_SETTLED 3u
#define SESSION_SCAN_MAX_PASSES 200u

/* The members alive, from the first pass that sees any; 0 after
 * SESSION_SCAN_SETTLED clean passes in a row; -EAGAIN when max_passes did
 * not settle (cannot tell: count it as not empty). */
int session_count_settled(const struct session_match *m, unsigned max_passes, size_t *ret);

/* One pass over the processes of an audit session (session_scan_pass()). */
int session_foreach_process(uint32_t audit_session, pid_t exclude,
                            int (*fn)(pid_t pid, void *userdata), void *userdata);
/* session_count_settled() of an audit session. */
int session_process_count(uint32_t audit_session, pid_t exclude, size_t *ret);

/* The real and effective uid of a process (/proc/PID/status). -ESRCH when
 * it is gone or unreadable. */
int proc_uids(pid_t pid, uid_t *ret_ruid, uid_t *ret_euid);
/* 1 when the real, effective, saved or file-system uid of pid is uid, 0
 * when none is, -ESRCH when it is gone. */
int proc_has_uid(pid_t pid, uid_t uid);

/* The controlling terminal of a process, field 7 (tty_nr) of
 * /proc/PID/stat: 0 when it has none. */
int proc_tty_nr(pid_t pid, unsigned long *ret);

/* The audit login uid of a process (/proc/PID/loginuid), set by
 * pam_loginuid at login and kept across sudo. -ENXIO when unset. */
int proc_login_uid(pid_t pid, uid_t *ret);
