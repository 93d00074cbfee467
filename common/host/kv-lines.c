/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The "keyword value" lines of the state files jit-agent writes
 * (state_dir/state, state_dir/users/<user>): one strict reader for both. */

#include <errno.h>
#include <string.h>

#include "kv-lines.h"

/* Echo a keyword in an error only when it is harmless to log. */
static bool is_graph(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f)
                        return false;
        return true;
}

/* Split the next '\n'-terminated line at *p; every line must end with '\n'
 * and hold "keyword SP value" with no NUL. */
int kv_line_next(const char **p, const char *end, struct kv_line *l, struct jit_error *err) {
        const char *nl, *sp;
        size_t n;

        l->number++;
        nl = memchr(*p, '\n', (size_t) (end - *p));
        if (!nl)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "line %u: no newline at the end", l->number);
        n = (size_t) (nl - *p);
        if (n == 0)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: empty line",
                                     l->number);
        if (memchr(*p, '\0', n))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: NUL byte",
                                     l->number);
        sp = memchr(*p, ' ', n);
        if (!sp || sp == *p)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "line %u: not 'keyword value'", l->number);
        l->key = *p;
        l->key_len = (size_t) (sp - *p);
        l->value = sp + 1;
        l->value_len = (size_t) (nl - sp - 1);
        *p = nl + 1;
        return 0;
}

bool kv_is(const struct kv_line *l, const char *key) {
        return l->key_len == strlen(key) && memcmp(l->key, key, l->key_len) == 0;
}

int kv_line_expect(const char **p, const char *end, const char *key, struct kv_line *l,
                   struct jit_error *err) {
        int r;

        if (*p >= end)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: missing '%s'",
                                     l->number + 1, key);
        r = kv_line_next(p, end, l, err);
        if (r < 0)
                return r;
        if (!kv_is(l, key))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: expected '%s'",
                                     l->number, key);
        return 0;
}

int kv_unknown(const struct kv_line *l, struct jit_error *err) {
        if (l->key_len <= 32 && is_graph(l->key, l->key_len))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "line %u: unknown keyword '%.*s'", l->number, (int) l->key_len,
                                     l->key);
        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: unknown keyword",
                             l->number);
}

int kv_bad_value(const struct kv_line *l, struct jit_error *err) {
        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: invalid value for '%.*s'",
                             l->number, (int) l->key_len, l->key);
}
