/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileio.h"
#include "host-status.h"
#include "kv-lines.h"
#include "macro.h"
#include "parse.h"

#define AGENT_STATUS_MAX 4096

static const char *const freshness_names[_STORE_FRESHNESS_MAX] = {
        [STORE_NO_BUNDLE] = "no-bundle",
        [STORE_FRESH] = "fresh",
        [STORE_UNREACHABLE] = "unreachable",
        [STORE_STALE_ADMITTING] = "stale-but-admitting",
        [STORE_STALE_REFUSING] = "stale-and-refusing",
};

const char *store_freshness_name(enum store_freshness f) {
        return (unsigned) f < _STORE_FRESHNESS_MAX ? freshness_names[f] : "?";
}

int store_freshness_from_name(const char *s) {
        for (int i = 0; s && i < _STORE_FRESHNESS_MAX; i++)
                if (streq(s, freshness_names[i]))
                        return i;
        return -EINVAL;
}

enum store_freshness store_freshness_of(const struct jit_config *c, const struct host_state *st,
                                        unsigned failures, int64_t now) {
        int64_t skew = c ? c->clock_skew : 0;

        if (!st || st->serial == 0)
                return STORE_NO_BUNDLE;
        /* The same instant pam_jit's decision uses (host_store_is_stale()). */
        if (now - skew < st->bundle_exp)
                return failures > 0 ? STORE_UNREACHABLE : STORE_FRESH;
        if (c && c->stale_policy == STALE_POLICY_DENY &&
            host_store_is_stale(c, st->bundle_exp, now))
                return STORE_STALE_REFUSING;
        return STORE_STALE_ADMITTING;
}

void host_status_line(const struct host_status *s, char *buf, size_t size) {
        char next[32] = "none";

        if (s->next_expiry > 0) {
                time_t tt = (time_t) s->next_expiry;
                struct tm tm;

                if (!gmtime_r(&tt, &tm) || strftime(next, sizeof(next), "%H:%M:%S UTC", &tm) == 0)
                        (void) snprintf(next, sizeof(next), "?");
        }
        (void) snprintf(buf, size, "%zu grant%s, %zu session%s, next expiry %s, store %s%s%s%s",
                        s->n_grants, s->n_grants == 1 ? "" : "s", s->n_sessions,
                        s->n_sessions == 1 ? "" : "s", next, store_freshness_name(s->store),
                        s->problem[0] ? " (" : "", s->problem, s->problem[0] ? ")" : "");
}

/* "key value\n" at text + at, the value one line of printable text (it
 * comes from a fetch error): the length written, or -EINVAL. */
static int append_text_line(char *text, size_t size, size_t at, const char *key,
                            const char *value) {
        int m = snprintf(text + at, size - at, "%s %s\n", key, value);

        if (m < 0 || (size_t) m >= size - at)
                return -EINVAL;
        for (size_t i = at + strlen(key) + 1; i < at + (size_t) m - 1; i++)
                if ((unsigned char) text[i] < 0x20 || text[i] == 0x7f)
                        text[i] = '?';
        return m;
}

int host_status_save(const char *run_dir, const struct host_status *s, struct jit_error *err) {
        _cleanup_free_ char *path = NULL;
        char text[AGENT_STATUS_MAX];
        int k, r;

        k = snprintf(text, sizeof(text),
                     "pid %d\nupdated %" PRId64 "\nstore %s\nserial %" PRIu64
                     "\nbundle-exp %" PRId64 "\nlast-fetch %" PRId64 "\nfailures %u\n"
                     "store-skew %" PRId64 "\ngrants %zu\nsessions %zu\nnext-expiry %" PRId64 "\n",
                     (int) s->pid, s->updated, store_freshness_name(s->store), s->serial,
                     s->bundle_exp, s->last_fetch, s->failures, s->store_skew, s->n_grants,
                     s->n_sessions, s->next_expiry);
        if (k < 0 || (size_t) k >= sizeof(text))
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "status too long");
        if (s->problem[0]) {
                r = append_text_line(text, sizeof(text), (size_t) k, "problem", s->problem);
                if (r < 0)
                        return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "status too long");
                k += r;
        }
        if (s->error[0]) {
                r = append_text_line(text, sizeof(text), (size_t) k, "error", s->error);
                if (r < 0)
                        return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "status too long");
                k += r;
        }
        path = path_join3(run_dir, AGENT_STATUS_FILE, NULL);
        if (!path)
                return jit_error_set(err, ENOMEM, JIT_REASON_SYSTEM, "out of memory");
        /* Rewritten after every reconcile: no fsync, /run is a tmpfs. */
        return write_file_atomic_flags(path, text, (size_t) k, 0644, WRITE_FILE_NO_SYNC, err);
}

/* A time or a signed number of seconds (the store's skew may be < 0). */
static bool parse_i64(const struct kv_line *l, int64_t *ret) {
        bool neg = l->value_len > 1 && l->value[0] == '-';
        int64_t t;

        if (!parse_time_strict(l->value + neg, l->value_len - neg, &t))
                return false;
        *ret = neg ? -t : t;
        return true;
}

int host_status_load(const char *run_dir, struct host_status *ret, struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        struct host_status s = {};
        const char *p, *end;
        struct kv_line l = {};
        size_t len = 0;
        int r;

        *ret = (struct host_status){};
        path = path_join3(run_dir, AGENT_STATUS_FILE, NULL);
        if (!path)
                return jit_error_set(err, ENOMEM, JIT_REASON_SYSTEM, "out of memory");
        r = read_file_secure(path, 0, AGENT_STATUS_MAX, &text, &len, err);
        if (r < 0)
                return r;
        p = text;
        end = text + len;
        while (p < end) {
                uint64_t u = 0;
                int64_t t = 0;
                bool ok = true;

                r = kv_line_next(&p, end, &l, err);
                if (r < 0)
                        return r;
                if (kv_is(&l, "store")) {
                        char name[32];

                        ok = l.value_len < sizeof(name);
                        if (ok) {
                                memcpy(name, l.value, l.value_len);
                                name[l.value_len] = '\0';
                                r = store_freshness_from_name(name);
                                ok = r >= 0;
                                s.store = ok ? (enum store_freshness) r : STORE_NO_BUNDLE;
                        }
                } else if (kv_is(&l, "problem")) {
                        ok = l.value_len < sizeof(s.problem);
                        if (ok) {
                                memcpy(s.problem, l.value, l.value_len);
                                s.problem[l.value_len] = '\0';
                        }
                } else if (kv_is(&l, "error")) {
                        ok = l.value_len < sizeof(s.error);
                        if (ok) {
                                memcpy(s.error, l.value, l.value_len);
                                s.error[l.value_len] = '\0';
                        }
                } else if (kv_is(&l, "serial"))
                        ok = parse_uint_strict(l.value, l.value_len, UINT64_MAX, &s.serial);
                else if (kv_is(&l, "pid") || kv_is(&l, "failures") || kv_is(&l, "grants") ||
                         kv_is(&l, "sessions")) {
                        ok = parse_uint_strict(l.value, l.value_len, INT32_MAX, &u);
                        if (kv_is(&l, "pid"))
                                s.pid = (pid_t) u;
                        else if (kv_is(&l, "failures"))
                                s.failures = (unsigned) u;
                        else if (kv_is(&l, "grants"))
                                s.n_grants = (size_t) u;
                        else
                                s.n_sessions = (size_t) u;
                } else if (kv_is(&l, "updated") || kv_is(&l, "bundle-exp") ||
                           kv_is(&l, "last-fetch") || kv_is(&l, "store-skew") ||
                           kv_is(&l, "next-expiry")) {
                        ok = parse_i64(&l, &t);
                        if (kv_is(&l, "updated"))
                                s.updated = t;
                        else if (kv_is(&l, "bundle-exp"))
                                s.bundle_exp = t;
                        else if (kv_is(&l, "last-fetch"))
                                s.last_fetch = t;
                        else if (kv_is(&l, "store-skew"))
                                s.store_skew = t;
                        else
                                s.next_expiry = t;
                } else
                        return kv_unknown(&l, err);
                if (!ok)
                        return kv_bad_value(&l, err);
        }
        *ret = s;
        return 0;
}
