/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state_dir/state: the serial, digest and times of the accepted bundle,
 * and when the store goes stale. */

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "host-state.h"
#include "jit-limits.h"
#include "kv-lines.h"
#include "parse.h"

static bool is_hex64(const char *s, size_t len) {
        if (len != 64)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

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

                r = kv_line_next(&p, end, &l, err);
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
                        ok = parse_time_annotated(l.value, l.value_len, &s.bundle_iat);
                } else if (kv_is(&l, "bundle-exp")) {
                        bit = SEEN_EXP;
                        ok = parse_time_annotated(l.value, l.value_len, &s.bundle_exp);
                } else if (kv_is(&l, "accepted")) {
                        bit = SEEN_ACCEPTED;
                        ok = parse_time_annotated(l.value, l.value_len, &s.accepted);
                } else if (kv_is(&l, "last-fetch")) {
                        bit = SEEN_FETCH;
                        ok = parse_time_annotated(l.value, l.value_len, &s.last_fetch);
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
        /* Each time in seconds for the programs, then in UTC for a person
         * reading the file (parse_time_annotated()). */
        {
                char iso[4][ISO8601_UTC_LEN + 1];
                const int64_t t[] = {s->bundle_iat, s->bundle_exp, s->accepted, s->last_fetch};

                for (size_t i = 0; i < ELEMENTSOF(t); i++)
                        if (!format_iso8601_utc(t[i], iso[i]))
                                return -EINVAL;
                if (asprintf(&text,
                             "serial %" PRIu64 "\n%sbundle-iat %" PRId64 " %s\nbundle-exp %" PRId64
                             " %s\naccepted %" PRId64 " %s\nlast-fetch %" PRId64 " %s\n",
                             s->serial, sha, t[0], iso[0], t[1], iso[1], t[2], iso[2], t[3],
                             iso[3]) < 0)
                        return -ENOMEM;
        }
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
