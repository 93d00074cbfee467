/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's log (jit-agent/agent-log.c): every event is one journald entry
 * with its MESSAGE_ID, priority and fields when stderr is the journal, and
 * one "<N>message" line on stderr when it is not; an audit event is sent to
 * journald once in either case, never twice.
 *
 * In a private mount namespace a tmpfs on /run holds a datagram socket of
 * the test's own at /run/systemd/journal/socket, where libsystemd and
 * common/audit.c send; each case runs in a child of its own (the agent
 * decides once per process whether stderr is the journal). Root only. */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-log.h"

#define JOURNAL_DIR "/run/systemd/journal"
#define DGRAM_MAX 65536

static int sink = -1;
static unsigned n_test, n_failed;

static void check(bool ok, const char *fmt, ...) _printf_(2, 3);
static void check(bool ok, const char *fmt, ...) {
        va_list ap;

        printf("%s %u - ", ok ? "ok" : "not ok", ++n_test);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        if (!ok)
                n_failed++;
}

static int setup(void) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                return -errno;
        if (mkdir("/run/systemd", 0755) < 0 || mkdir(JOURNAL_DIR, 0755) < 0)
                return -errno;
        sink = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sink < 0)
                return -errno;
        strcpy(sa.sun_path, JOURNAL_DIR "/socket");
        if (bind(sink, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        return 0;
}

/* What one case left: the datagrams (up to two) and stderr's text. */
struct outcome {
        unsigned n_dgrams;
        char dgram[2][DGRAM_MAX];
        char err[4096];
};

enum how { VIA_JOURNAL, VIA_STDERR, VIA_OTHER_STREAM };

static void run_case(enum how how, void (*emit)(void), struct outcome *o) {
        char path[] = "/tmp/jit-agent-log.XXXXXX";
        int fd, status;
        pid_t pid;
        ssize_t n;

        memset(o, 0, sizeof(*o));
        fd = mkstemp(path);
        if (fd < 0) {
                perror("mkstemp");
                exit(1);
        }
        (void) unlink(path);
        pid = fork();
        if (pid < 0) {
                perror("fork");
                exit(1);
        }
        if (pid == 0) {
                struct stat st;
                char stream[64];

                if (dup2(fd, STDERR_FILENO) < 0 || fstat(fd, &st) < 0)
                        _exit(2);
                (void) snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long) st.st_dev,
                                (unsigned long long) st.st_ino + (how == VIA_OTHER_STREAM));
                if (how == VIA_STDERR)
                        (void) unsetenv("JOURNAL_STREAM");
                else
                        (void) setenv("JOURNAL_STREAM", stream, 1);
                emit();
                _exit(0);
        }
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "case child failed\n");
                exit(1);
        }
        while (o->n_dgrams < 2 &&
               (n = recv(sink, o->dgram[o->n_dgrams], DGRAM_MAX - 1, MSG_DONTWAIT)) >= 0)
                o->dgram[o->n_dgrams++][n] = '\0';
        while (recv(sink, o->dgram[1], DGRAM_MAX - 1, MSG_DONTWAIT) >= 0)
                o->n_dgrams++; /* more than two: counted only */
        n = pread(fd, o->err, sizeof(o->err) - 1, 0);
        o->err[n > 0 ? n : 0] = '\0';
        close(fd);
}

/* "KEY=value" is a line of the datagram. */
static bool has_field(const char *dgram, const char *field) {
        size_t len = strlen(field);

        for (const char *p = dgram; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, field, len) == 0 && (p[len] == '\n' || p[len] == '\0'))
                        return true;
        return false;
}

static void emit_event(void) {
        agent_log_fields(LOG_WARNING, AGENT_MID_FETCH_FAILED,
                         (&(struct agent_log_fields){.user = "alice", .error = -ETIMEDOUT}),
                         "bundle fetch failed (%u in a row): %s", 3u, "timed out");
}

static void emit_audit(void) {
        agent_audit(AUDIT_BUNDLE_ACCEPTED, LOG_INFO,
                    &(struct audit_fields){.host = "web-1", .result = "accepted"},
                    "bundle serial %d accepted", 7);
}

int main(void) {
        struct outcome *o = malloc(sizeof(*o));
        char want[128];
        int r;

        if (!o)
                return 1;
        r = setup();
        if (r < 0) {
                printf("Bail out! a private /run with a journal socket: %s (runs as root)\n",
                       strerror(-r));
                return 1;
        }
        printf("1..15\n");

        run_case(VIA_JOURNAL, emit_event, o);
        check(o->n_dgrams == 1, "event, stderr is the journal: one entry (got %u)", o->n_dgrams);
        check(has_field(o->dgram[0], "MESSAGE=bundle fetch failed (3 in a row): timed out") &&
                      has_field(o->dgram[0], "MESSAGE_ID=" AGENT_MID_FETCH_FAILED) &&
                      has_field(o->dgram[0], "SYSLOG_IDENTIFIER=jit-agent"),
              "event: MESSAGE, its MESSAGE_ID, SYSLOG_IDENTIFIER");
        (void) snprintf(want, sizeof(want), "PRIORITY=%d", LOG_WARNING);
        check(has_field(o->dgram[0], want), "event: %s", want);
        (void) snprintf(want, sizeof(want), "ERRNO=%d", ETIMEDOUT);
        check(has_field(o->dgram[0], "JIT_USER=alice") && has_field(o->dgram[0], want),
              "event: JIT_USER and %s", want);
        check(o->err[0] == '\0', "event: nothing on stderr (got '%s')", o->err);

        run_case(VIA_STDERR, emit_event, o);
        check(o->n_dgrams == 0, "event, no JOURNAL_STREAM: no entry (got %u)", o->n_dgrams);
        (void) snprintf(want, sizeof(want), "<%d>bundle fetch failed (3 in a row): timed out\n",
                        LOG_WARNING);
        check(streq(o->err, want), "event: one line on stderr with the priority prefix");

        run_case(VIA_OTHER_STREAM, emit_event, o);
        check(o->n_dgrams == 0 && streq(o->err, want),
              "event, JOURNAL_STREAM names another stream (stderr redirected): stderr only");

        run_case(VIA_JOURNAL, emit_audit, o);
        check(o->n_dgrams == 1, "audit, stderr is the journal: one entry (got %u)", o->n_dgrams);
        check(has_field(o->dgram[0], "MESSAGE_ID="
                                     "04f23a84162f4b92b02c2b4e2f91d1a7") &&
                      has_field(o->dgram[0], "MESSAGE=bundle serial 7 accepted"),
              "audit: the audit MESSAGE_ID of common/audit.c, the message");
        check(has_field(o->dgram[0], "JIT_HOST=web-1") &&
                      has_field(o->dgram[0], "JIT_RESULT=accepted") &&
                      has_field(o->dgram[0], "SYSLOG_IDENTIFIER=jit-agent"),
              "audit: JIT_HOST, JIT_RESULT, SYSLOG_IDENTIFIER=jit-agent");
        check(o->err[0] == '\0', "audit: nothing on stderr (got '%s')", o->err);

        run_case(VIA_STDERR, emit_audit, o);
        check(o->n_dgrams == 1, "audit, not under journald: still one entry (got %u)", o->n_dgrams);
        (void) snprintf(want, sizeof(want), "<%d>bundle serial 7 accepted\n", LOG_INFO);
        check(streq(o->err, want), "audit: and its line on stderr (got '%s')", o->err);
        check(has_field(o->dgram[0], "MESSAGE=bundle serial 7 accepted"),
              "audit: entry and line say the same");

        free(o);
        return n_failed == 0 ? 0 : 1;
}
