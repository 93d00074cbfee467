/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "base64url.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz"
                               "0123456789-_";

/* The value of one base64url character, or -1 for anything else. */
static int decode_char(unsigned char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '-')
                return 62;
        if (c == '_')
                return 63;
        return -1;
}

static int bad_char(const char *in, size_t i, struct jit_error *err) {
        unsigned char c = (unsigned char) in[i];

        if (c == '=')
                return jit_error_set(err, EBADMSG, JIT_REASON_BASE64,
                                     "base64url: padding '=' at offset %zu is not allowed", i);
        if (c == '+' || c == '/')
                return jit_error_set(err, EBADMSG, JIT_REASON_BASE64,
                                     "base64url: '%c' at offset %zu belongs to standard base64", c,
                                     i);
        return jit_error_set(err, EBADMSG, JIT_REASON_BASE64,
                             "base64url: invalid byte 0x%02x at offset %zu", c, i);
}

int base64url_decode(const char *in, size_t len, uint8_t **ret, size_t *ret_len,
                     struct jit_error *err) {
        _cleanup_free_ uint8_t *buf = NULL;
        size_t full = len / 4, rem = len % 4, out_len, o = 0, i;
        int v[4];

        if (!ret)
                return -EINVAL;
        if (len > 0 && !in)
                return -EINVAL;

        /* One leftover character carries only 6 bits: never a whole byte. */
        if (rem == 1)
                return jit_error_set(err, EBADMSG, JIT_REASON_BASE64,
                                     "base64url: length %zu is not valid (1 mod 4)", len);

        /* out_len < len for any len > 0, so out_len + 1 cannot overflow; the
         * check is kept so the reasoning does not have to be trusted. */
        out_len = full * 3 + (rem == 0 ? 0 : rem - 1);
        if (out_len == SIZE_MAX)
                return jit_error_set(err, EOVERFLOW, JIT_REASON_TOO_LARGE,
                                     "base64url: input too long");

        buf = malloc(out_len + 1);
        if (!buf)
                return jit_error_oom(err);

        for (i = 0; i + 4 <= len; i += 4) {
                for (size_t k = 0; k < 4; k++) {
                        v[k] = decode_char((unsigned char) in[i + k]);
                        if (v[k] < 0)
                                return bad_char(in, i + k, err);
                }
                buf[o++] = (uint8_t) (v[0] << 2 | v[1] >> 4);
                buf[o++] = (uint8_t) ((v[1] & 0x0f) << 4 | v[2] >> 2);
                buf[o++] = (uint8_t) ((v[2] & 0x03) << 6 | v[3]);
        }

        if (rem > 0) {
                for (size_t k = 0; k < rem; k++) {
                        v[k] = decode_char((unsigned char) in[i + k]);
                        if (v[k] < 0)
                                return bad_char(in, i + k, err);
                }
                /* The unused low bits of the last character must be zero, or
                 * several strings would decode to the same bytes. */
                if ((rem == 2 && (v[1] & 0x0f) != 0) || (rem == 3 && (v[2] & 0x03) != 0))
                        return jit_error_set(err, EBADMSG, JIT_REASON_BASE64,
                                             "base64url: non-canonical trailing bits at "
                                             "offset %zu",
                                             len - 1);
                buf[o++] = (uint8_t) (v[0] << 2 | v[1] >> 4);
                if (rem == 3)
                        buf[o++] = (uint8_t) ((v[1] & 0x0f) << 4 | v[2] >> 2);
        }

        buf[o] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = o;
        return 0;
}

size_t base64url_encoded_length(size_t len) {
        size_t q = len / 3, r = len % 3;

        /* Saturate rather than wrap; base64url_encode() refuses such sizes. */
        if (q > (SIZE_MAX - 3) / 4)
                return SIZE_MAX;
        return q * 4 + (r == 0 ? 0 : r + 1);
}

int base64url_encode(const uint8_t *in, size_t len, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t n, o = 0, i;

        if (!ret)
                return -EINVAL;
        if (len > 0 && !in)
                return -EINVAL;

        n = base64url_encoded_length(len);
        if (n == SIZE_MAX)
                return -EOVERFLOW;

        buf = malloc(n + 1);
        if (!buf)
                return -ENOMEM;

        for (i = 0; i + 3 <= len; i += 3) {
                buf[o++] = alphabet[in[i] >> 2];
                buf[o++] = alphabet[(in[i] & 0x03) << 4 | in[i + 1] >> 4];
                buf[o++] = alphabet[(in[i + 1] & 0x0f) << 2 | in[i + 2] >> 6];
                buf[o++] = alphabet[in[i + 2] & 0x3f];
        }
        if (len - i == 1) {
                buf[o++] = alphabet[in[i] >> 2];
                buf[o++] = alphabet[(in[i] & 0x03) << 4];
        } else if (len - i == 2) {
                buf[o++] = alphabet[in[i] >> 2];
                buf[o++] = alphabet[(in[i] & 0x03) << 4 | in[i + 1] >> 4];
                buf[o++] = alphabet[(in[i + 1] & 0x0f) << 2];
        }

        buf[o] = 0;
        if (ret_len)
                *ret_len = o;
        *ret = TAKE_PTR(buf);
        return 0;
}
