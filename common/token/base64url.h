/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* base64url without padding (RFC 7515 §2, RFC 4648 §5), strictly: the
 * decoder refuses '=', '+', '/', whitespace, any other byte, a length of
 * 1 mod 4, and non-canonical trailing bits, so every byte string has exactly
 * one accepted encoding. */

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Decode in[0..len). *ret is NUL-terminated for convenience (not counted in
 * *ret_len). Returns 0, -EBADMSG (reason JIT_REASON_BASE64) or -ENOMEM. */
int base64url_decode(const char *in, size_t len, uint8_t **ret, size_t *ret_len,
                     struct jit_error *err);

/* Encode; *ret is NUL-terminated, *ret_len (optional) its length. */
int base64url_encode(const uint8_t *in, size_t len, char **ret, size_t *ret_len);

/* The length base64url_encode produces for len input bytes. */
size_t base64url_encoded_length(size_t len);
