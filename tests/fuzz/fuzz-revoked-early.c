/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state_dir/revoked-early: the revocations applied ahead of a head's shards,
 * which a full apply keeps. Property: parse → format → parse gives the same
 * serial and ids (sorted, unique), and the lookup finds every listed id. */
#include <assert.h>
#include <string.h>

#include "fuzz.h"
#include "revoked-early.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(revoked_early_done) struct revoked_early e = {}, again = {};
        _cleanup_free_ char *text = NULL, *text2 = NULL;
        struct jit_error err = {};

        if (revoked_early_parse((const char *) data, size, &e, &err) < 0) {
                assert(err.reason != JIT_REASON_NONE);
                assert(!e.ids && e.n_ids == 0);
                return 0;
        }
        assert(e.serial > 0);
        for (size_t i = 0; i < e.n_ids; i++) {
                assert(revoked_early_contains(&e, e.ids[i]));
                assert(i == 0 || strcmp(e.ids[i - 1], e.ids[i]) < 0);
        }
        assert(revoked_early_format(&e, &text) == 0);
        assert(revoked_early_parse(text, strlen(text), &again, NULL) == 0);
        assert(e.serial == again.serial && e.n_ids == again.n_ids);
        for (size_t i = 0; i < e.n_ids; i++)
                assert(strcmp(e.ids[i], again.ids[i]) == 0);
        assert(revoked_early_format(&again, &text2) == 0);
        assert(strcmp(text, text2) == 0);
        return 0;
}
