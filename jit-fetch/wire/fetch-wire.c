/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch-wire.h"
#include "macro.h"
#include "parse.h"

void fetch_wire_done(struct fetch_wire *w) {
        if (!w)
                return;
        free(w->etag);
        w->etag = NULL;
}

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static void sanitize(char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e)
                        *s = '?';
}

static bool is_object_name(const char *s, size_t n) {
        if (n != 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

int fetch_wire_write(int fd, int error, const char *message, const struct fetch_result *res) {
        return fetch_wire_write_object(fd, NULL, error, message, res);
}

int fetch_wire_write_object(int fd, const char *object, int error, const char *message,
                            const struct fetch_result *res) {
        char header[FETCH_WIRE_HEADER_MAX], text[FETCH_WIRE_MESSAGE_MAX], name[80] = "";
        int n;

        if (object) {
                if (!is_object_name(object, strlen(object)))
                        return -EINVAL;
                (void) snprintf(name, sizeof(name), "object=%s\n", object);
        }
        if (error < 0 || !res) {
                (void) snprintf(text, sizeof(text), "%s", message ? message : "fetch failed");
                sanitize(text);
                n = snprintf(header, sizeof(header), "%serror=%d\nmessage=%s\n\n", name,
                             error < 0 ? error : -EIO, text);
                return write_all(fd, header, (size_t) n);
        }

        n = snprintf(header, sizeof(header), "%sstatus=%ld\n", name, res->status);
        /* An empty etag is none: the parser refuses "etag=" (a NUL-led ETag value
         * makes fetch.c's strndup() one). */
        if (res->etag && res->etag[0] != '\0' && strlen(res->etag) < FETCH_WIRE_HEADER_MAX / 2) {
                _cleanup_free_ char *etag = strdup(res->etag);
                if (!etag)
                        return -ENOMEM;
                sanitize(etag);
                n += snprintf(header + n, sizeof(header) - (size_t) n, "etag=%s\n", etag);
        }
        if (res->server_date > 0)
                n += snprintf(header + n, sizeof(header) - (size_t) n, "date=%" PRId64 "\n",
                              res->server_date);
        if (res->status != 304)
                n += snprintf(header + n, sizeof(header) - (size_t) n, "length=%zu\n",
                              res->body_len);
        n += snprintf(header + n, sizeof(header) - (size_t) n, "\n");
        if (n <= 0 || (size_t) n >= sizeof(header))
                return -E2BIG;

        int r = write_all(fd, header, (size_t) n);
        if (r < 0 || res->status == 304)
                return r;
        return write_all(fd, res->body ? res->body : "", res->body_len);
}

static int bad(struct fetch_wire *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct fetch_wire *w, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(w->message, sizeof(w->message), fmt, ap);
        va_end(ap);
        return -EBADMSG;
}

static bool printable(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e)
                        return false;
        return true;
}

/* A decimal number, optionally negative, in [min, max]. */
static int parse_number(const char *s, size_t n, int64_t min, int64_t max, int64_t *ret) {
        bool neg = n > 0 && s[0] == '-';
        uint64_t u;
        int64_t v;

        if ((neg && min >= 0) || !parse_uint_strict(s + neg, n - neg, (uint64_t) INT64_MAX, &u))
                return -EINVAL;
        v = neg ? -(int64_t) u : (int64_t) u;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

enum {
        SEEN_ERROR = 1,
        SEEN_MESSAGE = 2,
        SEEN_STATUS = 4,
        SEEN_ETAG = 8,
        SEEN_DATE = 16,
        SEEN_LENGTH = 32,
        SEEN_OBJECT = 64
};

int fetch_wire_parse_header(const char *buf, size_t len, uint64_t max_size, struct fetch_wire *w,
                            size_t *ret_header_len) {
        const char *end = NULL, *p = buf;
        unsigned seen = 0;
        int64_t v;

        *w = (struct fetch_wire){};
        for (size_t i = 0; i + 1 < len && i + 1 < FETCH_WIRE_HEADER_MAX; i++)
                if (buf[i] == '\n' && buf[i + 1] == '\n') {
                        end = buf + i + 1;
                        break;
                }
        if (len > 0 && buf[0] == '\n')
                return bad(w, "empty header");
        if (!end)
                return len < FETCH_WIRE_HEADER_MAX ? -EAGAIN : bad(w, "header too long");

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *eq;
                size_t klen, vlen;
                unsigned bit;

                eq = memchr(p, '=', (size_t) (nl - p));
                if (!eq)
                        return bad(w, "header line without '='");
                klen = (size_t) (eq - p);
                vlen = (size_t) (nl - eq - 1);
                if (!printable(eq + 1, vlen))
                        return bad(w, "header value with control or non-ASCII bytes");
#define KEY(k) (klen == strlen(k) && memcmp(p, k, klen) == 0)
                if (KEY("error")) {
                        bit = SEEN_ERROR;
                        if (parse_number(eq + 1, vlen, -4095, -1, &v) < 0)
                                return bad(w, "error is not a negative errno");
                        w->error = (int) v;
                } else if (KEY("message")) {
                        bit = SEEN_MESSAGE;
                        if (vlen >= sizeof(w->message))
                                return bad(w, "message too long");
                        memcpy(w->message, eq + 1, vlen);
                        w->message[vlen] = '\0';
                } else if (KEY("status")) {
                        bit = SEEN_STATUS;
                        if (parse_number(eq + 1, vlen, 0, 999, &v) < 0)
                                return bad(w, "status out of range");
                        w->status = (long) v;
                } else if (KEY("etag")) {
                        bit = SEEN_ETAG;
                        if (vlen == 0)
                                return bad(w, "empty etag");
                        free(w->etag);
                        w->etag = strndup(eq + 1, vlen);
                        if (!w->etag)
                                return -ENOMEM;
                } else if (KEY("date")) {
                        bit = SEEN_DATE;
                        if (parse_number(eq + 1, vlen, 1, INT64_MAX / 2, &v) < 0)
                                return bad(w, "date out of range");
                        w->server_date = v;
                } else if (KEY("object")) {
                        bit = SEEN_OBJECT;
                        if (!is_object_name(eq + 1, vlen))
                                return bad(w, "object is not a sha256 in lowercase hex");
                        memcpy(w->object, eq + 1, vlen);
                        w->object[vlen] = '\0';
                } else if (KEY("length")) {
                        bit = SEEN_LENGTH;
                        if (parse_number(eq + 1, vlen, 0, INT64_MAX, &v) < 0)
                                return bad(w, "length is not a number");
                        w->length = (uint64_t) v;
                } else
                        return bad(w, "unknown header key");
#undef KEY
                if (seen & bit)
                        return bad(w, "repeated header key");
                seen |= bit;
                p = nl + 1;
        }

        if (seen & SEEN_ERROR) {
                if ((seen & ~SEEN_OBJECT) != (SEEN_ERROR | SEEN_MESSAGE))
                        return bad(w, "an error with other keys than message");
        } else if (!(seen & SEEN_STATUS) || (seen & SEEN_MESSAGE))
                return bad(w, "neither status nor error");
        else if (w->status == 304) {
                if (seen & SEEN_LENGTH)
                        return bad(w, "304 with a body length");
        } else if (w->status == 0 || w->status == 200) {
                if (!(seen & SEEN_LENGTH))
                        return bad(w, "no body length");
                if (w->length > max_size) {
                        (void) snprintf(w->message, sizeof(w->message),
                                        "body larger than %" PRIu64 " bytes", max_size);
                        return -EFBIG;
                }
        } else
                return bad(w, "status %ld is not 0, 200 or 304", w->status);

        *ret_header_len = (size_t) (end - buf) + 1;
        return 0;
}
