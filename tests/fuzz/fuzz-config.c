/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "fuzz.h"
#include "jit-conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(config_freep) struct jit_config *c = NULL;
        struct jit_error err = {};

        if (config_parse((const char *) data, size, &c, &err) < 0) {
                assert(err.reason == JIT_REASON_CONFIG || err.reason == JIT_REASON_TOO_LARGE ||
                       err.reason == JIT_REASON_SYSTEM);
                return 0;
        }
        assert(c->trust_store && c->state_dir && c->run_dir);
        return 0;
}
