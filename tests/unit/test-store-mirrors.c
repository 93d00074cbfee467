/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which bundle_url mirror the agent fetches from (jit-agent/store-mirrors.c):
 * a round starts at the mirror that answered last, goes on to the next at
 * each failure, ends when all failed; after a fallback the first is tried
 * first again MIRRORS_RETURN_USEC later. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store-mirrors.h"

#define SEC 1000000ULL

static void test_rounds(void **state) {
        struct store_mirrors m = {};
        uint64_t t = 1000 * SEC;

        /* One mirror: a failure ends the round. */
        assert_int_equal(store_mirrors_next(&m, 1, t), 0);
        assert_false(store_mirrors_failed(&m, 1));
        assert_int_equal(store_mirrors_next(&m, 1, t), 0);

        /* Three: 0 fails, 1 fails, 2 answers; the next round starts at 2. */
        m = (struct store_mirrors){};
        assert_int_equal(store_mirrors_next(&m, 3, t), 0);
        assert_true(store_mirrors_failed(&m, 3));
        assert_int_equal(store_mirrors_next(&m, 3, t), 1);
        assert_true(store_mirrors_failed(&m, 3));
        assert_int_equal(store_mirrors_next(&m, 3, t), 2);
        store_mirrors_answered(&m, t);
        assert_int_equal(store_mirrors_next(&m, 3, t + SEC), 2);
        store_mirrors_answered(&m, t + SEC);

        /* Round from 2: it fails, 0 is next (wraps), then 1; all failed ends
         * the round, the next starts at 2 again. */
        assert_int_equal(store_mirrors_next(&m, 3, t + 2 * SEC), 2);
        assert_true(store_mirrors_failed(&m, 3));
        assert_int_equal(store_mirrors_next(&m, 3, t + 2 * SEC), 0);
        assert_true(store_mirrors_failed(&m, 3));
        assert_int_equal(store_mirrors_next(&m, 3, t + 2 * SEC), 1);
        assert_false(store_mirrors_failed(&m, 3));
        assert_int_equal(store_mirrors_next(&m, 3, t + 3 * SEC), 2);

        /* Ten minutes after leaving the first, a round starts there again. */
        assert_int_equal(store_mirrors_next(&m, 3, t + MIRRORS_RETURN_USEC - 1), 2);
        assert_int_equal(store_mirrors_next(&m, 3, t + MIRRORS_RETURN_USEC), 0);
        store_mirrors_answered(&m, t + MIRRORS_RETURN_USEC);
        assert_int_equal(store_mirrors_next(&m, 3, t + MIRRORS_RETURN_USEC + SEC), 0);

        /* Fewer mirrors after a reload: never an index past the list. */
        m = (struct store_mirrors){.current = 5, .preferred = 4, .left_first = t};
        assert_int_equal(store_mirrors_next(&m, 2, t + SEC), 0);
        assert_int_equal(store_mirrors_next(&m, 0, t), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
