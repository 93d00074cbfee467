/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The jit.conf parser, about 700 lines on purpose: the key table and
 * one small parser per value type together, so that every key jit.conf(5)
 * lists is found in this one file (docs/check-docs.py reads the table). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "jit-conf.h"
#include "jit-limits.h"
#include "parse.h"
#include "selector.h"
#include "store-conf.h"

#define MINUTE 60
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

void config_free(struct jit_config *c) {
        if (!c)
                return;
        strv_free(c->issuers);
        free(c->trust_store);
        free(c->host_id);
        strv_free(c->labels);
        strv_free(c->selector_facts);
        free(c->state_dir);
        free(c->run_dir);
        free(c->bundle_url);
        free(c->ca_file);
        free(c->client_cert);
        free(c->client_key);
        free(c->pinned_pubkey);
        free(c->store_auth);
        free(c->store_endpoint);
        free(c->store_region);
        free(c->store_client_id);
        strv_free(c->exempt_users);
        free(c->exempt_group);
        free(c->warn_before);
        free(c->user_home_base);
        free(c->user_shell);
        free(c);
}

static char **strv_new_empty(void) {
        return calloc(1, sizeof(char *));
}

int config_new(struct jit_config **ret) {
        _cleanup_(config_freep) struct jit_config *c = NULL;

        if (!ret)
                return -EINVAL;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->issuers = strv_new_empty();
        c->labels = strv_new_empty();
        c->exempt_users = strv_new_empty();
        c->trust_store = strdup("/etc/jit/trust.jwks");
        c->state_dir = strdup("/var/lib/jit");
        c->run_dir = strdup("/run/jit");
        c->warn_before = malloc(2 * sizeof(int64_t));
        c->user_home_base = strdup("/home");
        c->user_shell = strdup("/bin/bash");
        if (!c->issuers || !c->labels || !c->exempt_users || !c->trust_store || !c->state_dir ||
            !c->run_dir || !c->warn_before || !c->user_home_base || !c->user_shell)
                return -ENOMEM;
        c->warn_before[0] = 5 * MINUTE;
        c->warn_before[1] = 1 * MINUTE;
        c->n_warn_before = 2;

        c->max_grant_ttl = 12 * HOUR;
        c->clock_skew = 60;
        c->poll_interval = 60;
        c->cloud_refresh = 5 * MINUTE;
        c->fetch_timeout = 30;
        c->max_bundle_size = JIT_HEAD_TOKEN_MAX;
        c->allow_http = false;
        c->stale_after = 1 * HOUR;
        c->stale_policy = STALE_POLICY_DENY;
        c->on_sudo_expiry = ON_SUDO_EXPIRY_ELEVATED;
        c->kill_grace = 5;
        c->create_users = false;
        c->user_uid_range.min = JIT_USER_UID_MIN_DEFAULT;
        c->user_uid_range.max = JIT_USER_UID_MAX_DEFAULT;

        *ret = TAKE_PTR(c);
        return 0;
}

enum key_type {
        KEY_ISSUERS,
        KEY_PATH,
        KEY_PINNED_PUBKEY,
        KEY_DURATION,
        KEY_SIZE,
        KEY_HOST_ID,
        KEY_LABELS,
        KEY_URL,
        KEY_BOOLEAN,
        KEY_STALE_POLICY,
        KEY_ON_SUDO_EXPIRY,
        KEY_USERS,
        KEY_GROUP,
        KEY_WARN_BEFORE,
        KEY_STORE,
        KEY_CLOUD,
        KEY_SELECTOR_FACTS,
        KEY_UID_RANGE,
};

struct key_def {
        const char *name;
        enum key_type type;
        size_t offset;
        int64_t min, max;  /* durations */
        const char *range; /* durations, for the message */
};

#define FIELD(f) offsetof(struct jit_config, f)

static const struct key_def keys[] = {
        {"issuers", KEY_ISSUERS, FIELD(issuers), 0, 0, NULL},
        {"trust_store", KEY_PATH, FIELD(trust_store), 0, 0, NULL},
        {"max_grant_ttl", KEY_DURATION, FIELD(max_grant_ttl), 1, 30 * DAY, "1s..30d"},
        {"clock_skew", KEY_DURATION, FIELD(clock_skew), 0, HOUR, "0..1h"},
        {"host_id", KEY_HOST_ID, FIELD(host_id), 0, 0, NULL},
        {"labels", KEY_LABELS, FIELD(labels), 0, 0, NULL},
        {"cloud", KEY_CLOUD, FIELD(cloud), 0, 0, NULL},
        {"cloud_refresh", KEY_DURATION, FIELD(cloud_refresh), 5, DAY, "5s..1d"},
        {"selector_facts", KEY_SELECTOR_FACTS, FIELD(selector_facts), 0, 0, NULL},
        {"state_dir", KEY_PATH, FIELD(state_dir), 0, 0, NULL},
        {"run_dir", KEY_PATH, FIELD(run_dir), 0, 0, NULL},
        {"bundle_url", KEY_URL, FIELD(bundle_url), 0, 0, NULL},
        {"poll_interval", KEY_DURATION, FIELD(poll_interval), 5, DAY, "5s..1d"},
        {"fetch_timeout", KEY_DURATION, FIELD(fetch_timeout), 1, 10 * MINUTE, "1s..10m"},
        {"max_bundle_size", KEY_SIZE, FIELD(max_bundle_size), 0, 0, NULL},
        {"ca_file", KEY_PATH, FIELD(ca_file), 0, 0, NULL},
        {"client_cert", KEY_PATH, FIELD(client_cert), 0, 0, NULL},
        {"client_key", KEY_PATH, FIELD(client_key), 0, 0, NULL},
        {"pinned_pubkey", KEY_PINNED_PUBKEY, FIELD(pinned_pubkey), 0, 0, NULL},
        {"allow_http", KEY_BOOLEAN, FIELD(allow_http), 0, 0, NULL},
        {"store_auth", KEY_STORE, FIELD(store_auth), 0, 0, NULL},
        {"store_endpoint", KEY_STORE, FIELD(store_endpoint), 0, 0, NULL},
        {"store_region", KEY_STORE, FIELD(store_region), 0, 0, NULL},
        {"store_client_id", KEY_STORE, FIELD(store_client_id), 0, 0, NULL},
        {"stale_after", KEY_DURATION, FIELD(stale_after), 0, 30 * DAY, "0..30d"},
        {"stale_policy", KEY_STALE_POLICY, FIELD(stale_policy), 0, 0, NULL},
        {"exempt_users", KEY_USERS, FIELD(exempt_users), 0, 0, NULL},
        {"exempt_group", KEY_GROUP, FIELD(exempt_group), 0, 0, NULL},
        {"on_sudo_expiry", KEY_ON_SUDO_EXPIRY, FIELD(on_sudo_expiry), 0, 0, NULL},
        {"warn_before", KEY_WARN_BEFORE, FIELD(warn_before), 1, DAY, "1s..1d"},
        {"kill_grace", KEY_DURATION, FIELD(kill_grace), 0, 5 * MINUTE, "0..5m"},
        {"create_users", KEY_BOOLEAN, FIELD(create_users), 0, 0, NULL},
        {"user_uid_range", KEY_UID_RANGE, FIELD(user_uid_range), 0, 0, NULL},
        {"user_home_base", KEY_PATH, FIELD(user_home_base), 0, 0, NULL},
        {"user_shell", KEY_PATH, FIELD(user_shell), 0, 0, NULL},
};

/* A macro, not a variadic function: the message is formatted once, and a
 * caller (and clang's analyser, which does not follow variadic calls) sees
 * that the result is negative. fmt is always a string literal. */
#define line_error(err, line, fmt, ...)                                                            \
        jit_error_set((err), EINVAL, JIT_REASON_CONFIG, "line %u: " fmt, (unsigned) (line),        \
                      ##__VA_ARGS__)

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *len) {
        while (*len > 0 && is_blank(**s)) {
                (*s)++;
                (*len)--;
        }
        while (*len > 0 && is_blank((*s)[*len - 1]))
                (*len)--;
}

/* Printable ASCII without spaces: paths, URLs and issuers hold no
 * whitespace, so none can hide in them. */
static bool is_graph_string(const char *s) {
        if (*s == '\0')
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= 0x20 || (unsigned char) *s >= 0x7f)
                        return false;
        return true;
}

static bool path_is_valid(const char *s) {
        return s[0] == '/' && is_graph_string(s);
}

static int base64_char_value(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

/* "sha256//" + the standard base64 of 32 bytes: 43 characters, the last
 * with its two unused bits zero, then one '='. */
static bool pin_is_valid(const char *s, size_t len) {
        const size_t prefix = strlen("sha256//");
        int v = 0;

        if (len != prefix + 44 || memcmp(s, "sha256//", prefix) != 0 || s[len - 1] != '=')
                return false;
        for (size_t i = prefix; i < len - 1; i++) {
                v = base64_char_value(s[i]);
                if (v < 0)
                        return false;
        }
        return (v & 3) == 0;
}

static bool pinned_pubkey_is_valid(const char *s) {
        if (s[0] == '/')
                return path_is_valid(s);
        for (;;) {
                size_t l = strcspn(s, ";");

                if (!pin_is_valid(s, l))
                        return false;
                if (s[l] == '\0')
                        return true;
                s += l + 1;
        }
}

static bool is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool bundle_url_is_valid(const char *s) {
        static const char *const schemes[] = {"https://", "http://", "file:///", "s3://", "gs://"};
        bool scheme_ok = false;

        if (strlen(s) > JIT_BUNDLE_URL_MAX || !is_graph_string(s))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(schemes); i++) {
                size_t l = strlen(schemes[i]);

                if (strncmp(s, schemes[i], l) == 0 && s[l] != '\0')
                        scheme_ok = true;
        }
        if (!scheme_ok)
                return false;
        /* '%' is the host id (%h) or a percent-escape; anything else is a
         * typo the agent would otherwise send to the store verbatim. */
        for (const char *p = s; *p; p++)
                if (*p == '%') {
                        if (p[1] == 'h')
                                p++;
                        else if (is_hex(p[1]) && is_hex(p[2]))
                                p += 2;
                        else
                                return false;
                }
        return true;
}

/* "16M", "1024", "512K": bytes, powers of 1024. */
static int parse_size(const char *s, uint64_t *ret) {
        uint64_t n = 0, mult = 1;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++) {
                unsigned d = (unsigned) (*s - '0');

                if (n > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                n = n * 10 + d;
        }
        if (*s != '\0') {
                if (*s == 'K')
                        mult = 1024;
                else if (*s == 'M')
                        mult = 1024 * 1024;
                else if (*s == 'G')
                        mult = 1024 * 1024 * 1024;
                else
                        return -EINVAL;
                if (s[1] != '\0')
                        return -EINVAL;
        }
        if (n > UINT64_MAX / mult)
                return -ERANGE;
        *ret = n * mult;
        return 0;
}

/* Split "a, b ,c" into trimmed entries; an empty entry is an error. */
static int split_list(const char *s, const char *key, unsigned line, char ***ret,
                      struct jit_error *err) {
        _cleanup_strv_free_ char **l = strv_new_empty();

        if (!l)
                return jit_error_oom(err);
        for (;;) {
                size_t n = strcspn(s, ",");
                const char *item = s;
                size_t il = n;
                _cleanup_free_ char *copy = NULL;

                trim(&item, &il);
                if (il == 0)
                        return line_error(err, line, "'%s' has an empty entry", key);
                copy = strndup(item, il);
                if (!copy || strv_extend(&l, copy) < 0)
                        return jit_error_oom(err);
                if (s[n] == '\0')
                        break;
                s += n + 1;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int cmp_int64_desc(const void *a, const void *b) {
        int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;

        return x < y ? 1 : x > y ? -1 : 0;
}

static int parse_issuers(struct jit_config *c, const char *v, const struct key_def *k,
                         unsigned line, struct jit_error *err) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = split_list(v, k->name, line, &l, err);
        if (r < 0)
                return r;
        for (size_t i = 0; l[i]; i++) {
                if (strlen(l[i]) > JIT_CLAIM_STRING_MAX || !is_graph_string(l[i]))
                        return line_error(err, line, "issuers: invalid issuer '%.64s'", l[i]);
                for (size_t j = 0; j < i; j++)
                        if (streq(l[i], l[j]))
                                return line_error(err, line, "issuers: '%.64s' listed twice", l[i]);
        }
        strv_free(c->issuers);
        c->issuers = TAKE_PTR(l);
        return 0;
}

/* Fact keys, or families ending in '.'; each at most once. */
static int parse_selector_facts(struct jit_config *c, const char *v, const struct key_def *k,
                                unsigned line, struct jit_error *err) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = split_list(v, k->name, line, &l, err);
        if (r < 0)
                return r;
        for (size_t i = 0; l[i]; i++) {
                if (i >= JIT_FACTS_MAX || !fact_key_is_valid(l[i], strlen(l[i])))
                        return line_error(err, line, "%s: '%.64s' is not a fact key or family",
                                          k->name, l[i]);
                for (size_t j = 0; j < i; j++)
                        if (streq(l[i], l[j]))
                                return line_error(err, line, "%s: '%.64s' listed twice", k->name,
                                                  l[i]);
        }
        strv_free(c->selector_facts);
        c->selector_facts = TAKE_PTR(l);
        return 0;
}

static int parse_labels(struct jit_config *c, const char *v, const struct key_def *k, unsigned line,
                        struct jit_error *err) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = split_list(v, k->name, line, &l, err);
        if (r < 0)
                return r;
        if (strv_length(l) >= JIT_FACTS_MAX)
                return line_error(err, line, "labels: more than %u labels", JIT_FACTS_MAX - 1);
        for (size_t i = 0; l[i]; i++) {
                size_t kl = strcspn(l[i], "=");

                if (l[i][kl] != '=' || !fact_key_is_valid(l[i], kl) ||
                    !fact_value_is_valid(l[i] + kl + 1, strlen(l[i] + kl + 1)))
                        return line_error(err, line, "labels: '%.64s' is not a valid key=value",
                                          l[i]);
                /* host= is always the host id: a label must not contradict it. */
                if (kl == 4 && memcmp(l[i], "host", 4) == 0)
                        return line_error(err, line, "labels: the key 'host' is reserved");
                for (size_t j = 0; j < i; j++)
                        if (strncmp(l[j], l[i], kl + 1) == 0)
                                return line_error(err, line, "labels: key '%.*s' given twice",
                                                  (int) kl, l[i]);
        }
        strv_free(c->labels);
        c->labels = TAKE_PTR(l);
        return 0;
}

static int parse_users(struct jit_config *c, const char *v, const struct key_def *k, unsigned line,
                       struct jit_error *err) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = split_list(v, k->name, line, &l, err);
        if (r < 0)
                return r;
        for (size_t i = 0; l[i]; i++) {
                if (!user_name_is_valid(l[i], strlen(l[i])))
                        return line_error(err, line, "exempt_users: invalid user name '%.64s'",
                                          l[i]);
                for (size_t j = 0; j < i; j++)
                        if (streq(l[i], l[j]))
                                return line_error(err, line, "exempt_users: '%s' listed twice",
                                                  l[i]);
        }
        strv_free(c->exempt_users);
        c->exempt_users = TAKE_PTR(l);
        return 0;
}

static int parse_warn_before(struct jit_config *c, const char *v, const struct key_def *k,
                             unsigned line, struct jit_error *err) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ int64_t *w = NULL;
        size_t n, m = 0;
        int r;

        r = split_list(v, k->name, line, &l, err);
        if (r < 0)
                return r;
        n = strv_length(l);
        if (n > JIT_WARN_BEFORE_MAX)
                return line_error(err, line, "warn_before: more than %u entries",
                                  JIT_WARN_BEFORE_MAX);
        w = calloc(n, sizeof(int64_t));
        if (!w)
                return jit_error_oom(err);
        for (size_t i = 0; i < n; i++) {
                r = parse_duration(l[i], k->max, &w[i]);
                if (r == -EINVAL)
                        return line_error(err, line, "warn_before: invalid duration '%.64s'", l[i]);
                if (r < 0 || w[i] < k->min)
                        return line_error(err, line, "warn_before: '%.64s' out of range (%s)", l[i],
                                          k->range);
        }
        qsort(w, n, sizeof(int64_t), cmp_int64_desc);
        for (size_t i = 0; i < n; i++)
                if (m == 0 || w[m - 1] != w[i])
                        w[m++] = w[i];
        free(c->warn_before);
        c->warn_before = TAKE_PTR(w);
        c->n_warn_before = m;
        return 0;
}

/* "MIN-MAX", both decimal uids: the uids (and gids) of the accounts the
 * agent creates. Never the system range (below 1000), nor 65534 (nobody),
 * nor 65535 and (uid_t) -1, which mean "no uid" to the kernel and to
 * chown(2). */
static int parse_uid_range(struct jit_config *c, const char *v, unsigned line,
                           struct jit_error *err) {
        const char *dash = strchr(v, '-');
        uint64_t lo, hi;

        if (!dash || !parse_uint_strict(v, (size_t) (dash - v), UINT32_MAX - 1, &lo) ||
            !parse_uint_strict(dash + 1, strlen(dash + 1), UINT32_MAX - 1, &hi))
                return line_error(err, line, "user_uid_range: expected MIN-MAX, e.g. %u-%u",
                                  JIT_USER_UID_MIN_DEFAULT, JIT_USER_UID_MAX_DEFAULT);
        if (lo > hi)
                return line_error(err, line, "user_uid_range: %llu is above %llu",
                                  (unsigned long long) lo, (unsigned long long) hi);
        if (lo < 1000)
                return line_error(err, line, "user_uid_range: below 1000 are system users' uids");
        if ((lo <= 65535 && hi >= 65534) || hi - lo >= JIT_USER_UID_RANGE_MAX)
                return line_error(err, line,
                                  "user_uid_range: must not hold 65534 or 65535, and at most %u "
                                  "uids",
                                  JIT_USER_UID_RANGE_MAX);
        c->user_uid_range.min = (uid_t) lo;
        c->user_uid_range.max = (uid_t) hi;
        return 0;
}

static int set_string(char **field, const char *v, struct jit_error *err) {
        char *copy = strdup(v);

        if (!copy)
                return jit_error_oom(err);
        free(*field);
        *field = copy;
        return 0;
}

static int parse_value(struct jit_config *c, const struct key_def *k, const char *v, unsigned line,
                       struct jit_error *err) {
        void *field = (char *) c + k->offset;
        int64_t d;
        uint64_t sz;
        bool b;
        int r;

        switch (k->type) {
        case KEY_ISSUERS:
                return parse_issuers(c, v, k, line, err);
        case KEY_PATH:
                if (!path_is_valid(v))
                        return line_error(err, line, "%s: not an absolute path", k->name);
                return set_string(field, v, err);
        case KEY_PINNED_PUBKEY:
                if (!pinned_pubkey_is_valid(v))
                        return line_error(err, line,
                                          "%s: not an absolute path or sha256//BASE64 pins",
                                          k->name);
                return set_string(field, v, err);
        case KEY_DURATION:
                r = parse_duration(v, k->max, &d);
                if (r == -EINVAL)
                        return line_error(err, line, "%s: invalid duration '%.64s'", k->name, v);
                if (r < 0 || d < k->min)
                        return line_error(err, line, "%s: '%.64s' out of range (%s)", k->name, v,
                                          k->range);
                *(int64_t *) field = d;
                return 0;
        case KEY_SIZE:
                r = parse_size(v, &sz);
                if (r == -EINVAL)
                        return line_error(err, line, "%s: invalid size '%.64s'", k->name, v);
                if (r < 0 || sz < 1024 || sz > JIT_HEAD_TOKEN_MAX)
                        return line_error(err, line, "%s: '%.64s' out of range (1K..%uM)", k->name,
                                          v, JIT_HEAD_TOKEN_MAX / (1024u * 1024u));
                *(uint64_t *) field = sz;
                return 0;
        case KEY_HOST_ID:
                if (!fact_value_is_valid(v, strlen(v)))
                        return line_error(err, line, "%s: not a valid fact value", k->name);
                return set_string(field, v, err);
        case KEY_LABELS:
                return parse_labels(c, v, k, line, err);
        case KEY_URL:
                if (!bundle_url_is_valid(v))
                        return line_error(
                                err, line,
                                "%s: not an https://, http://, file:///, s3:// or gs:// URL",
                                k->name);
                return set_string(field, v, err);
        case KEY_BOOLEAN:
                if (parse_boolean(v, &b) < 0)
                        return line_error(err, line, "%s: invalid boolean '%.64s'", k->name, v);
                *(bool *) field = b;
                return 0;
        case KEY_STALE_POLICY:
                if (streq(v, "deny"))
                        c->stale_policy = STALE_POLICY_DENY;
                else if (streq(v, "keep"))
                        c->stale_policy = STALE_POLICY_KEEP;
                else
                        return line_error(err, line, "%s: expected deny or keep", k->name);
                return 0;
        case KEY_ON_SUDO_EXPIRY:
                if (streq(v, "session"))
                        c->on_sudo_expiry = ON_SUDO_EXPIRY_SESSION;
                else if (streq(v, "elevated"))
                        c->on_sudo_expiry = ON_SUDO_EXPIRY_ELEVATED;
                else
                        return line_error(err, line, "%s: expected session or elevated", k->name);
                return 0;
        case KEY_USERS:
                return parse_users(c, v, k, line, err);
        case KEY_GROUP:
                if (!user_name_is_valid(v, strlen(v)))
                        return line_error(err, line, "%s: invalid group name", k->name);
                return set_string(field, v, err);
        case KEY_WARN_BEFORE:
                return parse_warn_before(c, v, k, line, err);
        case KEY_STORE: {
                const char *why = store_conf_check(k->name, v);
                if (why)
                        return line_error(err, line, "%s: %s", k->name, why);
                return set_string(field, v, err);
        }
        case KEY_CLOUD:
                if (cloud_from_string(v, &c->cloud) < 0)
                        return line_error(err, line, "%s: expected auto, aws, gcp, azure or none",
                                          k->name);
                return 0;
        case KEY_SELECTOR_FACTS:
                return parse_selector_facts(c, v, k, line, err);
        case KEY_UID_RANGE:
                return parse_uid_range(c, v, line, err);
        }
        return line_error(err, line, "%s: internal error", k->name);
}

int config_parse(const char *text, size_t len, struct jit_config **ret, struct jit_error *err) {
        _cleanup_(config_freep) struct jit_config *c = NULL;
        unsigned seen[ELEMENTSOF(keys)] = {}, line = 0, url_line = 0;
        size_t pos = 0;
        int r;

        if (!ret || (!text && len > 0))
                return jit_error_set(err, EINVAL, JIT_REASON_CONFIG, "no config text");
        if (len > JIT_CONFIG_FILE_MAX) {
                /* Name the line where the limit was crossed. */
                unsigned n = 1;

                for (size_t i = 0; i < JIT_CONFIG_FILE_MAX; i++)
                        if (text[i] == '\n')
                                n++;
                return line_error(err, n, "file larger than %u bytes", JIT_CONFIG_FILE_MAX);
        }
        r = config_new(&c);
        if (r < 0)
                return jit_error_oom(err);

        while (pos < len) {
                const char *l = text + pos, *nl, *eq, *key, *val;
                size_t ll, kl, vl, i;
                _cleanup_free_ char *value = NULL;

                line++;
                nl = memchr(l, '\n', len - pos);
                ll = nl ? (size_t) (nl - l) : len - pos;
                pos += ll + (nl ? 1 : 0);

                if (ll > JIT_CONFIG_LINE_MAX)
                        return line_error(err, line, "longer than %u bytes", JIT_CONFIG_LINE_MAX);
                if (memchr(l, '\0', ll))
                        return line_error(err, line, "NUL byte");
                /* CR, escape sequences and the like have no place in a
                 * config a human reviews on a terminal. */
                for (i = 0; i < ll; i++)
                        if (((unsigned char) l[i] < 0x20 && l[i] != '\t') || l[i] == 0x7f)
                                return line_error(err, line, "control character");

                trim(&l, &ll);
                if (ll == 0 || l[0] == '#')
                        continue;

                eq = memchr(l, '=', ll);
                if (!eq)
                        return line_error(err, line, "expected 'key = value'");
                key = l;
                kl = (size_t) (eq - l);
                trim(&key, &kl);
                val = eq + 1;
                vl = ll - (size_t) (eq - l) - 1;
                trim(&val, &vl);
                if (kl == 0)
                        return line_error(err, line, "expected 'key = value'");

                for (i = 0; i < ELEMENTSOF(keys); i++)
                        if (strlen(keys[i].name) == kl && memcmp(keys[i].name, key, kl) == 0)
                                break;
                if (i >= ELEMENTSOF(keys))
                        return line_error(err, line, "unknown key '%.*s'",
                                          (int) (kl > 64 ? 64 : kl), key);
                if (seen[i] != 0)
                        return line_error(err, line, "'%s' given twice (first on line %u)",
                                          keys[i].name, seen[i]);
                seen[i] = line;
                if (vl == 0)
                        return line_error(err, line, "'%s' has an empty value", keys[i].name);

                value = strndup(val, vl);
                if (!value)
                        return jit_error_oom(err);
                r = parse_value(c, &keys[i], value, line, err);
                if (r < 0)
                        return r;
                if (keys[i].type == KEY_URL)
                        url_line = line;
        }

        /* Only now is allow_http known, wherever it stands in the file. */
        if (c->bundle_url && strncmp(c->bundle_url, "http://", 7) == 0 && !c->allow_http)
                return line_error(err, url_line,
                                  "bundle_url: http:// is refused unless allow_http = yes");
        if (c->store_endpoint && strncmp(c->store_endpoint, "http://", 7) == 0 && !c->allow_http)
                return jit_error_set(err, EINVAL, JIT_REASON_CONFIG,
                                     "store_endpoint: http:// is refused unless allow_http = yes");

        *ret = TAKE_PTR(c);
        return 0;
}

int config_load(const char *path, uid_t owner, struct jit_config **ret, struct jit_error *err) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        r = read_file_secure(path, owner, JIT_CONFIG_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r; /* its message names the path already */
        r = config_parse(text, len, ret, err);
        if (r < 0)
                jit_error_prefix(err, "%s", path);
        return r;
}

void config_grant_policy(const struct jit_config *c, struct grant_policy *ret) {
        if (!ret)
                return;
        *ret = (struct grant_policy){
                .issuers = c ? c->issuers : NULL,
                .max_ttl = c ? c->max_grant_ttl : 0,
                .clock_skew = c ? c->clock_skew : 0,
        };
}
