/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store's state (jit-agent/store-state.c) at every second: fresh,
 * unreachable, stale but admitting, stale and refusing, by the same rule as
 * pam_jit's refusal (host_store_is_stale()), and the second it next changes
 * by the clock alone. One row per situation. */

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
        enum store_state want;
        int64_t want_change;
        const char *want_words;
};

/* stale_after 3600, clock_skew 60: refusals start at EXP + 3660. */
static const struct row rows[] = {
        {"no bundle yet", STALE_POLICY_DENY, false, 0, EXP, STORE_NONE, 0, "no bundle yet"},
        {"no bundle, fetch failing", STALE_POLICY_DENY, false, 2, EXP, STORE_NONE, 0,
         "no bundle yet, store unreachable"},
        {"fresh", STALE_POLICY_DENY, true, 0, EXP - 10, STORE_FRESH, EXP, "store fresh"},
        {"fresh, last poll failed", STALE_POLICY_DENY, true, 1, EXP - 10, STORE_UNREACHABLE, EXP,
         "store unreachable, bundle fresh until"},
        {"at exp: stale, admitting", STALE_POLICY_DENY, true, 0, EXP, STORE_STALE_ADMITTING,
         EXP + 3660, "store stale, admitting until"},
        {"past exp, fetch failing", STALE_POLICY_DENY, true, 3, EXP + 100, STORE_STALE_ADMITTING,
         EXP + 3660, "store stale, admitting until"},
        {"one second before refusals", STALE_POLICY_DENY, true, 3, EXP + 3659,
         STORE_STALE_ADMITTING, EXP + 3660, "admitting"},
        {"refusing", STALE_POLICY_DENY, true, 3, EXP + 3660, STORE_STALE_REFUSING, 0,
         "store stale, refusing logins since"},
        {"stale_policy keep never refuses", STALE_POLICY_KEEP, true, 3, EXP + 99999,
         STORE_STALE_ADMITTING, 0, "store stale, admitting (stale_policy = keep)"},
};

static void test_rows(void **state) {
        struct jit_config *c = NULL;

        assert_int_equal(config_new(&c), 0);
        c->stale_after = 3600;
        c->clock_skew = 60;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                const struct row *r = rows + i;
                int64_t change = -1;
                enum store_state s;
                char words[128];

                c->stale_policy = r->policy;
                s = store_state_at(c, r->have, EXP, r->failures, r->now, &change);
                store_state_describe(c, s, EXP, r->failures, words, sizeof(words));
                printf("# %s: state %d, change %lld, \"%s\"\n", r->name, (int) s,
                       (long long) change, words);
                assert_int_equal(s, r->want);
                assert_int_equal(change, r->want_change);
                assert_non_null(strstr(words, r->want_words));
                /* Refusing here is exactly when pam_jit refuses. */
                if (r->have && r->policy == STALE_POLICY_DENY)
                        assert_int_equal(s == STORE_STALE_REFUSING,
                                         host_store_is_stale(c, EXP, r->now));
        }
        config_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_rows)};

        return cmocka_run_group_tests(tests, NULL, NULL);
}
