/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Audit events: one journald entry per decision, with a fixed MESSAGE_ID per
 * kind (journalctl MESSAGE_ID=…) and the JIT_* fields listed in pam_jit(8) and jit-agent(8),
 * LOGGING.
 * Emitting is best effort: with no journald (a container, a test) the event
 * is dropped and the decision stands; callers also log their own line. */

#include <stdarg.h>

#include "macro.h"

enum audit_event {
        AUDIT_LOGIN_ALLOWED,
        AUDIT_LOGIN_DENIED,
        AUDIT_SUDO_ALLOWED,
        AUDIT_SUDO_DENIED,
        AUDIT_EXEMPT_USED,
        AUDIT_SESSION_RECORDED,
        AUDIT_SESSION_CLOSED,
        AUDIT_SESSION_ENDED,
        AUDIT_KEYS_INSTALLED,
        AUDIT_KEYS_REMOVED,
        AUDIT_BUNDLE_ACCEPTED,
        AUDIT_BUNDLE_REJECTED,
        AUDIT_SESSION_EXTENDED, /* re-bound to another grant */
        AUDIT_ELEVATION_ENDED,  /* on_sudo_expiry = elevated: the target's processes */
        AUDIT_ACCOUNT_CREATED,  /* create_users: a grant holder's record in /run/userdb */
        AUDIT_ACCOUNT_REMOVED,
        _AUDIT_EVENT_MAX,
};

struct audit_fields {
        const char *grant_id;
        const char *user;
        const char *host;
        const char *service;
        const char *reason;
        const char *ticket;
        const char *approver;
        const char *result; /* "allowed", "denied", … */
        /* Numbering: the entry takes the next number of run_dir/audit-seq
         * (audit-seq.h) as JIT_SEQ and JIT_SEQ_ID; NULL, or numbering that
         * fails, sends it without them and with JIT_SEQ_ERROR (the decision
         * stands either way). */
        const char *run_dir;
};

/* The 32-hex-digit MESSAGE_ID of an event kind. */
const char *audit_message_id(enum audit_event ev);
/* Its short name ("login-allowed", "session-ended", …), as jitctl audit
 * shows and filters it. */
const char *audit_event_name(enum audit_event ev);
/* The kind of a MESSAGE_ID; -ENOENT when it is none of ours. */
int audit_event_from_message_id(const char *id);

/* Send one entry: MESSAGE, MESSAGE_ID, PRIORITY, SYSLOG_IDENTIFIER
 * (identifier, e.g. "pam_jit"), each non-NULL JIT_* field, and its number
 * (JIT_SEQ_ID, JIT_SEQ). Returns 0 or
 * a negative errno from journald; never blocks for long. */
int audit_emit(enum audit_event ev, int priority, const char *identifier,
               const struct audit_fields *f, const char *fmt, ...) _printf_(5, 6);

/* The same, to another datagram socket than journald's (tests). */
int audit_emit_to(const char *socket_path, enum audit_event ev, int priority,
                  const char *identifier, const struct audit_fields *f, const char *fmt, ...)
        _printf_(6, 7);
