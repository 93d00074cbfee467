/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text form of a session record (common/host/session-record.c):
 * round trip, hostile texts, limits, and which ids are valid. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"

#include "jit-limits.h"
#include "macro.h"
#include "session-record.h"

#define FULL_TEXT                                                                                  \
        "grant=g-1\nuser=alice\nservice=sshd\ntty=ssh\nrhost=192.0.2.7 [x]\nleader=4242\n"         \
        "uid=1000\naudit-session=17\nlogind-session=c17\nexp=1800001800\nbound=yes\n"              \
        "elevated=root g-1\nelevated=postgres g-2\n"

static void test_round_trip(void **state) {
        _cleanup_(session_record_freep) struct session_record *r = test_session_record_full("17");
        _cleanup_(session_record_freep) struct session_record *p = NULL, *m = NULL;
        _cleanup_free_ char *text = NULL, *again = NULL, *mtext = NULL;
        struct jit_error err = {};

        assert_int_equal(session_record_format(r, &text), 0);
        assert_string_equal(text, FULL_TEXT);
        /* The id is the file name, never a line. */
        assert_null(strstr(text, "\nid="));
        assert_true(strncmp(text, "id=", 3) != 0);
        assert_ok(session_record_parse("17", text, strlen(text), &p, &err), &err);
        test_assert_session_records_equal(r, p);
        assert_int_equal(session_record_format(p, &again), 0);
        assert_string_equal(text, again);

        /* Optional fields absent: no line, and unset when read back. */
        assert_ok(session_record_parse("logind-c3", TEST_SESSION_BASE, strlen(TEST_SESSION_BASE),
                                       &m, &err),
                  &err);
        assert_string_equal(m->id, "logind-c3");
        assert_null(m->tty);
        assert_null(m->rhost);
        assert_null(m->logind_session);
        assert_int_equal(m->audit_session, AUDIT_SESSION_UNSET);
        assert_false(m->bound);
        assert_non_null(m->elevated);
        assert_null(m->elevated[0]);
        assert_int_equal(session_record_format(m, &mtext), 0);
        assert_string_equal(mtext, TEST_SESSION_BASE "bound=no\n");
}

static const struct test_text_row hostile[] = {
        TEST_ROW("empty file", "", JIT_REASON_MALFORMED),
        TEST_ROW("grant missing", "user=alice\nservice=sshd\nleader=1\nuid=0\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("user missing", "grant=g\nservice=sshd\nleader=1\nuid=0\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("service missing", "grant=g\nuser=alice\nleader=1\nuid=0\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("leader missing", "grant=g\nuser=alice\nservice=sshd\nuid=0\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("uid missing", "grant=g\nuser=alice\nservice=sshd\nleader=1\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("exp missing", "grant=g\nuser=alice\nservice=sshd\nleader=1\nuid=0\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("unknown key", TEST_SESSION_BASE "pid=1\n", JIT_REASON_MALFORMED),
        TEST_ROW("id stored in the file", TEST_SESSION_BASE "id=17\n", JIT_REASON_MALFORMED),
        TEST_ROW("key in upper case", TEST_SESSION_BASE "TTY=ssh\n", JIT_REASON_MALFORMED),
        TEST_ROW("space before '='", TEST_SESSION_BASE "tty =ssh\n", JIT_REASON_MALFORMED),
        TEST_ROW("no '='", TEST_SESSION_BASE "tty\n", JIT_REASON_MALFORMED),
        TEST_ROW("grant repeated", TEST_SESSION_BASE "grant=g-2\n", JIT_REASON_MALFORMED),
        TEST_ROW("user repeated", TEST_SESSION_BASE "user=bob\n", JIT_REASON_MALFORMED),
        TEST_ROW("bound repeated", TEST_SESSION_BASE "bound=no\nbound=no\n", JIT_REASON_MALFORMED),
        TEST_ROW("no newline at the end", TEST_SESSION_BASE "bound=no", JIT_REASON_MALFORMED),
        TEST_ROW("blank line", TEST_SESSION_BASE "\n", JIT_REASON_MALFORMED),
        TEST_ROW("CR line ending", TEST_SESSION_BASE "tty=ssh\r\n", JIT_REASON_MALFORMED),
        TEST_ROW("NUL in a value", TEST_SESSION_BASE "tty=s\0sh\n", JIT_REASON_MALFORMED),
        TEST_ROW("escape in rhost", TEST_SESSION_BASE "rhost=\x1b[2Jevil\n", JIT_REASON_MALFORMED),
        TEST_ROW("DEL in tty", TEST_SESSION_BASE "tty=pts\x7f\n", JIT_REASON_MALFORMED),
        TEST_ROW("byte above ASCII in rhost", TEST_SESSION_BASE "rhost=h\xc3\xa9\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("empty tty", TEST_SESSION_BASE "tty=\n", JIT_REASON_MALFORMED),
        TEST_ROW("grant id with '/'",
                 "grant=../x\nuser=alice\nservice=sshd\nleader=1\nuid=0\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("user name invalid",
                 "grant=g\nuser=-alice\nservice=sshd\nleader=1\nuid=0\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("service with a space", "grant=g\nuser=a\nservice=ss hd\nleader=1\nuid=0\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("service with '/'", "grant=g\nuser=a\nservice=a/b\nleader=1\nuid=0\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("leader zero", "grant=g\nuser=a\nservice=s\nleader=0\nuid=0\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("leader negative", "grant=g\nuser=a\nservice=s\nleader=-1\nuid=0\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("leader above INT32_MAX",
                 "grant=g\nuser=a\nservice=s\nleader=2147483648\nuid=0\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("leader with a sign", "grant=g\nuser=a\nservice=s\nleader=+5\nuid=0\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("uid (uid_t) -1", "grant=g\nuser=a\nservice=s\nleader=1\nuid=4294967295\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("uid with a leading zero",
                 "grant=g\nuser=a\nservice=s\nleader=1\nuid=01000\nexp=1\n", JIT_REASON_MALFORMED),
        TEST_ROW("uid in hex", "grant=g\nuser=a\nservice=s\nleader=1\nuid=0x10\nexp=1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("audit-session unset value", TEST_SESSION_BASE "audit-session=4294967295\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("audit-session overflow", TEST_SESSION_BASE "audit-session=4294967296\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("logind-session with '-'", TEST_SESSION_BASE "logind-session=c-1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("exp after year 9999",
                 "grant=g\nuser=a\nservice=s\nleader=1\nuid=0\nexp=253402300800\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("exp empty", "grant=g\nuser=a\nservice=s\nleader=1\nuid=0\nexp=\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("bound not yes/no", TEST_SESSION_BASE "bound=true\n", JIT_REASON_MALFORMED),
        TEST_ROW("elevated without jti", TEST_SESSION_BASE "elevated=root\n", JIT_REASON_MALFORMED),
        TEST_ROW("elevated with two spaces", TEST_SESSION_BASE "elevated=root  g-1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("elevated target invalid", TEST_SESSION_BASE "elevated=ro/ot g-1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("elevated jti invalid", TEST_SESSION_BASE "elevated=root g 1\n",
                 JIT_REASON_MALFORMED),
        TEST_ROW("elevated listed twice",
                 TEST_SESSION_BASE "elevated=root g-1\nelevated=root g-1\n", JIT_REASON_MALFORMED),
};

static void test_hostile(void **state) {
        bool ok = true;

        for (size_t i = 0; i < ELEMENTSOF(hostile); i++) {
                const struct test_text_row *t = &hostile[i];
                struct session_record *r = (struct session_record *) 0x1;
                struct jit_error err = {};
                int q = session_record_parse("17", t->text, t->len, &r, &err);

                if (!test_check_reason(t->name, q, &err, t->reason, JIT_REASON_NONE))
                        ok = false;
                else if (r != (struct session_record *) 0x1) {
                        print_error("%s: result set on failure\n", t->name);
                        ok = false;
                }
        }
        assert_true(ok);
}

static void test_parse_messages_and_limits(void **state) {
        struct session_record *r = NULL;
        struct jit_error err = {};
        _cleanup_free_ char *many = NULL, *big = NULL, *max = NULL;

        assert_reason(session_record_parse("17", TEST_SESSION_BASE "pid=1\n",
                                           strlen(TEST_SESSION_BASE) + 6, &r, &err),
                      &err, JIT_REASON_MALFORMED);
        assert_string_equal(err.message, "line 7: unknown key");
        assert_reason(session_record_parse("17", "user=a\n", 7, &r, &err), &err,
                      JIT_REASON_MALFORMED);
        assert_string_equal(err.message, "missing key 'grant'");
        /* The id must be a valid one too: it came from a file name. */
        assert_reason(session_record_parse("../17", TEST_SESSION_BASE, strlen(TEST_SESSION_BASE),
                                           &r, &err),
                      &err, JIT_REASON_MALFORMED);

        /* JIT_SESSION_ELEVATED_MAX elevations load; one more does not. */
        many = test_strdupf("%s", TEST_SESSION_BASE);
        for (unsigned i = 0; i <= JIT_SESSION_ELEVATED_MAX; i++) {
                char *t = test_strdupf("%selevated=root g-%u\n", many, i);

                free(many);
                many = t;
                if (i + 1 == JIT_SESSION_ELEVATED_MAX)
                        max = strdup(many);
        }
        assert_ok(session_record_parse("17", max, strlen(max), &r, &err), &err);
        assert_int_equal(strv_length(r->elevated), JIT_SESSION_ELEVATED_MAX);
        session_record_free(TAKE_PTR(r));
        assert_reason(session_record_parse("17", many, strlen(many), &r, &err), &err,
                      JIT_REASON_TOO_LARGE);

        big = test_strrep('a', JIT_SESSION_FILE_MAX + 1);
        assert_reason(session_record_parse("17", big, strlen(big), &r, &err), &err,
                      JIT_REASON_TOO_LARGE);
}

static void test_format_refuses(void **state) {
        _cleanup_(session_record_freep) struct session_record *r = test_session_record_full("17");
        char *text = NULL, *saved;

        /* What parse would refuse is never written. */
        saved = r->tty;
        r->tty = (char *) "pts/0\nuser=root";
        assert_int_equal(session_record_format(r, &text), -EINVAL);
        r->tty = saved;
        r->leader = 0;
        assert_int_equal(session_record_format(r, &text), -EINVAL);
        r->leader = 1;
        memcpy(r->id, "x/y", 4);
        assert_int_equal(session_record_format(r, &text), -EINVAL);
        memcpy(r->id, "17", 3);
        assert_int_equal(strv_extend(&r->elevated, "root g-1"), 0);
        assert_int_equal(session_record_format(r, &text), -EINVAL);
        assert_null(text);
}

static const struct {
        const char *id;
        bool valid;
} ids[] = {
        {"0", true},
        {"1", true},
        {"17", true},
        {"4294967294", true},
        {"logind-c1", true},
        {"logind-1", true},
        {"logind-Ab0xxxxxxxxxxxxxxxxxxxxxxxxxxxxx", true},   /* 32 characters */
        {"logind-Ab0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxy", false}, /* 33 */
        {"", false},
        {"4294967295", false}, /* (uint32_t) -1: no audit session */
        {"4294967296", false},
        {"99999999999", false},
        {"017", false},
        {"00", false},
        {"-1", false},
        {"+1", false},
        {"1 ", false},
        {"1a", false},
        {".lock", false},
        {".", false},
        {"..", false},
        {"../17", false},
        {"17/x", false},
        {"logind-", false},
        {"logind-c-1", false},
        {"logind-c/1", false},
        {"logind", false},
        {"Logind-c1", false},
        {".#17.a1b2c3d4e5f6", false},
};

static void test_id_is_valid(void **state) {
        bool ok = true;

        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                if (session_id_is_valid(ids[i].id) != ids[i].valid) {
                        print_error("'%s': expected %s\n", ids[i].id,
                                    ids[i].valid ? "valid" : "invalid");
                        ok = false;
                }
        assert_false(session_id_is_valid(NULL));
        assert_true(ok);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_parse_messages_and_limits),
                cmocka_unit_test(test_format_refuses),
                cmocka_unit_test(test_id_is_valid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
