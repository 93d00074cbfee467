/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "base64url.h"
#include "jit-limits.h"
#include "jitctl.h"
#include "json.h"
#include "parse.h"
#include "private-key.h"

int parse_epoch_arg(const char *opt, const char *s, int64_t *ret) {
        int64_t v = 0;

        if (!s || *s == '\0')
                goto fail;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        goto fail;
                if (v > (JIT_TIME_MAX - (*p - '0')) / 10)
                        goto fail;
                v = v * 10 + (*p - '0');
        }
        *ret = v;
        return 0;
fail:
        ctl_error("%s: '%s' is not a time in seconds since the epoch (0..%lld)", opt, strempty(s),
                  (long long) JIT_TIME_MAX);
        return -EINVAL;
}

int parse_duration_arg(const char *opt, const char *s, int64_t max, int64_t *ret) {
        char span[64];
        int r;

        r = parse_duration(s, max, ret);
        if (r == -ERANGE) {
                format_span(max, span, sizeof(span));
                ctl_error("%s: '%s' is longer than the maximum of %s", opt, s, span);
        } else if (r < 0)
                ctl_error("%s: '%s' is not a duration (e.g. 90s, 30m, 1h30m, 7d)", opt, s);
        return r;
}

char *path_join(const char *a, const char *b) {
        char *p;

        if (asprintf(&p, "%s/%s", a, b) < 0)
                return NULL;
        return p;
}

static int read_fd_capped(int fd, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size = 0;

        for (;;) {
                ssize_t n;

                if (len + 1 >= size) {
                        size_t nsize = size ? size * 2 : 4096;
                        char *nbuf;

                        if (nsize > max + 2)
                                nsize = max + 2;
                        nbuf = realloc(buf, nsize);
                        if (!nbuf)
                                return -ENOMEM;
                        buf = nbuf;
                        size = nsize;
                }
                n = read(fd, buf + len, size - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int read_file_capped(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if (streq(path, "-")) {
                r = read_fd_capped(STDIN_FILENO, max, ret, ret_len);
                if (r == -EFBIG)
                        ctl_error("standard input: larger than %zu bytes", max);
                else if (r < 0)
                        ctl_error("standard input: %s", strerror(-r));
                return r;
        }

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                ctl_error("%s: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                ctl_error("%s: %s", path, strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                ctl_error("%s: not a regular file", path);
                return -EINVAL;
        }
        r = read_fd_capped(fd, max, ret, ret_len);
        if (r == -EFBIG)
                ctl_error("%s: larger than %zu bytes", path, max);
        else if (r < 0)
                ctl_error("%s: %s", path, strerror(-r));
        return r;
}

size_t strip_whitespace(char **s, size_t len) {
        char *p = *s;

        while (len > 0 && strchr(" \t\r\n", p[len - 1]))
                p[--len] = '\0';
        while (len > 0 && strchr(" \t\r\n", *p)) {
                p++;
                len--;
        }
        *s = p;
        return len;
}

int jws_peek_payload(const char *token, size_t len, struct json_object **ret,
                     struct jit_error *err) {
        _cleanup_free_ uint8_t *payload = NULL;
        const char *dot1, *dot2;
        size_t payload_len;
        int r;

        dot1 = memchr(token, '.', len);
        if (!dot1)
                return jit_error_set(err, EBADMSG, JIT_REASON_MALFORMED, "not a compact JWS");
        dot2 = memchr(dot1 + 1, '.', len - (size_t) (dot1 + 1 - token));
        if (!dot2 || memchr(dot2 + 1, '.', len - (size_t) (dot2 + 1 - token)))
                return jit_error_set(err, EBADMSG, JIT_REASON_MALFORMED, "not a compact JWS");

        r = base64url_decode(dot1 + 1, (size_t) (dot2 - dot1 - 1), &payload, &payload_len, err);
        if (r < 0)
                return r;
        return json_parse_object_strict((const char *) payload, payload_len, JIT_JSON_DEPTH_MAX,
                                        ret, err);
}

int uuid4_string(char ret[static 37]) {
        uint8_t b[16];
        size_t got = 0;

        while (got < sizeof(b)) {
                ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                got += (size_t) n;
        }
        b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
        b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
        (void) snprintf(ret, 37,
                        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                        b[12], b[13], b[14], b[15]);
        return 0;
}

void format_utc(int64_t t, bool time_only, char *buf, size_t size) {
        time_t tt = (time_t) t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm) ||
            strftime(buf, size, time_only ? "%H:%M:%S UTC" : "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                (void) snprintf(buf, size, "@%" PRId64, t);
}

void format_span(int64_t s, char *buf, size_t size) {
        if (s < 0)
                s = -s;
        if (s < 60)
                (void) snprintf(buf, size, "%" PRId64 " s", s);
        else if (s < 3600)
                (void) snprintf(buf, size, "%" PRId64 " min", s / 60);
        else if (s < 86400) {
                if (s % 3600 / 60)
                        (void) snprintf(buf, size, "%" PRId64 " h %" PRId64 " min", s / 3600,
                                        s % 3600 / 60);
                else
                        (void) snprintf(buf, size, "%" PRId64 " h", s / 3600);
        } else {
                if (s % 86400 / 3600)
                        (void) snprintf(buf, size, "%" PRId64 " d %" PRId64 " h", s / 86400,
                                        s % 86400 / 3600);
                else
                        (void) snprintf(buf, size, "%" PRId64 " d", s / 86400);
        }
}

char *path_absolute(const char *p) {
        _cleanup_free_ char *cwd = NULL;

        /* The library opens files component by component from "/" (no
         * symlink followed), so it wants absolute paths; resolving symlinks
         * here with realpath() would defeat that. */
        if (p[0] == '/')
                return strdup(p);
        cwd = getcwd(NULL, 0);
        if (!cwd)
                return NULL;
        return path_join(cwd, p);
}

int ctl_signing_key_load(const char *path, const char **kid, EVP_PKEY **ret, enum jws_alg *ret_alg,
                         char **ret_thumb) {
        struct jit_error err = {};

        if (*kid && (strlen(*kid) < 1 || strlen(*kid) > JIT_KID_MAX)) {
                ctl_error("--kid: must be 1..%u characters", JIT_KID_MAX);
                return EXIT_USAGE;
        }
        if (key_load_private(path, ret, ret_alg, &err) < 0) {
                ctl_file_error(path, &err);
                return EXIT_SYSTEM;
        }
        if (!*kid) {
                if (key_thumbprint(*ret, ret_thumb, &err) < 0) {
                        ctl_error("cannot compute the key thumbprint: %s", err.message);
                        return EXIT_SYSTEM;
                }
                *kid = *ret_thumb;
        }
        return EXIT_OK;
}
