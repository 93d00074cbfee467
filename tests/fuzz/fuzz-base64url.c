/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <string.h>

#include "base64url.h"
#include "fuzz.h"

/* Property: whatever decodes re-encodes to exactly the input (the decoder
 * accepts one canonical encoding per byte string). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ uint8_t *dec = NULL;
        _cleanup_free_ char *enc = NULL;
        size_t dec_len, enc_len;

        if (base64url_decode((const char *) data, size, &dec, &dec_len, NULL) < 0)
                return 0;
        assert(base64url_encode(dec, dec_len, &enc, &enc_len) == 0);
        assert(enc_len == size && memcmp(enc, data, size) == 0);
        return 0;
}
