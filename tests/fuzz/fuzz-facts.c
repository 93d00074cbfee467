/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <string.h>

#include "fuzz.h"
#include "selector.h"

/* Property: a parsed facts file formats to text that parses to the same. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct host_facts f = {}, again = {};
        _cleanup_free_ char *text = NULL, *text2 = NULL;

        if (host_facts_parse(&f, (const char *) data, size, NULL) == 0) {
                assert(host_facts_format(&f, &text) == 0);
                assert(host_facts_parse(&again, text, strlen(text), NULL) == 0);
                assert(host_facts_format(&again, &text2) == 0);
                assert(strcmp(text, text2) == 0);
                /* Every fact line is also a one-fact selector that matches. */
                for (size_t i = 0; i < f.n_facts; i++)
                        if (selector_validate(f.facts[i], strlen(f.facts[i]), NULL) == 0)
                                assert(selector_matches(f.facts[i], &f));
        }
        host_facts_done(&f);
        host_facts_done(&again);
        return 0;
}
