/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* run_dir/sessions/<id>: one login session that pam_jit admitted, so that
 * sudo can tell a recorded session from any other caller, and jit-agent can
 * end the session when its grant ends. <id> is the audit session id
 * (/proc/PID/sessionid, set by pam_loginuid), or "logind-<id>" where there is
 * no audit session id but logind knows the session. This header is the text
 * form; session-store.h keeps the records, proc.h reads /proc. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "jit-limits.h"

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
/* A logind session id: 1..JIT_LOGIND_SESSION_ID_MAX of [A-Za-z0-9]. */
bool logind_session_id_is_valid(const char *s, size_t len);
