/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store's state (jit-agent/store-state.c over host-status.h's
 * store_freshness_of()) at every second: fresh, unreachable, stale but
 * admitting, stale and refusing, by the same rule as pam_jit's refusal
 * (host_store_is_stale()), and the second it next changes by the clock
 * alone, for the agent's timer. One row per situation. */

#include <stdio.h>
#include <string.h>

#include "test-util.h"

#include "host-state.h"
#include "store-state.h"

#define EXP 1000000 /* the held bundle's exp */

struct row {
        const char *name;
        enum stale_policy policy;
        bool have;
        unsigned failures;
        int64_t now;
        enum store_freshness want;
        int64_t want_change;
};

/* stale_after 3600, clock_skew 60: stale from EXP + 60, refusals from
 * EXP + 3660. */
static const struct row rows[] = {
        {"no bundle yet", STALE_POLICY_DENY, false, 0, EXP, STORE_NO_BUNDLE, 0},
        {"fresh", STALE_POLICY_DENY, true, 0, EXP - 10, STORE_FRESH, EXP + 60},
        {"fresh, last poll failed", STALE_POLICY_DENY, true, 1, EXP - 10, STORE_UNREACHABLE,
         EXP + 60},
        {"at exp + skew: stale, admitting", STALE_POLICY_DENY, true, 0, EXP + 60,
         STORE_STALE_ADMITTING, EXP + 3660},
        {"past exp, fetch failing", STALE_POLICY_DENY, true, 3, EXP + 100, STORE_STALE_ADMITTING,
         EXP + 3660},
        {"one second before refusals", STALE_POLICY_DENY, true, 3, EXP + 3659,
         STORE_STALE_ADMITTING, EXP + 3660},
        {"refusing", STALE_POLICY_DENY, true, 3, EXP + 3660, STORE_STALE_REFUSING, 0},
        {"stale_policy keep never refuses", STALE_POLICY_KEEP, true, 3, EXP + 99999,
         STORE_STALE_ADMITTING, 0},
};

static void test_rows(void **state) {
        struct jit_config *c = NULL;

        assert_int_equal(config_new(&c), 0);
        c->stale_after = 3600;
        c->clock_skew = 60;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                const struct row *r = rows + i;
                int64_t change = -1;
                enum store_freshness s;

                c->stale_policy = r->policy;
                s = store_state_at(c, r->have, EXP, r->failures, r->now, &change);
                printf("# %s: %s, next change %lld\n", r->name, store_freshness_name(s),
                       (long long) change);
                assert_int_equal(s, r->want);
                assert_int_equal(change, r->want_change);
                /* Refusing here is exactly when pam_jit refuses. */
                if (r->have && r->policy == STALE_POLICY_DENY)
                        assert_int_equal(s == STORE_STALE_REFUSING,
                                         host_store_is_stale(c, EXP, r->now));
                /* At the change time the state is another one. */
                if (change > 0)
                        assert_int_not_equal(
                                store_state_at(c, r->have, EXP, r->failures, change, &(int64_t){0}),
                                s);
        }
        config_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_rows)};

        return cmocka_run_group_tests(tests, NULL, NULL);
}
