/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "fuzz.h"
#include "jwk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;

        if (trust_store_parse((const char *) data, size, &ts, NULL) < 0)
                return 0;
        assert(ts->n_keys > 0);
        for (size_t i = 0; i < ts->n_keys; i++)
                assert(trust_store_find(ts, ts->keys[i].kid) == &ts->keys[i]);
        return 0;
}
