/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state_dir/state: the highest accepted serial, which is what refuses a
 * rollback. Property: parse → format → parse is the identity. */
#include <assert.h>
#include <string.h>

#include "fuzz.h"
#include "host-state.h"
#include "jit-limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct host_state s, again;
        _cleanup_free_ char *text = NULL, *text2 = NULL;
        struct jit_error err = {};

        if (host_state_parse((const char *) data, size, &s, &err) < 0) {
                assert(err.reason != JIT_REASON_NONE);
                return 0;
        }
        assert(s.serial <= JIT_SERIAL_MAX);
        assert(s.bundle_sha256[64] == '\0');
        assert(host_state_format(&s, &text) == 0);
        assert(host_state_parse(text, strlen(text), &again, NULL) == 0);
        assert(memcmp(&s, &again, sizeof(s)) == 0);
        assert(host_state_format(&again, &text2) == 0);
        assert(strcmp(text, text2) == 0);
        return 0;
}
