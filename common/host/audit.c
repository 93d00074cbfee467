/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "audit-seq.h"
#include "audit.h"

/* Fixed forever: admins filter on them (journalctl MESSAGE_ID=…). */
static const char *const message_ids[_AUDIT_EVENT_MAX] = {
        [AUDIT_LOGIN_ALLOWED] = "1eb5e351f89c4c78b37ff82e8b7e8d9f",
        [AUDIT_LOGIN_DENIED] = "86dda8d9f8184f63b14cc3421edf227d",
        [AUDIT_SUDO_ALLOWED] = "f0c27c200e9847788765f5cb3fe5c6e6",
        [AUDIT_SUDO_DENIED] = "f7fdc8345ff14531b23f8143d9c34bef",
        [AUDIT_EXEMPT_USED] = "84734e54bd6f4f8984660749c9f05b52",
        [AUDIT_SESSION_RECORDED] = "b76414063d4c468ea36da16b9786ccda",
        [AUDIT_SESSION_CLOSED] = "cbb05fd987674ab9afdd86e6de6b8505",
        [AUDIT_SESSION_ENDED] = "feeb3a871f924fbc9fa30eb275ae6886",
        [AUDIT_KEYS_INSTALLED] = "814d7fe46f4e4ecdba4326668f0b0436",
        [AUDIT_KEYS_REMOVED] = "29f07f72e44349f287b23a96b6bd9c1c",
        [AUDIT_BUNDLE_ACCEPTED] = "04f23a84162f4b92b02c2b4e2f91d1a7",
        [AUDIT_BUNDLE_REJECTED] = "0ddc3d3908854fdd9e97c753a868e6bc",
        [AUDIT_SESSION_EXTENDED] = "5b2f4c0e7a1d4f6c9e3b8a7d6c5e4f30",
        [AUDIT_ELEVATION_ENDED] = "a3c1e5f7092b4d6e8f1a3c5e7092b4d6",
        [AUDIT_ACCOUNT_CREATED] = "6b3e0f4d8c2a4e1b9f7d5c3a1e8b6d40",
        [AUDIT_ACCOUNT_REMOVED] = "c8d2a6e4f0b84c1a9e3d7b5f2a6c8e41",
};

static const char *const event_names[_AUDIT_EVENT_MAX] = {
        [AUDIT_LOGIN_ALLOWED] = "login-allowed",
        [AUDIT_LOGIN_DENIED] = "login-denied",
        [AUDIT_SUDO_ALLOWED] = "sudo-allowed",
        [AUDIT_SUDO_DENIED] = "sudo-denied",
        [AUDIT_EXEMPT_USED] = "exempt-used",
        [AUDIT_SESSION_RECORDED] = "session-recorded",
        [AUDIT_SESSION_CLOSED] = "session-closed",
        [AUDIT_SESSION_ENDED] = "session-ended",
        [AUDIT_KEYS_INSTALLED] = "keys-installed",
        [AUDIT_KEYS_REMOVED] = "keys-removed",
        [AUDIT_BUNDLE_ACCEPTED] = "bundle-accepted",
        [AUDIT_BUNDLE_REJECTED] = "bundle-rejected",
        [AUDIT_SESSION_EXTENDED] = "session-extended",
        [AUDIT_ELEVATION_ENDED] = "elevation-ended",
        [AUDIT_ACCOUNT_CREATED] = "account-created",
        [AUDIT_ACCOUNT_REMOVED] = "account-removed",
};

const char *audit_message_id(enum audit_event ev) {
        if ((unsigned) ev >= _AUDIT_EVENT_MAX)
                return NULL;
        return message_ids[ev];
}

const char *audit_event_name(enum audit_event ev) {
        if ((unsigned) ev >= _AUDIT_EVENT_MAX)
                return NULL;
        return event_names[ev];
}

int audit_event_from_message_id(const char *id) {
        for (int i = 0; id && i < _AUDIT_EVENT_MAX; i++)
                if (strcmp(message_ids[i], id) == 0)
                        return i;
        return -ENOENT;
}

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static int journal_send(const char *path, struct iovec *iov, size_t n) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct msghdr mh = {.msg_name = (void *) &sa,
                            .msg_namelen = sizeof(sa),
                            .msg_iov = iov,
                            .msg_iovlen = n};
        size_t len = strlen(path);
        int fd, r = 0;

        if (len >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, len + 1);

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* Never wait for journald: a login, and the agent's single loop
         * that ends sessions on time, must not stall behind a full socket
         * queue. An entry dropped here took its number already, so the
         * receiving side reports it as a gap (docs/decisions.md). */
        if (sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                r = -errno;
        (void) close(fd);
        return r;
}

#define AUDIT_FIELDS_MAX 16
#define AUDIT_FIELD_LEN 1100 /* "JIT_REASON=" + a 1024-byte reason claim */

static int audit_vemit(const char *socket_path, enum audit_event ev, int priority,
                       const char *identifier, const struct audit_fields *f, const char *fmt,
                       va_list ap) {
        char fields[AUDIT_FIELDS_MAX][AUDIT_FIELD_LEN];
        struct iovec iov[AUDIT_FIELDS_MAX];
        const struct {
                const char *name, *value;
        } jit[] = {
                {"JIT_GRANT_ID", f ? f->grant_id : NULL}, {"JIT_USER", f ? f->user : NULL},
                {"JIT_HOST", f ? f->host : NULL},         {"JIT_SERVICE", f ? f->service : NULL},
                {"JIT_REASON", f ? f->reason : NULL},     {"JIT_TICKET", f ? f->ticket : NULL},
                {"JIT_APPROVER", f ? f->approver : NULL}, {"JIT_RESULT", f ? f->result : NULL},
        };
        struct audit_seq seq;
        size_t n = 0, len;
        int k;

        if ((unsigned) ev >= _AUDIT_EVENT_MAX)
                return -EINVAL;

        /* MESSAGE first, built from the caller's format. */
        len = strlen("MESSAGE=");
        memcpy(fields[n], "MESSAGE=", len);
        k = vsnprintf(fields[n] + len, sizeof(fields[n]) - len, fmt, ap);
        if (k < 0)
                return -EINVAL;
        n++;

        (void) snprintf(fields[n++], AUDIT_FIELD_LEN, "MESSAGE_ID=%s", message_ids[ev]);
        (void) snprintf(fields[n++], AUDIT_FIELD_LEN, "PRIORITY=%d", priority & LOG_PRIMASK);
        (void) snprintf(fields[n++], AUDIT_FIELD_LEN, "SYSLOG_IDENTIFIER=%s", strempty(identifier));
        for (size_t i = 0; i < ELEMENTSOF(jit) && n < AUDIT_FIELDS_MAX; i++)
                if (jit[i].value)
                        (void) snprintf(fields[n++], AUDIT_FIELD_LEN, "%s=%s", jit[i].name,
                                        jit[i].value);
        /* The number is taken last, right before the send: numbers go out
         * in the order they were taken by this process. */
        k = f && f->run_dir ? audit_seq_next(f->run_dir, &seq) : -ENOENT;
        if (k >= 0) {
                (void) snprintf(fields[n++], AUDIT_FIELD_LEN, "JIT_SEQ_ID=%s", seq.id);
                (void) snprintf(fields[n++], AUDIT_FIELD_LEN, "JIT_SEQ=%" PRIu64, seq.n);
        } else
                (void) snprintf(fields[n++], AUDIT_FIELD_LEN, "JIT_SEQ_ERROR=%s",
                                strerrorname_np(-k) ?: "unknown");

        /* journald's native protocol, spoken directly rather than through
         * sd_journal_sendv(): pam_jit must not load libsystemd (and its
         * compression libraries) into every sudo call. One datagram of
         * "KEY=value\n" fields; no socket kept open in the host process.
         * Claims never hold a newline (control characters are refused);
         * should one appear anyway it becomes a space, so no value can
         * forge a field. Where journald does not run the event is dropped. */
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(fields[i]);

                for (size_t c = 0; c < l; c++)
                        if (fields[i][c] == '\n')
                                fields[i][c] = ' ';
                fields[i][l] = '\n';
                iov[i] = (struct iovec){.iov_base = fields[i], .iov_len = l + 1};
        }
        return journal_send(socket_path, iov, n);
}

int audit_emit(enum audit_event ev, int priority, const char *identifier,
               const struct audit_fields *f, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = audit_vemit(JOURNAL_SOCKET, ev, priority, identifier, f, fmt, ap);
        va_end(ap);
        return r;
}

int audit_emit_to(const char *socket_path, enum audit_event ev, int priority,
                  const char *identifier, const struct audit_fields *f, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = audit_vemit(socket_path, ev, priority, identifier, f, fmt, ap);
        va_end(ap);
        return r;
}
