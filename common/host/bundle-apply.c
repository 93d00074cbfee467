/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "hoststate.h"
#include "jit-limits.h"
#include "parse.h"

/* ---- small strict parsers shared by the state files ---- */

static bool parse_time_strict(const char *s, size_t len, int64_t *ret) {
        uint64_t v;

        if (!parse_uint_strict(s, len, (uint64_t) JIT_TIME_MAX, &v))
                return false;
        *ret = (int64_t) v;
        return true;
}

/* A grant token as the bundle carries it: compact JWS, so base64url and
 * dots. Anything else here would be a line-injection or a corrupt file. */
static bool grant_token_is_wellformed(const char *s, size_t len) {
        if (len == 0 || len > JIT_GRANT_TOKEN_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.'))
                        return false;
        }
        return true;
}

static bool is_hex64(const char *s, size_t len) {
        if (len != 64)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* Echo a keyword in an error only when it is harmless to log. */
static bool is_graph(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f)
                        return false;
        return true;
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* One "keyword value" line of a state file. */
struct kv_line {
        unsigned number;
        const char *key, *value;
        size_t key_len, value_len;
};

/* Split the next '\n'-terminated line at *p; every line must end with '\n'
 * and hold "keyword SP value" with no NUL. */
static int next_kv_line(const char **p, const char *end, struct kv_line *l, struct jit_error *err) {
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

static bool kv_is(const struct kv_line *l, const char *key) {
        return l->key_len == strlen(key) && memcmp(l->key, key, l->key_len) == 0;
}

static int kv_unknown(const struct kv_line *l, struct jit_error *err) {
        if (l->key_len <= 32 && is_graph(l->key, l->key_len))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "line %u: unknown keyword '%.*s'", l->number, (int) l->key_len,
                                     l->key);
        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: unknown keyword",
                             l->number);
}

static int kv_bad_value(const struct kv_line *l, struct jit_error *err) {
        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: invalid value for '%.*s'",
                             l->number, (int) l->key_len, l->key);
}

static char *path_join3(const char *a, const char *b, const char *c) {
        char *p = NULL;

        if (asprintf(&p, "%s/%s%s", a, b, strempty(c)) < 0)
                return NULL;
        return p;
}

/* ---- state_dir/users/<user> ---- */

void user_grants_free(struct user_grants *u) {
        if (!u)
                return;
        strv_free(u->grants);
        strv_free(u->revoked);
        free(u);
}

/* Append a copy of s[0..len) to a NULL-terminated list of n entries. */
static int strv_append_n(char ***l, size_t *n, const char *s, size_t len) {
        _cleanup_free_ char *copy = strndup(s, len);
        char **nl;

        if (!copy)
                return -ENOMEM;
        nl = realloc(*l, (*n + 2) * sizeof(char *));
        if (!nl)
                return -ENOMEM;
        nl[(*n)++] = TAKE_PTR(copy);
        nl[*n] = NULL;
        *l = nl;
        return 0;
}

int user_grants_parse(const char *text, size_t len, struct user_grants **ret,
                      struct jit_error *err) {
        _cleanup_(user_grants_freep) struct user_grants *u = NULL;
        const char *p, *end;
        struct kv_line l = {};
        int r;

        if (!ret || (!text && len > 0))
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (len > JIT_USER_FILE_MAX)
                return jit_error_set(err, EFBIG, JIT_REASON_TOO_LARGE,
                                     "user grants larger than %u bytes", JIT_USER_FILE_MAX);
        /* NULL text with len 0 is an empty file; p and end stay off NULL,
         * where even NULL + 0 is undefined in C. */
        p = text ? text : "";
        end = p + len;
        u = calloc(1, sizeof(*u));
        if (!u)
                return jit_error_oom(err);

        /* The header is fixed: a file cut or spliced at the front fails. */
        if (len == 0)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line 1: missing 'serial'");
        r = next_kv_line(&p, end, &l, err);
        if (r < 0)
                return r;
        if (!kv_is(&l, "serial"))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "line 1: expected 'serial'");
        if (!parse_uint_strict(l.value, l.value_len, JIT_SERIAL_MAX, &u->serial))
                return kv_bad_value(&l, err);
        if (p == end)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "line 2: missing 'bundle-exp'");
        r = next_kv_line(&p, end, &l, err);
        if (r < 0)
                return r;
        if (!kv_is(&l, "bundle-exp"))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "line 2: expected 'bundle-exp'");
        if (!parse_time_strict(l.value, l.value_len, &u->bundle_exp))
                return kv_bad_value(&l, err);

        while (p < end) {
                r = next_kv_line(&p, end, &l, err);
                if (r < 0)
                        return r;
                if (kv_is(&l, "grant")) {
                        if (!grant_token_is_wellformed(l.value, l.value_len))
                                return kv_bad_value(&l, err);
                        if (u->n_grants >= JIT_USER_GRANTS_MAX)
                                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                                     "line %u: more than %u grants", l.number,
                                                     JIT_USER_GRANTS_MAX);
                        if (strv_append_n(&u->grants, &u->n_grants, l.value, l.value_len) < 0)
                                return jit_error_oom(err);
                } else if (kv_is(&l, "revoked")) {
                        if (!grant_id_is_valid(l.value, l.value_len))
                                return kv_bad_value(&l, err);
                        if (u->n_revoked >= JIT_USER_GRANTS_MAX)
                                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                                     "line %u: more than %u revoked ids", l.number,
                                                     JIT_USER_GRANTS_MAX);
                        if (strv_append_n(&u->revoked, &u->n_revoked, l.value, l.value_len) < 0)
                                return jit_error_oom(err);
                } else if (kv_is(&l, "serial") || kv_is(&l, "bundle-exp"))
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                             "line %u: '%.*s' given twice", l.number,
                                             (int) l.key_len, l.key);
                else
                        return kv_unknown(&l, err);
        }

        /* Callers may hold empty lists, never NULL ones. */
        if (!u->grants && !(u->grants = calloc(1, sizeof(char *))))
                return jit_error_oom(err);
        if (!u->revoked && !(u->revoked = calloc(1, sizeof(char *))))
                return jit_error_oom(err);
        qsort(u->revoked, u->n_revoked, sizeof(char *), strcmp_ptr);
        for (size_t i = 1; i < u->n_revoked; i++)
                if (streq(u->revoked[i - 1], u->revoked[i]))
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                             "revoked id '%s' listed twice", u->revoked[i]);

        *ret = TAKE_PTR(u);
        return 0;
}

int user_grants_format(const struct user_grants *u, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        bool ok = true;

        if (!u || !ret)
                return -EINVAL;
        /* Write only what parse accepts, so a round trip is exact. */
        if (u->serial > JIT_SERIAL_MAX || u->bundle_exp < 0 || u->bundle_exp > JIT_TIME_MAX ||
            u->n_grants > JIT_USER_GRANTS_MAX || u->n_revoked > JIT_USER_GRANTS_MAX)
                return -EINVAL;
        for (size_t i = 0; i < u->n_grants; i++)
                if (!u->grants[i] || !grant_token_is_wellformed(u->grants[i], strlen(u->grants[i])))
                        return -EINVAL;
        for (size_t i = 0; i < u->n_revoked; i++) {
                if (!u->revoked[i] || !grant_id_is_valid(u->revoked[i], strlen(u->revoked[i])))
                        return -EINVAL;
                if (i > 0 && strcmp(u->revoked[i - 1], u->revoked[i]) >= 0)
                        return -EINVAL; /* must be sorted and unique */
        }

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        ok = fprintf(f, "serial %" PRIu64 "\nbundle-exp %" PRId64 "\n", u->serial, u->bundle_exp) >
             0;
        for (size_t i = 0; ok && i < u->n_grants; i++)
                ok = fprintf(f, "grant %s\n", u->grants[i]) > 0;
        for (size_t i = 0; ok && i < u->n_revoked; i++)
                ok = fprintf(f, "revoked %s\n", u->revoked[i]) > 0;
        if (fclose(f) != 0 || !ok)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

int user_grants_load(const struct jit_config *c, const char *user, struct user_grants **ret,
                     struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        int r;

        if (!c || !c->state_dir || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        /* The name becomes a path component: nothing but a valid login. */
        if (!user || !user_name_is_valid(user, strlen(user)))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid user name");
        path = path_join3(c->state_dir, "users/", user);
        if (!path)
                return jit_error_oom(err);
        r = read_file_secure(path, 0, JIT_USER_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        r = user_grants_parse(text, len, ret, err);
        if (r < 0)
                jit_error_prefix(err, "%s", path);
        return r;
}

bool user_grants_is_revoked(const struct user_grants *u, const char *jti) {
        if (!u || !jti || u->n_revoked == 0)
                return false;
        return bsearch(&jti, u->revoked, u->n_revoked, sizeof(char *), strcmp_ptr) != NULL;
}

/* ---- state_dir/state ---- */

int host_state_parse(const char *text, size_t len, struct host_state *ret, struct jit_error *err) {
        enum {
                SEEN_SERIAL = 1 << 0,
                SEEN_SHA = 1 << 1,
                SEEN_IAT = 1 << 2,
                SEEN_EXP = 1 << 3,
                SEEN_ACCEPTED = 1 << 4,
                SEEN_FETCH = 1 << 5,
        };
        const char *p, *end;
        struct host_state s = {};
        struct kv_line l = {};
        unsigned seen = 0;
        int r;

        if (!ret || (!text && len > 0))
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (len > JIT_STATE_FILE_MAX)
                return jit_error_set(err, EFBIG, JIT_REASON_TOO_LARGE, "state larger than %u bytes",
                                     JIT_STATE_FILE_MAX);
        /* NULL text with len 0 is an empty file; p and end stay off NULL,
         * where even NULL + 0 is undefined in C. */
        p = text ? text : "";
        end = p + len;
        while (p < end) {
                unsigned bit;
                bool ok;

                r = next_kv_line(&p, end, &l, err);
                if (r < 0)
                        return r;
                if (kv_is(&l, "serial")) {
                        bit = SEEN_SERIAL;
                        ok = parse_uint_strict(l.value, l.value_len, JIT_SERIAL_MAX, &s.serial);
                } else if (kv_is(&l, "bundle-sha256")) {
                        bit = SEEN_SHA;
                        ok = is_hex64(l.value, l.value_len);
                        if (ok)
                                memcpy(s.bundle_sha256, l.value, 64);
                } else if (kv_is(&l, "bundle-iat")) {
                        bit = SEEN_IAT;
                        ok = parse_time_strict(l.value, l.value_len, &s.bundle_iat);
                } else if (kv_is(&l, "bundle-exp")) {
                        bit = SEEN_EXP;
                        ok = parse_time_strict(l.value, l.value_len, &s.bundle_exp);
                } else if (kv_is(&l, "accepted")) {
                        bit = SEEN_ACCEPTED;
                        ok = parse_time_strict(l.value, l.value_len, &s.accepted);
                } else if (kv_is(&l, "last-fetch")) {
                        bit = SEEN_FETCH;
                        ok = parse_time_strict(l.value, l.value_len, &s.last_fetch);
                } else
                        return kv_unknown(&l, err);
                if (seen & bit)
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                             "line %u: '%.*s' given twice", l.number,
                                             (int) l.key_len, l.key);
                if (!ok)
                        return kv_bad_value(&l, err);
                seen |= bit;
        }
        *ret = s;
        return 0;
}

int host_state_format(const struct host_state *s, char **ret) {
        char sha[sizeof(s->bundle_sha256) + 32] = "";
        char *text = NULL;
        size_t sha_len;

        if (!s || !ret)
                return -EINVAL;
        sha_len = strnlen(s->bundle_sha256, sizeof(s->bundle_sha256));
        if (s->serial > JIT_SERIAL_MAX || (sha_len != 0 && !is_hex64(s->bundle_sha256, sha_len)))
                return -EINVAL;
        {
                const int64_t times[] = {s->bundle_iat, s->bundle_exp, s->accepted, s->last_fetch};

                for (size_t i = 0; i < ELEMENTSOF(times); i++)
                        if (times[i] < 0 || times[i] > JIT_TIME_MAX)
                                return -EINVAL;
        }
        /* An empty digest (no bundle yet) is left out: parse defaults it. */
        if (sha_len != 0)
                (void) snprintf(sha, sizeof(sha), "bundle-sha256 %s\n", s->bundle_sha256);
        if (asprintf(&text,
                     "serial %" PRIu64 "\n%sbundle-iat %" PRId64 "\nbundle-exp %" PRId64
                     "\naccepted %" PRId64 "\nlast-fetch %" PRId64 "\n",
                     s->serial, sha, s->bundle_iat, s->bundle_exp, s->accepted, s->last_fetch) < 0)
                return -ENOMEM;
        *ret = text;
        return 0;
}

int host_state_load(const struct jit_config *c, struct host_state *ret, struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        int r;

        if (!ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = (struct host_state){};
        if (!c || !c->state_dir)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        path = path_join3(c->state_dir, "state", NULL);
        if (!path)
                return jit_error_oom(err);
        r = read_file_secure(path, 0, JIT_STATE_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        r = host_state_parse(text, len, ret, err);
        if (r < 0)
                jit_error_prefix(err, "%s", path);
        return r;
}

int host_state_save(const struct jit_config *c, const struct host_state *s, struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;

        if (!c || !c->state_dir || !s)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (host_state_format(s, &text) < 0)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "state out of range");
        path = path_join3(c->state_dir, "state", NULL);
        if (!path)
                return jit_error_oom(err);
        return write_file_atomic(path, text, strlen(text), 0600, err);
}

/* ---- state_dir/revoked ---- */

int host_revoked_contains(const struct jit_config *c, const char *jti, bool *ret,
                          struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *p, *end;
        size_t len = 0, jl;
        unsigned line = 0;
        int r;

        if (!c || !c->state_dir || !jti || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = false;
        jl = strlen(jti);
        if (!grant_id_is_valid(jti, jl))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid grant id");
        path = path_join3(c->state_dir, "revoked", NULL);
        if (!path)
                return jit_error_oom(err);
        r = read_file_secure(path, 0, JIT_REVOKED_FILE_MAX, &text, &len, err);
        if (r == -ENOENT)
                return 0; /* no bundle accepted yet: nothing is revoked */
        if (r < 0)
                return r;

        /* A linear scan: only a token typed at the prompt asks, and checking
         * every line keeps a corrupt file from answering "not revoked". */
        for (p = text, end = text + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n;

                line++;
                if (!nl)
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                             "%s: line %u: no newline at the end", path, line);
                n = (size_t) (nl - p);
                if (!grant_id_is_valid(p, n))
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                             "%s: line %u: not a grant id", path, line);
                if (n == jl && memcmp(p, jti, jl) == 0)
                        *ret = true;
                p = nl + 1;
        }
        return 0;
}

/* ---- facts ---- */

int host_facts_load(const struct jit_config *c, struct host_facts *ret, struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        int r;

        if (!ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = (struct host_facts){};
        if (!c || !c->run_dir)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        path = path_join3(c->run_dir, "facts", NULL);
        if (!path)
                return jit_error_oom(err);

        r = read_file_secure(path, 0, JIT_FACTS_FILE_MAX, &text, &len, err);
        if (r >= 0) {
                r = host_facts_parse(ret, text, len, err);
                if (r < 0) {
                        jit_error_prefix(err, "%s", path);
                        goto fail;
                }
                /* Without host= a grant for this very host would not match,
                 * and the agent always writes it: the file is not ours. */
                if (!host_facts_get(ret, "host")) {
                        r = jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "%s: no 'host' fact",
                                          path);
                        goto fail;
                }
                return 0;
        }
        if (r != -ENOENT)
                return r; /* unreadable or unsafe: fail closed */
        return host_facts_from_config(c, ret, err);

fail:
        host_facts_done(ret);
        return r;
}

int host_facts_from_config(const struct jit_config *c, struct host_facts *ret,
                           struct jit_error *err) {
        int r;

        *ret = (struct host_facts){};
        if (c->host_id)
                r = host_facts_add(ret, "host", c->host_id, err);
        else {
                char name[HOST_NAME_MAX + 1] = "";

                if (gethostname(name, sizeof(name) - 1) < 0)
                        return jit_error_set(err, errno, JIT_REASON_SYSTEM, "gethostname failed");
                if (!fact_value_is_valid(name, strlen(name)))
                        return jit_error_set(err, EINVAL, JIT_REASON_CONFIG,
                                             "the hostname is not a valid fact value; set host_id");
                r = host_facts_add(ret, "host", name, err);
        }
        if (r < 0)
                goto fail;
        for (char **l = c->labels; l && *l; l++) {
                _cleanup_free_ char *key = NULL;
                const char *eq = strchr(*l, '=');

                if (!eq) {
                        r = jit_error_set(err, EINVAL, JIT_REASON_CONFIG, "label without '='");
                        goto fail;
                }
                key = strndup(*l, (size_t) (eq - *l));
                if (!key) {
                        r = jit_error_oom(err);
                        goto fail;
                }
                r = host_facts_add(ret, key, eq + 1, err);
                if (r < 0)
                        goto fail;
        }
        return 0;

fail:
        host_facts_done(ret);
        return r;
}

bool host_store_is_stale(const struct jit_config *c, int64_t bundle_exp, int64_t now) {
        int64_t skew = c ? c->clock_skew : 0, after = c ? c->stale_after : 0, a, b;

        /* Saturate instead of overflowing: a huge exp is never stale, a
         * hugely negative one always is. */
        if (__builtin_sub_overflow(now, skew, &a))
                a = skew > 0 ? INT64_MIN : INT64_MAX;
        if (__builtin_add_overflow(bundle_exp, after, &b))
                b = after > 0 ? INT64_MAX : INT64_MIN;
        return a >= b;
}

/* ---- applying a bundle ---- */

int bundle_sha256_hex(const void *data, size_t len, char ret[65], struct jit_error *err) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;

        if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32)
                return jit_error_set(err, EIO, JIT_REASON_SYSTEM, "SHA-256 failed");
        for (unsigned i = 0; i < 32; i++)
                (void) snprintf(ret + 2 * i, 3, "%02x", md[i]);
        ret[64] = '\0';
        return 0;
}

/* A grant that verified: where it sits in the bundle and whose it is. */
struct verified {
        size_t index;
        const char *token; /* borrowed from the bundle */
        char *sub, *jti;
};

static int verified_cmp(const void *a, const void *b) {
        const struct verified *x = a, *y = b;
        int r = strcmp(x->sub, y->sub);

        /* Same user: keep the bundle's order (qsort is not stable). */
        if (r != 0)
                return r;
        return x->index < y->index ? -1 : x->index > y->index;
}

struct verified_list {
        struct verified *v;
        size_t n;
};

static void verified_list_done(struct verified_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].sub);
                free(l->v[i].jti);
        }
        free(l->v);
        *l = (struct verified_list){};
}

static bool check_folder(const struct stat *st) {
        return S_ISDIR(st->st_mode) && st->st_uid == 0 && (st->st_mode & 022) == 0;
}

/* Open state_dir/users, creating it 0700 when missing, refusing a folder
 * that someone other than root could change. */
static int users_dir_open(const struct jit_config *c, int *ret, struct jit_error *err) {
        _cleanup_close_ int dfd = -1, fd = -1;
        struct stat st;

        dfd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot open: %m",
                                     c->state_dir);
        if (fstat(dfd, &st) < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot stat: %m",
                                     c->state_dir);
        if (!check_folder(&st))
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                     "%s: not a root-owned folder closed to group and others",
                                     c->state_dir);
        if (mkdirat(dfd, "users", 0700) < 0 && errno != EEXIST)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/users: cannot create: %m",
                                     c->state_dir);
        fd = openat(dfd, "users", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ELOOP || errno == ENOTDIR)
                        return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                             "%s/users: not a folder (or a symlink)", c->state_dir);
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/users: cannot open: %m",
                                     c->state_dir);
        }
        if (fstat(fd, &st) < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/users: cannot stat: %m",
                                     c->state_dir);
        if (!check_folder(&st))
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                     "%s/users: owned by uid %u, mode %04o: must be root, not "
                                     "writable by group or others",
                                     c->state_dir, (unsigned) st.st_uid,
                                     (unsigned) (st.st_mode & 07777));
        *ret = TAKE_FD(fd);
        return 0;
}

/* Remove users/<name> of users without grants now. Only regular files with
 * valid user names: temporaries of write_file_atomic and anything an admin
 * put there are left alone; unlinkat() on the folder follows no symlink. */
static int users_dir_prune(int users_fd, const struct verified_list *l, const char *users_path,
                           struct jit_error *err) {
        DIR *d;
        int fd, r = 0;

        fd = fcntl(users_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: dup failed: %m",
                                     users_path);
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                (void) close(fd);
                return jit_error_set(err, r, JIT_REASON_SYSTEM, "%s: cannot list: %m", users_path);
        }
        for (;;) {
                struct dirent *de;
                struct stat st;
                bool keep = false;
                size_t lo = 0, hi = l->n;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                r = jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                                  "%s: cannot list: %m", users_path);
                        break;
                }
                if (!user_name_is_valid(de->d_name, strlen(de->d_name)))
                        continue;
                /* l is sorted by user: binary search over it. */
                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        int c = strcmp(l->v[mid].sub, de->d_name);

                        if (c == 0) {
                                keep = true;
                                break;
                        }
                        if (c < 0)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                if (keep)
                        continue;
                if (fstatat(users_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode))
                        continue;
                if (unlinkat(users_fd, de->d_name, 0) < 0 && errno != ENOENT) {
                        r = jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/%s: cannot remove: %m",
                                          users_path, de->d_name);
                        break;
                }
        }
        (void) closedir(d);
        return r;
}

/* Collect each (valid) grant's token, sub and jti, sorted by user. */
static int verify_grants(const struct bundle *b, const struct trust_store *ts,
                         const struct grant_policy *policy, struct verified_list *ret,
                         size_t *ret_invalid, struct jit_error *err) {
        size_t n_invalid = 0;

        ret->v = calloc(b->n_grants ? b->n_grants : 1, sizeof(struct verified));
        if (!ret->v)
                return jit_error_oom(err);
        for (size_t i = 0; i < b->n_grants; i++) {
                _cleanup_(grant_freep) struct grant *g = NULL;
                struct jit_error gerr = {};
                const char *tok = b->grants[i];
                size_t tl = strlen(tok);

                /* Not the time: an expired grant is still written, so pam_jit
                 * can tell the user when it ended. */
                if (!grant_token_is_wellformed(tok, tl) ||
                    grant_from_token(tok, tl, ts, policy, &g, &gerr) < 0 ||
                    !user_name_is_valid(g->sub, strlen(g->sub))) {
                        n_invalid++;
                        continue;
                }
                /* sub and jti move to ret->v (not with TAKE_PTR() in the
                 * initialiser, which cppcheck cannot parse: it would skip
                 * this whole file). */
                ret->v[ret->n++] = (struct verified){
                        .index = i,
                        .token = tok,
                        .sub = g->sub,
                        .jti = g->jti,
                };
                g->sub = g->jti = NULL;
        }
        qsort(ret->v, ret->n, sizeof(struct verified), verified_cmp);

        /* At most JIT_USER_GRANTS_MAX per user: the rest count as invalid,
         * so the user file stays within what user_grants_parse() takes. */
        {
                size_t w = 0, run = 0;

                for (size_t i = 0; i < ret->n; i++) {
                        if (w > 0 && streq(ret->v[i].sub, ret->v[w - 1].sub))
                                run++;
                        else
                                run = 0;
                        if (run >= JIT_USER_GRANTS_MAX) {
                                free(ret->v[i].sub);
                                free(ret->v[i].jti);
                                ret->v[i] = (struct verified){};
                                n_invalid++;
                                continue;
                        }
                        ret->v[w++] = ret->v[i];
                }
                ret->n = w;
        }
        *ret_invalid = n_invalid;
        return 0;
}

/* Write users/<user> for the run v[from..to) of one user. */
static int write_user_file(const char *users_path, const struct bundle *b, const struct verified *v,
                           size_t n, size_t *n_revoked_total, struct jit_error *err) {
        _cleanup_free_ char **grants = NULL, **revoked = NULL;
        _cleanup_free_ char *text = NULL, *path = NULL;
        struct user_grants u = {.serial = b->serial, .bundle_exp = b->exp};
        size_t nr = 0;
        int r;

        grants = calloc(n + 1, sizeof(char *));
        revoked = calloc(n + 1, sizeof(char *));
        if (!grants || !revoked)
                return jit_error_oom(err);
        for (size_t i = 0; i < n; i++) {
                grants[i] = (char *) v[i].token;
                if (bundle_is_revoked(b, v[i].jti))
                        revoked[nr++] = v[i].jti;
        }
        qsort(revoked, nr, sizeof(char *), strcmp_ptr);
        /* Two grants of one user may share a jti; list it once. */
        {
                size_t w = 0;

                for (size_t i = 0; i < nr; i++)
                        if (w == 0 || !streq(revoked[w - 1], revoked[i]))
                                revoked[w++] = revoked[i];
                nr = w;
                revoked[nr] = NULL;
        }
        u.grants = grants;
        u.n_grants = n;
        u.revoked = revoked;
        u.n_revoked = nr;
        r = user_grants_format(&u, &text);
        if (r < 0)
                return jit_error_set(err, r, JIT_REASON_SYSTEM, "cannot format grants of %s",
                                     v[0].sub);
        path = path_join3(users_path, "", v[0].sub);
        if (!path)
                return jit_error_oom(err);
        /* One syncfs() after all users (hoststate_apply_bundle): an fsync
         * per file made a 5 000-user bundle take most of a minute. */
        r = write_file_atomic_flags(path, text, strlen(text), 0600, WRITE_FILE_NO_SYNC, err);
        if (r < 0)
                return r;
        *n_revoked_total += nr;
        return 0;
}

static int format_revoked(const struct bundle *b, char **ret, size_t *ret_len, size_t *ret_n) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, n = 0;
        bool ok = true;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        /* b->revoked is sorted already; drop repeats. */
        for (size_t i = 0; ok && i < b->n_revoked; i++) {
                if (i > 0 && streq(b->revoked[i - 1], b->revoked[i]))
                        continue;
                ok = fprintf(f, "%s\n", b->revoked[i]) > 0;
                n++;
        }
        if (fclose(f) != 0 || !ok)
                return -ENOMEM;
        *ret_len = size;
        *ret = TAKE_PTR(buf);
        *ret_n = n;
        return 0;
}

int hoststate_apply_bundle(const struct jit_config *c, const struct trust_store *ts,
                           const char *token, size_t len, int64_t now, struct apply_result *ret,
                           struct jit_error *err) {
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        _cleanup_(verified_list_done) struct verified_list vl = {};
        _cleanup_free_ char *users_path = NULL, *path = NULL, *revoked = NULL;
        _cleanup_close_ int users_fd = -1;
        struct apply_result res = {};
        struct grant_policy policy;
        struct host_state st;
        char sha[65];
        size_t revoked_len = 0, n_user_revoked = 0;
        int r;

        if (!c || !c->state_dir || !ts || !token || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = (struct apply_result){};
        config_grant_policy(c, &policy);

        r = bundle_from_token(token, len, ts, &policy, now, &b, err);
        if (r < 0)
                return r;
        r = bundle_sha256_hex(token, len, sha, err);
        if (r < 0)
                return r;

        /* A corrupt state file fails closed: without it, rollback could not
         * be told apart from a fresh host. */
        r = host_state_load(c, &st, err);
        if (r == -ENOENT)
                st = (struct host_state){};
        else if (r < 0)
                return r;
        else if (st.serial > b->serial)
                return jit_error_set(err, ESTALE, JIT_REASON_ROLLBACK,
                                     "bundle serial %" PRIu64
                                     " is older than the accepted %" PRIu64,
                                     b->serial, st.serial);
        else if (st.serial == b->serial) {
                if (!streq(st.bundle_sha256, sha))
                        return jit_error_set(err, ESTALE, JIT_REASON_ROLLBACK,
                                             "bundle serial %" PRIu64
                                             " is the accepted one, with other bytes",
                                             b->serial);
                ret->serial = b->serial;
                ret->unchanged = true;
                return 0;
        }

        r = users_dir_open(c, &users_fd, err);
        if (r < 0)
                return r;
        users_path = path_join3(c->state_dir, "users", NULL);
        if (!users_path)
                return jit_error_oom(err);

        r = verify_grants(b, ts, &policy, &vl, &res.n_invalid, err);
        if (r < 0)
                return r;

        /* Users first, state last: a crash in between leaves the old serial
         * in state, so the same bundle is applied again in full. */
        for (size_t i = 0; i < vl.n;) {
                size_t j = i + 1;

                while (j < vl.n && streq(vl.v[j].sub, vl.v[i].sub))
                        j++;
                r = write_user_file(users_path, b, vl.v + i, j - i, &n_user_revoked, err);
                if (r < 0)
                        return r;
                res.n_users++;
                res.n_grants += j - i;
                i = j;
        }
        r = users_dir_prune(users_fd, &vl, users_path, err);
        if (r < 0)
                return r;
        /* The user files, and the folder's entries, durable at once. The
         * state file, written last and synced, is the commit point: after a
         * crash before it, the serial is still the old one and the bundle is
         * applied again in full. */
        if (syncfs(users_fd) < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: syncfs failed: %m",
                                     users_path);

        if (format_revoked(b, &revoked, &revoked_len, &res.n_revoked) < 0)
                return jit_error_oom(err);
        path = path_join3(c->state_dir, "revoked", NULL);
        if (!path)
                return jit_error_oom(err);
        r = write_file_atomic(path, revoked, revoked_len, 0600, err);
        if (r < 0)
                return r;

        free(path);
        path = path_join3(c->state_dir, "bundle.jwt", NULL);
        if (!path)
                return jit_error_oom(err);
        r = write_file_atomic(path, token, len, 0600, err);
        if (r < 0)
                return r;

        st = (struct host_state){
                .serial = b->serial,
                .bundle_iat = b->iat,
                .bundle_exp = b->exp,
                .accepted = now,
                .last_fetch = now,
        };
        memcpy(st.bundle_sha256, sha, sizeof(st.bundle_sha256));
        r = host_state_save(c, &st, err);
        if (r < 0)
                return r;

        res.serial = b->serial;
        *ret = res;
        return 0;
}
