/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

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
};

const char *audit_message_id(enum audit_event ev) {
        if ((unsigned) ev >= _AUDIT_EVENT_MAX)
                return NULL;
        return message_ids[ev];
}

#define AUDIT_FIELDS_MAX 16
#define AUDIT_FIELD_LEN 1100 /* "JIT_REASON=" + a 1024-byte reason claim */

int audit_emit(enum audit_event ev, int priority, const char *identifier,
               const struct audit_fields *f, const char *fmt, ...) {
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
        size_t n = 0, len;
        va_list ap;
        int k;

        if ((unsigned) ev >= _AUDIT_EVENT_MAX)
                return -EINVAL;

        /* MESSAGE first, built from the caller's format. */
        len = strlen("MESSAGE=");
        memcpy(fields[n], "MESSAGE=", len);
        va_start(ap, fmt);
        k = vsnprintf(fields[n] + len, sizeof(fields[n]) - len, fmt, ap);
        va_end(ap);
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

        for (size_t i = 0; i < n; i++)
                iov[i] = (struct iovec){.iov_base = fields[i], .iov_len = strlen(fields[i])};
        return sd_journal_sendv(iov, (int) n);
}
