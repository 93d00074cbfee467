/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Over 600 lines on purpose: the strict RFC 8259 scanner is one state
 * machine (frames, keys, strings, numbers) whose parts share its private
 * struct scanner; cutting it would expose that struct in a header. The
 * typed getters at the end (json_get_*) are small and read what it built. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit-limits.h"
#include "json.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free);

/* No legitimate claim needs a longer number; a cap keeps json-c's strtod and
 * strtoll away from megabytes of digits. */
#define JSON_NUMBER_MAX 64u

/* A member name, unescaped, for the duplicate check. */
struct key {
        char *name;
        size_t len;
        size_t offset; /* of its opening quote, for the message */
};

struct frame {
        bool is_object;
        size_t offset; /* of the '{' or '[' */
        struct key *keys;
        size_t n_keys, n_alloc;
};

struct scanner {
        const uint8_t *text;
        size_t len, pos;
        unsigned max_depth;
        struct frame *stack;
        size_t depth, n_alloc;
        size_t max_seen; /* deepest nesting met, to size json-c's stack */
        struct jit_error *err;
};

static bool is_ws(uint8_t c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(uint8_t c) {
        return c >= '0' && c <= '9';
}

static void skip_ws(struct scanner *s) {
        while (s->pos < s->len && is_ws(s->text[s->pos]))
                s->pos++;
}

static int fail(struct scanner *s, size_t offset, const char *what) {
        return jit_error_set(s->err, EBADMSG, JIT_REASON_JSON, "JSON: %s at byte %zu", what,
                             offset);
}

static void frame_free(struct frame *f) {
        for (size_t i = 0; i < f->n_keys; i++)
                free(f->keys[i].name);
        free(f->keys);
        *f = (struct frame){};
}

static void scanner_done(struct scanner *s) {
        while (s->depth > 0)
                frame_free(&s->stack[--s->depth]);
        free(s->stack);
        s->stack = NULL;
        s->n_alloc = 0;
}

/* Length of the well-formed UTF-8 sequence (RFC 3629 §4) at p, or 0: refuses
 * overlong forms, encoded surrogates, code points above U+10FFFF and
 * sequences cut short by the end of the input. */
static size_t utf8_sequence(const uint8_t *p, size_t avail) {
        uint8_t lo = 0x80, hi = 0xbf;
        size_t need;

        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                need = 1;
        else if (p[0] >= 0xe0 && p[0] <= 0xef) {
                need = 2;
                if (p[0] == 0xe0)
                        lo = 0xa0;
                else if (p[0] == 0xed)
                        hi = 0x9f;
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                need = 3;
                if (p[0] == 0xf0)
                        lo = 0x90;
                else if (p[0] == 0xf4)
                        hi = 0x8f;
        } else
                return 0;

        if (avail < need + 1)
                return 0;
        if (p[1] < lo || p[1] > hi)
                return 0;
        for (size_t i = 2; i <= need; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
        return need + 1;
}

/* Four hex digits at p, or -1. */
static int hex4(const uint8_t *p, size_t avail) {
        int v = 0;

        if (avail < 4)
                return -1;
        for (size_t i = 0; i < 4; i++) {
                uint8_t c = p[i];

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= c - '0';
                else if (c >= 'a' && c <= 'f')
                        v |= c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        v |= c - 'A' + 10;
                else
                        return -1;
        }
        return v;
}

static size_t utf8_put(char *out, uint32_t cp) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xc0 | cp >> 6);
                out[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xe0 | cp >> 12);
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char) (0xf0 | cp >> 18);
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/* Scan the string whose opening quote is at *pos; on success *pos is just
 * past the closing quote and *ret_len the unescaped length. When out is not
 * NULL (room for at least the raw length) the unescaped bytes go there. */
static int scan_string(struct scanner *s, size_t *pos, char *out, size_t *ret_len) {
        const uint8_t *t = s->text;
        size_t p = *pos + 1, o = 0;

        for (;;) {
                uint8_t c;

                if (p >= s->len)
                        return fail(s, *pos, "unterminated string starting");
                c = t[p];
                if (c == '"')
                        break;
                if (c == 0)
                        return fail(s, p, "NUL byte in string");
                if (c < 0x20)
                        return fail(s, p, "unescaped control character in string");

                if (c == '\\') {
                        char ch;
                        int cp, lo;

                        if (p + 1 >= s->len)
                                return fail(s, *pos, "unterminated string starting");
                        switch (t[p + 1]) {
                        case '"':
                                ch = '"';
                                break;
                        case '\\':
                                ch = '\\';
                                break;
                        case '/':
                                ch = '/';
                                break;
                        case 'b':
                                ch = '\b';
                                break;
                        case 'f':
                                ch = '\f';
                                break;
                        case 'n':
                                ch = '\n';
                                break;
                        case 'r':
                                ch = '\r';
                                break;
                        case 't':
                                ch = '\t';
                                break;
                        case 'u':
                                cp = hex4(t + p + 2, s->len - p - 2);
                                if (cp < 0)
                                        return fail(s, p, "invalid \\u escape");
                                /* json-c would cut the string here. */
                                if (cp == 0)
                                        return fail(s, p, "\\u0000 in string");
                                if (cp >= 0xdc00 && cp <= 0xdfff)
                                        return fail(s, p, "lone low surrogate");
                                if (cp >= 0xd800 && cp <= 0xdbff) {
                                        if (p + 7 >= s->len || t[p + 6] != '\\' || t[p + 7] != 'u')
                                                return fail(s, p, "unpaired high surrogate");
                                        lo = hex4(t + p + 8, s->len - p - 8);
                                        if (lo < 0)
                                                return fail(s, p + 6, "invalid \\u escape");
                                        if (lo < 0xdc00 || lo > 0xdfff)
                                                return fail(s, p, "unpaired high surrogate");
                                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                        p += 6;
                                }
                                p += 6;
                                if (out)
                                        o += utf8_put(out + o, (uint32_t) cp);
                                else
                                        o += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                                continue;
                        default:
                                return fail(s, p, "invalid escape in string");
                        }
                        if (out)
                                out[o] = ch;
                        o++;
                        p += 2;
                } else if (c < 0x80) {
                        if (out)
                                out[o] = (char) c;
                        o++;
                        p++;
                } else {
                        size_t n = utf8_sequence(t + p, s->len - p);

                        if (n == 0)
                                return fail(s, p, "invalid UTF-8 in string");
                        if (out)
                                memcpy(out + o, t + p, n);
                        o += n;
                        p += n;
                }
        }

        *pos = p + 1;
        if (ret_len)
                *ret_len = o;
        return 0;
}

/* RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int scan_number(struct scanner *s) {
        const uint8_t *t = s->text;
        size_t start = s->pos, p = s->pos;

        if (t[p] == '-')
                p++;
        if (p >= s->len || !is_digit(t[p]))
                return fail(s, p, "digit expected in number");
        if (t[p] == '0') {
                p++;
                if (p < s->len && is_digit(t[p]))
                        return fail(s, p - 1, "leading zero in number");
        } else
                while (p < s->len && is_digit(t[p]))
                        p++;
        if (p < s->len && t[p] == '.') {
                p++;
                if (p >= s->len || !is_digit(t[p]))
                        return fail(s, p, "digit expected after decimal point");
                while (p < s->len && is_digit(t[p]))
                        p++;
        }
        if (p < s->len && (t[p] == 'e' || t[p] == 'E')) {
                p++;
                if (p < s->len && (t[p] == '+' || t[p] == '-'))
                        p++;
                if (p >= s->len || !is_digit(t[p]))
                        return fail(s, p, "digit expected in exponent");
                while (p < s->len && is_digit(t[p]))
                        p++;
        }
        if (p - start > JSON_NUMBER_MAX)
                return fail(s, start, "number longer than 64 characters");
        s->pos = p;
        return 0;
}

static int scan_literal(struct scanner *s) {
        static const char *const words[] = {"true", "false", "null"};
        size_t avail = s->len - s->pos;

        for (size_t i = 0; i < ELEMENTSOF(words); i++) {
                size_t n = strlen(words[i]);

                if (avail >= n && memcmp(s->text + s->pos, words[i], n) == 0) {
                        s->pos += n;
                        return 0;
                }
        }
        return fail(s, s->pos, "invalid literal");
}

/* Name what stands where a value should start, for a useful message. */
static int unexpected(struct scanner *s) {
        size_t p = s->pos;

        if (p >= s->len)
                return fail(s, p, "unexpected end of input");
        switch (s->text[p]) {
        case 0:
                return fail(s, p, "NUL byte");
        case '\'':
                return fail(s, p, "single-quoted string");
        case '/':
                return fail(s, p, "comment");
        case '+':
                return fail(s, p, "'+' before number");
        case '.':
                return fail(s, p, "number without integer part");
        case ']':
        case '}':
                return fail(s, p, "value expected (trailing comma?)");
        default:
                if ((s->text[p] >= 'a' && s->text[p] <= 'z') ||
                    (s->text[p] >= 'A' && s->text[p] <= 'Z'))
                        return fail(s, p, "bare word");
                return fail(s, p, "unexpected character");
        }
}

static int push(struct scanner *s, bool is_object) {
        /* Checked before descending: the depth of the input never costs
         * more than max_depth frames. */
        if (s->depth >= s->max_depth)
                return jit_error_set(s->err, EBADMSG, JIT_REASON_JSON_DEPTH,
                                     "JSON: nesting deeper than %u at byte %zu", s->max_depth,
                                     s->pos);
        if (s->depth == s->n_alloc) {
                size_t n = s->n_alloc == 0 ? 8 : s->n_alloc * 2;
                struct frame *st;

                if (n > s->max_depth)
                        n = s->max_depth;
                st = reallocarray(s->stack, n, sizeof(struct frame));
                if (!st)
                        return jit_error_oom(s->err);
                s->stack = st;
                s->n_alloc = n;
        }
        s->stack[s->depth++] = (struct frame){.is_object = is_object, .offset = s->pos};
        if (s->depth > s->max_seen)
                s->max_seen = s->depth;
        s->pos++;
        return 0;
}

static int key_compare(const void *a, const void *b) {
        const struct key *x = a, *y = b;
        int r;

        if (x->len != y->len)
                return x->len < y->len ? -1 : 1;
        r = memcmp(x->name, y->name, x->len);
        if (r != 0)
                return r;
        /* Ties by position, so the duplicate reported is the later one. */
        return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static bool printable(const char *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (p[i] < 0x20 || p[i] > 0x7e)
                        return false;
        return true;
}

/* Close the innermost container; for an object, refuse repeated names. */
static int pop(struct scanner *s) {
        struct frame *f = &s->stack[s->depth - 1];

        if (f->is_object && f->n_keys > 1) {
                qsort(f->keys, f->n_keys, sizeof(struct key), key_compare);
                for (size_t i = 1; i < f->n_keys; i++) {
                        struct key *k = &f->keys[i];

                        if (k->len != f->keys[i - 1].len ||
                            memcmp(k->name, f->keys[i - 1].name, k->len) != 0)
                                continue;
                        if (k->len <= 64 && printable(k->name, k->len))
                                return jit_error_set(s->err, EBADMSG, JIT_REASON_JSON_DUPLICATE,
                                                     "JSON: duplicate member name \"%.*s\" at "
                                                     "byte %zu",
                                                     (int) k->len, k->name, k->offset);
                        return jit_error_set(s->err, EBADMSG, JIT_REASON_JSON_DUPLICATE,
                                             "JSON: duplicate member name at byte %zu", k->offset);
                }
        }
        frame_free(f);
        s->depth--;
        s->pos++;
        return 0;
}

/* Scan a member name at s->pos and remember it, unescaped, in the
 * innermost object. */
static int add_key(struct scanner *s) {
        struct frame *f = &s->stack[s->depth - 1];
        size_t start = s->pos, len = 0; /* scan_string() sets len only on success */
        char *name;
        int r;

        if (s->pos >= s->len)
                return fail(s, s->pos, "unexpected end of input");
        if (s->text[s->pos] != '"') {
                if (s->text[s->pos] == '\'')
                        return fail(s, s->pos, "single-quoted member name");
                if (s->text[s->pos] == '}')
                        return fail(s, s->pos, "member expected (trailing comma?)");
                return fail(s, s->pos, "member name must be a string");
        }

        if (f->n_keys >= JIT_JSON_MEMBERS_MAX)
                return jit_error_set(s->err, E2BIG, JIT_REASON_TOO_LARGE,
                                     "JSON: object at byte %zu has more than %u members", f->offset,
                                     JIT_JSON_MEMBERS_MAX);

        r = scan_string(s, &s->pos, NULL, &len);
        if (r < 0)
                return r;

        if (f->n_keys == f->n_alloc) {
                size_t n = f->n_alloc == 0 ? 8 : f->n_alloc * 2;
                struct key *k;

                k = reallocarray(f->keys, n, sizeof(struct key));
                if (!k)
                        return jit_error_oom(s->err);
                f->keys = k;
                f->n_alloc = n;
        }

        name = malloc(len + 1);
        if (!name)
                return jit_error_oom(s->err);
        /* Already validated: the second pass only unescapes. */
        (void) scan_string(s, &start, name, NULL);
        name[len] = 0;
        f->keys[f->n_keys++] = (struct key){.name = name, .len = len, .offset = start};
        return 0;
}

enum state {
        STATE_VALUE,  /* a value must start here */
        STATE_MEMBER, /* a member name must start here */
        STATE_AFTER,  /* a value just ended */
};

/* Iterative, so the input's nesting never becomes our recursion. */
static int scan(struct scanner *s) {
        enum state state = STATE_VALUE;
        int r;

        skip_ws(s);
        if (s->pos >= s->len)
                return fail(s, s->pos, "empty input");

        for (;;) {
                skip_ws(s);

                switch (state) {
                case STATE_VALUE:
                        if (s->pos >= s->len)
                                return unexpected(s);
                        switch (s->text[s->pos]) {
                        case '{':
                                r = push(s, true);
                                if (r < 0)
                                        return r;
                                skip_ws(s);
                                if (s->pos < s->len && s->text[s->pos] == '}') {
                                        r = pop(s);
                                        if (r < 0)
                                                return r;
                                        state = STATE_AFTER;
                                } else
                                        state = STATE_MEMBER;
                                break;
                        case '[':
                                r = push(s, false);
                                if (r < 0)
                                        return r;
                                skip_ws(s);
                                if (s->pos < s->len && s->text[s->pos] == ']') {
                                        r = pop(s);
                                        if (r < 0)
                                                return r;
                                        state = STATE_AFTER;
                                }
                                break;
                        case '"':
                                r = scan_string(s, &s->pos, NULL, NULL);
                                if (r < 0)
                                        return r;
                                state = STATE_AFTER;
                                break;
                        case '-':
                        case '0' ... '9':
                                r = scan_number(s);
                                if (r < 0)
                                        return r;
                                state = STATE_AFTER;
                                break;
                        case 't':
                        case 'f':
                        case 'n':
                                r = scan_literal(s);
                                if (r < 0)
                                        return r;
                                state = STATE_AFTER;
                                break;
                        default:
                                return unexpected(s);
                        }
                        break;

                case STATE_MEMBER:
                        r = add_key(s);
                        if (r < 0)
                                return r;
                        skip_ws(s);
                        if (s->pos >= s->len || s->text[s->pos] != ':')
                                return fail(s, s->pos, "':' expected after member name");
                        s->pos++;
                        state = STATE_VALUE;
                        break;

                case STATE_AFTER: {
                        struct frame *f;
                        uint8_t c;

                        if (s->depth == 0) {
                                if (s->pos < s->len)
                                        return fail(s, s->pos, "trailing data after the value");
                                return 0;
                        }
                        if (s->pos >= s->len)
                                return fail(s, s->pos, "unexpected end of input");
                        f = &s->stack[s->depth - 1];
                        c = s->text[s->pos];
                        if (c == ',') {
                                s->pos++;
                                state = f->is_object ? STATE_MEMBER : STATE_VALUE;
                        } else if (c == (f->is_object ? '}' : ']')) {
                                r = pop(s);
                                if (r < 0)
                                        return r;
                        } else
                                return fail(s, s->pos,
                                            f->is_object ? "',' or '}' expected"
                                                         : "',' or ']' expected");
                        break;
                }
                }
        }
}

static int validate(const char *text, size_t len, unsigned max_depth, size_t *ret_depth,
                    struct jit_error *err) {
        struct scanner s = {
                .text = (const uint8_t *) text,
                .len = len,
                .max_depth = max_depth,
                .err = err,
        };
        int r;

        if (!text && len > 0)
                return -EINVAL;
        if (!text)
                return fail(&s, 0, "empty input");

        r = scan(&s);
        scanner_done(&s);
        if (r >= 0 && ret_depth)
                *ret_depth = s.max_seen;
        return r;
}

int json_validate_strict(const char *text, size_t len, unsigned max_depth, struct jit_error *err) {
        return validate(text, len, max_depth, NULL, err);
}

int json_parse_object_strict(const char *text, size_t len, unsigned max_depth,
                             struct json_object **ret, struct jit_error *err) {
        _cleanup_(json_tokener_freep) struct json_tokener *tok = NULL;
        _cleanup_json_ struct json_object *obj = NULL;
        enum json_tokener_error jerr;
        size_t depth = 0, start = 0, end = len;
        int r;

        if (!ret)
                return -EINVAL;

        r = validate(text, len, max_depth, &depth, err);
        if (r < 0)
                return r;

        /* json_tokener_parse_ex() takes an int length. */
        if (len > INT_MAX)
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE, "JSON: text too large");

        while (start < len && is_ws((uint8_t) text[start]))
                start++;
        if (text[start] != '{')
                return jit_error_set(err, EBADMSG, JIT_REASON_JSON, "JSON: not a JSON object");
        /* json-c stops right after the value; the validator has made sure
         * only white space follows it. */
        while (end > start && is_ws((uint8_t) text[end - 1]))
                end--;

        /* json-c allocates its stack up front, so size it by what the text
         * needs rather than by the caller's limit; +2 because its counting
         * differs from ours by one and a margin costs nothing. */
        tok = json_tokener_new_ex((int) depth + 2);
        if (!tok)
                return jit_error_oom(err);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);

        obj = json_tokener_parse_ex(tok, text, (int) end);
        jerr = json_tokener_get_error(tok);
        if (jerr != json_tokener_success || !obj)
                return jit_error_set(err, EBADMSG, JIT_REASON_JSON, "JSON: json-c refused it: %s",
                                     json_tokener_error_desc(jerr));
        if (json_tokener_get_parse_end(tok) != end)
                return jit_error_set(err, EBADMSG, JIT_REASON_JSON,
                                     "JSON: json-c stopped at byte %zu of %zu",
                                     json_tokener_get_parse_end(tok), end);
        if (!json_object_is_type(obj, json_type_object))
                return jit_error_set(err, EBADMSG, JIT_REASON_JSON, "JSON: not a JSON object");

        *ret = TAKE_PTR(obj);
        return 0;
}

/* Returns 1 with *ret set when the member is present (*ret is NULL for a
 * JSON null), 0 when absent and optional, or a negative errno. */
static int lookup(struct json_object *obj, const char *name, bool required,
                  struct json_object **ret, struct jit_error *err) {
        struct json_object *v = NULL;

        if (!json_object_is_type(obj, json_type_object))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_TYPE,
                                     "claim '%s': container is not a JSON object", name);
        if (!json_object_object_get_ex(obj, name, &v)) {
                if (required)
                        return jit_error_set(err, ENOENT, JIT_REASON_CLAIM_MISSING,
                                             "claim '%s' is missing", name);
                return 0;
        }
        *ret = v;
        return 1;
}

/* These strings reach logs and terminals: no NUL, no control characters,
 * C1 ones (U+0080..U+009F, e.g. CSI) included. */
static int check_string(struct json_object *v, const char *label, size_t max_len, const char **ret,
                        struct jit_error *err) {
        const char *str;
        int n;

        if (!json_object_is_type(v, json_type_string))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_TYPE,
                                     "claim '%s' must be a string", label);
        str = json_object_get_string(v);
        n = json_object_get_string_len(v);
        if (!str || n <= 0)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_RANGE,
                                     "claim '%s' must not be empty", label);
        if ((size_t) n > max_len)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_RANGE,
                                     "claim '%s' is longer than %zu bytes", label, max_len);
        for (int i = 0; i < n; i++) {
                uint8_t c = (uint8_t) str[i];

                /* json-c keeps strings built with an embedded NUL. */
                if (c == 0)
                        return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                             "claim '%s' contains a NUL byte", label);
                if (c < 0x20 || c == 0x7f ||
                    (c == 0xc2 && i + 1 < n && (uint8_t) str[i + 1] >= 0x80 &&
                     (uint8_t) str[i + 1] <= 0x9f))
                        return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                             "claim '%s' contains a control character", label);
        }
        *ret = str;
        return 0;
}

int json_get_string(struct json_object *obj, const char *name, bool required, size_t max_len,
                    const char **ret, struct jit_error *err) {
        struct json_object *v = NULL;
        int r;

        r = lookup(obj, name, required, &v, err);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret = NULL;
                return 0;
        }
        return check_string(v, name, max_len, ret, err);
}

int json_get_int64(struct json_object *obj, const char *name, bool required, int64_t min,
                   int64_t max, int64_t *ret, struct jit_error *err) {
        struct json_object *v = NULL;
        int64_t i;
        int r;

        r = lookup(obj, name, required, &v, err);
        if (r <= 0)
                return r;

        /* Only integer literals: json-c would turn 1.5, "5", true and null
         * into numbers too. */
        if (!json_object_is_type(v, json_type_int))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_TYPE,
                                     "claim '%s' must be an integer", name);

        /* json-c 0.16 clamps literals beyond int64 to INT64_MAX/INT64_MIN and
         * keeps those in (INT64_MAX, UINT64_MAX] as uint64, so the ends of
         * the range are ambiguous: refuse them whatever min and max say. */
        i = json_object_get_int64(v);
        if (i == INT64_MAX || i == INT64_MIN ||
            (i >= 0 && json_object_get_uint64(v) != (uint64_t) i))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_RANGE,
                                     "claim '%s' is out of range", name);
        if (i < min || i > max)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_RANGE,
                                     "claim '%s' must be between %" PRId64 " and %" PRId64, name,
                                     min, max);
        *ret = i;
        return 0;
}

int json_get_string_array_borrowed(struct json_object *obj, const char *name, bool required,
                                   size_t max_count, size_t max_len, const char ***ret,
                                   struct jit_error *err) {
        _cleanup_free_ const char **l = NULL;
        struct json_object *v = NULL;
        size_t n;
        int r;

        r = lookup(obj, name, required, &v, err);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret = NULL;
                return 0;
        }

        if (!json_object_is_type(v, json_type_array))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_TYPE,
                                     "claim '%s' must be an array of strings", name);
        n = json_object_array_length(v);
        if (n > max_count)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_RANGE,
                                     "claim '%s' has more than %zu entries", name, max_count);

        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return jit_error_oom(err);
        for (size_t i = 0; i < n; i++) {
                char label[128];

                (void) snprintf(label, sizeof(label), "%s[%zu]", name, i);
                r = check_string(json_object_array_get_idx(v, i), label, max_len, &l[i], err);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(l);
        return 0;
}

int json_get_string_array(struct json_object *obj, const char *name, bool required,
                          size_t max_count, size_t max_len, char ***ret, struct jit_error *err) {
        _cleanup_free_ const char **borrowed = NULL;
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;
        int r;

        r = json_get_string_array_borrowed(obj, name, required, max_count, max_len, &borrowed, err);
        if (r < 0)
                return r;
        if (!borrowed) {
                *ret = NULL;
                return 0;
        }
        while (borrowed[n])
                n++;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return jit_error_oom(err);
        for (size_t i = 0; i < n; i++) {
                l[i] = strdup(borrowed[i]);
                if (!l[i])
                        return jit_error_oom(err);
        }

        *ret = TAKE_PTR(l);
        return 0;
}
