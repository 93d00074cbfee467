/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The journald native protocol as audit_emit speaks it: one datagram of
 * "KEY=value\n" fields, received here on a socket of the test's own. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"

struct sink {
        char dir[64];
        char path[128];
        int fd;
};

static void sink_open(struct sink *s) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};

        strcpy(s->dir, "/tmp/jit-audit.XXXXXX");
        assert_non_null(mkdtemp(s->dir));
        (void) snprintf(s->path, sizeof(s->path), "%s/socket", s->dir);
        strcpy(sa.sun_path, s->path);
        s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(s->fd >= 0);
        assert_int_equal(bind(s->fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
}

static void sink_close(struct sink *s) {
        close(s->fd);
        unlink(s->path);
        rmdir(s->dir);
}

static size_t sink_read(struct sink *s, char *buf, size_t size) {
        ssize_t n = recv(s->fd, buf, size - 1, MSG_DONTWAIT);

        assert_true(n > 0);
        buf[n] = '\0';
        return (size_t) n;
}

/* Every field must be a whole line of its own. */
static void assert_field(const char *dgram, const char *field) {
        char line[1200], needle[1204];

        (void) snprintf(line, sizeof(line), "%s\n", field);
        (void) snprintf(needle, sizeof(needle), "\n%s\n", field);
        if (strncmp(dgram, line, strlen(line)) != 0 && !strstr(dgram, needle))
                fail_msg("field \"%s\" missing from:\n%s", field, dgram);
}

static void test_fields(void **state) {
        struct sink s;
        char buf[8192];
        size_t n;

        sink_open(&s);
        assert_int_equal(audit_emit_to(s.path, AUDIT_LOGIN_DENIED, LOG_NOTICE, "pam_jit",
                                       &(struct audit_fields){.grant_id = "g-1",
                                                              .user = "alice",
                                                              .host = "pay-db-1",
                                                              .service = "sshd",
                                                              .reason = "disk full",
                                                              .ticket = "INC-1",
                                                              .approver = "bob",
                                                              .result = "expired"},
                                       "login of %s: %s", "alice", "expired"),
                         0);
        n = sink_read(&s, buf, sizeof(buf));
        assert_int_equal(buf[n - 1], '\n');
        assert_field(buf, "MESSAGE=login of alice: expired");
        assert_field(buf, "MESSAGE_ID=86dda8d9f8184f63b14cc3421edf227d");
        assert_string_equal(audit_message_id(AUDIT_LOGIN_DENIED),
                            "86dda8d9f8184f63b14cc3421edf227d");
        assert_field(buf, "PRIORITY=5");
        assert_field(buf, "SYSLOG_IDENTIFIER=pam_jit");
        assert_field(buf, "JIT_GRANT_ID=g-1");
        assert_field(buf, "JIT_USER=alice");
        assert_field(buf, "JIT_HOST=pay-db-1");
        assert_field(buf, "JIT_SERVICE=sshd");
        assert_field(buf, "JIT_REASON=disk full");
        assert_field(buf, "JIT_TICKET=INC-1");
        assert_field(buf, "JIT_APPROVER=bob");
        assert_field(buf, "JIT_RESULT=expired");
        sink_close(&s);
}

/* Absent fields are not sent; a newline can never forge a field. */
static void test_absent_and_newline(void **state) {
        struct sink s;
        char buf[8192];

        sink_open(&s);
        assert_int_equal(audit_emit_to(s.path, AUDIT_EXEMPT_USED, LOG_WARNING, "pam_jit",
                                       &(struct audit_fields){.user = "root",
                                                              .reason = "x\nJIT_RESULT=allowed"},
                                       "exempt\nMESSAGE_ID=forged"),
                         0);
        (void) sink_read(&s, buf, sizeof(buf));
        assert_null(strstr(buf, "JIT_GRANT_ID="));
        assert_null(strstr(buf, "\nMESSAGE_ID=forged"));
        assert_null(strstr(buf, "\nJIT_RESULT=allowed"));
        assert_field(buf, "JIT_REASON=x JIT_RESULT=allowed");
        assert_field(buf, "MESSAGE=exempt MESSAGE_ID=forged");
        sink_close(&s);
}

/* Numbered entries: JIT_SEQ_ID and JIT_SEQ from run_dir/audit-seq, one
 * more each time; without a run_dir, unnumbered and saying why. */
static void test_numbered(void **state) {
        char run[] = "/tmp/jit-audit-run.XXXXXX", buf[8192], id[64] = "", *p;
        struct sink s;

        sink_open(&s);
        assert_non_null(mkdtemp(run));
        assert_int_equal(chmod(run, 0755), 0);
        for (int i = 1; i <= 3; i++) {
                char want[32];

                assert_int_equal(
                        audit_emit_to(s.path, AUDIT_LOGIN_ALLOWED, LOG_INFO, "pam_jit",
                                      &(struct audit_fields){.user = "alice", .run_dir = run},
                                      "login %d", i),
                        0);
                (void) sink_read(&s, buf, sizeof(buf));
                (void) snprintf(want, sizeof(want), "JIT_SEQ=%d", i);
                assert_field(buf, want);
                p = strstr(buf, "JIT_SEQ_ID=");
                assert_non_null(p);
                if (i == 1)
                        (void) sscanf(p, "JIT_SEQ_ID=%32[0-9a-f]", id);
                else
                        assert_int_equal(strncmp(p + strlen("JIT_SEQ_ID="), id, 32), 0);
                assert_null(strstr(buf, "JIT_SEQ_ERROR="));
        }
        assert_int_equal(strlen(id), 32);

        assert_int_equal(audit_emit_to(s.path, AUDIT_LOGIN_ALLOWED, LOG_INFO, "pam_jit",
                                       &(struct audit_fields){.user = "alice"}, "no run_dir"),
                         0);
        (void) sink_read(&s, buf, sizeof(buf));
        assert_null(strstr(buf, "JIT_SEQ="));
        assert_field(buf, "JIT_SEQ_ERROR=ENOENT");
        sink_close(&s);
        (void) snprintf(buf, sizeof(buf), "%s/audit-seq", run);
        assert_int_equal(unlink(buf), 0);
        assert_int_equal(rmdir(run), 0);
}

/* Every event kind has a name (jitctl audit --event) and round-trips
 * through its MESSAGE_ID. */
static void test_names(void **state) {
        for (int ev = 0; ev < _AUDIT_EVENT_MAX; ev++) {
                assert_non_null(audit_event_name(ev));
                assert_int_equal(audit_event_from_message_id(audit_message_id(ev)), ev);
        }
        assert_null(audit_event_name(_AUDIT_EVENT_MAX));
        assert_true(audit_event_from_message_id("00000000000000000000000000000000") < 0);
}

static void test_no_journal(void **state) {
        /* No listener: an error, not a crash or a hang. */
        assert_true(audit_emit_to("/tmp/jit-audit-no-such-socket", AUDIT_LOGIN_ALLOWED, LOG_INFO,
                                  "pam_jit", NULL, "nobody listens") < 0);
        assert_true(audit_emit(_AUDIT_EVENT_MAX, LOG_INFO, "x", NULL, "bad kind") < 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fields),     cmocka_unit_test(test_absent_and_newline),
                cmocka_unit_test(test_numbered),   cmocka_unit_test(test_names),
                cmocka_unit_test(test_no_journal),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
