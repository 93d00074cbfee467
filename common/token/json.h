/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Strict JSON in front of json-c. json-c 0.16 is lenient where a security
 * token must not be: it keeps the last of duplicate member names, accepts
 * single quotes, truncates strings at \u0000, passes lone surrogates and
 * clamps overflowing integers. json_parse_strict() first validates the text
 * against RFC 8259 with our own limits, then lets json-c build the tree. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);
#define _cleanup_json_ _cleanup_(json_object_putp)

/* Validate text[0..len) as one strict JSON value: RFC 8259 grammar, no
 * duplicate member names (compared after unescaping), no \u0000, no lone
 * surrogates, valid UTF-8, nesting at most max_depth, at most
 * JIT_JSON_MEMBERS_MAX members per object, nothing after the value but
 * JSON white space. */
int json_validate_strict(const char *text, size_t len, unsigned max_depth, struct jit_error *err);

/* json_validate_strict(), then parse with json-c. The top-level value must be
 * an object. */
int json_parse_object_strict(const char *text, size_t len, unsigned max_depth,
                             struct json_object **ret, struct jit_error *err);

/* Typed member access. Each returns -ENOENT (reason CLAIM_MISSING) when the
 * member is absent and required, -EINVAL (CLAIM_TYPE / CLAIM_RANGE) when the
 * type or range is wrong. name is used in the message. */
int json_get_string(struct json_object *obj, const char *name, bool required, size_t max_len,
                    const char **ret, struct jit_error *err);
int json_get_int64(struct json_object *obj, const char *name, bool required, int64_t min,
                   int64_t max, int64_t *ret, struct jit_error *err);
/* An array of strings, each 1..max_len bytes, at most max_count entries,
 * returned as a NULL-terminated copy (*ret stays NULL when absent and not
 * required). */
int json_get_string_array(struct json_object *obj, const char *name, bool required,
                          size_t max_count, size_t max_len, char ***ret, struct jit_error *err);
/* The same, without copies: the strings are the tree's, valid while obj is;
 * only the array is the caller's to free(). For the big arrays (a bundle's
 * grants: megabytes), where a copy would double the memory. */
int json_get_string_array_borrowed(struct json_object *obj, const char *name, bool required,
                                   size_t max_count, size_t max_len, const char ***ret,
                                   struct jit_error *err);
