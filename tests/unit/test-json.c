/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The strict JSON scanner and its getters (common/token/json.c): texts it
 * must accept and texts it must refuse, one row each, then depth, members
 * and every getter. Over 600 lines because the two tables are the point:
 * one row per RFC 8259 case the scanner must get right. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "jit-limits.h"
#include "json.h"

#define D10 "1234567890"

/* Lengths are explicit so rows may hold NUL bytes. */
#define OK(s)                                                                                      \
        { s, sizeof(s) - 1 }
static const struct {
        const char *text;
        size_t len;
} accepted[] = {
        OK("{}"),
        OK("[]"),
        OK("0"),
        OK("-0"),
        OK("-1"),
        OK("1.5"),
        OK("1e5"),
        OK("1E+5"),
        OK("1e-5"),
        OK("-0.0e0"),
        OK(D10 D10 D10 D10 D10 D10 "1234"), /* 64 characters */
        OK("-" D10 D10 D10 D10 D10 D10 "123"),
        OK("true"),
        OK("false"),
        OK("null"),
        OK("\"\""),
        OK(" \t\r\n{} \t\r\n"),
        OK("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}"),
        OK("[[],{},[{}],\"\",0]"),
        OK("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
        OK("\"\\u0001\\u001f\""), /* escaped controls are JSON; the getters refuse them */
        OK("\"\\u00e9\\u20AC\\uFFFF\""),
        OK("\"\\ud83d\\ude00\""),                                   /* surrogate pair */
        OK("\"\\uDBFF\\uDFFF\""),                                   /* U+10FFFF */
        OK("\"\xc2\x80\xc3\xa9\""),                                 /* U+0080, é */
        OK("\"\xe2\x82\xac\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\""), /* €, U+D7FF, U+E000, U+FFFF */
        OK("\"\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\""),                 /* 😀, U+10FFFF */
        OK("\"\x7f\""),
        OK("{\"a\":1,\"A\":2}"),
        OK("{\"a\":1,\"ab\":2,\"\":3}"),
        OK("{\"a\":{\"a\":1},\"b\":{\"a\":2}}"),
        OK("[{\"a\":1},{\"a\":2}]"),
        OK("{\"\\u0061\":1,\"b\":2}"),
        OK("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x81\":2}"),
};

static void test_accepted(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(accepted); i++) {
                struct jit_error err = {};
                struct json_object *obj = NULL;
                const char *t = accepted[i].text;
                int r;

                r = json_validate_strict(t, accepted[i].len, JIT_JSON_DEPTH_MAX, &err);
                if (r != 0)
                        fail_msg("row %zu (%s): r=%d %s", i, t, r, err.message);

                /* json-c must take whatever we accept; objects come back. */
                r = json_parse_object_strict(t, accepted[i].len, JIT_JSON_DEPTH_MAX, &obj, &err);
                if (t[strspn(t, " \t\r\n")] == '{') {
                        if (r != 0)
                                fail_msg("row %zu (%s): parse r=%d %s", i, t, r, err.message);
                        assert_true(json_object_is_type(obj, json_type_object));
                        json_object_put(obj);
                } else {
                        assert_int_equal(r, -EBADMSG);
                        assert_int_equal(err.reason, JIT_REASON_JSON);
                        assert_non_null(strstr(err.message, "not a JSON object"));
                        assert_null(obj);
                }
        }
}

#define BAD(name, s, reason)                                                                       \
        { name, s, sizeof(s) - 1, reason }
static const struct {
        const char *name;
        const char *text;
        size_t len;
        enum jit_reason reason;
} hostile[] = {
        BAD("empty input", "", JIT_REASON_JSON),
        BAD("only white space", " \t\r\n", JIT_REASON_JSON),
        BAD("trailing garbage", "{} x", JIT_REASON_JSON),
        BAD("two values", "{}{}", JIT_REASON_JSON),
        BAD("two numbers", "1 2", JIT_REASON_JSON),
        BAD("NUL after value", "{}\0", JIT_REASON_JSON),
        BAD("NUL before value", "\0{}", JIT_REASON_JSON),
        BAD("NUL in string", "\"a\0b\"", JIT_REASON_JSON),
        BAD("NUL between tokens", "[1,\0 2]", JIT_REASON_JSON),
        BAD("single-quoted string", "'a'", JIT_REASON_JSON),
        BAD("single-quoted member name", "{'a':1}", JIT_REASON_JSON),
        BAD("single-quoted value", "{\"a\":'b'}", JIT_REASON_JSON),
        BAD("line comment", "{} // c", JIT_REASON_JSON),
        BAD("block comment", "/* c */ {}", JIT_REASON_JSON),
        BAD("hash comment", "# c\n{}", JIT_REASON_JSON),
        BAD("trailing comma in array", "[1,]", JIT_REASON_JSON),
        BAD("trailing comma in object", "{\"a\":1,}", JIT_REASON_JSON),
        BAD("leading comma", "[,1]", JIT_REASON_JSON),
        BAD("double comma", "[1,,2]", JIT_REASON_JSON),
        BAD("missing comma", "[1 2]", JIT_REASON_JSON),
        BAD("leading zero", "01", JIT_REASON_JSON),
        BAD("leading zero negative", "-01", JIT_REASON_JSON),
        BAD("double zero", "[00]", JIT_REASON_JSON),
        BAD("plus sign", "+1", JIT_REASON_JSON),
        BAD("no integer part", ".5", JIT_REASON_JSON),
        BAD("negative no integer part", "-.5", JIT_REASON_JSON),
        BAD("no fraction digits", "1.", JIT_REASON_JSON),
        BAD("no exponent digits", "1e", JIT_REASON_JSON),
        BAD("exponent sign only", "1e+", JIT_REASON_JSON),
        BAD("minus alone", "-", JIT_REASON_JSON),
        BAD("NaN", "NaN", JIT_REASON_JSON),
        BAD("NaN as value", "{\"a\":NaN}", JIT_REASON_JSON),
        BAD("Infinity", "Infinity", JIT_REASON_JSON),
        BAD("minus Infinity", "-Infinity", JIT_REASON_JSON),
        BAD("hex number", "0x10", JIT_REASON_JSON),
        BAD("number of 65 characters", D10 D10 D10 D10 D10 D10 "12345", JIT_REASON_JSON),
        BAD("negative number of 65", "-" D10 D10 D10 D10 D10 D10 "1234", JIT_REASON_JSON),
        BAD("fraction of 65", "1." D10 D10 D10 D10 D10 D10 "123", JIT_REASON_JSON),
        BAD("bare word", "abc", JIT_REASON_JSON),
        BAD("capitalised True", "True", JIT_REASON_JSON),
        BAD("truncated literal", "tru", JIT_REASON_JSON),
        BAD("literal with suffix", "nulll", JIT_REASON_JSON),
        BAD("bare member name", "{a:1}", JIT_REASON_JSON),
        BAD("number member name", "{1:2}", JIT_REASON_JSON),
        BAD("raw newline in string", "\"a\nb\"", JIT_REASON_JSON),
        BAD("raw tab in string", "\"a\tb\"", JIT_REASON_JSON),
        BAD("raw 0x1f in string", "\"a\x1f\"", JIT_REASON_JSON),
        BAD("escape \\x", "\"\\x41\"", JIT_REASON_JSON),
        BAD("escape \\a", "\"\\a\"", JIT_REASON_JSON),
        BAD("escaped single quote", "\"\\'\"", JIT_REASON_JSON),
        BAD("escape at end of input", "\"\\", JIT_REASON_JSON),
        BAD("short \\u", "\"\\u12\"", JIT_REASON_JSON),
        BAD("non-hex \\u", "\"\\u00g1\"", JIT_REASON_JSON),
        BAD("\\u0000 in value", "\"\\u0000\"", JIT_REASON_JSON),
        BAD("\\u0000 in member name", "{\"a\\u0000\":1}", JIT_REASON_JSON),
        BAD("\\u0000 mid-string", "{\"a\":\"x\\u0000y\"}", JIT_REASON_JSON),
        BAD("lone high surrogate", "\"\\ud800\"", JIT_REASON_JSON),
        BAD("high surrogate then char", "\"\\ud800x\"", JIT_REASON_JSON),
        BAD("high surrogate twice", "\"\\ud800\\ud800\"", JIT_REASON_JSON),
        BAD("high surrogate then BMP", "\"\\ud800\\u0041\"", JIT_REASON_JSON),
        BAD("high surrogate bad second", "\"\\ud800\\uzzzz\"", JIT_REASON_JSON),
        BAD("lone low surrogate", "\"\\udc00\"", JIT_REASON_JSON),
        BAD("misordered surrogates", "\"\\udc00\\ud800\"", JIT_REASON_JSON),
        BAD("lone surrogate in name", "{\"\\udfff\":1}", JIT_REASON_JSON),
        BAD("overlong 2-byte /", "\"\xc0\xaf\"", JIT_REASON_JSON),
        BAD("overlong 2-byte C1", "\"\xc1\xbf\"", JIT_REASON_JSON),
        BAD("overlong 3-byte", "\"\xe0\x80\xaf\"", JIT_REASON_JSON),
        BAD("overlong 4-byte", "\"\xf0\x80\x80\xaf\"", JIT_REASON_JSON),
        BAD("encoded high surrogate", "\"\xed\xa0\x80\"", JIT_REASON_JSON),
        BAD("encoded low surrogate", "\"\xed\xbf\xbf\"", JIT_REASON_JSON),
        BAD("above U+10FFFF", "\"\xf4\x90\x80\x80\"", JIT_REASON_JSON),
        BAD("lead byte F5", "\"\xf5\x80\x80\x80\"", JIT_REASON_JSON),
        BAD("truncated 2-byte", "\"\xc3\"", JIT_REASON_JSON),
        BAD("truncated 3-byte", "\"\xe2\x82\"", JIT_REASON_JSON),
        BAD("truncated 4-byte at end", "\"\xf0\x9f\x98", JIT_REASON_JSON),
        BAD("bad continuation", "\"\xe2\x28\xa1\"", JIT_REASON_JSON),
        BAD("lone continuation", "\"\x80\"", JIT_REASON_JSON),
        BAD("byte 0xff", "\"\xff\"", JIT_REASON_JSON),
        BAD("UTF-8 BOM", "\xef\xbb\xbf{}", JIT_REASON_JSON),
        BAD("NBSP outside string", "{}\xc2\xa0", JIT_REASON_JSON),
        BAD("form feed as space", "\f{}", JIT_REASON_JSON),
        BAD("vertical tab as space", "{}\v", JIT_REASON_JSON),
        BAD("unterminated string", "\"abc", JIT_REASON_JSON),
        BAD("unterminated array", "[1", JIT_REASON_JSON),
        BAD("unterminated object", "{\"a\":1", JIT_REASON_JSON),
        BAD("unclosed bracket", "[", JIT_REASON_JSON),
        BAD("missing colon", "{\"a\" 1}", JIT_REASON_JSON),
        BAD("missing value", "{\"a\":}", JIT_REASON_JSON),
        BAD("missing member", "{\"a\":1,,}", JIT_REASON_JSON),
        BAD("array closed by brace", "[}", JIT_REASON_JSON),
        BAD("object closed by bracket", "{\"a\":1]", JIT_REASON_JSON),
        BAD("extra closing bracket", "[]]", JIT_REASON_JSON),
        BAD("duplicate member", "{\"a\":1,\"a\":2}", JIT_REASON_JSON_DUPLICATE),
        BAD("duplicate via \\u escape", "{\"a\":1,\"\\u0061\":2}", JIT_REASON_JSON_DUPLICATE),
        BAD("duplicate via \\/", "{\"/\":1,\"\\/\":2}", JIT_REASON_JSON_DUPLICATE),
        BAD("duplicate via \\u00e9", "{\"\xc3\xa9\":1,\"\\u00e9\":2}", JIT_REASON_JSON_DUPLICATE),
        BAD("duplicate via pair", "{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}",
            JIT_REASON_JSON_DUPLICATE),
        BAD("duplicate not adjacent", "{\"a\":1,\"b\":2,\"c\":3,\"a\":4}",
            JIT_REASON_JSON_DUPLICATE),
        BAD("duplicate empty name", "{\"\":1,\"\":2}", JIT_REASON_JSON_DUPLICATE),
        BAD("duplicate in nested object", "{\"x\":{\"b\":1,\"b\":1}}", JIT_REASON_JSON_DUPLICATE),
        BAD("duplicate across nesting", "{\"a\":{\"a\":1},\"a\":2}", JIT_REASON_JSON_DUPLICATE),
        BAD("duplicate in array element", "[{\"a\":1},{\"a\":1,\"a\":2}]",
            JIT_REASON_JSON_DUPLICATE),
        BAD("17 nested arrays", "[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]", JIT_REASON_JSON_DEPTH),
        BAD("17 levels, unclosed", "[[[[[[[[[[[[[[[[[", JIT_REASON_JSON_DEPTH),
};

static void test_hostile(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(hostile); i++) {
                struct jit_error err = {};
                struct json_object *obj = NULL;
                int r;

                r = json_validate_strict(hostile[i].text, hostile[i].len, JIT_JSON_DEPTH_MAX, &err);
                if (r != -EBADMSG || err.reason != hostile[i].reason)
                        fail_msg("%s: r=%d reason=%s (%s)", hostile[i].name, r,
                                 jit_reason_to_string(err.reason), err.message);
                if (err.reason == JIT_REASON_JSON)
                        assert_non_null(strstr(err.message, "at byte"));

                /* And the parser refuses it for the same reason. */
                err = (struct jit_error){};
                r = json_parse_object_strict(hostile[i].text, hostile[i].len, JIT_JSON_DEPTH_MAX,
                                             &obj, &err);
                if (r != -EBADMSG || err.reason != hostile[i].reason)
                        fail_msg("%s (parse): r=%d reason=%s (%s)", hostile[i].name, r,
                                 jit_reason_to_string(err.reason), err.message);
                assert_null(obj);
        }
}

/* Each of these is accepted by json-c 0.16 even with JSON_TOKENER_STRICT;
 * the first assertion proves it, so the second is the validator's work. */
static void test_json_c_leniencies_refused(void **state) {
        static const struct {
                const char *text;
                enum jit_reason reason;
        } rows[] = {
                {"{\"a\":1,\"a\":2}", JIT_REASON_JSON_DUPLICATE},
                {"{'a':1}", JIT_REASON_JSON},
                {"{\"a\":\"x\\u0000y\"}", JIT_REASON_JSON},
                {"{\"a\":\"\\ud800\"}", JIT_REASON_JSON},
                {"{\"a\":\"\\udc00x\"}", JIT_REASON_JSON},
                {"{\"a\":NaN}", JIT_REASON_JSON},
                {"{\"a\":\"\xc0\xaf\"}", JIT_REASON_JSON},
                {"{\"a\":\"\xed\xa0\x80\"}", JIT_REASON_JSON},
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                struct json_tokener *tok = json_tokener_new();
                struct json_object *lenient, *obj = NULL;
                struct jit_error err = {};

                json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
                lenient = json_tokener_parse_ex(tok, rows[i].text, (int) strlen(rows[i].text));
                if (!lenient)
                        fail_msg("json-c no longer accepts %s; row is moot", rows[i].text);
                json_object_put(lenient);
                json_tokener_free(tok);

                assert_int_equal(json_parse_object_strict(rows[i].text, strlen(rows[i].text),
                                                          JIT_JSON_DEPTH_MAX, &obj, &err),
                                 -EBADMSG);
                assert_int_equal(err.reason, rows[i].reason);
                assert_null(obj);
        }
}

static void test_parse_object(void **state) {
        static const char text[] = "  {\"a\":\"b\",\"n\":[1,2,{\"x\":null}]}\r\n ";
        _cleanup_json_ struct json_object *obj = NULL;
        struct json_object *v = NULL;
        struct jit_error err = {};

        assert_int_equal(json_parse_object_strict(text, strlen(text), 3, &obj, &err), 0);
        assert_true(json_object_object_get_ex(obj, "a", &v));
        assert_string_equal(json_object_get_string(v), "b");
        assert_true(json_object_object_get_ex(obj, "n", &v));
        assert_int_equal(json_object_array_length(v), 3);

        /* The exact length counts, not a terminating NUL: a prefix that is
         * itself complete JSON is parsed, a cut one is refused. */
        json_object_put(TAKE_PTR(obj));
        assert_int_equal(json_parse_object_strict("{}garbage", 2, 3, &obj, &err), 0);
        json_object_put(TAKE_PTR(obj));
        assert_int_equal(json_parse_object_strict(text, 10, 3, &obj, &err), -EBADMSG);
        assert_int_equal(err.reason, JIT_REASON_JSON);
        assert_null(obj);
}

static void test_not_an_object(void **state) {
        static const char *const rows[] = {"[]", "[{}]", "\"{}\"", "1", "true", "null", " [1] "};

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                struct json_object *obj = NULL;
                struct jit_error err = {};

                assert_int_equal(json_validate_strict(rows[i], strlen(rows[i]), 4, NULL), 0);
                assert_int_equal(json_parse_object_strict(rows[i], strlen(rows[i]), 4, &obj, &err),
                                 -EBADMSG);
                assert_int_equal(err.reason, JIT_REASON_JSON);
                assert_string_equal(err.message, "JSON: not a JSON object");
                assert_null(obj);
        }
}

/* n nested containers: "[[…]]" or {"a":{"a":…{}}}. */
static char *nest(size_t n, bool objects, bool closed) {
        size_t open = objects ? 5 : 1, len = n * (open + 1) + 1;
        char *s = malloc(len), *p = s;

        assert_non_null(s);
        for (size_t i = 0; i < n; i++) {
                memcpy(p,
                       i + 1 < n && objects ? "{\"a\":"
                       : objects            ? "{"
                                            : "[",
                       i + 1 < n && objects ? 5 : 1);
                p += i + 1 < n && objects ? 5 : 1;
        }
        if (closed)
                for (size_t i = 0; i < n; i++)
                        *p++ = objects ? '}' : ']';
        *p = 0;
        return s;
}

static void check_depth(size_t n, bool objects, unsigned max, int expect) {
        _cleanup_free_ char *s = nest(n, objects, true);
        struct json_object *obj = NULL;
        struct jit_error err = {};
        int r;

        r = json_validate_strict(s, strlen(s), max, &err);
        if (r != expect)
                fail_msg("depth %zu (%s) max %u: r=%d %s", n, objects ? "objects" : "arrays", max,
                         r, err.message);
        if (r < 0)
                assert_int_equal(err.reason, JIT_REASON_JSON_DEPTH);
        if (!objects)
                return;
        /* json-c must agree at the boundary, so its own limit is sized right. */
        r = json_parse_object_strict(s, strlen(s), max, &obj, &err);
        if (r != expect)
                fail_msg("parse depth %zu max %u: r=%d %s", n, max, r, err.message);
        json_object_put(obj);
}

static void test_depth_boundary(void **state) {
        check_depth(JIT_JSON_DEPTH_MAX, false, JIT_JSON_DEPTH_MAX, 0);
        check_depth(JIT_JSON_DEPTH_MAX + 1, false, JIT_JSON_DEPTH_MAX, -EBADMSG);
        check_depth(JIT_JSON_DEPTH_MAX, true, JIT_JSON_DEPTH_MAX, 0);
        check_depth(JIT_JSON_DEPTH_MAX + 1, true, JIT_JSON_DEPTH_MAX, -EBADMSG);
        check_depth(1, true, 1, 0);
        check_depth(2, true, 1, -EBADMSG);
        check_depth(1, false, 0, -EBADMSG);
        check_depth(1000, false, 1000, 0);
        check_depth(1000, true, 1000, 0);
        check_depth(1000, false, 999, -EBADMSG);
        check_depth(1000, true, JIT_JSON_DEPTH_MAX, -EBADMSG);
        assert_int_equal(json_validate_strict("1", 1, 0, NULL), 0);
}

static void test_depth_mixed(void **state) {
        static const char three[] = "{\"a\":[{\"b\":1}]}";
        struct jit_error err = {};

        assert_int_equal(json_validate_strict(three, strlen(three), 3, &err), 0);
        assert_int_equal(json_validate_strict(three, strlen(three), 2, &err), -EBADMSG);
        assert_int_equal(err.reason, JIT_REASON_JSON_DEPTH);
}

static double elapsed(const struct timespec *a) {
        struct timespec b;

        clock_gettime(CLOCK_MONOTONIC, &b);
        return (double) (b.tv_sec - a->tv_sec) + (double) (b.tv_nsec - a->tv_nsec) / 1e9;
}

static void test_depth_huge(void **state) {
        size_t n = 1024 * 1024;
        _cleanup_free_ char *s = malloc(n);
        struct jit_error err = {};
        struct timespec start;

        assert_non_null(s);
        memset(s, '[', n);
        clock_gettime(CLOCK_MONOTONIC, &start);
        assert_int_equal(json_validate_strict(s, n, JIT_JSON_DEPTH_MAX, &err), -EBADMSG);
        assert_int_equal(err.reason, JIT_REASON_JSON_DEPTH);

        memset(s, '{', 1);
        for (size_t i = 1; i + 5 < n; i += 5)
                memcpy(s + i, "\"a\":{", 5);
        err = (struct jit_error){};
        assert_int_equal(json_validate_strict(s, n, JIT_JSON_DEPTH_MAX, &err), -EBADMSG);
        assert_int_equal(err.reason, JIT_REASON_JSON_DEPTH);
        assert_true(elapsed(&start) < 1.0);

        /* Even with no limit to speak of, iteration, not recursion: the
         * unclosed text is simply incomplete. */
        memset(s, '[', n);
        err = (struct jit_error){};
        assert_int_equal(json_validate_strict(s, n, UINT32_MAX, &err), -EBADMSG);
        assert_int_equal(err.reason, JIT_REASON_JSON);
}

/* {"k0":0,"k1":1,…}; dup makes the last name repeat the first. */
static char *members(size_t n, bool dup) {
        size_t len = 2 + n * 16 + 1, o = 0;
        char *s = malloc(len);

        assert_non_null(s);
        s[o++] = '{';
        for (size_t i = 0; i < n; i++)
                o += (size_t) snprintf(s + o, len - o, "%s\"k%zu\":%zu", i ? "," : "",
                                       dup && i + 1 == n ? (size_t) 0 : i, i);
        s[o++] = '}';
        s[o] = 0;
        return s;
}

static void test_members(void **state) {
        _cleanup_free_ char *max = members(JIT_JSON_MEMBERS_MAX, false);
        _cleanup_free_ char *over = members(JIT_JSON_MEMBERS_MAX + 1, false);
        _cleanup_free_ char *dup = members(JIT_JSON_MEMBERS_MAX, true);
        _cleanup_json_ struct json_object *obj = NULL;
        struct jit_error err = {};

        assert_int_equal(json_validate_strict(max, strlen(max), 2, &err), 0);
        assert_int_equal(json_parse_object_strict(max, strlen(max), 2, &obj, &err), 0);
        assert_int_equal(json_object_object_length(obj), JIT_JSON_MEMBERS_MAX);

        assert_int_equal(json_validate_strict(over, strlen(over), 2, &err), -E2BIG);
        assert_int_equal(err.reason, JIT_REASON_TOO_LARGE);

        /* The only repeat is first against last, among 256 names. */
        assert_int_equal(json_validate_strict(dup, strlen(dup), 2, &err), -EBADMSG);
        assert_int_equal(err.reason, JIT_REASON_JSON_DUPLICATE);
        assert_non_null(strstr(err.message, "\"k0\""));
}

/* The limit is per object, not a total over the document. */
static void test_members_per_object(void **state) {
        _cleanup_free_ char *inner = members(JIT_JSON_MEMBERS_MAX - 1, false);
        _cleanup_free_ char *outer = NULL;
        struct jit_error err = {};
        size_t len;

        len = 2 * strlen(inner) + 16;
        outer = malloc(len);
        assert_non_null(outer);
        /* 256 members outside, 255 inside: 511 in all, none over the cap. */
        snprintf(outer, len, "%.*s,\"in\":%s}", (int) strlen(inner) - 1, inner, inner);
        if (json_validate_strict(outer, strlen(outer), 2, &err) != 0)
                fail_msg("%s", err.message);
}

static struct json_object *parse(const char *text) {
        struct json_object *obj = NULL;
        struct jit_error err = {};

        if (json_parse_object_strict(text, strlen(text), JIT_JSON_DEPTH_MAX, &obj, &err) < 0)
                fail_msg("%s: %s", text, err.message);
        return obj;
}

static void test_get_string(void **state) {
        _cleanup_json_ struct json_object *obj =
                parse("{\"s\":\"alice\",\"n\":1,\"nul\":null,\"b\":true,\"a\":[\"x\"],\"o\":{},"
                      "\"empty\":\"\",\"nl\":\"a\\nb\",\"esc\":\"a\\u001bb\",\"del\":\"a\\u007f\","
                      "\"c1\":\"a\\u009b\",\"utf8\":\"jos\xc3\xa9\",\"max\":\"abcd\",\"long\":"
                      "\"abcde\"}");
        static const struct {
                const char *name;
                bool required;
                int r;
                enum jit_reason reason;
        } rows[] = {
                {"absent", true, -ENOENT, JIT_REASON_CLAIM_MISSING},
                {"n", false, -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"nul", false, -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"b", false, -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"a", false, -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"o", false, -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"empty", false, -EINVAL, JIT_REASON_CLAIM_RANGE},
                {"long", false, -EINVAL, JIT_REASON_CLAIM_RANGE},
                {"nl", false, -EINVAL, JIT_REASON_CLAIM_VALUE},
                {"esc", false, -EINVAL, JIT_REASON_CLAIM_VALUE},
                {"del", false, -EINVAL, JIT_REASON_CLAIM_VALUE},
                {"c1", false, -EINVAL, JIT_REASON_CLAIM_VALUE},
        };
        const char *v = "untouched";
        struct jit_error err = {};

        assert_int_equal(json_get_string(obj, "s", true, 5, &v, &err), 0);
        assert_string_equal(v, "alice");
        assert_int_equal(json_get_string(obj, "utf8", true, 5, &v, &err), 0);
        assert_string_equal(v, "jos\xc3\xa9");
        assert_int_equal(json_get_string(obj, "max", true, 4, &v, &err), 0);
        assert_int_equal(json_get_string(obj, "absent", false, 4, &v, &err), 0);
        assert_null(v);

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                err = (struct jit_error){};
                v = "untouched";
                if (json_get_string(obj, rows[i].name, rows[i].required, 4, &v, &err) !=
                            rows[i].r ||
                    err.reason != rows[i].reason)
                        fail_msg("%s: reason=%s (%s)", rows[i].name,
                                 jit_reason_to_string(err.reason), err.message);
                assert_string_equal(v, "untouched");
                assert_non_null(strstr(err.message, rows[i].name));
        }
}

/* A string built in memory, as a caller could: json-c keeps the NUL. */
static void test_get_string_embedded_nul(void **state) {
        _cleanup_json_ struct json_object *obj = json_object_new_object();
        struct jit_error err = {};
        const char *v = NULL;

        json_object_object_add(obj, "sub", json_object_new_string_len("root\0x", 6));
        assert_int_equal(json_get_string(obj, "sub", true, 32, &v, &err), -EINVAL);
        assert_int_equal(err.reason, JIT_REASON_CLAIM_VALUE);
        assert_string_equal(err.message, "claim 'sub' contains a NUL byte");
        assert_null(v);
}

static void test_get_int64(void **state) {
        _cleanup_json_ struct json_object *obj = parse(
                "{\"ok\":1700000000,\"zero\":-0,\"neg\":-5,\"one\":1.0,\"exp\":1e3,\"half\":1.5,"
                "\"nzero\":-0.0,\"str\":\"5\",\"t\":true,\"f\":false,\"nul\":null,\"arr\":[1],"
                "\"obj\":{},\"big20\":99999999999999999999,\"u64max\":18446744073709551615,"
                "\"i64max1\":9223372036854775808,\"i64min1\":-9223372036854775809,"
                "\"nbig20\":-99999999999999999999,\"i64max\":9223372036854775807,"
                "\"i64min\":-9223372036854775808,\"near_max\":9223372036854775806,"
                "\"near_min\":-9223372036854775807}");
        /* min/max here are the widest a caller may pass, so that only the
         * clamp detection can refuse the clamped values. */
        static const struct {
                const char *name;
                int r;
                enum jit_reason reason;
        } rows[] = {
                {"absent", -ENOENT, JIT_REASON_CLAIM_MISSING},
                {"one", -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"exp", -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"half", -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"nzero", -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"str", -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"t", -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"f", -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"nul", -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"arr", -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"obj", -EINVAL, JIT_REASON_CLAIM_TYPE},
                {"big20", -EINVAL, JIT_REASON_CLAIM_RANGE},
                {"u64max", -EINVAL, JIT_REASON_CLAIM_RANGE},
                {"i64max1", -EINVAL, JIT_REASON_CLAIM_RANGE},
                {"i64min1", -EINVAL, JIT_REASON_CLAIM_RANGE},
                {"nbig20", -EINVAL, JIT_REASON_CLAIM_RANGE},
                {"i64max", -EINVAL, JIT_REASON_CLAIM_RANGE},
                {"i64min", -EINVAL, JIT_REASON_CLAIM_RANGE},
        };
        struct jit_error err = {};
        int64_t v = 42;

        assert_int_equal(json_get_int64(obj, "ok", true, 0, JIT_TIME_MAX, &v, &err), 0);
        assert_int_equal(v, 1700000000);
        assert_int_equal(json_get_int64(obj, "zero", true, 0, 0, &v, &err), 0);
        assert_int_equal(v, 0);
        assert_int_equal(json_get_int64(obj, "near_max", true, INT64_MIN, INT64_MAX - 1, &v, &err),
                         0);
        assert_int_equal(v, INT64_MAX - 1);
        assert_int_equal(json_get_int64(obj, "near_min", true, INT64_MIN, INT64_MAX - 1, &v, &err),
                         0);
        assert_int_equal(v, INT64_MIN + 1);
        v = 42;
        assert_int_equal(json_get_int64(obj, "absent", false, 0, 1, &v, &err), 0);
        assert_int_equal(v, 42);

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                err = (struct jit_error){};
                v = 42;
                if (json_get_int64(obj, rows[i].name, true, INT64_MIN, INT64_MAX - 1, &v, &err) !=
                            rows[i].r ||
                    err.reason != rows[i].reason)
                        fail_msg("%s: reason=%s (%s)", rows[i].name,
                                 jit_reason_to_string(err.reason), err.message);
                assert_int_equal(v, 42);
                assert_non_null(strstr(err.message, rows[i].name));
        }

        /* Ordinary bounds, both ends inclusive. */
        assert_int_equal(json_get_int64(obj, "neg", true, -5, 5, &v, &err), 0);
        assert_int_equal(json_get_int64(obj, "neg", true, -4, 5, &v, &err), -EINVAL);
        assert_int_equal(err.reason, JIT_REASON_CLAIM_RANGE);
        assert_int_equal(json_get_int64(obj, "ok", true, 0, 1700000000, &v, &err), 0);
        assert_int_equal(json_get_int64(obj, "ok", true, 0, 1699999999, &v, &err), -EINVAL);
        assert_int_equal(err.reason, JIT_REASON_CLAIM_RANGE);
        assert_string_equal(err.message, "claim 'ok' must be between 0 and 1699999999");
        assert_int_equal(json_get_int64(obj, "t", true, 0, 1, &v, &err), -EINVAL);
        assert_string_equal(err.message, "claim 't' must be an integer");
}

static void test_get_string_array(void **state) {
        _cleanup_json_ struct json_object *obj = parse(
                "{\"aud\":[\"env=prod\",\"host=a\"],\"none\":[],\"str\":\"env=prod\",\"obj\":{},"
                "\"nul\":null,\"three\":[\"a\",\"b\",\"c\"],\"mixed\":[\"a\",1],"
                "\"nested\":[[\"a\"]],\"hasnull\":[\"a\",null],\"empty_el\":[\"a\",\"\"],"
                "\"long_el\":[\"abcde\"],\"ctrl_el\":[\"a\",\"c\\td\"]}");
        static const struct {
                const char *name;
                int r;
                enum jit_reason reason;
                const char *in_message;
        } rows[] = {
                {"absent", -ENOENT, JIT_REASON_CLAIM_MISSING, "'absent'"},
                {"str", -EINVAL, JIT_REASON_CLAIM_TYPE, "'str'"},
                {"obj", -EINVAL, JIT_REASON_CLAIM_TYPE, "'obj'"},
                {"nul", -EINVAL, JIT_REASON_CLAIM_TYPE, "'nul'"},
                {"three", -EINVAL, JIT_REASON_CLAIM_RANGE, "'three'"},
                {"mixed", -EINVAL, JIT_REASON_CLAIM_TYPE, "'mixed[1]'"},
                {"nested", -EINVAL, JIT_REASON_CLAIM_TYPE, "'nested[0]'"},
                {"hasnull", -EINVAL, JIT_REASON_CLAIM_TYPE, "'hasnull[1]'"},
                {"empty_el", -EINVAL, JIT_REASON_CLAIM_RANGE, "'empty_el[1]'"},
                {"long_el", -EINVAL, JIT_REASON_CLAIM_RANGE, "'long_el[0]'"},
                {"ctrl_el", -EINVAL, JIT_REASON_CLAIM_VALUE, "'ctrl_el[1]'"},
        };
        _cleanup_strv_free_ char **l = NULL;
        struct jit_error err = {};

        assert_int_equal(json_get_string_array(obj, "aud", true, 2, 8, &l, &err), 0);
        assert_int_equal(strv_length(l), 2);
        assert_string_equal(l[0], "env=prod");
        assert_string_equal(l[1], "host=a");
        strv_free(TAKE_PTR(l));

        /* Empty is not absent: the caller decides whether it is allowed. */
        assert_int_equal(json_get_string_array(obj, "none", true, 2, 8, &l, &err), 0);
        assert_non_null(l);
        assert_null(l[0]);
        strv_free(TAKE_PTR(l));

        assert_int_equal(json_get_string_array(obj, "absent", false, 2, 8, &l, &err), 0);
        assert_null(l);

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                err = (struct jit_error){};
                if (json_get_string_array(obj, rows[i].name, true, 2, 4, &l, &err) != rows[i].r ||
                    err.reason != rows[i].reason)
                        fail_msg("%s: reason=%s (%s)", rows[i].name,
                                 jit_reason_to_string(err.reason), err.message);
                assert_null(l);
                if (!strstr(err.message, rows[i].in_message))
                        fail_msg("%s: message '%s' lacks %s", rows[i].name, err.message,
                                 rows[i].in_message);
        }

        /* Exactly max_count entries is fine. */
        assert_int_equal(json_get_string_array(obj, "three", true, 3, 4, &l, &err), 0);
        assert_int_equal(strv_length(l), 3);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_accepted),
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_json_c_leniencies_refused),
                cmocka_unit_test(test_parse_object),
                cmocka_unit_test(test_not_an_object),
                cmocka_unit_test(test_depth_boundary),
                cmocka_unit_test(test_depth_mixed),
                cmocka_unit_test(test_depth_huge),
                cmocka_unit_test(test_members),
                cmocka_unit_test(test_members_per_object),
                cmocka_unit_test(test_get_string),
                cmocka_unit_test(test_get_string_embedded_nul),
                cmocka_unit_test(test_get_int64),
                cmocka_unit_test(test_get_string_array),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
