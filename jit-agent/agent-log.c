/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "agent-log.h"

#define AGENT_LOG_IDENTIFIER "jit-agent"
#define AGENT_LOG_MESSAGE_MAX 1024

/* Is stderr the journal? systemd sets $JOURNAL_STREAM to the device and
 * inode of the stream it connected (systemd.exec(5)); a redirected stderr
 * (a test's pipe, a terminal) has others. */
static bool stderr_is_journal(void) {
        static int cached = -1;
        unsigned long long dev, ino;
        const char *e;
        char *end;
        struct stat st;

        if (cached >= 0)
                return cached;
        cached = 0;
        e = getenv("JOURNAL_STREAM");
        if (!e || fstat(STDERR_FILENO, &st) < 0)
                return false;
        errno = 0;
        dev = strtoull(e, &end, 10);
        if (errno != 0 || end == e || *end != ':')
                return false;
        e = end + 1;
        ino = strtoull(e, &end, 10);
        if (errno != 0 || end == e || *end != '\0')
                return false;
        cached = (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
        return cached;
}

static void stderr_line(int priority, const char *message) {
        fprintf(stderr, "<%d>%s\n", priority & LOG_PRIMASK, message);
}

#define FIELDS_MAX 10

void agent_log_internal(int priority, const char *message_id, const struct agent_log_fields *f,
                        const char *file, int line, const char *func, const char *fmt, ...) {
        char message[AGENT_LOG_MESSAGE_MAX], buf[FIELDS_MAX][AGENT_LOG_MESSAGE_MAX + 16];
        char code_file[256], code_line[32];
        struct iovec iov[FIELDS_MAX];
        size_t n = 0;
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(message, sizeof(message), fmt, ap);
        va_end(ap);

        if (!stderr_is_journal()) {
                stderr_line(priority, message);
                return;
        }

#define FIELD(...)                                                                                 \
        do {                                                                                       \
                int _k = snprintf(buf[n], sizeof(buf[n]), __VA_ARGS__);                            \
                iov[n] = (struct iovec){.iov_base = buf[n],                                        \
                                        .iov_len = _k < 0 ? 0                                      \
                                                   : (size_t) _k < sizeof(buf[n])                  \
                                                           ? (size_t) _k                           \
                                                           : sizeof(buf[n]) - 1};                  \
                n++;                                                                               \
        } while (0)

        FIELD("MESSAGE=%s", message);
        FIELD("MESSAGE_ID=%s", message_id);
        FIELD("PRIORITY=%d", priority & LOG_PRIMASK);
        FIELD("SYSLOG_IDENTIFIER=%s", AGENT_LOG_IDENTIFIER);
        if (f && f->user)
                FIELD("JIT_USER=%s", f->user);
        if (f && f->session)
                FIELD("JIT_SESSION=%s", f->session);
        if (f && f->grant_id)
                FIELD("JIT_GRANT_ID=%s", f->grant_id);
        if (f && f->error != 0)
                FIELD("ERRNO=%d", f->error < 0 ? -f->error : f->error);
#undef FIELD

        (void) snprintf(code_file, sizeof(code_file), "CODE_FILE=%s", file);
        (void) snprintf(code_line, sizeof(code_line), "CODE_LINE=%d", line);
        /* journald gone under us: the event is not lost, stderr is its stream. */
        if (sd_journal_sendv_with_location(code_file, code_line, func, iov, (int) n) < 0)
                stderr_line(priority, message);
}

/* The run_dir whose audit sequence the agent's audit entries take their
 * numbers from (audit-seq.h); set at each context load. */
static char audit_run_dir[4096];

void agent_audit_set_run_dir(const char *run_dir) {
        if (!run_dir || strlen(run_dir) >= sizeof(audit_run_dir))
                audit_run_dir[0] = '\0';
        else
                memcpy(audit_run_dir, run_dir, strlen(run_dir) + 1);
}

void agent_audit(enum audit_event ev, int priority, const struct audit_fields *f, const char *fmt,
                 ...) {
        char message[AGENT_LOG_MESSAGE_MAX];
        struct audit_fields numbered = f ? *f : (struct audit_fields){};
        va_list ap;
        int r;

        va_start(ap, fmt);
        (void) vsnprintf(message, sizeof(message), fmt, ap);
        va_end(ap);

        if (!numbered.run_dir && audit_run_dir[0])
                numbered.run_dir = audit_run_dir;
        r = audit_emit(ev, priority, AGENT_LOG_IDENTIFIER, &numbered, "%s", message);
        if (r < 0 || !stderr_is_journal())
                stderr_line(priority, message);
}
