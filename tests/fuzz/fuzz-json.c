/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "fuzz.h"
#include "jit-limits.h"
#include "json.h"

/* Property: what the strict validator accepts, json-c parses; and what
 * json-c then prints, the validator accepts again. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_json_ struct json_object *obj = NULL, *again = NULL;
        const char *text;

        if (json_parse_object_strict((const char *) data, size, JIT_JSON_DEPTH_MAX, &obj, NULL) < 0)
                return 0;
        text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
        assert(text);
        assert(json_parse_object_strict(text, strlen(text), JIT_JSON_DEPTH_MAX, &again, NULL) == 0);
        return 0;
}
