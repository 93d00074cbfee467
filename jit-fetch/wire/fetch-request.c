/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fetch-request.h"

/* "--" and at least one more byte, none of them a control byte. */
static bool option_is_valid(const char *s, size_t n) {
        if (n < 3 || s[0] != '-' || s[1] != '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] == 0x7f)
                        return false;
        return true;
}

int fetch_request_encode(char *const *args, size_t n, char *buf, size_t size, size_t *ret_len) {
        size_t len = 0;

        if (n > FETCH_REQUEST_ARGS_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                size_t k = strlen(args[i]);
                if (!option_is_valid(args[i], k))
                        return -EINVAL;
                if (k + 1 > FETCH_REQUEST_MAX - 1 - len || k + 1 > size - 1 - len || size == 0)
                        return -E2BIG;
                memcpy(buf + len, args[i], k + 1);
                len += k + 1;
        }
        if (len + 1 > size)
                return -E2BIG;
        buf[len++] = '\0';
        *ret_len = len;
        return 0;
}

int fetch_request_parse(char *buf, size_t len, char **args, size_t args_max, size_t *ret_n,
                        size_t *ret_len, char *msg, size_t msg_size) {
        size_t n = 0, at = 0;

        for (;;) {
                const char *nul;
                size_t k;

                if (at >= FETCH_REQUEST_MAX) {
                        (void) snprintf(msg, msg_size, "a request longer than %u bytes",
                                        FETCH_REQUEST_MAX);
                        return -E2BIG;
                }
                if (at >= len)
                        return -EAGAIN;
                nul = memchr(buf + at, '\0', len - at);
                if (!nul) {
                        if (len >= FETCH_REQUEST_MAX) {
                                (void) snprintf(msg, msg_size, "a request longer than %u bytes",
                                                FETCH_REQUEST_MAX);
                                return -E2BIG;
                        }
                        return -EAGAIN;
                }
                k = (size_t) (nul - (buf + at));
                if (at + k + 1 > FETCH_REQUEST_MAX) {
                        (void) snprintf(msg, msg_size, "a request longer than %u bytes",
                                        FETCH_REQUEST_MAX);
                        return -E2BIG;
                }
                if (k == 0) {
                        if (n == 0) {
                                (void) snprintf(msg, msg_size, "an empty request");
                                return -EBADMSG;
                        }
                        args[n] = NULL;
                        *ret_n = n;
                        *ret_len = at + 1;
                        return 0;
                }
                if (n >= args_max || n >= FETCH_REQUEST_ARGS_MAX) {
                        (void) snprintf(msg, msg_size, "a request of more than %zu options",
                                        args_max < FETCH_REQUEST_ARGS_MAX
                                                ? args_max
                                                : (size_t) FETCH_REQUEST_ARGS_MAX);
                        return -E2BIG;
                }
                if (!option_is_valid(buf + at, k)) {
                        (void) snprintf(msg, msg_size,
                                        "option %zu is not --name[=value] of printable bytes",
                                        n + 1);
                        return -EBADMSG;
                }
                args[n++] = buf + at;
                at += k + 1;
        }
}
