/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jit-limits.h"
#include "selector.h"

bool fact_key_is_valid(const char *s, size_t len) {
        if (!s || len < 1 || len > JIT_FACT_KEY_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == ':' || c == '/' || c == '-'))
                        return false;
        }
        return true;
}

bool fact_value_is_valid(const char *s, size_t len) {
        if (!s || len < 1 || len > JIT_FACT_VALUE_MAX)
                return false;
        /* Surrounding spaces would make "env=prod" and "env=prod " two facts
         * that look the same in a log. */
        if (s[0] == ' ' || s[len - 1] == ' ')
                return false;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c < 0x20 || c > 0x7e || c == ',')
                        return false;
        }
        return true;
}

void host_facts_done(struct host_facts *f) {
        if (!f)
                return;
        strv_free(f->facts);
        f->facts = NULL;
        f->n_facts = 0;
}

/* Order "key=value" strings by key alone: plain strcmp() would put "a.b=1"
 * before "a=1" because '.' sorts before '='. */
static int fact_cmp_key(const char *fact, const char *key, size_t key_len) {
        size_t fl = strcspn(fact, "=");
        int r = memcmp(fact, key, fl < key_len ? fl : key_len);

        if (r != 0)
                return r;
        return fl < key_len ? -1 : fl > key_len ? 1 : 0;
}

/* Index of key, or of where it would be inserted (with *found false). */
static size_t facts_find(const struct host_facts *f, const char *key, size_t key_len, bool *found) {
        size_t lo = 0, hi = f->n_facts;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int r = fact_cmp_key(f->facts[mid], key, key_len);

                if (r == 0) {
                        *found = true;
                        return mid;
                }
                if (r < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return lo;
}

static const char *facts_lookup(const struct host_facts *f, const char *key, size_t key_len) {
        bool found;
        size_t i;

        if (!f || !f->facts)
                return NULL;
        i = facts_find(f, key, key_len, &found);
        return found ? f->facts[i] + key_len + 1 : NULL;
}

const char *host_facts_get(const struct host_facts *f, const char *key) {
        if (!key)
                return NULL;
        return facts_lookup(f, key, strlen(key));
}

static int facts_add_n(struct host_facts *f, const char *key, size_t key_len, const char *value,
                       size_t value_len, struct jit_error *err) {
        char *fact, **nl;
        size_t i;
        bool found;

        if (!fact_key_is_valid(key, key_len))
                return jit_error_set(err, EINVAL, JIT_REASON_CONFIG, "invalid fact key");
        if (!fact_value_is_valid(value, value_len))
                return jit_error_set(err, EINVAL, JIT_REASON_CONFIG,
                                     "invalid value for fact '%.*s'", (int) key_len, key);
        i = facts_find(f, key, key_len, &found);
        if (found)
                return jit_error_set(err, EEXIST, JIT_REASON_CONFIG, "fact '%.*s' given twice",
                                     (int) key_len, key);
        if (f->n_facts >= JIT_FACTS_MAX)
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE, "more than %u facts",
                                     JIT_FACTS_MAX);

        fact = malloc(key_len + 1 + value_len + 1);
        if (!fact)
                return jit_error_oom(err);
        memcpy(fact, key, key_len);
        fact[key_len] = '=';
        memcpy(fact + key_len + 1, value, value_len);
        fact[key_len + 1 + value_len] = '\0';

        nl = realloc(f->facts, (f->n_facts + 2) * sizeof(char *));
        if (!nl) {
                free(fact);
                return jit_error_oom(err);
        }
        f->facts = nl;
        memmove(nl + i + 1, nl + i, (f->n_facts - i) * sizeof(char *));
        nl[i] = fact;
        f->n_facts++;
        nl[f->n_facts] = NULL;
        return 0;
}

int host_facts_add(struct host_facts *f, const char *key, const char *value,
                   struct jit_error *err) {
        if (!f || !key || !value)
                return jit_error_set(err, EINVAL, JIT_REASON_CONFIG, "missing fact");
        return facts_add_n(f, key, strnlen(key, JIT_FACT_KEY_MAX + 1), value,
                           strnlen(value, JIT_FACT_VALUE_MAX + 1), err);
}

int host_facts_parse(struct host_facts *f, const char *text, size_t len, struct jit_error *err) {
        /* Parse into a copy so a bad file leaves the caller's facts as they
         * were (pam_jit falls back to host and labels). */
        struct host_facts tmp = {};
        unsigned line = 0;
        size_t pos = 0;
        int r;

        if (!f || (!text && len > 0))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "missing facts");

        for (size_t i = 0; i < f->n_facts; i++) {
                r = strv_extend(&tmp.facts, f->facts[i]);
                if (r < 0) {
                        host_facts_done(&tmp);
                        return jit_error_oom(err);
                }
                tmp.n_facts++;
        }

        while (pos < len) {
                const char *l = text + pos, *nl, *eq;
                size_t ll;

                line++;
                nl = memchr(l, '\n', len - pos);
                ll = nl ? (size_t) (nl - l) : len - pos;
                pos += ll + (nl ? 1 : 0);

                if (memchr(l, '\0', ll)) {
                        r = jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: NUL byte",
                                          line);
                        goto fail;
                }
                if (ll == 0 || l[0] == '#')
                        continue;

                eq = memchr(l, '=', ll);
                if (!eq) {
                        r = jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                          "line %u: expected key=value", line);
                        goto fail;
                }
                r = facts_add_n(&tmp, l, (size_t) (eq - l), eq + 1, ll - (size_t) (eq - l) - 1,
                                err);
                if (r < 0) {
                        /* Keep E2BIG/EEXIST/ENOMEM, but a bad line is a
                         * malformed file, not a config mistake. */
                        if (err && err->reason == JIT_REASON_CONFIG) {
                                if (r == -EEXIST)
                                        r = -EINVAL;
                                err->reason = JIT_REASON_MALFORMED;
                        }
                        jit_error_prefix(err, "line %u", line);
                        goto fail;
                }
        }

        host_facts_done(f);
        *f = tmp;
        return 0;

fail:
        host_facts_done(&tmp);
        return r;
}

int host_facts_format(const struct host_facts *f, char **ret) {
        size_t total = 0, pos = 0;
        char *s;

        if (!ret)
                return -EINVAL;
        for (size_t i = 0; f && i < f->n_facts; i++)
                total += strlen(f->facts[i]) + 1;
        s = malloc(total + 1);
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; f && i < f->n_facts; i++) {
                size_t l = strlen(f->facts[i]);

                memcpy(s + pos, f->facts[i], l);
                pos += l;
                s[pos++] = '\n';
        }
        s[pos] = '\0';
        *ret = s;
        return 0;
}

int selector_validate(const char *selector, size_t len, struct jit_error *err) {
        /* Key spans of the parts seen so far, to refuse "env=a,env=b" (which
         * could never match, and is surely a mistake). */
        const char *keys[JIT_SELECTOR_FACTS_MAX];
        size_t key_lens[JIT_SELECTOR_FACTS_MAX];
        size_t n = 0, pos = 0;

        if (!selector || len < 1)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE, "empty selector");
        if (len > JIT_CLAIM_STRING_MAX)
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                     "selector longer than %u bytes", JIT_CLAIM_STRING_MAX);
        if (memchr(selector, '\0', len))
                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE, "NUL byte in selector");

        for (;;) {
                const char *p = selector + pos, *comma, *eq;
                size_t pl, kl;

                comma = memchr(p, ',', len - pos);
                pl = comma ? (size_t) (comma - p) : len - pos;
                if (pl == 0)
                        return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                             "empty part in selector");
                if (n >= JIT_SELECTOR_FACTS_MAX)
                        return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                             "more than %u facts in selector",
                                             JIT_SELECTOR_FACTS_MAX);
                eq = memchr(p, '=', pl);
                if (!eq)
                        return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                             "selector part is not key=value");
                kl = (size_t) (eq - p);
                if (!fact_key_is_valid(p, kl))
                        return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                             "invalid fact key in selector");
                /* Checked before the general value rules so the reason is
                 * plain: a selector naming every host must not exist. */
                if (memchr(eq + 1, '*', pl - kl - 1))
                        return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                             "wildcards are not supported");
                if (!fact_value_is_valid(eq + 1, pl - kl - 1))
                        return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                             "invalid fact value in selector");
                for (size_t i = 0; i < n; i++)
                        if (key_lens[i] == kl && memcmp(keys[i], p, kl) == 0)
                                return jit_error_set(err, EINVAL, JIT_REASON_CLAIM_VALUE,
                                                     "fact '%.*s' repeated in selector", (int) kl,
                                                     p);
                keys[n] = p;
                key_lens[n] = kl;
                n++;

                if (!comma)
                        return 0;
                pos += pl + 1;
        }
}

bool selector_matches(const char *selector, const struct host_facts *f) {
        const char *p;
        size_t len;

        if (!selector || !f)
                return false;
        len = strnlen(selector, JIT_CLAIM_STRING_MAX + 1);
        if (selector_validate(selector, len, NULL) < 0)
                return false;

        p = selector;
        for (;;) {
                size_t pl = strcspn(p, ","), kl = strcspn(p, "=");
                const char *value = facts_lookup(f, p, kl);
                size_t vl = pl - kl - 1;

                if (!value || strlen(value) != vl || memcmp(value, p + kl + 1, vl) != 0)
                        return false;
                if (p[pl] == '\0')
                        return true;
                p += pl + 1;
        }
}
