/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* run_dir/sessions/<id>: one login session that pam_jit admitted, so that
 * sudo can tell a recorded session from any other caller, and jit-agent can
 * end the session when its grant ends. <id> is the audit session id
 * (/proc/PID/sessionid, set by pam_loginuid), or "logind-<id>" where there is
 * no audit session id but logind knows the session. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define JIT_SESSION_ID_MAX 64u
#define JIT_SESSION_FILE_MAX 16384u
#define JIT_SESSION_ELEVATED_MAX 32u
#define JIT_SESSIONS_MAX 65536u
#define AUDIT_SESSION_UNSET 4294967295u /* (uint32_t) -1: no audit session */

struct session_record {
        char id[JIT_SESSION_ID_MAX + 1];
        char *grant;   /* jti of the grant that admitted the login */
        char *user;    /* the login user */
        char *service; /* PAM service, e.g. sshd */
        char *tty;     /* PAM_TTY, may be NULL */
        char *rhost;   /* PAM_RHOST, may be NULL */
        pid_t leader;  /* the process that opened the session (sshd [priv]) */
        uid_t uid;
        uint32_t audit_session; /* AUDIT_SESSION_UNSET when none */
        char *logind_session;   /* NULL when none */
        int64_t exp;            /* the admitting grant's exp */
        bool bound;             /* the grant has bind=session: this session owns it */
        char **elevated;        /* "TARGET JTI" per sudo target used, NULL-terminated */
};

void session_record_free(struct session_record *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct session_record *, session_record_free);

/* "key=value" lines; unknown keys are an error. */
int session_record_parse(const char *id, const char *text, size_t len, struct session_record **ret,
                         struct jit_error *err);
int session_record_format(const struct session_record *r, char **ret);

/* Digits, or "logind-" and [A-Za-z0-9]: safe as a file name. */
bool session_id_is_valid(const char *id);

/* The session id of a process: its audit session id when set, otherwise its
 * logind session ("logind-<id>") where logind runs. -ENXIO when neither. */
int session_id_of_pid(pid_t pid, char *ret, size_t size);

/* The logind session of a process (pid 0: this one), read from its cgroup:
 * -ENXIO when it is in none. */
int logind_session_of_pid(pid_t pid, char *ret, size_t size);

int session_record_load(const char *run_dir, const char *id, struct session_record **ret,
                        struct jit_error *err);
/* Atomic write of run_dir/sessions/<r->id>, mode 0600; creates the folder
 * (0700) when missing. */
int session_record_save(const char *run_dir, const struct session_record *r, struct jit_error *err);
int session_record_remove(const char *run_dir, const char *id, struct jit_error *err);

/* Load, edit and save a record under the sessions lock, so that two writers
 * (sudo adding an elevation, the agent re-binding a session to a new grant)
 * cannot lose each other's change. edit returns > 0 to save, 0 to leave the
 * record as it was, < 0 for an error (returned). -ENOENT: no such record. */
typedef int (*session_record_edit_t)(struct session_record *r, void *userdata,
                                     struct jit_error *err);
int session_record_update(const char *run_dir, const char *id, session_record_edit_t edit,
                          void *userdata, struct jit_error *err);

/* Add "target jti" to the record's elevated list (session_record_update). */
int session_record_add_elevation(const char *run_dir, const char *id, const char *target,
                                 const char *jti, struct jit_error *err);

/* The ids of all records (sorted). */
int session_records_list(const char *run_dir, char ***ret, struct jit_error *err);

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
