/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What an object store's refusal means for the administrator: an error
 * response (status, error code from the body or x-ms-error-code, the
 * bucket's region) becomes one message naming what to fix. Distinct causes
 * get distinct messages (jit-agent(8), "Store errors"). Pure: no I/O. */

#include <stdbool.h>
#include <stddef.h>

#include "store-url.h"

struct store_refusal {
        enum cloud cloud;
        long status;
        const char *body;          /* the start of the error body, or NULL */
        const char *error_code;    /* x-ms-error-code, or NULL */
        const char *bucket_region; /* x-amz-bucket-region, or NULL */
        const char *region;        /* the region requests were signed for */
        const char *role;          /* the AWS role, or NULL */
        bool session_token;        /* AWS: a session token was sent */
        const char *url;           /* the store URL, for the message */
};

/* A negative errno; msg holds the message. */
int store_error_explain(const struct store_refusal *s, char *msg, size_t msg_size);
