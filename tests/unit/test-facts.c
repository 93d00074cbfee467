/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "jit-limits.h"
#include "macro.h"
#include "selector.h"

static void check_sorted(const struct host_facts *f) {
        assert_int_equal(strv_length(f->facts), f->n_facts);
        for (size_t i = 1; i < f->n_facts; i++) {
                size_t a = strcspn(f->facts[i - 1], "="), b = strcspn(f->facts[i], "=");
                int r = memcmp(f->facts[i - 1], f->facts[i], a < b ? a : b);

                assert_true(r < 0 || (r == 0 && a < b));
        }
}

static void test_key_value_rules(void **state) {
        static const char *const good_keys[] = {
                "env", "aws.region", "aws.tag.Name", "gcp.label.team-x", "k8s/ns", "a:b", "A_1",
        };
        static const char *const bad_keys[] = {
                "", "a b", "a=b", "a,b", "é", "a*", "a\n", "a\tb", "$x", "a;b",
        };
        static const char *const good_values[] = {
                "prod", "eu-west-1", "a=b", "with space", "!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~",
        };
        static const char *const bad_values[] = {
                "", " lead", "trail ", "a,b", "a\nb", "a\tb", "caf\xc3\xa9", "\x7f", "a\rb",
        };
        char big[JIT_FACT_VALUE_MAX + 2];

        for (size_t i = 0; i < ELEMENTSOF(good_keys); i++)
                assert_true(fact_key_is_valid(good_keys[i], strlen(good_keys[i])));
        for (size_t i = 0; i < ELEMENTSOF(bad_keys); i++) {
                printf("bad key #%zu\n", i);
                assert_false(fact_key_is_valid(bad_keys[i], strlen(bad_keys[i])));
        }
        for (size_t i = 0; i < ELEMENTSOF(good_values); i++)
                assert_true(fact_value_is_valid(good_values[i], strlen(good_values[i])));
        for (size_t i = 0; i < ELEMENTSOF(bad_values); i++) {
                printf("bad value #%zu\n", i);
                assert_false(fact_value_is_valid(bad_values[i], strlen(bad_values[i])));
        }

        memset(big, 'v', sizeof(big));
        assert_true(fact_value_is_valid(big, JIT_FACT_VALUE_MAX));
        assert_false(fact_value_is_valid(big, JIT_FACT_VALUE_MAX + 1));
        assert_true(fact_key_is_valid(big, JIT_FACT_KEY_MAX));
        assert_false(fact_key_is_valid(big, JIT_FACT_KEY_MAX + 1));
        assert_false(fact_value_is_valid("a\0b", 3));
}

static void test_add_get(void **state) {
        struct host_facts f = {};
        struct jit_error err = {};

        assert_int_equal(host_facts_add(&f, "role", "db", &err), 0);
        assert_int_equal(host_facts_add(&f, "env", "prod", &err), 0);
        assert_int_equal(host_facts_add(&f, "a.b", "1", &err), 0);
        assert_int_equal(host_facts_add(&f, "a", "2", &err), 0);
        assert_int_equal(host_facts_add(&f, "url", "x=y", &err), 0);
        assert_int_equal(f.n_facts, 5);
        check_sorted(&f);
        /* Sorted by key: "a" before "a.b" although '.' < '='. */
        assert_string_equal(f.facts[0], "a=2");
        assert_string_equal(f.facts[1], "a.b=1");

        assert_string_equal(host_facts_get(&f, "env"), "prod");
        assert_string_equal(host_facts_get(&f, "a"), "2");
        assert_string_equal(host_facts_get(&f, "url"), "x=y");
        assert_null(host_facts_get(&f, "Env"));
        assert_null(host_facts_get(&f, "en"));
        assert_null(host_facts_get(&f, "missing"));

        assert_int_equal(host_facts_add(&f, "env", "dev", &err), -EEXIST);
        assert_int_equal(err.reason, JIT_REASON_CONFIG);
        assert_string_equal(host_facts_get(&f, "env"), "prod");
        assert_int_equal(host_facts_add(&f, "bad key", "x", &err), -EINVAL);
        assert_int_equal(err.reason, JIT_REASON_CONFIG);
        assert_int_equal(host_facts_add(&f, "k", "a,b", &err), -EINVAL);
        assert_int_equal(err.reason, JIT_REASON_CONFIG);
        assert_int_equal(f.n_facts, 5);

        host_facts_done(&f);
        assert_null(f.facts);
        assert_int_equal(f.n_facts, 0);
        host_facts_done(&f); /* twice is fine */
        assert_null(host_facts_get(&f, "env"));
}

static void test_add_limit(void **state) {
        struct host_facts f = {};
        struct jit_error err = {};
        char key[16];

        for (unsigned i = 0; i < JIT_FACTS_MAX; i++) {
                snprintf(key, sizeof(key), "k%u", i);
                assert_int_equal(host_facts_add(&f, key, "v", &err), 0);
        }
        check_sorted(&f);
        assert_int_equal(host_facts_add(&f, "one-more", "v", &err), -E2BIG);
        assert_int_equal(err.reason, JIT_REASON_TOO_LARGE);
        host_facts_done(&f);
}

static void test_parse_format(void **state) {
        static const char text[] = "# written by jit-agent\n"
                                   "\n"
                                   "role=db\n"
                                   "host=pay-db-1\n"
                                   "aws.tag.Name=pay db=1\n"
                                   "# a comment\n"
                                   "env=prod\n";
        struct host_facts f = {}, g = {};
        struct jit_error err = {};
        _cleanup_free_ char *out = NULL, *out2 = NULL;

        assert_int_equal(host_facts_parse(&f, text, strlen(text), &err), 0);
        assert_int_equal(f.n_facts, 4);
        assert_string_equal(host_facts_get(&f, "aws.tag.Name"), "pay db=1");
        assert_int_equal(host_facts_format(&f, &out), 0);
        assert_string_equal(out, "aws.tag.Name=pay db=1\nenv=prod\nhost=pay-db-1\nrole=db\n");

        /* Round trip. */
        assert_int_equal(host_facts_parse(&g, out, strlen(out), &err), 0);
        assert_int_equal(host_facts_format(&g, &out2), 0);
        assert_string_equal(out, out2);
        host_facts_done(&g);

        /* Last line without '\n', and an empty file. */
        assert_int_equal(host_facts_parse(&g, "a=1\nb=2", 7, &err), 0);
        assert_string_equal(host_facts_get(&g, "b"), "2");
        host_facts_done(&g);
        assert_int_equal(host_facts_parse(&g, "", 0, &err), 0);
        assert_int_equal(g.n_facts, 0);
        free(out2);
        out2 = NULL;
        assert_int_equal(host_facts_format(&g, &out2), 0);
        assert_string_equal(out2, "");
        host_facts_done(&g);

        /* Parsing adds to facts already there (host and labels). */
        assert_int_equal(host_facts_add(&g, "zone", "a", &err), 0);
        assert_int_equal(host_facts_parse(&g, "env=prod\n", 9, &err), 0);
        assert_int_equal(g.n_facts, 2);
        /* ...and a duplicate of one of them fails the whole parse, leaving
         * them as they were. */
        assert_int_equal(host_facts_parse(&g, "new=1\nzone=b\n", 13, &err), -EINVAL);
        assert_int_equal(err.reason, JIT_REASON_MALFORMED);
        assert_int_equal(strncmp(err.message, "line 2: ", 8), 0);
        assert_int_equal(g.n_facts, 2);
        assert_null(host_facts_get(&g, "new"));
        assert_string_equal(host_facts_get(&g, "zone"), "a");
        host_facts_done(&g);
        host_facts_done(&f);
}

static void test_parse_invalid(void **state) {
        static const struct {
                const char *name;
                const char *text;
                size_t len; /* 0: strlen */
                int want;
                enum jit_reason reason;
                const char *prefix;
        } t[] = {
                {"no '='", "env=prod\nbogus\n", 0, -EINVAL, JIT_REASON_MALFORMED, "line 2: "},
                {"empty key", "=prod\n", 0, -EINVAL, JIT_REASON_MALFORMED, "line 1: "},
                {"empty value", "env=\n", 0, -EINVAL, JIT_REASON_MALFORMED, "line 1: "},
                {"space around '='", "env = prod\n", 0, -EINVAL, JIT_REASON_MALFORMED, "line 1: "},
                {"trailing space", "env=prod \n", 0, -EINVAL, JIT_REASON_MALFORMED, "line 1: "},
                {"comma in value", "a=1\n\nenv=prod,role=db\n", 0, -EINVAL, JIT_REASON_MALFORMED,
                 "line 3: "},
                {"CRLF line end", "env=prod\r\n", 0, -EINVAL, JIT_REASON_MALFORMED, "line 1: "},
                {"duplicate key", "env=prod\nenv=dev\n", 0, -EINVAL, JIT_REASON_MALFORMED,
                 "line 2: "},
                {"indented comment", " # x\n", 0, -EINVAL, JIT_REASON_MALFORMED, "line 1: "},
                {"blank line of spaces", "a=1\n  \n", 0, -EINVAL, JIT_REASON_MALFORMED, "line 2: "},
                {"NUL byte", "a=1\nb=\0x\n", 8, -EINVAL, JIT_REASON_MALFORMED, "line 2: "},
                {"NUL in a comment", "#\0\n", 3, -EINVAL, JIT_REASON_MALFORMED, "line 1: "},
                {"bad key character", "a b=1\n", 0, -EINVAL, JIT_REASON_MALFORMED, "line 1: "},
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct host_facts f = {};
                struct jit_error err = {};
                size_t len = t[i].len ? t[i].len : strlen(t[i].text);

                printf("facts: %s\n", t[i].name);
                assert_int_equal(host_facts_parse(&f, t[i].text, len, &err), t[i].want);
                assert_int_equal(err.reason, t[i].reason);
                printf("  -> %s\n", err.message);
                assert_int_equal(strncmp(err.message, t[i].prefix, strlen(t[i].prefix)), 0);
                assert_int_equal(f.n_facts, 0);
                assert_null(f.facts);
        }
}

static void test_parse_too_many(void **state) {
        struct host_facts f = {};
        struct jit_error err = {};
        char *text = malloc((JIT_FACTS_MAX + 1) * 16 + 1);
        size_t n = 0;

        assert_non_null(text);
        for (unsigned i = 0; i < JIT_FACTS_MAX; i++)
                n += (size_t) sprintf(text + n, "k%u=v\n", i);
        assert_int_equal(host_facts_parse(&f, text, n, &err), 0);
        assert_int_equal(f.n_facts, JIT_FACTS_MAX);
        host_facts_done(&f);

        n += (size_t) sprintf(text + n, "extra=v\n");
        assert_int_equal(host_facts_parse(&f, text, n, &err), -E2BIG);
        assert_int_equal(err.reason, JIT_REASON_TOO_LARGE);
        assert_int_equal(f.n_facts, 0);
        free(text);
}

static void test_selector_valid(void **state) {
        static const char *const good[] = {
                "env=prod",
                "env=prod,role=db",
                "aws.account=123456789012",
                "host=pay-db-1",
                "aws.tag.Name=pay db",
                "url=a=b",
                "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                struct jit_error err = {};

                printf("selector ok '%s'\n", good[i]);
                assert_int_equal(selector_validate(good[i], strlen(good[i]), &err), 0);
        }
}

static void test_selector_invalid(void **state) {
        static const struct {
                const char *name;
                const char *s;
                const char *message; /* NULL: any */
        } t[] = {
                {"empty", "", NULL},
                {"lone comma", ",", NULL},
                {"trailing comma", "a=b,", NULL},
                {"leading comma", ",a=b", NULL},
                {"double comma", "a=b,,c=d", NULL},
                {"no '='", "prod", NULL},
                {"empty key", "=prod", NULL},
                {"empty value", "env=", NULL},
                {"space after comma", "env=prod, role=db", NULL},
                {"space before comma", "env=prod ,role=db", NULL},
                {"key with space", "e nv=prod", NULL},
                {"wildcard value", "env=*", "wildcards are not supported"},
                {"wildcard inside value", "host=pay-*", "wildcards are not supported"},
                {"wildcard in second part", "env=prod,host=*", "wildcards are not supported"},
                {"wildcard key", "*=*", NULL},
                {"key repeated", "env=prod,env=dev", NULL},
                {"key repeated same value", "env=prod,role=db,env=prod", NULL},
                {"newline", "env=prod\n", NULL},
                {"tab", "env=\tprod", NULL},
                {"non-ASCII",
                 "env=pr\xc3\xb6"
                 "d",
                 NULL},
                {"17 facts",
                 "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16,q=17",
                 NULL},
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct jit_error err = {};
                struct host_facts f = {};

                printf("selector bad: %s\n", t[i].name);
                assert_int_equal(selector_validate(t[i].s, strlen(t[i].s), &err), -EINVAL);
                assert_int_equal(err.reason, JIT_REASON_CLAIM_VALUE);
                if (t[i].message)
                        assert_string_equal(err.message, t[i].message);
                /* Even a host with every fact named never matches it. */
                assert_int_equal(host_facts_add(&f, "env", "prod", NULL), 0);
                assert_int_equal(host_facts_add(&f, "role", "db", NULL), 0);
                assert_int_equal(host_facts_add(&f, "host", "pay-*", NULL), 0);
                assert_false(selector_matches(t[i].s, &f));
                host_facts_done(&f);
        }
}

static void test_selector_length(void **state) {
        char s[JIT_CLAIM_STRING_MAX + 2];
        struct jit_error err = {};

        memcpy(s, "k=", 2);
        memset(s + 2, 'v', sizeof(s) - 2);
        /* The value rule (≤ 256) would allow it; the claim limit does not. */
        assert_int_equal(selector_validate(s, JIT_CLAIM_STRING_MAX, &err), 0);
        assert_int_equal(selector_validate(s, JIT_CLAIM_STRING_MAX + 1, &err), -EINVAL);
        assert_int_equal(err.reason, JIT_REASON_CLAIM_VALUE);
        /* A NUL inside the given length. */
        assert_int_equal(selector_validate("env=prod\0,x=1", 14, &err), -EINVAL);
        assert_int_equal(err.reason, JIT_REASON_CLAIM_VALUE);
}

static void test_selector_matches(void **state) {
        static const struct {
                const char *name;
                const char *selector;
                bool want;
        } t[] = {
                {"single fact", "env=prod", true},
                {"host", "host=pay-db-1", true},
                {"conjunction all present", "env=prod,role=db", true},
                {"conjunction order irrelevant", "role=db,env=prod,host=pay-db-1", true},
                {"conjunction one wrong", "env=prod,role=web", false},
                {"conjunction one missing", "env=prod,team=x", false},
                {"value differs", "env=dev", false},
                {"value case differs", "env=Prod", false},
                {"key case differs", "Env=prod", false},
                {"missing fact", "aws.region=eu-west-1", false},
                {"value prefix", "env=pro", false},
                {"value extension", "env=prod2", false},
                {"key prefix", "en=prod", false},
                {"value with '='", "url=a=b", true},
                {"value with '=' differs", "url=a", false},
                {"wildcard", "env=*", false},
                {"wildcard fact literally present", "star=*", false},
                {"empty", "", false},
                {"trailing comma", "env=prod,", false},
                {"repeated key", "env=prod,env=prod", false},
        };
        struct host_facts f = {};

        assert_int_equal(host_facts_add(&f, "host", "pay-db-1", NULL), 0);
        assert_int_equal(host_facts_add(&f, "env", "prod", NULL), 0);
        assert_int_equal(host_facts_add(&f, "role", "db", NULL), 0);
        assert_int_equal(host_facts_add(&f, "url", "a=b", NULL), 0);
        assert_int_equal(host_facts_add(&f, "star", "*", NULL), 0);

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                printf("match: %s\n", t[i].name);
                assert_true(selector_matches(t[i].selector, &f) == t[i].want);
        }

        /* No facts: nothing matches. */
        host_facts_done(&f);
        assert_false(selector_matches("env=prod", &f));
        assert_false(selector_matches(NULL, &f));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_key_value_rules), cmocka_unit_test(test_add_get),
                cmocka_unit_test(test_add_limit),       cmocka_unit_test(test_parse_format),
                cmocka_unit_test(test_parse_invalid),   cmocka_unit_test(test_parse_too_many),
                cmocka_unit_test(test_selector_valid),  cmocka_unit_test(test_selector_invalid),
                cmocka_unit_test(test_selector_length), cmocka_unit_test(test_selector_matches),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
