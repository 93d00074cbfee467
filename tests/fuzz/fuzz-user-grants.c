/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state_dir/users/<user>: the grants pam_jit reads on every login and sudo.
 * Property: parse → format → parse gives the same lists (revoked ids sorted
 * and unique), and the revoked lookup finds every listed id. */
#include <assert.h>
#include <string.h>

#include "fuzz.h"
#include "user-grants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(user_grants_freep) struct user_grants *u = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL, *text2 = NULL;
        struct jit_error err = {};

        if (user_grants_parse((const char *) data, size, &u, &err) < 0) {
                assert(err.reason != JIT_REASON_NONE);
                return 0;
        }
        assert(u->grants && u->revoked);
        assert(!u->grants[u->n_grants] && !u->revoked[u->n_revoked]);
        for (size_t i = 0; i < u->n_revoked; i++) {
                assert(user_grants_is_revoked(u, u->revoked[i]));
                assert(i == 0 || strcmp(u->revoked[i - 1], u->revoked[i]) < 0);
        }
        assert(user_grants_format(u, &text) == 0);
        assert(user_grants_parse(text, strlen(text), &again, NULL) == 0);
        assert(u->serial == again->serial && u->bundle_exp == again->bundle_exp);
        assert(u->n_grants == again->n_grants && u->n_revoked == again->n_revoked);
        for (size_t i = 0; i < u->n_grants; i++)
                assert(strcmp(u->grants[i], again->grants[i]) == 0);
        for (size_t i = 0; i < u->n_revoked; i++)
                assert(strcmp(u->revoked[i], again->revoked[i]) == 0);
        assert(user_grants_format(again, &text2) == 0);
        assert(strcmp(text, text2) == 0);
        return 0;
}
