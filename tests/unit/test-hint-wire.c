/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hint lines between `jit-fetch --subscribe` and jit-agent
 * (jit-fetch/wire/hint-wire.h): untrusted to the agent, so every line that
 * is not exactly one of the three events is refused, and what the helper
 * writes parses back to what it meant. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hint-wire.h"

static void test_hostile(void **state) {
        static const struct {
                const char *name;
                const char *line;
                size_t len; /* 0: strlen */
        } t[] = {
                {"empty", "", 0},
                {"unknown word", "fetch", 0},
                {"hint with an argument", "hint now", 0},
                {"hint upper case", "HINT", 0},
                {"trailing space", "hint ", 0},
                {"carriage return", "hint\r", 0},
                {"up with text", "up!", 0},
                {"down without a message", "down", 0},
                {"down and a space only", "down ", 0},
                {"NUL inside", "hi\0nt", 5},
                {"escape in a message", "down \x1b[2Jcleared", 0},
                {"DEL", "hint\x7f", 0},
                {"high byte", "down caf\xc3\xa9", 0},
        };
        char message[HINT_WIRE_LINE_MAX];
        char longline[HINT_WIRE_LINE_MAX + 8];
        enum hint_event e;

        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                size_t len = t[i].len ? t[i].len : strlen(t[i].line);

                printf("hostile line: %s\n", t[i].name);
                assert_int_equal(hint_wire_parse(t[i].line, len, &e, message, sizeof(message)),
                                 -EBADMSG);
        }
        /* A line as long as the limit, or longer. */
        memcpy(longline, "down ", 5);
        memset(longline + 5, 'x', sizeof(longline) - 5);
        assert_int_equal(
                hint_wire_parse(longline, HINT_WIRE_LINE_MAX, &e, message, sizeof(message)),
                -EBADMSG);
        assert_int_equal(
                hint_wire_parse(longline, HINT_WIRE_LINE_MAX - 1, &e, message, sizeof(message)), 0);
}

static void test_round_trip(void **state) {
        char buf[HINT_WIRE_LINE_MAX], message[HINT_WIRE_LINE_MAX], big[1000];
        enum hint_event e;
        size_t n;

        n = hint_wire_format(HINT_EVENT_HINT, NULL, buf, sizeof(buf));
        assert_int_equal(n, 5);
        assert_memory_equal(buf, "hint\n", 5);
        assert_int_equal(hint_wire_parse(buf, n - 1, &e, message, sizeof(message)), 0);
        assert_int_equal(e, HINT_EVENT_HINT);

        n = hint_wire_format(HINT_EVENT_UP, NULL, buf, sizeof(buf));
        assert_int_equal(hint_wire_parse(buf, n - 1, &e, message, sizeof(message)), 0);
        assert_int_equal(e, HINT_EVENT_UP);

        /* A server's text with control characters and newlines: one line,
         * no control character, cut to the limit. */
        n = hint_wire_format(HINT_EVENT_DOWN, "HTTP 502\nhint\x1b", buf, sizeof(buf));
        assert_int_equal(hint_wire_parse(buf, n - 1, &e, message, sizeof(message)), 0);
        assert_int_equal(e, HINT_EVENT_DOWN);
        assert_string_equal(message, "HTTP 502?hint?");
        memset(big, 'y', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        n = hint_wire_format(HINT_EVENT_DOWN, big, buf, sizeof(buf));
        /* The line, its newline and the NUL fit in the buffer (ASan). */
        assert_true(n < HINT_WIRE_LINE_MAX);
        assert_int_equal(buf[n], '\0');
        assert_int_equal(buf[n - 1], '\n');
        assert_int_equal(hint_wire_parse(buf, n - 1, &e, message, sizeof(message)), 0);
        /* Too small a buffer: nothing written. */
        assert_int_equal(hint_wire_format(HINT_EVENT_HINT, NULL, buf, 8), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
