/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's revoked list (common/host/revoked-list.c). */
#include <errno.h>
#include <stdbool.h>

#include "test-util.h"

#include "macro.h"
#include "revoked-list.h"

static void test_host_revoked_contains(void **state) {
        struct test_host *fx = *state;
        _cleanup_free_ char *path = test_strdupf("%s/revoked", fx->state);
        struct jit_error err = {};
        bool found = true;

        /* No bundle yet: nothing revoked, no error. */
        assert_ok(host_revoked_contains(fx->c, "g-1", &found, &err), &err);
        assert_false(found);

        test_write_file(path, "a-1\ng-1\nz:9\n", 0600);
        assert_ok(host_revoked_contains(fx->c, "g-1", &found, &err), &err);
        assert_true(found);
        assert_ok(host_revoked_contains(fx->c, "z:9", &found, &err), &err);
        assert_true(found);
        assert_ok(host_revoked_contains(fx->c, "a-1", &found, &err), &err);
        assert_true(found);
        assert_ok(host_revoked_contains(fx->c, "g-", &found, &err), &err);
        assert_false(found);
        assert_ok(host_revoked_contains(fx->c, "g-10", &found, &err), &err);
        assert_false(found);
        assert_int_equal(host_revoked_contains(fx->c, "g 1", &found, &err), -EINVAL);

        test_write_file(path, "", 0600);
        assert_ok(host_revoked_contains(fx->c, "g-1", &found, &err), &err);
        assert_false(found);

        /* Corrupt or unsafe: an error, never "not revoked". */
        test_write_file(path, "a-1\ng-1", 0600);
        assert_reason(host_revoked_contains(fx->c, "a-1", &found, &err), &err,
                      JIT_REASON_MALFORMED);
        test_write_file(path, "a-1\n\ng-1\n", 0600);
        assert_reason(host_revoked_contains(fx->c, "g-1", &found, &err), &err,
                      JIT_REASON_MALFORMED);
        test_write_file(path, "a-1\ng-1\n", 0666);
        assert_reason(host_revoked_contains(fx->c, "g-1", &found, &err), &err,
                      JIT_REASON_FILE_UNSAFE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_host_revoked_contains, test_host_setup,
                                                test_host_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
