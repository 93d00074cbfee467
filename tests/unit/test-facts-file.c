/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host facts as pam_jit loads them (common/host/facts-file.c): the
 * agent's facts file when present, else host_id and labels. */
#include <limits.h>
#include <unistd.h>

#include "test-util.h"

#include "facts-file.h"
#include "macro.h"

static void test_host_facts_load(void **state) {
        struct test_host *fx = *state;
        _cleanup_free_ char *path = test_strdupf("%s/facts", fx->run);
        _cleanup_(config_freep) struct jit_config *c =
                test_host_config(fx, "host_id = pay-db-1\nlabels = env=prod, role=db\n");
        _cleanup_(config_freep) struct jit_config *plain = test_host_config(fx, NULL);
        struct host_facts f = {};
        struct jit_error err = {};
        char name[HOST_NAME_MAX + 1] = "";

        /* Absent: host_id and the labels. */
        assert_ok(host_facts_load(c, &f, &err), &err);
        assert_int_equal(f.n_facts, 3);
        assert_string_equal(host_facts_get(&f, "host"), "pay-db-1");
        assert_string_equal(host_facts_get(&f, "env"), "prod");
        assert_string_equal(host_facts_get(&f, "role"), "db");
        host_facts_done(&f);

        /* Absent, no host_id: the hostname. */
        assert_int_equal(gethostname(name, sizeof(name) - 1), 0);
        assert_ok(host_facts_load(plain, &f, &err), &err);
        assert_int_equal(f.n_facts, 1);
        assert_string_equal(host_facts_get(&f, "host"), name);
        host_facts_done(&f);

        /* Present: the agent's file wins, config labels are not added. */
        test_write_file(path, "host=web-1\n# cloud\naws.region=eu-west-1\n", 0644);
        assert_ok(host_facts_load(c, &f, &err), &err);
        assert_int_equal(f.n_facts, 2);
        assert_string_equal(host_facts_get(&f, "host"), "web-1");
        assert_string_equal(host_facts_get(&f, "aws.region"), "eu-west-1");
        assert_null(host_facts_get(&f, "env"));
        host_facts_done(&f);

        /* Present without host=: refused, not patched up. */
        test_write_file(path, "env=prod\n", 0644);
        assert_reason(host_facts_load(c, &f, &err), &err, JIT_REASON_MALFORMED);
        assert_int_equal(f.n_facts, 0);
        assert_null(f.facts);

        /* Writable by the group: refused, no fallback to the config. */
        test_write_file(path, "host=web-1\n", 0664);
        assert_reason(host_facts_load(c, &f, &err), &err, JIT_REASON_FILE_UNSAFE);
        assert_null(f.facts);

        /* Owned by someone else: refused. */
        test_write_file(path, "host=web-1\n", 0644);
        assert_int_equal(chown(path, 65534, 0), 0);
        assert_reason(host_facts_load(c, &f, &err), &err, JIT_REASON_FILE_UNSAFE);

        /* Garbage: an error (whatever reason the facts parser gives), not a fallback. */
        test_write_file(path, "host=web-1\nnot a fact\n", 0644);
        assert_int_equal(chown(path, 0, 0), 0);
        assert_true(host_facts_load(c, &f, &err) < 0);
        assert_null(f.facts);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_host_facts_load, test_host_setup,
                                                test_host_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
