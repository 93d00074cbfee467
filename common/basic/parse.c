/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "jit-limits.h"
#include "macro.h"
#include "parse.h"

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int parse_duration(const char *s, int64_t max, int64_t *ret) {
        /* Units must come in descending order, each at most once ("1h30m",
         * not "30m1h" or "1m1m"): one spelling per value keeps configs
         * reviewable. */
        static const struct {
                char unit;
                int64_t seconds;
        } units[] = {
                {'w', 7 * 24 * 3600}, {'d', 24 * 3600}, {'h', 3600}, {'m', 60}, {'s', 1},
        };
        size_t next_unit = 0;
        int64_t total = 0;
        const char *p;

        if (!s || !ret || *s == '\0')
                return -EINVAL;

        p = s;
        while (*p != '\0') {
                int64_t n = 0, mult;
                size_t u;

                if (!is_digit(*p))
                        return -EINVAL; /* sign, space, unit without a number */
                for (; is_digit(*p); p++) {
                        int d = *p - '0';

                        if (n > (INT64_MAX - d) / 10)
                                return -ERANGE;
                        n = n * 10 + d;
                }

                if (*p == '\0') {
                        /* A bare number means seconds, but only on its own:
                         * "1h30" is more likely a typo than 1h and 30s. */
                        if (p != s && next_unit != 0)
                                return -EINVAL;
                        mult = 1;
                } else {
                        for (u = next_unit; u < ELEMENTSOF(units); u++)
                                if (units[u].unit == *p)
                                        break;
                        if (u >= ELEMENTSOF(units))
                                return -EINVAL; /* unknown or out-of-order unit */
                        mult = units[u].seconds;
                        next_unit = u + 1;
                        p++;
                }

                if (n > INT64_MAX / mult)
                        return -ERANGE;
                n *= mult;
                if (total > INT64_MAX - n)
                        return -ERANGE;
                total += n;
        }

        if (total > max)
                return -ERANGE;
        *ret = total;
        return 0;
}

int parse_boolean(const char *s, bool *ret) {
        static const char *const yes[] = {"yes", "true", "on", "1"};
        static const char *const no[] = {"no", "false", "off", "0"};

        if (!s || !ret)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (streq(s, yes[i])) {
                        *ret = true;
                        return 0;
                }
                if (streq(s, no[i])) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

bool user_name_is_valid(const char *s, size_t len) {
        bool all_digits = true;

        if (!s || len < 1 || len > JIT_USER_NAME_MAX)
                return false;
        if (!is_alpha(s[0]) && s[0] != '_')
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '.' && c != '-')
                        return false; /* also NUL, '/', whitespace */
                if (!is_digit(c))
                        all_digits = false;
        }
        /* Unreachable given the first-character rule, but these are the
         * rules that matter if that rule is ever relaxed. */
        if (all_digits)
                return false;
        if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
                return false;
        return true;
}

static int base64_value(char c) {
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

/* Strict standard base64 (RFC 4648 §4): length a multiple of 4, padding only
 * at the end, unused bits zero. Writes at most out_size bytes but checks the
 * whole input; returns the decoded length or -EINVAL. */
static ssize_t base64_decode_strict(const char *s, size_t len, uint8_t *out, size_t out_size) {
        size_t n = 0;

        if (len == 0 || len % 4 != 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i += 4) {
                int v[4];
                size_t pad = 0;
                bool last = i + 4 == len;
                uint32_t w;

                for (size_t j = 0; j < 4; j++) {
                        if (s[i + j] == '=') {
                                /* Only "xx==" or "xxx=" in the last quartet. */
                                if (!last || j < 2)
                                        return -EINVAL;
                                pad++;
                                v[j] = 0;
                                continue;
                        }
                        if (pad > 0)
                                return -EINVAL; /* data after padding */
                        v[j] = base64_value(s[i + j]);
                        if (v[j] < 0)
                                return -EINVAL;
                }
                w = (uint32_t) v[0] << 18 | (uint32_t) v[1] << 12 | (uint32_t) v[2] << 6 |
                    (uint32_t) v[3];
                if ((pad == 2 && (w & 0xffff) != 0) || (pad == 1 && (w & 0xff) != 0))
                        return -EINVAL; /* non-canonical: unused bits set */
                for (size_t j = 0; j < 3 - pad; j++, n++)
                        if (n < out_size)
                                out[n] = (uint8_t) (w >> (16 - 8 * j));
        }
        return (ssize_t) n;
}

bool ssh_public_key_is_valid(const char *s, size_t len) {
        static const char *const types[] = {
                "ssh-ed25519",
                "ssh-rsa",
                "ecdsa-sha2-nistp256",
                "ecdsa-sha2-nistp384",
                "ecdsa-sha2-nistp521",
                "sk-ssh-ed25519@openssh.com",
                "sk-ecdsa-sha2-nistp256@openssh.com",
        };
        /* Only the embedded length and type name are compared. */
        uint8_t head[4 + 64];
        const char *type = NULL, *blob, *end = s + len, *sp;
        size_t type_len = 0, blob_len;
        ssize_t n;
        uint32_t embedded;

        if (!s || len == 0 || len > JIT_SSH_KEY_MAX)
                return false;
        /* Printable ASCII only: no NUL, tab, CR or LF can smuggle a second
         * authorized_keys line or hide text from a reviewer. */
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e)
                        return false;

        /* The line must begin with a known type followed by one space; this
         * is what refuses options such as 'command="…" ssh-ed25519 …'. */
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                size_t l = strlen(types[i]);

                if (len > l && memcmp(s, types[i], l) == 0 && s[l] == ' ') {
                        type = types[i];
                        type_len = l;
                        break;
                }
        }
        if (!type)
                return false;

        blob = s + type_len + 1;
        sp = memchr(blob, ' ', (size_t) (end - blob));
        blob_len = (size_t) ((sp ? sp : end) - blob);
        /* The comment after one space is free printable text (ssh-keygen
         * writes an empty one as a trailing space), checked above. */

        n = base64_decode_strict(blob, blob_len, head, sizeof(head));
        if (n < 0 || (size_t) n < 4 + type_len)
                return false;
        embedded = (uint32_t) head[0] << 24 | (uint32_t) head[1] << 16 | (uint32_t) head[2] << 8 |
                   (uint32_t) head[3];
        if (embedded != type_len || memcmp(head + 4, type, type_len) != 0)
                return false;
        return true;
}

bool parse_uint_strict(const char *s, size_t len, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
                return false;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                if (v > (UINT64_MAX - (uint64_t) (s[i] - '0')) / 10)
                        return false;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }
        if (v > max)
                return false;
        *ret = v;
        return true;
}

bool parse_time_strict(const char *s, size_t len, int64_t *ret) {
        uint64_t v;

        if (!parse_uint_strict(s, len, (uint64_t) JIT_TIME_MAX, &v))
                return false;
        *ret = (int64_t) v;
        return true;
}

bool format_iso8601_utc(int64_t t, char buf[ISO8601_UTC_LEN + 1]) {
        time_t tt = (time_t) t;
        struct tm tm;

        buf[0] = '\0';
        return gmtime_r(&tt, &tm) && tm.tm_year + 1900 <= 9999 && tm.tm_year + 1900 >= 0 &&
               strftime(buf, ISO8601_UTC_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) == ISO8601_UTC_LEN;
}

bool parse_time_annotated(const char *s, size_t len, int64_t *ret) {
        const char *sp = memchr(s, ' ', len);
        char iso[ISO8601_UTC_LEN + 1];
        int64_t t;

        if (!sp)
                return parse_time_strict(s, len, ret);
        if (!parse_time_strict(s, (size_t) (sp - s), &t))
                return false;
        if (len - (size_t) (sp - s) - 1 != ISO8601_UTC_LEN || !format_iso8601_utc(t, iso) ||
            memcmp(sp + 1, iso, ISO8601_UTC_LEN) != 0)
                return false;
        *ret = t;
        return true;
}
